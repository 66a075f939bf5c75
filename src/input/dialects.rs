//! Key dialects: which key names mean which pool setting, in which unit. The data lives in
//! rules/dialects.toml (embedded at build time); poolcheck.toml may add mappings of its own.

use serde::Deserialize;
use std::sync::OnceLock;
use std::time::Duration;

/// What a key means for the pool model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Concept {
    PoolMax,
    PoolOverflow,
    PoolMin,
    AcquireTimeout,
    IdleTimeout,
    MaxLifetime,
    ConnectTimeout,
    QueryTimeout,
    StatementCache,
    PreparedStatements,
    Processes,
    DatabaseUrl,
    Pgbouncer,
    Replicas,
    QueryExecMode,
    /// A key only one application writes (Gitea's `[database] DB_TYPE`): it sets nothing, but
    /// names the library whose documented defaults then apply.
    Identifies,
    /// The value names the kind of server (Rails' `adapter: trilogy`, `DB_TYPE=mysql`):
    /// it decides the server's engine when no URL scheme does.
    ServerKind,
    /// Migrations take a session-level advisory lock (ActiveRecord `advisory_locks`).
    AdvisoryLocks,
    /// Session state set when a connection opens: SET statements, startup `-c` options, init
    /// SQL. Every such key counts, not one per pool.
    SessionSetting,
    /// Connections start in autocommit mode (HikariCP `autoCommit`); false means the client
    /// opens a transaction on every connection it hands out.
    Autocommit,
    /// The library runs multi-statement transactions (a default only: every ORM does).
    Transactions,
}

impl Concept {
    pub fn describe(self) -> &'static str {
        match self {
            Concept::PoolMax => "pool max",
            Concept::PoolOverflow => "pool overflow",
            Concept::PoolMin => "pool min",
            Concept::AcquireTimeout => "acquire timeout",
            Concept::IdleTimeout => "idle timeout",
            Concept::MaxLifetime => "max lifetime",
            Concept::ConnectTimeout => "connect timeout",
            Concept::QueryTimeout => "query timeout",
            Concept::StatementCache => "statement cache size",
            Concept::PreparedStatements => "prepared statements",
            Concept::Processes => "processes per pod",
            Concept::DatabaseUrl => "database URL",
            Concept::Pgbouncer => "PgBouncer mode",
            Concept::Replicas => "replicas",
            Concept::QueryExecMode => "query exec mode",
            Concept::Identifies => "application marker",
            Concept::ServerKind => "server kind",
            Concept::AdvisoryLocks => "advisory locks",
            Concept::SessionSetting => "session setting",
            Concept::Autocommit => "autocommit",
            Concept::Transactions => "transactions",
        }
    }
}

/// The unit a key's number is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "ms")]
    Millis,
    GoDuration,
    /// A Spring Boot Duration (`-1ms`, `10s`, `PT30S`; a plain number is milliseconds).
    SpringDuration,
    Bool,
    Url,
    Text,
    /// A libpq `options` string: `-c name=value` pairs (also `--name=value`).
    PgOptions,
    /// SQL run on every new connection (HikariCP connectionInitSql).
    Sql,
    /// A map whose keys are the parameters set (ActiveRecord `variables:`).
    Names,
}

impl Unit {
    pub fn is_duration(self) -> bool {
        matches!(
            self,
            Unit::Seconds | Unit::Millis | Unit::GoDuration | Unit::SpringDuration
        )
    }
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Seconds => "seconds",
            Unit::Millis => "milliseconds",
            Unit::GoDuration => "Go duration",
            Unit::SpringDuration => "Spring duration",
            Unit::Bool => "boolean",
            Unit::Url => "URL",
            Unit::Text => "text",
            Unit::PgOptions => "startup options",
            Unit::Sql => "SQL",
            Unit::Names => "parameter map",
        }
    }
}

