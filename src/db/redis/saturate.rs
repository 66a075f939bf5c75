//! Redis for the saturation check: the pool manager of its connections, the bounded hold, the
//! free-slot preflight and the leftover check afterwards.

use super::connect::{fail, Conn, ConnectFailure, FailureKind, Target, Value};
use crate::pool::Manager;
use std::time::Duration;

/// A client name unique to this run (CLIENT SETNAME on every connection), so the leftover
/// check counts this run's clients and no other's.
pub fn run_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("poolcheck-saturate-{}-{nanos:08x}", std::process::id())
}

pub struct RedisManager {
    pub target: Target,
    pub connect_timeout: Duration,
    /// The run's client name (see [`run_name`]).
    pub name: String,
    /// Bounds every command on the pool's connections (see [`Conn::command_timeout`]).
    pub command_timeout: Option<Duration>,
}

impl Manager for RedisManager {
    type Conn = Conn;
    type Error = ConnectFailure;

    async fn create(&self) -> Result<Conn, ConnectFailure> {
        let mut conn = self
            .target
            .connect(self.connect_timeout, &self.name)
            .await?;
        conn.command_timeout = self.command_timeout;
        Ok(conn)
    }

    async fn validate(&self, conn: &mut Conn) -> Result<(), ConnectFailure> {
        ping(conn).await
    }

    fn is_broken(&self, conn: &Conn) -> bool {
        conn.is_broken()
    }
}

pub async fn ping(conn: &mut Conn) -> Result<(), ConnectFailure> {
    match conn.cmd_ok(&[b"PING"]).await? {
        Value::Simple(s) if s == "PONG" => Ok(()),
        other => Err(fail(
            conn.target(),
            FailureKind::Protocol {
                detail: format!("PING answered {other:?}"),
            },
        )),
    }
}

/// The key a run blocks on: named after the run, so nothing else pushes to it.
pub fn hold_key(name: &str) -> String {
    format!("{name}:hold")
}

/// Holds the connection busy on the server for `hold`: BLPOP on the run's own key, which
/// nothing pushes to, so it returns nil when its timeout ends. A zero hold is a PING (BLPOP 0
/// would block forever). `poolcheck saturate` holds on the client instead: the server ends
/// a blocking command on its clock tick (hz), 100 ms late at the default hz 10.
pub async fn hold(conn: &mut Conn, key: &str, hold: Duration) -> Result<(), ConnectFailure> {
    if hold.is_zero() {
        return ping(conn).await;
    }
    // BLPOP takes a decimal timeout in seconds since Redis 6.0; millisecond resolution.
    let secs = format!("{:.3}", hold.as_secs_f64().max(0.001));
    match conn
        .cmd_ok(&[b"BLPOP", key.as_bytes(), secs.as_bytes()])
        .await?
    {
        Value::Nil => Ok(()),
        other => Err(fail(
            conn.target(),
            FailureKind::Protocol {
                detail: format!("BLPOP on the run's own key {key} returned {other:?}"),
            },
        )),
    }
}

/// Removes the run's hold key (a no-op unless something pushed to it); DEL is the only
/// command of a run that could write, and only to a key named after the run.
pub async fn cleanup(observer: &mut Conn, key: &str) -> Result<(), ConnectFailure> {
    observer.cmd_ok(&[b"DEL", key.as_bytes()]).await.map(|_| ())
}

/// Client slots before the run: (maxclients, clients connected besides the observer).
pub async fn preflight(observer: &mut Conn) -> Result<(i64, i64), ConnectFailure> {
    let info = super::facts::info_fields(&observer.text(&[b"INFO", b"clients"]).await?);
    let get = |k: &str| info.get(k).and_then(|v| v.parse::<i64>().ok());
    let max = match observer.cmd(&[b"CONFIG", b"GET", b"maxclients"]).await? {
        Value::Array(items) => items
            .get(1)
            .and_then(Value::text)
            .and_then(|v| v.parse().ok()),
        _ => None,
    }
    .or_else(|| get("maxclients"))
    .unwrap_or(10_000);
    let in_use =
        get("connected_clients").unwrap_or(1) - 1 + get("cluster_connections").unwrap_or(0);
    Ok((max, in_use))
}

/// Clients with the run's name still on the server.
pub async fn clients_left(observer: &mut Conn, name: &str) -> Result<i64, ConnectFailure> {
    let list = observer.text(&[b"CLIENT", b"LIST"]).await?;
    Ok(list
        .lines()
        .filter(|l| super::facts::client_fields(l).get("name") == Some(&name))
        .count() as i64)
}
