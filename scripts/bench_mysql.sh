#!/usr/bin/env bash
# poolcheck saturate vs mysqlslap on MariaDB/MySQL, like for like: the same number of client
# connections, `SELECT 1` over the text protocol (COM_QUERY) in both, and the same amount of
# work (mysqlslap runs as many queries as the saturate run before it completed). Runs
# alternate A B A B ... on the same server; prints each pair and the ratio min / median / max
# (goal >= 0.9). mysqlslap drives one thread per connection; saturate one thread in all.
#
#   scripts/bench_mysql.sh                    # 8 connections, 5 s each, 3 pairs
#   N=16 T=10 ROUNDS=5 BIN=target/release/poolcheck scripts/bench_mysql.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-8}
T=${T:-5}
ROUNDS=${ROUNDS:-3}
HOST=${MYSQL_HOST:-127.0.0.1}
PORT=${MYSQL_PORT:-3306}
USER_=${MYSQL_USER:-root}
DB=${MYSQL_DB:-test}
URL=${URL:-mysql://$USER_@$HOST:$PORT/$DB?ssl-mode=DISABLED}

SLAP=${SLAP:-/usr/bin/mysqlslap}
[ -x "$SLAP" ] || { echo "mysqlslap not found (apt-get install mariadb-client)"; exit 2; }
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=./target/release/poolcheck
fi

ours=() theirs=()
for ((r = 0; r < ROUNDS; r++)); do
    read -r qps done_ < <("$BIN" saturate "$URL" --pool "$N" --clients "$N" --query 'SELECT 1' \
      --duration "${T}s" --format json \
      | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["throughput_qps"], v["completed"])')
    ours+=("$qps")
    secs=$("$SLAP" -h "$HOST" -P "$PORT" -u "$USER_" --create-schema="$DB" --concurrency="$N" \
      --iterations=1 --number-of-queries="$done_" --query='SELECT 1' \
      | awk '/Average number of seconds to run all queries/ {print $(NF-1); exit}')
    theirs+=("$(python3 -c "print($done_ / $secs)")")
done

python3 - "$N" "$T" "$BIN" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
n, t, binary = sys.argv[1:4]
ours = [float(x) for x in sys.argv[4].split()]
theirs = [float(x) for x in sys.argv[5].split()]
print(f"SELECT 1, {n} connections, text protocol, {t}s saturate runs, ABAB ({binary})")
for i, (a, b) in enumerate(zip(ours, theirs)):
    print(f"  pair {i + 1}: saturate {a:10.1f} q/s   mysqlslap {b:10.1f} q/s   ratio {a / b:.3f}")
r = sorted(a / b for a, b in zip(ours, theirs))
print(f"  ratio min / median / max: {r[0]:.3f} / {statistics.median(r):.3f} / {r[-1]:.3f}  (goal >= 0.9)")
PY
