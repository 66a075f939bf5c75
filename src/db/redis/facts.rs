//! What a Redis probe reads: INFO (server, clients, stats), CONFIG GET maxclients and timeout,
//! CLIENT LIST. Every command only reads; the probe's one change is its own connection's name
//! (CLIENT SETNAME poolcheck), so it can be told apart in CLIENT LIST.

use super::connect::{Conn, ConnectFailure, Value};
use serde::Serialize;
use std::collections::BTreeMap;

/// Clients of one name and library.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClientGroup {
    /// CLIENT SETNAME's name; empty when the client set none.
    pub name: String,
    /// CLIENT SETINFO lib-name (Redis 7.2+); empty when the client or server gave none.
    pub lib_name: String,
    pub count: i64,
    /// Of these, blocked in a command (BLPOP, XREAD BLOCK…; flags `b`).
    pub blocked: i64,
}

/// A figure with the command it came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figure {
    pub value: i64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RedisFacts {
    pub engine: &'static str,
    pub server_version: String,
    /// standalone, cluster or sentinel (INFO server redis_mode).
    pub mode: String,
    /// CONFIG GET maxclients, else INFO clients maxclients; None when neither answered.
    pub maxclients: Option<Figure>,
    /// Idle seconds after which the server closes a client (0 = never); None when CONFIG GET
    /// is not allowed (INFO does not show it).
    pub timeout_s: Option<i64>,
    /// Why CONFIG GET could not be read (the server's error reply), if it could not.
    pub config_error: Option<String>,
    /// INFO clients connected_clients, the probe included.
    pub connected_clients: i64,
    pub blocked_clients: i64,
    /// Connections from other cluster nodes, which count against maxclients (Redis 7+).
    pub cluster_connections: i64,
    /// Clients besides this probe.
    pub in_use: i64,
    /// maxclients − in_use − cluster_connections − this probe; None when maxclients is unknown.
    pub free: Option<i64>,
    /// INFO stats rejected_connections: refused at maxclients since the server started.
    pub rejected_connections: i64,
    /// CLIENT LIST grouped by name and library, without this probe; None when not allowed.
    pub clients: Option<Vec<ClientGroup>>,
    pub client_list_error: Option<String>,
    pub connected: Connected,
}

/// The server and identity a probe used (never the password).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Connected {
    pub host: String,
    pub port: u16,
    pub db: u32,
    pub user: String,
    pub tls: bool,
}

/// `key:value` lines of an INFO reply (section headers and blanks skipped).
pub fn info_fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// One CLIENT LIST line as its `key=value` fields.
pub fn client_fields(line: &str) -> BTreeMap<&str, &str> {
    line.split(' ').filter_map(|f| f.split_once('=')).collect()
}

