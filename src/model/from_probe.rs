//! Live facts from a probe, applied to the model's servers through the precedence table: a
//! probe beats poolcheck.toml and the files, and loses to flags and `--set`.

use crate::core::error::{ToolError, ToolResult};
use crate::core::origin::{Origin, Sourced};
use crate::input::config;
use crate::model::overrides::put;
use crate::model::{Fleet, Server};

/// `--probe URL` (one server) or `probe = "…"` per server: live facts replace the configured
/// ones and carry the probe as their origin.
pub fn apply(fleet: &mut Fleet, probe: Option<&str>, cfg: &config::Config) -> ToolResult<()> {
    if probe.is_some() && fleet.servers.len() > 1 {
        return Err(ToolError::new(
            "--probe URL needs a single server, and poolcheck.toml defines several",
        )
        .with_help("set probe = \"postgres://…\" under each [servers.NAME] instead"));
    }
    for i in 0..fleet.servers.len() {
        let name = fleet.servers[i].name.clone();
        let url = probe
            .map(String::from)
            .or_else(|| cfg.servers.get(&name).and_then(|s| s.probe.clone()));
        let Some(url) = url else { continue };
        let services: Vec<&crate::model::Service> =
            fleet.services.iter().filter(|s| s.server == i).collect();
        let mut roles: Vec<String> = services
            .iter()
            .filter_map(|s| s.effective_role().map(String::from))
            .collect();
        let mut dbs: Vec<String> = services
            .iter()
            .filter_map(|s| s.effective_database().map(String::from))
            .collect();
        roles.sort();
        roles.dedup();
        dbs.sort();
        dbs.dedup();
        let service_names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
        if crate::db::mysql::connect::is_mysql_url(Some(&url)) {
            let facts =
                crate::db::mysql::probe_blocking(Some(&url), std::time::Duration::from_secs(5))?;
            super::from_probe_mysql::apply_facts(&mut fleet.servers[i], &facts, &roles);
            continue;
        }
        if crate::db::redis::connect::is_redis_url(&url) {
            let facts =
                crate::db::redis::probe_blocking(Some(&url), std::time::Duration::from_secs(5))?;
            apply_redis_facts(&mut fleet.servers[i], &facts, &service_names);
            continue;
        }
        let facts = crate::db::postgres::probe_blocking(
            Some(&url),
            std::time::Duration::from_secs(5),
            &roles,
            &dbs,
        )?;
        apply_facts(&mut fleet.servers[i], &facts, &service_names);
    }
    Ok(())
}

pub fn apply_facts(server: &mut Server, f: &crate::db::postgres::ServerFacts, own_apps: &[String]) {
    let at = |what: &str| Origin::Probe {
        what: what.to_string(),
    };
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    put(
        &mut server.max_connections,
        Sourced::new(n(f.max_connections), at("max_connections")),
    );
    put(
        &mut server.superuser_reserved,
        Sourced::new(
            n(f.superuser_reserved_connections),
            at("superuser_reserved_connections"),
        ),
    );
    if f.reserved_connections > 0 {
        put(
            &mut server.reserved_connections,
            Sourced::new(n(f.reserved_connections), at("reserved_connections")),
        );
    }
    let server_reserve = n(f.superuser_reserved_connections + f.reserved_connections);
    if let Some(total) = &server.reserved_total {
        // A configured total reserve may not be smaller than what the server itself reserves.
        if total.value < server_reserve {
            server.reserved_total = Some(Sourced::new(
                server_reserve,
                at("superuser_reserved_connections + reserved_connections"),
            ));
        }
    }
    // Sessions of this fleet's own services (by application_name) and of poolcheck itself are
    // not "other applications".
    let others: i64 = f
        .connections
        .iter()
        .filter(|c| {
            !c.application.starts_with("poolcheck") && !own_apps.iter().any(|a| a == &c.application)
        })
        .map(|c| c.count)
        .sum();
    server.other_usage = Some(Sourced::new(
        u32::try_from(others).unwrap_or(u32::MAX),
        at("pg_stat_activity"),
    ));
    let own = (f.role.name.clone(), f.role.connection_limit);
    let others = f
        .other_roles
        .iter()
        .map(|r| (r.name.clone(), r.connection_limit));
    let roles = std::iter::once(own).chain(others);
    replace_limits(&mut server.role_limits, roles, "pg_roles.rolconnlimit");
    let own = (f.database.name.clone(), f.database.connection_limit);
    let others = f
        .other_databases
        .iter()
        .map(|d| (d.name.clone(), d.connection_limit));
    let dbs = std::iter::once(own).chain(others);
    replace_limits(&mut server.database_limits, dbs, "pg_database.datconnlimit");
    if let Some(ms) = f
        .settings
        .idle_session_timeout
        .as_ref()
        .and_then(|s| s.ms)
        .filter(|ms| *ms > 0)
    {
        server.idle_session_timeout = Some(Sourced::new(
            std::time::Duration::from_millis(ms as u64),
            at("idle_session_timeout"),
        ));
    }
}

/// Live CONNECTION LIMITs replace the configured ones of the same name (-1 is unlimited).
fn replace_limits(
    limits: &mut Vec<(String, Sourced<Option<u32>>)>,
    live: impl Iterator<Item = (String, Option<i32>)>,
    column: &str,
) {
    for (name, limit) in live {
        limits.retain(|(n, _)| n != &name);
        let value = limit.map(|x| u32::try_from(x).unwrap_or(0));
        let origin = Origin::Probe {
            what: format!("{column} of {name}"),
        };
        limits.push((name, Sourced::new(value, origin)));
    }
}

/// A Redis probe: maxclients is the server's connection limit (Redis reserves no slots),
/// `timeout` closes idle clients, and every client not of this fleet (by CLIENT SETNAME) nor
/// of poolcheck is another application's.
pub fn apply_redis_facts(
    server: &mut Server,
    f: &crate::db::redis::RedisFacts,
    own_apps: &[String],
) {
    let at = |what: &str| Origin::Probe {
        what: what.to_string(),
    };
    server.engine = crate::core::engine::Engine::Redis;
    server.engine_origin = Some(at("INFO server"));
    if let Some(m) = &f.maxclients {
        put(
            &mut server.max_connections,
            Sourced::new(u32::try_from(m.value).unwrap_or(0), at(&m.source)),
        );
    }
    let others: i64 = match &f.clients {
        Some(groups) => groups
            .iter()
            .filter(|g| !g.name.starts_with("poolcheck") && !own_apps.iter().any(|a| a == &g.name))
            .map(|g| g.count)
            .sum::<i64>(),
        // Without CLIENT LIST every other client counts as another application's.
        None => f.in_use,
    } + f.cluster_connections;
    let source = if f.clients.is_some() {
        "CLIENT LIST"
    } else {
        "INFO clients connected_clients"
    };
    server.other_usage = Some(Sourced::new(
        u32::try_from(others.max(0)).unwrap_or(u32::MAX),
        at(source),
    ));
    if let Some(s) = f.timeout_s.filter(|s| *s > 0) {
        server.idle_session_timeout = Some(Sourced::new(
            std::time::Duration::from_secs(s as u64),
            at("CONFIG GET timeout"),
        ));
    }
}
