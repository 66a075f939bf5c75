//! `poolcheck probe`: a live server's real limits and current usage, read-only (PostgreSQL,
//! MySQL or MariaDB, a PgBouncer admin console, or Redis by its URL scheme).

use crate::cli::{Format, ProbeArgs};
use crate::core::error::{exit, ToolError, ToolResult};
use crate::db::postgres::probe_blocking;

/// Probe reports are tables; only a line wider than the terminal wraps.
fn fit(report: &str) -> String {
    crate::core::term::fit(report, crate::core::term::style().width)
}

pub fn run(args: &ProbeArgs) -> ToolResult<u8> {
    let timeout = crate::core::units::parse_duration(&args.connect_timeout).map_err(|e| {
        ToolError::new(format!("--connect-timeout: {e}")).with_help("e.g. --connect-timeout 5s")
    })?;
    if timeout.is_zero() {
        return Err(ToolError::new("--connect-timeout 0 would wait forever")
            .with_help("give a finite timeout, e.g. 5s"));
    }
    if crate::db::mysql::connect::is_mysql_url(args.url.as_deref()) {
        let facts = crate::db::mysql::probe_blocking(args.url.as_deref(), timeout)?;
        match args.format {
            Format::Json => outln!(serde_json::to_string_pretty(&facts).unwrap_or_default()),
            Format::Human => out!(fit(&crate::report::mysql_probe::human(&facts))),
        }
        return Ok(exit::CLEAN);
    }
    // The admin console of a PgBouncer answers SHOW, not the server's catalog queries.
    if crate::db::pgbouncer::is_admin_console(args.url.as_deref()) {
        let facts = crate::db::pgbouncer::probe_blocking(args.url.as_deref(), timeout)?;
        match args.format {
            Format::Json => outln!(serde_json::to_string_pretty(&facts).unwrap_or_default()),
            Format::Human => out!(fit(&crate::report::pooler_probe::human(&facts))),
        }
        return Ok(exit::CLEAN);
    }
    // The scheme picks the engine; without a URL the PostgreSQL environment is read.
    let redis_url = args
        .url
        .as_deref()
        .filter(|u| crate::db::redis::connect::is_redis_url(u));
    if redis_url.is_some() {
        let facts = crate::db::redis::probe_blocking(redis_url, timeout)?;
        match args.format {
            Format::Json => outln!(serde_json::to_string_pretty(&facts).unwrap_or_default()),
            Format::Human => out!(fit(&crate::report::redis_probe::human(&facts))),
        }
        return Ok(exit::CLEAN);
    }
    let facts = probe_blocking(args.url.as_deref(), timeout, &[], &[])?;
    match args.format {
        Format::Json => outln!(serde_json::to_string_pretty(&facts).unwrap_or_default()),
        Format::Human => out!(fit(&crate::report::probe::human(&facts))),
    }
    Ok(exit::CLEAN)
}
