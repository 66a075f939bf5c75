//! The pooler tier: services → pooler → server. A pooler takes client connections (counted
//! against its `max_client_conn`) and opens its own server-side pools, one per
//! (database, user) pair, which are what the server sees.

use super::{Fleet, Origin, Service, Sourced};
use crate::core::units::Timeout;
use serde::{Deserialize, Serialize};

// The kind lives in core: poolcheck.toml (input) names it as well.
pub use crate::core::engine::PoolerKind;

/// How a pooler hands server connections to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolMode {
    Session,
    Transaction,
    Statement,
}

impl PoolMode {
    pub fn parse(text: &str) -> Option<PoolMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "session" => Some(PoolMode::Session),
            "transaction" => Some(PoolMode::Transaction),
            "statement" => Some(PoolMode::Statement),
            _ => None,
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
            PoolMode::Statement => "statement",
        }
    }
    /// Consecutive transactions of one client may run on different server connections.
    pub fn shares_connections(self) -> bool {
        self != PoolMode::Session
    }
}

/// The pooler-wide settings (`[pgbouncer]` of pgbouncer.ini), each with its origin: a key
/// in a file, poolcheck.toml, or the pooler's documented default.
#[derive(Debug, Clone)]
pub struct PoolerSettings {
    pub mode: Sourced<PoolMode>,
    pub default_pool_size: Sourced<u32>,
    pub min_pool_size: Sourced<u32>,
    pub reserve_pool_size: Sourced<u32>,
    /// Client connections one instance accepts.
    pub max_client_conn: Sourced<u32>,
    /// Server connections per database over all its pools; 0 means no limit.
    pub max_db_connections: Sourced<u32>,
    /// Server connections per user over all its pools; 0 means no limit.
    pub max_user_connections: Sourced<u32>,
    /// Prepared statements tracked per server connection in transaction and statement mode;
    /// 0 turns the support off.
    pub max_prepared_statements: Sourced<u32>,
    /// How long a client may wait for a server connection before PgBouncer drops it.
    pub query_wait_timeout: Sourced<Timeout>,
    pub server_idle_timeout: Sourced<Timeout>,
    pub server_lifetime: Sourced<Timeout>,
    pub client_idle_timeout: Sourced<Timeout>,
    pub listen_port: Sourced<u32>,
    /// Parameters PgBouncer tracks per client besides its own list (track_extra_parameters),
    /// lower case.
    pub track_extra_parameters: Vec<String>,
    /// A pooler's own switches for session features, as written (`pgdog.prepared_statements`,
    /// `pgdog.query_parser`, `pgdog.pub_sub_channel_size`, `pgcat.prepared_statements`,
    /// `pgcat.prepared_statements_cache_size`): src/model/pooler_session.rs reads them.
    pub switches: Vec<(String, Sourced<String>)>,
}

/// A `[databases]` entry: the name clients connect to and its per-database overrides.
#[derive(Debug, Clone)]
pub struct PoolerDatabase {
    /// The name clients use (`*` is the fallback entry).
    pub name: String,
    pub origin: Origin,
    pub pool_size: Option<Sourced<u32>>,
    pub reserve_pool: Option<Sourced<u32>>,
    pub mode: Option<Sourced<PoolMode>>,
    pub max_db_connections: Option<Sourced<u32>>,
    /// `user=`: every client of this entry shares one server-side user.
    pub user: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
}

impl PoolerDatabase {
    /// A database the pooler serves with no overrides of its own.
    pub fn plain(name: String, origin: Origin) -> PoolerDatabase {
        PoolerDatabase {
            name,
            origin,
            pool_size: None,
            reserve_pool: None,
            mode: None,
            max_db_connections: None,
            user: None,
            host: None,
            port: None,
        }
    }
}

/// A `[users]` entry.
#[derive(Debug, Clone)]
pub struct PoolerUser {
    pub name: String,
    pub mode: Option<Sourced<PoolMode>>,
    pub pool_size: Option<Sourced<u32>>,
    pub max_user_connections: Option<Sourced<u32>>,
}

