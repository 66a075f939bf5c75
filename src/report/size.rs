//! Renders a sizing: the recommendation, its assumptions and the table, as text or JSON.

use crate::capacity::erlang::Queue;
use crate::capacity::search::{self, Targets};
use crate::core::units::format_duration;
use crate::size::{ms, Plan, PoolerPlan, Row};
use serde_json::{json, Value};
use std::time::Duration;

/// The sizing as the JSON report.
/// The pooler tier of a sizing: its plan and the server-side recommendation.
pub type Tier<'a> = Option<(&'a PoolerPlan, &'a search::Recommendation)>;

pub fn json(
    plan: &Plan,
    rec: &search::Recommendation,
    rows: &[Row],
    fits: Option<bool>,
    tier: Tier<'_>,
) -> Value {
    let each = plan.workload.split(plan.replicas);
    let pooler = tier.map(|(p, s)| {
        json!({
            "mode": p.mode,
            "instances": p.instances,
            "transactions_per_request": p.per_request,
            "transactions_per_second": p.workload.lambda,
            "transaction_time_ms": ms(p.workload.hold.as_secs_f64()),
            "offered_load": p.workload.offered_load(),
            "recommended_per_pooler": s.per_pool,
            "recommended_server_total": s.total,
            "utilization": s.metrics.utilization,
            "p_wait": s.metrics.p_wait,
            "p99_wait_ms": ms(s.metrics.wait_quantile(0.99)),
            "client_connections": rec.total,
        })
    });
    json!({
        "pooler": pooler,
        "inputs": {
            "rps": plan.rps,
            "queries_per_request": plan.queries_per_request,
            "query_time_ms": ms(plan.workload.hold.as_secs_f64() / if plan.per_request_hold { plan.queries_per_request } else { 1.0 }),
            "per_request_hold": plan.per_request_hold,
            "replicas": plan.replicas,
            "arrival_cv2": plan.workload.arrival_cv2,
            "hold_cv2": plan.workload.hold_cv2,
            "acquire_timeout_ms": plan.acquire_timeout.map(|t| ms(t.as_secs_f64())),
            "max_connections": plan.max_connections,
            "reserved": plan.reserved,
        },
        "targets": targets_json(&plan.targets),
        "lambda_per_second": plan.workload.lambda,
        "offered_load": plan.workload.offered_load(),
        "offered_load_per_replica": each.offered_load(),
        "recommended_per_replica": rec.per_pool,
        "recommended_total": rec.total,
        "usable": plan.usable,
        "fits": fits,
        "table": rows.iter().map(|r| row_json(r, plan.acquire_timeout)).collect::<Vec<_>>(),
    })
}

fn row_json(r: &Row, timeout: Option<Duration>) -> Value {
    match &r.queue {
        Queue::Stable(m) => json!({
            "pool": r.pool,
            "stable": true,
            "utilization": m.utilization,
            "p_wait": m.p_wait,
            "mean_wait_ms": ms(m.mean_wait()),
            "p95_wait_ms": ms(m.wait_quantile(0.95)),
            "p99_wait_ms": ms(m.wait_quantile(0.99)),
            "p_timeout": timeout.map(|t| m.p_timeout(t)),
        }),
        Queue::Unstable { offered_load, .. } => json!({
            "pool": r.pool,
            "stable": false,
            "utilization": offered_load / f64::from(r.pool),
            "p_wait": Value::Null,
            "mean_wait_ms": Value::Null,
            "p95_wait_ms": Value::Null,
            "p99_wait_ms": Value::Null,
            "p_timeout": Value::Null,
            "note": "unstable: the pool is not larger than the offered load, waits grow without bound",
        }),
    }
}

fn targets_json(t: &Targets) -> Value {
    json!({
        "p_wait": t.p_wait,
        "p99_wait_ms": t.p99_wait.map(|d| ms(d.as_secs_f64())),
        "utilization": t.utilization,
        "timeout_probability": t.timeout.map(|(_, e)| e),
    })
}

/// Milliseconds with two decimals, `<0.01` below that.
fn fmt_ms(s: f64) -> String {
    let v = ms(s);
    if v == 0.0 {
        "0.00".into()
    } else if v < 0.005 {
        "<0.01".into()
    } else {
        format!("{v:.2}")
    }
}

pub fn human(
    plan: &Plan,
    rec: &search::Recommendation,
    rows: &[Row],
    fits: Option<bool>,
    tier: Tier<'_>,
) -> String {
    let mut out = String::new();
    if let Some((p, s)) = tier {
        // The server side first: it is what must fit the server.
        out.push_str(&format!(
            "Recommended server pool ({} mode, default_pool_size): {} per pooler × {} = {} server connections",
            p.mode,
            s.per_pool,
            crate::core::text::count(p.instances as usize, "pooler"),
            s.total
        ));
        out.push_str(&fit_note(plan, fits));
        out.push_str(&format!(
            "  load: {} req/s × {} {} × {} = {:.2} busy server connections; at that size utilization {:.2}, P(wait) {}, p99 wait {} ms\n",
            plan.rps,
            p.per_request,
            if p.per_request == 1.0 { "transaction" } else { "transactions" },
            format_duration(p.workload.hold),
            p.workload.offered_load(),
            s.metrics.utilization,
            crate::core::text::probability(s.metrics.p_wait),
            fmt_ms(s.metrics.wait_quantile(0.99))
        ));
        out.push_str(&format!(
            "Client side: {} per replica × {} = {} client connections to the pooler (its max_client_conn must allow them)\n",
            rec.per_pool,
            crate::core::text::count(plan.replicas as usize, "replica"),
            rec.total
        ));
        out.push_str(&format!(
            "  at that size: utilization {:.2}, P(wait) {}, p99 acquire wait {} ms\n\n",
            rec.metrics.utilization,
            crate::core::text::probability(rec.metrics.p_wait),
            fmt_ms(rec.metrics.wait_quantile(0.99))
        ));
        return out + &assumptions(plan, rec, rows);
    }
    out.push_str(&format!(
        "Recommended pool: {} per replica × {} replica{} = {} connections",
        rec.per_pool,
        plan.replicas,
        if plan.replicas == 1 { "" } else { "s" },
        rec.total
    ));
    out.push_str(&fit_note(plan, fits));
    let m = &rec.metrics;
    out.push_str(&format!(
        "  at that size: utilization {:.2}, P(wait) {}, p99 acquire wait {} ms\n\n",
        m.utilization,
        crate::core::text::probability(m.p_wait),
        fmt_ms(m.wait_quantile(0.99))
    ));
    out + &assumptions(plan, rec, rows)
}

