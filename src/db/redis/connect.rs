//! How poolcheck reaches a Redis server: a redis:// or rediss:// URL (else REDIS_URL), AUTH
//! with user and password, SELECT of the URL's database, CLIENT SETNAME; one deadline over
//! TCP, TLS and that handshake. A minimal RESP2 client: poolcheck sends a dozen commands and
//! needs each error reply's exact text to classify it.

use crate::core::error::ToolError;
use rustls::pki_types::{CertificateDer, ServerName};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const DEFAULT_PORT: u16 = 6379;

/// How a rediss:// connection checks the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    Off,
    /// Against the OS trust store, or the CA file of `ssl_ca_certs=` (redis-py's name).
    Verify {
        ca: Option<PathBuf>,
    },
    /// `#insecure` (redis-rs) or `ssl_cert_reqs=none` (redis-py): encrypt without verifying.
    NoVerify,
}

/// Where and how to connect. Never printed with its password: use [`Target::redacted`].
#[derive(Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// None: the `default` user (AUTH with the password alone, as before Redis 6 ACLs).
    pub user: Option<String>,
    password: Option<String>,
    pub db: u32,
    pub tls: Tls,
    /// Where the settings came from, for messages ("the URL argument", "REDIS_URL").
    pub source: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

pub use crate::db::failure::{ConnectFailure, FailureKind};

/// A Redis failure against `target`.
pub fn fail(target: impl Into<String>, kind: FailureKind) -> ConnectFailure {
    ConnectFailure::new(crate::core::engine::Engine::Redis, target, kind)
}

/// Classifies an error reply by its first word (the error code Redis documents).
pub fn classify_reply(target: &str, message: &str) -> ConnectFailure {
    let message = message.to_string();
    let code = message.split(' ').next().unwrap_or("");
    let kind = match code {
        "NOAUTH" | "WRONGPASS" => FailureKind::Auth {
            code: None,
            message,
        },
        "NOPERM" => FailureKind::NoPermission { message },
        // Redis without requirepass answers AUTH with this rather than WRONGPASS.
        "ERR"
            if message.contains("without any password configured")
                || message.contains("invalid password") =>
        {
            FailureKind::Auth {
                code: None,
                message,
            }
        }
        "ERR" if message.contains("max number of clients") => FailureKind::TooManyConnections {
            code: None,
            message,
        },
        _ => FailureKind::Server {
            code: None,
            message,
        },
    };
    fail(target, kind)
}

fn cfg_err(source: &str, msg: impl std::fmt::Display) -> ToolError {
    ToolError::new(format!("{source}: {msg}"))
        .with_help("use redis://[USER:PASSWORD@]HOST[:PORT][/DB] or rediss:// for TLS")
}

fn decode(s: &str) -> String {
    crate::core::text::percent_decode(s)
}

/// True for the URL schemes this module opens.
pub fn is_redis_url(s: &str) -> bool {
    let l = s.trim_start().to_ascii_lowercase();
    l.starts_with("redis://") || l.starts_with("rediss://") || l.starts_with("redis+")
}

impl Target {
    /// The URL argument, else REDIS_URL.
    pub fn resolve(url: Option<&str>) -> Result<Target, ToolError> {
        let (text, source) = match url {
            Some(u) => (u.to_string(), "the URL argument".to_string()),
            None => match std::env::var("REDIS_URL").ok().filter(|v| !v.is_empty()) {
                Some(u) => (u, "REDIS_URL".to_string()),
                None => {
                    return Err(ToolError::new("no Redis URL given")
                        .with_help("pass redis://HOST:PORT or set REDIS_URL"))
                }
            },
        };
        Target::parse(&text, &source)
    }

