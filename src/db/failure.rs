//! Why a connection to a live server (or a command on it) failed: one type for every engine,
//! the kind of failure shared, the engine's own detail (SQLSTATE, MySQL error number, the
//! Redis error reply) kept, and each engine's wording and advice in one place.

use crate::core::engine::Engine;
use crate::core::error::ToolError;
use std::time::Duration;

/// A failure against `target` (`user@host:port/db …`, never the password).
#[derive(Debug, Clone)]
pub struct ConnectFailure {
    pub engine: Engine,
    pub target: String,
    pub kind: FailureKind,
}

#[derive(Debug, Clone)]
pub enum FailureKind {
    /// No answer to TCP, TLS or the handshake within the connect timeout.
    Timeout {
        after: Duration,
    },
    Unreachable {
        detail: String,
    },
    /// The server offers no TLS, but the TLS mode requires it.
    TlsRefused,
    Tls {
        detail: String,
    },
    /// The login was refused: SQLSTATE 28P01 / 28000, MySQL 1044 / 1045, Redis NOAUTH or
    /// WRONGPASS. `code`: the SQLSTATE or MySQL error number; none for Redis.
    Auth {
        code: Option<String>,
        message: String,
    },
    /// No connection slot: SQLSTATE 53300, MySQL 1040 / 1203 / 1226, Redis `ERR max number of
    /// clients reached`.
    TooManyConnections {
        code: Option<String>,
        message: String,
    },
    /// MySQL 1049.
    UnknownDatabase {
        message: String,
    },
    /// Redis NOPERM: the ACL user may not run the command.
    NoPermission {
        message: String,
    },
    /// Any other error the server sent.
    Server {
        code: Option<String>,
        message: String,
    },
    /// The connection broke after it was open (killed, closed, server gone).
    Closed {
        detail: String,
    },
    /// The peer did not speak the engine's protocol.
    Protocol {
        detail: String,
    },
    /// Anything else while connecting.
    Other {
        detail: String,
    },
}

// MySQL and MariaDB server error numbers, as their references number them:
// https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html
// https://mariadb.com/kb/en/mariadb-error-code-reference/
pub const ER_DBACCESS_DENIED_ERROR: u16 = 1044;
pub const ER_ACCESS_DENIED_ERROR: u16 = 1045;
pub const ER_BAD_DB_ERROR: u16 = 1049;
pub const ER_CON_COUNT_ERROR: u16 = 1040;
pub const ER_TOO_MANY_USER_CONNECTIONS: u16 = 1203;
pub const ER_USER_LIMIT_REACHED: u16 = 1226;
/// MariaDB: the connection was KILLed (MySQL reports it as a lost connection).
pub const ER_CONNECTION_KILLED: u16 = 1927;

impl ConnectFailure {
    pub fn new(engine: Engine, target: impl Into<String>, kind: FailureKind) -> ConnectFailure {
        ConnectFailure {
            engine,
            target: target.into(),
            kind,
        }
    }

    /// The SQLSTATE a PostgreSQL server sent, if any.
    pub fn sqlstate(&self) -> Option<&str> {
        if self.engine != Engine::Postgres {
            return None;
        }
        match &self.kind {
            FailureKind::Auth { code, .. } | FailureKind::Server { code, .. } => code.as_deref(),
            FailureKind::TooManyConnections { .. } => Some("53300"),
            _ => None,
        }
    }

    /// The MySQL / MariaDB error number, if the server sent one.
    pub fn code(&self) -> Option<u16> {
        if !matches!(self.engine, Engine::Mysql | Engine::Mariadb) {
            return None;
        }
        match &self.kind {
            FailureKind::Auth { code, .. }
            | FailureKind::TooManyConnections { code, .. }
            | FailureKind::Server { code, .. } => code.as_deref().and_then(|c| c.parse().ok()),
            FailureKind::UnknownDatabase { .. } => Some(ER_BAD_DB_ERROR),
            _ => None,
        }
    }

    /// The error reply as a Redis server sent it, if this came from one.
    pub fn reply(&self) -> Option<&str> {
        match &self.kind {
            FailureKind::Auth { message, .. }
            | FailureKind::TooManyConnections { message, .. }
            | FailureKind::NoPermission { message }
            | FailureKind::Server { message, .. }
                if self.engine == Engine::Redis =>
            {
                Some(message)
            }
            _ => None,
        }
    }

    /// The connection cannot be used again.
    pub fn is_broken(&self) -> bool {
        matches!(
            self.kind,
            FailureKind::Closed { .. }
                | FailureKind::Unreachable { .. }
                | FailureKind::Timeout { .. }
        ) || self.code() == Some(ER_CONNECTION_KILLED)
    }

