//! PC508: a service sets session state on every new connection (ActiveRecord `variables:` and
//! `schema_search_path`, libpq / pgJDBC `options=-c …`, PGOPTIONS, HikariCP
//! `connectionInitSql`) through a PgBouncer in transaction or statement mode. PgBouncer keeps
//! only the startup parameters it tracks; for the rest "SET/RESET" is "Never" supported
//! (<https://www.pgbouncer.org/features.html>): the next transaction may run on a server
//! connection that never had the setting, or one that has another client's.

use super::common::{cite_route, sharing_pgbouncer};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::input::formats::pgbouncer;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let tracked = &pgbouncer::data().pgbouncer.tracked_parameters;
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        if svc.pool.session_settings.is_empty() {
            continue;
        }
        let Some((p, mode)) = sharing_pgbouncer(ctx, svc) else {
            continue;
        };
        for s in &svc.pool.session_settings {
            let lost: Vec<&str> = s
                .params
                .iter()
                .map(String::as_str)
                .filter(|n| !tracked.iter().any(|t| t == n))
                .filter(|n| !p.settings.track_extra_parameters.iter().any(|t| t == n))
                .collect();
            if lost.is_empty() {
                continue;
            }
            // PgBouncer refuses a startup parameter it does not track, or drops it when
            // ignore_startup_parameters lists it; a SET holds on one server connection only.
            let (message, help) = if s.startup {
                (
                    format!(
                        "`{}` sends {} at startup, which `{}` refuses or drops",
                        svc.name,
                        lost.join(", "),
                        p.name
                    ),
                    "set it for the role on the server (ALTER ROLE … SET) instead",
                )
            } else {
                (
                    format!(
                        "`{}` sets {} on connect, lost in `{}`'s {} mode",
                        svc.name,
                        lost.join(", "),
                        p.name,
                        mode.value.word()
                    ),
                    "set it for the role on the server (ALTER ROLE … SET), or use session mode",
                )
            };
            let f = Finding::new(Code::PC508, message, help)
                .cite(&s.origin, format!("{} sets {}", s.key, lost.join(", ")));
            out.push(cite_route(f, svc, p, mode).service(&svc.name));
        }
    }
    out
}
