# Shared by the saturate-vs-reference benches: alternating runs A B A B ... on one server and
# the ratio min / median / max. Source it, define `run_ours` (prints "QPS COMPLETED") and
# `run_theirs COMPLETED` (prints QPS for the same amount of work), then call
# `ab_loop ROUNDS TITLE REFERENCE_NAME`.

ab_loop() {
    local rounds=$1 title=$2 name=$3 r qps done_
    local ours=() theirs=()
    for ((r = 0; r < rounds; r++)); do
        read -r qps done_ < <(run_ours)
        ours+=("$qps")
        theirs+=("$(run_theirs "$done_")")
    done
    python3 - "$title" "$name" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
title, name = sys.argv[1:3]
ours = [float(x) for x in sys.argv[3].split()]
theirs = [float(x) for x in sys.argv[4].split()]
print(title)
for i, (a, b) in enumerate(zip(ours, theirs)):
    print(f"  pair {i + 1}: saturate {a:10.1f} q/s   {name} {b:10.1f} q/s   ratio {a / b:.3f}")
r = sorted(a / b for a, b in zip(ours, theirs))
print(f"  ratio min / median / max: {r[0]:.3f} / {statistics.median(r):.3f} / {r[-1]:.3f}  (goal >= 0.9)")
PY
}

# The saturate run's throughput and completed count from its JSON report.
saturate_qps() {
    python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["throughput_qps"], v["completed"])'
}
