//! How poolcheck reaches a MySQL or MariaDB server: `mysql://`, `mariadb://`, `mysql2://` and
//! `jdbc:mysql:` / `jdbc:mariadb:` URLs, TLS as the clients' ssl-mode means it, one deadline
//! over TCP, TLS and the handshake, and errors classified by the server's error codes.

use crate::core::error::ToolError;
use mysql_async::{Conn, Opts, OptsBuilder, SslOpts};
use std::path::PathBuf;
use std::time::Duration;

/// The mysql client's --ssl-mode values (Connector/J's sslMode uses the same names).
/// https://dev.mysql.com/doc/refman/8.0/en/connection-options.html#option_general_ssl-mode
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disabled,
    /// The mysql client's default: TLS when the server offers it, else plain.
    Preferred,
    /// Encrypted, the certificate not checked.
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl SslMode {
    /// Accepts MySQL's names and the libpq-style ones (MariaDB Connector/J: disable, trust,
    /// verify-ca, verify-full), case-insensitively.
    pub fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "disabled" | "disable" | "false" => SslMode::Disabled,
            "preferred" | "prefer" => SslMode::Preferred,
            "required" | "require" | "trust" | "true" => SslMode::Required,
            "verify_ca" => SslMode::VerifyCa,
            "verify_identity" | "verify_full" => SslMode::VerifyIdentity,
            _ => {
                return Err(format!(
                    "ssl-mode `{}` is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, \
                     VERIFY_IDENTITY",
                    crate::core::secrets::clip(s, 30)
                ))
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disabled => "DISABLED",
            SslMode::Preferred => "PREFERRED",
            SslMode::Required => "REQUIRED",
            SslMode::VerifyCa => "VERIFY_CA",
            SslMode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }
}

/// Where and how to connect. Never printed with its password: use [`MyTarget::redacted`].
#[derive(Clone)]
pub struct MyTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    password: Option<String>,
    /// None: no default database (the mysql client's behaviour without one).
    pub database: Option<String>,
    pub ssl_mode: SslMode,
    pub ssl_ca: Option<PathBuf>,
    /// The scheme said MariaDB (the server's version string decides in the end).
    pub says_mariadb: bool,
}

impl std::fmt::Debug for MyTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Whether a URL (or DATABASE_URL when none is given) names a MySQL or MariaDB server.
pub fn is_mysql_url(url: Option<&str>) -> bool {
    let text = match url {
        Some(u) => u.to_string(),
        None => match std::env::var("DATABASE_URL") {
            Ok(u) => u,
            Err(_) => return false,
        },
    };
    let scheme = text.split("://").next().unwrap_or("");
    text.contains("://")
        && matches!(
            crate::core::engine::Engine::from_scheme(scheme),
            Some(crate::core::engine::Engine::Mysql | crate::core::engine::Engine::Mariadb)
        )
}

fn cfg_err(source: &str, msg: impl std::fmt::Display) -> ToolError {
    ToolError::new(format!("{source}: {msg}"))
        .with_help("use mysql://user:password@host:3306/db?ssl-mode=REQUIRED (or mariadb://)")
}

impl MyTarget {
    /// The URL argument, else DATABASE_URL.
    pub fn resolve(url: Option<&str>) -> Result<MyTarget, ToolError> {
        let (text, source) = match url {
            Some(u) => (u.to_string(), "the URL argument"),
            None => match std::env::var("DATABASE_URL") {
                Ok(u) if !u.is_empty() => (u, "DATABASE_URL"),
                _ => {
                    return Err(
                        ToolError::new("no MySQL URL given and DATABASE_URL is not set")
                            .with_help("pass mysql://user:password@host:3306/db"),
                    )
                }
            },
        };
        Self::parse(&text).map_err(|e| cfg_err(source, e))
    }

