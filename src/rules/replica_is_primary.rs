//! PC505: a pooler's "replica" entry is its primary's host and port. It adds no read
//! capacity, and the pooler opens a pool of its own for it on the same server.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &ctx.fleet.poolers {
        for r in p.servers.iter().filter(|s| s.role == "replica") {
            let Some(primary) = p
                .servers
                .iter()
                .find(|s| s.role == "primary" && s.cluster == r.cluster && s.shard == r.shard)
            else {
                continue;
            };
            if primary.address != r.address {
                continue;
            }
            let message = format!(
                "pooler `{}`: the replica of `{}` shard {} is {}, the primary itself: it adds no read capacity and opens pools of its own on that server",
                p.name, r.cluster, r.shard, r.address
            );
            let help = "point the entry at the replica's own host and port, or remove it";
            out.push(
                Finding::new(Code::PC505, message, help)
                    .cite(&r.origin, "replica")
                    .cite(&primary.origin, "primary at the same address"),
            );
        }
    }
    out
}
