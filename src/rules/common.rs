//! Helpers several rules share: labelling every input of a capacity sum, and the pool size
//! that would fit (both read the capacity results), and the pooler a service's session
//! state does not survive (the session rules, PC507–PC510).

use crate::capacity::fleet::{ServerCapacity, ServiceDemand};
use crate::capacity::pooler::PoolerCapacity;
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::{Context, Param};

/// Labels every input of a server's capacity sum: each service's pool max, overflow,
/// processes and pods (and surge during a rollout), and the server's limit and reserve.
pub fn cite_capacity(f: Finding, ctx: &Context<'_>, server: usize, rollout: bool) -> Finding {
    let cap = &ctx.capacity[server];
    let mut f = f;
    for d in &cap.services {
        f = cite_demand(f, d, rollout);
    }
    for p in &cap.poolers {
        f = cite_pooler_server(f, p);
    }
    cite_server(f, cap)
}

/// Labels a pooler's server-side sum: each pool's size and reserve, the caps that bound it,
/// and its instances.
pub fn cite_pooler_server(mut f: Finding, p: &PoolerCapacity) -> Finding {
    let n = &p.name;
    for d in &p.pools {
        let pool = format!("{}/{}", d.database, d.user);
        let size = if d.unbounded {
            format!(
                "{n}: pool {pool} unlimited, {} clients pass through",
                d.pool_size
            )
        } else {
            format!("{n}: pool {pool} {}", d.pool_size)
        };
        f = f.cite(&d.inputs.size, size);
        if d.reserve > 0 {
            f = f.cite(&d.inputs.reserve, format!("{n}: + {} reserve", d.reserve));
        }
    }
    for (o, what) in &p.inputs.caps {
        f = f.cite(o, format!("{n}: {what}"));
    }
    cite_instances(f, p, &format!("{n}: "))
}

/// Labels a pooler's instances: its pods, and with so_reuseport its processes per pod.
pub fn cite_instances(mut f: Finding, p: &PoolerCapacity, prefix: &str) -> Finding {
    match &p.inputs.processes {
        Some(procs) => {
            if let Some(o) = &p.inputs.replicas {
                f = f.cite(o, format!("{prefix}× {} pods", p.replicas));
            }
            f.cite(
                procs,
                format!("{prefix}× {} processes per pod (so_reuseport)", p.processes),
            )
        }
        None => match &p.inputs.replicas {
            Some(o) => f.cite(o, format!("{prefix}× {} instances", p.instances())),
            None => f,
        },
    }
}

/// Labels one service's share of a capacity sum.
pub fn cite_demand(mut f: Finding, d: &ServiceDemand, rollout: bool) -> Finding {
    let n = &d.name;
    if let Some(o) = &d.inputs.pool {
        let max = d.pool_max.map_or("?".into(), |v| v.to_string());
        f = f.cite(
            o,
            format!("{n}: pool max {max}{}", stack_note(d.stack.as_deref())),
        );
    }
    if let Some((o, count)) = &d.inputs.overflow {
        let c = count.map_or("unbounded".into(), |v| v.to_string());
        f = f.cite(o, format!("{n}: overflow {c}"));
    }
    if let Some(o) = &d.inputs.processes {
        if d.processes != 1 || o.location().is_some() {
            f = f.cite(o, format!("{n}: × {} processes per pod", d.processes));
        }
    }
    if let Some(o) = &d.inputs.pods {
        let what = d.inputs.pods_from;
        f = f.cite(o, format!("{n}: × {} pods ({what})", d.peak_pods));
    }
    if rollout {
        if let Some(o) = &d.inputs.surge {
            let s = d.surge_pods;
            f = f.cite(o, format!("{n}: + {s} surge pods during a rolling update"));
        }
    }
    f
}

pub fn cite_server(mut f: Finding, cap: &ServerCapacity) -> Finding {
    let limit = cap.engine.limit_name();
    if let (Some(o), Some(m)) = (&cap.inputs.max_connections, cap.max_connections) {
        f = f.cite(o, format!("{limit} {m}"));
    }
    if let Some(o) = &cap.inputs.reserved {
        f = f.cite(o, format!("{} reserved", cap.reserved));
    }
    if let Some(o) = &cap.inputs.other_usage {
        let n = cap.other_usage;
        f = f.cite(o, format!("{n} connections held by other applications"));
    }
    f.server(&cap.server)
}