    pub fn parse(text: &str, source: &str) -> Result<Target, ToolError> {
        let text = text.trim();
        let sep = text
            .find("://")
            .ok_or_else(|| cfg_err(source, "not a redis:// URL"))?;
        let scheme = text[..sep].to_ascii_lowercase();
        let tls_on = match scheme.as_str() {
            "redis" => false,
            "rediss" => true,
            s if s.starts_with("redis+") => {
                return Err(cfg_err(
                    source,
                    format!("`{s}` URLs name several nodes; poolcheck probes one server at a time"),
                )
                .with_help("probe each node with its own redis://HOST:PORT"))
            }
            s => return Err(cfg_err(source, format!("`{s}` is not redis or rediss"))),
        };
        let rest = &text[sep + 3..];
        let (rest, fragment) = match rest.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (rest, None),
        };
        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, q),
            None => (rest, ""),
        };
        let (authority, path) = match before_query.find('/') {
            Some(i) => (&before_query[..i], &before_query[i + 1..]),
            None => (before_query, ""),
        };
        if path.contains('@') {
            return Err(cfg_err(
                source,
                "the URL has an `@` after its first `/`: a password with an unencoded `/`? \
                 Percent-encode it (`/` is %2F, `@` is %40)",
            ));
        }
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (mut user, mut password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((n, p)) => (Some(decode(n)).filter(|n| !n.is_empty()), Some(decode(p))),
                None => (Some(decode(u)).filter(|n| !n.is_empty()), None),
            },
        };
        let (host, port_text) = if let Some(r) = hostport.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| cfg_err(source, "an IPv6 host needs its closing `]`"))?;
            (r[..end].to_string(), r[end + 1..].strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            }
        };
        let host = if host.is_empty() {
            "127.0.0.1".to_string()
        } else {
            decode(&host)
        };
        let port = match port_text {
            None => DEFAULT_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|n| *n > 0 && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    let shown = crate::core::secrets::clip(p, 20);
                    cfg_err(
                        source,
                        format!("port `{shown}` is not a number from 1 to 65535"),
                    )
                })?,
        };
        let mut db_text = (!path.is_empty()).then(|| path.to_string());
        let mut ca = None;
        let mut insecure = fragment == Some("insecure");
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "db" => db_text = Some(v.to_string()),
                "password" => password = Some(decode(v)),
                "username" | "user" => user = Some(decode(v)),
                "ssl_ca_certs" => ca = Some(PathBuf::from(decode(v))),
                "ssl_cert_reqs" => insecure = v.eq_ignore_ascii_case("none"),
                // Client-side options (timeouts, pool sizes, protocol) do not change where the
                // probe connects.
                _ => {}
            }
        }
        let db = match db_text {
            None => 0,
            Some(t) => t.parse::<u32>().map_err(|_| {
                let shown = crate::core::secrets::clip(&t, 20);
                cfg_err(
                    source,
                    format!("database `{shown}` is not a number (0, 1, …)"),
                )
            })?,
        };
        if let Some(p) = &password {
            crate::core::secrets::register(p);
        }
        let tls = match (tls_on, insecure) {
            (false, _) => Tls::Off,
            (true, true) => Tls::NoVerify,
            (true, false) => Tls::Verify { ca },
        };
        Ok(Target {
            host,
            port,
            user,
            password,
            db,
            tls,
            source: source.to_string(),
        })
    }

    /// `user@host:port/db (tls)`, never the password.
    pub fn redacted(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let tls = match self.tls {
            Tls::Off => "",
            Tls::Verify { .. } => " (TLS)",
            Tls::NoVerify => " (TLS, unverified)",
        };
        format!(
            "{}@{host}:{}/{}{tls}",
            self.user.as_deref().unwrap_or("default"),
            self.port,
            self.db
        )
    }

    /// The ACL user the connection authenticates as.
    pub fn user_name(&self) -> &str {
        self.user.as_deref().unwrap_or("default")
    }

    pub fn with_user(&self, user: &str, password: Option<&str>) -> Target {
        if let Some(p) = password {
            crate::core::secrets::register(p);
        }
        Target {
            user: Some(user.to_string()),
            password: password.map(String::from),
            ..self.clone()
        }
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig, ConnectFailure> {
        let err = |detail: String| fail(self.redacted(), FailureKind::Tls { detail });
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| err(e.to_string()))?;
        Ok(match &self.tls {
            Tls::Off | Tls::NoVerify => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(crate::db::postgres::connect::NoVerify(
                    provider,
                )))
                .with_no_client_auth(),
            Tls::Verify { ca } => {
                let mut roots = rustls::RootCertStore::empty();
                match ca {
                    Some(path) => {
                        let pem = std::fs::read(path).map_err(|e| {
                            err(format!("cannot read ssl_ca_certs {}: {e}", path.display()))
                        })?;
                        for c in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
                            let c: CertificateDer<'static> = c.map_err(|e| {
                                err(format!("ssl_ca_certs {}: {e:?}", path.display()))
                            })?;
                            roots.add(c).map_err(|e| err(e.to_string()))?;
                        }
                    }
                    None => {
                        for c in rustls_native_certs::load_native_certs().certs {
                            let _ = roots.add(c);
                        }
                    }
                }
                if roots.is_empty() {
                    return Err(err("no CA certificates to verify the server against".into()));
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
        })
    }

    /// Connects within `timeout` (TCP + TLS + AUTH + SELECT + CLIENT SETNAME `name`).
    pub async fn connect(&self, timeout: Duration, name: &str) -> Result<Conn, ConnectFailure> {
        let target = self.redacted();
        match tokio::time::timeout(timeout, self.connect_inner(name)).await {
            Err(_) => Err(fail(target, FailureKind::Timeout { after: timeout })),
            Ok(r) => r,
        }
    }

    async fn connect_inner(&self, name: &str) -> Result<Conn, ConnectFailure> {
        let target = self.redacted();
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                fail(
                    target.clone(),
                    FailureKind::Unreachable {
                        detail: e.to_string(),
                    },
                )
            })?;
        let _ = tcp.set_nodelay(true);
        let stream = if self.tls == Tls::Off {
            Stream::Tcp(tcp)
        } else {
            let config = self.tls_config()?;
            let server = ServerName::try_from(self.host.clone()).map_err(|e| {
                fail(
                    target.clone(),
                    FailureKind::Tls {
                        detail: format!("`{}` is not a valid TLS server name: {e}", self.host),
                    },
                )
            })?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(server, tcp)
                .await
                .map_err(|e| {
                    fail(
                        target.clone(),
                        FailureKind::Tls {
                            detail: e.to_string(),
                        },
                    )
                })?;
            Stream::Tls(Box::new(tls))
        };
        let mut conn = Conn {
            stream,
            buf: Vec::with_capacity(4096),
            pos: 0,
            out: Vec::with_capacity(256),
            broken: false,
            target,
            id: None,
            command_timeout: None,
        };
        // One write for the whole handshake; the replies are read in order and the first
        // error decides (a full server sends its refusal first and closes).
        let db = self.db.to_string();
        let mut cmds: Vec<Vec<&[u8]>> = Vec::new();
        if let Some(p) = &self.password {
            match &self.user {
                Some(u) => cmds.push(vec![b"AUTH", u.as_bytes(), p.as_bytes()]),
                None => cmds.push(vec![b"AUTH", p.as_bytes()]),
            }
        }
        if self.db != 0 {
            cmds.push(vec![b"SELECT", db.as_bytes()]);
        }
        cmds.push(vec![b"CLIENT", b"SETNAME", name.as_bytes()]);
        cmds.push(vec![b"CLIENT", b"ID"]);
        for c in &cmds {
            encode(&mut conn.out, c);
        }
        conn.flush().await?;
        let n = cmds.len();
        for (i, c) in cmds.iter().enumerate() {
            let reply = conn.read_reply().await?;
            match reply {
                Value::Error(m) => {
                    let e = classify_reply(&conn.target, &m);
                    // An ACL user may lack CLIENT SETNAME / CLIENT ID (@connection); the
                    // connection is usable, only unnamed.
                    let optional =
                        c[0] == b"CLIENT" && matches!(e.kind, FailureKind::NoPermission { .. });
                    if !optional {
                        return Err(e);
                    }
                }
                Value::Int(id) if i == n - 1 => conn.id = Some(id),
                _ => {}
            }
        }
        Ok(conn)
    }
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Value>),
}

