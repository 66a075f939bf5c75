//! How poolcheck reaches a PostgreSQL server: the URL (or libpq keyword string), else
//! DATABASE_URL, else the libpq environment, with ~/.pgpass; TLS as libpq's sslmode means it;
//! one deadline over TCP, TLS and the startup handshake.
//!
//! tokio-postgres reads neither PG* variables nor .pgpass, rejects sslmode=verify-ca/verify-full,
//! and its connect_timeout does not cover the startup handshake; this module does all three.

use crate::core::error::ToolError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::SslMode as PgSslMode;

/// libpq's sslmode values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => return Err(format!("sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full")),
        })
    }
    fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where and how to connect. Never printed with its password: use [`ConnTarget::redacted`].
#[derive(Clone)]
pub struct ConnTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    password: Option<String>,
    pub dbname: String,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub options: Option<String>,
    /// Where the settings came from, for messages ("DATABASE_URL", "PG* environment").
    pub source: String,
}

impl std::fmt::Debug for ConnTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

pub use crate::db::failure::{ConnectFailure, FailureKind};

/// A PostgreSQL failure against `target`.
fn fail(target: impl Into<String>, kind: FailureKind) -> ConnectFailure {
    ConnectFailure::new(crate::core::engine::Engine::Postgres, target, kind)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn cfg_err(source: &str, msg: impl std::fmt::Display) -> ToolError {
    ToolError::new(format!("{source}: {msg}")).with_help(
        "use postgres://user:password@host:port/dbname?sslmode=… or host=… port=… user=… dbname=…",
    )
}

/// Parses a libpq keyword/value string: `host=db port=5432 password='a b'`.
fn keywords(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!("expected `=` after `{key}`"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("unterminated quote in the value of `{key}`")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    value.extend(chars.next());
                } else {
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

/// The name of the user this process runs as, from /etc/passwd (the owner of /proc/self).
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _pw = f.next()?;
        (f.next()?.parse::<u32>().ok()? == uid && !name.is_empty()).then(|| name.to_string())
    })
}

fn url_pairs(s: &str) -> Result<Vec<(String, String)>, String> {
    // pgJDBC's URLs are libpq's with a prefix; user and password come as parameters.
    let s = s.strip_prefix("jdbc:").unwrap_or(s);
    let u = crate::input::formats::url::parse(s).ok_or("not a postgres:// URL")?;
    if !u.is_postgres() || u.scheme.contains('+') {
        return Err(format!(
            "`{}` URLs are not PostgreSQL connection URLs poolcheck can open; use postgres://",
            u.scheme
        ));
    }
    let mut out = Vec::new();
    // user:password, read raw to keep percent-decoding exact.
    let rest = &s[s.find("://").map_or(0, |i| i + 3)..];
    check_authority(rest)?;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    if let Some(at) = authority.rfind('@') {
        let info = &authority[..at];
        match info.split_once(':') {
            Some((user, pass)) => {
                if !user.is_empty() {
                    out.push((
                        "user".into(),
                        crate::input::formats::url::percent_decode(user),
                    ));
                }
                out.push((
                    "password".into(),
                    crate::input::formats::url::percent_decode(pass),
                ));
            }
            None if !info.is_empty() => out.push((
                "user".into(),
                crate::input::formats::url::percent_decode(info),
            )),
            None => {}
        }
    }
    if let Some((h, p)) = u.hosts.first() {
        if !h.is_empty() {
            out.push(("host".into(), crate::input::formats::url::percent_decode(h)));
        }
        if let Some(p) = p {
            out.push(("port".into(), p.to_string()));
        }
    }
    if let Some(db) = &u.database {
        out.push(("dbname".into(), db.clone()));
    }
    for p in &u.params {
        out.push((p.key.clone(), p.value.clone()));
    }
    Ok(out)
}

