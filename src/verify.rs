//! `poolcheck verify`: files → model → capacity → rules → report, and the exit code.

use crate::capacity::fleet::{self, ServerCapacity};
use crate::cli::{ReportFormat, Severity, VerifyArgs};
use crate::config::{self, Loaded, SurgeCfg};
use crate::dialect::{Dialect, Dialects, KeyDef};
use crate::discover::{self, Input};
use crate::error::{ToolError, ToolResult};
use crate::finding::Finding;
use crate::model::build::{self, BuildOptions, ServiceSpec};
use crate::model::{Fleet, Origin, Server, Sourced, Surge, Workload};
use crate::report::{self, Report};
use crate::rules::{self, Settings};
use crate::source::SourceSet;
use std::path::{Path, PathBuf};

/// The outcome of a verify run before rendering (what-if compares two of these).
pub struct Analysis {
    pub sources: SourceSet,
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
            findings: self.findings.clone(),
            capacity: self.capacity.clone(),
            workloads: self.workloads.clone(),
            fail_on: self.fail_on,
        }
    }
}

pub fn run(args: &VerifyArgs) -> ToolResult<u8> {
    let analysis = analyze(args)?;
    let report = analysis.report();
    let out = match args.format {
        ReportFormat::Human => report::human::render(&report, report::human::use_color()),
        ReportFormat::Json => report::json::render(&report),
        ReportFormat::Github => report::github::render(&report),
    };
    print!("{out}");
    Ok(report.exit_code())
}

fn usage(msg: impl Into<String>) -> ToolError {
    ToolError::new(msg)
}

/// Splits `--set` into file-key overrides and model-path overrides (service.NAME.x, server.NAME.x).
/// `--set` file keys (KEY, VALUE) and model paths (segments, VALUE).
type Sets = (Vec<(String, String)>, Vec<(Vec<String>, String)>);

fn split_sets(sets: &[String]) -> ToolResult<Sets> {
    let mut keys = Vec::new();
    let mut paths = Vec::new();
    for s in sets {
        let (k, v) = s.split_once('=').ok_or_else(|| {
            usage(format!("--set {s}: expected KEY=VALUE"))
                .with_help("e.g. --set DB_POOL_SIZE=30 or --set service.api.replicas=6")
        })?;
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        if k.is_empty() {
            return Err(usage(format!("--set {s}: the key is empty")));
        }
        if k.starts_with("service.") || k.starts_with("server.") {
            paths.push((k.split('.').map(String::from).collect(), v));
        } else {
            keys.push((k, v));
        }
    }
    Ok((keys, paths))
}

pub fn analyze(args: &VerifyArgs) -> ToolResult<Analysis> {
    analyze_with(args, None)
}

