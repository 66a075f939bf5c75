#!/usr/bin/env bash
# Wall time and peak memory of poolcheck on the heavy hostile inputs of tests/bad_input.rs.
#
#   scripts/bench_bad_input.sh [POOLCHECK_BINARY]
#
# Default binary: target/debug/poolcheck (what the tests run; built if missing). Pass
# target/release/poolcheck for release figures. Each case is generated in a temporary
# directory, run once under /usr/bin/time -v with a CPU-time limit (LIMIT seconds, default 120;
# ulimit -t, so GNU time still sees the child's peak RSS when the limit stops it) and a
# virtual-memory cap (MEM_CAP_KIB, default 4 GiB), and reported as one line:
#   case, status, wall seconds, max RSS (MiB), stdout bytes.
# Status `cpu>LIMITs` means stopped at the CPU limit (the run would have taken longer);
# `signal 6` means an allocation failed at the memory cap (abort).
set -u

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${1:-$ROOT/target/debug/poolcheck}
LIMIT=${LIMIT:-120}
MEM_CAP_KIB=${MEM_CAP_KIB:-4194304}

if [ ! -x /usr/bin/time ]; then
  echo "needs GNU time: apt-get install -y time" >&2
  exit 2
fi
if [ ! -x "$BIN" ]; then
  cargo build -q --bin poolcheck || exit 2
fi
case "$BIN" in /*) ;; *) BIN=$ROOT/$BIN ;; esac

unset RUST_BACKTRACE RUST_LIB_BACKTRACE DATABASE_URL PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

printf '%-34s %-10s %9s %10s %12s\n' case exit wall_s maxrss_MiB stdout_bytes

# run NAME DIR ARGS...: one measured run of poolcheck in DIR.
run() {
  local name=$1 dir=$2
  shift 2
  local tlog=$WORK/$name.time out=$WORK/$name.out
  (
    cd "$dir" || exit 2
    ulimit -v "$MEM_CAP_KIB"
    ulimit -t "$LIMIT"
    NO_COLOR=1 exec /usr/bin/time -v -o "$tlog" "$BIN" "$@" >"$out" 2>"$WORK/$name.err" </dev/null
  )
  local code=$?
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tlog" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$tlog")
  local status="exit $code"
  if grep -q 'Command terminated by signal' "$tlog"; then
    local sig
    sig=$(awk '/Command terminated by signal/ {print $NF}' "$tlog")
    status="signal $sig"
    case $sig in 9 | 24) status="cpu>${LIMIT}s" ;; esac
  fi
  printf '%-34s %-10s %9s %10s %12s\n' "$name" "$status" "${wall:-?}" "${rss:-?}" "$(wc -c <"$out")"
}

# --- inputs (the same as tests/bad_input.rs) ---

for n in 10000 20000; do
  d=$WORK/env$n; mkdir -p "$d"
  awk -v n=$n 'BEGIN { for (i = 1; i < n; i++) printf "APP_SETTING_%d=value-%d\n", i, i; print "DB_CONNECTION_LIMIT=50" }' >"$d/big.env"
  run "env_${n}_lines" "$d" verify --no-config big.env --max-connections 10 --format json
done

d=$WORK/env100k; mkdir -p "$d"
awk 'BEGIN { for (i = 1; i < 100000; i++) printf "APP_SETTING_%d=value-%d\n", i, i; print "DB_CONNECTION_LIMIT=50" }' >"$d/big.env"
run env_100k_lines "$d" verify --no-config big.env --max-connections 10 --format json

for n in 10000 20000; do
  d=$WORK/yaml$n; mkdir -p "$d"
  awk -v n=$n 'BEGIN { for (i = 1; i <= n; i++) printf "key_%d: %d\n", i, i; print "database:"; print "  pool_size: 50" }' >"$d/big.yaml"
  run "yaml_${n}_keys" "$d" verify --no-config big.yaml --max-connections 10 --format json
done

d=$WORK/yaml100k; mkdir -p "$d"
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "key_%d: %d\n", i, i; print "database:"; print "  pool_size: 50" }' >"$d/big.yaml"
run yaml_100k_keys "$d" verify --no-config big.yaml --max-connections 10 --format json

d=$WORK/garbage; mkdir -p "$d"
echo DB_CONNECTION_LIMIT=50 >"$d/a.env"
head -c 1048576 /dev/urandom >"$d/garbage.env"
run garbage_1MiB_human "$d" verify --no-config . --max-connections 10
run garbage_1MiB_json "$d" verify --no-config . --max-connections 10 --format json

d=$WORK/many; mkdir -p "$d/many"
(cd "$d/many" && for i in $(seq -f '%05g' 0 19998); do echo DB_POOL_TIMEOUT=30 >"f$i.env"; done
 echo DB_CONNECTION_LIMIT=50 >f19999.env)
run env_files_20k "$d" verify --no-config many --max-connections 10 --format json

d=$WORK/bomb; mkdir -p "$d"
{
  echo DB_CONNECTION_LIMIT=5
  printf 'BOMB_A=%s\n' "$(printf 'x%.0s' $(seq 64))"
  prev=A
  for n in B C D E F G H I J K L; do
    printf 'BOMB_%s=' "$n"; for _ in $(seq 10); do printf '${BOMB_%s}' "$prev"; done; echo
    prev=$n
  done
} >"$d/bomb.env"
run expansion_bomb_12_levels "$d" verify --no-config bomb.env --max-connections 100 --format json

d=$WORK/loop; mkdir -p "$d"
echo DB_CONNECTION_LIMIT=50 >"$d/a.env"
ln -s . "$d/loop1"; ln -s . "$d/loop2"
run symlink_loop_2_links "$d" verify --no-config . --max-connections 10 --format json

d=$WORK/zero; mkdir -p "$d"
echo DB_CONNECTION_LIMIT=50 >"$d/a.env"
ln -s /dev/zero "$d/x.env"
run dev_zero_symlink_x_env "$d" verify --no-config . --max-connections 10 --format json

d=$WORK/timeout; mkdir -p "$d"
printf 'DB_CONNECTION_LIMIT=5\nDB_POOL_TIMEOUT=1e309\n' >"$d/app.env"
run timeout_1e309_env "$d" verify --no-config app.env --max-connections 100 --format json

d=$WORK/demo; mkdir -p "$d/backend"
cp fixtures/demo/poolcheck.toml "$d/"; cp fixtures/demo/backend/.env.* "$d/backend/"
run whatif_pool_max_u32max "$d" what-if --prod --set service.backend.pool_max=4294967295 --format json
