//! Sizing from the expected load: the validated plan and the table of pool sizes around the
//! recommendation. `app::size` runs it, `report::size` renders it.

pub mod chart;

use crate::capacity::erlang::{self, Queue, Workload};
use crate::capacity::search::{self, Targets};
use crate::cli::SizeArgs;
use crate::core::error::{ToolError, ToolResult};
use crate::core::units::parse_duration;
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
    /// A pooler in transaction or statement mode between the replicas and the server.
    pub pooler: Option<PoolerPlan>,
}

/// The server side of a pooler in transaction or statement mode: the server connections are
/// busy only while a transaction (or statement) runs, so they are sized from that, over the
/// pooler's instances; the replicas' pools are then client connections to the pooler.
#[derive(Debug, Clone)]
pub struct PoolerPlan {
    pub mode: &'static str,
    pub workload: Workload,
    pub instances: u32,
    pub per_request: f64,
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
    let pooler = pooler_plan(args, hold)?;
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
        pooler,
    })
}

/// `--pool-mode`: None for no pooler and for session mode (a client keeps its server
/// connection, so the server sees what the replicas open and the direct sizing stands).
fn pooler_plan(args: &SizeArgs, query_hold: Duration) -> ToolResult<Option<PoolerPlan>> {
    use crate::cli::SizePoolMode;
    let Some(mode) = args.pool_mode else {
        if args.transaction_time.is_some() {
            return Err(bad(
                "--transaction-time needs --pool-mode transaction",
                "add --pool-mode transaction (a PgBouncer or pgcat in transaction mode)",
            ));
        }
        return Ok(None);
    };
    if args.poolers == 0 {
        return Err(bad(
            "--poolers 0: at least one pooler instance serves the load",
            "e.g. --poolers 2 for two PgBouncer pods",
        ));
    }
    let tpr = args.transactions_per_request;
    if !tpr.is_finite() || tpr <= 0.0 {
        return Err(bad(
            format!("--transactions-per-request {tpr}: must be greater than 0"),
            "e.g. --transactions-per-request 2",
        ));
    }
    let (mode, per_request, hold) = match mode {
        SizePoolMode::Session => return Ok(None),
        SizePoolMode::Transaction => {
            let t = args.transaction_time.as_deref().ok_or_else(|| {
                bad(
                    "--pool-mode transaction needs --transaction-time",
                    "give the mean time a transaction holds its server connection, e.g. 15ms",
                )
            })?;
            let t = duration_arg("transaction-time", t)?;
            if t.is_zero() {
                return Err(bad(
                    "--transaction-time 0: a transaction that takes no time needs no pool",
                    "e.g. --transaction-time 15ms",
                ));
            }
            ("transaction", tpr, t)
        }
        // Each statement is its own transaction: the server is held per query.
        SizePoolMode::Statement => ("statement", args.queries_per_request, query_hold),
    };
    Ok(Some(PoolerPlan {
        mode,
        workload: Workload {
            lambda: args.rps * per_request,
            hold,
            arrival_cv2: args.arrival_cv2,
            hold_cv2: args.hold_cv2,
        },
        instances: args.poolers,
        per_request,
    }))
}

/// One row of the table.
pub struct Row {
    pub pool: u32,
    pub queue: Queue,
}

/// Milliseconds from seconds.
pub fn ms(s: f64) -> f64 {
    s * 1000.0
}

pub fn rows(plan: &Plan, around: u32) -> Vec<Row> {
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
