//! `poolcheck size`: recommend a pool per replica from the expected load.

mod chart;

use crate::capacity::erlang::{self, Queue, Workload};
use crate::capacity::search::{self, Targets};
use crate::cli::{Format, SizeArgs};
use crate::core::error::{exit, ToolError, ToolResult};
use crate::core::units::{format_duration, parse_duration};
use serde_json::{json, Value};
use std::time::Duration;

/// The validated inputs.
pub struct Plan {
    pub workload: Workload,
    pub replicas: u32,
    pub targets: Targets,
    pub acquire_timeout: Option<Duration>,
    pub usable: Option<u32>,
    pub max_connections: Option<u32>,
    pub reserved: u32,
    pub queries_per_request: f64,
    pub rps: f64,
    pub per_request_hold: bool,
}

fn bad(msg: impl Into<String>, help: &str) -> ToolError {
    ToolError::new(msg).with_help(help)
}

fn duration_arg(flag: &str, text: &str) -> ToolResult<Duration> {
    parse_duration(text).map_err(|e| {
        bad(
            format!("--{flag}: {e}"),
            "write a duration with its unit, e.g. 40ms, 2s",
        )
    })
}

fn probability(flag: &str, p: f64) -> ToolResult<f64> {
    if p.is_finite() && p > 0.0 && p < 1.0 {
        Ok(p)
    } else {
        Err(bad(
            format!("--{flag} {p}: a probability must be between 0 and 1 (exclusive)"),
            "e.g. 0.05 for 5%",
        ))
    }
}

pub fn plan(args: &SizeArgs) -> ToolResult<Plan> {
    if !args.rps.is_finite() || args.rps < 0.0 {
        return Err(bad(
            format!(
                "--rps {}: requests per second must be a number ≥ 0",
                args.rps
            ),
            "give the fleet's peak requests per second, e.g. --rps 500",
        ));
    }
    if !args.queries_per_request.is_finite() || args.queries_per_request <= 0.0 {
        return Err(bad(
            format!(
                "--queries-per-request {}: must be greater than 0",
                args.queries_per_request
            ),
            "e.g. --queries-per-request 2.5",
        ));
    }
    let hold = duration_arg("query-time", &args.query_time)?;
    if hold.is_zero() {
        return Err(bad(
            "--query-time 0: a query that takes no time needs no pool",
            "give the mean time a connection is held per query, e.g. 40ms",
        ));
    }
    if args.replicas == 0 {
        return Err(bad(
            "--replicas 0: at least one replica serves the load",
            "e.g. --replicas 3",
        ));
    }
    for (flag, v) in [
        ("arrival-cv2", args.arrival_cv2),
        ("hold-cv2", args.hold_cv2),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err(bad(
                format!("--{flag} {v}: a squared coefficient of variation is ≥ 0"),
                "1 means Poisson/exponential; 0 perfectly regular",
            ));
        }
    }
    let mut targets = Targets::default();
    if let Some(t) = &args.target_p99_wait {
        targets.p99_wait = Some(duration_arg("target-p99-wait", t)?);
    }
    if let Some(p) = args.target_wait_probability {
        targets.p_wait = Some(probability("target-wait-probability", p)?);
    }
    if let Some(u) = args.target_utilization {
        if !(u > 0.0 && u <= 1.0) {
            return Err(bad(
                format!("--target-utilization {u}: must be in (0, 1]"),
                "e.g. 0.8",
            ));
        }
        targets.utilization = Some(u);
    }
    let acquire_timeout = args
        .acquire_timeout
        .as_deref()
        .map(|t| duration_arg("acquire-timeout", t))
        .transpose()?;
    if let Some(eps) = args.target_timeout_probability {
        let eps = probability("target-timeout-probability", eps)?;
        let t = acquire_timeout.ok_or_else(|| {
            bad(
                "--target-timeout-probability needs --acquire-timeout",
                "e.g. --acquire-timeout 5s",
            )
        })?;
        targets.timeout = Some((t, eps));
    }
    let targets = targets.or_default();
    // A request that keeps its connection holds it for all its queries.
    let (lambda, hold) = if args.per_request_hold {
        (args.rps, hold.mul_f64(args.queries_per_request))
    } else {
        (args.rps * args.queries_per_request, hold)
    };
    let reserved = args.reserved.unwrap_or(3);
    let usable = args.max_connections.map(|m| m.saturating_sub(reserved));
    Ok(Plan {
        workload: Workload {
            lambda,
            hold,
            arrival_cv2: args.arrival_cv2,
            hold_cv2: args.hold_cv2,
        },
        replicas: args.replicas,
        targets,
        acquire_timeout,
        usable,
        max_connections: args.max_connections,
        reserved,
        queries_per_request: args.queries_per_request,
        rps: args.rps,
        per_request_hold: args.per_request_hold,
    })
}