impl Value {
    /// The reply as text (simple and bulk strings).
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Simple(s) => Some(s.clone()),
            Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// One open connection. Not Clone; a command error other than an error reply marks it broken.
pub struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    pos: usize,
    out: Vec<u8>,
    broken: bool,
    target: String,
    /// CLIENT ID, when the user may run it.
    pub id: Option<i64>,
    /// How long one command may take before the connection counts as broken (Redis has no
    /// server-side statement timeout); None: no bound.
    pub command_timeout: Option<Duration>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Conn({}, id {:?})", self.target, self.id)
    }
}

fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.push(b'*');
    out.extend_from_slice(args.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Deepest array nesting accepted: poolcheck's commands return at most two levels.
const MAX_DEPTH: usize = 8;
/// Largest bulk string accepted (CLIENT LIST of ~10,000 clients is a few MB).
const MAX_BULK: usize = 64 << 20;

/// Parses one reply from `b`: Ok(None) when more bytes are needed.
pub fn parse(b: &[u8]) -> Result<Option<(Value, usize)>, String> {
    parse_at(b, 0, 0)
}

fn line(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rel = b.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
    Some((&b[at..at + rel], at + rel + 2))
}

fn int(s: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| format!("`{}` is not a number", String::from_utf8_lossy(s)))
}

