//! PC508: a service sets session state on every new connection (ActiveRecord `variables:` and
//! `schema_search_path`, libpq / pgJDBC `options=-c …`, PGOPTIONS, HikariCP
//! `connectionInitSql`) through a pooler in transaction or statement mode: the next transaction
//! may run on a server connection that never had the setting, or one that has another
//! client's. PgBouncer keeps only the startup parameters it tracks; for the rest "SET/RESET"
//! is "Never" supported (<https://www.pgbouncer.org/features.html>). What the other poolers
//! carry over is src/model/pooler_session.rs's.

use super::common::{cite_route, sharing_pooler};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::pooler_session::Startup;
use crate::model::PoolerKind;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        if svc.pool.session_settings.is_empty() {
            continue;
        }
        let Some((p, mode, keeps)) = sharing_pooler(ctx, svc) else {
            continue;
        };
        for s in &svc.pool.session_settings {
            let lost: Vec<&str> = s
                .params
                .iter()
                .map(String::as_str)
                .filter(|n| {
                    // A tracked parameter is restored however it was set: the server reports
                    // its changes (ParameterStatus) and the pooler records them per client.
                    if let Startup::Tracked(t) = &keeps.startup {
                        if t.iter().any(|t| t == n) {
                            return false;
                        }
                    }
                    if s.startup {
                        matches!(keeps.startup, Startup::Tracked(_))
                    } else {
                        !keeps.sql_set
                    }
                })
                .collect();
            if lost.is_empty() {
                continue;
            }
            // PgBouncer refuses a startup parameter it does not track, or drops it when
            // ignore_startup_parameters lists it; pgcat does not restore it on the next server
            // connection; a SET holds on one server connection only.
            let (message, help) = if s.startup {
                let fate = match p.kind {
                    PoolerKind::Pgbouncer => "refuses or drops",
                    _ => "does not restore per transaction",
                };
                (
                    format!(
                        "`{}` sends {} at startup, which `{}` {fate}",
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