/// CLIENT LIST grouped by (name, lib-name), without the client `own_id`; most clients first.
pub fn group_clients(list: &str, own_id: Option<i64>) -> Vec<ClientGroup> {
    let mut groups: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        let f = client_fields(line);
        let id = f.get("id").and_then(|v| v.parse::<i64>().ok());
        if own_id.is_some() && id == own_id {
            continue;
        }
        let name = f.get("name").copied().unwrap_or("").to_string();
        let lib = f.get("lib-name").copied().unwrap_or("").to_string();
        let blocked = f.get("flags").is_some_and(|fl| fl.contains('b'));
        let g = groups.entry((name, lib)).or_default();
        g.0 += 1;
        g.1 += i64::from(blocked);
    }
    let mut out: Vec<ClientGroup> = groups
        .into_iter()
        .map(|((name, lib_name), (count, blocked))| ClientGroup {
            name,
            lib_name,
            count,
            blocked,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    out
}

/// CONFIG GET NAME: Ok(Some(value)), Ok(None) when the server has no such setting, Err with
/// the error reply when it refused (NOPERM from an ACL, or CONFIG renamed away).
async fn config_get(
    conn: &mut Conn,
    name: &str,
) -> Result<Result<Option<String>, String>, ConnectFailure> {
    match conn.cmd(&[b"CONFIG", b"GET", name.as_bytes()]).await? {
        Value::Error(m) => Ok(Err(m)),
        Value::Array(items) => Ok(Ok(items.get(1).and_then(Value::text))),
        _ => Ok(Ok(None)),
    }
}

fn num(fields: &BTreeMap<String, String>, key: &str) -> Option<i64> {
    fields.get(key).and_then(|v| v.parse().ok())
}

/// Reads the facts over `conn` (opened by [`super::connect::Target::connect`]).
pub async fn read(conn: &mut Conn) -> Result<RedisFacts, ConnectFailure> {
    // INFO without a section gives the default ones (server, clients, stats…) on every
    // version; several sections in one INFO need Redis 7.
    let info = info_fields(&conn.text(&[b"INFO"]).await?);
    let server_version = info
        .get("redis_version")
        .or_else(|| info.get("valkey_version"))
        .cloned()
        .unwrap_or_default();
    let mode = info
        .get("redis_mode")
        .cloned()
        .unwrap_or_else(|| "standalone".into());
    let mut config_error = None;
    let maxclients_cfg = match config_get(conn, "maxclients").await? {
        Ok(v) => v.and_then(|v| v.parse::<i64>().ok()),
        Err(m) => {
            config_error = Some(m);
            None
        }
    };
    let timeout_s = if config_error.is_none() {
        match config_get(conn, "timeout").await? {
            Ok(v) => v.and_then(|v| v.parse::<i64>().ok()),
            Err(m) => {
                config_error = Some(m);
                None
            }
        }
    } else {
        None
    };
    let maxclients = match maxclients_cfg {
        Some(v) => Some(Figure {
            value: v,
            source: "CONFIG GET maxclients".into(),
        }),
        None => num(&info, "maxclients").map(|v| Figure {
            value: v,
            source: "INFO clients maxclients".into(),
        }),
    };
    let connected_clients = num(&info, "connected_clients").unwrap_or(0);
    let blocked_clients = num(&info, "blocked_clients").unwrap_or(0);
    let cluster_connections = num(&info, "cluster_connections").unwrap_or(0);
    let rejected_connections = num(&info, "rejected_connections").unwrap_or(0);
    let (clients, client_list_error) = match conn.cmd(&[b"CLIENT", b"LIST"]).await? {
        Value::Error(m) => (None, Some(m)),
        v => (
            Some(group_clients(&v.text().unwrap_or_default(), conn.id)),
            None,
        ),
    };
    let in_use = (connected_clients - 1).max(0);
    let free = maxclients
        .as_ref()
        .map(|m| m.value - in_use - cluster_connections - 1);
    Ok(RedisFacts {
        engine: "redis",
        server_version,
        mode,
        maxclients,
        timeout_s,
        config_error,
        connected_clients,
        blocked_clients,
        cluster_connections,
        in_use,
        free,
        rejected_connections,
        clients,
        client_list_error,
        connected: Connected::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_list_groups_by_name_and_library_without_the_probe() {
        let list = "id=3 addr=10.0.0.5:5100 name=sidekiq lib-name=redis-rb flags=N\n\
                    id=4 addr=10.0.0.5:5101 name=sidekiq lib-name=redis-rb flags=b\n\
                    id=5 addr=10.0.0.6:5200 name= lib-name=go-redis flags=N\n\
                    id=9 addr=127.0.0.1:5300 name=poolcheck lib-name= flags=N\n\
                    id=6 addr=10.0.0.7:5300 name= flags=N\n";
        let g = group_clients(list, Some(9));
        assert_eq!(
            g,
            vec![
                ClientGroup {
                    name: "sidekiq".into(),
                    lib_name: "redis-rb".into(),
                    count: 2,
                    blocked: 1
                },
                ClientGroup {
                    name: "".into(),
                    lib_name: "".into(),
                    count: 1,
                    blocked: 0
                },
                ClientGroup {
                    name: "".into(),
                    lib_name: "go-redis".into(),
                    count: 1,
                    blocked: 0
                },
            ]
        );
    }

    #[test]
    fn info_fields_skip_headers() {
        let f = info_fields("# Clients\r\nconnected_clients:7\r\nmaxclients:4064\r\n\r\n# Stats\r\nrejected_connections:2\r\n");
        assert_eq!(num(&f, "connected_clients"), Some(7));
        assert_eq!(num(&f, "maxclients"), Some(4064));
        assert_eq!(num(&f, "rejected_connections"), Some(2));
        assert_eq!(f.len(), 3);
    }
}
