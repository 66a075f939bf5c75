//! PC101: steady peak demand over the server's usable slots.

use super::common::{cite_capacity, clean_pool};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, cap) in ctx.capacity.iter().enumerate() {
        let Some(available) = cap.available() else {
            continue;
        };
        // Behind a pooler the server's sum has two tiers: PC501 reports it.
        if (cap.demand as i64) <= available || !cap.poolers.is_empty() {
            continue;
        }
        let usable = cap.usable.unwrap_or(0);
        let others = if cap.other_usage > 0 {
            format!(
                ", {} of them already held by other applications",
                cap.other_usage
            )
        } else {
            String::new()
        };
        let mut message = format!(
            "the fleet can open {} connections at peak but server `{}` has {} usable slots ({} {} − {} reserved){others}",
            cap.demand, cap.server, usable, cap.engine.limit_name(), cap.max_connections.unwrap_or(0), cap.reserved
        );
        if let Some(r) = cap.engine.refusal() {
            message.push_str(&format!(
                "; {} refuses the rest with `{r}`",
                cap.engine.name()
            ));
        }
        let biggest = cap.biggest(false);
        // The pooler each engine's operators put in front: PgBouncer, ProxySQL's connection
        // multiplexing (https://proxysql.com/documentation/multiplexing/); Redis has none.
        let pooler = match cap.engine {
            crate::core::engine::Engine::Postgres => ", or put PgBouncer in front",
            crate::core::engine::Engine::Mysql | crate::core::engine::Engine::Mariadb => {
                ", or put ProxySQL in front"
            }
            crate::core::engine::Engine::Redis => "",
        };
        let limit = cap.engine.limit_name();
        let help = match biggest.and_then(|s| clean_pool(ctx, cap, s).map(|n| (s, n))) {
            Some((s, n)) => format!(
                "lower {}'s pool max to {n} or less per process, cap its replicas, raise {limit}{pooler}",
                s.name
            ),
            None => format!("lower the pool sizes or the replicas, raise {limit}{pooler}"),
        };
        out.push(cite_capacity(
            Finding::new(Code::PC101, message, help),
            ctx,
            i,
            false,
        ));
    }
    out
}
