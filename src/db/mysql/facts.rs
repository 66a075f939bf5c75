//! What a MySQL/MariaDB probe reads: SHOW GLOBAL VARIABLES, SHOW GLOBAL STATUS, the
//! processlist and the account's own SHOW CREATE USER. Nothing that writes.

use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Usage {
    pub user: String,
    /// The client host without its port.
    pub host: String,
    pub database: String,
    pub command: String,
    pub count: i64,
}

/// The connecting account's own limit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Account {
    /// CURRENT_USER(): the account the server matched, `user@host`.
    pub name: String,
    pub user: String,
    /// The account's MAX_USER_CONNECTIONS: Some(0) = none of its own (the global
    /// max_user_connections applies); None = could not be read.
    pub max_user_connections: Option<u64>,
    /// What applies to the account: its own limit, else the global one; None = unlimited.
    pub effective_limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MyFacts {
    /// "MySQL" or "MariaDB", from the version string.
    pub engine: String,
    pub server_version: String,
    pub max_connections: u64,
    /// 0 = unlimited.
    pub max_user_connections: u64,
    pub wait_timeout_s: u64,
    pub interactive_timeout_s: u64,
    /// MariaDB: connections allowed on extra_port beyond max_connections.
    pub extra_max_connections: Option<u64>,
    /// MariaDB: 0 = no extra port.
    pub extra_port: Option<u64>,
    /// MySQL 8.0.14+: the administrative port (only listening when admin_address is set).
    pub admin_port: Option<u64>,
    pub admin_address: Option<String>,
    /// one-thread-per-connection or pool-of-threads (MariaDB's thread pool).
    pub thread_handling: Option<String>,
    pub thread_pool_max_threads: Option<u64>,
    /// Ordinary accounts may use every max_connections slot; MySQL keeps one more for
    /// CONNECTION_ADMIN/SUPER.
    pub usable: u64,
    pub threads_connected: u64,
    /// Connections now, not counting the probe's own.
    pub in_use: u64,
    /// usable − in_use.
    pub free: i64,
    pub max_used_connections: u64,
    pub connection_errors_max_connections: u64,
    pub connections: Vec<Usage>,
    pub account: Account,
    /// The account holds PROCESS (or ALL PRIVILEGES on *.*); without it the processlist shows
    /// only its own connections.
    pub sees_all_connections: bool,
    pub connected: crate::db::postgres::facts::Connected,
}

async fn name_values(conn: &mut Conn, sql: &str) -> mysql_async::Result<BTreeMap<String, String>> {
    let rows: Vec<(String, Option<String>)> = conn.query(sql).await?;
    Ok(rows
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.unwrap_or_default()))
        .collect())
}

/// The number after `MAX_USER_CONNECTIONS` in SHOW CREATE USER / SHOW GRANTS output.
pub fn parse_account_limit(text: &str) -> Option<u64> {
    let upper = text.to_ascii_uppercase();
    let at = upper.find("MAX_USER_CONNECTIONS")?;
    upper[at + "MAX_USER_CONNECTIONS".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.trim_end_matches([',', ';']).parse().ok())
}

/// The account's own MAX_USER_CONNECTIONS: SHOW CREATE USER (the own account needs no
/// privilege on MySQL 8 and MariaDB), else SHOW GRANTS (MariaDB lists WITH
/// MAX_USER_CONNECTIONS there). None when neither says.
/// user, host, database, command, connections.
type ProcessRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

pub async fn account_limit(conn: &mut Conn) -> Option<u64> {
    let mut texts: Vec<String> = Vec::new();
    if let Ok(rows) = conn
        .query::<String, _>("SHOW CREATE USER CURRENT_USER()")
        .await
    {
        texts.extend(rows);
    }
    if texts.is_empty() {
        if let Ok(rows) = conn.query::<String, _>("SHOW GRANTS").await {
            texts.extend(rows);
        }
    }
    if texts.is_empty() {
        return None;
    }
    Some(
        texts
            .iter()
            .find_map(|t| parse_account_limit(t))
            .unwrap_or(0),
    )
}

fn num(map: &BTreeMap<String, String>, key: &str) -> Option<u64> {
    map.get(key).and_then(|v| v.parse().ok())
}

