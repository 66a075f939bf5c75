//! The server's max_connections as the deployment files that start the database state it:
//! a compose service's image with its command or environment, a Helm chart's bundled
//! PostgreSQL (Bitnami's chart), a CloudNativePG `Cluster` or a Zalando `postgresql`. Each
//! value keeps the span of its digits, and the image or kind says the engine, because
//! PostgreSQL and MySQL/MariaDB reserve different slots.

use super::{limits, Origin, Sourced};
use crate::core::code::Code;
use crate::core::engine::Engine;
use crate::core::finding::Finding;
use crate::core::source::{FileId, SourceSet, Span};
use crate::input::formats::{Node, NodeKind, Scalar};

/// A database image poolcheck knows how to read the connection limit of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbImage {
    /// The official `postgres` image (and images built on it): `postgres -c
    /// max_connections=N` in `command`; it reads no variable for it
    /// (https://github.com/docker-library/docs/blob/master/postgres/README.md#environment-variables).
    Postgres,
    /// bitnami/postgresql: POSTGRESQL_MAX_CONNECTIONS, with POSTGRES_MAX_CONNECTIONS as its
    /// alias (https://github.com/bitnami/containers/blob/main/bitnami/postgresql/17/debian-12/rootfs/opt/bitnami/scripts/postgresql-env.sh).
    BitnamiPostgres,
    /// Red Hat / sclorg postgresql-NN images: POSTGRESQL_MAX_CONNECTIONS (default 100,
    /// https://github.com/sclorg/postgresql-container/blob/master/16/root/usr/share/container-scripts/postgresql/README.md).
    SclPostgres,
    /// The official `mysql` / `mariadb` images: mysqld options in `command`
    /// (`--max-connections=N`, https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_max_connections).
    Mysqld(Engine),
    /// bitnami/mysql and bitnami/mariadb: mysqld options in MYSQL_EXTRA_FLAGS /
    /// MARIADB_EXTRA_FLAGS (https://github.com/bitnami/containers/blob/main/bitnami/mariadb/README.md#passing-extra-command-line-flags-to-mysqld-startup,
    /// https://github.com/bitnami/containers/blob/main/bitnami/mysql/README.md).
    BitnamiMysqld(Engine),
    /// Red Hat / sclorg mysql-NN images: MYSQL_MAX_CONNECTIONS (default 151,
    /// https://github.com/sclorg/mysql-container/blob/master/8.0/root/usr/share/container-scripts/mysql/README.md).
    SclMysql,
}

impl DbImage {
    pub fn engine(self) -> Engine {
        match self {
            DbImage::Postgres | DbImage::BitnamiPostgres | DbImage::SclPostgres => Engine::Postgres,
            DbImage::Mysqld(e) | DbImage::BitnamiMysqld(e) => e,
            DbImage::SclMysql => Engine::Mysql,
        }
    }

    /// Variables the image reads max_connections from, the first set one winning.
    pub fn env_keys(self) -> &'static [&'static str] {
        match self {
            DbImage::BitnamiPostgres => &["POSTGRESQL_MAX_CONNECTIONS", "POSTGRES_MAX_CONNECTIONS"],
            DbImage::SclPostgres => &["POSTGRESQL_MAX_CONNECTIONS"],
            DbImage::SclMysql => &["MYSQL_MAX_CONNECTIONS"],
            _ => &[],
        }
    }

    /// A variable holding extra mysqld options.
    pub fn flags_key(self) -> Option<&'static str> {
        match self {
            DbImage::BitnamiMysqld(Engine::Mariadb) => Some("MARIADB_EXTRA_FLAGS"),
            DbImage::BitnamiMysqld(_) => Some("MYSQL_EXTRA_FLAGS"),
            _ => None,
        }
    }
}

/// `registry:5000/bitnami/postgresql:16.2@sha256:…` → ["registry:5000", "bitnami", "postgresql"].
fn repo_parts(image: &str) -> Vec<String> {
    let image = image.split('@').next().unwrap_or("").trim();
    let mut parts: Vec<String> = image.split('/').map(str::to_ascii_lowercase).collect();
    if let Some(last) = parts.last_mut() {
        if let Some(i) = last.find(':') {
            last.truncate(i);
        }
    }
    parts
}

