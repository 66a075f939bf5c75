//! PC205 (MySQL / MariaDB `wait_timeout`) and PC206 (Redis `timeout`): the server closes
//! connections idle this long, and the pool keeps connections idle at least as long, so it
//! hands out connections the server has already closed.

use crate::core::code::Code;
use crate::core::engine::Engine;
use crate::core::finding::Finding;
use crate::core::units::format_duration;
use crate::input::dialects::Timeout;
use crate::lint::Context;
use crate::model::{Server, Sourced};
use std::time::Duration;

pub fn check_mysql(ctx: &Context<'_>) -> Vec<Finding> {
    check(ctx, Code::PC205, |s| {
        matches!(s.engine, Engine::Mysql | Engine::Mariadb)
            .then_some(s.wait_timeout.as_ref())
            .flatten()
            .map(|t| {
                (
                    t,
                    "wait_timeout",
                    "\"MySQL server has gone away\" / \"Communications link failure\"",
                )
            })
    })
}

pub fn check_redis(ctx: &Context<'_>) -> Vec<Finding> {
    check(ctx, Code::PC206, |s| {
        (s.engine == Engine::Redis)
            .then_some(s.redis_timeout.as_ref())
            .flatten()
            .map(|t| {
                (
                    t,
                    "timeout",
                    "connection reset / \"Connection closed by server\"",
                )
            })
    })
}

type Limit<'a> = (&'a Sourced<Duration>, &'static str, &'static str);

fn check<'a>(
    ctx: &Context<'a>,
    code: Code,
    limit: impl Fn(&'a Server) -> Option<Limit<'a>>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, server) in ctx.fleet.servers.iter().enumerate() {
        let Some((kill, setting, symptom)) = limit(server) else {
            continue;
        };
        // 0 is "never" for Redis' timeout; MySQL does not accept it.
        if kill.value.is_zero() {
            continue;
        }
        for svc in ctx.services_of(i).filter(|s| s.via.is_none()) {
            // An idle connection lives until the idle timeout, except the ones a pool keeps
            // as its minimum (HikariCP's minimumIdle defaults to the pool size), which live
            // until max lifetime.
            let keeps_min = svc
                .pool
                .min
                .as_ref()
                .map_or(svc.pool.library.as_deref() == Some("HikariCP"), |m| {
                    m.value > 0
                });
            let lifetime = keeps_min || svc.pool.idle_timeout.is_none();
            let over = [
                (
                    "max lifetime",
                    svc.pool.max_lifetime.as_ref().filter(|_| lifetime),
                ),
                ("idle timeout", svc.pool.idle_timeout.as_ref()),
            ]
            .into_iter()
            .filter_map(|(what, t)| t.map(|t| (what, t)))
            .find(|(_, t)| match t.value {
                Timeout::Infinite => true,
                Timeout::Finite(d) => d >= kill.value,
            });
            let Some((what, t)) = over else { continue };
            let shown = match t.value {
                Timeout::Infinite => "forever".to_string(),
                Timeout::Finite(d) => format!("for {}", format_duration(d)),
            };
            let k = format_duration(kill.value);
            out.push(
                Finding::new(
                    code,
                    format!(
                        "service `{}` keeps idle connections {shown} ({what}) but {} server `{}` closes them after {k} ({setting}): the pool hands out closed connections ({symptom})",
                        svc.name,
                        server.engine.name(),
                        server.name
                    ),
                    format!(
                        "set the pool's {what} a little below {k} (e.g. 30 s less), or raise {setting} on the server"
                    ),
                )
                .cite(&t.origin, format!("{what} {shown}"))
                .cite(&kill.origin, format!("{setting} {k}"))
                .service(&svc.name)
                .server(&server.name),
            );
        }
    }
    out
}
