//! PC201: waiting for a connection never times out.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::input::dialects::Timeout;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let Some(t) = &svc.pool.acquire_timeout else {
            continue;
        };
        if t.value != Timeout::Infinite {
            continue;
        }
        let engine = ctx.fleet.servers.get(svc.server).map(|s| s.engine);
        let queue = match engine {
            Some(e) if e != crate::core::engine::Engine::Postgres => {
                format!(" ({} pool, queue unbounded)", e.name())
            }
            _ => String::new(),
        };
        out.push(
            Finding::new(
                Code::PC201,
                format!("service `{}` waits forever for a pool connection: the acquire timeout is infinite{queue}", svc.name),
                "set a finite acquire timeout below your request timeout, e.g. 5–10 s",
            )
            .cite(&t.origin, "infinite acquire timeout")
            .service(&svc.name),
        );
    }
    out
}
