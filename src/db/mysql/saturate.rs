//! MySQL/MariaDB for the saturation check: the pool manager of its connections, the
//! free-slot preflight and the leftover check afterwards by connection id.

use super::connect::{classify, MyTarget, ER_CONNECTION_KILLED};
use crate::db::failure::ConnectFailure;
use crate::pool::Manager;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The program_name connection attribute of the run's connections (performance_schema's
/// session_connect_attrs shows it on MySQL).
pub const PROGRAM_NAME: &str = "poolcheck-saturate";

/// MySQL CR_SERVER_LOST / CR_SERVER_GONE_ERROR as a server reports them to some proxies, and
/// ER_SERVER_SHUTDOWN: the connection is over.
const GONE: [u16; 3] = [1053, 2006, 2013];

pub struct MyManager {
    pub target: MyTarget,
    pub connect_timeout: Duration,
    /// Bounds every statement of the session, so a stuck SLEEP cannot outlive the check.
    pub statement_timeout: Duration,
    /// MariaDB names the bound max_statement_time (seconds), MySQL max_execution_time (ms).
    pub mariadb: bool,
    /// Connection ids of every connection opened, to verify afterwards that none is left.
    pub ids: Arc<Mutex<Vec<u32>>>,
}

/// The session statement that bounds every later statement.
/// https://mariadb.com/kb/en/aborting-statements/ (max_statement_time, seconds);
/// https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_max_execution_time
/// (milliseconds, SELECT only: the hold is a SELECT).
pub fn statement_bound(mariadb: bool, t: Duration) -> String {
    if mariadb {
        format!("SET SESSION max_statement_time = {}", t.as_secs_f64())
    } else {
        format!("SET SESSION max_execution_time = {}", t.as_millis().max(1))
    }
}

impl Manager for MyManager {
    type Conn = Conn;
    type Error = ConnectFailure;

    async fn create(&self) -> Result<Conn, ConnectFailure> {
        let mut conn = self
            .target
            .connect(self.connect_timeout, PROGRAM_NAME)
            .await?;
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn.id());
        conn.query_drop(statement_bound(self.mariadb, self.statement_timeout))
            .await
            .map_err(|e| classify(&self.target.redacted(), &e))?;
        Ok(conn)
    }

    async fn validate(&self, conn: &mut Conn) -> Result<(), ConnectFailure> {
        conn.ping()
            .await
            .map_err(|e| classify(&self.target.redacted(), &e))
    }

    fn is_broken(&self, _conn: &Conn) -> bool {
        // mysql_async keeps no closed flag; a broken connection shows on its next statement,
        // which marks it broken (see `ran_broken`).
        false
    }
}

/// Whether the error of a statement means the connection is gone (KILLed, server restarted).
pub fn ran_broken(e: &mysql_async::Error) -> bool {
    match e {
        mysql_async::Error::Server(s) => s.code == ER_CONNECTION_KILLED || GONE.contains(&s.code),
        other => other.is_fatal(),
    }
}

/// Server slots before the run, for the account the run connects as.
pub struct Preflight {
    pub max_connections: i64,
    pub threads_connected: i64,
    /// The account's limit (its own MAX_USER_CONNECTIONS, else max_user_connections).
    pub account_limit: Option<i64>,
    pub account_in_use: i64,
}

impl Preflight {
    pub fn free(&self) -> i64 {
        let server = self.max_connections - self.threads_connected;
        match self.account_limit {
            Some(l) => server.min(l - self.account_in_use),
            None => server,
        }
    }

    pub fn detail(&self) -> String {
        let server = format!(
            "{} max_connections, {} connected",
            self.max_connections, self.threads_connected
        );
        match self.account_limit {
            Some(l) => format!(
                "{server}; the account's limit is {l} with {} in use",
                self.account_in_use
            ),
            None => server,
        }
    }
}

pub async fn preflight(observer: &mut Conn) -> mysql_async::Result<Preflight> {
    let row: Option<(i64, i64, i64)> = observer
        .query_first(
            "SELECT @@GLOBAL.max_connections, @@GLOBAL.max_user_connections, \
             (SELECT COUNT(*) FROM information_schema.PROCESSLIST \
              WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1))",
        )
        .await?;
    let (max_connections, global_user_limit, account_in_use) = row.unwrap_or_default();
    let status: Option<(String, i64)> = observer
        .query_first("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
        .await?;
    let own = super::facts::account_limit(observer).await;
    let account_limit = match own {
        Some(n) if n > 0 => Some(n as i64),
        _ if global_user_limit > 0 => Some(global_user_limit),
        _ => None,
    };
    Ok(Preflight {
        max_connections,
        threads_connected: status.map_or(0, |(_, n)| n),
        account_limit,
        account_in_use,
    })
}

/// Connections of this run still on the server.
pub async fn connections_left(observer: &mut Conn, ids: &[u32]) -> mysql_async::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    let n: Option<u64> = observer
        .query_first(format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID IN ({})",
            list.join(",")
        ))
        .await?;
    Ok(n.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_uses_each_servers_variable_and_unit() {
        let t = Duration::from_millis(5_500);
        assert_eq!(
            statement_bound(true, t),
            "SET SESSION max_statement_time = 5.5"
        );
        assert_eq!(
            statement_bound(false, t),
            "SET SESSION max_execution_time = 5500"
        );
    }

    #[test]
    fn free_slots_are_the_tighter_of_server_and_account() {
        let p = Preflight {
            max_connections: 151,
            threads_connected: 10,
            account_limit: Some(2),
            account_in_use: 1,
        };
        assert_eq!(p.free(), 1);
        assert_eq!(
            p.detail(),
            "151 max_connections, 10 connected; the account's limit is 2 with 1 in use"
        );
        let p = Preflight {
            account_limit: None,
            ..p
        };
        assert_eq!(p.free(), 141);
    }
}
