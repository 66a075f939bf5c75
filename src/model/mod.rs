//! The fleet model: servers and the services that connect to them. Every number carries its
//! [`Origin`], so findings can label the exact input they used.

pub mod build;
pub mod helm;

use crate::dialect::Timeout;
use crate::source::{FileId, Span};
use serde::Serialize;
use std::time::Duration;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A key in a linted file or in poolcheck.toml.
    File { file: FileId, span: Span },
    /// Absent from the files; the library's documented default applies.
    Default { note: String },
    /// A command-line flag such as `--max-connections`.
    Cli { flag: String },
    /// Read from a live server.
    Probe { what: String },
    /// A `--set` override (what-if).
    Override { key: String },
    /// Computed from other values (e.g. 25% surge of 3 replicas).
    Derived { note: String },
    /// PostgreSQL's or poolcheck's own built-in assumption.
    Assumed { note: String },
}

impl Origin {
    pub fn file(file: FileId, span: Span) -> Origin {
        Origin::File { file, span }
    }
    pub fn location(&self) -> Option<(FileId, Span)> {
        match self {
            Origin::File { file, span } => Some((*file, *span)),
            _ => None,
        }
    }
    /// A phrase for values that do not come from a file ("HikariCP default: …", "--replicas").
    pub fn describe(&self) -> String {
        match self {
            Origin::File { .. } => "from the file".into(),
            Origin::Default { note } => note.clone(),
            Origin::Cli { flag } => format!("from {flag}"),
            Origin::Probe { what } => format!("from the live server ({what})"),
            Origin::Override { key } => format!("from --set {key}"),
            Origin::Derived { note } => note.clone(),
            Origin::Assumed { note } => note.clone(),
        }
    }
}

/// A value with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Sourced { value, origin }
    }
}

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
    pub max: Option<Sourced<PoolMax>>,
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
    /// The connection URL's redacted text and where it is.
    pub url: Option<Sourced<String>>,
    /// `server_key()` of the URL: host:port/database.
    pub server_key: Option<String>,
    /// The role and database the connection URL names.
    pub url_user: Option<String>,
    pub url_database: Option<String>,
    /// Raw values with their units, for unit-sanity checks: (concept, key, text, unit, origin).
    pub raw: Vec<RawValue>,
}

#[derive(Debug, Clone)]
pub struct RawValue {
    pub concept: crate::dialect::Concept,
    pub key: String,
    pub text: String,
    pub unit: crate::dialect::Unit,
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
        let pods = self.peak_pods().value;
        match self.surge.value {
            Surge::Pods(n) => n,
            Surge::Percent(p) => (pods * p).div_ceil(100),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Server {
    pub name: String,
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
            Sourced::new(
                3,
                Origin::Assumed {
                    note: "PostgreSQL default superuser_reserved_connections = 3".into(),
                },
            )
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
            Sourced::new(
                total,
                Origin::Derived {
                    note: "superuser + reserved + operator reserve".into(),
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
    pub services: Vec<Service>,
}