/// One row of the table.
pub struct Row {
    pub pool: u32,
    pub queue: Queue,
}

fn ms(s: f64) -> f64 {
    s * 1000.0
}

fn rows(plan: &Plan, around: u32) -> Vec<Row> {
    let each = plan.workload.split(plan.replicas);
    let a = each.offered_load();
    let lo = around.saturating_sub(7).max(1);
    let hi = (around + 7).min(search::MAX_POOL);
    let mut pools: Vec<u32> = (lo..=hi).collect();
    // Show where instability starts when the window does not reach it.
    let last_unstable = a.ceil() as u32;
    if last_unstable >= 1 && last_unstable < lo {
        pools.insert(0, last_unstable);
    }
    pools
        .into_iter()
        .map(|c| Row {
            pool: c,
            queue: erlang::analyze(&each, c),
        })
        .collect()
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

pub fn run(args: &SizeArgs) -> ToolResult<u8> {
    let plan = plan(args)?;
    let rec = search::recommend(&plan.workload, plan.replicas, &plan.targets).ok_or_else(|| {
        bad(
            format!(
                "no pool up to {} connections per replica meets the targets",
                search::MAX_POOL
            ),
            "relax the targets, add replicas, or make queries faster",
        )
    })?;
    let fits = plan.usable.map(|u| rec.total <= u64::from(u));
    let rows = rows(&plan, rec.per_pool);
    let each = plan.workload.split(plan.replicas);
    match args.format {
        Format::Json => {
            let v = json!({
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
            });
            outln!(serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Human => out!(human(&plan, &rec, &rows, fits)),
    }
    if let Some(path) = &args.svg {
        let svg = chart::svg(&plan, rec.per_pool);
        std::fs::write(path, svg).map_err(|e| {
            bad(
                format!("cannot write {}: {e}", path.display()),
                "pass a writable path to --svg",
            )
        })?;
    }
    if fits == Some(false) {
        return Err(bad(
            format!(
                "the recommended {} connections ({} per replica × {}) do not fit the server's {} usable slots",
                rec.total,
                rec.per_pool,
                plan.replicas,
                plan.usable.unwrap_or(0)
            ),
            "raise max_connections, put PgBouncer in front, relax the targets, or make queries faster",
        ));
    }
    Ok(exit::CLEAN)
}

fn fmt_p(p: f64) -> String {
    if p == 0.0 {
        "0".into()
    } else {
        format!("{p:.2e}")
    }
}

fn fmt_ms(s: f64) -> String {
    let v = ms(s);
    if v == 0.0 {
        "0".into()
    } else if v < 0.01 {
        format!("{v:.1e}")
    } else {
        format!("{v:.2}")
    }
}

fn human(plan: &Plan, rec: &search::Recommendation, rows: &[Row], fits: Option<bool>) -> String {
    let w = &plan.workload;
    let mut out = String::new();
    out.push_str(&format!(
        "Recommended pool: {} per replica × {} replica{} = {} connections",
        rec.per_pool,
        plan.replicas,
        if plan.replicas == 1 { "" } else { "s" },
        rec.total
    ));
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
    let m = &rec.metrics;
    out.push_str(&format!(
        "  at that size: utilization {:.2}, P(wait) {:.4}, p99 acquire wait {} ms\n\n",
        m.utilization,
        m.p_wait,
        fmt_ms(m.wait_quantile(0.99))
    ));
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
    for r in rows {
        let mark = if r.pool == rec.per_pool { "►" } else { " " };
        match &r.queue {
            Queue::Stable(m) => out.push_str(&format!(
                " {mark} {:>6}  {:>11.3}  {:>8.4}  {:>10}  {:>10}  {:>10}{}\n",
                r.pool,
                m.utilization,
                m.p_wait,
                fmt_ms(m.mean_wait()),
                fmt_ms(m.wait_quantile(0.95)),
                fmt_ms(m.wait_quantile(0.99)),
                plan.acquire_timeout.map_or(String::new(), |t| format!("  {:>10}", fmt_p(m.p_timeout(t))))
            )),
            Queue::Unstable { offered_load, .. } => out.push_str(&format!(
                " {mark} {:>6}  {:>11.3}  unstable: pool ≤ offered load {:.2}, waits grow without bound\n",
                r.pool,
                offered_load / f64::from(r.pool),
                offered_load
            )),
        }
    }
    out.push('\n');
    out.push_str(&chart::terminal(rows, rec.per_pool));
    out
}
