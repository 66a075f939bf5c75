//! PgBouncer's admin console (the `pgbouncer` database of a PgBouncer): its real settings,
//! databases and current pools, read with SHOW commands over the simple query protocol (the
//! console speaks nothing else). Read-only: no SET, RELOAD, PAUSE or KILL is ever sent.
//! <https://www.pgbouncer.org/usage.html#admin-console>

use super::postgres::{connect, ConnTarget};
use crate::core::error::{ToolError, ToolResult};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_postgres::SimpleQueryMessage;

/// The settings poolcheck models (rules/poolers.toml); the rest of SHOW CONFIG is left out
/// (it holds file paths and auth settings nobody asked to see).
const MODELLED: &[&str] = &[
    "pool_mode",
    "default_pool_size",
    "min_pool_size",
    "reserve_pool_size",
    "max_client_conn",
    "max_db_connections",
    "max_user_connections",
    "max_prepared_statements",
    "query_wait_timeout",
    "server_idle_timeout",
    "server_lifetime",
    "client_idle_timeout",
    "listen_port",
];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PoolerFacts {
    pub target: String,
    /// `SHOW VERSION`, e.g. "PgBouncer 1.18.0".
    pub version: Option<String>,
    /// The modelled keys of `SHOW CONFIG`, as PgBouncer reports them.
    pub config: BTreeMap<String, String>,
    /// `SHOW DATABASES`: name, host, port, database, pool_size, reserve_pool, pool_mode,
    /// max_connections, current_connections (the columns present in this version).
    pub databases: Vec<BTreeMap<String, String>>,
    /// `SHOW POOLS`: database, user, cl_active, cl_waiting, sv_active, sv_idle, sv_used,
    /// pool_mode, … per (database, user) pool.
    pub pools: Vec<BTreeMap<String, String>>,
}

/// Columns kept from SHOW DATABASES and SHOW POOLS: counts and names, never auth.
const DATABASE_COLUMNS: &[&str] = &[
    "name",
    "host",
    "port",
    "database",
    "force_user",
    "pool_size",
    "min_pool_size",
    "reserve_pool",
    "pool_mode",
    "max_connections",
    "current_connections",
];
const POOL_COLUMNS: &[&str] = &[
    "database",
    "user",
    "cl_active",
    "cl_waiting",
    "sv_active",
    "sv_idle",
    "sv_used",
    "sv_tested",
    "sv_login",
    "maxwait",
    "pool_mode",
];

/// True when the URL names PgBouncer's admin console (database `pgbouncer`).
pub fn is_admin_console(url: Option<&str>) -> bool {
    ConnTarget::resolve(url).is_ok_and(|t| t.dbname == "pgbouncer")
}

fn rows(messages: Vec<SimpleQueryMessage>, keep: &[&str]) -> Vec<BTreeMap<String, String>> {
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                r.columns()
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| keep.contains(&c.name()))
                    .filter_map(|(i, c)| Some((c.name().to_string(), r.get(i)?.to_string())))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

async fn read(client: &tokio_postgres::Client) -> Result<PoolerFacts, tokio_postgres::Error> {
    let version = rows(client.simple_query("SHOW VERSION").await?, &["version"])
        .into_iter()
        .find_map(|r| r.get("version").cloned());
    let config = rows(client.simple_query("SHOW CONFIG").await?, &["key", "value"])
        .into_iter()
        .filter_map(|r| Some((r.get("key")?.clone(), r.get("value")?.clone())))
        .filter(|(k, _)| MODELLED.contains(&k.as_str()))
        .collect();
    let databases = rows(
        client.simple_query("SHOW DATABASES").await?,
        DATABASE_COLUMNS,
    );
    let pools = rows(client.simple_query("SHOW POOLS").await?, POOL_COLUMNS);
    Ok(PoolerFacts {
        target: String::new(),
        version,
        config,
        databases,
        pools,
    })
}

/// Connects to the admin console and reads its facts within `timeout` each.
pub fn probe_blocking(url: Option<&str>, timeout: Duration) -> ToolResult<PoolerFacts> {
    let target = ConnTarget::resolve(url)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ToolError::new(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async {
        let client = target
            .connect(timeout, super::postgres::APPLICATION_NAME)
            .await?;
        let mut facts = tokio::time::timeout(timeout.max(Duration::from_secs(5)), read(&client))
            .await
            .map_err(|_| {
                ToolError::new(format!(
                    "{} accepted the connection but did not answer SHOW in time",
                    target.redacted()
                ))
            })?
            .map_err(|e| {
                ToolError::from(connect::classify(&target.redacted(), &e)).with_help(
                    "connect as a user listed in admin_users or stats_users of pgbouncer.ini",
                )
            })?;
        facts.target = target.redacted();
        Ok(facts)
    })
}
