//! PgBouncer's configuration as PgBouncer reads it: `[pgbouncer]` settings, `[databases]`
//! entries (a libpq-style `key=value` string per database) and `[users]` entries, from a
//! pgbouncer.ini already parsed by the INI reader (with its `%include`s), or from the
//! environment variables of a container image. Values stay text with their spans; the model
//! types them and fills PgBouncer's documented defaults (rules/poolers.toml).

use super::{Node, NodeKind, Scalar};
use crate::core::origin::Origin;
use crate::core::source::{FileId, SourceSet, Span};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A value as written, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    pub text: String,
    pub origin: Origin,
}

/// A `[databases]` or `[users]` entry: its name, where the name is, and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub origin: Origin,
    pub params: Vec<(String, Raw)>,
}

/// One source of PgBouncer settings (a pgbouncer.ini with its includes, or an environment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// `[pgbouncer]` keys, lower case, in file order (a later one wins).
    pub settings: Vec<(String, Raw)>,
    pub databases: Vec<Entry>,
    pub users: Vec<Entry>,
    /// Server entries of poolers that list them (pgcat shards, PgDog `[[databases]]`).
    pub servers: Vec<ServerEntry>,
    /// Users of those poolers, each opening a pool on every server entry of its cluster.
    pub members: Vec<Member>,
    /// The PgBouncer version the image tag of a compose service names (`bitnami/pgbouncer:1.22.1`):
    /// what an unset max_prepared_statements means depends on it.
    pub version: Option<Raw>,
    /// Odyssey's routes (`database … { user … { … } }`), in file order.
    pub routes: Vec<Route>,
    /// Odyssey's `storage "name" { … }` blocks: the name and its parameters.
    pub storages: Vec<Entry>,
    /// Pods a Helm chart or an operator resource runs (`replicaCount`, `spec.instances`,
    /// `numberOfInstances`), and the autoscaler's maximum when it is on.
    pub replicas: Option<Raw>,
    pub max_replicas: Option<Raw>,
    /// Where a chart turns this PgBouncer off (`pgbouncer.enabled: false`): the file
    /// contributes nothing.
    pub disabled: Option<Origin>,
}

/// An Odyssey route: the database and user a client names (None: `default`), where the
/// `user` block is, and its parameters under Odyssey's own names.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub database: Option<String>,
    pub user: Option<String>,
    /// The `database` block's name.
    pub database_origin: Origin,
    /// The `user` block's name.
    pub origin: Origin,
    pub params: Vec<(String, Raw)>,
}

/// One server a pgcat shard or a PgDog database entry points at.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerEntry {
    /// The pool (pgcat) or database (PgDog) name clients use.
    pub cluster: String,
    pub shard: u32,
    pub host: String,
    pub port: u16,
    /// primary or replica.
    pub role: String,
    pub pool_size: Option<Raw>,
    pub mode: Option<Raw>,
    pub origin: Origin,
}

/// A user of a cluster; its pool size applies per server entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub cluster: String,
    pub user: String,
    pub pool_size: Option<Raw>,
    pub mode: Option<Raw>,
    pub origin: Origin,
}

impl Config {
    pub fn setting(&self, key: &str) -> Option<&Raw> {
        self.settings
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r)
    }
}

/// rules/poolers.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    pub pgbouncer: PgbouncerData,
    pub image: Vec<Image>,
    pub pgcat: KindData,
    pub pgdog: KindData,
    pub supavisor: KindData,
    pub odyssey: KindData,
    pub rds_proxy: KindData,
    /// PgBouncer as a Helm chart or a Kubernetes operator deploys it (`icoretech`, `cnpg`,
    /// `zalando`).
    pub deployments: BTreeMap<String, KindData>,
}

/// Another pooler's documented defaults, under PgBouncer's key names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindData {
    pub defaults: BTreeMap<String, (toml::Value, String)>,
    /// Startup parameters the pooler restores on the server connection a client gets, lower
    /// case (src/model/pooler_session.rs).
    #[serde(default)]
    pub tracked_parameters: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgbouncerData {
    /// The first version that supports prepared statements in transaction mode.
    pub prepared_statements_since: String,
    /// Parameters PgBouncer keeps per client and restores in transaction mode (lower case).
    pub tracked_parameters: Vec<String>,
    /// key → (default, documentation link).
    pub defaults: BTreeMap<String, (toml::Value, String)>,
}

