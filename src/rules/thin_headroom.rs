//! PC103: the fleet fits, with less headroom than `min_headroom_percent`.

use super::common::{cite_capacity, clean_pool, headroom_ok};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::{Context, Param};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let min_pct = ctx.param(Param::MinHeadroomPercent);
    let mut out = Vec::new();
    for (i, cap) in ctx.capacity.iter().enumerate() {
        let Some(available) = cap.available() else {
            continue;
        };
        let demand = cap.demand as i64;
        if available <= 0 || demand > available || cap.demand == 0 {
            continue;
        }
        if headroom_ok(available, demand, min_pct) {
            continue;
        }
        let free = available - demand;
        let pct = free as f64 * 100.0 / available as f64;
        let message = format!(
            "the fleet fits server `{}` with only {free} of {available} usable slots free ({pct:.1}%, below {min_pct}%)",
            cap.server
        );
        let need = ((available as f64) * (1.0 - min_pct / 100.0)).floor() as i64;
        let biggest = cap.biggest(false);
        let help = match biggest.and_then(|s| clean_pool(ctx, cap, s).map(|n| (s, n))) {
            Some((s, n)) => format!(
                "keep peak demand at {need} or less (now {demand}): lower {}'s pool max to {n} or less per process, or raise max_connections; migrations and consoles need slots too",
                s.name
            ),
            None => format!(
                "keep peak demand at {need} or less (now {demand}) by lowering pool sizes, or raise max_connections; migrations and consoles need slots too"
            ),
        };
        out.push(cite_capacity(
            Finding::new(Code::PC103, message, help),
            ctx,
            i,
            false,
        ));
    }
    out
}