pub fn classify(image: &str) -> Option<DbImage> {
    let parts = repo_parts(image);
    let last = parts.last()?.as_str();
    let owner = parts.len().checked_sub(2).map(|i| parts[i].as_str());
    let numbered = |prefix: &str| {
        last.strip_prefix(prefix)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    };
    Some(match (owner, last) {
        (Some("bitnami"), "postgresql") => DbImage::BitnamiPostgres,
        (Some("bitnami"), "mysql") => DbImage::BitnamiMysqld(Engine::Mysql),
        (Some("bitnami"), "mariadb") => DbImage::BitnamiMysqld(Engine::Mariadb),
        _ if numbered("postgresql-") => DbImage::SclPostgres,
        _ if numbered("mysql-") => DbImage::SclMysql,
        (_, "mysql" | "mysql-server") => DbImage::Mysqld(Engine::Mysql),
        (_, "mariadb") => DbImage::Mysqld(Engine::Mariadb),
        // postgis/postgis is built on the official image
        // (https://github.com/postgis/docker-postgis#readme); PostgREST and exporters are
        // clients, not servers.
        (_, "postgis") => DbImage::Postgres,
        _ if last.starts_with("postgres")
            && !last.starts_with("postgrest")
            && !last.contains("exporter") =>
        {
            DbImage::Postgres
        }
        _ => return None,
    })
}

/// The value of a mysqld option among arguments (`--max-connections=N`, `--max_connections=N`).
pub fn mysqld_option<'a>(args: impl IntoIterator<Item = &'a str>) -> Option<String> {
    args.into_iter()
        .filter_map(|a| {
            let a = a.trim().trim_matches(['"', '\'']);
            let rest = a.strip_prefix("--")?;
            rest.strip_prefix("max_connections=")
                .or_else(|| rest.strip_prefix("max-connections="))
                .map(str::to_string)
        })
        // mysqld takes the last of a repeated option.
        .last()
}

