//! PC104: a pool without an upper limit.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::PoolMax;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        for (what, v) in [
            ("pool max", &svc.pool.max),
            ("max_overflow", &svc.pool.overflow),
        ] {
            let Some(v) = v else { continue };
            if v.value != PoolMax::Unbounded {
                continue;
            }
            let lib = svc.pool.library.as_deref().unwrap_or("the library");
            out.push(
                Finding::new(
                    Code::PC104,
                    format!(
                        "service `{}` has an unbounded pool: {lib} {what} means no limit",
                        svc.name
                    ),
                    "set an explicit limit that fits the server (poolcheck size recommends one)",
                )
                .cite(&v.origin, format!("{what}: unlimited"))
                .service(&svc.name),
            );
        }
    }
    out
}
