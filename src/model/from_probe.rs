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
    // `--probe` at PgBouncer's admin console is about the pooler, not a server.
    let (probe, pooler_probe) = match probe {
        Some(url) if crate::db::pgbouncer::is_admin_console(Some(url)) => (None, Some(url)),
        other => (other, None),
    };
    apply_poolers(fleet, pooler_probe, cfg)?;
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

/// `--probe` at an admin console (one pooler) or `probe = "…"` per pooler: PgBouncer's live
/// SHOW CONFIG and SHOW VERSION replace the configured settings, labelled as live.
fn apply_poolers(fleet: &mut Fleet, probe: Option<&str>, cfg: &config::Config) -> ToolResult<()> {
    if probe.is_some() && fleet.poolers.len() != 1 {
        return Err(ToolError::new(format!(
            "--probe names PgBouncer's admin console, and poolcheck.toml declares {} poolers",
            fleet.poolers.len()
        ))
        .with_help(
            "declare the pooler under [poolers.NAME] (one), or set probe = \"postgres://…/pgbouncer\" \
             under each [poolers.NAME]",
        ));
    }
    for pooler in &mut fleet.poolers {
        let url = probe
            .map(String::from)
            .or_else(|| cfg.poolers.get(&pooler.name).and_then(|p| p.probe.clone()));
        let Some(url) = url else { continue };
        if pooler.kind != crate::model::pooler::PoolerKind::Pgbouncer {
            return Err(ToolError::new(format!(
                "pooler `{}` is {}, and only PgBouncer's admin console can be probed",
                pooler.name,
                pooler.kind.name()
            ))
            .with_help("remove probe for this pooler, and keep its settings in its files"));
        }
        if !crate::db::pgbouncer::is_admin_console(Some(&url)) {
            return Err(ToolError::new(format!(
                "probe for pooler `{}` must name PgBouncer's admin console (database `pgbouncer`)",
                pooler.name
            ))
            .with_help("write probe = \"postgres://USER@HOST:6432/pgbouncer\", USER in admin_users or stats_users"));
        }
        let facts =
            crate::db::pgbouncer::probe_blocking(Some(&url), std::time::Duration::from_secs(5))?;
        apply_pooler_facts(pooler, &facts)?;
    }
    Ok(())
}

/// PgBouncer's live settings over the configured ones; a value it reports that poolcheck
/// cannot read is a tool error naming it (the live server is not a file to lint).
pub fn apply_pooler_facts(
    pooler: &mut crate::model::pooler::Pooler,
    f: &crate::db::pgbouncer::PoolerFacts,
) -> ToolResult<()> {
    use crate::core::units::Timeout;
    use crate::model::overrides::put_value;
    use crate::model::pooler::PoolMode;
    let at = |key: &str| Origin::Probe {
        what: format!("PgBouncer {key}"),
    };
    let bad = |key: &str, v: &str| {
        ToolError::new(format!(
            "pooler `{}` reports {key} = {v:?}, which poolcheck cannot read",
            pooler.name
        ))
        .with_help("check the PgBouncer version; poolcheck reads PgBouncer 1.12 and later")
    };
    let count = |key: &str, v: &str| v.trim().parse::<u32>().map_err(|_| bad(key, v));
    let secs = |key: &str, v: &str| -> ToolResult<Timeout> {
        let s: f64 = v.trim().parse().map_err(|_| bad(key, v))?;
        if s == 0.0 {
            return Ok(Timeout::Infinite);
        }
        crate::core::units::duration_from_secs(s)
            .map(Timeout::Finite)
            .map_err(|_| bad(key, v))
    };
    let s = &mut pooler.settings;
    for (key, v) in &f.config {
        let k = key.as_str();
        if k == "pool_mode" {
            let m = PoolMode::parse(v).ok_or_else(|| bad(k, v))?;
            put_value(&mut s.mode, Sourced::new(m, at(k)));
            continue;
        }
        let counts = match k {
            "default_pool_size" => Some(&mut s.default_pool_size),
            "min_pool_size" => Some(&mut s.min_pool_size),
            "reserve_pool_size" => Some(&mut s.reserve_pool_size),
            "max_client_conn" => Some(&mut s.max_client_conn),
            "max_db_connections" => Some(&mut s.max_db_connections),
            "max_user_connections" => Some(&mut s.max_user_connections),
            "max_prepared_statements" => Some(&mut s.max_prepared_statements),
            "listen_port" => Some(&mut s.listen_port),
            _ => None,
        };
        if let Some(slot) = counts {
            put_value(slot, Sourced::new(count(k, v)?, at(k)));
            continue;
        }
        let times = match k {
            "query_wait_timeout" => Some(&mut s.query_wait_timeout),
            "server_idle_timeout" => Some(&mut s.server_idle_timeout),
            "server_lifetime" => Some(&mut s.server_lifetime),
            "client_idle_timeout" => Some(&mut s.client_idle_timeout),
            _ => None,
        };
        if let Some(slot) = times {
            put_value(slot, Sourced::new(secs(k, v)?, at(k)));
        }
    }
    // "PgBouncer 1.18.0" → "1.18.0", which the prepared-statement rules compare.
    if let Some(v) = f
        .version
        .as_deref()
        .and_then(|v| v.split_whitespace().nth(1))
    {
        let live = Sourced::new(v.to_string(), at("version"));
        pooler.version = crate::core::origin::choose([pooler.version.take(), Some(live)]);
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
