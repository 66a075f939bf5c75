//! pgcat.toml and PgDog's pgdog.toml / users.toml, read into the same [`Config`] as
//! pgbouncer.ini: pooler-wide settings under PgBouncer's key names (so one typer and one set of
//! rules serve all three), plus the server entries and users these poolers list. PgDog writes
//! times in milliseconds; they become seconds here, keeping the value's span.
//!
//! Sources: pgcat <https://github.com/postgresml/pgcat/blob/main/CONFIG.md>; PgDog
//! <https://docs.pgdog.dev/configuration/pgdog.toml/general/>,
//! <https://docs.pgdog.dev/configuration/pgdog.toml/databases/>,
//! <https://docs.pgdog.dev/configuration/users.toml/users/>.

use crate::core::origin::Origin;
use crate::input::formats::pgbouncer::{Config, Member, Raw, ServerEntry};
use crate::input::formats::{Node, NodeKind, Scalar};

/// A scalar value as the PgBouncer typer reads it, with its place (TOML and YAML alike).
pub(super) fn raw(node: &Node) -> Option<Raw> {
    let text = node.scalar()?.as_text()?;
    Some(Raw {
        text,
        origin: Origin::file(node.file, node.span),
    })
}

pub(super) fn text(node: Option<&Node>) -> Option<String> {
    node?.scalar()?.as_text()
}

pub(super) fn entries(node: Option<&Node>) -> &[crate::input::formats::Entry] {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Map(e)) => e,
        _ => &[],
    }
}

/// A duration in milliseconds as seconds text, for PgBouncer's key.
pub(super) fn ms_as_seconds(r: Raw) -> Raw {
    match r.text.trim().parse::<f64>() {
        Ok(ms) => Raw {
            text: (ms / 1000.0).to_string(),
            origin: r.origin,
        },
        // Left as written: the typer reports it as unreadable, at its span.
        Err(_) => r,
    }
}

/// pgcat: `[general]` host/port and timeouts, `[pools.NAME]` pool_mode, users and shards.
pub fn pgcat(root: &Node) -> Config {
    let mut c = Config::default();
    let general = root.get("general");
    if let Some(p) = general.and_then(|g| g.get("port")).and_then(raw) {
        c.settings.push(("listen_port".into(), p));
    }
    if let Some(h) = general.and_then(|g| g.get("host")).and_then(raw) {
        c.settings.push(("listen_addr".into(), h));
    }
    if let Some(t) = general.and_then(|g| g.get("idle_timeout")).and_then(raw) {
        c.settings
            .push(("server_idle_timeout".into(), ms_as_seconds(t)));
    }
    if let Some(t) = general.and_then(|g| g.get("server_lifetime")).and_then(raw) {
        c.settings
            .push(("server_lifetime".into(), ms_as_seconds(t)));
    }
    // Prepared statements in transaction mode: `prepared_statements = true`, or a cache size
    // above 0 ("0 means disabled"), in [general] or a pool
    // (https://github.com/postgresml/pgcat/blob/main/CONFIG.md#prepared_statements_cache_size).
    for key in ["prepared_statements", "prepared_statements_cache_size"] {
        if let Some(r) = general.and_then(|g| g.get(key)).and_then(raw) {
            c.settings.push((format!("pgcat.{key}"), r));
        }
    }
    for pool in entries(root.get("pools")) {
        if let Some(r) = pool
            .value
            .get("prepared_statements_cache_size")
            .and_then(raw)
        {
            c.settings
                .push(("pgcat.prepared_statements_cache_size".into(), r));
        }
        let mode = pool.value.get("pool_mode").and_then(raw);
        for u in entries(pool.value.get("users")) {
            let Some(user) = text(u.value.get("username")) else {
                continue;
            };
            c.members.push(Member {
                cluster: pool.key.clone(),
                user,
                pool_size: u.value.get("pool_size").and_then(raw),
                mode: mode.clone(),
                origin: Origin::file(u.value.file, u.key_span),
            });
        }
        for shard in entries(pool.value.get("shards")) {
            let n = shard.key.parse().unwrap_or(0);
            let Some(NodeKind::Seq(servers)) = shard.value.get("servers").map(|s| &s.kind) else {
                continue;
            };
            for s in servers {
                let NodeKind::Seq(parts) = &s.kind else {
                    continue;
                };
                let part = |i: usize| parts.get(i).and_then(|p| p.scalar());
                let host = match part(0) {
                    Some(Scalar::Str(h)) => h.clone(),
                    _ => continue,
                };
                let port = match part(1) {
                    Some(Scalar::Int(p)) => u16::try_from(*p).unwrap_or(5432),
                    _ => 5432,
                };
                let role = match part(2) {
                    Some(Scalar::Str(r)) => r.to_ascii_lowercase(),
                    _ => "primary".into(),
                };
                c.servers.push(ServerEntry {
                    cluster: pool.key.clone(),
                    shard: n,
                    host,
                    port,
                    role,
                    pool_size: None,
                    mode: mode.clone(),
                    origin: Origin::file(s.file, s.span),
                });
            }
        }
    }
    c
}