/// Refuses URLs that would connect somewhere other than where they seem to point: an `@`
/// after the first `/` (a password with an unencoded `/` turns the user into the host) and a
/// port that is not a number from 1 to 65535 (libpq would not silently use 5432 either).
fn check_authority(rest: &str) -> Result<(), String> {
    let before_query = &rest[..rest.find('?').unwrap_or(rest.len())];
    if let Some(slash) = before_query.find('/') {
        if before_query[slash..].contains('@') {
            return Err(
                "the URL has an `@` after its first `/`: a password with an unencoded \
                        `/`? Percent-encode it (`/` is %2F, `@` is %40)"
                    .into(),
            );
        }
    }
    let authority = &before_query[..before_query.find('/').unwrap_or(before_query.len())];
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    for h in hosts.split(',').filter(|h| !h.is_empty()) {
        let port = match h.strip_prefix('[') {
            Some(r) => r.find(']').and_then(|e| r[e + 1..].strip_prefix(':')),
            None => h.rsplit_once(':').map(|(_, p)| p),
        };
        if let Some(p) = port {
            let ok = !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
            if !ok {
                let shown = crate::core::secrets::clip(p, 20);
                return Err(format!("port `{shown}` is not a number from 1 to 65535"));
            }
        }
    }
    Ok(())
}

impl ConnTarget {
    /// The URL argument, else DATABASE_URL, else the libpq environment; PG* variables fill what
    /// the URL leaves out, as libpq does; ~/.pgpass supplies a missing password.
    pub fn resolve(url: Option<&str>) -> Result<ConnTarget, ToolError> {
        let (text, source) = match url {
            Some(u) => (Some(u.to_string()), "the URL argument".to_string()),
            None => match env("DATABASE_URL") {
                Some(u) => (Some(u), "DATABASE_URL".to_string()),
                None => (None, "the PG* environment".to_string()),
            },
        };
        let pairs = match &text {
            None => Vec::new(),
            Some(t) if t.contains("://") => url_pairs(t).map_err(|e| cfg_err(&source, e))?,
            Some(t) => keywords(t).map_err(|e| cfg_err(&source, e))?,
        };
        let get = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let port_text = get("port")
            .or_else(|| env("PGPORT"))
            .unwrap_or_else(|| "5432".into());
        let port: u16 = port_text
            .parse()
            .map_err(|_| cfg_err(&source, format!("port `{port_text}` is not a number")))?;
        let host = get("host")
            .or_else(|| get("hostaddr"))
            .or_else(|| env("PGHOST"))
            .unwrap_or_else(|| {
                let socket = format!("/var/run/postgresql/.s.PGSQL.{port}");
                if std::path::Path::new(&socket).exists() {
                    "/var/run/postgresql".into()
                } else {
                    "localhost".into()
                }
            });
        // libpq falls back to the operating-system user name, not to $USER (unset under
        // cron and in many containers).
        let user = get("user")
            .or_else(|| env("PGUSER"))
            .or_else(os_user)
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".into());
        let dbname = get("dbname")
            .or_else(|| env("PGDATABASE"))
            .unwrap_or_else(|| user.clone());
        let sslmode_text = get("sslmode")
            .or_else(|| env("PGSSLMODE"))
            .unwrap_or_else(|| "prefer".into());
        let sslmode = SslMode::parse(&sslmode_text).map_err(|e| cfg_err(&source, e))?;
        let sslrootcert = get("sslrootcert")
            .or_else(|| env("PGSSLROOTCERT"))
            .map(PathBuf::from);
        let mut password = get("password").or_else(|| env("PGPASSWORD"));
        if password.is_none() {
            password = pgpass(&host, port, &dbname, &user);
        }
        Ok(ConnTarget {
            host,
            port,
            user,
            password,
            dbname,
            sslmode,
            sslrootcert,
            options: get("options"),
            source,
        })
    }

    /// `user@host:port/db (sslmode)`, never the password.
    pub fn redacted(&self) -> String {
        format!(
            "{}@{}:{}/{} (sslmode={})",
            self.user,
            self.host,
            self.port,
            self.dbname,
            self.sslmode.name()
        )
    }

