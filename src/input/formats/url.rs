//! Database connection URLs found inside values: scheme, user, hosts, database and query
//! parameters with their byte ranges, so a finding can point at `pool_timeout=0` itself.

use crate::core::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct UrlParam {
    pub key: String,
    /// Percent-decoded.
    pub value: String,
    /// Byte range of `key=value`, relative to the start of the parsed string.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DbUrl {
    /// Lower-cased, including `jdbc:` and SQLAlchemy driver suffixes (`postgresql+psycopg`).
    pub scheme: String,
    pub user: Option<String>,
    pub has_password: bool,
    pub hosts: Vec<(String, Option<u16>)>,
    pub database: Option<String>,
    pub params: Vec<UrlParam>,
}

const SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    // Rails' adapter names used as URL schemes (DATABASE_URL=mysql2://…, trilogy://…).
    "mysql2",
    "trilogy",
    "mariadb",
    "jdbc:postgresql",
    "jdbc:mysql",
    "jdbc:mariadb",
    // Redis clients' URLs (redis-py, go-redis, ioredis): their pools are the Redis part's
    // (model::engines), and their query strings carry pool settings (pool_size, max_connections).
    "redis",
    "rediss",
    "valkey",
];

impl DbUrl {
    pub fn param(&self, key: &str) -> Option<&UrlParam> {
        self.params.iter().rev().find(|p| p.key == key)
    }

    pub fn is_postgres(&self) -> bool {
        self.scheme.contains("postgres")
    }

    /// `host:port/database` with the scheme's default port, to group services by server.
    pub fn server_key(&self) -> String {
        let default_port = if self.is_postgres() { 5432 } else { 3306 };
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|(h, p)| format!("{}:{}", h.to_ascii_lowercase(), p.unwrap_or(default_port)))
            .collect();
        format!(
            "{}/{}",
            hosts.join(","),
            self.database.as_deref().unwrap_or("")
        )
    }
}

fn base_scheme(scheme: &str) -> &str {
    // postgresql+asyncpg, mysql+pymysql: SQLAlchemy's dialect+driver form.
    scheme.split('+').next().unwrap_or(scheme)
}

pub use crate::core::text::percent_decode;

/// Parses a database URL; None when `s` is not one (other URLs, plain text).
pub fn parse(s: &str) -> Option<DbUrl> {
    let sep = s.find("://")?;
    let scheme = s[..sep].to_ascii_lowercase();
    if !SCHEMES.contains(&base_scheme(&scheme)) {
        return None;
    }
    let rest_start = sep + 3;
    let rest = &s[rest_start..];
    let query_at = rest.find('?');
    let before_query = &rest[..query_at.unwrap_or(rest.len())];
    let path_at = before_query.find('/');
    let authority = &before_query[..path_at.unwrap_or(before_query.len())];
    let database = path_at
        .map(|p| percent_decode(&before_query[p + 1..]))
        .filter(|d| !d.is_empty());
    // The last '@' ends the userinfo; passwords with an unescaped '@' exist in the wild.
    let (userinfo, hostlist) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (user, has_password) = match userinfo {
        Some(u) => match u.find(':') {
            Some(c) => (
                Some(percent_decode(&u[..c])).filter(|x| !x.is_empty()),
                true,
            ),
            None => (Some(percent_decode(u)).filter(|x| !x.is_empty()), false),
        },
        None => (None, false),
    };
    let hosts = hostlist
        .split(',')
        .filter(|h| !h.is_empty())
        .map(|h| {
            if let Some(end) = h.strip_prefix('[').and_then(|r| r.find(']')) {
                let host = &h[1..end + 1];
                let port = h[end + 2..].strip_prefix(':').and_then(|p| p.parse().ok());
                return (host.to_string(), port);
            }
            match h.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), port.parse().ok()),
                None => (h.to_string(), None),
            }
        })
        .collect();
    let mut params = Vec::new();
    if let Some(q) = query_at {
        let qstart = rest_start + q + 1;
        let query = &s[qstart..];
        let query = &query[..query.find('#').unwrap_or(query.len())];
        let mut offset = qstart;
        for part in query.split(['&', ';']) {
            if !part.is_empty() {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                params.push(UrlParam {
                    key: percent_decode(k),
                    value: percent_decode(v),
                    span: Span::new(offset, offset + part.len()),
                });
            }
            offset += part.len() + 1;
        }
    }
    Some(DbUrl {
        scheme,
        user,
        has_password,
        hosts,
        database,
        params,
    })
}

/// libpq `options`: `-c statement_timeout=5s -c lock_timeout=1s` or `--statement_timeout=5s`.
pub fn options_gucs(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut words = value.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next()
        } else if let Some(s) = w.strip_prefix("-c") {
            Some(s)
        } else {
            w.strip_prefix("--")
        };
        if let Some((k, v)) = setting.and_then(|s| s.split_once('=')) {
            out.push((k.replace('-', "_"), v.to_string()));
        }
    }
    out
}

