//! Renders a saturation run: measured figures beside the model's prediction, and the verdict.

use crate::cli::Scenario;
use crate::saturate::Outcome;
use serde_json::{json, Value};

pub fn json(o: &Outcome) -> Value {
    let [p50, p95, p99, max] = o.acquire_wait;
    json!({
        "scenario": format!("{:?}", o.scenario).to_lowercase(),
        "pool": o.pool,
        "clients": o.clients,
        "protocol": o.protocol.map(|p| p.name()),
        "client_hold_ms": o.client_hold.map(|h| h.as_secs_f64() * 1000.0),
        "rps": o.rps,
        "duration_s": o.elapsed.as_secs_f64(),
        "completed": o.completed,
        "throughput_qps": o.throughput_qps,
        "acquire_wait_ms": { "p50": p50, "p95": p95, "p99": p99, "max": max },
        "timeout_wait_ms": o.timeout_wait_ms.map(|(p50, max)| json!({ "p50": p50, "max": max })),
        "acquire_timeout_ms": o.acquire_timeout.as_secs_f64() * 1000.0,
        "timeouts": o.timeouts,
        "refusals": o.refusals,
        "refusal_message": o.refusal_message,
        "errors": o.errors,
        "utilization": o.utilization,
        "hold_mean_ms": o.hold_mean_ms,
        "connections_created": o.created,
        "connections_replaced": o.replaced,
        "breaker": {
            "state": o.snapshot.breaker.state.name(),
            "opened": o.snapshot.breaker.opened,
            "events": o.snapshot.breaker.events.iter().map(|e| json!({
                "at_ms": e.at.as_secs_f64() * 1000.0,
                "to": e.to.name(),
                "failures": e.failures,
            })).collect::<Vec<_>>(),
        },
        "measured_p_wait": o.measured_p_wait,
        "prediction": o.prediction.map(|(p, q)| json!({ "p_wait": p, "p99_wait_ms": q, "stable": q.is_some() })),
        "recovery_ms": o.recovery.map(|d| d.as_secs_f64() * 1000.0),
        "leaked_connections": o.leaked_connections,
        "leak_check": if o.leaked_connections.is_some() { "done" } else { "could not run" },
        "interrupted": o.interrupted,
        "verdict": if o.failures().is_empty() { "pass" } else { "fail" },
        "failures": o.failures(),
        "free_slots_before": o.free_slots_before,
    })
}

pub fn human(o: &Outcome) -> String {
    let [p50, p95, p99, max] = o.acquire_wait;
    let mut out = format!(
        "saturate: {} scenario, pool {} on `{}`{}{}, {} for {:.1}s{}\n\n",
        format!("{:?}", o.scenario).to_lowercase(),
        o.pool,
        o.query,
        o.protocol
            .map_or(String::new(), |p| format!(" ({} protocol)", p.name())),
        o.client_hold.map_or(String::new(), |h| format!(
            " after a {} hold on the client",
            crate::core::units::format_duration(h)
        )),
        match (o.scenario, o.rps) {
            (Scenario::Spike, _) =>
                "Poisson arrivals at 80% of capacity with a burst to 120%".to_string(),
            (Scenario::Exhaust, _) => format!(
                "every connection held, then {} extra acquires",
                o.clients.min(8)
            ),
            (_, Some(r)) => format!("Poisson arrivals at {r}/s"),
            (_, None) => format!("{} closed-loop clients", o.clients),
        },
        o.elapsed.as_secs_f64(),
        if o.interrupted { " (interrupted)" } else { "" }
    );
    out.push_str(&format!(
        "  throughput        {:.1} queries/s ({} completed)\n",
        o.throughput_qps, o.completed
    ));
    out.push_str(&format!(
        "  acquire wait      p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, max {max:.2} ms\n"
    ));
    out.push_str(&format!("  P(wait) measured  {:.3}\n", o.measured_p_wait));
    match o.prediction {
        Some((p, Some(q))) => out.push_str(&format!("  Erlang C predicts P(wait) {p:.3}, p99 wait {q:.2} ms (for the measured arrival rate and {:.2} ms mean hold)\n", o.hold_mean_ms)),
        Some((_, None)) => out.push_str("  Erlang C predicts an unstable queue at the measured arrival rate and hold time\n"),
        None => out.push_str("  Erlang C: nothing to model (no completed acquires, or exhaust mode)\n"),
    }
    if o.rps.is_none() && o.scenario == Scenario::Steady {
        out.push_str("  note              closed-loop clients are a finite population: the open-queue model overstates waits; use --rps to compare like with like\n");
    }
    out.push_str(&format!(
        "  utilization       {:.2} (time-weighted in-use / pool)\n",
        o.utilization
    ));
    out.push_str(&format!(
        "  timeouts          {}{}\n",
        o.timeouts,
        o.timeout_wait_ms
            .map_or(String::new(), |(p50, max)| format!(
                " (failed after p50 {p50:.0} ms, max {max:.0} ms; acquire timeout {} ms)",
                o.acquire_timeout.as_millis()
            ))
    ));
    out.push_str(&format!(
        "  refusals          {}{}\n",
        o.refusals,
        o.refusal_message
            .as_ref()
            .map_or(String::new(), |m| format!(" ({m})"))
    ));
    out.push_str(&format!("  errors            {}\n", o.errors));
    out.push_str(&format!(
        "  connections       {} opened, {} replaced after breaking\n",
        o.created, o.replaced
    ));
    for e in &o.snapshot.breaker.events {
        out.push_str(&format!(
            "  circuit breaker   {} at {:.0} ms{}\n",
            e.to.name(),
            e.at.as_secs_f64() * 1000.0,
            match e.to {
                crate::pool::BreakerState::Open => format!(
                    " after {} failed connects in a row; not connecting until a probe succeeds",
                    e.failures
                ),
                crate::pool::BreakerState::HalfOpen => " (one probe connect)".to_string(),
                crate::pool::BreakerState::Closed => " (a connect succeeded)".to_string(),
            }
        ));
    }
    if let Some(r) = o.recovery {
        out.push_str(&format!(
            "  recovery          queue drained {:.0} ms after the burst\n",
            r.as_secs_f64() * 1000.0
        ));
    }
    match o.leaked_connections {
        Some(n) => out.push_str(&format!(
            "  leaked            {n} (sessions still open on the server after the run)\n"
        )),
        None => out.push_str(
            "  leaked            unknown: the check could not run (the server went away)\n",
        ),
    }
    let failures = o.failures();
    if failures.is_empty() {
        out.push_str("\npass: no refusals, no failed queries, nothing left on the server\n");
    } else {
        out.push_str("\nFAIL:\n");
        for f in failures {
            out.push_str(&format!("  - {f}\n"));
        }
    }
    out
}