/// A container image that takes PgBouncer's settings as environment variables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub name: String,
    pub prefix: String,
    pub default_port: u32,
    pub renames: BTreeMap<String, String>,
    pub source: String,
}

const DATA: &str = include_str!("../../../rules/poolers.toml");

/// The pooler data poolcheck ships; a broken file is caught by this module's tests.
pub fn data() -> &'static Data {
    static CELL: OnceLock<Data> = OnceLock::new();
    CELL.get_or_init(|| toml::from_str(DATA).expect("rules/poolers.toml is valid"))
}

/// PgBouncer's default for `key` as text, and where it is documented.
pub fn default_of(key: &str) -> Option<(String, &'static str)> {
    value_text(data().pgbouncer.defaults.get(key)?)
}

/// Another pooler's own default for a key (`pgcat`, `pgdog`, `supavisor`, `odyssey`,
/// `rds_proxy`), when documented.
pub fn kind_default_of(kind: &str, key: &str) -> Option<(String, &'static str)> {
    let d = match kind {
        "pgcat" => &data().pgcat,
        "pgdog" => &data().pgdog,
        "supavisor" => &data().supavisor,
        "odyssey" => &data().odyssey,
        "rds_proxy" => &data().rds_proxy,
        _ => return None,
    };
    value_text(d.defaults.get(key)?)
}

/// A deployment's own value for a key (`icoretech`, `cnpg`, `zalando`; see rules/poolers.toml).
pub fn deployment_default(which: &str, key: &str) -> Option<(String, &'static str)> {
    value_text(data().deployments.get(which)?.defaults.get(key)?)
}

fn value_text((v, src): &'static (toml::Value, String)) -> Option<(String, &'static str)> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some((text, src.as_str()))
}

/// Keys poolcheck models; others are read and ignored.
pub fn is_known(key: &str) -> bool {
    data().pgbouncer.defaults.contains_key(key)
}

