#!/usr/bin/env bash
# Builds the fuzz targets and, where cargo-fuzz and a sanitizer build work, runs each briefly.
#
#   scripts/fuzz_smoke.sh            # every target, 20 s each
#   FUZZ_SECONDS=60 scripts/fuzz_smoke.sh fuzz_verify
#
# Only the stable toolchain is assumed: cargo-fuzz needs nightly flags (-Zsanitizer, coverage
# instrumentation), which RUSTC_BOOTSTRAP=1 unlocks on stable. Without cargo-fuzz the script
# still checks that the fuzz crate compiles with plain `cargo build`.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${FUZZ_SECONDS:-20}"
ALL=(fuzz_env fuzz_toml fuzz_yaml fuzz_url fuzz_secrets fuzz_verify fuzz_deploy fuzz_ini fuzz_properties fuzz_json fuzz_odyssey)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi

echo "== cargo build --manifest-path fuzz/Cargo.toml (stable, no instrumentation)"
cargo build --manifest-path fuzz/Cargo.toml

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz not installed (cargo install cargo-fuzz --locked): compiled only"
    exit 0
fi

if cargo +nightly --version >/dev/null 2>&1; then
    FUZZ=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi

echo "== ${FUZZ[*]} build"
"${FUZZ[@]}" build

status=0
for t in "${TARGETS[@]}"; do
    echo "== ${FUZZ[*]} run $t (${SECONDS_EACH}s)"
    # Fresh entries go to a scratch copy so a smoke run never grows the committed corpus.
    work="$(mktemp -d)"
    cp fuzz/corpus/"$t"/* "$work"/
    log="$work.log"
    if "${FUZZ[@]}" run "$t" "$work" -- -dict=fuzz/dict/config.dict \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -timeout=10 >"$log" 2>&1; then
        echo "ok   $t: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
    else
        status=1
        echo "FAIL $t (log: $log)"
        tail -40 "$log"
    fi
    rm -rf "$work"
done
exit "$status"
