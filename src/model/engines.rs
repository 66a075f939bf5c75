//! The kind of each server, when poolcheck.toml does not say it: the scheme of the URLs that
//! reach it directly (`mysql2://…` is MySQL), so a MySQL fleet is checked against MySQL's
//! reserve (none: its extra admin connection sits above max_connections) and not
//! PostgreSQL's three superuser slots. Also: which Redis client a service's manifests name,
//! the Redis pool's server, and each engine's documented server defaults.

use super::from_files::ServiceSpec;
use super::{Fleet, Origin, PoolConfig, PoolMax, Server, Sourced};
use crate::core::engine::Engine;
use crate::input::dialects::Dialects;
use std::path::Path;

pub fn from_urls(fleet: &mut Fleet) {
    for (i, server) in fleet.servers.iter_mut().enumerate() {
        if server.engine_origin.is_some() {
            continue;
        }
        let mut named = fleet
            .services
            .iter()
            .filter(|s| s.server == i && s.via.is_none())
            .filter_map(|s| s.pool.url_engine.as_ref());
        let Some(first) = named.next() else {
            continue;
        };
        // URLs of different kinds on one server (a poolcheck.toml-less run of a service with
        // a Redis URL first): the first decides only when all agree.
        if named.all(|e| e.value == first.value) {
            server.engine = first.value;
            server.engine_origin = Some(first.origin.clone());
        }
    }
}

/// The Redis client the app's manifests name (package.json, requirements.txt / pyproject.toml,
/// go.mod, Gemfile), as a dialect id: whose defaults a Redis pool without library keys takes.
/// None when no manifest names exactly one.
pub fn redis_stack(spec: &ServiceSpec) -> Option<&'static str> {
    let mut found: Vec<&'static str> = super::stack::dirs_of(spec)
        .iter()
        .filter_map(|d| redis_of_dir(d))
        .collect();
    found.sort_unstable();
    found.dedup();
    match found.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

fn redis_of_dir(dir: &Path) -> Option<&'static str> {
    let read = |name: &str| super::stack::read(&dir.join(name));
    if let Some(text) = read("package.json") {
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let has = |name: &str| {
            ["dependencies", "devDependencies"]
                .iter()
                .any(|k| v.get(k).and_then(|d| d.get(name)).is_some())
        };
        // https://github.com/redis/ioredis, https://github.com/redis/node-redis (package `redis`)
        return match (has("ioredis"), has("redis")) {
            (true, false) => Some("ioredis"),
            (false, true) => Some("node-redis"),
            _ => None,
        };
    }
    if let Some(text) = read("Gemfile") {
        let gem = |name: &str| {
            text.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("gem \"{name}\"")) || l.starts_with(&format!("gem '{name}'"))
            })
        };
        return gem("sidekiq").then_some("sidekiq");
    }
    let python: Vec<String> = ["requirements.txt", "pyproject.toml"]
        .iter()
        .filter_map(|n| read(n))
        .map(|t| t.to_ascii_lowercase())
        .collect();
    if !python.is_empty() {
        // One requirement per line: `redis`, `redis==5.0.1`, `redis>=4` (not `redis-om`).
        let requires = |name: &str| {
            python.iter().any(|t| {
                t.lines().any(|l| {
                    let l = l.trim().trim_start_matches('"');
                    l.strip_prefix(name).is_some_and(|rest| {
                        rest.is_empty()
                            || rest.starts_with(['=', '>', '<', '~', '!', ' ', '[', ';', '"'])
                    })
                })
            })
        };
        if requires("celery") {
            return Some("celery");
        }
        return requires("redis").then_some("redis-py");
    }
    let text = read("go.mod")?;
    (text.contains("github.com/redis/go-redis") || text.contains("github.com/go-redis/redis"))
        .then_some("go-redis")
}

/// Keeps, in a Redis pool, the keys that are the Redis client's: a `stack_only` dialect's only
/// when the manifests name it, a `needs_url` dialect's only beside a Redis URL.
pub fn keep_redis_keys<T: RedisKey>(
    obs: &mut Vec<T>,
    dialects: &Dialects,
    stack: Option<&str>,
    has_redis_url: bool,
) {
    obs.retain(|o| {
        let Some(d) = dialects.get(o.dialect_id()) else {
            return true;
        };
        !(d.stack_only && stack != Some(d.id.as_str()) || d.needs_url && !has_redis_url)
    });
}