pub async fn read(conn: &mut Conn) -> mysql_async::Result<MyFacts> {
    let vars = name_values(
        conn,
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'max_connections', \
         'max_user_connections', 'wait_timeout', 'interactive_timeout', \
         'extra_max_connections', 'extra_port', 'admin_port', 'admin_address', \
         'thread_handling', 'thread_pool_max_threads')",
    )
    .await?;
    let status = name_values(
        conn,
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', \
         'Max_used_connections', 'Connection_errors_max_connections')",
    )
    .await?;
    let rows: Vec<ProcessRow> = conn
        .query(
            "SELECT USER, SUBSTRING_INDEX(HOST, ':', 1), COALESCE(DB, ''), COMMAND, COUNT(*) \
             FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
             GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1, 2, 3, 4",
        )
        .await?;
    let connections = rows
        .into_iter()
        .map(|(u, h, d, c, n)| Usage {
            user: u.unwrap_or_default(),
            host: h.unwrap_or_default(),
            database: d.unwrap_or_default(),
            command: c.unwrap_or_default(),
            count: n,
        })
        .collect();
    let current: Option<String> = conn.query_first("SELECT CURRENT_USER()").await?;
    let current = current.unwrap_or_default();
    let own = account_limit(conn).await;
    let grants: Vec<String> = conn.query("SHOW GRANTS").await.unwrap_or_default();
    let sees_all_connections = grants.iter().any(|g| sees_all(g));
    let version = vars.get("version").cloned().unwrap_or_default();
    let engine = if version.to_ascii_lowercase().contains("mariadb") {
        "MariaDB"
    } else {
        "MySQL"
    };
    let max_connections = num(&vars, "max_connections").unwrap_or(0);
    let max_user_connections = num(&vars, "max_user_connections").unwrap_or(0);
    let threads_connected = num(&status, "threads_connected").unwrap_or(0);
    let in_use = threads_connected.saturating_sub(1);
    let effective_limit = match own {
        Some(n) if n > 0 => Some(n),
        _ if max_user_connections > 0 => Some(max_user_connections),
        _ => None,
    };
    let text = |k: &str| vars.get(k).cloned().filter(|v| !v.is_empty());
    Ok(MyFacts {
        engine: engine.into(),
        server_version: version,
        max_connections,
        max_user_connections,
        wait_timeout_s: num(&vars, "wait_timeout").unwrap_or(0),
        interactive_timeout_s: num(&vars, "interactive_timeout").unwrap_or(0),
        extra_max_connections: num(&vars, "extra_max_connections"),
        extra_port: num(&vars, "extra_port"),
        admin_port: num(&vars, "admin_port"),
        admin_address: text("admin_address"),
        thread_handling: text("thread_handling"),
        thread_pool_max_threads: num(&vars, "thread_pool_max_threads"),
        usable: max_connections,
        threads_connected,
        in_use,
        free: max_connections as i64 - in_use as i64,
        max_used_connections: num(&status, "max_used_connections").unwrap_or(0),
        connection_errors_max_connections: num(&status, "connection_errors_max_connections")
            .unwrap_or(0),
        connections,
        account: Account {
            user: current
                .rsplit_once('@')
                .map_or(current.clone(), |(u, _)| u.to_string()),
            name: current,
            max_user_connections: own,
            effective_limit,
        },
        sees_all_connections,
        connected: Default::default(),
    })
}

/// A global grant that shows every connection in the processlist.
pub fn sees_all(grant: &str) -> bool {
    let g = grant.to_ascii_uppercase();
    let Some(on) = g.find(" ON *.* TO ") else {
        return false;
    };
    let privs = &g[..on];
    privs.contains("ALL PRIVILEGES") || privs.split([' ', ',']).any(|p| p == "PROCESS")
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_limit_from_show_create_user() {
        use super::parse_account_limit as p;
        // MariaDB 10.11 and MySQL 8.0 print the resource options after the authentication.
        assert_eq!(
            p("CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*AB' WITH MAX_USER_CONNECTIONS 2"),
            Some(2)
        );
        assert_eq!(
            p(
                "CREATE USER 'a'@'%' REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT UNLOCK \
               WITH MAX_QUERIES_PER_HOUR 0 MAX_USER_CONNECTIONS 15 MAX_CONNECTIONS_PER_HOUR 0"
            ),
            Some(15)
        );
        assert_eq!(p("CREATE USER `root`@`localhost`"), None);
    }

    #[test]
    fn process_privilege_from_grants() {
        use super::sees_all;
        assert!(sees_all(
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"
        ));
        assert!(sees_all("GRANT SELECT, PROCESS ON *.* TO `mon`@`%`"));
        assert!(!sees_all("GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`"));
        assert!(!sees_all(
            "GRANT USAGE ON *.* TO `app`@`%` WITH MAX_USER_CONNECTIONS 2"
        ));
    }
}
