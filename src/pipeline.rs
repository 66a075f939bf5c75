//! The one pipeline every command that judges a fleet runs, owned in one place:
//! discover → load → parse → model → capacity → lint → report.

use crate::capacity::fleet::{self, ServerCapacity};
use crate::core::code::Code;
use crate::core::error::{ToolError, ToolResult};
use crate::core::finding::Finding;
use crate::core::severity::Severity;
use crate::core::source::SourceSet;
use crate::input::config::{self, Loaded};
use crate::input::dialects::Dialects;
use crate::input::envfiles::{self, Skipped};
use crate::lint::{self, Settings};
use crate::model::from_config;
use crate::model::from_files::{self, BuildOptions};
use crate::model::overrides::{self, Flags, Sets};
use crate::model::Fleet;
use crate::report::Report;
use std::collections::HashSet;
use std::path::PathBuf;

/// Which poolcheck.toml to use.
#[derive(Debug, Clone, Default)]
pub enum ConfigChoice {
    /// Search the working directory and its parents.
    #[default]
    Search,
    File(PathBuf),
    None,
}

/// Everything a verify run needs, independent of how the command line spelled it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub paths: Vec<PathBuf>,
    pub config: ConfigChoice,
    /// The `[env.NAME]` of poolcheck.toml to apply.
    pub env: Option<String>,
    /// How the user named the environment (`--prod`, `--env staging`), for messages.
    pub env_flag: String,
    /// Helm values files over the chart's values.yaml, in order.
    pub values: Vec<PathBuf>,
    pub flags: Flags,
    pub probe: Option<String>,
    pub fail_on: Option<Severity>,
    /// `--set KEY=VALUE`, as given.
    pub sets: Vec<String>,
    /// Peak requests per second replacing every service's workload (what-if --rps).
    pub rps: Option<f64>,
    /// `--max-file-size BYTES`: largest input read (over poolcheck.toml's `max_file_size`).
    pub max_file_size: Option<u64>,
    /// `--stdin-filename NAME`: how `-` (standard input) is named and read.
    pub stdin_filename: Option<String>,
    /// `--profile NAME`: active Spring profiles (over poolcheck.toml's `profiles`).
    pub profiles: Vec<String>,
    /// `--select` / `--ignore` rule patterns, over poolcheck.toml's `[rules]`.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

/// The outcome of a run before rendering (what-if compares two of these).
pub struct Analysis {
    pub sources: SourceSet,
    /// Files the directories hold that this run did not read, with why.
    pub skipped: Vec<Skipped>,
    pub fleet: Fleet,
    pub findings: Vec<Finding>,
    pub capacity: Vec<ServerCapacity>,
    pub workloads: Vec<serde_json::Value>,
    pub fail_on: Severity,
}

impl Analysis {
    pub fn report(&self) -> Report<'_> {
        Report {
            sources: &self.sources,
            skipped: &self.skipped,
            findings: &self.findings,
            capacity: &self.capacity,
            workloads: &self.workloads,
            fail_on: self.fail_on,
        }
    }
}

