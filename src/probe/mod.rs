//! `poolcheck probe`: a live PostgreSQL server's real limits and current usage, read-only.

pub mod connect;
pub mod facts;

pub use connect::{ConnTarget, ConnectError};
pub use facts::ServerFacts;

use crate::cli::{Format, ProbeArgs};
use crate::error::{exit, ToolError, ToolResult};
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
        Ok(facts)
    })
}

pub fn run(args: &ProbeArgs) -> ToolResult<u8> {
    let timeout = crate::units::parse_duration(&args.connect_timeout).map_err(|e| {
        ToolError::new(format!("--connect-timeout: {e}")).with_help("e.g. --connect-timeout 5s")
    })?;
    if timeout.is_zero() {
        return Err(ToolError::new("--connect-timeout 0 would wait forever")
            .with_help("give a finite timeout, e.g. 5s"));
    }
    let facts = probe_blocking(args.url.as_deref(), timeout, &[], &[])?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&facts).unwrap_or_default()
        ),
        Format::Human => print!("{}", facts::human(&facts)),
    }
    Ok(exit::CLEAN)
}