/// How a special number reads: 0 = wait forever (node-pg), -1 = no limit (SQLAlchemy overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Special {
    Infinite,
    Unbounded,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KeyDef {
    pub env: Option<String>,
    pub path: Option<String>,
    pub url: Option<String>,
    /// A keyword of an ADO.NET connection string (`Maximum Pool Size`), matched ignoring case,
    /// spaces and punctuation, as DbConnectionStringBuilder does.
    #[serde(default)]
    pub conn: Option<String>,
    /// The path's last segment must be spelt exactly so: Grafana's `conn_max_lifetime`
    /// (seconds) and Gitea's `CONN_MAX_LIFETIME` (a Go duration) normalize to one key.
    #[serde(default)]
    pub exact: bool,
    pub concept: Concept,
    pub unit: Unit,
    pub zero: Option<Special>,
    pub negative: Option<Special>,
    /// The server parameter a session-setting key sets (`schema_search_path` sets
    /// search_path), when the value does not name it.
    #[serde(default)]
    pub sets: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DefaultDef {
    pub concept: Concept,
    pub value: String,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Dialect {
    pub id: String,
    pub library: String,
    /// The kind of server this client talks to when it is not the SQL database the URL names
    /// (Redis clients): its keys make a pool of their own, counted against that server.
    #[serde(default)]
    pub engine: Option<crate::core::engine::Engine>,
    /// Its keys count only when the app's manifest names this library (Sidekiq's
    /// `concurrency`: any YAML may have such a key).
    #[serde(default)]
    pub stack_only: bool,
    /// Its keys describe a pool of `engine` only when the URL read with them is of that
    /// engine (Celery's broker may be RabbitMQ).
    #[serde(default)]
    pub needs_url: bool,
    pub keys: Vec<KeyDef>,
    #[serde(default)]
    pub defaults: Vec<DefaultDef>,
}

#[derive(Debug, Deserialize)]
struct DialectFile {
    dialect: Vec<Dialect>,
}

/// A key recognised in a file.
#[derive(Debug, Clone)]
pub struct KeyMatch<'a> {
    pub dialect: &'a Dialect,
    pub def: &'a KeyDef,
}

#[derive(Debug, Clone)]
pub struct Dialects {
    pub dialects: Vec<Dialect>,
    /// Path keys by their last normalized segment, built on first use: a YAML file of 100,000
    /// scalars asks once per scalar.
    paths: OnceLock<PathIndex>,
    /// Env names (and dotted paths, which env-style keys may spell) by normalized form, first
    /// dialect and key in order winning, built on first use: every .env line asks once.
    envs: OnceLock<std::collections::HashMap<String, (usize, usize)>>,
}

/// (dialect index, key index, normalized segments last first), under the last segment.
type PathIndex = std::collections::HashMap<String, Vec<(usize, usize, Vec<String>)>>;

const BUILTIN: &str = include_str!("../../rules/dialects.toml");

/// Lower-case and keep only alphanumerics: relaxed binding (`maximum-pool-size`,
/// `MAXIMUMPOOLSIZE`, `maximumPoolSize` are one key), as Spring does.
pub fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Tables (normalised) that configure a client of something other than a SQL database: pool
/// keys below them belong to that client. Redis is a server poolcheck models on its own
/// (its pools must never be counted against PostgreSQL's or MySQL's slots).
const FOREIGN_SECTIONS: &[&str] = &[
    "redis",
    "valkey",
    "sentinel",
    "memcache",
    "memcached",
    "http",
    "https",
    "httpclient",
    "grpc",
    "kafka",
    "rabbitmq",
    "amqp",
    "nats",
    "mongo",
    "mongodb",
    "elasticsearch",
    "opensearch",
    "smtp",
    "mail",
    "mailer",
    "ldap",
    "threadpool",
    "executor",
];

impl Dialects {
    /// The dialects shipped in rules/dialects.toml.
    pub fn builtin() -> &'static Dialects {
        static CELL: OnceLock<Dialects> = OnceLock::new();
        CELL.get_or_init(|| {
            let file: DialectFile =
                toml::from_str(BUILTIN).expect("rules/dialects.toml is checked by the test suite");
            let mut dialects = file.dialect;
            // Application presets (rules/apps) add the keys only their app writes, before
            // the generic names so an app's exact key wins a tie.
            let at = dialects
                .iter()
                .position(|d| d.id == "generic")
                .unwrap_or(dialects.len());
            // A name the generic dialect knows (`database.pool_size`, `database.url`) is
            // written by every kind of app: it never names one application on its own.
            let generic: Vec<String> = dialects
                .iter()
                .filter(|d| is_generic(&d.id))
                .flat_map(|d| d.keys.iter())
                .flat_map(|k| [k.env.as_deref(), k.path.as_deref()])
                .flatten()
                .map(normalize)
                .collect();
            let apps = crate::input::presets::builtin()
                .iter()
                .filter_map(crate::input::presets::Preset::global_dialect)
                .filter_map(|mut d| {
                    let common = |n: &Option<String>| {
                        n.as_deref()
                            .is_some_and(|n| generic.contains(&normalize(n)))
                    };
                    for k in &mut d.keys {
                        if common(&k.path) {
                            k.path = None;
                        }
                        if common(&k.env) {
                            k.env = None;
                        }
                    }
                    d.keys.retain(|k| k.env.is_some() || k.path.is_some());
                    (!d.keys.is_empty()).then_some(d)
                });
            dialects.splice(at..at, apps);
            Dialects {
                dialects,
                paths: OnceLock::new(),
                envs: OnceLock::new(),
            }
        })
    }

    /// The builtin dialects plus a user dialect (poolcheck.toml `[keys]`), which wins.
    pub fn with_user(user: Option<Dialect>) -> Dialects {
        let mut d = Dialects::builtin().clone();
        if let Some(u) = user {
            d.dialects.insert(0, u);
            d.paths = OnceLock::new();
            d.envs = OnceLock::new();
        }
        d
    }

    /// These dialects with `first` ahead of them all: a detected application's keys.
    pub fn with_front(&self, first: Dialect) -> Dialects {
        let mut d = self.clone();
        d.dialects.retain(|x| x.id != first.id);
        d.dialects.insert(0, first);
        d.paths = OnceLock::new();
        d.envs = OnceLock::new();
        d
    }

    pub fn get(&self, id: &str) -> Option<&Dialect> {
        self.dialects.iter().find(|d| d.id == id)
    }

    /// An environment variable name (in .env or a Helm env list).
    /// Every environment-variable name the dialects know, for "did you mean" suggestions.
    pub fn env_key_names(&self) -> Vec<String> {
        self.dialects
            .iter()
            .flat_map(|d| d.keys.iter().filter_map(|k| k.env.clone()))
            .collect()
    }

    pub fn match_env(&self, name: &str) -> Option<KeyMatch<'_>> {
        let index = self.envs.get_or_init(|| {
            let mut index = std::collections::HashMap::new();
            for (di, dialect) in self.dialects.iter().enumerate() {
                for (ki, def) in dialect.keys.iter().enumerate() {
                    if let Some(e) = def.env.as_deref() {
                        index.entry(normalize(e)).or_insert((di, ki));
                    }
                    // An exact path is spelt as one file format writes it (Grafana's
                    // `database.url`), never as an environment variable (DATABASE_URL).
                    let dotted = def
                        .path
                        .as_deref()
                        .filter(|p| p.contains('.') && !def.exact);
                    if let Some(p) = dotted {
                        index.entry(normalize(p)).or_insert((di, ki));
                    }
                }
            }
            index
        });
        let &(di, ki) = index.get(&normalize(name))?;
        let dialect = &self.dialects[di];
        Some(KeyMatch {
            dialect,
            def: &dialect.keys[ki],
        })
    }

    fn path_index(&self) -> &PathIndex {
        self.paths.get_or_init(|| {
            let mut index = PathIndex::new();
            for (di, dialect) in self.dialects.iter().enumerate() {
                for (ki, def) in dialect.keys.iter().enumerate() {
                    if let Some(path) = def.path.as_deref() {
                        let segs: Vec<String> = path.rsplit('.').map(normalize).collect();
                        index
                            .entry(segs[0].clone())
                            .or_default()
                            .push((di, ki, segs));
                    }
                }
            }
            index
        })
    }

    /// A dotted path in a YAML/TOML document: the key's path must equal the trailing segments.
    pub fn match_path(&self, segments: &[String]) -> Option<KeyMatch<'_>> {
        let last = normalize(segments.last()?);
        let candidates = self.path_index().get(&last)?;
        let segs: Vec<String> = segments.iter().rev().map(|s| normalize(s)).collect();
        // Longest pattern first so `spring.datasource.hikari.maximum-pool-size` beats `pool_size`;
        // among equals, the first dialect in order.
        let mut best: Option<(usize, KeyMatch<'_>)> = None;
        for (di, ki, pat) in candidates {
            if pat.len() <= segs.len() && segs[..pat.len()] == pat[..] {
                let def = &self.dialects[*di].keys[*ki];
                let spelt = |p: &str| p.rsplit('.').next() == segments.last().map(String::as_str);
                if def.exact && !def.path.as_deref().is_some_and(spelt) {
                    continue;
                }
                let better = best.as_ref().is_none_or(|(len, _)| pat.len() > *len);
                if better {
                    let dialect = &self.dialects[*di];
                    let def = &dialect.keys[*ki];
                    best = Some((pat.len(), KeyMatch { dialect, def }));
                }
            }
        }
        let (len, m) = best?;
        // `redis.pool`, `http.pool.max`, `cache.pool_size`: the same key names under a table
        // for another kind of service are that service's pool, never the database's.
        let parents = &segs[len..];
        if parents
            .iter()
            .any(|p| FOREIGN_SECTIONS.contains(&p.as_str()))
        {
            return None;
        }
        Some(m)
    }

    /// A query parameter of a connection URL.
    pub fn match_url_param(&self, key: &str) -> Option<KeyMatch<'_>> {
        self.find(|def| def.url.as_deref() == Some(key))
    }

    /// A query parameter of a URL to a server of `engine`: only the clients of that kind of
    /// server read it (go-redis' `pool_timeout` is not Prisma's).
    pub fn match_url_param_for(
        &self,
        key: &str,
        engine: Option<crate::core::engine::Engine>,
    ) -> Option<KeyMatch<'_>> {
        let redis = engine == Some(crate::core::engine::Engine::Redis);
        self.dialects.iter().find_map(|dialect| {
            if is_redis(dialect) != redis {
                return None;
            }
            dialect
                .keys
                .iter()
                .find(|def| def.url.as_deref() == Some(key))
                .map(|def| KeyMatch { dialect, def })
        })
    }

    /// A keyword of an ADO.NET connection string (`Max Pool Size`, `maximum pool size`).
    pub fn match_conn(&self, keyword: &str) -> Option<KeyMatch<'_>> {
        let k = normalize(keyword);
        self.find(|def| def.conn.as_deref().is_some_and(|c| normalize(c) == k))
    }

    /// Every library that reads `key` as spelt in a file, one match per dialect, in dialect
    /// order: the dialects that claim an env name (or its dotted form), the dialects whose
    /// path patterns of the best length match its segments, or the dialects of `m`'s kind of
    /// server (SQL or Redis) with that URL parameter or connection-string keyword. Generic
    /// names and the user's own mappings are nobody's library and are left out. One entry
    /// means the key names its library; two or more, that it is ambiguous on its own.
    pub fn claimants(&self, key: &str, m: &KeyMatch<'_>) -> Vec<KeyMatch<'_>> {
        let redis = is_redis(m.dialect);
        let mut out: Vec<KeyMatch<'_>> = Vec::new();
        let own = |d: &Dialect| !is_generic(&d.id) && d.id != "user" && is_redis(d) == redis;
        if m.def.url.as_deref() == Some(key) {
            for dialect in self.dialects.iter().filter(|d| own(d)) {
                if let Some(def) = dialect.keys.iter().find(|k| k.url.as_deref() == Some(key)) {
                    out.push(KeyMatch { dialect, def });
                }
            }
            return out;
        }
        if m.def.conn.is_some() {
            let k = normalize(key);
            for dialect in self.dialects.iter().filter(|d| own(d)) {
                let hit = dialect
                    .keys
                    .iter()
                    .find(|d| d.conn.as_deref().is_some_and(|c| normalize(c) == k));
                if let Some(def) = hit {
                    out.push(KeyMatch { dialect, def });
                }
            }
            return out;
        }
        let n = normalize(key);
        for dialect in self.dialects.iter().filter(|d| own(d)) {
            let hit = dialect.keys.iter().find(|def| {
                def.env.as_deref().is_some_and(|e| normalize(e) == n)
                    || def
                        .path
                        .as_deref()
                        .is_some_and(|p| p.contains('.') && !def.exact && normalize(p) == n)
            });
            if let Some(def) = hit {
                out.push(KeyMatch { dialect, def });
            }
        }
        let segments: Vec<String> = key.split('.').map(String::from).collect();
        for c in self.path_claims(&segments) {
            if own(c.dialect) && !out.iter().any(|o| o.dialect.id == c.dialect.id) {
                out.push(c);
            }
        }
        out
    }

    /// The matches of [`Dialects::match_path`] of the best length, one per dialect.
    fn path_claims(&self, segments: &[String]) -> Vec<KeyMatch<'_>> {
        let Some(last) = segments.last().map(|s| normalize(s)) else {
            return Vec::new();
        };
        let Some(candidates) = self.path_index().get(&last) else {
            return Vec::new();
        };
        let segs: Vec<String> = segments.iter().rev().map(|s| normalize(s)).collect();
        let mut best = 0;
        let mut out: Vec<KeyMatch<'_>> = Vec::new();
        for (di, ki, pat) in candidates {
            if pat.len() > segs.len() || segs[..pat.len()] != pat[..] {
                continue;
            }
            let dialect = &self.dialects[*di];
            let def = &dialect.keys[*ki];
            let spelt = |p: &str| p.rsplit('.').next() == segments.last().map(String::as_str);
            if def.exact && !def.path.as_deref().is_some_and(spelt) {
                continue;
            }
            if segs[pat.len()..]
                .iter()
                .any(|p| FOREIGN_SECTIONS.contains(&p.as_str()))
            {
                continue;
            }
            if pat.len() > best {
                best = pat.len();
                out.clear();
            }
            if pat.len() == best && !out.iter().any(|o| o.dialect.id == dialect.id) {
                out.push(KeyMatch { dialect, def });
            }
        }
        out
    }

    fn find(&self, pred: impl Fn(&KeyDef) -> bool) -> Option<KeyMatch<'_>> {
        self.dialects.iter().find_map(|dialect| {
            dialect
                .keys
                .iter()
                .find(|def| pred(def))
                .map(|def| KeyMatch { dialect, def })
        })
    }
}