    /// What happened and what to do, in the engine's own terms.
    pub fn tool_error(&self) -> ToolError {
        match self.engine {
            Engine::Postgres => self.postgres(),
            Engine::Mysql | Engine::Mariadb => self.mysql(),
            Engine::Redis => self.redis(),
        }
    }

    fn timeout(&self, after: Duration, handshake: &str) -> ToolError {
        ToolError::new(format!(
            "connecting to {} timed out after {} (no answer to TCP, TLS or {handshake})",
            self.target,
            crate::core::units::format_duration(after)
        ))
        .with_help("check host, port and firewalls, or raise --connect-timeout")
    }

    fn postgres(&self) -> ToolError {
        let target = &self.target;
        let code = |c: &Option<String>| c.clone().unwrap_or_default();
        match &self.kind {
            FailureKind::Timeout { after } => self.timeout(*after, "the startup handshake"),
            FailureKind::Unreachable { detail } => ToolError::new(format!("cannot reach {target}: {detail}"))
                .with_help("check that the server runs and listens on that host and port (listen_addresses, port)"),
            FailureKind::TlsRefused => ToolError::new(format!("{target} refused TLS, but sslmode requires it"))
                .with_help("enable ssl on the server, or use sslmode=prefer/disable if plain connections are acceptable"),
            FailureKind::Tls { detail } => ToolError::new(format!("TLS with {target} failed: {detail}"))
                .with_help("for verify-ca/verify-full give the CA with sslrootcert=FILE (or PGSSLROOTCERT); sslmode=require encrypts without verifying"),
            FailureKind::Auth { code: c, message } => ToolError::new(format!("{target} rejected the login (SQLSTATE {}): {message}", code(c)))
                .with_help("check the user and password (URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf"),
            FailureKind::TooManyConnections { message, .. } => ToolError::new(format!("{target} has no connection slot for us (SQLSTATE 53300): {message}"))
                .with_help("the server, the role or the database is at its connection limit: this is exactly what the fleet would hit; see `poolcheck probe` as a superuser or free connections"),
            FailureKind::Server { code: c, message } => ToolError::new(format!("{target} refused the connection (SQLSTATE {}): {message}", code(c)))
                .with_help("check the database name and the role's LOGIN and CONNECT privileges"),
            FailureKind::Other { detail }
            | FailureKind::Closed { detail }
            | FailureKind::Protocol { detail } => ToolError::new(format!("connecting to {target} failed: {detail}")),
            FailureKind::UnknownDatabase { message } | FailureKind::NoPermission { message } => {
                ToolError::new(format!("{target} refused the connection: {message}"))
            }
        }
    }

    fn mysql(&self) -> ToolError {
        let target = &self.target;
        let code = |c: &Option<String>| c.clone().unwrap_or_default();
        match &self.kind {
            FailureKind::Timeout { after } => self.timeout(*after, "the handshake"),
            FailureKind::Unreachable { detail } => {
                ToolError::new(format!("cannot reach {target}: {detail}")).with_help(
                    "check that the server runs and listens on that host and port (bind-address, \
                     port, skip-networking)",
                )
            }
            FailureKind::TlsRefused => ToolError::new(format!(
                "{target} offers no TLS, but the ssl-mode requires it"
            ))
            .with_help("enable TLS on the server, or use ssl-mode=PREFERRED/DISABLED"),
            FailureKind::Tls { detail } => ToolError::new(format!(
                "TLS with {target} failed: {detail}"
            ))
            .with_help(
                "for VERIFY_CA/VERIFY_IDENTITY give the CA with ssl-ca=FILE; ssl-mode=REQUIRED \
                     encrypts without verifying",
            ),
            FailureKind::Auth { code: c, message } => ToolError::new(format!(
                "{target}: access denied (error {}): {message}",
                code(c)
            ))
            .with_help("check the user, the password and the account's host part and grants"),
            FailureKind::UnknownDatabase { message } => ToolError::new(format!(
                "{target}: unknown database (error 1049): {message}"
            ))
            .with_help("check the database name in the URL path, or leave it out"),
            FailureKind::TooManyConnections { code: c, message } => {
                let what = match self.code() {
                    Some(ER_CON_COUNT_ERROR) => "the server is at max_connections",
                    Some(ER_TOO_MANY_USER_CONNECTIONS) => "the account is at max_user_connections",
                    _ => "the account is at its MAX_USER_CONNECTIONS",
                };
                ToolError::new(format!(
                    "{target} has no connection for us: {what} (error {}): {message}",
                    code(c)
                ))
                .with_help(
                    "this is what the fleet would hit; free connections, or probe as an account \
                     with CONNECTION_ADMIN (MySQL's one extra connection)",
                )
            }
            FailureKind::Server { code: c, message } => {
                ToolError::new(format!("{target} refused (error {}): {message}", code(c)))
            }
            FailureKind::NoPermission { message } => {
                ToolError::new(format!("{target} refused: {message}"))
            }
            FailureKind::Closed { detail }
            | FailureKind::Protocol { detail }
            | FailureKind::Other { detail } => {
                ToolError::new(format!("the connection to {target} broke: {detail}"))
            }
        }
    }