/// The last `max_connections = N` of postgresql.conf text (comments and quotes allowed).
pub fn conf_setting(text: &str) -> Option<String> {
    text.lines().rev().find_map(|l| {
        let l = l.split('#').next().unwrap_or("").trim();
        let rest = l.strip_prefix("max_connections")?;
        if !rest.starts_with(|c: char| c.is_whitespace() || c == '=') {
            return None;
        }
        let rest = rest.trim_start();
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
        let v = rest.trim_matches(['"', '\'']).trim();
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// Where `value` sits after the last `max_connections` / `max-connections` in the span, or
/// the whole span when the text there is written another way (an interpolated variable).
pub fn locate(sources: &SourceSet, file: FileId, span: Span, value: &str) -> Span {
    let text = &sources.get(file).text;
    let Some(src) = text.get(span.start..span.end) else {
        return span;
    };
    let found = ["max_connections", "max-connections"]
        .iter()
        .filter_map(|k| src.rfind(k).map(|i| i + k.len()))
        .max();
    if let Some(after) = found {
        let rest = &src[after..];
        if let Some(i) = rest.find(value) {
            let between = &rest[..i];
            if between
                .chars()
                .all(|c| c.is_whitespace() || matches!(c, '=' | ':' | '"' | '\''))
            {
                let start = span.start + after + i;
                return Span::new(start, start + value.len());
            }
        }
    }
    span
}

/// The value as a connection count with its origin, or a PC002 finding at it.
pub fn count(
    value: &str,
    file: FileId,
    span: Span,
    findings: &mut Vec<Finding>,
) -> Option<Sourced<u32>> {
    match value
        .trim()
        .parse::<u64>()
        .map_err(|_| ())
        .and_then(|x| limits::connections(x).map_err(|_| ()))
    {
        Ok(x) => Some(Sourced::new(x, Origin::file(file, span))),
        Err(()) => {
            let msg = format!(
                "max_connections `{}` is not a connection count",
                crate::core::secrets::clip(value, 48)
            );
            findings.push(
                Finding::new(Code::PC002, msg.clone(), "write a whole number").at(file, span, msg),
            );
            None
        }
    }
}

fn text_of(n: &Node) -> Option<String> {
    n.scalar().and_then(Scalar::as_text)
}

/// A scalar that states max_connections outright (`max_connections: "200"`).
fn scalar_count(
    n: &Node,
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<Sourced<u32>> {
    let v = text_of(n)?;
    let span = locate_plain(sources, n, &v);
    count(&v, n.file, span, findings)
}

/// The value's own text inside a scalar's span (inside quotes when quoted).
fn locate_plain(sources: &SourceSet, n: &Node, value: &str) -> Span {
    let text = &sources.get(n.file).text;
    match text
        .get(n.span.start..n.span.end)
        .and_then(|s| s.find(value))
    {
        Some(i) => Span::new(n.span.start + i, n.span.start + i + value.len()),
        None => n.span,
    }
}

/// postgresql.conf text in a block scalar: the last `max_connections` line, located.
fn conf_count(n: &Node, sources: &SourceSet, findings: &mut Vec<Finding>) -> Option<Sourced<u32>> {
    let v = conf_setting(&text_of(n)?)?;
    let span = locate(sources, n.file, n.span, &v);
    count(&v, n.file, span, findings)
}

/// The env list's last value for one of `keys` (in key order), located.
fn env_count(
    list: &Node,
    keys: &[&str],
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<Sourced<u32>> {
    let vars = super::from_helm::env_vars(&wrap_env(list));
    keys.iter().find_map(|k| {
        let var = vars.iter().rev().find(|v| v.name == *k)?;
        let (v, f, s) = var.value.clone()?;
        count(&v, f, locate_in(sources, f, s, &v), findings)
    })
}

fn locate_in(sources: &SourceSet, f: FileId, s: Span, v: &str) -> Span {
    let n = Node {
        kind: NodeKind::Scalar(Scalar::Str(v.to_string())),
        file: f,
        span: s,
    };
    locate_plain(sources, &n, v)
}

/// `env_vars` reads lists under `env`-like keys: present the list as one.
fn wrap_env(list: &Node) -> Node {
    Node {
        kind: NodeKind::Map(vec![crate::input::formats::Entry {
            key: "extraEnvVars".into(),
            key_span: list.span,
            value: list.clone(),
        }]),
        file: list.file,
        span: list.span,
    }
}

/// The Bitnami postgresql chart's primary settings: `extendedConfiguration` (appended to
/// postgresql.conf, so read after the variable) beats POSTGRESQL_MAX_CONNECTIONS in
/// `extraEnvVars`. https://github.com/bitnami/charts/blob/main/bitnami/postgresql/values.yaml
fn bitnami_primary(
    primary: &Node,
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<Sourced<u32>> {
    let conf = primary
        .get("extendedConfiguration")
        .and_then(|n| conf_count(n, sources, findings));
    conf.or_else(|| {
        primary
            .get("extraEnvVars")
            .and_then(|l| env_count(l, DbImage::BitnamiPostgres.env_keys(), sources, findings))
    })
}

/// A chart's merged values: its bundled Bitnami PostgreSQL (`postgresql.primary…`, unless
/// `postgresql.enabled` is false: Helm installs a dependency whose condition is unset), or
/// the standalone chart's own values (`primary.extendedConfiguration`).
pub fn from_chart_values(
    values: &Node,
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<(Sourced<u32>, Sourced<Engine>)> {
    let (primary, at) = match values.get("postgresql") {
        Some(pg) => {
            let off = pg.get("enabled").is_some_and(|e| {
                matches!(e.scalar(), Some(Scalar::Bool(false)))
                    || text_of(e).is_some_and(|t| t.eq_ignore_ascii_case("false"))
            });
            if off {
                return None;
            }
            (pg.get("primary")?, pg)
        }
        None => {
            let p = values.get("primary")?;
            p.get("extendedConfiguration")?;
            (p, p)
        }
    };
    let mc = bitnami_primary(primary, sources, findings)?;
    let engine = Sourced::new(Engine::Postgres, Origin::file(at.file, at.span));
    Some((mc, engine))
}

/// CloudNativePG `Cluster` and Zalando `postgresql` resources among manifest documents:
/// both take PostgreSQL settings under `spec.postgresql.parameters`
/// (https://cloudnative-pg.io/documentation/current/postgresql_conf/, source
/// https://github.com/cloudnative-pg/cloudnative-pg/blob/main/docs/src/postgresql_conf.md;
/// https://github.com/zalando/postgres-operator/blob/master/docs/reference/cluster_manifest.md).
pub fn from_operator_docs(
    docs: &[Node],
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Vec<(Sourced<u32>, Sourced<Engine>)> {
    let mut out = Vec::new();
    for d in docs {
        let api = d.get("apiVersion").and_then(text_of).unwrap_or_default();
        let kind = d.get("kind").and_then(text_of).unwrap_or_default();
        let group = api.split('/').next().unwrap_or("");
        let known = (group == "postgresql.cnpg.io" && kind == "Cluster")
            || (group == "acid.zalan.do" && kind == "postgresql");
        if !known {
            continue;
        }
        let Some(n) = d
            .get("spec")
            .and_then(|s| s.get("postgresql"))
            .and_then(|p| p.get("parameters"))
            .and_then(|p| p.get("max_connections"))
        else {
            continue;
        };
        if let Some(mc) = scalar_count(n, sources, findings) {
            let at = d.get("kind").unwrap_or(d);
            out.push((
                mc,
                Sourced::new(Engine::Postgres, Origin::file(at.file, at.span)),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_name_their_engine_and_keys() {
        assert_eq!(classify("postgres:16-alpine"), Some(DbImage::Postgres));
        assert_eq!(
            classify("docker.io/bitnami/postgresql:16.2.0@sha256:abc"),
            Some(DbImage::BitnamiPostgres)
        );
        assert_eq!(
            classify("registry.redhat.io/rhel9/postgresql-16"),
            Some(DbImage::SclPostgres)
        );
        assert_eq!(classify("mysql:8.4"), Some(DbImage::Mysqld(Engine::Mysql)));
        assert_eq!(
            classify("localhost:5000/mariadb:11"),
            Some(DbImage::Mysqld(Engine::Mariadb))
        );
        assert_eq!(
            classify("bitnami/mariadb:11.4"),
            Some(DbImage::BitnamiMysqld(Engine::Mariadb))
        );
        assert_eq!(
            classify("quay.io/sclorg/mysql-80-c9s"),
            Some(DbImage::SclMysql)
        );
        assert_eq!(classify("postgis/postgis:16-3.4"), Some(DbImage::Postgres));
        assert_eq!(classify("postgrest/postgrest:v12.2.3"), None);
        assert_eq!(
            classify("quay.io/prometheuscommunity/postgres-exporter"),
            None
        );
        assert_eq!(classify("redis:7"), None);
        assert_eq!(classify("ghcr.io/acme/mysql-exporter"), None);
    }

    #[test]
    fn mysqld_options_take_both_spellings_and_the_last_wins() {
        assert_eq!(
            mysqld_option(["--max-connections=200", "--max_connections=300"]),
            Some("300".into())
        );
        assert_eq!(mysqld_option(["--max-connect-errors=10"]), None);
    }

    #[test]
    fn the_value_is_located_at_its_digits_or_at_the_whole_span() {
        let mut set = SourceSet::default();
        let text = "command: mysqld --max-connections=70 --x\nvalue: \"${N}\"\n";
        let id = set.add(crate::core::source::SourceFile::new(
            "compose.yaml",
            "compose.yaml",
            text,
        ));
        let whole = Span::new(9, 40);
        let at = locate(&set, id, whole, "70");
        assert_eq!(&text[at.start..at.end], "70");
        let other = Span::new(48, 54);
        assert_eq!(locate(&set, id, other, "70"), other);
    }

    #[test]
    fn conf_text_takes_the_last_uncommented_line() {
        let t = "# max_connections = 1\nmax_connections = 200\nshared_buffers = 1GB\nmax_connections='250' # more\n";
        assert_eq!(conf_setting(t), Some("250".into()));
        assert_eq!(conf_setting("max_connections_x = 3"), None);
    }
}
