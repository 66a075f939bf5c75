//! The fleet as poolcheck.toml (and the command line's paths) describe it: servers, and one
//! [`ServiceSpec`] per service naming the files to read.

use crate::core::error::{ToolError, ToolResult};
use crate::core::origin::{Origin, Sourced};
use crate::core::source::SourceSet;
use crate::input::config::{self, Loaded, SurgeCfg};
use crate::input::dialects::{Dialect, KeyDef};
use crate::input::discover::{self, Input};
use crate::input::formats::{Node, NodeKind};
use crate::model::from_files::ServiceSpec;
use crate::model::{Fleet, Server, Surge, Workload};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The servers of poolcheck.toml, or one `default` server when it names none.
pub fn servers(loaded: Option<&Loaded>) -> Vec<Server> {
    let mut out = Vec::new();
    if let Some(l) = loaded {
        for (name, s) in &l.config.servers {
            out.push(server(l, name, s));
        }
    }
    if out.is_empty() {
        out.push(Server {
            name: "default".into(),
            ..Server::default()
        });
    }
    out
}

fn server(l: &Loaded, name: &str, s: &config::ServerCfg) -> Server {
    let at = |k: &str| l.origin(&["servers", name, k]);
    let sourced = |v: Option<u32>, k: &str| v.map(|v| Sourced::new(v, at(k)));
    let limits = |m: &std::collections::BTreeMap<String, u32>, what: &str| {
        m.iter()
            .map(|(r, n)| {
                (
                    r.clone(),
                    Sourced::new(Some(*n), l.origin(&["servers", name, what, r])),
                )
            })
            .collect()
    };
    Server {
        name: name.to_string(),
        engine: s.kind.unwrap_or_default(),
        engine_origin: s.kind.map(|_| at("kind")),
        max_connections: sourced(s.max_connections, "max_connections"),
        superuser_reserved: sourced(
            s.superuser_reserved_connections,
            "superuser_reserved_connections",
        ),
        reserved_connections: sourced(s.reserved_connections, "reserved_connections"),
        operator_reserve: sourced(s.operator_reserve, "operator_reserve"),
        reserved_total: sourced(s.reserved, "reserved"),
        cores: sourced(s.cores, "cores"),
        wait_timeout: s
            .wait_timeout
            .map(|v| Sourced::new(std::time::Duration::from_secs(v), at("wait_timeout"))),
        redis_timeout: s
            .timeout
            .map(|v| Sourced::new(std::time::Duration::from_secs(v), at("timeout"))),
        role_limits: limits(&s.roles, "roles"),
        database_limits: limits(&s.databases, "databases"),
        ..Server::default()
    }
}

/// One spec per service: the command line's paths as one service, else poolcheck.toml's.
pub fn service_specs(
    paths: &[PathBuf],
    extra_values: &[PathBuf],
    loaded: Option<&Loaded>,
    fleet: &Fleet,
    sources: &SourceSet,
) -> ToolResult<Vec<ServiceSpec>> {
    if !paths.is_empty() || (loaded.is_none() && !extra_values.is_empty()) {
        let inputs = discover::expand(paths, extra_values)
            .map_err(|m| ToolError::new(m).with_help("pass existing files or directories"))?;
        if fleet.servers.len() != 1 {
            return Err(ToolError::new("poolcheck.toml defines several servers; paths on the command line cannot say which one they use")
                .with_help("list the files under [services.NAME] with server = \"…\" in poolcheck.toml and run `poolcheck verify` without paths"));
        }
        // A directory of several apps is one service per app (see model::apps).
        return Ok(crate::model::apps::specs(
            paths,
            inputs,
            service_name(paths),
        ));
    }
    let Some(l) = loaded else {
        return Err(ToolError::new("nothing to check: no paths given and no poolcheck.toml found")
            .with_help("run `poolcheck verify PATH...` (files or directories), or create poolcheck.toml (see README)"));
    };
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    // Every file of a service stays inside the directory of poolcheck.toml (resolved once,
    // not once per service).
    let root = crate::input::read::root_of(&l.dir);
    // Each service's table by name, found once: a lookup through the tree's `services` map
    // per value made a 10,000-service poolcheck.toml quadratic.
    let mut tables: HashMap<&str, &Node> = HashMap::new();
    if let Some(NodeKind::Map(entries)) = l.tree.get("services").map(|n| &n.kind) {
        for e in entries {
            tables.entry(e.key.as_str()).or_insert(&e.value);
        }
    }
    for (name, s) in &l.config.services {
        let table = tables.get(name.as_str()).copied();
        match service_spec(
            l,
            fleet,
            (name, table),
            s,
            extra_values,
            root.as_deref(),
            sources,
        ) {
            Ok(spec) => specs.push(spec),
            Err(e) => errors.push(e),
        }
    }
    // Every service's mistake at once, not one per run.
    if let Some(e) = ToolError::many(errors) {
        return Err(e);
    }
    if specs.is_empty() {
        return Err(ToolError::new(format!(
            "{} defines no [services] and no paths were given",
            sources.get(l.file).display
        ))
        .with_help("add [services.NAME] with files = [...], or pass files to check"));
    }
    Ok(specs)
}

/// A tool error at the poolcheck.toml value `path` names, when there is one.
pub fn located(l: Option<&Loaded>, sources: &SourceSet, path: &[&str], msg: String) -> ToolError {
    match l.and_then(|l| l.span_of(path).map(|s| (l.file, s))) {
        Some((file, span)) => {
            let f = sources.get(file);
            let (line, col) = f.line_col(span.start);
            ToolError::new(format!("{}:{line}:{col}: {msg}", f.display))
        }
        None => ToolError::new(msg),
    }
}

