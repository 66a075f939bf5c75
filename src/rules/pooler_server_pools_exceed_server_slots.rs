//! PC501: the server-side pools of the poolers in front of a server, with the services that
//! connect directly, exceed its usable slots.

use super::common::{cite_demand, cite_pooler_server, cite_server, pooler_share};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for cap in ctx.capacity {
        let Some(available) = cap.available() else {
            continue;
        };
        if cap.poolers.is_empty() || (cap.demand as i64) <= available {
            continue;
        }
        let share = pooler_share(cap);
        let direct = cap.demand.saturating_sub(share);
        let tiers: Vec<String> = cap
            .poolers
            .iter()
            .map(|p| {
                format!(
                    "{} {} = {} × {}",
                    p.name,
                    p.server_demand,
                    p.instances(),
                    p.server_per_instance
                )
            })
            .collect();
        let plus = if direct > 0 {
            format!(", plus {direct} from services that connect directly")
        } else {
            String::new()
        };
        let message = format!(
            "poolers in front of server `{}` can open {share} server connections [{}]{plus}, but it has {available} usable slots (max_connections {} − {} reserved)",
            cap.server,
            tiers.join(", "),
            cap.max_connections.unwrap_or(0),
            cap.reserved
        );
        let over = cap.demand as i64 - available;
        // RDS Proxy sizes its pool as a share of max_connections; it has no pool-size keys.
        let all_rds = cap
            .poolers
            .iter()
            .all(|p| p.kind == crate::core::engine::PoolerKind::RdsProxy);
        let any_odyssey = cap
            .poolers
            .iter()
            .any(|p| p.kind == crate::core::engine::PoolerKind::Odyssey);
        let help = if all_rds {
            format!(
                "lower the proxy's max_connections_percent (MaxConnectionsPercent) so that it and the direct services fit, move those services behind the proxy, or raise max_connections: {over} too many"
            )
        } else if any_odyssey {
            // Odyssey sizes each route's pool; its workers share them.
            format!(
                "set or lower pool_size in the pooler's routes (pool_size 0 is no limit), run fewer pooler instances, or raise max_connections: {over} too many"
            )
        } else {
            format!(
                "lower default_pool_size or reserve_pool_size, set max_db_connections, run fewer pooler instances, or raise max_connections: {over} too many"
            )
        };
        // The pooler's pool size is the offending value; the direct services and the server's
        // limit follow.
        let mut f = Finding::new(Code::PC501, message, help);
        for p in &cap.poolers {
            f = cite_pooler_server(f, p);
        }
        for d in &cap.services {
            f = cite_demand(f, d, false);
        }
        out.push(cite_server(f, cap));
    }
    out
}
