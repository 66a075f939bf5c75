//! PC502: the services behind a pooler can open more client connections at peak than its
//! instances accept (max_client_conn each).

use super::common::{cite_demand, cite_instances};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for cap in ctx.capacity {
        for p in &cap.poolers {
            if p.client_demand <= p.client_capacity || p.services.is_empty() {
                continue;
            }
            // PgBouncer's own refusal text; other poolers word it their own way.
            let refusal = match p.kind {
                crate::core::engine::PoolerKind::Pgbouncer => {
                    "the rest get \"no more connections allowed\""
                }
                crate::core::engine::PoolerKind::Odyssey => "the rest get \"too many connections\"",
                _ => "the rest are refused",
            };
            // Odyssey names the limit client_max; the others' messages keep PgBouncer's name.
            let limit = match p.kind {
                crate::core::engine::PoolerKind::Odyssey => "client_max",
                _ => "max_client_conn",
            };
            let message = format!(
                "services behind pooler `{}` can open {} client connections at peak but its {} {} {} ({limit} {} each); {refusal}",
                p.name,
                p.client_demand,
                crate::core::text::count(p.instances() as usize, "instance"),
                if p.instances() == 1 { "accepts" } else { "accept" },
                p.client_capacity,
                p.max_client_conn
            );
            let need = p.client_demand.div_ceil(u64::from(p.instances().max(1)));
            let key = match p.kind {
                crate::core::engine::PoolerKind::Supavisor => "POOLER_MAX_CLIENT_CONN",
                crate::core::engine::PoolerKind::Odyssey => "client_max",
                _ => "max_client_conn",
            };
            let help = format!(
                "raise {key} to {need} or more (and the pooler's file-descriptor limit with it), add pooler instances, or lower the services' pools"
            );
            let mut f = Finding::new(Code::PC502, message, help);
            for d in &p.services {
                f = cite_demand(f, d, false);
            }
            if let Some(o) = &p.inputs.max_client_conn {
                f = f.cite(o, format!("{limit} {}", p.max_client_conn));
            }
            f = cite_instances(f, p, "");
            out.push(f.server(&cap.server));
        }
        for p in &cap.poolers {
            out.extend(route_limits(p, &cap.server));
        }
    }
    out
}

/// Odyssey: a route's own `client_max` (per instance) below the clients of the services that
/// land in its pool.
fn route_limits(p: &crate::capacity::pooler::PoolerCapacity, server: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in &p.pools {
        let Some((max, origin)) = &d.client_max else {
            continue;
        };
        let accepted = u64::from(*max) * u64::from(p.instances());
        if d.clients <= accepted || d.services.is_empty() {
            continue;
        }
        let pool = format!("{}/{}", d.database, d.user);
        let message = format!(
            "services behind pooler `{}` open {} client connections to route {pool} at peak but its {} accept {accepted} there (client_max {max} each); the rest get \"too many connections\"",
            p.name,
            d.clients,
            crate::core::text::count(p.instances() as usize, "instance"),
        );
        let need = d.clients.div_ceil(u64::from(p.instances().max(1)));
        let help = format!(
            "raise the route's client_max to {need} or more, add pooler instances, or lower the services' pools"
        );
        let mut f = Finding::new(Code::PC502, message, help);
        for &i in &d.services {
            if let Some(s) = p.services.get(i) {
                f = cite_demand(f, s, false);
            }
        }
        f = f.cite(origin, format!("route {pool}: client_max {max}"));
        f = cite_instances(f, p, "");
        out.push(f.server(server));
    }
    out
}
