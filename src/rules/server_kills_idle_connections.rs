//! PC404: the server's idle_session_timeout kills connections the pool still keeps.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::units::format_duration;
use crate::input::dialects::Timeout;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, server) in ctx.fleet.servers.iter().enumerate() {
        let Some(kill) = &server.idle_session_timeout else {
            continue;
        };
        if kill.value.is_zero() {
            continue;
        }
        for svc in ctx.services_of(i) {
            let candidates = [
                ("idle timeout", &svc.pool.idle_timeout),
                ("max lifetime", &svc.pool.max_lifetime),
            ];
            let longer: Vec<_> = candidates
                .iter()
                .filter_map(|(what, t)| t.as_ref().map(|t| (what, t)))
                .filter(|(_, t)| match t.value {
                    Timeout::Infinite => true,
                    Timeout::Finite(d) => d > kill.value,
                })
                .collect();
            let Some((what, t)) = longer.first() else {
                continue;
            };
            let shown = match t.value {
                Timeout::Infinite => "infinite".to_string(),
                Timeout::Finite(d) => format_duration(d),
            };
            out.push(
                Finding::new(
                    Code::PC404,
                    format!(
                        "server `{}` kills sessions idle for {} (idle_session_timeout) but service `{}` keeps idle connections for up to {shown} ({what})",
                        server.name,
                        format_duration(kill.value),
                        svc.name
                    ),
                    format!("set the pool's {what} below {}, or raise idle_session_timeout on the server", format_duration(kill.value)),
                )
                .cite(&t.origin, format!("{what} {shown}"))
                .cite(&kill.origin, format!("idle_session_timeout {}", format_duration(kill.value)))
                .service(&svc.name)
                .server(&server.name),
            );
        }
    }
    out
}
