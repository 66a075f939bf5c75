//! Command-line interface (clap derive). Each subcommand's arguments live beside each other here;
//! the logic lives in the module named for the command.

use crate::core::severity::Severity;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "poolcheck",
    version,
    about = "Stops database connection-pool exhaustion before it reaches production",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour the output: `auto` when stdout is a terminal and NO_COLOR is unset.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print only the findings (no capacity, workload or summary lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print where every number came from (file and line, default, flag or probe).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `Some(forced)` for always/never, None for auto.
    pub fn forced(self) -> Option<bool> {
        match self {
            ColorChoice::Auto => None,
            ColorChoice::Always => Some(true),
            ColorChoice::Never => Some(false),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check that the fleet's pools fit the database and are configured sanely.
    Verify(VerifyArgs),
    /// Recommend a pool size per replica from the expected load (Little's law + Erlang C).
    Size(SizeArgs),
    /// Run verify before and after overrides and show what moves.
    WhatIf(WhatIfArgs),
    /// Read a live PostgreSQL, MySQL/MariaDB or Redis server's limits and usage (read-only).
    Probe(ProbeArgs),
    /// Load-test PostgreSQL, MySQL/MariaDB or Redis through poolcheck's pool core.
    Saturate(SaturateArgs),
    /// Print a rule's documentation, or list every rule when no code is given.
    Rule(RuleArgs),
    /// Print what poolcheck knows of an application (keys, defaults, components, sources),
    /// or list every application it knows when no name is given.
    App(AppArgs),
    /// Write a commented poolcheck.toml for this repository from what it finds in it.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell or elvish).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The repository to scan (default: the working directory).
    pub dir: Option<PathBuf>,
    /// Where to write (default: poolcheck.toml in DIR). `-` prints it instead.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write poolcheck.1 and poolcheck-COMMAND.1 into this directory instead of printing
    /// poolcheck.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// Output formats of verify and what-if.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
    /// GitHub Actions workflow commands (::error file=…,line=…::message), one per finding.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: a test suite per rule, a test case per rule and file.
    Junit,
    /// GitLab Code Quality report (JSON).
    Gitlab,
    /// One line per finding: file:line:col: CODE [severity] message.
    Concise,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Files or directories to lint (.env*, *.toml, *.yaml/*.yml, Kubernetes manifests, compose
    /// files, Helm chart directories); `-` reads standard input (e.g. `helm template` output).
    /// Without paths, the services of poolcheck.toml are linted.
    pub paths: Vec<PathBuf>,
    /// poolcheck.toml to use (default: search the working directory and its parents).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any poolcheck.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Check production: the `[env.prod]` environment of poolcheck.toml, and production's
    /// files (.env.production, database.yml's production block). Production is also what
    /// is checked when no environment is named.
    #[arg(long)]
    pub prod: bool,
    /// Check the environment NAME: `[env.NAME]` of poolcheck.toml (required there when
    /// poolcheck.toml exists), .env.NAME files and database.yml's NAME block.
    #[arg(long, value_name = "NAME", conflicts_with = "prod")]
    pub env: Option<String>,
    /// Active Spring profile (repeatable, or comma-separated): `on-profile` documents and
    /// application-NAME.yml/.properties apply only when their profile is active. Beats
    /// `profiles` in poolcheck.toml.
    #[arg(long = "profile", value_name = "NAME", value_delimiter = ',')]
    pub profiles: Vec<String>,
    /// Helm values files applied in order over the chart's values.yaml (later wins), as `helm -f`.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// The server's max_connections. A flag beats poolcheck.toml and a live probe (see the
    /// precedence table in README); only --set beats it.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<u32>,
    /// Slots the application may not use (superuser reserve, admin, migrations, monitoring).
    /// Default: the engine's own reserve (3 for PostgreSQL). Beats poolcheck.toml.
    #[arg(long, value_name = "N")]
    pub reserved: Option<u32>,
    /// Replicas (pods) of every service, over poolcheck.toml and the files; an autoscaler's
    /// maximum still sets the peak.
    #[arg(long, value_name = "N")]
    pub replicas: Option<u32>,
    /// Read the server's limits live from this URL (postgres://, mysql://, mariadb://,
    /// redis://) instead of trusting the config.
    #[arg(long, value_name = "URL")]
    pub probe: Option<String>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Override a key before checking: a key as the files name it (DB_POOL_SIZE=30) or a model
    /// path (service.api.replicas=6). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Largest input file read, in bytes (default 16 MiB, or max_file_size in poolcheck.toml).
    /// A larger file is reported (PC005) and not read.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_file_size: Option<u64>,
    /// With `-` among the paths (standard input): the name it is reported under, which also
    /// decides its format as a file's name would (default: YAML, e.g. `helm template` output).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Report only these rules: codes (PC201), names (thin-headroom), prefixes (PC1) or ALL;
    /// comma-separated or repeated. Input rules (PC00x) stay on. Beats [rules] in poolcheck.toml.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not report these rules (same patterns as --select); applied after --select.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Report only findings that are not in this baseline (written by --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in FILE, so a later --baseline FILE fails only on new ones.
    /// Exits 0 once written.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
}

/// A size in bytes, at least 1.
fn parse_bytes(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of bytes, at least 1 (16 MiB = 16777216)".into()),
    }
}

#[derive(Debug, Clone, Args)]
pub struct SizeArgs {
    /// Requests per second at peak, over the whole fleet.
    #[arg(long, allow_negative_numbers = true)]
    pub rps: f64,
    /// Queries per request (each holds a connection for one query time).
    #[arg(long, default_value_t = 1.0)]
    pub queries_per_request: f64,
    /// Mean time a connection is held per query, e.g. 40ms.
    #[arg(long, value_name = "DURATION")]
    pub query_time: String,
    /// A request keeps one connection for its whole duration instead of per query.
    #[arg(long)]
    pub per_request_hold: bool,
    /// Replicas the load is spread over (each has its own pool).
    #[arg(long, default_value_t = 1)]
    pub replicas: u32,
    /// Target: p99 acquire wait at most this, e.g. 10ms.
    #[arg(long, value_name = "DURATION")]
    pub target_p99_wait: Option<String>,
    /// Target: probability that an acquire waits at all at most this.
    #[arg(long, value_name = "P")]
    pub target_wait_probability: Option<f64>,
    /// Target: utilization (busy / pool) at most this.
    #[arg(long, value_name = "RHO")]
    pub target_utilization: Option<f64>,
    /// Acquire timeout, to report P(timeout), e.g. 10s.
    #[arg(long, value_name = "DURATION")]
    pub acquire_timeout: Option<String>,
    /// Target: P(acquire timeout) at most this.
    #[arg(long, value_name = "P")]
    pub target_timeout_probability: Option<f64>,
    /// Squared coefficient of variation of inter-arrival times (1 = Poisson).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub arrival_cv2: f64,
    /// Squared coefficient of variation of hold times (1 = exponential).
    #[arg(long, default_value_t = 1.0, value_name = "Y")]
    pub hold_cv2: f64,
    #[arg(long, value_name = "N")]
    pub max_connections: Option<u32>,
    #[arg(long, value_name = "N")]
    pub reserved: Option<u32>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the p99-wait-versus-pool-size chart as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// A pooler (PgBouncer, pgcat…) sits between the replicas and the server, in this mode:
    /// in transaction or statement mode its server-side pool is sized from the transactions,
    /// and the replicas' client connections are shown separately.
    #[arg(long, value_enum, value_name = "MODE")]
    pub pool_mode: Option<SizePoolMode>,
    /// Mean time a server connection is busy per transaction (transaction mode), e.g. 15ms.
    #[arg(long, value_name = "DURATION")]
    pub transaction_time: Option<String>,
    /// Transactions per request (transaction mode; default 1).
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub transactions_per_request: f64,
    /// Pooler instances (pods or processes); each opens its own server-side pool.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub poolers: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SizePoolMode {
    Session,
    Transaction,
    Statement,
}

#[derive(Debug, Clone, Args)]
pub struct WhatIfArgs {
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Override the peak requests per second of every service with a workload.
    #[arg(long)]
    pub rps: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// postgres://, mysql://, mariadb://, redis:// or rediss:// URL (else DATABASE_URL, else
    /// the libpq PG* environment and ~/.pgpass).
    pub url: Option<String>,
    /// Give up connecting (TCP, TLS and startup) after this long.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub connect_timeout: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Scenario {
    #[default]
    Steady,
    Spike,
    Exhaust,
}

/// How saturate sends its statement to PostgreSQL, as pgbench's `-M simple|prepared`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Protocol {
    /// One Query message per request (text protocol), as pgbench -M simple.
    #[default]
    Simple,
    /// Parsed once per connection, then Bind/Execute per request, as pgbench -M prepared.
    Prepared,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Simple => "simple",
            Protocol::Prepared => "prepared",
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct SaturateArgs {
    /// postgres://, mysql://, mariadb://, redis:// or rediss:// URL (else DATABASE_URL, else
    /// the libpq PG* environment).
    pub url: Option<String>,
    /// Pool size to test.
    #[arg(long)]
    pub pool: u32,
    /// Concurrent clients in closed-loop mode (default: 2 × pool).
    #[arg(long)]
    pub clients: Option<u32>,
    /// Open loop: Poisson arrivals at this many per second instead of closed-loop clients.
    #[arg(long)]
    pub rps: Option<f64>,
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub duration: String,
    /// SQL (or a Redis command, e.g. `GET k`) each client runs while holding a connection.
    #[arg(long, conflicts_with = "hold")]
    pub query: Option<String>,
    /// Hold each connection this long (pg_sleep, MySQL SLEEP; Redis: on the client, then
    /// PING) instead of a query, e.g. 40ms.
    #[arg(long, value_name = "DURATION")]
    pub hold: Option<String>,
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub acquire_timeout: String,
    #[arg(long, value_enum, default_value_t = Scenario::Steady)]
    pub scenario: Scenario,
    /// PostgreSQL only: simple queries, or a statement prepared once per connection and
    /// then bound and executed (default: simple).
    #[arg(long, value_enum, value_name = "PROTOCOL")]
    pub protocol: Option<Protocol>,
    /// Run even if the pool would not fit the server's free slots.
    #[arg(long)]
    pub force: bool,
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub connect_timeout: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write the run's pool statistics to FILE in the OpenMetrics (Prometheus) text format.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct AppArgs {
    /// Application id or name (mattermost, GitLab).
    pub name: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Rule code or name (PC101 or fleet-exceeds-server-slots).
    pub code: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}
