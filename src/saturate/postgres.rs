//! PostgreSQL under the saturation check: sessions named poolcheck-saturate, pg_sleep holds,
//! SQLSTATE 53300 refusals, leftovers by backend pid in pg_stat_activity.

use super::backend::{Backend, Ran, Slots, Wording};
use crate::cli::Protocol;
use crate::core::error::{ToolError, ToolResult};
use crate::db::postgres::saturate::{preflight, sessions_left, PgConn, PgManager};
use crate::db::postgres::{ConnTarget, ConnectFailure};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Postgres {
    target: ConnTarget,
    /// Backend pids of every session the run opened (other runs may share the name).
    pids: Arc<Mutex<Vec<i32>>>,
}

impl Postgres {
    pub fn new(target: ConnTarget) -> Postgres {
        Postgres {
            target,
            pids: Arc::default(),
        }
    }

    fn classify(&self, e: &tokio_postgres::Error) -> ToolError {
        crate::db::postgres::connect::classify(&self.target.redacted(), e).into()
    }
}

impl Backend for Postgres {
    type Manager = PgManager;
    type Observer = tokio_postgres::Client;

    const WORDING: Wording = Wording {
        refusal: "SQLSTATE 53300, too many connections",
        limit_of: "this server or role",
        leftovers: "pg_stat_activity for application_name = poolcheck-saturate",
    };

    async fn observe(&self, timeout: Duration) -> ToolResult<tokio_postgres::Client> {
        Ok(self.target.connect(timeout, "poolcheck").await?)
    }

    async fn preflight(&self, observer: &mut tokio_postgres::Client) -> ToolResult<Slots> {
        let (usable, in_use) = preflight(observer).await.map_err(|e| self.classify(&e))?;
        Ok(Slots {
            free: usable - in_use,
            detail: format!("{usable} usable, {in_use} in use"),
        })
    }

    fn manager(&self, connect_timeout: Duration, statement_timeout: Duration) -> PgManager {
        PgManager {
            target: self.target.clone(),
            connect_timeout,
            statement_timeout,
            pids: self.pids.clone(),
        }
    }

    fn refusal(e: &ConnectFailure) -> Option<String> {
        match &e.kind {
            crate::db::FailureKind::TooManyConnections { message, .. } => Some(message.clone()),
            _ => None,
        }
    }

    async fn run(conn: &mut PgConn, statement: &str, protocol: Protocol) -> Ran {
        let done = match protocol {
            // One Query message: pgbench -M simple.
            Protocol::Simple => conn.client.batch_execute(statement).await,
            // Parse once per connection, then Bind/Execute/Sync: pgbench -M prepared.
            Protocol::Prepared => match conn.statement(statement).await {
                Ok(prepared) => conn.client.execute(&prepared, &[]).await.map(|_| ()),
                Err(e) => Err(e),
            },
        };
        match done {
            Ok(()) => Ran::Ok,
            Err(_) => Ran::Failed {
                broken: conn.client.is_closed(),
            },
        }
    }

    async fn left(&self, observer: &mut tokio_postgres::Client) -> Option<u64> {
        let ours = self.pids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        sessions_left(observer, &ours)
            .await
            .ok()
            .map(|n| n.max(0) as u64)
    }

    fn fatal(e: ConnectFailure) -> ToolError {
        e.into()
    }
}
