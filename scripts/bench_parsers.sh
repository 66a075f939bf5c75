#!/usr/bin/env bash
# Hostile-input timings for the parsers: wall time and peak memory of one `poolcheck verify`
# on generated files (100k lines/keys, expansion and alias bombs, 10,000-deep nesting).
# Each run is capped by a timeout and a memory limit, so a regression shows as TIMEOUT/OOM
# instead of hanging the machine. Figures go to stdout; the tests never assert timings.
#
#   scripts/bench_parsers.sh                  # builds the release binary first
#   BIN=/tmp/poolcheck-old scripts/bench_parsers.sh   # measure another build
#   LIMIT=20 MEM_KB=2000000 scripts/bench_parsers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LIMIT=${LIMIT:-30}
MEM_KB=${MEM_KB:-3000000}
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=$PWD/target/release/poolcheck
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
N=100000

python3 - "$dir" "$N" <<'EOF'
import sys, os
d, n = sys.argv[1], int(sys.argv[2])
def w(name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
w("lines.env", "".join(f"KEY_{i}=value{i}\n" for i in range(n)))
w("errors.env", "".join(f"not a line {i}\n" for i in range(n)))
w("keys.yaml", "".join(f"key_{i}: {i}\n" for i in range(n)))
w("keys.toml", "".join(f"key_{i} = {i}\n" for i in range(n)))
# 10 references per level, 10 levels: 10^11 bytes if expanded.
bomb = "A0=xxxxxxxxxx\n" + "".join(
    f"A{i}=" + "${A%d}" % (i - 1) * 10 + "\n" for i in range(1, 11)
) + "DATABASE_URL=postgres://u@${A10}/db\n"
w("bomb.env", bomb)
w("cycle.env", "DB_URL=postgres://${DB_HOST}/db\nDB_HOST=${DB_URL}\n")
w("deep_flow.yaml", "a: " + "[" * 10000 + "]" * 10000 + "\n")
w("deep_block.yaml", "".join(" " * i + f"k{i}:\n" for i in range(1000)))
w("deep_array.toml", "a = " + "[" * 10000 + "]" * 10000 + "\n")
w("deep_inline.toml", "a = " + "{b = " * 10000 + "1" + "}" * 10000 + "\n")
alias = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n"
    for p, c in zip("abcdefghij", "bcdefghijk")
)
w("alias_bomb.yaml", alias)
w("keys.ini", "".join(f"[s{i}]\nkey_{i} = {i} ; c\n" for i in range(n)))
w("keys.properties", "".join(f"app.group{i % 100}.key{i}={i}\n" for i in range(n)))
w("appsettings.json", "{\n" + "".join(f'  "k{i}": {{"a": [1, "x"]}},\n' for i in range(n)) + '  "z": 0\n}\n')
w("config.hjson", "".join(f"k{i}: quoteless text {i} # c\n" for i in range(n)))
w("deep.json5", "[" * 10000 + "]" * 10000 + "\n")
EOF

printf '%-18s %10s %12s %s\n' case seconds peak_kb exit
for f in lines.env errors.env keys.yaml keys.toml bomb.env cycle.env deep_flow.yaml \
    deep_block.yaml deep_array.toml deep_inline.toml alias_bomb.yaml keys.ini keys.properties \
    appsettings.json config.hjson deep.json5; do
    set +e
    /usr/bin/time -f '%e %M' -o "$dir/time" \
        bash -c "ulimit -v $MEM_KB; exec timeout $LIMIT \"$BIN\" verify --no-config \
            --max-connections 100 --format json \"$dir/$f\"" >"$dir/out" 2>"$dir/err"
    code=$?
    set -e
    read -r secs kb < <(tail -n 1 "$dir/time") || true
    case $code in
        124) note="TIMEOUT (${LIMIT}s)" ;;
        134 | 137 | 139) note="CRASH/OOM ($code)" ;;
        *) note=$code ;;
    esac
    printf '%-18s %10s %12s %s\n' "$f" "${secs:-?}" "${kb:-?}" "$note"
done