pub fn analyze(req: &Request) -> ToolResult<Analysis> {
    let mut sources = SourceSet::default();
    let loaded = load_config(req, &mut sources)?;
    let cfg = loaded
        .as_ref()
        .map(|l| l.config.clone())
        .unwrap_or_default();
    let mut settings = Settings::from_config(&cfg.rules)
        .map_err(|m| from_config::located(loaded.as_ref(), &sources, &["rules"], m))?;
    lint::select::apply(&mut settings, &req.select, &req.ignore)
        .map_err(|(m, help)| ToolError::new(m).with_help(help))?;
    let dialects = Dialects::with_user(from_config::user_dialect(&cfg));
    let sets = Sets::parse(&req.sets)?;

    let mut fleet = Fleet {
        servers: from_config::servers(loaded.as_ref()),
        ..Fleet::default()
    };
    let pooler_findings = load_poolers(req, loaded.as_ref(), &cfg, &mut fleet, &mut sources)?;
    let cap = req
        .max_file_size
        .or(cfg.max_file_size)
        .unwrap_or(crate::input::read::DEFAULT_MAX_FILE_SIZE);
    let (paths, stdin) =
        crate::input::stdin::take(&req.paths, req.stdin_filename.as_deref(), &mut sources, cap)?;
    let mut specs = match &stdin {
        Some(_) if paths.is_empty() && req.values.is_empty() => {
            if fleet.servers.len() != 1 {
                return Err(ToolError::new("poolcheck.toml defines several servers; standard input cannot say which one it uses")
                    .with_help("run `poolcheck verify` with the services in poolcheck.toml, or pass --no-config"));
            }
            vec![from_files::ServiceSpec {
                name: crate::input::stdin::service_name(req.stdin_filename.as_deref()),
                ..Default::default()
            }]
        }
        _ => from_config::service_specs(&paths, &req.values, loaded.as_ref(), &fleet, &sources)?,
    };
    // Files named on the command line or in poolcheck.toml are read as given (a compose file
    // that `docker compose` reads only with -f, an env file of another environment).
    let mut named = paths.clone();
    if let Some(l) = loaded.as_ref() {
        for s in l.config.services.values() {
            named.extend(s.files.iter().map(|f| l.resolve(f)));
        }
    }
    if let Some(input) = stdin {
        if let crate::input::discover::Input::File(p, _) = &input {
            named.push(p.clone());
        }
        specs[0].inputs.push(input);
    }
    let opts = BuildOptions {
        assume_host_cpus: cfg.assume_host_cpus.unwrap_or(4),
        overrides: sets.keys.clone(),
        max_file_size: cap,
        environment: req
            .env
            .clone()
            .unwrap_or_else(|| crate::input::environment::DEFAULT.into()),
        profiles: if req.profiles.is_empty() {
            cfg.profiles.clone()
        } else {
            req.profiles.clone()
        },
    };
    let mut findings = pooler_findings;
    let mut taken = Vec::new();
    let mut seen_keys = Vec::new();
    let mut skipped = select_env_files(&mut specs, &named, loaded.as_ref(), &opts);
    // Kubernetes manifests and compose files: one service per workload that uses a database.
    let declared = |s: &from_files::ServiceSpec| spec_declared(s, loaded.as_ref());
    let deployed = crate::model::from_manifests::split(
        specs,
        &named,
        &declared,
        &mut sources,
        &dialects,
        &opts,
    );
    skipped.extend(deployed.skipped);
    findings.extend(deployed.findings);
    for fact in deployed.servers {
        apply_server_fact(&mut fleet, fact);
    }
    let mut specs = std::collections::VecDeque::from(deployed.specs);
    while let Some(spec) = specs.pop_front() {
        let built = from_files::build_service(&spec, &mut sources, &dialects, &opts)
            .map_err(|m| ToolError::new(m).with_help("check the path and its permissions"))?;
        // A database.yml that tells process kinds apart (`Sidekiq.server? ? … : …`) opens a
        // pool in each: every kind becomes a service of its own, with the same pods unless
        // poolcheck.toml declares the kinds as services (`component = "sidekiq"`).
        // A Redis pool beside the SQL one (REDIS_URL, spring.data.redis.*): a service of its
        // own, with the same pods, counted against a Redis server (model::engines).
        if built.redis_part {
            let mut other = spec.clone();
            other.name = format!("{}-redis", spec.name);
            other.engine_part = Some(crate::core::engine::Engine::Redis);
            other.drop_if_empty = true;
            specs.push_front(other);
        }
        let parts = spec.engine_part.is_none();
        for kind in built.components.iter().filter(|_| parts) {
            let mut other = spec.clone();
            other.name = format!("{}-{kind}", spec.name);
            other.component = Some(kind.clone());
            specs.push_front(other);
        }
        // A multi-database database.yml (primary, cache, queue, cable): every database is a
        // pool in each process, with the same pods.
        for db in built.pool_parts.iter().rev().filter(|_| parts) {
            let mut other = spec.clone();
            other.name = format!("{}-{db}", spec.name);
            other.pool_part = Some(db.clone());
            specs.push_front(other);
        }
        let is_split =
            (spec.component.is_some() || spec.pool_part.is_some() || spec.engine_part.is_some())
                && !spec_declared(&spec, loaded.as_ref());
        if let Some((mc, engine)) = built.server_limit.clone() {
            let fact = crate::model::from_manifests::ServerFact {
                server: built.service.server,
                max_connections: mc,
                engine: Some(engine),
            };
            apply_server_fact(&mut fleet, fact);
        }
        taken.extend(built.overrides_taken);
        seen_keys.extend(built.keys);
        skipped.extend(built.skipped);
        let pool = &built.service.pool;
        if spec.drop_if_empty
            && pool.max.is_none()
            && pool.url.is_none()
            && (built.findings.is_empty() || spec.engine_part.is_some())
        {
            continue;
        }
        // An app whose only store is Redis (REDIS_URL and a Redis client, nothing SQL): its
        // Redis pool is the service; no SQL pool of unknown size stands beside it.
        let redis_only = built.redis_part
            && spec.engine_part.is_none()
            && pool.max.is_none()
            && pool.url.is_none()
            && pool.library.is_none()
            && pool.unevaluated.is_empty();
        if redis_only {
            findings.extend(built.findings.into_iter().filter(|f| f.code != Code::PC003));
            continue;
        }
        fleet.services.push(built.service);
        for f in built.findings {
            // A split service reads the same files: a finding about them is reported once.
            if !(is_split && findings.iter().any(|g: &Finding| same_place(g, &f))) {
                findings.push(f);
            }
        }
    }
    sets.check_keys_taken(&taken, &seen_keys, &dialects)?;
    crate::model::from_probe::apply(&mut fleet, req.probe.as_deref(), &cfg)?;
    overrides::apply(&mut fleet, &req.flags, &sets, req.rps)?;
    crate::model::pooler::route(&mut fleet);
    crate::model::engines::assign_redis(&mut fleet);
    crate::model::engines::from_urls(&mut fleet);
    crate::model::engines::server_defaults(&mut fleet);

    let capacity = fleet::compute(&fleet);
    let ctx = lint::Context {
        fleet: &fleet,
        capacity: &capacity,
        settings: &settings,
    };
    let findings = lint::run_suppressed(&ctx, &crate::rules::REGISTRY, findings, Some(&sources));
    let workloads = fleet
        .services
        .iter()
        .filter_map(crate::capacity::service::evaluate)
        .map(|q| q.to_json())
        .collect();
    let fail_on = req.fail_on.or(cfg.fail_on).unwrap_or(Severity::Error);
    // Services sharing a directory or a file skip the same things: each is listed once.
    let mut seen = HashSet::new();
    skipped.retain(|s| seen.insert(s.clone()));
    Ok(Analysis {
        sources,
        skipped,
        fleet,
        findings,
        capacity,
        workloads,
        fail_on,
    })
}

