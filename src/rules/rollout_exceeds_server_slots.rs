//! PC102: demand during a rolling update (peak pods + maxSurge) over the usable slots.

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
        // Steady overload is PC101's; this rule is about what only a deploy adds.
        if (cap.demand as i64) > available || (cap.demand_rollout as i64) <= available {
            continue;
        }
        let mut message = format!(
            "during a rolling update the fleet can open {} connections ({} steady + surge pods) but server `{}` has {} usable slots",
            cap.demand_rollout, cap.demand, cap.server, available
        );
        if let Some(r) = cap.engine.refusal() {
            message.push_str(&format!(
                "; {} refuses the rest with `{r}`",
                cap.engine.name()
            ));
        }
        let biggest = cap.biggest(true);
        let help = match biggest.and_then(|s| clean_pool(ctx, cap, s).map(|n| (s, n))) {
            Some((s, n)) => format!(
                "lower maxSurge (e.g. maxSurge: 0 with maxUnavailable: 1), or lower {}'s pool max to {n} or less per process",
                s.name
            ),
            None => "lower maxSurge or the pool sizes so old and new pods fit together".into(),
        };
        out.push(cite_capacity(
            Finding::new(Code::PC102, message, help),
            ctx,
            i,
            true,
        ));
    }
    out
}
