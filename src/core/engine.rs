//! The kinds of server a pool connects to, and what each documents about its connection
//! limit and reserve. A vocabulary type shared by input, model and report; the code that
//! talks to live servers is in `db`.

use serde::{Deserialize, Serialize};

/// The kind of server a pool connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    #[default]
    Postgres,
    Mysql,
    Mariadb,
    Redis,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL",
            Engine::Mariadb => "MariaDB",
            Engine::Redis => "Redis",
        }
    }

    /// The engine a connection URL's scheme names, if any.
    pub fn from_scheme(scheme: &str) -> Option<Engine> {
        let s = scheme.to_ascii_lowercase();
        let s = s.strip_prefix("jdbc:").unwrap_or(&s);
        let base = s.split(['+', ':']).next().unwrap_or(s);
        match base {
            "postgres" | "postgresql" | "pgsql" => Some(Engine::Postgres),
            "mysql" | "mysql2" | "mysqlx" | "trilogy" => Some(Engine::Mysql),
            "mariadb" => Some(Engine::Mariadb),
            "redis" | "rediss" | "valkey" => Some(Engine::Redis),
            _ => None,
        }
    }

    /// The engine an adapter or database-type key names (`adapter: trilogy`,
    /// `DATABASE_ADAPTER=mysql2`, `DB_TYPE=mariadb`), if any: the names Rails' adapters
    /// (and activerecord-postgis-adapter's `postgis`), Gitea's, Keycloak's and n8n's
    /// database types use. Only SQL servers: a Redis key names no SQL server, and SQLite or
    /// SQL Server are not modelled.
    /// <https://guides.rubyonrails.org/configuring.html#configuring-a-database> (mysql2,
    /// trilogy, postgresql),
    /// <https://docs.gitea.com/administration/config-cheat-sheet#database-database> (mysql,
    /// postgres), <https://www.keycloak.org/server/all-config#category-database> (mariadb,
    /// mysql, postgres), <https://docs.n8n.io/hosting/configuration/environment-variables/database/>
    /// (postgresdb, mysqldb, mariadb).
    pub fn from_adapter(value: &str) -> Option<Engine> {
        match value.trim().to_ascii_lowercase().as_str() {
            "mysql" | "mysql2" | "trilogy" | "mysqldb" => Some(Engine::Mysql),
            "mariadb" => Some(Engine::Mariadb),
            "postgresql" | "postgres" | "postgis" | "postgresdb" => Some(Engine::Postgres),
            _ => None,
        }
    }

    /// What the server keeps back from ordinary roles when nothing else is known, and why.
    pub fn default_reserve(self) -> (u32, &'static str) {
        match self {
            Engine::Postgres => (3, "PostgreSQL default superuser_reserved_connections = 3"),
            // MySQL and MariaDB allow one connection beyond max_connections for an admin
            // account, so ordinary accounts can use all max_connections slots.
            // https://dev.mysql.com/doc/refman/8.0/en/too-many-connections.html
            Engine::Mysql => (
                0,
                "MySQL keeps its one extra admin connection above max_connections",
            ),
            Engine::Mariadb => (
                0,
                "MariaDB keeps its one extra admin connection above max_connections",
            ),
            Engine::Redis => (0, "Redis reserves no client slots"),
        }
    }

    /// What a client past the limit is told, as the server words it; None for PostgreSQL,
    /// whose messages poolcheck's rules have always spelt out themselves.
    /// <https://dev.mysql.com/doc/mysql-errors/8.4/en/server-error-reference.html#error_er_con_count_error>
    /// <https://mariadb.com/kb/en/e1040/>
    /// <https://redis.io/docs/latest/develop/reference/clients/#maximum-concurrent-connected-clients>
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Engine::Postgres => None,
            Engine::Mysql | Engine::Mariadb => Some("ERROR 1040 (HY000): Too many connections"),
            Engine::Redis => Some("ERR max number of clients reached"),
        }
    }

    /// The setting that limits client connections, as the engine names it.
    pub fn limit_name(self) -> &'static str {
        match self {
            Engine::Redis => "maxclients",
            _ => "max_connections",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_name_their_engines() {
        for (s, e) in [
            ("postgres", Engine::Postgres),
            ("postgresql+asyncpg", Engine::Postgres),
            ("jdbc:postgresql", Engine::Postgres),
            ("mysql2", Engine::Mysql),
            ("jdbc:mariadb", Engine::Mariadb),
            ("rediss", Engine::Redis),
            ("redis+sentinel", Engine::Redis),
        ] {
            assert_eq!(Engine::from_scheme(s), Some(e), "{s}");
        }
        assert_eq!(Engine::from_scheme("https"), None);
        for (a, e) in [
            ("mysql2", Some(Engine::Mysql)),
            ("Trilogy", Some(Engine::Mysql)),
            ("mariadb", Some(Engine::Mariadb)),
            ("postgresql", Some(Engine::Postgres)),
            ("postgresdb", Some(Engine::Postgres)),
            ("sqlite3", None),
            ("redis", None),
        ] {
            assert_eq!(Engine::from_adapter(a), e, "{a}");
        }
        assert_eq!(Engine::Postgres.default_reserve().0, 3);
    }
}

/// The kind of connection pooler between services and a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolerKind {
    Pgbouncer,
    Pgcat,
    Pgdog,
    Supavisor,
    Odyssey,
    RdsProxy,
}

impl PoolerKind {
    pub fn name(self) -> &'static str {
        match self {
            PoolerKind::Pgbouncer => "PgBouncer",
            PoolerKind::Pgcat => "pgcat",
            PoolerKind::Pgdog => "PgDog",
            PoolerKind::Supavisor => "Supavisor",
            PoolerKind::Odyssey => "Odyssey",
            PoolerKind::RdsProxy => "RDS Proxy",
        }
    }
}
