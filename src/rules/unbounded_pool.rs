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
            // On MySQL and Redis the same pool ends in their own refusal, named so the user
            // can match it to their logs.
            let engine = ctx.fleet.servers.get(svc.server).map(|s| s.engine);
            let help = match engine.and_then(|e| e.refusal().map(|r| (e, r))) {
                Some((e, r)) => format!(
                    "set an explicit limit that fits the server: under load the pool opens connections until {} answers `{r}`",
                    e.name()
                ),
                None => "set an explicit limit that fits the server (poolcheck size recommends one)".into(),
            };
            out.push(
                Finding::new(
                    Code::PC104,
                    format!(
                        "service `{}` has an unbounded pool: {lib} {what} means no limit",
                        svc.name
                    ),
                    help,
                )
                .cite(&v.origin, format!("{what}: unlimited"))
                .service(&svc.name),
            );
        }
    }
    out
}