/// verify with the peak RPS of every service's workload replaced (what-if --rps).
pub fn analyze_with(args: &VerifyArgs, rps_override: Option<f64>) -> ToolResult<Analysis> {
    let mut sources = SourceSet::default();
    let env = if args.prod {
        Some("prod")
    } else {
        args.env.as_deref()
    };
    let config_path = if args.no_config {
        None
    } else if let Some(p) = &args.config {
        Some(p.clone())
    } else {
        std::env::current_dir()
            .ok()
            .and_then(|d| config::discover(&d))
    };
    let loaded = match &config_path {
        Some(p) => Some(config::load(p, env, &mut sources)?),
        None if env.is_some() => {
            return Err(usage(format!(
                "--{} needs a poolcheck.toml with [env.{}]",
                if args.prod {
                    "prod".to_string()
                } else {
                    format!("env {}", env.unwrap_or_default())
                },
                env.unwrap_or_default()
            ))
            .with_help(
                "create poolcheck.toml (see README), pass --config FILE, or drop the flag",
            ));
        }
        None => None,
    };
    let cfg = loaded
        .as_ref()
        .map(|l| l.config.clone())
        .unwrap_or_default();
    let settings = Settings::from_config(&cfg.rules)
        .map_err(|m| located_cfg(loaded.as_ref(), &sources, &["rules"], m))?;
    let dialects = Dialects::with_user(user_dialect(&cfg));
    let (key_sets, path_sets) = split_sets(&args.set)?;
    let opts = BuildOptions {
        assume_host_cpus: cfg.assume_host_cpus.unwrap_or(4),
        overrides: key_sets.clone(),
    };

    // Servers.
    let mut fleet = Fleet::default();
    for (name, s) in &cfg.servers {
        let l = loaded.as_ref().expect("servers come from a config");
        let at = |k: &str| l.origin(&["servers", name, k]);
        let sourced = |v: Option<u32>, k: &str| v.map(|v| Sourced::new(v, at(k)));
        fleet.servers.push(Server {
            name: name.clone(),
            max_connections: sourced(s.max_connections, "max_connections"),
            superuser_reserved: sourced(
                s.superuser_reserved_connections,
                "superuser_reserved_connections",
            ),
            reserved_connections: sourced(s.reserved_connections, "reserved_connections"),
            operator_reserve: sourced(s.operator_reserve, "operator_reserve"),
            reserved_total: sourced(s.reserved, "reserved"),
            cores: sourced(s.cores, "cores"),
            role_limits: s
                .roles
                .iter()
                .map(|(r, n)| {
                    (
                        r.clone(),
                        Sourced::new(Some(*n), l.origin(&["servers", name, "roles", r])),
                    )
                })
                .collect(),
            database_limits: s
                .databases
                .iter()
                .map(|(d, n)| {
                    (
                        d.clone(),
                        Sourced::new(Some(*n), l.origin(&["servers", name, "databases", d])),
                    )
                })
                .collect(),
            ..Server::default()
        });
    }
    if fleet.servers.is_empty() {
        fleet.servers.push(Server {
            name: "default".into(),
            ..Server::default()
        });
    }
    for s in &mut fleet.servers {
        if let Some(m) = args.max_connections {
            s.max_connections = Some(Sourced::new(
                m,
                Origin::Cli {
                    flag: format!("--max-connections {m}"),
                },
            ));
        }
        if let Some(r) = args.reserved {
            s.reserved_total = Some(Sourced::new(
                r,
                Origin::Cli {
                    flag: format!("--reserved {r}"),
                },
            ));
        }
    }

    // Services.
    let mut specs = Vec::new();
    let cli_replicas = args.replicas.map(|r| {
        Sourced::new(
            r,
            Origin::Cli {
                flag: format!("--replicas {r}"),
            },
        )
    });
    if !args.paths.is_empty() || (loaded.is_none() && !args.values.is_empty()) {
        let inputs = discover::expand(&args.paths, &args.values)
            .map_err(|m| usage(m).with_help("pass existing files or directories"))?;
        let server = if fleet.servers.len() == 1 {
            0
        } else {
            return Err(usage("poolcheck.toml defines several servers; paths on the command line cannot say which one they use")
                .with_help("list the files under [services.NAME] with server = \"…\" in poolcheck.toml and run `poolcheck verify` without paths"));
        };
        specs.push(ServiceSpec {
            name: service_name(&args.paths),
            inputs,
            server,
            cli_replicas: cli_replicas.clone(),
            ..ServiceSpec::default()
        });
    } else if let Some(l) = &loaded {
        for (name, s) in &cfg.services {
            specs.push(service_spec(
                l,
                &fleet,
                name,
                s,
                &args.values,
                cli_replicas.clone(),
                &sources,
            )?);
        }
        if specs.is_empty() {
            return Err(usage(format!(
                "{} defines no [services] and no paths were given",
                sources.get(l.file).display
            ))
            .with_help("add [services.NAME] with files = [...], or pass files to check"));
        }
    } else {
        return Err(usage("nothing to check: no paths given and no poolcheck.toml found")
            .with_help("run `poolcheck verify PATH...` (files or directories), or create poolcheck.toml (see README)"));
    }

    let mut findings = Vec::new();
    let mut matched_keys = std::collections::BTreeSet::new();
    for spec in &specs {
        let built = build::build_service(spec, &mut sources, &dialects, &opts)
            .map_err(|m| usage(m).with_help("check the path and its permissions"))?;
        for (k, _) in &key_sets {
            if !built.unmatched_overrides.contains(k) {
                matched_keys.insert(k.clone());
            }
        }
        fleet.services.push(built.service);
        findings.extend(built.findings);
    }
    for (k, v) in &key_sets {
        if !matched_keys.contains(k) {
            return Err(usage(format!("--set {k}={v}: no service's files have `{k}` and it is not a pool setting poolcheck knows"))
                .with_help("use a key as the files spell it (e.g. DB_POOL_SIZE) or a model path such as service.api.replicas"));
        }
    }
    apply_probes(&mut fleet, args, &cfg)?;
    apply_model_sets(&mut fleet, &path_sets)?;
    if let Some(rps) = rps_override {
        for svc in &mut fleet.services {
            if let Some(w) = &mut svc.workload {
                w.rps = Some(Sourced::new(
                    rps,
                    Origin::Override {
                        key: format!("--rps {rps}"),
                    },
                ));
            }
        }
    }

    let capacity = fleet::compute(&fleet);
    let ctx = rules::Context {
        fleet: &fleet,
        capacity: &capacity,
        settings: &settings,
    };
    let findings = rules::run(&ctx, findings);
    let workloads = fleet
        .services
        .iter()
        .filter_map(crate::capacity::service::evaluate)
        .map(|q| q.to_json())
        .collect();
    let fail_on = args.fail_on.or(cfg.fail_on).unwrap_or(Severity::Error);
    Ok(Analysis {
        sources,
        fleet,
        findings,
        capacity,
        workloads,
        fail_on,
    })
}