    fn parse(text: &str) -> Result<MyTarget, String> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        let t = if lower.starts_with("jdbc:") {
            &t[5..]
        } else {
            t
        };
        let (scheme, rest) = t.split_once("://").ok_or("not a mysql:// URL (no `://`)")?;
        let engine = crate::core::engine::Engine::from_scheme(scheme);
        let says_mariadb = match engine {
            Some(crate::core::engine::Engine::Mysql) => false,
            Some(crate::core::engine::Engine::Mariadb) => true,
            _ => {
                return Err(format!(
                    "`{}` URLs are not MySQL or MariaDB URLs; use mysql:// or mariadb://",
                    crate::core::secrets::clip(scheme, 30)
                ))
            }
        };
        let before_query = &rest[..rest.find('?').unwrap_or(rest.len())];
        let authority = &before_query[..before_query.find('/').unwrap_or(before_query.len())];
        if before_query[authority.len()..].contains('@') {
            return Err(
                "the URL has an `@` after its first `/`: a password with an unencoded \
                        `/`? Percent-encode it (`/` is %2F, `@` is %40)"
                    .into(),
            );
        }
        let (info, hosts) = match authority.rsplit_once('@') {
            Some((i, h)) => (Some(i), h),
            None => (None, authority),
        };
        if hosts.contains(',') {
            return Err("the URL names several hosts; probe one server at a time".into());
        }
        let decode = crate::input::formats::url::percent_decode;
        let (mut user, mut password) = match info {
            Some(i) => match i.split_once(':') {
                Some((u, p)) => (Some(decode(u)), Some(decode(p))),
                None => (Some(decode(i)), None),
            },
            None => (None, None),
        };
        let (host, port_text) = if let Some(r) = hosts.strip_prefix('[') {
            let end = r.find(']').ok_or("an IPv6 host without its closing `]`")?;
            (r[..end].to_string(), r[end + 1..].strip_prefix(':'))
        } else {
            match hosts.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hosts.to_string(), None),
            }
        };
        let port = match port_text {
            None => 3306,
            Some(p) => p.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!(
                    "port `{}` is not a number from 1 to 65535",
                    crate::core::secrets::clip(p, 20)
                )
            })?,
        };
        let host = if host.is_empty() {
            "localhost".to_string()
        } else {
            decode(&host)
        };
        let path = &before_query[authority.len()..];
        let database = Some(decode(path.trim_start_matches('/'))).filter(|d| !d.is_empty());
        let mut ssl_mode = None;
        let mut ssl_ca = None;
        if let Some(q) = rest.find('?').map(|i| &rest[i + 1..]) {
            let q = &q[..q.find('#').unwrap_or(q.len())];
            // JDBC URLs also separate parameters with `;` (MariaDB Connector/J accepts both).
            for pair in q.split(['&', ';']).filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let v = decode(v);
                match k.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
                    "user" => user = Some(v),
                    "password" => password = Some(v),
                    "sslmode" => ssl_mode = Some(SslMode::parse(&v)?),
                    "usessl" | "ssl" if ssl_mode.is_none() => {
                        ssl_mode = Some(if v.eq_ignore_ascii_case("true") || v == "1" {
                            SslMode::Required
                        } else {
                            SslMode::Disabled
                        })
                    }
                    "sslca" | "serversslcert" | "trustcertificatekeystoreurl" => {
                        ssl_ca = Some(PathBuf::from(v.trim_start_matches("file:")))
                    }
                    _ => {}
                }
            }
        }
        if let Some(p) = &password {
            crate::core::secrets::register(p);
        }
        let user = user
            .filter(|u| !u.is_empty())
            .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "root".into());
        Ok(MyTarget {
            host,
            port,
            user,
            password,
            database,
            ssl_mode: ssl_mode.unwrap_or(SslMode::Preferred),
            ssl_ca,
            says_mariadb,
        })
    }

    pub fn redacted(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{}@{host}:{}/{} (ssl-mode={})",
            self.user,
            self.port,
            self.database.as_deref().unwrap_or(""),
            self.ssl_mode.name()
        )
    }

    /// The same server as another account (for tests and per-account checks).
    pub fn with_user(&self, user: &str, password: Option<&str>) -> MyTarget {
        MyTarget {
            user: user.into(),
            password: password.map(String::from),
            ..self.clone()
        }
    }

    fn opts(&self, tls: bool, program: &str) -> Result<Opts, ConnectFailure> {
        let mut attrs = std::collections::HashMap::new();
        attrs.insert("program_name".to_string(), program.to_string());
        let mut b = OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(self.password.clone())
            .db_name(self.database.clone())
            // poolcheck's own pool manages connections; mysql_async's statement cache and
            // socket preference would only hide what a real client sees.
            .prefer_socket(false)
            .stmt_cache_size(0)
            .connect_attributes(attrs);
        if tls {
            let mut ssl = SslOpts::default();
            if let Some(ca) = &self.ssl_ca {
                if !ca.exists() {
                    return Err(fail(
                        self.redacted(),
                        FailureKind::Tls {
                            detail: format!("ssl-ca file {} does not exist", ca.display()),
                        },
                    ));
                }
                ssl = ssl.with_root_certs(vec![ca.clone().into()]);
            }
            ssl = match self.ssl_mode {
                SslMode::Preferred | SslMode::Required => ssl
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true),
                SslMode::VerifyCa => ssl.with_danger_skip_domain_validation(true),
                _ => ssl,
            };
            b = b.ssl_opts(Some(ssl));
        }
        Ok(b.into())
    }

    /// Opens one connection; `timeout` covers TCP, TLS and the handshake together.
    pub async fn connect(&self, timeout: Duration, program: &str) -> Result<Conn, ConnectFailure> {
        let deadline = tokio::time::Instant::now() + timeout;
        let tls = self.ssl_mode != SslMode::Disabled;
        let first = self
            .attempt(self.opts(tls, program)?, deadline, timeout)
            .await;
        match first {
            // PREFERRED falls back to a plain connection when the server offers no TLS, as the
            // mysql client does.
            Err(ConnectFailure {
                kind: FailureKind::TlsRefused,
                ..
            }) if self.ssl_mode == SslMode::Preferred => {
                self.attempt(self.opts(false, program)?, deadline, timeout)
                    .await
            }
            r => r,
        }
    }

    async fn attempt(
        &self,
        opts: Opts,
        deadline: tokio::time::Instant,
        timeout: Duration,
    ) -> Result<Conn, ConnectFailure> {
        match tokio::time::timeout_at(deadline, Conn::new(opts)).await {
            Err(_) => Err(fail(
                self.redacted(),
                FailureKind::Timeout { after: timeout },
            )),
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(classify(&self.redacted(), &e)),
        }
    }
}

