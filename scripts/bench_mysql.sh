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
. scripts/lib_ab.sh

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

run_ours() {
    "$BIN" saturate "$URL" --pool "$N" --clients "$N" --query 'SELECT 1' \
      --duration "${T}s" --format json | saturate_qps
}

run_theirs() {
    local secs
    secs=$("$SLAP" -h "$HOST" -P "$PORT" -u "$USER_" --create-schema="$DB" --concurrency="$N" \
      --iterations=1 --number-of-queries="$1" --query='SELECT 1' \
      | awk '/Average number of seconds to run all queries/ {print $(NF-1); exit}')
    python3 -c "print($1 / $secs)"
}

ab_loop "$ROUNDS" "SELECT 1, $N connections, text protocol, ${T}s saturate runs, ABAB ($BIN)" mysqlslap