/// PgDog's pgdog.toml: `[general]` and `[[databases]]`.
pub fn pgdog(root: &Node) -> Config {
    let mut c = Config::default();
    let general = root.get("general");
    let g = |k: &str| general.and_then(|n| n.get(k)).and_then(raw);
    for (from, to, ms) in [
        ("port", "listen_port", false),
        ("host", "listen_addr", false),
        ("default_pool_size", "default_pool_size", false),
        ("min_pool_size", "min_pool_size", false),
        ("pooler_mode", "pool_mode", false),
        ("checkout_timeout", "query_wait_timeout", true),
        ("idle_timeout", "server_idle_timeout", true),
        ("server_lifetime", "server_lifetime", true),
        ("client_idle_timeout", "client_idle_timeout", true),
    ] {
        if let Some(r) = g(from) {
            c.settings
                .push((to.into(), if ms { ms_as_seconds(r) } else { r }));
        }
    }
    // What PgDog keeps of a session in transaction mode: prepared statements ("disabled",
    // "extended" by default, "full": .../general/#prepared_statements), advisory locks while
    // its query parser runs (query_parser, features/connection-pooler/transaction-mode.md),
    // LISTEN with pub_sub_channel_size above 0 (features/connection-pooler/pub_sub.md).
    for key in [
        "prepared_statements",
        "query_parser",
        "pub_sub_channel_size",
    ] {
        if let Some(r) = g(key) {
            c.settings.push((format!("pgdog.{key}"), r));
        }
    }
    if let Some(NodeKind::Seq(dbs)) = root.get("databases").map(|d| &d.kind) {
        for d in dbs {
            let (Some(cluster), Some(host)) = (text(d.get("name")), text(d.get("host"))) else {
                continue;
            };
            let port = match d.get("port").and_then(Node::scalar) {
                Some(Scalar::Int(p)) => u16::try_from(*p).unwrap_or(5432),
                _ => 5432,
            };
            let shard = match d.get("shard").and_then(Node::scalar) {
                Some(Scalar::Int(s)) => u32::try_from(*s).unwrap_or(0),
                _ => 0,
            };
            c.servers.push(ServerEntry {
                cluster,
                shard,
                host,
                port,
                role: text(d.get("role")).unwrap_or_else(|| "primary".into()),
                pool_size: d.get("pool_size").and_then(raw),
                mode: d.get("pooler_mode").and_then(raw),
                origin: Origin::file(d.file, d.span),
            });
        }
    }
    users(root, &mut c);
    c
}

/// PgDog's users.toml `[[users]]` (also accepted inside pgdog.toml).
pub fn users(root: &Node, c: &mut Config) {
    if let Some(NodeKind::Seq(us)) = root.get("users").map(|u| &u.kind) {
        for u in us {
            let (Some(user), Some(cluster)) = (text(u.get("name")), text(u.get("database"))) else {
                continue;
            };
            c.members.push(Member {
                cluster,
                user,
                pool_size: u.get("pool_size").and_then(raw),
                mode: u.get("pooler_mode").and_then(raw),
                origin: Origin::file(u.file, u.span),
            });
        }
    }
}