fn parse_at(b: &[u8], at: usize, depth: usize) -> Result<Option<(Value, usize)>, String> {
    let Some(&kind) = b.get(at) else {
        return Ok(None);
    };
    let Some((head, next)) = line(b, at + 1) else {
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(head).into_owned();
    Ok(Some(match kind {
        b'+' => (Value::Simple(text()), next),
        b'-' => (Value::Error(text()), next),
        b':' => (Value::Int(int(head)?), next),
        b'$' => {
            let n = int(head)?;
            if n < 0 {
                return Ok(Some((Value::Nil, next)));
            }
            let n = n as usize;
            if n > MAX_BULK {
                return Err(format!(
                    "a reply of {n} bytes is larger than poolcheck reads"
                ));
            }
            if b.len() < next + n + 2 {
                return Ok(None);
            }
            if &b[next + n..next + n + 2] != b"\r\n" {
                return Err("a bulk string does not end in CRLF".into());
            }
            (Value::Bulk(b[next..next + n].to_vec()), next + n + 2)
        }
        b'*' => {
            let n = int(head)?;
            if n < 0 {
                return Ok(Some((Value::Nil, next)));
            }
            if depth >= MAX_DEPTH {
                return Err("replies nested deeper than poolcheck reads".into());
            }
            let mut items = Vec::with_capacity((n as usize).min(1024));
            let mut pos = next;
            for _ in 0..n {
                match parse_at(b, pos, depth + 1)? {
                    None => return Ok(None),
                    Some((v, p)) => {
                        items.push(v);
                        pos = p;
                    }
                }
            }
            (Value::Array(items), pos)
        }
        other => {
            return Err(format!(
                "a reply starting with byte 0x{other:02x} is not RESP (is this a Redis port?)"
            ))
        }
    }))
}

impl Conn {
    /// True once the connection failed below the protocol (closed, killed, garbled).
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    fn closed(&mut self, detail: String) -> ConnectFailure {
        self.broken = true;
        fail(self.target.clone(), FailureKind::Closed { detail })
    }

    async fn flush(&mut self) -> Result<(), ConnectFailure> {
        let r = match &mut self.stream {
            Stream::Tcp(s) => s.write_all(&self.out).await,
            Stream::Tls(s) => match s.write_all(&self.out).await {
                Ok(()) => s.flush().await,
                Err(e) => Err(e),
            },
        };
        self.out.clear();
        r.map_err(|e| self.closed(e.to_string()))
    }

    async fn read_reply(&mut self) -> Result<Value, ConnectFailure> {
        loop {
            if self.pos < self.buf.len() {
                match parse(&self.buf[self.pos..]) {
                    Ok(Some((v, n))) => {
                        self.pos += n;
                        if self.pos == self.buf.len() {
                            self.buf.clear();
                            self.pos = 0;
                        }
                        return Ok(v);
                    }
                    Ok(None) => {}
                    Err(detail) => {
                        self.broken = true;
                        return Err(fail(self.target.clone(), FailureKind::Protocol { detail }));
                    }
                }
            }
            if self.pos > 0 {
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            let len = self.buf.len();
            self.buf.resize(len + 16 * 1024, 0);
            let r = match &mut self.stream {
                Stream::Tcp(s) => s.read(&mut self.buf[len..]).await,
                Stream::Tls(s) => s.read(&mut self.buf[len..]).await,
            };
            match r {
                Ok(0) => {
                    self.buf.truncate(len);
                    return Err(self.closed("the server closed the connection".into()));
                }
                Ok(n) => self.buf.truncate(len + n),
                Err(e) => {
                    self.buf.truncate(len);
                    return Err(self.closed(e.to_string()));
                }
            }
        }
    }

    /// Sends one command and reads its reply; an error reply is a [`Value::Error`].
    pub async fn cmd(&mut self, args: &[&[u8]]) -> Result<Value, ConnectFailure> {
        if self.broken {
            return Err(fail(
                self.target.clone(),
                FailureKind::Closed {
                    detail: "the connection broke earlier".into(),
                },
            ));
        }
        let Some(bound) = self.command_timeout else {
            return self.send(args).await;
        };
        match tokio::time::timeout(bound, self.send(args)).await {
            Ok(r) => r,
            Err(_) => {
                // A reply may still be on its way: the stream is out of step for good.
                let cmd = String::from_utf8_lossy(args.first().copied().unwrap_or(b"?"));
                Err(self.closed(format!(
                    "no reply to {cmd} within {}; poolcheck dropped the connection",
                    crate::core::units::format_duration(bound)
                )))
            }
        }
    }

    async fn send(&mut self, args: &[&[u8]]) -> Result<Value, ConnectFailure> {
        encode(&mut self.out, args);
        self.flush().await?;
        self.read_reply().await
    }

    /// Like [`Conn::cmd`], with an error reply classified into a [`ConnectFailure`].
    pub async fn cmd_ok(&mut self, args: &[&[u8]]) -> Result<Value, ConnectFailure> {
        match self.cmd(args).await? {
            Value::Error(m) => Err(classify_reply(&self.target, &m)),
            v => Ok(v),
        }
    }

    /// Like [`Conn::cmd_ok`], for replies that are text.
    pub async fn text(&mut self, args: &[&[u8]]) -> Result<String, ConnectFailure> {
        let v = self.cmd_ok(args).await?;
        v.text().ok_or_else(|| {
            fail(
                self.target.clone(),
                FailureKind::Protocol {
                    detail: format!(
                        "expected text from {}, got {v:?}",
                        String::from_utf8_lossy(args[0])
                    ),
                },
            )
        })
    }

    pub fn target(&self) -> &str {
        &self.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_user_db_and_tls() {
        let t = Target::parse("rediss://app:s3cr%40t@cache.internal:6380/4", "x").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.user.as_deref(), t.db),
            ("cache.internal", 6380, Some("app"), 4)
        );
        assert_eq!(t.password.as_deref(), Some("s3cr@t"));
        assert_eq!(t.tls, Tls::Verify { ca: None });
        assert_eq!(t.redacted(), "app@cache.internal:6380/4 (TLS)");
        assert!(!format!("{t:?}").contains("s3cr"));

        let t = Target::parse("redis://:only-pass@[::1]?db=2", "x").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.user.as_deref(), t.db),
            ("::1", 6379, None, 2)
        );
        assert_eq!(t.password.as_deref(), Some("only-pass"));
        assert_eq!(t.redacted(), "default@[::1]:6379/2");

        let t = Target::parse("rediss://h/#insecure", "x").unwrap();
        assert_eq!(t.tls, Tls::NoVerify);
        let t = Target::parse("rediss://h?ssl_cert_reqs=none", "x").unwrap();
        assert_eq!(t.tls, Tls::NoVerify);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let msg = |u: &str| Target::parse(u, "the URL argument").unwrap_err().message;
        assert_eq!(
            msg("redis://h:99999"),
            "the URL argument: port `99999` is not a number from 1 to 65535"
        );
        assert_eq!(
            msg("redis://h/zero"),
            "the URL argument: database `zero` is not a number (0, 1, …)"
        );
        assert!(msg("redis+sentinel://a,b/mymaster").contains("several nodes"));
        assert!(msg("redis://u:pa/ss@h").contains("Percent-encode"));
        assert!(msg("memcached://h").contains("not redis or rediss"));
    }

    #[test]
    fn replies_parse_whole_or_ask_for_more() {
        let all = b"*3\r\n$5\r\nhello\r\n:-7\r\n*-1\r\n+OK\r\n";
        let (v, n) = parse(all).unwrap().unwrap();
        assert_eq!(
            v,
            Value::Array(vec![
                Value::Bulk(b"hello".to_vec()),
                Value::Int(-7),
                Value::Nil
            ])
        );
        assert_eq!(&all[n..], b"+OK\r\n");
        for cut in 1..n {
            assert_eq!(parse(&all[..cut]).unwrap(), None, "cut at {cut}");
        }
        assert_eq!(
            parse(b"-WRONGPASS invalid username-password pair\r\n")
                .unwrap()
                .unwrap()
                .0,
            Value::Error("WRONGPASS invalid username-password pair".into())
        );
        assert!(parse(b"HTTP/1.1 400\r\n").is_err());
        assert!(parse(b"$3\r\nabcd\r\n").is_err());
    }

    #[test]
    fn error_replies_are_classified_by_code() {
        let c = |m: &str| classify_reply("t", m).kind;
        assert!(matches!(
            c("NOAUTH Authentication required."),
            FailureKind::Auth { .. }
        ));
        assert!(matches!(
            c("WRONGPASS invalid username-password pair or user is disabled."),
            FailureKind::Auth { .. }
        ));
        assert!(matches!(
            c("ERR max number of clients reached"),
            FailureKind::TooManyConnections { .. }
        ));
        assert!(matches!(
            c("ERR max number of clients + cluster connections reached"),
            FailureKind::TooManyConnections { .. }
        ));
        assert!(matches!(
            c("NOPERM this user has no permissions to run the 'config|get' command"),
            FailureKind::NoPermission { .. }
        ));
        assert!(matches!(
            c("ERR unknown command 'FOO'"),
            FailureKind::Server { .. }
        ));
    }
}