/// `(fits: 90 usable slots = …)` after a recommendation line, with its newline.
fn fit_note(plan: &Plan, fits: Option<bool>) -> String {
    let mut out = String::new();
    match (fits, plan.usable) {
        (Some(true), Some(u)) => out.push_str(&format!(
            " (fits: {u} usable slots = {} max_connections − {} reserved)\n",
            plan.max_connections.unwrap_or(0),
            plan.reserved
        )),
        (Some(false), Some(u)) => out.push_str(&format!(
            " (DOES NOT FIT: {u} usable slots = {} max_connections − {} reserved)\n",
            plan.max_connections.unwrap_or(0),
            plan.reserved
        )),
        _ => out.push_str(" (pass --max-connections to check it fits the server)\n"),
    }
    out
}

/// The assumptions, the client-side table and chart.
fn assumptions(plan: &Plan, rec: &search::Recommendation, rows: &[Row]) -> String {
    let w = &plan.workload;
    let mut out = String::new();
    out.push_str("Assumptions\n");
    out.push_str(&format!(
        "  load      {} req/s × {} queries × {} hold = λ {:.1} acquires/s, offered load a = {:.2} busy connections (Little's law)\n",
        plan.rps,
        plan.queries_per_request,
        format_duration(if plan.per_request_hold { w.hold.div_f64(plan.queries_per_request) } else { w.hold }),
        w.lambda,
        w.offered_load()
    ));
    if plan.per_request_hold {
        out.push_str("  hold      each request keeps one connection for all its queries\n");
    }
    out.push_str(&format!(
        "  replicas  {} (pools do not share capacity: a = {:.2} per replica)\n",
        plan.replicas, rec.offered_load
    ));
    out.push_str(&format!(
        "  model     M/M/c (Erlang C){}\n",
        if w.arrival_cv2 == 1.0 && w.hold_cv2 == 1.0 {
            String::new()
        } else {
            format!(
                " with Allen–Cunneen burstiness ca²={} cs²={} (approximate)",
                w.arrival_cv2, w.hold_cv2
            )
        }
    ));
    let t = &plan.targets;
    let mut ts = Vec::new();
    if let Some(d) = t.p99_wait {
        ts.push(format!("p99 wait ≤ {}", format_duration(d)));
    }
    if let Some(p) = t.p_wait {
        ts.push(format!("P(wait) ≤ {p}"));
    }
    if let Some(u) = t.utilization {
        ts.push(format!("utilization ≤ {u}"));
    }
    if let Some((d, e)) = t.timeout {
        ts.push(format!("P(timeout {}) ≤ {e}", format_duration(d)));
    }
    out.push_str(&format!("  targets   {}\n\n", ts.join(", ")));

    let with_timeout = plan.acquire_timeout.is_some();
    out.push_str(&format!(
        "   {:>6}  {:>11}  {:>8}  {:>10}  {:>10}  {:>10}{}\n",
        "pool",
        "utilization",
        "P(wait)",
        "mean ms",
        "p95 ms",
        "p99 ms",
        if with_timeout {
            format!("  {:>10}", "P(timeout)")
        } else {
            String::new()
        }
    ));
    let mut previous: Option<u32> = None;
    for r in rows {
        // Rows between an unstable size and the window around the recommendation are left
        // out; say so instead of letting the pool column jump silently.
        if let Some(p) = previous.filter(|&p| r.pool > p + 1) {
            let (from, to) = (p + 1, r.pool - 1);
            let which = if from == to {
                format!("pool {from}")
            } else {
                format!("pools {from}–{to}")
            };
            out.push_str(&format!("   {:>6}  {which} not shown\n", "⋮"));
        }
        previous = Some(r.pool);
        let mark = if r.pool == rec.per_pool { "►" } else { " " };
        match &r.queue {
            Queue::Stable(m) => out.push_str(&format!(
                " {mark} {:>6}  {:>11.3}  {:>8}  {:>10}  {:>10}  {:>10}{}\n",
                r.pool,
                m.utilization,
                crate::core::text::probability(m.p_wait),
                fmt_ms(m.mean_wait()),
                fmt_ms(m.wait_quantile(0.95)),
                fmt_ms(m.wait_quantile(0.99)),
                plan.acquire_timeout.map_or(String::new(), |t| format!(
                    "  {:>10}",
                    crate::core::text::probability(m.p_timeout(t))
                ))
            )),
            // Utilization past 1 means nothing for a queue that never settles.
            Queue::Unstable { offered_load, .. } => out.push_str(&format!(
                " {mark} {:>6}  {:>11}  pool ≤ offered load {:.2}: waits grow without bound\n",
                r.pool, "unstable", offered_load
            )),
        }
    }
    out.push('\n');
    out.push_str(&crate::size::chart::terminal(rows, rec.per_pool));
    out
}
