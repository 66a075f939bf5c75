#!/usr/bin/env bash
# poolcheck saturate vs redis-benchmark on Redis, like for like: the same number of client
# connections, PING sent as a command array (redis-benchmark's PING_MBULK, as poolcheck's
# client sends it), no pipelining, and the same amount of work (redis-benchmark runs as many
# requests as the saturate run before it completed). Runs alternate A B A B ...; prints each
# pair and the ratio min / median / max (goal >= 0.9).
#
#   scripts/bench_redis.sh                    # 8 connections, 5 s each, 3 pairs
#   N=16 T=10 ROUNDS=5 BIN=target/release/poolcheck scripts/bench_redis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib_ab.sh

N=${N:-8}
T=${T:-5}
ROUNDS=${ROUNDS:-3}
HOST=${REDIS_HOST:-127.0.0.1}
PORT=${REDIS_PORT:-6379}
URL=${URL:-redis://$HOST:$PORT/0}

RB=${RB:-/usr/bin/redis-benchmark}
[ -x "$RB" ] || { echo "redis-benchmark not found (apt-get install redis-tools)"; exit 2; }
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=./target/release/poolcheck
fi

run_ours() {
    "$BIN" saturate "$URL" --pool "$N" --clients "$N" --duration "${T}s" --format json \
      | saturate_qps
}

# --csv prints "PING_MBULK","<requests per second>",...
run_theirs() {
    "$RB" -h "$HOST" -p "$PORT" -c "$N" -n "$1" -P 1 -t ping_mbulk --csv \
      | awk -F'","' '/PING_MBULK/ {print $2; exit}'
}

ab_loop "$ROUNDS" "PING, $N connections, no pipelining, ${T}s saturate runs, ABAB ($BIN)" \
  redis-benchmark
