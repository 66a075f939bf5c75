//! PC301 (unstable), PC302 (targets missed) and PC303 (far larger than needed): a configured
//! pool judged against the service's declared workload with Erlang C.

use crate::capacity::erlang::Queue;
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::{Context, Param};
use crate::model::Service;

fn cite(f: Finding, svc: &Service) -> Finding {
    let mut f = f.service(&svc.name);
    if let Some(m) = &svc.pool.max {
        f = f.cite(
            &m.origin,
            format!(
                "pool max {}",
                svc.pool.per_process().map_or("?".into(), |v| v.to_string())
            ),
        );
    }
    f.cite(
        &svc.replicas.origin,
        format!("{} pods share the load", svc.replicas.value),
    )
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let Some(q) = crate::capacity::service::evaluate(svc) else {
            continue;
        };
        let a = q.offered_load_per_pool();
        let needed = q
            .assessment
            .needed
            .map_or("more than 10000".to_string(), |n| n.to_string());
        match (&q.assessment.queue, q.assessment.missed.is_empty()) {
            (Queue::Unstable { .. }, _) => out.push(cite(
                Finding::new(
                    Code::PC301,
                    format!(
                        "service `{}`'s pool of {} cannot keep up: {} req/s put a = {a:.2} busy connections on each of its {} pools (Little's law), utilization {:.2} ≥ 1, so the acquire queue grows without bound",
                        svc.name, q.pool, q.rps, q.pools, a / f64::from(q.pool)
                    ),
                    format!("raise the pool to {needed} per process (poolcheck size gives the table), add replicas, or make queries faster"),
                ),
                svc,
            )),
            (Queue::Stable(_), false) => out.push(cite(
                Finding::new(
                    Code::PC302,
                    format!("service `{}`'s pool of {} misses its targets under {} req/s: {}", svc.name, q.pool, q.rps, q.assessment.missed.join(", ")),
                    format!("raise the pool to {needed} per process"),
                ),
                svc,
            )),
            _ => {}
        }
        let factor = ctx.param(Param::OversizeFactor);
        if let (Queue::Stable(_), Some(n)) = (&q.assessment.queue, q.assessment.needed) {
            if f64::from(q.pool) > factor * f64::from(n) {
                let server = &ctx.fleet.servers[svc.server];
                let cores = server.cores.as_ref().map_or(String::new(), |c| {
                    format!("; the database has {} cores, and more than a few active connections per core only queue inside it", c.value)
                });
                let mut f = cite(
                    Finding::new(
                        Code::PC303,
                        format!(
                            "service `{}`'s pool of {} is more than {factor}× what its load needs ({n} per process for {} req/s){cores}",
                            svc.name, q.pool, q.rps
                        ),
                        format!("lower the pool toward {n} and leave the slots to services that need them"),
                    ),
                    svc,
                );
                if let Some(c) = &server.cores {
                    f = f.cite(&c.origin, format!("{} cores", c.value));
                }
                out.push(f);
            }
        }
    }
    out
}