/// Every database URL inside a longer text, with its byte offset.
pub fn find_urls(text: &str) -> Vec<(usize, DbUrl)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("://") {
        let sep = from + pos;
        // The scheme starts after the last character that cannot be part of one (which may be
        // multi-byte: step over it by its length, not by one byte).
        let start = text[..sep]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | ':' | '.' | '-')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = text[sep..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>'))
            .map_or(text.len(), |i| sep + i);
        if let Some(u) = parse(&text[start..end]) {
            out.push((start, u));
        }
        from = sep + 3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prisma_url_with_params_and_spans() {
        let s = "postgresql://app:s%40cret@db.internal:5433/shop?schema=public&connection_limit=50&pool_timeout=0";
        let u = parse(s).unwrap();
        assert_eq!(u.user.as_deref(), Some("app"));
        assert!(u.has_password);
        assert_eq!(u.hosts, vec![("db.internal".to_string(), Some(5433))]);
        assert_eq!(u.database.as_deref(), Some("shop"));
        let p = u.param("connection_limit").unwrap();
        assert_eq!(p.value, "50");
        assert_eq!(&s[p.span.start..p.span.end], "connection_limit=50");
        assert_eq!(u.server_key(), "db.internal:5433/shop");
    }

    #[test]
    fn jdbc_sqlalchemy_and_multi_host() {
        let u = parse("jdbc:postgresql://a:5432,b/orders").unwrap();
        assert_eq!(u.scheme, "jdbc:postgresql");
        assert_eq!(u.hosts.len(), 2);
        assert_eq!(u.server_key(), "a:5432,b:5432/orders");
        let u = parse("postgresql+asyncpg://api@pg/api").unwrap();
        assert_eq!(u.scheme, "postgresql+asyncpg");
        assert!(!u.has_password);
        let u = parse("postgres://u:p@ss@host/db").unwrap();
        assert_eq!(u.hosts[0].0, "host");
        assert!(parse("https://example.com/x").is_none());
        assert!(parse("not a url").is_none());
        assert_eq!(
            parse("mysql://[::1]:3307/x").unwrap().hosts[0],
            ("::1".to_string(), Some(3307))
        );
    }

    #[test]
    fn options_and_embedded_urls() {
        assert_eq!(
            options_gucs("-c statement_timeout=5s -clock_timeout=1s --idle-session-timeout=60s"),
            vec![
                ("statement_timeout".to_string(), "5s".to_string()),
                ("lock_timeout".to_string(), "1s".to_string()),
                ("idle_session_timeout".to_string(), "60s".to_string())
            ]
        );
        let found = find_urls("primary=postgres://a/b replica=\"postgresql://c/d?x=1\"");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, 8);
        assert_eq!(found[1].1.database.as_deref(), Some("d"));
    }

    #[test]
    fn odd_percent_escapes_do_not_panic() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%é1"), "%é1");
        assert_eq!(
            find_urls("postgres://Ὀ://").len(),
            1,
            "no panic on a multi-byte character before `://`"
        );
        assert_eq!(
            find_urls("é=postgres://h/d").first().map(|(i, _)| *i),
            Some(3)
        );
    }
}

/// Whether every unset variable of a URL sits in its user-info (`postgres://app:${PASSWORD}@`):
/// the password says nothing about pools, so the scheme, host and query still count.
pub fn unset_only_in_userinfo(raw: &str, unknown: &[String]) -> bool {
    let Some(start) = raw.find("://").map(|i| i + 3) else {
        return false;
    };
    let rest = &raw[start..];
    let end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..end].rfind('@') else {
        return false;
    };
    let userinfo = start..start + at;
    unknown.iter().all(|var| {
        let (braced, bare) = (format!("${{{var}"), format!("${var}"));
        let uses: Vec<usize> = raw
            .match_indices(&braced)
            .chain(raw.match_indices(&bare))
            .map(|(i, _)| i)
            .collect();
        !uses.is_empty() && uses.iter().all(|i| userinfo.contains(i))
    })
}

/// `raw` with each `${VAR}` / `$VAR` of `unknown` replaced by as many `*`, so that the URL
/// parses and every span into it still points at the same bytes.
pub fn mask_references(raw: &str, unknown: &[String]) -> String {
    let mut out = raw.to_string();
    for var in unknown {
        for pat in [format!("${{{var}}}"), format!("${var}")] {
            while let Some(i) = out.find(&pat) {
                out.replace_range(i..i + pat.len(), &"*".repeat(pat.len()));
            }
        }
    }
    out
}

#[cfg(test)]
mod userinfo_tests {
    use super::unset_only_in_userinfo as only_in_userinfo;

    #[test]
    fn an_unset_password_does_not_hide_the_url() {
        let u = |v: &str| vec![v.to_string()];
        assert!(only_in_userinfo(
            "postgresql://app:${POSTGRES_PASSWORD}@db:5432/shop?connection_limit=5",
            &u("POSTGRES_PASSWORD")
        ));
        assert!(!only_in_userinfo(
            "postgresql://app@${DB_HOST}:5432/shop",
            &u("DB_HOST")
        ));
        assert!(!only_in_userinfo(
            "postgresql://app:${P}@db/shop?connection_limit=${LIMIT}",
            &["P".to_string(), "LIMIT".to_string()]
        ));
        assert!(!only_in_userinfo("${DATABASE_URL}", &u("DATABASE_URL")));
    }
}
