//! Odyssey's odyssey.conf, read into the same [`Config`] as pgbouncer.ini: pooler-wide settings
//! under PgBouncer's key names (top-level `client_max` as max_client_conn, the first `listen`
//! block's host and port as listen_addr and listen_port, `workers`), the `storage` blocks, and
//! one route per `database … { user … { … } }` block with its parameters.
//!
//! Odyssey writes `pool_timeout` in milliseconds; it becomes seconds here, keeping its span.
//! Source: <https://github.com/yandex/odyssey/blob/master/docs/configuration/rules.md>,
//! <https://github.com/yandex/odyssey/blob/master/docs/configuration/global.md>,
//! <https://github.com/yandex/odyssey/blob/master/docs/configuration/listen.md>.

use crate::core::origin::Origin;
use crate::input::formats::odyssey::{Kind, Stmt, Value};
use crate::input::formats::pgbouncer::{Config, Entry, Raw, Route};

fn raw(v: &Value) -> Raw {
    Raw {
        text: v.text.clone(),
        origin: Origin::file(v.file, v.span),
    }
}

fn arg(s: &Stmt) -> Option<Raw> {
    s.arg().map(raw)
}

/// `default` written bare is the fallback; a quoted name (even "default") is a name.
fn name_of(s: &Stmt) -> Option<Option<String>> {
    let v = s.arg()?;
    Some(match v.kind {
        Kind::Word if v.text == "default" => None,
        _ => Some(v.text.clone()),
    })
}

/// Route parameters poolcheck models; the typer reads them under these names, so a
/// message names the key the file wrote.
const ROUTE_KEYS: &[&str] = &[
    "pool",
    "pool_size",
    "client_max",
    "pool_timeout",
    "pool_ttl",
    "server_lifetime",
    "storage",
    "storage_db",
    "storage_user",
];

pub fn odyssey(stmts: &[Stmt]) -> Config {
    let mut c = Config::default();
    let mut listened = false;
    let mut hosts: Vec<Raw> = Vec::new();
    for s in stmts {
        let key = s.key.to_ascii_lowercase();
        match key.as_str() {
            "workers" => c.settings.extend(arg(s).map(|r| ("workers".into(), r))),
            // client_max 0 is no limit, as leaving it out is.
            "client_max" => {
                if let Some(mut r) = arg(s) {
                    if r.text.trim() == "0" {
                        r.text = "1000000".into();
                    }
                    c.settings.push(("max_client_conn".into(), r));
                }
            }
            "listen" => {
                let get = |k: &str| {
                    s.children()
                        .iter()
                        .find(|c| c.key.eq_ignore_ascii_case(k))
                        .and_then(arg)
                };
                // Clients may reach any listen block; the first one's port is the pooler's.
                hosts.extend(get("host"));
                if !listened {
                    if let Some(p) = get("port") {
                        c.settings.push(("listen_port".into(), p));
                    }
                }
                listened = true;
            }
            "storage" => {
                let Some(name) = s.arg() else { continue };
                c.storages.push(Entry {
                    name: name.text.clone(),
                    origin: Origin::file(name.file, name.span),
                    params: s
                        .children()
                        .iter()
                        .filter_map(|p| Some((p.key.to_ascii_lowercase(), arg(p)?)))
                        .collect(),
                });
            }
            "database" => {
                let Some(database) = name_of(s) else { continue };
                let db_at = s.arg().map_or(Origin::file(s.file, s.key_span), |v| {
                    Origin::file(v.file, v.span)
                });
                for u in s
                    .children()
                    .iter()
                    .filter(|u| u.key.eq_ignore_ascii_case("user"))
                {
                    let Some(user) = name_of(u) else { continue };
                    let origin = u.arg().map_or(Origin::file(u.file, u.key_span), |v| {
                        Origin::file(v.file, v.span)
                    });
                    let params = u
                        .children()
                        .iter()
                        .filter_map(|p| {
                            let k = p.key.to_ascii_lowercase();
                            if !ROUTE_KEYS.contains(&k.as_str()) {
                                return None;
                            }
                            let r = arg(p)?;
                            let r = if k == "pool_timeout" {
                                super::pooler_toml::ms_as_seconds(r)
                            } else {
                                r
                            };
                            Some((k, r))
                        })
                        .collect();
                    c.routes.push(Route {
                        database: database.clone(),
                        user,
                        database_origin: db_at.clone(),
                        origin,
                        params,
                    });
                }
            }
            _ => {}
        }
    }
    if let Some(first) = hosts.first() {
        let text = hosts.iter().map(|h| h.text.as_str()).collect::<Vec<_>>();
        c.settings.push((
            "listen_addr".into(),
            Raw {
                text: text.join(","),
                origin: first.origin.clone(),
            },
        ));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::formats::odyssey::parse;

    #[test]
    fn maps_settings_storages_and_routes_to_the_pooler_keys() {
        let text = "workers 4\nclient_max 0\nlisten {\n host \"10.0.0.5\"\n port 6433\n}\n\
                    storage \"pg\" {\n type \"remote\"\n host \"db.internal\"\n port 5432\n}\n\
                    database \"app\" {\n user default {\n  storage \"pg\"\n  pool \"transaction\"\n\
                    \x20 pool_size 0\n  pool_timeout 4000\n  pool_ttl 60\n  client_max 100\n }\n}\n\
                    database default { user \"default\" { pool \"session\" } }\n";
        let conf = parse(0, text);
        assert!(conf.errors.is_empty(), "{:?}", conf.errors);
        let c = odyssey(&conf.stmts);
        let settings: Vec<(&str, &str)> = c
            .settings
            .iter()
            .map(|(k, r)| (k.as_str(), r.text.as_str()))
            .collect();
        assert_eq!(
            settings,
            [
                ("workers", "4"),
                ("max_client_conn", "1000000"),
                ("listen_port", "6433"),
                ("listen_addr", "10.0.0.5")
            ]
        );
        assert_eq!(c.storages[0].name, "pg");
        assert_eq!(c.routes.len(), 2);
        let r = &c.routes[0];
        assert_eq!(
            (r.database.as_deref(), r.user.as_deref()),
            (Some("app"), None)
        );
        let p: Vec<(&str, &str)> = r
            .params
            .iter()
            .map(|(k, r)| (k.as_str(), r.text.as_str()))
            .collect();
        assert_eq!(
            p,
            [
                ("storage", "pg"),
                ("pool", "transaction"),
                ("pool_size", "0"),
                ("pool_timeout", "4"),
                ("pool_ttl", "60"),
                ("client_max", "100")
            ]
        );
        // A quoted "default" is a user of that name, not the fallback.
        assert_eq!(c.routes[1].database, None);
        assert_eq!(c.routes[1].user.as_deref(), Some("default"));
    }
}
