//! PC203: minimum idle above the pool max.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let (Some(min), Some(max)) = (&svc.pool.min, &svc.pool.max) else {
            continue;
        };
        let Some(m) = max.value.count() else { continue };
        if min.value <= m {
            continue;
        }
        out.push(
            Finding::new(
                Code::PC203,
                format!(
                    "service `{}`'s pool minimum {} is above its maximum {m}",
                    svc.name, min.value
                ),
                format!("set the minimum to {m} or less, or raise the maximum"),
            )
            .cite(&min.origin, format!("min {}", min.value))
            .cite(&max.origin, format!("max {m}"))
            .service(&svc.name),
        );
    }
    out
}