fn located_cfg(l: Option<&Loaded>, sources: &SourceSet, path: &[&str], msg: String) -> ToolError {
    match l.and_then(|l| l.span_of(path).map(|s| (l.file, s))) {
        Some((file, span)) => {
            let f = sources.get(file);
            let (line, col) = f.line_col(span.start);
            ToolError::new(format!("{}:{line}:{col}: {msg}", f.display))
        }
        None => ToolError::new(msg),
    }
}

fn user_dialect(cfg: &config::Config) -> Option<Dialect> {
    if cfg.keys.is_empty() {
        return None;
    }
    let keys = cfg
        .keys
        .iter()
        .map(|(k, m)| KeyDef {
            env: Some(k.clone()),
            path: Some(k.clone()),
            url: Some(k.clone()),
            concept: m.concept,
            unit: m.unit,
            zero: m.zero,
            negative: m.negative,
        })
        .collect();
    Some(Dialect {
        id: "user".into(),
        library: "poolcheck.toml [keys]".into(),
        keys,
        defaults: Vec::new(),
    })
}

fn service_name(paths: &[PathBuf]) -> String {
    let first = paths
        .first()
        .map(PathBuf::as_path)
        .unwrap_or(Path::new("app"));
    let dir = if first.is_dir() {
        Some(first)
    } else {
        first.parent()
    };
    dir.and_then(|d| std::fs::canonicalize(d).ok())
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "app".into())
}

fn service_spec(
    l: &Loaded,
    fleet: &Fleet,
    name: &str,
    s: &config::ServiceCfg,
    extra_values: &[PathBuf],
    cli_replicas: Option<Sourced<u32>>,
    sources: &SourceSet,
) -> ToolResult<ServiceSpec> {
    let at = |k: &str| l.origin(&["services", name, k]);
    let err = |k: &str, m: String| located_cfg(Some(l), sources, &["services", name, k], m);
    let server = match &s.server {
        Some(sv) => fleet
            .servers
            .iter()
            .position(|x| &x.name == sv)
            .ok_or_else(|| {
                err(
                    "server",
                    format!(
                        "service `{name}` uses server `{sv}`, which is not defined under [servers]"
                    ),
                )
            })?,
        None if fleet.servers.len() == 1 => 0,
        None => {
            return Err(err(
                "files",
                format!(
                    "service `{name}` does not say which server it uses; add server = \"NAME\""
                ),
            ))
        }
    };
    let mut inputs = Vec::new();
    for f in &s.files {
        let p = l.resolve(f);
        let found = discover::expand(std::slice::from_ref(&p), &[]).map_err(|m| err("files", m))?;
        inputs.extend(found);
    }
    if let Some(chart) = &s.chart {
        let dir = l.resolve(chart);
        if !discover::is_chart(&dir) {
            return Err(err(
                "chart",
                format!(
                    "{}: not a Helm chart directory (no Chart.yaml)",
                    dir.display()
                ),
            ));
        }
        let mut values: Vec<PathBuf> = s.values.iter().map(|v| l.resolve(v)).collect();
        values.extend(extra_values.iter().cloned());
        for v in &values {
            if !v.is_file() {
                return Err(err(
                    "values",
                    format!("{}: no such values file", v.display()),
                ));
            }
        }
        inputs.push(Input::Chart { dir, values });
    } else if !s.values.is_empty() {
        let values = s.values.iter().map(|v| l.resolve(v)).collect();
        inputs.push(Input::Chart {
            dir: PathBuf::new(),
            values,
        });
    }
    if inputs.is_empty() {
        return Err(err(
            "files",
            format!("service `{name}` lists no files and no chart"),
        ));
    }
    let surge = match &s.max_surge {
        None => None,
        Some(SurgeCfg::Pods(n)) => Some(Sourced::new(Surge::Pods(*n), at("max_surge"))),
        Some(SurgeCfg::Text(t)) => {
            let v = match t.trim().strip_suffix('%') {
                Some(p) => p.parse().ok().map(Surge::Percent),
                None => t.trim().parse().ok().map(Surge::Pods),
            };
            Some(Sourced::new(
                v.ok_or_else(|| {
                    err(
                        "max_surge",
                        format!("max_surge `{t}`: write a number of pods or a percentage"),
                    )
                })?,
                at("max_surge"),
            ))
        }
    };
    let workload = match &s.workload {
        None => None,
        Some(w) => Some(workload(w).map_err(|m| err("workload", m))?),
    };
    Ok(ServiceSpec {
        name: name.to_string(),
        inputs,
        server,
        replicas: s.replicas.map(|v| Sourced::new(v, at("replicas"))),
        max_replicas: s.max_replicas.map(|v| Sourced::new(v, at("max_replicas"))),
        surge,
        processes: s.processes.map(|v| Sourced::new(v, at("processes"))),
        role: s.role.clone(),
        database: s.database.clone(),
        workload,
        cli_replicas,
    })
}

