//! MySQL and MariaDB: connection targets from their URLs, the read-only probe, and the pool
//! manager of the saturation check.

pub mod connect;
pub mod facts;
pub mod saturate;

pub use crate::db::failure::ConnectFailure;
pub use connect::MyTarget;
pub use facts::MyFacts;

use crate::core::error::{ToolError, ToolResult};
use std::time::Duration;

/// The program_name connection attribute of the probe's own connection.
pub const PROGRAM_NAME: &str = "poolcheck";

/// Connects and reads the facts; for `poolcheck probe` and `verify --probe`.
pub fn probe_blocking(url: Option<&str>, timeout: Duration) -> ToolResult<MyFacts> {
    let target = MyTarget::resolve(url)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ToolError::new(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async {
        let mut conn = target.connect(timeout, PROGRAM_NAME).await?;
        let read =
            tokio::time::timeout(timeout.max(Duration::from_secs(5)), facts::read(&mut conn))
                .await
                .map_err(|_| {
                    ToolError::new(format!(
                        "{} accepted the connection but did not answer the probe queries in time",
                        target.redacted()
                    ))
                })?
                .map_err(|e| ToolError::from(connect::classify(&target.redacted(), &e)));
        let _ = mysql_async::Conn::disconnect(conn).await;
        let f = read?;
        Ok(MyFacts {
            connected: crate::db::postgres::facts::Connected {
                host: target.host.clone(),
                port: target.port,
                database: target.database.clone().unwrap_or_default(),
                user: target.user.clone(),
            },
            ..f
        })
    })
}