/// A server a pgcat shard or PgDog database entry lists.
#[derive(Debug, Clone)]
pub struct PoolerServer {
    pub cluster: String,
    pub shard: u32,
    /// `host:port`, lower case, `localhost` as 127.0.0.1.
    pub address: String,
    /// primary or replica.
    pub role: String,
    pub origin: Origin,
}

/// A pool a pgcat or PgDog config fixes by itself: one per user and server entry.
#[derive(Debug, Clone)]
pub struct FixedPool {
    pub cluster: String,
    pub user: String,
    pub shard: u32,
    pub role: String,
    pub pool_size: Sourced<u32>,
    pub mode: Sourced<PoolMode>,
}

/// An Odyssey route (`database … { user … { … } }`): the clients it matches (None: `default`)
/// and the pool each matching (database, user) pair gets.
#[derive(Debug, Clone)]
pub struct PoolerRoute {
    pub database: Option<String>,
    pub user: Option<String>,
    /// The `user` block.
    pub origin: Origin,
    pub mode: Sourced<PoolMode>,
    /// Server connections per (database, user) pool; 0 is Odyssey's "no limit".
    pub pool_size: Sourced<u32>,
    /// Client connections the route accepts; None: no limit.
    pub client_max: Option<Sourced<u32>>,
    /// `pool_timeout`: how long a client waits for a server connection.
    pub query_wait_timeout: Sourced<Timeout>,
    /// `pool_ttl`: how long an idle server connection is kept.
    pub server_idle_timeout: Sourced<Timeout>,
    /// The `storage` it forwards to, and that storage's `host:port` when it names one.
    pub storage: Option<String>,
    pub server_address: Option<String>,
}

impl PoolerRoute {
    /// `pool_size 0`: every client connection the route accepts may become a server one.
    pub fn unlimited(&self) -> bool {
        self.pool_size.value == 0
    }
}

/// A pooler tier between services and a server: clients connect to it, and it opens its own
/// server-side pools.
#[derive(Debug, Clone)]
pub struct Pooler {
    pub name: String,
    pub kind: PoolerKind,
    /// Where poolcheck.toml declares it.
    pub origin: Origin,
    /// Index into `Fleet::servers`: where its server-side pools connect.
    pub server: usize,
    /// Pods (or hosts) of the pooler; each has its own pools and its own max_client_conn.
    pub replicas: Sourced<u32>,
    /// PgBouncer processes per pod sharing its port (`so_reuseport = 1`): each is a PgBouncer
    /// of its own, with its own pools and max_client_conn. 1 unless poolcheck.toml says.
    pub processes: Sourced<u32>,
    /// Where so_reuseport is turned on: the process count is then not in the files.
    pub so_reuseport: Option<Origin>,
    /// Addresses clients reach it at (`host:port`, lower case), for routing services to it.
    pub listen: Vec<String>,
    /// The pooler's version as declared (`version = "1.22"`), when known.
    pub version: Option<Sourced<String>>,
    pub settings: PoolerSettings,
    pub databases: Vec<PoolerDatabase>,
    pub users: Vec<PoolerUser>,
    /// pgcat / PgDog: every server entry, and the pools opened on the pooler's server (the
    /// first primary's address; entries elsewhere are another server's load).
    pub servers: Vec<PoolerServer>,
    pub fixed_pools: Vec<FixedPool>,
    /// Odyssey: its routes; a client's pool takes the most specific one that matches.
    pub routes: Vec<PoolerRoute>,
    /// Odyssey's worker threads. They share the server pools, so they do not multiply them.
    pub workers: Option<Sourced<u32>>,
}

/// `host:port` as routing compares it: lower case, `localhost` as 127.0.0.1.
pub fn address(host: &str, port: u16) -> String {
    let h = host.trim().to_ascii_lowercase();
    let h = if h == "localhost" {
        "127.0.0.1".into()
    } else {
        h
    };
    format!("{h}:{port}")
}

impl Pooler {
    /// The `[databases]` entry a client naming `database` gets: its own, else `*`.
    pub fn database(&self, database: &str) -> Option<&PoolerDatabase> {
        self.databases
            .iter()
            .find(|d| d.name == database)
            .or_else(|| self.databases.iter().find(|d| d.name == "*"))
    }

