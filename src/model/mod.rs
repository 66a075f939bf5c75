//! The fleet model: servers and the services that connect to them. Every number carries its
//! [`Origin`], so findings can label the exact input they used.

pub mod apps;
pub mod commands;
pub mod engines;
pub mod from_compose;
pub mod from_config;
pub mod from_files;
pub mod from_helm;
pub mod from_manifests;
pub mod from_probe;
pub mod from_probe_mysql;
pub mod overrides;
pub mod pooler;
pub mod pooler_files;
pub mod pooler_helm;
pub mod pooler_odyssey;
pub mod pooler_session;
pub mod pooler_toml;
pub mod presets;
pub mod server_limits;
pub mod session;
pub mod stack;

pub use pooler::{PoolMode, Pooler, PoolerKind};

use crate::core::engine::Engine;
pub use crate::core::origin::{Layer, Origin, Sourced};
use crate::core::units::Timeout;
use serde::Serialize;
use std::time::Duration;

/// A pool's maximum size as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolMax {
    Fixed(u32),
    /// No limit at all (Go MaxOpenConns 0, SQLAlchemy max_overflow -1).
    Unbounded,
    /// Derived from the host's CPUs at run time (Prisma, pgx defaults); `assumed` is what
    /// poolcheck counts, from `assume_host_cpus` in poolcheck.toml (default 4).
    HostCpus {
        assumed: u32,
    },
    /// Set from somewhere poolcheck cannot read (a secret, an unresolved reference).
    Unknown,
}

impl PoolMax {
    pub fn count(self) -> Option<u32> {
        match self {
            PoolMax::Fixed(n) | PoolMax::HostCpus { assumed: n } => Some(n),
            PoolMax::Unbounded | PoolMax::Unknown => None,
        }
    }
}

/// The pool settings of one process of a service.
#[derive(Debug, Clone, Default)]
pub struct PoolConfig {
    /// The library whose defaults apply ("Prisma", "HikariCP", …), if recognised.
    pub library: Option<String>,
    /// How the service's stack was recognised ("Mattermost: image mattermost/…").
    pub stack: Option<String>,
    pub max: Option<Sourced<PoolMax>>,
    /// A pool max key is set but its value cannot be read (already a PC002 finding).
    pub max_invalid: bool,
    /// SQLAlchemy max_overflow: extra connections above pool_size.
    pub overflow: Option<Sourced<PoolMax>>,
    pub min: Option<Sourced<u32>>,
    pub acquire_timeout: Option<Sourced<Timeout>>,
    pub idle_timeout: Option<Sourced<Timeout>>,
    pub max_lifetime: Option<Sourced<Timeout>>,
    pub connect_timeout: Option<Sourced<Timeout>>,
    pub statement_cache: Option<Sourced<u32>>,
    pub prepared_statements: Option<Sourced<bool>>,
    pub pgbouncer: Option<Sourced<bool>>,
    /// Migrations take a session-level advisory lock (ActiveRecord `advisory_locks`).
    pub advisory_locks: Option<Sourced<bool>>,
    /// Keys that set session state on every new connection.
    pub session_settings: Vec<session::SessionSetting>,
    /// Parts of the stack beside the files that need a session of their own (GoodJob, Action
    /// Cable's postgresql adapter).
    pub stack_uses: Vec<session::StackUse>,
    /// The library runs multi-statement transactions (an ORM's default, or HikariCP
    /// autoCommit false), with what says so.
    pub transactions: Option<Sourced<bool>>,
    /// The connection URL's redacted text and where it is.
    pub url: Option<Sourced<String>>,
    /// `server_key()` of the URL: host:port/database.
    pub server_key: Option<String>,
    /// Where that URL is (a pooler's address, for findings about the route).
    pub server_origin: Option<Origin>,
    /// The kind of server the URL's scheme names (`mysql2://` is MySQL), with where.
    pub url_engine: Option<Sourced<Engine>>,
    /// `Some(Redis)`: the service's Redis pool (`ServiceSpec::engine_part`), counted against
    /// a Redis server.
    pub engine_part: Option<Engine>,
    /// The role and database the connection URL names.
    pub url_user: Option<String>,
    pub url_database: Option<String>,
    /// Raw values with their units, for unit-sanity checks: (concept, key, text, unit, origin).
    pub raw: Vec<RawValue>,
    /// Values poolcheck could not evaluate (ERB it does not run), each saying why, where.
    pub unevaluated: Vec<Sourced<String>>,
    /// Pool keys one .env file sets more than once (PC006).
    pub duplicates: Vec<Duplicate>,
    /// One setting given under different keys with different values (PC007).
    pub competing: Vec<Competing>,
    /// Keys several libraries read, in a service whose stack nothing else names (PC011).
    pub ambiguous: Vec<Ambiguous>,
}