/// A dialect of a Redis client: its keys belong to a service's Redis pool.
pub fn is_redis(d: &Dialect) -> bool {
    d.engine == Some(crate::core::engine::Engine::Redis)
}

/// Names every library may write (`DATABASE_URL`, `REDIS_URL`): they never name the library.
pub fn is_generic(id: &str) -> bool {
    id == "generic" || id == "redis-generic"
}

pub use crate::core::units::{parse_go_duration, Timeout};

/// Reads a number written in `unit`; Go durations (`30s`, `1h30m`) are parsed as Go does.
pub fn read_duration(text: &str, def: &KeyDef) -> Result<Timeout, String> {
    let t = text.trim();
    // Echoed values are clipped: a hostile file may hold megabytes on one line.
    let q = crate::core::secrets::clip(t, 48);
    if def.unit == Unit::GoDuration {
        if t == "0" {
            return Ok(special(def.zero).unwrap_or(Timeout::Finite(Duration::ZERO)));
        }
        return parse_go_duration(t).map(Timeout::Finite);
    }
    if def.unit == Unit::SpringDuration {
        return match crate::core::units::parse_spring_duration(t)? {
            (true, _) => special(def.negative)
                .ok_or_else(|| format!("`{q}` is negative; a timeout must be 0 or more")),
            (false, d) if d.is_zero() => Ok(special(def.zero).unwrap_or(Timeout::Finite(d))),
            (false, d) => Ok(Timeout::Finite(d)),
        };
    }
    let v: f64 = t.parse().map_err(|_| {
        format!(
            "`{q}` is not a number of {}; write a plain number such as 30",
            def.unit.name()
        )
    })?;
    if !v.is_finite() {
        return Err(format!("`{q}` is not a finite number"));
    }
    if v == 0.0 {
        if let Some(s) = special(def.zero) {
            return Ok(s);
        }
    }
    if v < 0.0 {
        return special(def.negative)
            .ok_or_else(|| format!("`{q}` is negative; a timeout must be 0 or more"));
    }
    let secs = if def.unit == Unit::Millis {
        v / 1000.0
    } else {
        v
    };
    crate::core::units::duration_from_secs(secs)
        .map(Timeout::Finite)
        .map_err(|e| format!("`{q}` {e}"))
}