fn workload(w: &config::WorkloadCfg) -> Result<Workload, String> {
    let dur = |s: &str| crate::units::parse_duration(s);
    let origin = Origin::Assumed {
        note: "poolcheck.toml workload".into(),
    };
    Ok(Workload {
        rps: Some(Sourced::new(w.rps, origin.clone())),
        queries_per_request: Some(Sourced::new(
            w.queries_per_request.unwrap_or(1.0),
            origin.clone(),
        )),
        query_time: Some(Sourced::new(dur(&w.query_time)?, origin)),
        per_request_hold: w.per_request_hold,
        arrival_cv2: w.arrival_cv2.unwrap_or(1.0),
        hold_cv2: w.hold_cv2.unwrap_or(1.0),
        target_p99_wait: w.target_p99_wait.as_deref().map(dur).transpose()?,
        target_wait_probability: w.target_wait_probability,
        target_timeout_probability: w.target_timeout_probability,
        target_utilization: w.target_utilization,
    })
}

/// `--set service.api.replicas=6`, `--set server.main.max_connections=200`.
pub fn apply_model_sets(fleet: &mut Fleet, sets: &[(Vec<String>, String)]) -> ToolResult<()> {
    for (path, value) in sets {
        let key = path.join(".");
        let bad = |m: &str| {
            usage(format!("--set {key}={value}: {m}"))
            .with_help("model paths: service.NAME.{replicas,max_replicas,processes,max_surge,pool_max} and server.NAME.{max_connections,reserved}")
        };
        if path.len() != 3 {
            return Err(bad("expected service.NAME.FIELD or server.NAME.FIELD"));
        }
        let origin = Origin::Override {
            key: format!("{key}={value}"),
        };
        let n: u32 = value
            .parse()
            .map_err(|_| bad("the value must be a whole number"))?;
        let v = Sourced::new(n, origin.clone());
        match path[0].as_str() {
            "service" => {
                let svc = fleet
                    .services
                    .iter_mut()
                    .find(|s| s.name == path[1])
                    .ok_or_else(|| bad("no such service"))?;
                match path[2].as_str() {
                    "replicas" => {
                        svc.replicas = v;
                        svc.hpa_max = None;
                    }
                    "max_replicas" => svc.hpa_max = Some(v),
                    "processes" => svc.processes = v,
                    "max_surge" => svc.surge = Sourced::new(Surge::Pods(n), origin),
                    "pool_max" => {
                        svc.pool.max = Some(Sourced::new(crate::model::PoolMax::Fixed(n), origin))
                    }
                    _ => return Err(bad("unknown service field")),
                }
            }
            "server" => {
                let s = fleet
                    .servers
                    .iter_mut()
                    .find(|s| s.name == path[1])
                    .ok_or_else(|| bad("no such server"))?;
                match path[2].as_str() {
                    "max_connections" => s.max_connections = Some(v),
                    "reserved" => s.reserved_total = Some(v),
                    _ => return Err(bad("unknown server field")),
                }
            }
            _ => return Err(bad("expected service.NAME.FIELD or server.NAME.FIELD")),
        }
    }
    Ok(())
}