    pub fn user(&self, user: &str) -> Option<&PoolerUser> {
        self.users.iter().find(|u| u.name == user)
    }

    /// The Odyssey route a client naming `database` and `user` gets: database and user named,
    /// then the database with `user default`, then `database default` with the user, then
    /// both default (the specificity order of sources/rules.c, od_rules_rule_get_specificity:
    /// <https://github.com/yandex/odyssey/blob/master/sources/rules.c>).
    pub fn route(&self, database: &str, user: &str) -> Option<&PoolerRoute> {
        let is = |r: &Option<String>, v: &str| r.as_deref() == Some(v);
        let tiers: [&dyn Fn(&PoolerRoute) -> bool; 4] = [
            &|r| is(&r.database, database) && is(&r.user, user),
            &|r| is(&r.database, database) && r.user.is_none(),
            &|r| r.database.is_none() && is(&r.user, user),
            &|r| r.database.is_none() && r.user.is_none(),
        ];
        tiers.iter().find_map(|t| self.routes.iter().find(|r| t(r)))
    }

    /// How long a client of (database, user) waits for a server connection before the
    /// pooler drops it: its Odyssey route's pool_timeout, else the pooler's setting.
    pub fn query_wait_timeout_for(
        &self,
        database: Option<&str>,
        user: Option<&str>,
    ) -> &Sourced<Timeout> {
        self.route(database.unwrap_or("?"), user.unwrap_or("?"))
            .map_or(&self.settings.query_wait_timeout, |r| &r.query_wait_timeout)
    }

    /// The pool mode a (database, user) pool runs in: the user's, else the database's, else
    /// the pooler's (<https://www.pgbouncer.org/config.html#section-users>).
    pub fn mode_for(&self, database: Option<&str>, user: Option<&str>) -> &Sourced<PoolMode> {
        // pgcat / PgDog: the pool the client lands in (its pool or database name, its user)
        // carries the mode of its own entry.
        if let Some(db) = database {
            let fixed = self.fixed_pools.iter().filter(|f| f.cluster == db);
            let mut fixed = fixed
                .clone()
                .filter(|f| Some(f.user.as_str()) == user)
                .chain(fixed);
            if let Some(f) = fixed.next() {
                return &f.mode;
            }
        }
        let u = user
            .and_then(|u| self.user(u))
            .and_then(|u| u.mode.as_ref());
        let d = database
            .and_then(|d| self.database(d))
            .and_then(|d| d.mode.as_ref());
        u.or(d).unwrap_or(&self.settings.mode)
    }

    /// PgBouncers the tier runs: pods × processes per pod, each with its own pools.
    pub fn instances(&self) -> u32 {
        self.replicas
            .value
            .saturating_mul(self.processes.value.max(1))
    }

    /// The version as (major, minor), when declared and readable.
    pub fn version_number(&self) -> Option<(u32, u32)> {
        let v = self.version.as_ref()?;
        let mut parts = v.value.trim().trim_start_matches('v').split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        Some((major, minor))
    }

    /// True when `host:port` (lower case) is one of its listen addresses, or its name (a
    /// Kubernetes or compose service name, short or fully qualified) on its listen port.
    pub fn listens_on(&self, host: &str, port: u16) -> bool {
        let addr = format!("{host}:{port}");
        if self.listen.contains(&addr) {
            return true;
        }
        let short = host.split('.').next().unwrap_or(host);
        // A Kubernetes Service name the files give (a chart's, an operator's) is reached by its
        // short name or any qualified form of it (`NAME.NAMESPACE.svc.cluster.local`).
        if self.listen.contains(&format!("{short}:{port}")) {
            return true;
        }
        short == self.name.to_ascii_lowercase()
            && u32::from(port) == self.settings.listen_port.value
    }
}

