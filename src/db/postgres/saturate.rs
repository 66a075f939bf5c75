//! PostgreSQL for the saturation check: the pool manager of its sessions, the free-slot
//! preflight and the leftover check afterwards.

use crate::db::postgres::{ConnTarget, ConnectFailure};
use crate::pool::Manager;
use std::time::Duration;

pub const APPLICATION_NAME: &str = "poolcheck-saturate";

/// A saturate session: the client and, under `--protocol prepared`, the statement prepared on
/// this connection (a server-side prepared statement belongs to its session, so the cache
/// lives and dies with the connection, as pgbench -M prepared keeps one per client).
pub struct PgConn {
    pub client: tokio_postgres::Client,
    /// The SQL text and its prepared statement.
    prepared: Option<(String, tokio_postgres::Statement)>,
}

impl PgConn {
    pub fn new(client: tokio_postgres::Client) -> PgConn {
        PgConn {
            client,
            prepared: None,
        }
    }

    /// The statement for `sql` on this connection, prepared (Parse/Describe) on first use.
    /// A clone is a reference count, not a round trip.
    pub async fn statement(
        &mut self,
        sql: &str,
    ) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
        if let Some((text, statement)) = &self.prepared {
            if text == sql {
                return Ok(statement.clone());
            }
        }
        let statement = self.client.prepare(sql).await?;
        self.prepared = Some((sql.to_string(), statement.clone()));
        Ok(statement)
    }
}

pub struct PgManager {
    pub target: ConnTarget,
    pub connect_timeout: Duration,
    /// statement_timeout set on every session, so a stuck query cannot outlive the check.
    pub statement_timeout: Duration,
    /// Backend pids of every session opened, to verify afterwards that none is left (other
    /// runs may share the application_name).
    pub pids: std::sync::Arc<std::sync::Mutex<Vec<i32>>>,
}

impl Manager for PgManager {
    type Conn = PgConn;
    type Error = ConnectFailure;

    async fn create(&self) -> Result<PgConn, ConnectFailure> {
        let client = self
            .target
            .connect(self.connect_timeout, APPLICATION_NAME)
            .await?;
        let ms = self.statement_timeout.as_millis().max(1);
        let rows = client
            .simple_query(&format!(
                "SET statement_timeout = {ms}; SELECT pg_backend_pid()"
            ))
            .await
            .map_err(|e| crate::db::postgres::connect::classify(&self.target.redacted(), &e))?;
        let pid = rows.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                r.get(0).and_then(|v| v.parse::<i32>().ok())
            }
            _ => None,
        });
        if let Some(pid) = pid {
            self.pids
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(pid);
        }
        Ok(PgConn::new(client))
    }

    async fn validate(&self, conn: &mut PgConn) -> Result<(), ConnectFailure> {
        conn.client
            .simple_query("")
            .await
            .map(|_| ())
            .map_err(|e| crate::db::postgres::connect::classify(&self.target.redacted(), &e))
    }

    fn is_broken(&self, conn: &PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// Server slots before the run: (usable, in_use, free) from a short read-only session.
pub async fn preflight(
    observer: &tokio_postgres::Client,
) -> Result<(i64, i64), tokio_postgres::Error> {
    let row = observer
        .query_one(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int \
             - coalesce((SELECT setting::int FROM pg_settings WHERE name = 'reserved_connections'), 0), \
             (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' OR (backend_type IS NULL AND datname IS NOT NULL))",
            &[],
        )
        .await?;
    Ok((i64::from(row.get::<_, i32>(0)), row.get::<_, i64>(1)))
}

/// Sessions of this run still on the server (other runs may share the application_name).
pub async fn sessions_left(
    observer: &tokio_postgres::Client,
    pids: &[i32],
) -> Result<i64, tokio_postgres::Error> {
    Ok(observer
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid = ANY($2)",
            &[&APPLICATION_NAME, &pids],
        )
        .await?
        .get(0))
}