/// A key two or more libraries read, where nothing says which one the service uses.
#[derive(Debug, Clone)]
pub struct Ambiguous {
    pub key: String,
    /// The candidates' dialect ids (what `stack = "…"` takes) and library names, in order.
    pub ids: Vec<String>,
    pub libraries: Vec<String>,
    pub origin: Origin,
}

/// A key set on several lines of one file: the value the application reads and the lines it
/// never sees. Values are redacted for display.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub key: String,
    pub used: Sourced<String>,
    pub ignored: Vec<Sourced<String>>,
}

/// Keys that set the same concept of one pool to different values.
#[derive(Debug, Clone)]
pub struct Competing {
    pub concept: crate::input::dialects::Concept,
    /// The one the model takes (URL parameter > library key > generic name; later wins ties).
    pub used: Setting,
    pub others: Vec<Setting>,
}

#[derive(Debug, Clone)]
pub struct Setting {
    pub key: String,
    /// Redacted for display.
    pub text: String,
    pub library: String,
    /// 3 URL or connection-string parameter, 2 library key, 1 generic name.
    pub rank: u8,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct RawValue {
    pub concept: crate::input::dialects::Concept,
    pub key: String,
    pub text: String,
    pub unit: crate::input::dialects::Unit,
    pub library: String,
    pub origin: Origin,
}

impl PoolConfig {
    /// Connections one process may open: max plus overflow. None when unbounded or unknown.
    pub fn per_process(&self) -> Option<u32> {
        let max = self.max.as_ref()?.value.count()?;
        match &self.overflow {
            None => Some(max),
            Some(o) => o.value.count().map(|o| max + o),
        }
    }
}

/// Rolling-update surge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surge {
    Pods(u32),
    Percent(u32),
}

impl Surge {
    /// The one reader of maxSurge text: a number of pods (`2`) or a percentage (`25%`).
    pub fn parse(text: &str) -> Result<Surge, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "`{}`: write a number of pods or a percentage such as 25%",
                crate::core::secrets::clip(t, 40)
            )
        };
        match t.strip_suffix('%') {
            Some(p) => {
                let n: u64 = p.trim().parse().map_err(|_| bad())?;
                limits::surge_percent(n).map(Surge::Percent)
            }
            None => {
                let n: u64 = t.parse().map_err(|_| bad())?;
                limits::pods(n).map(Surge::Pods)
            }
        }
    }
}

/// Plausibility caps on user numbers at the model boundary. Past them a number is a typo or
/// hostile input, and arithmetic on it could overflow; each breach is a located PC002.
pub mod limits {
    /// Pods of one service (replicas, HPA maximum, surge).
    pub const MAX_PODS: u64 = 100_000;
    /// Processes (workers × threads) in one pod.
    pub const MAX_PROCESSES: u64 = 100_000;
    /// Connections of one pool, or a server's connection limit.
    pub const MAX_CONNECTIONS: u64 = 1_000_000;
    /// A rolling update's surge as a percentage of the pods.
    pub const MAX_SURGE_PERCENT: u64 = 1_000;

    fn check(n: u64, max: u64, what: &str) -> Result<u32, String> {
        if n > max {
            return Err(format!(
                "{n} {what} is not a plausible count (poolcheck accepts up to {max})"
            ));
        }
        Ok(n as u32)
    }
    pub fn pods(n: u64) -> Result<u32, String> {
        check(n, MAX_PODS, "pods")
    }
    pub fn processes(n: u64) -> Result<u32, String> {
        check(n, MAX_PROCESSES, "processes")
    }
    pub fn connections(n: u64) -> Result<u32, String> {
        check(n, MAX_CONNECTIONS, "connections")
    }
    pub fn surge_percent(n: u64) -> Result<u32, String> {
        check(n, MAX_SURGE_PERCENT, "percent surge")
    }
}

#[derive(Debug, Clone, Default)]
pub struct Workload {
    pub rps: Option<Sourced<f64>>,
    pub queries_per_request: Option<Sourced<f64>>,
    pub query_time: Option<Sourced<Duration>>,
    pub per_request_hold: bool,
    pub arrival_cv2: f64,
    pub hold_cv2: f64,
    pub target_p99_wait: Option<Duration>,
    pub target_wait_probability: Option<f64>,
    pub target_timeout_probability: Option<f64>,
    pub target_utilization: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// Index into `Fleet::servers`.
    pub server: usize,
    /// Index into `Fleet::poolers` when the service reaches its server through a pooler.
    pub via: Option<usize>,
    pub pool: PoolConfig,
    pub processes: Sourced<u32>,
    pub replicas: Sourced<u32>,
    /// HPA maxReplicas when autoscaling is enabled.
    pub hpa_max: Option<Sourced<u32>>,
    pub surge: Sourced<Surge>,
    pub workload: Option<Workload>,
    pub role: Option<String>,
    pub database: Option<String>,
}

