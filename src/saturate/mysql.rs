//! MySQL and MariaDB under the saturation check: SELECT SLEEP holds bounded by the session's
//! statement timeout, refusals 1040 / 1203 / 1226, leftovers by connection id.

use super::backend::{Backend, Ran, Slots, Wording};
use crate::core::error::{ToolError, ToolResult};
use crate::db::failure::{ConnectFailure, FailureKind};
use crate::db::mysql::saturate::{connections_left, preflight, ran_broken, MyManager};
use crate::db::mysql::MyTarget;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Mysql {
    target: MyTarget,
    /// From the scheme, then from the observer's version string (a mysql:// URL may reach
    /// MariaDB, whose statement bound has another name).
    mariadb: AtomicBool,
    ids: Arc<Mutex<Vec<u32>>>,
}

impl Mysql {
    pub fn new(target: MyTarget) -> Mysql {
        Mysql {
            mariadb: AtomicBool::new(target.says_mariadb),
            target,
            ids: Arc::default(),
        }
    }
}

/// The observer and what it learnt about the server.
pub struct Observer {
    conn: Conn,
}

impl Backend for Mysql {
    type Manager = MyManager;
    type Observer = Observer;

    const WORDING: Wording = Wording {
        refusal: "error 1040, 1203 or 1226, too many connections",
        limit_of: "this server or account",
        leftovers: "SHOW PROCESSLIST for the run's connections",
    };

    async fn observe(&self, timeout: Duration) -> ToolResult<Observer> {
        let mut conn = self
            .target
            .connect(timeout, crate::db::mysql::PROGRAM_NAME)
            .await?;
        let version: Option<String> = conn.query_first("SELECT VERSION()").await.map_err(|e| {
            ToolError::from(crate::db::mysql::connect::classify(
                &self.target.redacted(),
                &e,
            ))
        })?;
        if let Some(v) = version {
            self.mariadb.store(
                v.to_ascii_lowercase().contains("mariadb"),
                Ordering::Relaxed,
            );
        }
        Ok(Observer { conn })
    }

    async fn preflight(&self, o: &mut Observer) -> ToolResult<Slots> {
        let p = preflight(&mut o.conn).await.map_err(|e| {
            ToolError::from(crate::db::mysql::connect::classify(
                &self.target.redacted(),
                &e,
            ))
        })?;
        Ok(Slots {
            free: p.free(),
            detail: p.detail(),
        })
    }

    fn manager(&self, connect_timeout: Duration, statement_timeout: Duration) -> MyManager {
        MyManager {
            target: self.target.clone(),
            connect_timeout,
            statement_timeout,
            mariadb: self.mariadb.load(Ordering::Relaxed),
            ids: self.ids.clone(),
        }
    }

    fn refusal(e: &ConnectFailure) -> Option<String> {
        match &e.kind {
            FailureKind::TooManyConnections { code, message } => Some(format!(
                "error {}: {message}",
                code.as_deref().unwrap_or_default()
            )),
            _ => None,
        }
    }

    async fn run(conn: &mut Conn, statement: &str, _: crate::cli::Protocol) -> Ran {
        match conn.query_drop(statement).await {
            Ok(()) => Ran::Ok,
            Err(e) => Ran::Failed {
                broken: ran_broken(&e),
            },
        }
    }

    async fn left(&self, o: &mut Observer) -> Option<u64> {
        let ids = self.ids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        connections_left(&mut o.conn, &ids).await.ok()
    }

    async fn close(&self, o: Observer) {
        let _ = o.conn.disconnect().await;
    }

    fn fatal(e: ConnectFailure) -> ToolError {
        e.into()
    }
}
