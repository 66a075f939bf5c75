//! PostgreSQL: connection targets as libpq reads them, the read-only probe, and the pool
//! manager of the saturation check.

pub mod connect;
pub mod facts;
pub mod saturate;

pub use connect::{ConnTarget, ConnectFailure};
pub use facts::ServerFacts;

use crate::core::error::{ToolError, ToolResult};
use std::time::Duration;
pub const APPLICATION_NAME: &str = "poolcheck";

fn runtime() -> ToolResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ToolError::new(format!("cannot start the async runtime: {e}")))
}

/// Connects and reads the facts; for `verify --probe` and `poolcheck probe`.
pub fn probe_blocking(
    url: Option<&str>,
    timeout: Duration,
    roles: &[String],
    databases: &[String],
) -> ToolResult<ServerFacts> {
    let target = ConnTarget::resolve(url)?;
    runtime()?.block_on(async {
        let client = target.connect(timeout, APPLICATION_NAME).await?;
        let facts = tokio::time::timeout(
            timeout.max(Duration::from_secs(5)),
            facts::read(&client, roles, databases),
        )
        .await
        .map_err(|_| {
            ToolError::new(format!(
                "{} accepted the connection but did not answer the probe queries in time",
                target.redacted()
            ))
        })?
        .map_err(|e| {
            let c = connect::classify(&target.redacted(), &e);
            ToolError::from(c)
        })?;
        Ok(ServerFacts {
            connected: facts::Connected {
                host: target.host.clone(),
                port: target.port,
                database: target.dbname.clone(),
                user: target.user.clone(),
            },
            ..facts
        })
    })
}