    pub fn with_user(&self, user: &str, password: Option<&str>) -> ConnTarget {
        ConnTarget {
            user: user.to_string(),
            password: password.map(String::from),
            ..self.clone()
        }
    }

    fn config(&self, application_name: &str, timeout: Duration) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname);
        c.application_name(application_name)
            .connect_timeout(timeout);
        if let Some(p) = &self.password {
            c.password(p);
        }
        if let Some(o) = &self.options {
            c.options(o);
        }
        c.ssl_mode(match self.sslmode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Allow | SslMode::Prefer => PgSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgSslMode::Require,
        });
        c
    }

    fn tls(&self) -> Result<tokio_postgres_rustls::MakeRustlsConnect, ConnectFailure> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                fail(
                    self.redacted(),
                    FailureKind::Tls {
                        detail: e.to_string(),
                    },
                )
            })?;
        let config = match self.sslmode {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer | SslMode::Require => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
                .with_no_client_auth(),
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let roots = self.roots()?;
                let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| {
                    fail(
                        self.redacted(),
                        FailureKind::Tls {
                            detail: e.to_string(),
                        },
                    )
                })?;
                if self.sslmode == SslMode::VerifyCa {
                    builder
                        .dangerous()
                        .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                        .with_no_client_auth()
                } else {
                    builder
                        .dangerous()
                        .with_custom_certificate_verifier(webpki)
                        .with_no_client_auth()
                }
            }
        };
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }

    fn roots(&self) -> Result<rustls::RootCertStore, ConnectFailure> {
        let mut roots = rustls::RootCertStore::empty();
        let tls_err = |detail: String| fail(self.redacted(), FailureKind::Tls { detail });
        match &self.sslrootcert {
            Some(path) if path.as_os_str() != "system" => {
                let pem = std::fs::read(path).map_err(|e| {
                    tls_err(format!("cannot read sslrootcert {}: {e}", path.display()))
                })?;
                let certs = rustls::pki_types::pem::PemObject::pem_slice_iter(&pem)
                    .collect::<Result<Vec<CertificateDer<'static>>, _>>()
                    .map_err(|e| tls_err(format!("sslrootcert {}: {e:?}", path.display())))?;
                for c in certs {
                    roots.add(c).map_err(|e| tls_err(e.to_string()))?;
                }
            }
            _ => {
                for c in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(c);
                }
            }
        }
        if roots.is_empty() {
            return Err(tls_err(
                "no CA certificates to verify the server against".into(),
            ));
        }
        Ok(roots)
    }

    /// Connects within `timeout` (TCP + TLS + startup), with `application_name` set.
    pub async fn connect(
        &self,
        timeout: Duration,
        application_name: &str,
    ) -> Result<tokio_postgres::Client, ConnectFailure> {
        let target = self.redacted();
        let config = self.config(application_name, timeout);
        let tls = if self.sslmode == SslMode::Disable {
            None
        } else {
            Some(self.tls()?)
        };
        let attempt = async {
            match tls {
                None => config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map(|(client, conn)| {
                        tokio::spawn(conn);
                        client
                    }),
                Some(tls) => config.connect(tls).await.map(|(client, conn)| {
                    tokio::spawn(conn);
                    client
                }),
            }
        };
        match tokio::time::timeout(timeout, attempt).await {
            Err(_) => Err(fail(target, FailureKind::Timeout { after: timeout })),
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(classify(&target, &e)),
        }
    }
}

