//! A MySQL/MariaDB probe's facts in the model's server, with the engine's slot semantics:
//! every max_connections slot is usable by ordinary accounts (the admin connection is one
//! beyond it), accounts may be capped by MAX_USER_CONNECTIONS or max_user_connections, and
//! wait_timeout closes idle sessions.

use crate::core::engine::Engine;
use crate::core::origin::{Origin, Sourced};
use crate::db::mysql::MyFacts;
use crate::model::Server;

/// Connections the server counts against max_connections: not its own threads.
fn counts(user: &str, command: &str) -> bool {
    user != "system user" && user != "event_scheduler" && command != "Daemon"
}

/// `roles`: the accounts the fleet's own services connect as; their connections are the
/// fleet's, not other applications'.
pub fn apply_facts(server: &mut Server, f: &MyFacts, roles: &[String]) {
    let at = |what: &str| Origin::Probe {
        what: what.to_string(),
    };
    let n = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    server.engine = if f.engine == "MariaDB" {
        Engine::Mariadb
    } else {
        Engine::Mysql
    };
    server.engine_origin = Some(at("VERSION()"));
    crate::model::overrides::put(
        &mut server.max_connections,
        Sourced::new(n(f.max_connections), at("max_connections")),
    );
    // PostgreSQL-style reserves do not exist here: the admin's connection is extra.
    server.superuser_reserved = Some(Sourced::new(
        0,
        at("max_connections (the admin connection is one beyond it)"),
    ));
    server.reserved_connections = None;
    let others: i64 = f
        .connections
        .iter()
        .filter(|c| counts(&c.user, &c.command) && !roles.iter().any(|r| r == &c.user))
        .map(|c| c.count)
        .sum();
    server.other_usage = Some(Sourced::new(
        u32::try_from(others).unwrap_or(u32::MAX),
        at("information_schema.PROCESSLIST"),
    ));
    let mut limits: Vec<(String, Option<u64>, String)> = Vec::new();
    if f.max_user_connections > 0 {
        for r in roles {
            limits.push((
                r.clone(),
                Some(f.max_user_connections),
                "max_user_connections".into(),
            ));
        }
    }
    if let Some(own) = f.account.max_user_connections {
        let (limit, what) = if own > 0 {
            (
                Some(own),
                format!("MAX_USER_CONNECTIONS of {}", f.account.name),
            )
        } else {
            (
                f.account.effective_limit,
                "max_user_connections".to_string(),
            )
        };
        limits.retain(|(u, _, _)| u != &f.account.user);
        limits.push((f.account.user.clone(), limit, what));
    }
    for (user, limit, what) in limits {
        server.role_limits.retain(|(u, _)| u != &user);
        server
            .role_limits
            .push((user, Sourced::new(limit.map(n), Origin::Probe { what })));
    }
    // MariaDB only: MySQL has no such variables (its admin_port is a separate feature).
    if let (Some(port), Some(max)) = (f.extra_port, f.extra_max_connections) {
        server.extra_port = Some(Sourced::new(
            crate::model::ExtraPort {
                port: u16::try_from(port).unwrap_or(0),
                max_connections: n(max),
            },
            at("extra_port, extra_max_connections"),
        ));
    }
    if f.wait_timeout_s > 0 {
        server.idle_session_timeout = Some(Sourced::new(
            std::time::Duration::from_secs(f.wait_timeout_s),
            at("wait_timeout"),
        ));
    }
}