/// `--probe URL` (one server) or `probe = "…"` per server: live facts replace the configured
/// ones and carry the probe as their origin.
fn apply_probes(fleet: &mut Fleet, args: &VerifyArgs, cfg: &config::Config) -> ToolResult<()> {
    if args.probe.is_some() && fleet.servers.len() > 1 {
        return Err(
            usage("--probe URL needs a single server, and poolcheck.toml defines several")
                .with_help("set probe = \"postgres://…\" under each [servers.NAME] instead"),
        );
    }
    for i in 0..fleet.servers.len() {
        let name = fleet.servers[i].name.clone();
        let url = args
            .probe
            .clone()
            .or_else(|| cfg.servers.get(&name).and_then(|s| s.probe.clone()));
        let Some(url) = url else { continue };
        let services: Vec<&crate::model::Service> =
            fleet.services.iter().filter(|s| s.server == i).collect();
        let mut roles: Vec<String> = services
            .iter()
            .filter_map(|s| s.effective_role().map(String::from))
            .collect();
        let mut dbs: Vec<String> = services
            .iter()
            .filter_map(|s| s.effective_database().map(String::from))
            .collect();
        roles.sort();
        roles.dedup();
        dbs.sort();
        dbs.dedup();
        let service_names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
        let facts = crate::probe::probe_blocking(
            Some(&url),
            std::time::Duration::from_secs(5),
            &roles,
            &dbs,
        )?;
        apply_facts(&mut fleet.servers[i], &facts, &service_names);
    }
    Ok(())
}

pub fn apply_facts(server: &mut Server, f: &crate::probe::ServerFacts, own_apps: &[String]) {
    let at = |what: &str| Origin::Probe {
        what: what.to_string(),
    };
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    server.max_connections = Some(Sourced::new(n(f.max_connections), at("max_connections")));
    server.superuser_reserved = Some(Sourced::new(
        n(f.superuser_reserved_connections),
        at("superuser_reserved_connections"),
    ));
    if f.reserved_connections > 0 {
        server.reserved_connections = Some(Sourced::new(
            n(f.reserved_connections),
            at("reserved_connections"),
        ));
    }
    let server_reserve = n(f.superuser_reserved_connections + f.reserved_connections);
    if let Some(total) = &server.reserved_total {
        // A configured total reserve may not be smaller than what the server itself reserves.
        if total.value < server_reserve {
            server.reserved_total = Some(Sourced::new(
                server_reserve,
                at("superuser_reserved_connections + reserved_connections"),
            ));
        }
    }
    // Sessions of this fleet's own services (by application_name) and of poolcheck itself are
    // not "other applications".
    let others: i64 = f
        .connections
        .iter()
        .filter(|c| {
            !c.application.starts_with("poolcheck") && !own_apps.iter().any(|a| a == &c.application)
        })
        .map(|c| c.count)
        .sum();
    server.other_usage = Some(Sourced::new(
        u32::try_from(others).unwrap_or(u32::MAX),
        at("pg_stat_activity"),
    ));
    let lim = |v: Option<i32>| v.map(|x| u32::try_from(x).unwrap_or(0));
    let mut roles = vec![(f.role.name.clone(), f.role.connection_limit)];
    roles.extend(
        f.other_roles
            .iter()
            .map(|r| (r.name.clone(), r.connection_limit)),
    );
    for (name, limit) in roles {
        server.role_limits.retain(|(r, _)| r != &name);
        server.role_limits.push((
            name.clone(),
            Sourced::new(lim(limit), at(&format!("pg_roles.rolconnlimit of {name}"))),
        ));
    }
    let mut dbs = vec![(f.database.name.clone(), f.database.connection_limit)];
    dbs.extend(
        f.other_databases
            .iter()
            .map(|d| (d.name.clone(), d.connection_limit)),
    );
    for (name, limit) in dbs {
        server.database_limits.retain(|(d, _)| d != &name);
        server.database_limits.push((
            name.clone(),
            Sourced::new(
                lim(limit),
                at(&format!("pg_database.datconnlimit of {name}")),
            ),
        ));
    }
    if let Some(ms) = f
        .settings
        .idle_session_timeout
        .as_ref()
        .and_then(|s| s.ms)
        .filter(|ms| *ms > 0)
    {
        server.idle_session_timeout = Some(Sourced::new(
            std::time::Duration::from_millis(ms as u64),
            at("idle_session_timeout"),
        ));
    }
}
