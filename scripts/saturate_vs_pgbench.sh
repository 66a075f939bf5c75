#!/usr/bin/env bash
# poolcheck saturate vs pgbench on `SELECT 1`, like for like: the same number of client
# connections, the same protocol (saturate sends simple queries, so pgbench runs -M simple),
# and pgbench with as many threads (-j) as saturate uses (its runtime is one thread). Runs
# alternate A B A B ... on the same server; prints each pair and the ratio min / median / max
# (target >= 0.9).
#
#   scripts/saturate_vs_pgbench.sh            # 8 connections, 10 s each, 3 pairs
#   N=16 T=5 ROUNDS=5 URL=postgres://me@db/app scripts/saturate_vs_pgbench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib_ab.sh

N=${N:-8}
T=${T:-10}
ROUNDS=${ROUNDS:-3}
# saturate drives its pool from a current_thread runtime (src/saturate/mod.rs).
THREADS=1
URL=${URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
HOST=${PGHOST:-127.0.0.1}
USER_=${PGUSER:-postgres}
DB=${PGDATABASE:-test}

command -v pgbench >/dev/null || { echo "pgbench not found (apt-get install postgresql-client)"; exit 2; }
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=./target/release/poolcheck
fi

script=$(mktemp)
trap 'rm -f "$script"' EXIT
echo 'SELECT 1;' > "$script"

run_ours() {
    "$BIN" saturate "$URL" --pool "$N" --clients "$N" --query 'SELECT 1' \
      --duration "${T}s" --format json | saturate_qps
}

# pgbench runs for the same time rather than the same count (-T, not -t).
run_theirs() {
    pgbench -n -M simple -c "$N" -j "$THREADS" -T "$T" -f "$script" -h "$HOST" -U "$USER_" "$DB" 2>/dev/null \
      | awk '/^tps/ {print $3; exit}'
}

ab_loop "$ROUNDS" "SELECT 1, $N connections, simple protocol, $THREADS thread(s), ${T}s per run, ABAB" \
  "pgbench -M simple"
