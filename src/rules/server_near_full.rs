//! PC403: the live server already has few free slots.

use super::Context;
use crate::finding::Finding;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let min_free = ctx.param("PC403", "min_free_percent");
    let mut out = Vec::new();
    for server in &ctx.fleet.servers {
        let (Some(used), Some(usable)) = (&server.other_usage, server.usable()) else {
            continue;
        };
        if usable == 0 {
            continue;
        }
        let free = i64::from(usable) - i64::from(used.value);
        let pct = free as f64 * 100.0 / f64::from(usable);
        if pct >= min_free {
            continue;
        }
        let f = Finding::new(
            "PC403",
            format!(
                "server `{}` already has {} of {usable} usable slots in use by other applications ({pct:.0}% free, below {min_free}%)",
                server.name, used.value
            ),
            "find who holds the connections (poolcheck probe lists them by application) before deploying more",
        )
        .cite(&used.origin, format!("{} connections in use", used.value))
        .server(&server.name);
        out.push(f);
    }
    out
}