/// The settings of a parsed pgbouncer.ini.
pub fn from_ini(root: &Node, sources: &SourceSet) -> Config {
    let mut out = Config::default();
    let NodeKind::Map(sections) = &root.kind else {
        return out;
    };
    for section in sections {
        let NodeKind::Map(entries) = &section.value.kind else {
            continue;
        };
        match section.key.to_ascii_lowercase().as_str() {
            "pgbouncer" => {
                for e in entries {
                    out.settings
                        .push((e.key.to_ascii_lowercase(), raw_of(&e.value)));
                }
            }
            which @ ("databases" | "users") => {
                for e in entries {
                    let raw = raw_of(&e.value);
                    let entry = Entry {
                        name: e.key.clone(),
                        origin: Origin::file(e.value.file, e.key_span),
                        params: connstring(&raw.text, e.value.file, e.value.span, sources),
                    };
                    if which == "databases" {
                        out.databases.push(entry);
                    } else {
                        out.users.push(entry);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn raw_of(node: &Node) -> Raw {
    let text = match node.scalar() {
        Some(Scalar::Null) | None => String::new(),
        Some(s) => s.as_text().unwrap_or_default(),
    };
    Raw {
        text,
        origin: Origin::file(node.file, node.span),
    }
}

/// The `key=value` pairs of a `[databases]`/`[users]` value (libpq connection-string
/// syntax: values may be single-quoted, with `\'` or `''` inside). Each value's span is its
/// own when the file holds the text verbatim, else the whole value's.
pub fn connstring(text: &str, file: FileId, span: Span, sources: &SourceSet) -> Vec<(String, Raw)> {
    let exact = sources.get(file).text.get(span.start..span.end) == Some(text);
    let at = |a: usize, b: usize| {
        if exact {
            Span::new(span.start + a, span.start + b)
        } else {
            span
        }
    };
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = text[key_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            // A word without `=`: not a parameter (PgBouncer rejects the entry; nothing to read).
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let (value, start, end);
        if i < bytes.len() && bytes[i] == b'\'' {
            let open = i;
            i += 1;
            let mut v = String::new();
            let mut seg = i;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' if i + 1 < bytes.len() => {
                        v.push_str(&text[seg..i]);
                        // The escaped character may be several bytes long.
                        let ch = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                        v.push_str(&text[i + 1..i + 1 + ch]);
                        i += 1 + ch;
                        seg = i;
                    }
                    b'\'' if bytes.get(i + 1) == Some(&b'\'') => {
                        v.push_str(&text[seg..=i]);
                        i += 2;
                        seg = i;
                    }
                    b'\'' => break,
                    _ => i += 1,
                }
            }
            v.push_str(&text[seg..i.min(bytes.len())]);
            i = (i + 1).min(bytes.len());
            (value, start, end) = (v, open, i);
        } else {
            let s = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            (value, start, end) = (text[s..i].to_string(), s, i);
        }
        if !key.is_empty() {
            out.push((
                key,
                Raw {
                    text: value,
                    origin: Origin::file(file, at(start, end)),
                },
            ));
        }
    }
    out
}

/// The image whose conventions a set of variables follows: the named one, else bitnami's when
/// any variable carries its prefix, else edoburu's unprefixed names.
pub fn image_for(image: Option<&str>, names: &[&str]) -> &'static Image {
    let images = &data().image;
    if let Some(name) = image {
        let short = name.rsplit_once(':').map_or(name, |(n, _)| n);
        if let Some(i) = images.iter().find(|i| short.ends_with(&i.name)) {
            return i;
        }
    }
    images
        .iter()
        .find(|i| !i.prefix.is_empty() && names.iter().any(|n| n.starts_with(&i.prefix)))
        .or_else(|| images.iter().find(|i| i.prefix.is_empty()))
        .unwrap_or(&images[0])
}

/// The pgbouncer.ini key an environment variable sets under `image`'s conventions.
pub fn env_key(image: &Image, name: &str) -> Option<String> {
    if let Some(k) = image.renames.get(name) {
        return Some(k.clone());
    }
    let rest = name.strip_prefix(image.prefix.as_str())?;
    let key = rest.to_ascii_lowercase();
    is_known(&key).then_some(key)
}

/// The version an image reference's tag names: `bitnami/pgbouncer:1.22.1` → `1.22.1`,
/// `edoburu/pgbouncer:v1.23.1-p2` → `v1.23.1-p2`; none for `latest`, a digest or no tag.
pub fn image_version(image: &str) -> Option<String> {
    let no_digest = image.split('@').next()?;
    // A colon before the last `/` is a registry port, not a tag.
    let name = no_digest.rsplit('/').next()?;
    let (_, tag) = name.split_once(':')?;
    let digits = tag.strip_prefix('v').unwrap_or(tag);
    let (major, rest) = digits.split_once('.')?;
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let numeric = !major.is_empty() && major.chars().all(|c| c.is_ascii_digit());
    (numeric && !minor.is_empty()).then(|| tag.to_string())
}

/// PgBouncer settings from environment variables (name, value as text, where).
pub fn from_env(image: &Image, vars: &[(String, Raw)]) -> Config {
    let settings = vars
        .iter()
        .filter_map(|(name, raw)| env_key(image, name).map(|k| (k, raw.clone())))
        .collect();
    Config {
        settings,
        ..Config::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::source::SourceFile;

    #[test]
    fn an_image_tag_names_the_version() {
        // https://hub.docker.com/r/bitnami/pgbouncer/tags, https://hub.docker.com/r/edoburu/pgbouncer/tags
        for (image, want) in [
            ("bitnami/pgbouncer:1.22.1", Some("1.22.1")),
            (
                "docker.io/bitnami/pgbouncer:1.23.1-debian-12-r5",
                Some("1.23.1-debian-12-r5"),
            ),
            ("edoburu/pgbouncer:v1.23.1-p2", Some("v1.23.1-p2")),
            (
                "registry.local:5000/pgbouncer:1.21.0@sha256:0123",
                Some("1.21.0"),
            ),
            ("registry.local:5000/pgbouncer", None),
            ("bitnami/pgbouncer:latest", None),
            ("bitnami/pgbouncer", None),
            ("pgbouncer/pgbouncer:1", None),
        ] {
            assert_eq!(image_version(image).as_deref(), want, "{image}");
        }
    }

    fn parse(text: &str) -> (Config, SourceSet) {
        let mut sources = SourceSet::default();
        let id = sources.add(SourceFile::new(
            std::path::Path::new("pgbouncer.ini"),
            "pgbouncer.ini",
            text,
        ));
        let ini = crate::input::formats::ini::parse(id, text);
        assert!(ini.errors.is_empty(), "{:?}", ini.errors);
        (from_ini(&ini.root, &sources), sources)
    }

    fn spanned<'a>(s: &'a SourceSet, r: &Raw) -> &'a str {
        let (f, span) = r.origin.location().unwrap();
        &s.get(f).text[span.start..span.end]
    }

    #[test]
    fn the_shipped_data_parses_and_has_every_modelled_default() {
        for k in [
            "pool_mode",
            "default_pool_size",
            "reserve_pool_size",
            "max_client_conn",
            "max_db_connections",
            "max_user_connections",
            "max_prepared_statements",
            "query_wait_timeout",
            "server_idle_timeout",
            "server_lifetime",
            "listen_port",
        ] {
            let (_, src) = default_of(k).unwrap_or_else(|| panic!("{k}"));
            assert!(src.starts_with("https://www.pgbouncer.org/"), "{k}: {src}");
        }
        assert_eq!(default_of("default_pool_size").unwrap().0, "20");
        assert_eq!(default_of("pool_mode").unwrap().0, "session");
    }

    #[test]
    fn reads_settings_databases_and_users_with_spans() {
        let text = "[databases]\napp = host=10.0.0.9 port=5432 dbname=app_prod pool_size=40 pool_mode=session\n\
                    * = host=10.0.0.9\n\n[users]\nreport = pool_mode=session max_user_connections=5\n\n\
                    [pgbouncer]\npool_mode = transaction\nDefault_Pool_Size = 25\n";
        let (c, s) = parse(text);
        assert_eq!(c.setting("pool_mode").unwrap().text, "transaction");
        assert_eq!(c.setting("default_pool_size").unwrap().text, "25");
        assert_eq!(c.databases.len(), 2);
        let app = &c.databases[0];
        assert_eq!(app.name, "app");
        let keys: Vec<&str> = app.params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["host", "port", "dbname", "pool_size", "pool_mode"]);
        assert_eq!(spanned(&s, &app.params[3].1), "40");
        assert_eq!(c.users[0].name, "report");
        assert_eq!(c.users[0].params[1].1.text, "5");
    }

    #[test]
    fn quoted_connstring_values_keep_their_spaces_and_escapes() {
        let (c, _) = parse("[databases]\nx = password='a b\\'c' pool_size=3\n");
        let p = &c.databases[0].params;
        assert_eq!(p[0], ("password".into(), p[0].1.clone()));
        assert_eq!(p[0].1.text, "a b'c");
        assert_eq!(p[1].1.text, "3");
    }

    #[test]
    fn words_without_equals_and_unterminated_quotes_do_not_panic() {
        for v in ["host", "=", "a='", "a=' b", "  ", "k = ", "x=1 y", "é=ü"] {
            let _ = parse(&format!("[databases]\nd = {v}\n"));
        }
    }

    #[test]
    fn environment_variables_follow_the_image_conventions() {
        let raw = |t: &str| Raw {
            text: t.into(),
            origin: Origin::Default { note: "t".into() },
        };
        let vars = vec![
            ("PGBOUNCER_POOL_MODE".to_string(), raw("transaction")),
            ("PGBOUNCER_DEFAULT_POOL_SIZE".to_string(), raw("30")),
            ("PGBOUNCER_PORT".to_string(), raw("6543")),
            ("PGBOUNCER_DATABASE".to_string(), raw("app")),
        ];
        let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
        let img = image_for(None, &names);
        assert_eq!(img.name, "bitnami/pgbouncer");
        let c = from_env(img, &vars);
        let keys: Vec<&str> = c.settings.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["pool_mode", "default_pool_size", "listen_port"]);

        let edo = image_for(None, &["POOL_MODE", "MAX_CLIENT_CONN"]);
        assert_eq!(edo.name, "edoburu/pgbouncer");
        assert_eq!(edo.default_port, 5432);
        assert_eq!(
            env_key(edo, "MAX_CLIENT_CONN").as_deref(),
            Some("max_client_conn")
        );
        assert_eq!(env_key(edo, "DATABASE_URL"), None);
        let named = image_for(Some("docker.io/bitnami/pgbouncer:1.23.1"), &["POOL_MODE"]);
        assert_eq!(named.name, "bitnami/pgbouncer");
    }
}