/// `[keys]` of poolcheck.toml as a dialect of its own.
pub fn user_dialect(cfg: &config::Config) -> Option<Dialect> {
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
            conn: None,
            exact: false,
            concept: m.concept,
            unit: m.unit,
            zero: m.zero,
            negative: m.negative,
            sets: None,
        })
        .collect();
    Some(Dialect {
        id: "user".into(),
        library: "poolcheck.toml [keys]".into(),
        engine: None,
        stack_only: false,
        needs_url: false,
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
    (name, table): (&str, Option<&Node>),
    s: &config::ServiceCfg,
    extra_values: &[PathBuf],
    root: Option<&Path>,
    sources: &SourceSet,
) -> ToolResult<ServiceSpec> {
    let at = |k: &str| match table.and_then(|t| t.get(k)) {
        Some(v) => l.origin_at(v.span),
        None => l.origin(&["services", name, k]),
    };
    let err = |k: &str, m: String| located(Some(l), sources, &["services", name, k], m);
    let via = via_of(fleet, name, s, &err)?;
    let server = match via {
        Some(p) => fleet.poolers[p].server,
        None => server_of(fleet, name, s, &err)?,
    };
    let inputs = inputs_of(l, name, s, extra_values, root, &err)?;
    let surge = match &s.max_surge {
        None => None,
        Some(SurgeCfg::Pods(n)) => Some(Sourced::new(Surge::Pods(*n), at("max_surge"))),
        Some(SurgeCfg::Text(t)) => Some(Sourced::new(
            Surge::parse(t).map_err(|m| err("max_surge", format!("max_surge {m}")))?,
            at("max_surge"),
        )),
    };
    let workload = match &s.workload {
        None => None,
        Some(w) => Some(workload(w).map_err(|m| err("workload", m))?),
    };
    if let Some(id) = &s.stack {
        let known = super::presets::get(id).is_some()
            || crate::input::dialects::Dialects::builtin()
                .get(id)
                .is_some();
        if !known {
            let mut ids: Vec<String> = crate::input::dialects::Dialects::builtin()
                .dialects
                .iter()
                .filter(|d| !crate::input::dialects::is_generic(&d.id))
                .map(|d| d.id.clone())
                .chain(super::presets::builtin().iter().map(|p| p.id.clone()))
                .collect();
            ids.sort();
            ids.dedup();
            return Err(err(
                "stack",
                format!(
                    "stack `{id}` is neither a library nor an application poolcheck knows; use one of: {}",
                    ids.join(", ")
                ),
            ));
        }
    }
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
        component: s.component.clone(),
        stack: s.stack.clone(),
        deployed: None,
        via,
        pool_part: None,
        engine_part: None,
        drop_if_empty: false,
    })
}

/// The pooler a service of poolcheck.toml names with `via`: its connections end on the
/// pooler's server.
fn via_of(
    fleet: &Fleet,
    name: &str,
    s: &config::ServiceCfg,
    err: &dyn Fn(&str, String) -> ToolError,
) -> ToolResult<Option<usize>> {
    let Some(v) = &s.via else {
        return Ok(None);
    };
    match fleet.poolers.iter().position(|p| &p.name == v) {
        Some(i) => Ok(Some(i)),
        None => Err(err(
            "via",
            format!("service `{name}` goes via pooler `{v}`, which is not defined under [poolers]"),
        )
        .with_help("add [poolers.NAME] to poolcheck.toml or remove `via`")),
    }
}

/// The index of the server a service of poolcheck.toml names (or the only one).
fn server_of(
    fleet: &Fleet,
    name: &str,
    s: &config::ServiceCfg,
    err: &dyn Fn(&str, String) -> ToolError,
) -> ToolResult<usize> {
    Ok(match &s.server {
        Some(sv) => fleet
            .servers
            .iter()
            .position(|x| &x.name == sv)
            .ok_or_else(|| {
                let names: Vec<String> = fleet.servers.iter().map(|x| x.name.clone()).collect();
                let hint = match crate::core::text::close_matches(sv, &names, 1).first() {
                    Some(near) => format!("; did you mean {near}?"),
                    None => format!(" (defined: {})", names.join(", ")),
                };
                err(
                    "server",
                    format!(
                        "service `{name}` uses server `{sv}`, which is not defined under [servers]{hint}"
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
    })
}

/// The files and charts a service of poolcheck.toml lists, each held to the config's tree.
fn inputs_of(
    l: &Loaded,
    name: &str,
    s: &config::ServiceCfg,
    extra_values: &[PathBuf],
    root: Option<&Path>,
    err: &dyn Fn(&str, String) -> ToolError,
) -> ToolResult<Vec<Input>> {
    let mut inputs = Vec::new();
    for f in &s.files {
        let p = l.resolve(f);
        let found = discover::expand_in(std::slice::from_ref(&p), &[], root)
            .map_err(|m| err("files", m))?;
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
        let own: Vec<PathBuf> = s.values.iter().map(|v| l.resolve(v)).collect();
        for v in own.iter().chain(extra_values) {
            if std::fs::symlink_metadata(v).is_err() {
                return Err(err(
                    "values",
                    format!("{}: no such values file", v.display()),
                ));
            }
        }
        let mut values = discover::readable(&own, root, &mut inputs);
        values.extend(discover::readable(extra_values, None, &mut inputs));
        discover::chart(dir, values, root, &mut inputs);
    } else if !s.values.is_empty() {
        let own: Vec<PathBuf> = s.values.iter().map(|v| l.resolve(v)).collect();
        let values = discover::readable(&own, root, &mut inputs);
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
    Ok(inputs)
}

fn workload(w: &config::WorkloadCfg) -> Result<Workload, String> {
    let dur = |s: &str| crate::core::units::parse_duration(s);
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
