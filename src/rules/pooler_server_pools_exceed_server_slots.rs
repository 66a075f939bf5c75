//! PC501: the server-side pools of the poolers in front of a server, with the services that
//! connect directly, exceed its usable slots.

use super::common::{cite_capacity, pooler_share};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, cap) in ctx.capacity.iter().enumerate() {
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
                    p.name, p.server_demand, p.replicas, p.server_per_instance
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
        let help = format!(
            "lower default_pool_size or reserve_pool_size, set max_db_connections, run fewer pooler instances, or raise max_connections: {over} too many"
        );
        out.push(cite_capacity(
            Finding::new(Code::PC501, message, help),
            ctx,
            i,
            false,
        ));
    }
    out
}