pub use crate::db::failure::{
    ConnectFailure, FailureKind, ER_ACCESS_DENIED_ERROR, ER_BAD_DB_ERROR, ER_CONNECTION_KILLED,
    ER_CON_COUNT_ERROR, ER_DBACCESS_DENIED_ERROR, ER_TOO_MANY_USER_CONNECTIONS,
    ER_USER_LIMIT_REACHED,
};

/// A MySQL or MariaDB failure against `target`.
fn fail(target: impl Into<String>, kind: FailureKind) -> ConnectFailure {
    ConnectFailure::new(crate::core::engine::Engine::Mysql, target, kind)
}

pub fn classify(target: &str, e: &mysql_async::Error) -> ConnectFailure {
    use mysql_async::{DriverError, Error, IoError};
    let kind = match e {
        Error::Server(s) => {
            let message = s.message.clone();
            let code = Some(s.code.to_string());
            match s.code {
                ER_ACCESS_DENIED_ERROR | ER_DBACCESS_DENIED_ERROR => {
                    FailureKind::Auth { code, message }
                }
                ER_BAD_DB_ERROR => FailureKind::UnknownDatabase { message },
                ER_CON_COUNT_ERROR | ER_TOO_MANY_USER_CONNECTIONS | ER_USER_LIMIT_REACHED => {
                    FailureKind::TooManyConnections { code, message }
                }
                _ => FailureKind::Server { code, message },
            }
        }
        Error::Driver(DriverError::NoClientSslFlagFromServer) => FailureKind::TlsRefused,
        Error::Io(IoError::Io(io)) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::NotFound
            | std::io::ErrorKind::AddrNotAvailable => FailureKind::Unreachable {
                detail: io.to_string(),
            },
            _ if io.to_string().contains("failed to lookup") => FailureKind::Unreachable {
                detail: io.to_string(),
            },
            _ => FailureKind::Closed {
                detail: io.to_string(),
            },
        },
        #[allow(unreachable_patterns)]
        Error::Io(other) => FailureKind::Tls {
            detail: other.to_string(),
        },
        other => FailureKind::Closed {
            detail: other.to_string(),
        },
    };
    fail(target, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_each_client_family() {
        let t = MyTarget::parse("mysql://app:s%40cret@db.internal:3307/shop?ssl-mode=REQUIRED")
            .unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.user.as_str()),
            ("db.internal", 3307, "app")
        );
        assert_eq!(t.password.as_deref(), Some("s@cret"));
        assert_eq!(t.database.as_deref(), Some("shop"));
        assert_eq!(t.ssl_mode, SslMode::Required);
        assert!(!t.says_mariadb);
        assert_eq!(
            t.redacted(),
            "app@db.internal:3307/shop (ssl-mode=REQUIRED)"
        );
        assert!(!format!("{t:?}").contains("cret"));

        let j = MyTarget::parse(
            "jdbc:mariadb://10.0.0.5/orders?user=svc&password=pw&sslMode=verify-full",
        )
        .unwrap();
        assert_eq!((j.port, j.user.as_str()), (3306, "svc"));
        assert_eq!(j.ssl_mode, SslMode::VerifyIdentity);
        assert!(j.says_mariadb);

        let v6 = MyTarget::parse("mysql2://root@[::1]:3306").unwrap();
        assert_eq!((v6.host.as_str(), v6.database), ("::1", None));
        assert_eq!(v6.ssl_mode, SslMode::Preferred);
        let plain = MyTarget::parse("mysql://u@h/d?useSSL=false").unwrap();
        assert_eq!(plain.ssl_mode, SslMode::Disabled);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, says) in [
            ("mysql://u:p@h:99999/d", "port `99999`"),
            ("mysql://u:p/x@h/d", "unencoded"),
            ("postgres://u@h/d", "not MySQL"),
            ("mysql://u@h/d?ssl-mode=maybe", "ssl-mode `maybe`"),
            ("mysql://u@a,b/d", "several hosts"),
        ] {
            let e = MyTarget::parse(url).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
        }
    }

    #[test]
    fn refusal_codes_are_classified() {
        let e = |code| {
            mysql_async::Error::Server(mysql_async::ServerError {
                code,
                message: "m".into(),
                state: "08004".into(),
            })
        };
        let kind = |code| classify("t", &e(code)).kind;
        assert!(matches!(kind(1040), FailureKind::TooManyConnections { .. }));
        assert_eq!(classify("t", &e(1040)).code(), Some(1040));
        assert_eq!(classify("t", &e(1203)).code(), Some(1203));
        assert!(matches!(kind(1203), FailureKind::TooManyConnections { .. }));
        assert!(matches!(kind(1045), FailureKind::Auth { .. }));
        assert!(matches!(kind(1049), FailureKind::UnknownDatabase { .. }));
        assert!(classify("t", &e(1927)).is_broken());
        let refused = mysql_async::Error::Io(mysql_async::IoError::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert!(matches!(
            classify("t", &refused).kind,
            FailureKind::Unreachable { .. }
        ));
    }
}
