//! PC502: the services behind a pooler can open more client connections at peak than its
//! instances accept (max_client_conn each).

use super::common::cite_demand;
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
                crate::core::text::count(p.replicas as usize, "instance"),
                if p.replicas == 1 { "accepts" } else { "accept" },
                p.client_capacity,
                p.max_client_conn
            );
            let need = p.client_demand.div_ceil(u64::from(p.replicas.max(1)));
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
            if let Some(o) = &p.inputs.replicas {
                f = f.cite(o, format!("× {} instances", p.replicas));
            }
            out.push(f.server(&cap.server));
        }
    }
    out
}
