#!/usr/bin/env bash
# poolcheck saturate vs pgbench on `SELECT 1`, like for like: the same number of client
# connections, the same protocol in each mode (saturate --protocol simple against
# pgbench -M simple, saturate --protocol prepared against pgbench -M prepared), and pgbench
# with as many threads (-j) as saturate uses (its runtime is one thread). For each mode the
# runs alternate A B A B ... on the same server; prints each pair and the ratio
# min / median / max per mode (target >= 0.9).
#
#   scripts/saturate_vs_pgbench.sh            # 8 connections, 10 s each, 3 pairs per mode
#   N=16 T=5 ROUNDS=5 URL=postgres://me@db/app scripts/saturate_vs_pgbench.sh
#   MODES=prepared scripts/saturate_vs_pgbench.sh   # one mode only
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib_ab.sh

N=${N:-8}
T=${T:-10}
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-simple prepared}
# saturate drives its pool from a current_thread runtime (src/saturate/mod.rs).
THREADS=1
URL=${URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
HOST=${PGHOST:-127.0.0.1}
USER_=${PGUSER:-postgres}
DB=${PGDATABASE:-test}

for mode in $MODES; do
    case $mode in
        simple | prepared) ;;
        *) echo "MODES: unknown mode '$mode' (simple, prepared)"; exit 2 ;;
    esac
done

command -v pgbench >/dev/null || { echo "pgbench not found (apt-get install postgresql-client)"; exit 2; }
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=./target/release/poolcheck
fi

script=$(mktemp)
trap 'rm -f "$script"' EXIT
echo 'SELECT 1;' > "$script"

run_ours() {
    "$BIN" saturate "$URL" --pool "$N" --clients "$N" --query 'SELECT 1' --protocol "$MODE" \
      --duration "${T}s" --format json | saturate_qps
}

# pgbench runs for the same time rather than the same count (-T, not -t).
run_theirs() {
    pgbench -n -M "$MODE" -c "$N" -j "$THREADS" -T "$T" -f "$script" -h "$HOST" -U "$USER_" "$DB" 2>/dev/null \
      | awk '/^tps/ {print $3; exit}'
}

for MODE in $MODES; do
    ab_loop "$ROUNDS" "SELECT 1, $N connections, $MODE protocol, $THREADS thread(s), ${T}s per run, ABAB" \
      "pgbench -M $MODE"
done
