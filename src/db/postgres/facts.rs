//! What a probe reads, all inside one READ ONLY transaction.

use serde::Serialize;
use tokio_postgres::Client;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Usage {
    pub database: String,
    pub role: String,
    pub application: String,
    pub state: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RoleFacts {
    pub name: String,
    /// null = unlimited (rolconnlimit −1).
    pub connection_limit: Option<i32>,
    pub superuser: bool,
    /// Superuser, or (16+) a member of pg_use_reserved_connections.
    pub can_use_reserved: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Limit {
    pub name: String,
    /// null = unlimited.
    pub connection_limit: Option<i32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Setting {
    /// As SHOW prints it.
    pub value: String,
    /// In milliseconds (0 = disabled), for time settings.
    pub ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Settings {
    pub statement_timeout: Setting,
    pub idle_in_transaction_session_timeout: Setting,
    /// PostgreSQL 14+.
    pub idle_session_timeout: Option<Setting>,
    pub tcp_keepalives_idle: Setting,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServerFacts {
    pub server_version: String,
    pub server_version_num: i32,
    pub max_connections: i32,
    pub superuser_reserved_connections: i32,
    /// PostgreSQL 16+; 0 before.
    pub reserved_connections: i32,
    /// max_connections − superuser_reserved_connections − reserved_connections.
    pub usable: i32,
    /// Client connections now, not counting the probe's own.
    pub in_use: i64,
    /// usable − in_use (slots an ordinary role can still take).
    pub free: i64,
    pub idle_in_transaction: i64,
    pub oldest_connection_age_s: Option<f64>,
    pub connections: Vec<Usage>,
    pub role: RoleFacts,
    pub database: Limit,
    /// Limits of other roles and databases the caller asked about (e.g. from poolcheck.toml).
    pub other_roles: Vec<Limit>,
    pub other_databases: Vec<Limit>,
    pub settings: Settings,
    /// Whether this role can see other roles' sessions (pg_read_all_stats / superuser); without
    /// it, other roles' rows show no state.
    pub sees_all_sessions: bool,
    /// Where the probe connected, so a report can never be mistaken for another server's.
    pub connected: Connected,
}

/// The server and identity a probe used (never the password).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Connected {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
}

fn limit(v: i32) -> Option<i32> {
    (v >= 0).then_some(v)
}

/// Reads the facts in one READ ONLY transaction.
pub async fn read(
    client: &Client,
    roles: &[String],
    databases: &[String],
) -> Result<ServerFacts, tokio_postgres::Error> {
    client.batch_execute("BEGIN READ ONLY").await?;
    let r = read_inner(client, roles, databases).await;
    let _ = client
        .batch_execute(if r.is_ok() { "COMMIT" } else { "ROLLBACK" })
        .await;
    r
}

async fn setting(client: &Client, name: &str) -> Result<Option<Setting>, tokio_postgres::Error> {
    // pg_settings gives the unit, so milliseconds do not depend on SHOW's formatting.
    let row = client
        .query_opt(
            "SELECT current_setting(name), setting, coalesce(unit, '') FROM pg_settings WHERE name = $1",
            &[&name],
        )
        .await?;
    Ok(row.map(|r| {
        let shown: String = r.get(0);
        let raw: String = r.get(1);
        let unit: String = r.get(2);
        let n: Option<i64> = raw.parse().ok();
        let ms = n.and_then(|n| match unit.as_str() {
            "ms" => Some(n),
            "s" => Some(n * 1000),
            "min" => Some(n * 60_000),
            _ => None,
        });
        Setting { value: shown, ms }
    }))
}

async fn read_inner(
    client: &Client,
    roles: &[String],
    databases: &[String],
) -> Result<ServerFacts, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, \
             current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int, \
             coalesce((SELECT setting::int FROM pg_settings WHERE name = 'reserved_connections'), 0), \
             current_user::text, current_database()::text",
            &[],
        )
        .await?;
    let server_version: String = row.get(0);
    let server_version_num: i32 = row.get(1);
    let max_connections: i32 = row.get(2);
    let superuser_reserved_connections: i32 = row.get(3);
    let reserved_connections: i32 = row.get(4);
    let me: String = row.get(5);
    let db: String = row.get(6);

    let r = client
        .query_one(
            "SELECT rolconnlimit, rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?;
    let superuser: bool = r.get(1);
    let reserved_member = if server_version_num >= 160000 {
        client
            .query_one(
                "SELECT pg_has_role(current_user, 'pg_use_reserved_connections', 'MEMBER')",
                &[],
            )
            .await?
            .get::<_, bool>(0)
    } else {
        false
    };
    let sees_all_sessions = superuser
        || client
            .query_one(
                "SELECT pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')",
                &[],
            )
            .await?
            .get::<_, bool>(0);
    let role = RoleFacts {
        name: me,
        connection_limit: limit(r.get(0)),
        superuser,
        can_use_reserved: superuser || reserved_member,
    };
    let d = client
        .query_one(
            "SELECT datconnlimit FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .await?;
    let database = Limit {
        name: db,
        connection_limit: limit(d.get(0)),
    };

    let other_roles = client
        .query(
            "SELECT rolname::text, rolconnlimit FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1",
            &[&roles],
        )
        .await?
        .iter()
        .map(|r| Limit {
            name: r.get(0),
            connection_limit: limit(r.get(1)),
        })
        .collect();
    let other_databases = client
        .query("SELECT datname::text, datconnlimit FROM pg_database WHERE datname = ANY($1) ORDER BY 1", &[&databases])
        .await?
        .iter()
        .map(|r| Limit { name: r.get(0), connection_limit: limit(r.get(1)) })
        .collect();

    // Client backends only (not walsenders or background workers), and not this probe. Without
    // pg_read_all_stats, other roles' rows hide backend_type (and state): count the rows that have
    // a database as client sessions (autovacuum workers may then be counted too).
    let connections: Vec<Usage> = client
        .query(
            "SELECT coalesce(datname::text, ''), coalesce(usename::text, ''), coalesce(application_name, ''), \
             coalesce(state, 'unknown'), count(*) \
             FROM pg_stat_activity WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND datname IS NOT NULL)) AND pid <> pg_backend_pid() \
             GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1, 2, 3, 4",
            &[],
        )
        .await?
        .iter()
        .map(|r| Usage { database: r.get(0), role: r.get(1), application: r.get(2), state: r.get(3), count: r.get(4) })
        .collect();
    let agg = client
        .query_one(
            "SELECT count(*) FILTER (WHERE state LIKE 'idle in transaction%'), \
             extract(epoch FROM now() - min(backend_start))::float8 \
             FROM pg_stat_activity WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND datname IS NOT NULL)) AND pid <> pg_backend_pid()",
            &[],
        )
        .await?;
    let in_use: i64 = connections.iter().map(|c| c.count).sum();
    let usable = max_connections - superuser_reserved_connections - reserved_connections;
    let settings = Settings {
        statement_timeout: setting(client, "statement_timeout")
            .await?
            .unwrap_or(Setting {
                value: "0".into(),
                ms: Some(0),
            }),
        idle_in_transaction_session_timeout: setting(client, "idle_in_transaction_session_timeout")
            .await?
            .unwrap_or(Setting {
                value: "0".into(),
                ms: Some(0),
            }),
        idle_session_timeout: setting(client, "idle_session_timeout").await?,
        tcp_keepalives_idle: setting(client, "tcp_keepalives_idle")
            .await?
            .unwrap_or(Setting {
                value: "0".into(),
                ms: Some(0),
            }),
    };
    Ok(ServerFacts {
        server_version,
        server_version_num,
        max_connections,
        superuser_reserved_connections,
        reserved_connections,
        usable,
        in_use,
        free: i64::from(usable) - in_use,
        idle_in_transaction: agg.get(0),
        oldest_connection_age_s: agg.get(1),
        connections,
        role,
        database,
        other_roles,
        other_databases,
        settings,
        sees_all_sessions,
        connected: Connected::default(),
    })
}
