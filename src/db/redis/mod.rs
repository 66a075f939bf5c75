//! Redis: connection targets from redis:// and rediss:// URLs, the read-only probe, and the
//! pool manager of the saturation check.

pub mod connect;
pub mod facts;
pub mod saturate;

pub use connect::{Conn, ConnectFailure, Target};
pub use facts::RedisFacts;

use crate::core::error::{ToolError, ToolResult};
use std::time::Duration;

/// The name the probe gives its own connection (CLIENT SETNAME), so CLIENT LIST shows it.
pub const CLIENT_NAME: &str = "poolcheck";

fn runtime() -> ToolResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ToolError::new(format!("cannot start the async runtime: {e}")))
}

/// Connects and reads the facts; for `verify --probe` and `poolcheck probe`.
pub fn probe_blocking(url: Option<&str>, timeout: Duration) -> ToolResult<RedisFacts> {
    let target = Target::resolve(url)?;
    runtime()?.block_on(probe(&target, timeout))
}

pub async fn probe(target: &Target, timeout: Duration) -> ToolResult<RedisFacts> {
    let mut conn = target.connect(timeout, CLIENT_NAME).await?;
    let facts = tokio::time::timeout(timeout.max(Duration::from_secs(5)), facts::read(&mut conn))
        .await
        .map_err(|_| {
            ToolError::new(format!(
                "{} accepted the connection but did not answer INFO, CONFIG GET or CLIENT LIST in time",
                target.redacted()
            ))
        })??;
    Ok(RedisFacts {
        connected: facts::Connected {
            host: target.host.clone(),
            port: target.port,
            db: target.db,
            user: target.user_name().to_string(),
            tls: target.tls != connect::Tls::Off,
        },
        ..facts
    })
}
