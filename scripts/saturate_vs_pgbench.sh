#!/usr/bin/env bash
# poolcheck saturate vs pgbench on `SELECT 1` at the same connection count, one after the other
# on the same server; prints both throughputs and the ratio (target ≥ 0.9).
#
#   scripts/saturate_vs_pgbench.sh            # 8 connections, 10 s each
#   N=16 T=5 URL=postgres://me@db/app scripts/saturate_vs_pgbench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-8}
T=${T:-10}
URL=${URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
HOST=${PGHOST:-127.0.0.1}
USER_=${PGUSER:-postgres}
DB=${PGDATABASE:-test}

command -v pgbench >/dev/null || { echo "pgbench not found (apt-get install postgresql-client)"; exit 2; }
cargo build --release -q

script=$(mktemp)
trap 'rm -f "$script"' EXIT
echo 'SELECT 1;' > "$script"

ours=$(./target/release/poolcheck saturate "$URL" --pool "$N" --clients "$N" --query 'SELECT 1' \
  --duration "${T}s" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["throughput_qps"])')
theirs=$(pgbench -n -c "$N" -j 2 -T "$T" -f "$script" -h "$HOST" -U "$USER_" "$DB" 2>/dev/null \
  | awk '/^tps/ {print $3; exit}')

python3 - "$ours" "$theirs" "$N" "$T" <<'PY'
import sys
ours, theirs, n, t = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
print(f"SELECT 1 with {n} connections for {t}s each")
print(f"  poolcheck saturate  {ours:10.1f} queries/s")
print(f"  pgbench             {theirs:10.1f} transactions/s")
print(f"  ratio               {ours / theirs:10.3f}  (target >= 0.9)")
PY