    fn redis(&self) -> ToolError {
        let target = &self.target;
        match &self.kind {
            FailureKind::Timeout { after } => self.timeout(*after, "AUTH"),
            FailureKind::Unreachable { detail } => {
                ToolError::new(format!("cannot reach {target}: {detail}"))
                    .with_help("check that Redis runs and listens there (bind, port)")
            }
            FailureKind::Tls { detail } => {
                ToolError::new(format!("TLS with {target} failed: {detail}")).with_help(
                    "give the CA with ?ssl_ca_certs=FILE, or add #insecure to encrypt \
                     without verifying; use redis:// if the server has no TLS port",
                )
            }
            FailureKind::TlsRefused => ToolError::new(format!("TLS with {target} failed"))
                .with_help("use redis:// if the server has no TLS port"),
            FailureKind::Auth { message, .. } => {
                ToolError::new(format!("{target} rejected the login: {message}")).with_help(
                    "check the user and password in the URL \
                     (redis://USER:PASSWORD@host, or redis://:PASSWORD@host for default)",
                )
            }
            FailureKind::TooManyConnections { message, .. } => {
                ToolError::new(format!("{target} has no client slot for us: {message}")).with_help(
                    "the server is at maxclients: this is what the fleet would hit; \
                 free connections or raise maxclients",
                )
            }
            FailureKind::NoPermission { message } => {
                ToolError::new(format!("{target} denied a command: {message}"))
                    .with_help("grant the ACL user the command, or use another user")
            }
            FailureKind::Server { message, .. } | FailureKind::UnknownDatabase { message } => {
                ToolError::new(format!("{target} answered with an error: {message}"))
            }
            FailureKind::Closed { detail } | FailureKind::Other { detail } => ToolError::new(
                format!("{target} closed the connection: {detail}"),
            )
            .with_help("the server may have killed the client (CLIENT KILL, timeout) or restarted"),
            FailureKind::Protocol { detail } => {
                ToolError::new(format!("{target} did not answer as Redis does: {detail}"))
                    .with_help(
                        "check that the port is a Redis server's (and TLS: redis:// vs rediss://)",
                    )
            }
        }
    }
}

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.tool_error().message)
    }
}

impl From<ConnectFailure> for ToolError {
    fn from(e: ConnectFailure) -> ToolError {
        e.tool_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_kind_each_engine_in_its_own_words() {
        let full = |engine, code: Option<&str>| {
            ConnectFailure::new(
                engine,
                "app@db:1/x",
                FailureKind::TooManyConnections {
                    code: code.map(String::from),
                    message: "m".into(),
                },
            )
        };
        assert_eq!(
            full(Engine::Postgres, None).to_string(),
            "app@db:1/x has no connection slot for us (SQLSTATE 53300): m"
        );
        assert_eq!(full(Engine::Postgres, None).sqlstate(), Some("53300"));
        assert_eq!(
            full(Engine::Mysql, Some("1203")).to_string(),
            "app@db:1/x has no connection for us: the account is at max_user_connections \
             (error 1203): m"
        );
        assert_eq!(full(Engine::Mariadb, Some("1040")).code(), Some(1040));
        assert_eq!(
            full(Engine::Redis, None).to_string(),
            "app@db:1/x has no client slot for us: m"
        );
        assert_eq!(full(Engine::Redis, None).reply(), Some("m"));
        assert_eq!(full(Engine::Mysql, Some("1040")).reply(), None);
        let timeout = |engine| {
            ConnectFailure::new(
                engine,
                "t",
                FailureKind::Timeout {
                    after: Duration::from_secs(2),
                },
            )
            .to_string()
        };
        assert!(
            timeout(Engine::Postgres).ends_with("(no answer to TCP, TLS or the startup handshake)")
        );
        assert!(timeout(Engine::Mysql).ends_with("(no answer to TCP, TLS or the handshake)"));
        assert!(timeout(Engine::Redis).ends_with("(no answer to TCP, TLS or AUTH)"));
        let killed = ConnectFailure::new(
            Engine::Mariadb,
            "t",
            FailureKind::Server {
                code: Some("1927".into()),
                message: "killed".into(),
            },
        );
        assert!(killed.is_broken());
    }
}
