#!/usr/bin/env bash
# verify on a large generated tree (scripts/gen_tree.py), side by side with dotenv-linter.
# Prints, each as min / median / max over ROUNDS alternating runs (A B A B ...):
#   - scaling: time(2N) / time(N) for N = 1,000 and 5,000 (goal <= 2.1);
#   - poolcheck ÷ dotenv-linter on the same .env files (goal <= 1.0);
#   - poolcheck on the whole tree ÷ dotenv-linter on its .env subset (goal <= 2.0);
#   - peak RSS of poolcheck on 10,000 services (goal < 200 MB).
# dotenv-linter is installed with `cargo install --locked` into target/bench-tools when it is
# not on PATH. The tests never assert timings; this script is the evidence.
#
#   scripts/bench_verify.sh                 # ROUNDS=5 SIZES="1000 2000 5000 10000"
#   BIN=/tmp/poolcheck-old scripts/bench_verify.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SIZES=${SIZES:-"1000 2000 5000 10000"}
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=$PWD/target/release/poolcheck
fi
DL=$(command -v dotenv-linter || true)
if [ -z "$DL" ]; then
    DL=$PWD/target/bench-tools/bin/dotenv-linter
    [ -x "$DL" ] || cargo install --locked --root "$PWD/target/bench-tools" dotenv-linter
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds (wall) of one run, output discarded; poolcheck exits 1 on findings, that is fine.
t() {
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    echo "scale=6; ($e - $s) / 1000000000" | bc
}

stats() { # min med max of the arguments
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f / %.3f / %.3f", a[1], a[int((NR+1)/2)], a[NR]}'
}

declare -A PC ENVPC DLT
for n in $SIZES; do
    python3 scripts/gen_tree.py "$work/$n" "$n" 14
    envs=$(cd "$work/$n" && find services -name .env | sort)
    printf '%s\n' $envs > "$work/$n.envlist"
done

echo "poolcheck: $BIN"
echo "dotenv-linter: $DL ($("$DL" --version 2>/dev/null || echo '?'))"
echo "rounds: $ROUNDS, alternating"
for n in $SIZES; do
    pc=() envpc=() dl=()
    mapfile -t files < "$work/$n.envlist"
    for ((r = 0; r < ROUNDS; r++)); do
        pc+=("$(cd "$work/$n" && t "$BIN" verify)")
        dl+=("$(cd "$work/$n" && t "$DL" check "${files[@]}")")
        envpc+=("$(cd "$work/$n" && t "$BIN" verify "${files[@]}")")
    done
    PC[$n]="${pc[*]}" ENVPC[$n]="${envpc[*]}" DLT[$n]="${dl[*]}"
    r1=() r2=()
    for ((r = 0; r < ROUNDS; r++)); do
        r1+=("$(echo "scale=4; ${envpc[r]} / ${dl[r]}" | bc)")
        r2+=("$(echo "scale=4; ${pc[r]} / ${dl[r]}" | bc)")
    done
    echo "N=$n  tree $(stats "${pc[@]}") s   .env only $(stats "${envpc[@]}") s   dotenv-linter $(stats "${dl[@]}") s"
    echo "      same .env files: poolcheck ÷ dotenv-linter $(stats "${r1[@]}")"
    echo "      whole tree ÷ dotenv-linter on the .env subset $(stats "${r2[@]}")"
done
for pair in "1000 2000" "5000 10000"; do
    set -- $pair
    [ -n "${PC[$1]:-}" ] && [ -n "${PC[$2]:-}" ] || continue
    a=(${PC[$1]}) b=(${PC[$2]}) q=()
    for ((r = 0; r < ROUNDS; r++)); do q+=("$(echo "scale=4; ${b[r]} / ${a[r]}" | bc)"); done
    echo "scaling time($2)/time($1): $(stats "${q[@]}")"
done
big=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -1)
(cd "$work/$big" && /usr/bin/time -o "$work/rss" -f '%M' "$BIN" verify >/dev/null 2>&1 || true)
rss=$(tail -1 "$work/rss")
echo "peak RSS at N=$big: $((rss / 1024)) MB"