/// The poolers of poolcheck.toml with their files read; what those files raise is returned.
fn load_poolers(
    req: &Request,
    loaded: Option<&Loaded>,
    cfg: &config::Config,
    fleet: &mut Fleet,
    sources: &mut SourceSet,
) -> ToolResult<Vec<Finding>> {
    let cap = req
        .max_file_size
        .or(cfg.max_file_size)
        .unwrap_or(crate::input::read::DEFAULT_MAX_FILE_SIZE);
    let (poolers, findings) =
        crate::model::pooler_files::build(loaded, &fleet.servers, sources, cap)?;
    fleet.poolers = poolers;
    Ok(findings)
}

/// Keeps the env files of each service's directories that the environment loads
/// ([`envfiles`]) and the Spring files of the active profiles; files named on the command
/// line (`named`, standard input included) or in poolcheck.toml are read as given.
fn select_env_files(
    specs: &mut [from_files::ServiceSpec],
    named: &[PathBuf],
    loaded: Option<&Loaded>,
    opts: &BuildOptions,
) -> Vec<Skipped> {
    let mut explicit: HashSet<PathBuf> = named.iter().cloned().collect();
    if let Some(l) = loaded {
        for s in l.config.services.values() {
            explicit.extend(s.files.iter().map(|f| l.resolve(f)));
        }
    }
    let mut skipped: Vec<Skipped> = Vec::new();
    for spec in specs {
        let inputs = std::mem::take(&mut spec.inputs);
        let (inputs, mut off) = envfiles::select(inputs, &explicit, &opts.environment);
        let (inputs, more) = crate::input::spring::select(inputs, &explicit, &opts.profiles);
        off.extend(more);
        let (inputs, more) = crate::input::dotnet::select(inputs, &explicit, &opts.environment);
        off.extend(more);
        spec.inputs = inputs;
        skipped.extend(off);
    }
    skipped
}

/// True when poolcheck.toml declares the service itself (not one split off by kind).
fn spec_declared(spec: &from_files::ServiceSpec, loaded: Option<&Loaded>) -> bool {
    loaded.is_some_and(|l| l.config.services.contains_key(&spec.name))
}

/// The same finding about the same place, whichever service read the file.
fn same_place(a: &Finding, b: &Finding) -> bool {
    a.code == b.code && a.primary == b.primary && a.message == b.message
}

fn load_config(req: &Request, sources: &mut SourceSet) -> ToolResult<Option<Loaded>> {
    let path = match &req.config {
        ConfigChoice::None => None,
        ConfigChoice::File(p) => Some(p.clone()),
        ConfigChoice::Search => std::env::current_dir()
            .ok()
            .and_then(|d| config::discover(&d)),
    };
    match (&path, &req.env) {
        (Some(p), env) => {
            let cap = req
                .max_file_size
                .unwrap_or(crate::input::read::DEFAULT_MAX_FILE_SIZE);
            Ok(Some(config::load(p, env.as_deref(), sources, cap)?))
        }
        // Without poolcheck.toml the environment still chooses the files (.env.NAME,
        // database.yml's block).
        (None, Some(_)) => Ok(None),
        (None, None) => Ok(None),
    }
}

/// A limit the deployment files state for a server (a database image's command, a chart's
/// bundled PostgreSQL, an operator's resource): it ranks as a file value, so poolcheck.toml,
/// a probe and the command line still win, and the engine it names counts unless
/// poolcheck.toml says the kind.
fn apply_server_fact(fleet: &mut Fleet, fact: crate::model::from_manifests::ServerFact) {
    let Some(server) = fleet.servers.get_mut(fact.server) else {
        return;
    };
    server.max_connections =
        crate::core::origin::choose([Some(fact.max_connections), server.max_connections.take()]);
    if let (None, Some(e)) = (&server.engine_origin, fact.engine) {
        server.engine = e.value;
        server.engine_origin = Some(e.origin);
    }
}