/// The host and port of a service's URL (the first host of `server_key`).
fn url_host_port(svc: &Service) -> Option<(String, u16)> {
    let key = svc.pool.server_key.as_deref()?;
    let hosts = key.split('/').next()?;
    let first = hosts.split(',').next()?;
    let (host, port) = first.rsplit_once(':')?;
    Some((host.to_ascii_lowercase(), port.parse().ok()?))
}

/// Routes services to poolers: a service that poolcheck.toml sends `via` a pooler keeps it;
/// another reaches the pooler whose listen address (or service name and port) its URL names.
/// A routed service's connections end on the pooler's server.
pub fn route(fleet: &mut Fleet) {
    for svc in &mut fleet.services {
        if svc.via.is_none() {
            if let Some((host, port)) = url_host_port(svc) {
                svc.via = fleet.poolers.iter().position(|p| p.listens_on(&host, port));
            }
        }
        if let Some(p) = svc.via.and_then(|i| fleet.poolers.get(i)) {
            svc.server = p.server;
        }
    }
}

/// `--set pooler.NAME.FIELD=N` and `--set service.NAME.via=POOLER` (what-if): `path` is the
/// key split at dots, three parts.
pub fn apply_set(
    fleet: &mut Fleet,
    path: &[String],
    value: &str,
    origin: Origin,
) -> Result<(), String> {
    let names: Vec<String> = fleet.poolers.iter().map(|p| p.name.clone()).collect();
    let no_such = |n: &str| {
        if names.is_empty() {
            format!("no pooler `{n}`: poolcheck.toml declares no [poolers]")
        } else {
            format!("no pooler `{n}` (poolers: {})", names.join(", "))
        }
    };
    if path[0] == "service" {
        let p = fleet
            .poolers
            .iter()
            .position(|p| p.name == value)
            .ok_or_else(|| no_such(value))?;
        let svc = fleet
            .services
            .iter_mut()
            .find(|s| s.name == path[1])
            .ok_or_else(|| format!("no service `{}`", path[1]))?;
        svc.via = Some(p);
        return Ok(());
    }
    let pooler = fleet
        .poolers
        .iter_mut()
        .find(|p| p.name == path[1])
        .ok_or_else(|| no_such(&path[1]))?;
    let n: u64 = value
        .parse()
        .map_err(|_| "the value must be a whole number".to_string())?;
    // Odyssey sizes each route's pool itself: a pooler-wide size would change nothing.
    if pooler.kind == PoolerKind::Odyssey
        && matches!(
            path[2].as_str(),
            "default_pool_size" | "reserve_pool_size" | "max_db_connections"
        )
    {
        return Err(format!(
            "pooler `{}` is Odyssey, which sizes pools per route: change pool_size in its odyssey.conf",
            pooler.name
        ));
    }
    let s = &mut pooler.settings;
    let slot = match path[2].as_str() {
        "replicas" => &mut pooler.replicas,
        "processes" => &mut pooler.processes,
        "default_pool_size" => &mut s.default_pool_size,
        "reserve_pool_size" => &mut s.reserve_pool_size,
        "max_client_conn" => &mut s.max_client_conn,
        "max_db_connections" => &mut s.max_db_connections,
        _ => return Err("unknown pooler field".into()),
    };
    let checked = if path[2] == "replicas" {
        super::limits::pods(n)
    } else if path[2] == "processes" {
        super::limits::processes(n)
    } else {
        super::limits::connections(n)
    }?;
    *slot = Sourced::new(checked, origin);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::units::Timeout;
    use std::time::Duration;

    fn d<T>(v: T) -> Sourced<T> {
        Sourced::new(v, Origin::Default { note: "t".into() })
    }

    pub fn pooler(name: &str, listen: &[&str]) -> Pooler {
        let t = |s| d(Timeout::Finite(Duration::from_secs(s)));
        Pooler {
            name: name.into(),
            kind: PoolerKind::Pgbouncer,
            origin: Origin::Default { note: "t".into() },
            server: 1,
            replicas: d(1),
            processes: d(1),
            so_reuseport: None,
            listen: listen.iter().map(|s| s.to_string()).collect(),
            version: None,
            settings: PoolerSettings {
                mode: d(PoolMode::Transaction),
                default_pool_size: d(20),
                min_pool_size: d(0),
                reserve_pool_size: d(0),
                max_client_conn: d(100),
                max_db_connections: d(0),
                max_user_connections: d(0),
                max_prepared_statements: d(0),
                query_wait_timeout: t(120),
                server_idle_timeout: t(600),
                server_lifetime: t(3600),
                client_idle_timeout: t(0),
                listen_port: d(6432),
                track_extra_parameters: Vec::new(),
                switches: Vec::new(),
            },
            databases: Vec::new(),
            users: Vec::new(),
            servers: Vec::new(),
            fixed_pools: Vec::new(),
            routes: Vec::new(),
            workers: None,
        }
    }

    pub fn service(key: &str) -> Service {
        let pool = crate::model::PoolConfig {
            server_key: Some(key.into()),
            ..Default::default()
        };
        Service {
            name: "s".into(),
            server: 0,
            via: None,
            pool,
            processes: d(1),
            replicas: d(1),
            hpa_max: None,
            surge: d(crate::model::Surge::Pods(0)),
            workload: None,
            role: None,
            database: None,
        }
    }

    #[test]
    fn routes_by_listen_address_and_by_service_name_on_the_listen_port() {
        let mut fleet = Fleet {
            servers: vec![Default::default(), Default::default()],
            poolers: vec![pooler("pgbouncer", &["10.0.0.5:6432"])],
            services: vec![
                service("10.0.0.5:6432/app"),
                service("pgbouncer.prod.svc.cluster.local:6432/app"),
                service("pgbouncer:5432/app"),
                service("db.internal:5432/app"),
            ],
        };
        route(&mut fleet);
        let via: Vec<_> = fleet.services.iter().map(|s| (s.via, s.server)).collect();
        assert_eq!(via, vec![(Some(0), 1), (Some(0), 1), (None, 0), (None, 0)]);
    }

    #[test]
    fn user_mode_beats_database_mode_beats_the_pooler_default() {
        let mut p = pooler("pgb", &[]);
        p.settings.mode = d(PoolMode::Session);
        p.databases.push(PoolerDatabase {
            name: "app".into(),
            origin: Origin::Default { note: "t".into() },
            pool_size: None,
            reserve_pool: None,
            mode: Some(d(PoolMode::Transaction)),
            max_db_connections: None,
            user: None,
            host: None,
            port: None,
        });
        p.users.push(PoolerUser {
            name: "admin".into(),
            mode: Some(d(PoolMode::Statement)),
            pool_size: None,
            max_user_connections: None,
        });
        assert_eq!(
            p.mode_for(Some("app"), Some("web")).value,
            PoolMode::Transaction
        );
        assert_eq!(
            p.mode_for(Some("app"), Some("admin")).value,
            PoolMode::Statement
        );
        assert_eq!(p.mode_for(Some("other"), None).value, PoolMode::Session);
    }

    #[test]
    fn an_odyssey_client_gets_the_most_specific_route() {
        let mut p = pooler("odyssey", &[]);
        let route = |db: Option<&str>, user: Option<&str>, size: u32| PoolerRoute {
            database: db.map(str::to_string),
            user: user.map(str::to_string),
            origin: Origin::Default { note: "t".into() },
            mode: d(PoolMode::Transaction),
            pool_size: d(size),
            client_max: None,
            query_wait_timeout: d(Timeout::Infinite),
            server_idle_timeout: d(Timeout::Infinite),
            storage: None,
            server_address: None,
        };
        // Written least specific first: the order in the file does not decide.
        p.routes = vec![
            route(None, None, 1),
            route(None, Some("web"), 2),
            route(Some("app"), None, 3),
            route(Some("app"), Some("web"), 4),
        ];
        let size = |db, user| p.route(db, user).map(|r| r.pool_size.value);
        assert_eq!(size("app", "web"), Some(4));
        assert_eq!(size("app", "api"), Some(3));
        assert_eq!(size("other", "web"), Some(2));
        assert_eq!(size("other", "api"), Some(1));
        p.routes.remove(0);
        assert!(p.route("other", "api").is_none());
    }
}