fn special(s: Option<Special>) -> Option<Timeout> {
    s.map(|_| Timeout::Infinite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_dialects_load_and_every_key_is_addressable() {
        let d = Dialects::builtin();
        assert!(d.dialects.len() >= 9);
        for dialect in &d.dialects {
            for k in &dialect.keys {
                assert!(
                    k.env.is_some() || k.path.is_some() || k.url.is_some() || k.conn.is_some(),
                    "{}: key without env/path/url",
                    dialect.id
                );
            }
            for def in &dialect.defaults {
                let v = def.value.as_str();
                let ok = matches!(v, "infinite" | "unbounded" | "host_cpus" | "true" | "false")
                    || v.parse::<u32>().is_ok()
                    || crate::core::units::parse_duration(v).is_ok();
                assert!(ok, "{}: bad default {v}", dialect.id);
            }
        }
    }

    #[test]
    fn relaxed_binding_matches_spring_env_and_yaml() {
        let d = Dialects::builtin();
        let m = d
            .match_env("SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE")
            .unwrap();
        assert_eq!(
            (m.dialect.id.as_str(), m.def.concept),
            ("hikari", Concept::PoolMax)
        );
        let path: Vec<String> = ["spring", "datasource", "hikari", "maximumPoolSize"]
            .map(String::from)
            .to_vec();
        let m = d.match_path(&path).unwrap();
        assert_eq!(
            (m.dialect.id.as_str(), m.def.concept),
            ("hikari", Concept::PoolMax)
        );
        let m = d.match_env("DB_CONNECTION_LIMIT").unwrap();
        assert_eq!(m.def.concept, Concept::PoolMax);
        assert_eq!(
            d.match_url_param("pool_timeout").unwrap().def.unit,
            Unit::Seconds
        );
        assert!(d.match_env("DB_HOST").is_none());
    }

    #[test]
    fn url_parameters_belong_to_the_clients_of_their_engine() {
        use crate::core::engine::Engine;
        let d = Dialects::builtin();
        let id =
            |k: &str, e: Option<Engine>| d.match_url_param_for(k, e).map(|m| m.dialect.id.clone());
        // go-redis' pool_timeout is a Go duration; Prisma's is seconds on a SQL URL.
        assert_eq!(
            id("pool_timeout", Some(Engine::Redis)).as_deref(),
            Some("go-redis")
        );
        assert_eq!(
            id("pool_timeout", Some(Engine::Postgres)).as_deref(),
            Some("prisma")
        );
        assert_eq!(id("pool_timeout", None).as_deref(), Some("prisma"));
        assert_eq!(
            id("max_connections", Some(Engine::Redis)).as_deref(),
            Some("redis-py")
        );
        assert_eq!(id("max_connections", Some(Engine::Mysql)), None);
        assert_eq!(
            id("connectionLimit", Some(Engine::Mysql)).as_deref(),
            Some("mysql2")
        );
        // Spring's Redis pool is never HikariCP's or node-postgres' `pool.max`.
        let path: Vec<String> = ["spring", "data", "redis", "lettuce", "pool", "max-active"]
            .map(String::from)
            .to_vec();
        let m = d.match_path(&path).unwrap();
        assert_eq!(m.dialect.id, "lettuce-pool");
        assert!(is_redis(m.dialect));
        assert!(!is_redis(d.get("hikari").unwrap()));
    }

    #[test]
    fn a_key_names_every_library_that_reads_it() {
        use crate::core::engine::Engine;
        let d = Dialects::builtin();
        let ids = |key: &str, m: KeyMatch<'_>| -> Vec<String> {
            d.claimants(key, &m)
                .iter()
                .map(|c| c.dialect.id.clone())
                .collect()
        };
        // libpq's connect_timeout is Prisma's and pgx's alike: on its own it names neither.
        let m = d
            .match_url_param_for("connect_timeout", Some(Engine::Postgres))
            .unwrap();
        assert_eq!(ids("connect_timeout", m), ["prisma", "pgx"]);
        let m = d.match_url_param("connection_limit").unwrap();
        assert_eq!(ids("connection_limit", m), ["prisma"]);
        // The longest path decides: Spring's hikari key is HikariCP's alone.
        let path = "spring.datasource.hikari.maximum-pool-size";
        let segs: Vec<String> = path.split('.').map(String::from).collect();
        let m = d.match_path(&segs).unwrap();
        assert_eq!(ids(path, m), ["hikari"]);
        let m = d.match_env("SQLX_MAX_CONNECTIONS").unwrap();
        assert_eq!(ids("SQLX_MAX_CONNECTIONS", m), ["sqlx"]);
        // Generic names are nobody's library.
        let m = d.match_env("DB_POOL_SIZE").unwrap();
        assert!(ids("DB_POOL_SIZE", m).is_empty());
        // A Redis client's URL parameter is claimed among Redis clients only.
        let m = d
            .match_url_param_for("pool_timeout", Some(Engine::Redis))
            .unwrap();
        assert_eq!(ids("pool_timeout", m), ["go-redis"]);
    }

    #[test]
    fn a_name_every_app_writes_names_no_application() {
        let d = Dialects::builtin();
        for path in [
            "database.pool_size",
            "database.url",
            "database.max_connections",
        ] {
            let segs: Vec<String> = path.split('.').map(String::from).collect();
            let m = d.match_path(&segs).unwrap();
            assert_eq!(m.dialect.id, "generic", "{path}");
        }
        // An application's own spelling still names it.
        let m = d.match_env("MM_SQLSETTINGS_MAXOPENCONNS").unwrap();
        assert_eq!(m.dialect.id, "mattermost");
    }

    #[test]
    fn durations_follow_units_and_specials() {
        let d = Dialects::builtin();
        let pt = d.match_url_param("pool_timeout").unwrap().def;
        assert_eq!(
            read_duration("30", pt),
            Ok(Timeout::Finite(Duration::from_secs(30)))
        );
        assert_eq!(read_duration("0", pt), Ok(Timeout::Infinite));
        let hk = d
            .match_env("SPRING_DATASOURCE_HIKARI_CONNECTIONTIMEOUT")
            .unwrap()
            .def;
        assert_eq!(
            read_duration("250", hk),
            Ok(Timeout::Finite(Duration::from_millis(250)))
        );
        assert!(read_duration("abc", hk)
            .unwrap_err()
            .contains("not a number"));
        assert_eq!(
            parse_go_duration("1h30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert!(parse_go_duration("30").is_err());
    }
}
