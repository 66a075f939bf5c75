//! The pool manager for PostgreSQL sessions of the saturation check.

use crate::pool::Manager;
use crate::probe::{ConnTarget, ConnectError};
use std::time::Duration;

pub const APPLICATION_NAME: &str = "poolcheck-saturate";

pub struct PgManager {
    pub target: ConnTarget,
    pub connect_timeout: Duration,
    /// statement_timeout set on every session, so a stuck query cannot outlive the check.
    pub statement_timeout: Duration,
}

impl Manager for PgManager {
    type Conn = tokio_postgres::Client;
    type Error = ConnectError;

    async fn create(&self) -> Result<tokio_postgres::Client, ConnectError> {
        let client = self
            .target
            .connect(self.connect_timeout, APPLICATION_NAME)
            .await?;
        let ms = self.statement_timeout.as_millis().max(1);
        client
            .batch_execute(&format!("SET statement_timeout = {ms}"))
            .await
            .map_err(|e| crate::probe::connect::classify(&self.target.redacted(), &e))?;
        Ok(client)
    }

    async fn validate(&self, conn: &mut tokio_postgres::Client) -> Result<(), ConnectError> {
        conn.simple_query("")
            .await
            .map(|_| ())
            .map_err(|e| crate::probe::connect::classify(&self.target.redacted(), &e))
    }

    fn is_broken(&self, conn: &tokio_postgres::Client) -> bool {
        conn.is_closed()
    }
}