impl Service {
    /// The role the service connects as: poolcheck.toml's `role`, else the URL's user.
    pub fn effective_role(&self) -> Option<&str> {
        self.role.as_deref().or(self.pool.url_user.as_deref())
    }
    /// The database it uses: poolcheck.toml's `database`, else the URL's.
    pub fn effective_database(&self) -> Option<&str> {
        self.database
            .as_deref()
            .or(self.pool.url_database.as_deref())
    }

    /// Pods at steady peak: the HPA maximum when autoscaling, else replicas.
    pub fn peak_pods(&self) -> &Sourced<u32> {
        self.hpa_max.as_ref().unwrap_or(&self.replicas)
    }
    /// Extra pods alive during a rolling update (maxSurge, percent rounded up as Kubernetes does).
    pub fn surge_pods(&self) -> u32 {
        let pods = u64::from(self.peak_pods().value);
        let n = match self.surge.value {
            Surge::Pods(n) => u64::from(n),
            Surge::Percent(p) => (pods * u64::from(p)).div_ceil(100),
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Server {
    pub name: String,
    /// The kind of server; its reserved-slot semantics and defaults come from `db`.
    pub engine: Engine,
    /// Where the kind came from: poolcheck.toml's `kind`, or the scheme of the URLs that
    /// reach it; None while it is the default (PostgreSQL).
    pub engine_origin: Option<Origin>,
    pub max_connections: Option<Sourced<u32>>,
    pub superuser_reserved: Option<Sourced<u32>>,
    pub reserved_connections: Option<Sourced<u32>>,
    pub operator_reserve: Option<Sourced<u32>>,
    /// A single total reserve (`reserved` in poolcheck.toml or `--reserved`) replacing the parts.
    pub reserved_total: Option<Sourced<u32>>,
    pub cores: Option<Sourced<u32>>,
    /// Connections already held by other applications (from a probe).
    pub other_usage: Option<Sourced<u32>>,
    pub role_limits: Vec<(String, Sourced<Option<u32>>)>,
    pub database_limits: Vec<(String, Sourced<Option<u32>>)>,
    /// The server kills sessions idle this long (idle_session_timeout, from a probe).
    pub idle_session_timeout: Option<Sourced<Duration>>,
    /// MySQL / MariaDB close a connection idle this long (wait_timeout, default 28800 s).
    pub wait_timeout: Option<Sourced<Duration>>,
    /// Redis closes a client idle this long (`timeout`; 0, the default, never).
    pub redis_timeout: Option<Sourced<Duration>>,
    /// MariaDB's extra_port and the connections it takes there (from a probe).
    pub extra_port: Option<Sourced<ExtraPort>>,
}

/// MariaDB's second port: `extra_max_connections` connections on `extra_port`, served one
/// thread per connection and counted apart from max_connections, so administrators get in
/// when the thread pool is stuck. Not slots for the fleet's pools.
/// <https://mariadb.com/kb/en/thread-pool-system-status-variables/#extra_port>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExtraPort {
    /// 0: no extra port (the default).
    pub port: u16,
    /// Default 1.
    pub max_connections: u32,
}

impl Server {
    /// The slots the application may not use, and where that number came from.
    pub fn reserved(&self) -> Sourced<u32> {
        if let Some(r) = &self.reserved_total {
            return r.clone();
        }
        let parts = [
            &self.superuser_reserved,
            &self.reserved_connections,
            &self.operator_reserve,
        ];
        let su = self.superuser_reserved.clone().unwrap_or_else(|| {
            let (n, note) = self.engine.default_reserve();
            Sourced::new(n, Origin::Default { note: note.into() })
        });
        let total = su.value
            + self.reserved_connections.as_ref().map_or(0, |r| r.value)
            + self.operator_reserve.as_ref().map_or(0, |r| r.value);
        let single = parts.iter().filter(|p| p.is_some()).count() <= 1
            && self.reserved_connections.is_none()
            && self.operator_reserve.is_none();
        if single {
            su
        } else {
            let layer = parts
                .iter()
                .filter_map(|p| p.as_ref().map(|v| v.layer()))
                .min()
                .unwrap_or(Layer::Default);
            Sourced::new(
                total,
                Origin::Derived {
                    note: "superuser + reserved + operator reserve".into(),
                    layer,
                },
            )
        }
    }

    /// max_connections − reserved (saturating), if max_connections is known.
    pub fn usable(&self) -> Option<u32> {
        let max = self.max_connections.as_ref()?.value;
        Some(max.saturating_sub(self.reserved().value))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub servers: Vec<Server>,
    pub poolers: Vec<Pooler>,
    pub services: Vec<Service>,
}