/// What `keep_redis_keys` needs to know of an observation.
pub trait RedisKey {
    fn dialect_id(&self) -> &str;
}

/// Sidekiq's Redis connections in one process: a Sidekiq process holds its capsule's pool of
/// `concurrency` (sidekiq.yml, default 5) plus the internal pool of 10; any other process
/// (a Rails web process pushing jobs) only the internal pool.
/// <https://github.com/sidekiq/sidekiq/blob/main/docs/capsule.md#redis-pools>
pub fn sidekiq_pool(pool: &mut PoolConfig, server: bool) {
    let read = pool
        .max
        .as_ref()
        .is_some_and(|m| !matches!(m.origin, Origin::Default { .. }));
    if !(server || read) {
        return;
    }
    if !read {
        pool.max = Some(Sourced::new(
            PoolMax::Fixed(5),
            Origin::Default {
                note: "Sidekiq 7 default concurrency: 5".into(),
            },
        ));
    }
    pool.overflow = Some(Sourced::new(
        PoolMax::Fixed(10),
        Origin::Default {
            note: "Sidekiq 7 internal Redis pool: 10 per process, besides the capsule's".into(),
        },
    ));
}

/// Each service's Redis pool goes to a Redis server: the one poolcheck.toml declares with
/// `kind = "redis"` (the one whose name is the URL's host when there are several), else one
/// named `redis` made for them with Redis' documented defaults.
pub fn assign_redis(fleet: &mut Fleet) {
    let wants: Vec<usize> = (0..fleet.services.len())
        .filter(|&i| fleet.services[i].pool.engine_part == Some(Engine::Redis))
        .collect();
    if wants.is_empty() {
        return;
    }
    for i in wants {
        let host = fleet.services[i]
            .pool
            .server_key
            .as_deref()
            .and_then(|k| k.split([':', '/', ',']).next())
            .map(str::to_string);
        let redis: Vec<usize> = (0..fleet.servers.len())
            .filter(|&s| fleet.servers[s].engine == Engine::Redis)
            .collect();
        let chosen = redis
            .iter()
            .copied()
            .find(|&s| host.as_deref() == Some(fleet.servers[s].name.as_str()))
            .or_else(|| redis.first().copied());
        let server = match chosen {
            Some(s) => s,
            None => {
                let origin = fleet.services[i]
                    .pool
                    .url_engine
                    .as_ref()
                    .map(|e| e.origin.clone())
                    .unwrap_or_else(|| Origin::Default {
                        note: "a Redis client's keys".into(),
                    });
                fleet.servers.push(Server {
                    name: "redis".into(),
                    engine: Engine::Redis,
                    engine_origin: Some(origin),
                    ..Server::default()
                });
                fleet.servers.len() - 1
            }
        };
        fleet.services[i].server = server;
        // A Redis pool reaches Redis directly: a PostgreSQL pooler is not in its way.
        fleet.services[i].via = None;
    }
}

/// The documented defaults of what poolcheck.toml and probes leave out, per engine: Redis'
/// maxclients, MySQL's and MariaDB's wait_timeout.
pub fn server_defaults(fleet: &mut Fleet) {
    for s in &mut fleet.servers {
        match s.engine {
            Engine::Redis if s.max_connections.is_none() => {
                // redis.conf: "maxclients 10000"; Redis lowers it when the process's open-file
                // limit is lower: https://redis.io/docs/latest/develop/reference/clients/#maximum-concurrent-connected-clients
                s.max_connections = Some(Sourced::new(
                    10_000,
                    Origin::Default {
                        note: "Redis default maxclients: 10000".into(),
                    },
                ));
            }
            Engine::Mysql | Engine::Mariadb if s.wait_timeout.is_none() => {
                // https://dev.mysql.com/doc/refman/8.4/en/server-system-variables.html#sysvar_wait_timeout
                // https://mariadb.com/kb/en/server-system-variables/#wait_timeout
                s.wait_timeout = Some(Sourced::new(
                    std::time::Duration::from_secs(28_800),
                    Origin::Default {
                        note: format!("{} default wait_timeout: 28800 s", s.engine.name()),
                    },
                ));
            }
            _ => {}
        }
    }
}
