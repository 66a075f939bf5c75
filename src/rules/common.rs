//! Helpers several rules share: labelling every input of a capacity sum, and the pool size
//! that would fit.

use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::Service;

/// Labels every input of a server's capacity sum: each service's pool max, processes and pods,
/// and the server's max_connections and reserve.
pub fn cite_capacity(mut f: Finding, ctx: &Context<'_>, server: usize, rollout: bool) -> Finding {
    for svc in ctx.services_of(server) {
        let d = crate::capacity::fleet::service_demand(svc);
        if let Some(max) = &svc.pool.max {
            f = f.cite(
                &max.origin,
                format!(
                    "{}: pool max {}",
                    svc.name,
                    d.pool_max.map_or("?".into(), |v| v.to_string())
                ),
            );
        }
        if let Some(o) = &svc.pool.overflow {
            f = f.cite(
                &o.origin,
                format!(
                    "{}: overflow {}",
                    svc.name,
                    o.value
                        .count()
                        .map_or("unbounded".into(), |v| v.to_string())
                ),
            );
        }
        if svc.processes.value != 1 || svc.processes.origin.location().is_some() {
            f = f.cite(
                &svc.processes.origin,
                format!("{}: × {} processes per pod", svc.name, svc.processes.value),
            );
        }
        let peak = svc.peak_pods();
        let what = if svc.hpa_max.is_some() {
            "HPA maxReplicas"
        } else {
            "replicas"
        };
        f = f.cite(
            &peak.origin,
            format!("{}: × {} pods ({what})", svc.name, peak.value),
        );
        if rollout {
            f = f.cite(
                &svc.surge.origin,
                format!(
                    "{}: + {} surge pods during a rolling update",
                    svc.name,
                    svc.surge_pods()
                ),
            );
        }
    }
    let s = &ctx.fleet.servers[server];
    if let Some(m) = &s.max_connections {
        f = f.cite(&m.origin, format!("max_connections {}", m.value));
    }
    let r = s.reserved();
    f = f.cite(&r.origin, format!("{} reserved", r.value));
    if let Some(o) = &s.other_usage {
        f = f.cite(
            &o.origin,
            format!("{} connections held by other applications", o.value),
        );
    }
    f.server(&s.name)
}

/// The largest pool per process for `svc` that keeps the server's demand within `available`,
/// given the other services unchanged.
pub fn max_pool_that_fits(
    ctx: &Context<'_>,
    server: usize,
    svc: &Service,
    available: i64,
    rollout: bool,
) -> Option<u32> {
    let cap = &ctx.capacity[server];
    let mine = cap.services.iter().find(|d| d.name == svc.name)?;
    let others: i64 = cap
        .services
        .iter()
        .filter(|d| d.name != svc.name)
        .map(|d| if rollout { d.demand_rollout } else { d.demand } as i64)
        .sum();
    let pods = i64::from(mine.peak_pods + if rollout { mine.surge_pods } else { 0 });
    let per = i64::from(mine.processes) * pods;
    if per == 0 {
        return None;
    }
    let room = available - others;
    (room >= per).then(|| (room / per) as u32)
}