/// The largest pool per process for the service `mine` that keeps the server's demand within
/// `available`, the other services unchanged.
pub fn max_pool_that_fits(
    cap: &ServerCapacity,
    mine: &ServiceDemand,
    available: i64,
    rollout: bool,
) -> Option<u32> {
    let demand = |d: &ServiceDemand| if rollout { d.demand_rollout } else { d.demand };
    let others = cap
        .services
        .iter()
        .filter(|d| d.index != mine.index)
        .fold(pooler_share(cap), |a, d| a.saturating_add(demand(d)));
    let pods = u64::from(mine.peak_pods)
        + if rollout {
            u64::from(mine.surge_pods)
        } else {
            0
        };
    let per = u64::from(mine.processes).saturating_mul(pods);
    if per == 0 {
        return None;
    }
    let room = available.saturating_sub(i64::try_from(others).unwrap_or(i64::MAX));
    let room = u64::try_from(room).ok()?;
    (room >= per).then(|| u32::try_from(room / per).unwrap_or(u32::MAX))
}

/// PC103's test: at least `min_pct` percent of the available slots stay free.
pub fn headroom_ok(available: i64, demand: i64, min_pct: f64) -> bool {
    available > 0 && (available - demand) as f64 * 100.0 / available as f64 >= min_pct
}

/// The largest pool per process for `mine` after which none of the capacity rules that are on
/// (PC101 steady fit, PC102 rollout fit, PC103 headroom) fires on this server, the other
/// services unchanged: so a `help:` that names it passes when applied. None when no pool of at
/// least 1 would.
pub fn clean_pool(ctx: &Context<'_>, cap: &ServerCapacity, mine: &ServiceDemand) -> Option<u32> {
    let available = cap.available()?;
    let on = |c: Code| ctx.settings.severity.get(&c) != Some(&None);
    let min_pct = if on(Code::PC103) {
        ctx.param(Param::MinHeadroomPercent)
    } else {
        0.0
    };
    // The largest steady demand that keeps the headroom, exactly as PC103 computes it.
    let mut budget = ((available as f64) * (1.0 - min_pct / 100.0)).floor() as i64;
    budget = budget.clamp(0, available);
    while budget > 0 && !headroom_ok(available, budget, min_pct) {
        budget -= 1;
    }
    while budget < available && headroom_ok(available, budget + 1, min_pct) {
        budget += 1;
    }
    let steady = max_pool_that_fits(cap, mine, budget, false)?;
    let pool = if on(Code::PC102) {
        steady.min(max_pool_that_fits(cap, mine, available, true)?)
    } else {
        steady
    };
    // Demand counts pool + overflow per process (SQLAlchemy's max_overflow); the suggestion
    // is about the pool itself, overflow unchanged.
    let overflow = mine
        .inputs
        .overflow
        .as_ref()
        .and_then(|(_, n)| *n)
        .unwrap_or(0);
    let pool = pool.checked_sub(overflow)?;
    (pool >= 1).then_some(pool)
}

/// What the poolers in front of the server open on it (constant through the services'
/// rollouts).
pub fn pooler_share(cap: &ServerCapacity) -> u64 {
    cap.poolers
        .iter()
        .fold(0u64, |a, p| a.saturating_add(p.server_demand))
}

/// The evidence of a service's stack, for the label at its pool max: ` (Prisma: package.json
/// depends on @prisma/client)`, so a reader sees why those defaults and keys apply.
pub fn stack_note(stack: Option<&str>) -> String {
    stack.map_or(String::new(), |s| format!(" ({s})"))
}

/// The pooler a service goes through, with the pool mode of its (database, user), when that
/// mode hands each transaction to any server connection (transaction, statement) and the
/// pooler does not pin sessions instead: session state does not survive there, except what
/// the pooler carries over ([`crate::model::pooler_session::keeps`]).
pub fn sharing_pooler<'a>(
    ctx: &Context<'a>,
    svc: &crate::model::Service,
) -> Option<(
    &'a crate::model::Pooler,
    &'a crate::model::Sourced<crate::model::PoolMode>,
    crate::model::pooler_session::Keeps,
)> {
    let p = ctx.fleet.poolers.get(svc.via?)?;
    let mode = crate::model::pooler_session::sharing_mode(
        p,
        svc.effective_database(),
        svc.effective_role(),
    )?;
    Some((p, mode, crate::model::pooler_session::keeps(p)?))
}

/// Labels the line that routes a service to the pooler (its URL) and the pool mode.
pub fn cite_route(
    f: Finding,
    svc: &crate::model::Service,
    pooler: &crate::model::Pooler,
    mode: &crate::model::Sourced<crate::model::PoolMode>,
) -> Finding {
    let f = match &svc.pool.server_origin {
        Some(at) => f.cite(at, format!("connects through {}", pooler.name)),
        None => f,
    };
    f.cite(&mode.origin, format!("pool_mode {}", mode.value.word()))
}
