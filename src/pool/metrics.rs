//! A snapshot in the OpenMetrics text format (which Prometheus also reads), so a saturate run
//! can sit beside a production pool dashboard. Metric names follow the OpenMetrics spec:
//! https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
//! (counters end in `_total`, histograms have `_bucket{le=..}`, `_count`, `_sum`, and the
//! exposition ends with `# EOF`).

use super::{BreakerState, Histogram, Snapshot};
use std::fmt::Write;

/// Bucket bounds in seconds, from 100 µs to 30 s (acquire timeouts are seconds).
const BOUNDS: [f64; 16] = [
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    30.0,
];

fn histogram(out: &mut String, name: &str, help: &str, h: &Histogram) {
    let _ = writeln!(out, "# TYPE {name} histogram");
    let _ = writeln!(out, "# UNIT {name} seconds");
    let _ = writeln!(out, "# HELP {name} {help}");
    for b in BOUNDS {
        let us = (b * 1e6).round() as u64;
        let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", h.count_le_us(us));
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count());
    let _ = writeln!(out, "{name}_count {}", h.count());
    let _ = writeln!(out, "{name}_sum {}", h.sum_secs());
}

fn gauge(out: &mut String, name: &str, help: &str, v: impl std::fmt::Display) {
    let _ = writeln!(out, "# TYPE {name} gauge");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "{name} {v}");
}

fn counter(out: &mut String, name: &str, help: &str, rows: &[(&str, u64)]) {
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "# HELP {name} {help}");
    for (labels, v) in rows {
        let _ = writeln!(out, "{name}_total{labels} {v}");
    }
}

/// The snapshot as an OpenMetrics exposition, metric names prefixed with `prefix_`.
pub fn openmetrics(s: &Snapshot, prefix: &str) -> String {
    let mut o = String::new();
    let n = |m: &str| format!("{prefix}_{m}");
    histogram(
        &mut o,
        &n("acquire_wait_seconds"),
        "Time from asking the pool for a connection to getting one.",
        &s.acquire_wait(),
    );
    histogram(
        &mut o,
        &n("hold_seconds"),
        "Time a connection was checked out.",
        &s.hold,
    );
    gauge(
        &mut o,
        &n("max_size"),
        "Largest number of connections.",
        s.max_size,
    );
    gauge(&mut o, &n("connections"), "Open connections.", s.size);
    gauge(&mut o, &n("in_use"), "Connections checked out.", s.in_use);
    gauge(&mut o, &n("idle"), "Connections idle in the pool.", s.idle);
    gauge(
        &mut o,
        &n("waiting"),
        "Acquires waiting for a connection.",
        s.waiters,
    );
    gauge(
        &mut o,
        &n("creating"),
        "Connections being opened.",
        s.creating,
    );
    gauge(
        &mut o,
        &n("utilization_ratio"),
        "Time-weighted mean of in_use / max_size.",
        s.utilization,
    );
    counter(
        &mut o,
        &n("created"),
        "Connections opened.",
        &[("", s.created)],
    );
    counter(
        &mut o,
        &n("create_errors"),
        "Connects that failed.",
        &[("", s.create_errors)],
    );
    counter(
        &mut o,
        &n("closed"),
        "Connections closed, by cause.",
        &[
            ("{cause=\"broken\"}", s.closed_broken),
            ("{cause=\"idle\"}", s.closed_idle),
            ("{cause=\"lifetime\"}", s.closed_lifetime),
            ("{cause=\"validation\"}", s.closed_validation),
            ("{cause=\"cancelled\"}", s.closed_cancelled),
            ("{cause=\"shutdown\"}", s.closed_shutdown),
        ],
    );
    counter(
        &mut o,
        &n("timeouts"),
        "Acquires that hit the acquire deadline.",
        &[("", s.timeouts)],
    );
    counter(
        &mut o,
        &n("refusals"),
        "Acquires refused at once because the circuit breaker was open.",
        &[("", s.refusals)],
    );
    counter(
        &mut o,
        &n("breaker_opened"),
        "Times the circuit breaker opened after consecutive connect failures.",
        &[("", s.breaker.opened)],
    );
    let name = n("breaker_state");
    let _ = writeln!(o, "# TYPE {name} stateset");
    let _ = writeln!(o, "# HELP {name} Circuit breaker state.");
    for st in [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ] {
        let on = u8::from(s.breaker.state == st);
        let _ = writeln!(o, "{name}{{{name}=\"{}\"}} {on}", st.name());
    }
    o.push_str("# EOF\n");
    o
}
