//! Redis under the saturation check: clients named after the run, holds on the client side
//! (see `Kind::holds_on_client`), every command bounded by the statement timeout,
//! `max number of clients` refusals, leftovers by the run's client name in CLIENT LIST.

use super::backend::{Backend, Ran, Slots, Wording};
use crate::core::error::{ToolError, ToolResult};
use crate::db::failure::{ConnectFailure, FailureKind};
use crate::db::redis::saturate::{self as sat, RedisManager};
use crate::db::redis::{Conn, Target};
use std::time::Duration;

pub struct Redis {
    target: Target,
    /// The client name of every pooled connection.
    name: String,
}

impl Redis {
    pub fn new(target: Target, name: String) -> Redis {
        Redis { target, name }
    }
}

impl Backend for Redis {
    type Manager = RedisManager;
    type Observer = Conn;

    const WORDING: Wording = Wording {
        refusal: "ERR max number of clients reached",
        limit_of: "this server's maxclients",
        leftovers: "CLIENT LIST for the run's client name",
    };

    async fn observe(&self, timeout: Duration) -> ToolResult<Conn> {
        // Its own name, so a probe running meanwhile does not count it as one of its own.
        let name = format!("{}-observer", self.name);
        Ok(self.target.connect(timeout, &name).await?)
    }

    async fn preflight(&self, observer: &mut Conn) -> ToolResult<Slots> {
        let (max, in_use) = sat::preflight(observer).await?;
        Ok(Slots {
            // The observer holds one slot of maxclients itself.
            free: max - in_use - 1,
            detail: format!("maxclients {max}, {in_use} other clients and this check's own"),
        })
    }

    fn manager(&self, connect_timeout: Duration, statement_timeout: Duration) -> RedisManager {
        RedisManager {
            target: self.target.clone(),
            connect_timeout,
            name: self.name.clone(),
            command_timeout: Some(statement_timeout),
        }
    }

    fn refusal(e: &ConnectFailure) -> Option<String> {
        match &e.kind {
            FailureKind::TooManyConnections { message, .. } => Some(message.clone()),
            _ => None,
        }
    }

    async fn run(conn: &mut Conn, statement: &str, _: crate::cli::Protocol) -> Ran {
        let args: Vec<&[u8]> = statement.split_whitespace().map(str::as_bytes).collect();
        match conn.cmd(&args).await {
            Ok(crate::db::redis::connect::Value::Error(_)) => Ran::Failed { broken: false },
            Ok(_) => Ran::Ok,
            Err(_) => Ran::Failed {
                broken: conn.is_broken(),
            },
        }
    }

    async fn left(&self, observer: &mut Conn) -> Option<u64> {
        sat::clients_left(observer, &self.name)
            .await
            .ok()
            .map(|n| n.max(0) as u64)
    }

    async fn close(&self, mut observer: Conn) {
        let _ = observer.cmd(&[b"QUIT"]).await;
    }

    fn fatal(e: ConnectFailure) -> ToolError {
        e.into()
    }
}