/// Turns a tokio-postgres error into a verdict: its Display is only "db error", so read the
/// SQLSTATE and message from the server's error, and the io error otherwise.
pub fn classify(target: &str, e: &tokio_postgres::Error) -> ConnectFailure {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code().to_string();
        let message = db.message().to_string();
        let kind = match code.as_str() {
            "53300" => FailureKind::TooManyConnections {
                code: Some(code),
                message,
            },
            "28P01" | "28000" => FailureKind::Auth {
                code: Some(code),
                message,
            },
            _ => FailureKind::Server {
                code: Some(code),
                message,
            },
        };
        return fail(target, kind);
    }
    let text = e.to_string();
    let mut detail = text.clone();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if text.contains("server does not support TLS")
        || detail.contains("server does not support TLS")
    {
        return fail(target, FailureKind::TlsRefused);
    }
    if text.contains("error performing TLS handshake")
        || detail.contains("certificate")
        || detail.contains("InvalidCertificate")
    {
        return fail(target, FailureKind::Tls { detail });
    }
    if text.contains("error connecting to server") || text.starts_with("error communicating") {
        return fail(target, FailureKind::Unreachable { detail });
    }
    let detail = if detail == text {
        text
    } else {
        format!("{text}: {detail}")
    };
    fail(target, FailureKind::Other { detail })
}

/// ~/.pgpass (or PGPASSFILE): `host:port:database:user:password`, `*` matches anything, `\`
/// escapes `:` and `\`. Ignored with a warning when group or others can read it, as libpq does.
pub fn pgpass(host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    let path = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let meta = std::fs::metadata(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            crate::core::secrets::eprint(&format!(
                "warning: password file {} has group or world access; ignoring it (chmod 0600 {})\n",
                path.display(),
                path.display()
            ));
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    pgpass_lookup(&text, host, port, db, user)
}

pub fn pgpass_lookup(text: &str, host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    let host = if host.starts_with('/') {
        "localhost"
    } else {
        host
    };
    let port = port.to_string();
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let ok = |pat: &str, v: &str| pat == "*" || pat == v;
        if ok(&fields[0], host)
            && ok(&fields[1], &port)
            && ok(&fields[2], db)
            && ok(&fields[3], user)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

/// sslmode=require: encrypt, do not verify the certificate (libpq's meaning), but still check
/// the handshake signatures so the session keys are bound to the presented key.
#[derive(Debug)]
pub(crate) struct NoVerify(pub(crate) Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// sslmode=verify-ca: the chain must lead to a trusted root; the host name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end: &CertificateDer<'_>,
        inter: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end, inter, name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_strings_and_urls() {
        let k = keywords("host=db port=6432 password='a b\\'c' dbname = app").unwrap();
        assert_eq!(k[2], ("password".to_string(), "a b'c".to_string()));
        assert_eq!(k[3], ("dbname".to_string(), "app".to_string()));
        assert!(keywords("host").is_err());
        let u =
            url_pairs("postgres://me:p%40ss@db:6432/shop?sslmode=verify-full&connection_limit=5")
                .unwrap();
        assert!(u.contains(&("password".to_string(), "p@ss".to_string())));
        assert!(u.contains(&("sslmode".to_string(), "verify-full".to_string())));
        assert!(url_pairs("mysql://x/y").is_err());
    }

    #[test]
    fn resolve_never_shows_the_password() {
        let t = ConnTarget::resolve(Some("postgres://me:hunter2@db:6432/shop?sslmode=verify-ca"))
            .unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.user.as_str(), t.dbname.as_str()),
            ("db", 6432, "me", "shop")
        );
        assert_eq!(t.sslmode, SslMode::VerifyCa);
        assert!(!format!("{t:?} {}", t.redacted()).contains("hunter2"));
        assert!(ConnTarget::resolve(Some("postgres://db/x?sslmode=bogus")).is_err());
    }

    #[test]
    fn pgpass_matching() {
        let file = "# comment\ndb:5432:shop:me:first\n*:*:*:me:second\nhost\\:x:*:*:*:escaped\n";
        assert_eq!(
            pgpass_lookup(file, "db", 5432, "shop", "me").as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_lookup(file, "other", 1, "x", "me").as_deref(),
            Some("second")
        );
        assert_eq!(
            pgpass_lookup(file, "host:x", 1, "x", "you").as_deref(),
            Some("escaped")
        );
        assert_eq!(pgpass_lookup(file, "db", 5432, "shop", "nobody"), None);
    }
}
