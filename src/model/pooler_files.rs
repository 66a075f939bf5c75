//! Poolers as poolcheck.toml declares them (`[poolers.NAME]`), with their settings read from
//! the files it lists: pgbouncer.ini (and its `%include`s), an env file of an image's
//! variables, a compose file's PgBouncer service, pgcat/PgDog TOML, or odyssey.conf (and its
//! `include`s). A key of poolcheck.toml beats the files; a key nobody sets takes the pooler's
//! documented default, else PgBouncer's (rules/poolers.toml), and every number keeps its
//! Origin.

use super::pooler::{
    address, FixedPool, PoolMode, Pooler, PoolerDatabase, PoolerKind, PoolerRoute, PoolerServer,
    PoolerSettings, PoolerUser,
};
use super::{Origin, Server, Sourced};
use crate::core::code::Code;
use crate::core::error::ToolResult;
use crate::core::finding::Finding;
use crate::core::source::{FileId, SourceFile, SourceSet};
use crate::core::units::Timeout;
use crate::input::config::{Loaded, PoolerCfg};
use crate::input::formats::pgbouncer::{self, Config, Raw};
use crate::input::formats::{self, Node, NodeKind, Scalar};
use std::path::{Path, PathBuf};

/// The poolers of poolcheck.toml and the findings their files raised (syntax errors, values
/// that cannot be read, files that may not be read). A pooler naming an unknown server is a
/// tool error at the line.
pub fn build(
    loaded: Option<&Loaded>,
    servers: &[Server],
    sources: &mut SourceSet,
    max_file_size: u64,
) -> ToolResult<(Vec<Pooler>, Vec<Finding>)> {
    let mut poolers = Vec::new();
    let mut findings = Vec::new();
    let Some(l) = loaded else {
        return Ok((poolers, findings));
    };
    for (name, cfg) in &l.config.poolers {
        let server = server_of(l, sources, servers, name, cfg)?;
        let mut reader = Reader {
            sources: &mut *sources,
            findings: &mut findings,
            cap: max_file_size,
            root: crate::input::read::root_of(&l.dir),
            listen: Vec::new(),
            odyssey: cfg.kind.as_deref() == Some("odyssey"),
        };
        let configs: Vec<Config> = cfg
            .files
            .iter()
            .flat_map(|f| reader.read(&l.resolve(f), name))
            .collect();
        let names = std::mem::take(&mut reader.listen);
        // A chart or resource that turns this PgBouncer off deploys no pooler: services
        // that name it are counted as connecting directly.
        if !configs.is_empty() && configs.iter().all(|c| c.disabled.is_some()) {
            continue;
        }
        let mut p = assemble(l, name, cfg, server, &configs, &mut findings);
        if p.kind == PoolerKind::RdsProxy {
            p.fixed_pools = rds_proxy_pool(l, name, cfg, &servers[server], p.settings.mode.clone());
        }
        for host in names {
            p.listen
                .push(format!("{host}:{}", p.settings.listen_port.value));
        }
        poolers.push(p);
    }
    Ok((poolers, findings))
}

fn server_of(
    l: &Loaded,
    sources: &SourceSet,
    servers: &[Server],
    name: &str,
    cfg: &PoolerCfg,
) -> ToolResult<usize> {
    let at = |k: &str, m: String| {
        crate::model::from_config::located(Some(l), sources, &["poolers", name, k], m)
    };
    match &cfg.server {
        Some(s) => servers.iter().position(|x| &x.name == s).ok_or_else(|| {
            at(
                "server",
                format!("pooler `{name}` connects to server `{s}`, which is not defined under [servers]"),
            )
        }),
        None if servers.len() == 1 => Ok(0),
        None => Err(at(
            "kind",
            format!("pooler `{name}` does not say which server it connects to; add server = \"NAME\""),
        )
        .with_help("name one of the [servers] tables")),
    }
}

struct Reader<'a> {
    sources: &'a mut SourceSet,
    findings: &'a mut Vec<Finding>,
    cap: u64,
    root: Option<PathBuf>,
    /// Compose service names the pooler is reachable by.
    listen: Vec<String>,
    /// `kind = "odyssey"`: its files are odyssey.conf, whatever their names.
    odyssey: bool,
}

impl Reader<'_> {
    fn load(&mut self, path: &Path) -> Option<FileId> {
        if let Some(id) = self.sources.find(path) {
            return Some(id);
        }
        match crate::input::read::read(path, self.root.as_deref(), self.cap) {
            Ok(text) => Some(self.sources.add(SourceFile::new(
                path,
                crate::core::source::display_path(path),
                text,
            ))),
            Err(p) => {
                let f = crate::input::read::finding(path, &p, self.sources, self.cap);
                self.findings.push(f);
                None
            }
        }
    }

    /// One file's PgBouncer settings, by the file's kind.
    fn read(&mut self, path: &Path, pooler: &str) -> Option<Config> {
        let id = self.load(path)?;
        let text = self.sources.get(id).text.clone();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
            return Some(self.env_file(id, &text));
        }
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            return self.yaml(id, &text, &name, pooler);
        }
        if name.ends_with(".toml") {
            return self.toml(id, &text, &name);
        }
        if self.odyssey || formats::odyssey::is_odyssey_conf(&name) {
            return Some(self.odyssey(id, &text, path));
        }
        Some(self.ini(id, &text, path))
    }

    /// pgcat.toml, pgdog.toml or PgDog's users.toml, told apart by their tables.
    fn toml(&mut self, id: FileId, text: &str, name: &str) -> Option<Config> {
        let root = match formats::toml::parse(id, text) {
            Ok(r) => r,
            Err(e) => {
                self.findings.push(syntax(e));
                return None;
            }
        };
        if root.get("pools").is_some() || name.starts_with("pgcat") {
            return Some(super::pooler_toml::pgcat(&root));
        }
        if root.get("databases").is_some() || root.get("general").is_some() {
            return Some(super::pooler_toml::pgdog(&root));
        }
        let mut c = Config::default();
        super::pooler_toml::users(&root, &mut c);
        Some(c)
    }

    fn ini(&mut self, id: FileId, text: &str, path: &Path) -> Config {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut load = include_loader(self.sources, self.root.clone(), self.cap);
        let ini = formats::ini::parse_with_includes(id, text, path, key, &mut load);
        drop(load);
        self.findings.extend(ini.errors.into_iter().map(syntax));
        pgbouncer::from_ini(&ini.root, self.sources)
    }

    /// odyssey.conf with its `include`s. Odyssey refuses to start on a syntax error anywhere,
    /// so a file with one contributes nothing (its PC001 says why).
    fn odyssey(&mut self, id: FileId, text: &str, path: &Path) -> Config {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut load = include_loader(self.sources, self.root.clone(), self.cap);
        let conf = formats::odyssey::parse_with_includes(id, text, path, key, &mut load);
        if !conf.errors.is_empty() {
            self.findings.extend(conf.errors.into_iter().map(syntax));
            return Config::default();
        }
        super::pooler_odyssey::odyssey(&conf.stmts)
    }

    fn env_file(&mut self, id: FileId, text: &str) -> Config {
        let f = formats::env::parse(id, text);
        self.findings.extend(f.errors.iter().cloned().map(syntax));
        let vars: Vec<(String, Raw)> = f
            .entries
            .iter()
            .filter_map(|e| {
                Some((
                    e.key.clone(),
                    Raw {
                        text: e.value.clone()?,
                        origin: Origin::file(id, e.value_span),
                    },
                ))
            })
            .collect();
        let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
        let image = pgbouncer::image_for(None, &names);
        with_image_port(pgbouncer::from_env(image, &vars), image)
    }

    /// A YAML file: a compose file, else Kubernetes' (Helm values, an operator's resource).
    fn yaml(&mut self, id: FileId, text: &str, name: &str, pooler: &str) -> Option<Config> {
        let docs = match formats::yaml::parse_config(id, text, name) {
            Ok(d) => d,
            Err(e) => {
                self.findings.push(syntax(e));
                return None;
            }
        };
        if docs.iter().any(|d| d.get("services").is_some()) {
            return self.compose(id, &docs, pooler);
        }
        let d = super::pooler_helm::read(&docs, pooler, self.sources)?;
        self.listen.extend(d.names);
        Some(d.config)
    }

    /// A compose file: the service named like the pooler, else the one whose image is a
    /// PgBouncer image, configured by its `environment`.
    fn compose(&mut self, id: FileId, docs: &[Node], pooler: &str) -> Option<Config> {
        let services = docs.iter().find_map(|d| d.get("services"))?;
        let NodeKind::Map(entries) = &services.kind else {
            return None;
        };
        let image_of = |n: &Node| match n.get("image").and_then(Node::scalar) {
            Some(Scalar::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let pooler_image = |i: &str| {
            let i = i.to_ascii_lowercase();
            i.contains("pgbouncer") || i.contains("supavisor")
        };
        let svc = entries.iter().find(|e| e.key == pooler).or_else(|| {
            entries
                .iter()
                .find(|e| image_of(&e.value).is_some_and(|i| pooler_image(&i)))
        })?;
        self.listen.push(svc.key.to_ascii_lowercase());
        // `${VAR}` in the environment comes from the .env beside the compose file, as compose
        // reads it (Supabase's compose sets every POOLER_* variable that way).
        let project = self.project_vars(id);
        let mut vars = Vec::new();
        let mut push = |key: &str, text: String, origin: Origin| {
            match crate::input::formats::compose::interpolate(&text, &project, 0) {
                Ok(r) if r.unknown.is_empty() => {
                    let origin = r.from.map_or(origin, |(f, s)| Origin::file(f, s));
                    vars.push((
                        key.trim().to_string(),
                        Raw {
                            text: r.text,
                            origin,
                        },
                    ));
                }
                // Unset or malformed: the pooler's default applies, as without the variable.
                _ => {}
            }
        };
        match svc.value.get("environment").map(|n| &n.kind) {
            Some(NodeKind::Map(env)) => {
                for e in env {
                    if let Some(text) = e.value.scalar().and_then(Scalar::as_text) {
                        push(&e.key, text, Origin::file(e.value.file, e.value.span));
                    }
                }
            }
            Some(NodeKind::Seq(items)) => {
                for item in items {
                    if let Some(Scalar::Str(s)) = item.scalar() {
                        if let Some((k, v)) = s.split_once('=') {
                            push(k, v.into(), Origin::file(item.file, item.span));
                        }
                    }
                }
            }
            _ => {}
        }
        let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
        let image = pgbouncer::image_for(image_of(&svc.value).as_deref(), &names);
        let mut config = with_image_port(pgbouncer::from_env(image, &vars), image);
        if let Some(node) = svc.value.get("image") {
            config.version = image_of(&svc.value)
                .as_deref()
                .and_then(pgbouncer::image_version)
                .map(|text| Raw {
                    text,
                    origin: Origin::file(node.file, node.span),
                });
        }
        Some(config)
    }
}

impl Reader<'_> {
    /// The variables of the `.env` beside a compose file, for its interpolation. Its own
    /// problems are the compose project's to report; here an unreadable one sets nothing.
    fn project_vars(
        &mut self,
        compose: FileId,
    ) -> Vec<(String, crate::input::formats::compose::Var)> {
        let Some(dir) = self
            .sources
            .get(compose)
            .path
            .parent()
            .map(Path::to_path_buf)
        else {
            return Vec::new();
        };
        let mut ignored = Vec::new();
        super::from_compose::dotenv_vars(
            &dir,
            self.root.as_deref(),
            self.sources,
            self.cap,
            &mut ignored,
        )
    }
}

/// RDS Proxy's one pool per target: MaxConnectionsPercent of the server's max_connections
/// (rounded down), whoever the clients are. Unknown while the server's limit is unknown: the
/// server then has its own PC004, and the proxy adds nothing that could be wrong.
fn rds_proxy_pool(
    l: &Loaded,
    name: &str,
    cfg: &PoolerCfg,
    server: &Server,
    mode: Sourced<PoolMode>,
) -> Vec<FixedPool> {
    let (pct, pct_note) = match cfg.max_connections_percent {
        Some(p) => (
            p.clamp(1, 100),
            format!("max_connections_percent {p} in poolcheck.toml"),
        ),
        None => {
            let (text, src) = pgbouncer::kind_default_of("rds_proxy", "max_connections_percent")
                .unwrap_or(("100".into(), ""));
            let p = text.parse().unwrap_or(100);
            (
                p,
                format!("RDS Proxy default MaxConnectionsPercent {p} ({src})"),
            )
        }
    };
    let Some(max) = &server.max_connections else {
        return Vec::new();
    };
    let size = (u64::from(max.value) * u64::from(pct) / 100) as u32;
    let origin = match cfg.max_connections_percent {
        Some(_) => l.origin(&["poolers", name, "max_connections_percent"]),
        None => Origin::Derived {
            note: format!(
                "{pct}% of {}'s max_connections {}: {pct_note}",
                server.name, max.value
            ),
            layer: crate::core::origin::Layer::Default,
        },
    };
    vec![FixedPool {
        cluster: server.name.clone(),
        user: "*".into(),
        shard: 0,
        role: String::new(),
        pool_size: Sourced::new(size, origin),
        mode,
    }]
}

/// Reads the file an include names (pgbouncer.ini's `%include`, odyssey.conf's `include`)
/// into the source set, as the INI and Odyssey readers ask for it.
fn include_loader(
    sources: &mut SourceSet,
    root: Option<PathBuf>,
    cap: u64,
) -> impl FnMut(&Path) -> Result<formats::ini::Loaded, String> + '_ {
    move |p: &Path| {
        let text = crate::input::read::read(p, root.as_deref(), cap).map_err(|e| e.message())?;
        let key = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let id = match sources.find(p) {
            Some(id) => id,
            None => sources.add(SourceFile::new(
                p,
                crate::core::source::display_path(p),
                text.as_str(),
            )),
        };
        Ok(formats::ini::Loaded { id, text, key })
    }
}

/// An image listens on its own default port when the environment does not set one.
fn with_image_port(mut c: Config, image: &pgbouncer::Image) -> Config {
    if c.setting("listen_port").is_none() {
        c.settings.insert(
            0,
            (
                "listen_port".into(),
                Raw {
                    text: image.default_port.to_string(),
                    origin: Origin::Default {
                        note: format!("{} image default ({})", image.name, image.source),
                    },
                },
            ),
        );
    }
    c
}

fn syntax(e: formats::ParseError) -> Finding {
    let help = e
        .help
        .clone()
        .unwrap_or_else(|| "fix the syntax; the rest of this file was not read".into());
    Finding::new(Code::PC001, e.message.clone(), help).at(e.file, e.span, e.message)
}

/// Types the settings: poolcheck.toml over the files (a later file over an earlier one) over
/// the default; a value that cannot be read is PC002 at it, and the default applies.
struct Typer<'a> {
    l: &'a Loaded,
    name: &'a str,
    kind: PoolerKind,
    configs: &'a [Config],
    findings: &'a mut Vec<Finding>,
}

impl Typer<'_> {
    /// The last file's value; a deployment's documented default (a chart's or an operator's,
    /// Origin::Default) only when no file writes the key.
    fn file_value(&self, key: &str) -> Option<&Raw> {
        let all = || self.configs.iter().rev().filter_map(|c| c.setting(key));
        all()
            .find(|r| !matches!(r.origin, Origin::Default { .. }))
            .or_else(|| all().next())
    }

    fn default(&self, key: &str) -> Raw {
        let own = match self.kind {
            PoolerKind::Pgcat => pgbouncer::kind_default_of("pgcat", key),
            PoolerKind::Pgdog => pgbouncer::kind_default_of("pgdog", key),
            PoolerKind::Supavisor => pgbouncer::kind_default_of("supavisor", key),
            PoolerKind::Odyssey => pgbouncer::kind_default_of("odyssey", key),
            PoolerKind::RdsProxy => pgbouncer::kind_default_of("rds_proxy", key),
            _ => None,
        };
        if let Some((text, src)) = own {
            return Raw {
                text,
                origin: Origin::Default {
                    note: format!("{} default ({src})", self.kind.name()),
                },
            };
        }
        let (text, src) = pgbouncer::default_of(key).unwrap_or_default();
        let note = match self.kind {
            PoolerKind::Pgbouncer => format!("PgBouncer default ({src})"),
            k => format!(
                "PgBouncer's default assumed for {}: set {key} under [poolers.{}]",
                k.name(),
                self.name
            ),
        };
        Raw {
            text,
            origin: Origin::Default { note },
        }
    }

    fn get<T>(
        &mut self,
        key: &str,
        config: Option<T>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Sourced<T> {
        if let Some(v) = config {
            return Sourced::new(v, self.l.origin(&["poolers", self.name, key]));
        }
        if let Some(raw) = self.file_value(key).cloned() {
            match parse(&raw.text) {
                Ok(v) => return Sourced::new(v, raw.origin),
                Err(why) => self.invalid(key, &raw, &why),
            }
        }
        let d = self.default(key);
        let v = parse(&d.text).expect("rules/poolers.toml defaults parse");
        Sourced::new(v, d.origin)
    }

    fn invalid(&mut self, key: &str, raw: &Raw, why: &str) {
        let msg = format!(
            "pooler `{}`: {key} `{}` {why}",
            self.name,
            crate::core::secrets::clip(&raw.text, 40)
        );
        // Odyssey's route keys take Odyssey's defaults; the others fall back to PgBouncer's.
        let whose = match self.kind {
            PoolerKind::Odyssey => "Odyssey",
            _ => "PgBouncer",
        };
        let help = format!(
            "{why_fix}; {whose}'s default applies meanwhile",
            why_fix = fix_for(key)
        );
        let mut f = Finding::new(Code::PC002, msg, help);
        if let Some((file, span)) = raw.origin.location() {
            f = f.at(file, span, format!("{key} {why}"));
        }
        self.findings.push(f);
    }
}

fn fix_for(key: &str) -> &'static str {
    match key {
        "pool_mode" | "pool" => "write session, transaction or statement",
        // Odyssey's pool_timeout is milliseconds; its pool_ttl seconds.
        "pool_timeout" => "write a number of milliseconds",
        "pool_ttl" => "write a number of seconds",
        k if k.ends_with("timeout") || k.ends_with("lifetime") => "write a number of seconds",
        _ => "write a whole number",
    }
}

fn count(text: &str) -> Result<u32, String> {
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| "is not a whole number".to_string())?;
    super::limits::connections(n)
}

fn mode(text: &str) -> Result<PoolMode, String> {
    PoolMode::parse(text).ok_or_else(|| "is not a pool mode".to_string())
}

/// PgBouncer times are seconds (fractions allowed); 0 turns the limit off.
fn seconds(text: &str) -> Result<Timeout, String> {
    let t = text.trim();
    let secs: f64 = t
        .parse()
        .map_err(|_| "is not a number of seconds".to_string())?;
    if secs == 0.0 {
        return Ok(Timeout::Infinite);
    }
    crate::core::units::duration_from_secs(secs).map(Timeout::Finite)
}

fn assemble(
    l: &Loaded,
    name: &str,
    cfg: &PoolerCfg,
    server: usize,
    configs: &[Config],
    findings: &mut Vec<Finding>,
) -> Pooler {
    let kind = cfg
        .kind
        .as_deref()
        .and_then(|k| serde_json::from_value(serde_json::Value::String(k.into())).ok())
        .unwrap_or(PoolerKind::Pgbouncer);
    let mut t = Typer {
        l,
        name,
        kind,
        configs,
        findings,
    };
    let cfg_mode = cfg.pool_mode.as_deref().and_then(PoolMode::parse);
    let mut settings = PoolerSettings {
        mode: t.get("pool_mode", cfg_mode, mode),
        default_pool_size: t.get("default_pool_size", cfg.default_pool_size, count),
        min_pool_size: t.get("min_pool_size", None, count),
        reserve_pool_size: t.get("reserve_pool_size", cfg.reserve_pool_size, count),
        max_client_conn: t.get("max_client_conn", cfg.max_client_conn, count),
        max_db_connections: t.get("max_db_connections", cfg.max_db_connections, count),
        max_user_connections: t.get("max_user_connections", cfg.max_user_connections, count),
        max_prepared_statements: t.get(
            "max_prepared_statements",
            cfg.max_prepared_statements,
            count,
        ),
        query_wait_timeout: t.get(
            "query_wait_timeout",
            cfg.query_wait_timeout
                .map(|s| seconds(&s.to_string()).unwrap_or(Timeout::Infinite)),
            seconds,
        ),
        server_idle_timeout: t.get("server_idle_timeout", None, seconds),
        server_lifetime: t.get("server_lifetime", None, seconds),
        client_idle_timeout: t.get("client_idle_timeout", None, seconds),
        listen_port: t.get("listen_port", None, count),
        track_extra_parameters: Vec::new(),
        switches: Vec::new(),
    };
    for key in super::pooler_session::SWITCHES {
        if let Some(raw) = t.file_value(key) {
            settings.switches.push((
                key.to_string(),
                Sourced::new(raw.text.clone(), raw.origin.clone()),
            ));
        }
    }
    if let Some(raw) = t.file_value("track_extra_parameters") {
        settings.track_extra_parameters = raw
            .text
            .split(',')
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
    }
    let mut listen: Vec<String> = cfg.listen.iter().map(|a| a.to_ascii_lowercase()).collect();
    // A concrete listen_addr is an address clients can name; `*` and the wildcards are not.
    if let Some(raw) = t.file_value("listen_addr") {
        for a in raw.text.split(',').map(str::trim) {
            if !a.is_empty() && !matches!(a, "*" | "0.0.0.0" | "::") {
                let port = settings.listen_port.value;
                listen.push(format!("{}:{port}", a.to_ascii_lowercase()));
            }
        }
    }
    let mut databases = Vec::new();
    let mut users = Vec::new();
    for c in configs {
        for e in &c.databases {
            databases.push(database(&mut t, e));
        }
        for e in &c.users {
            users.push(user(&mut t, e));
        }
    }
    let (servers, fixed_pools) = listed_pools(&mut t, &settings);
    let routes = routes(&mut t);
    // `workers "auto"` sizes them from the host's CPUs, which a linter cannot know.
    let auto = t
        .file_value("workers")
        .is_some_and(|r| r.text.trim().eq_ignore_ascii_case("auto"));
    let workers = (kind == PoolerKind::Odyssey && !auto).then(|| t.get("workers", None, count));
    // Odyssey's pooler-wide view is its fallback route's (`database default { user default }`),
    // else its first: what a client no other route matches gets.
    if let Some(r) = routes
        .iter()
        .find(|r| r.database.is_none() && r.user.is_none())
        .or(routes.first())
    {
        // poolcheck.toml's keys still win.
        if cfg.pool_mode.is_none() {
            settings.mode = r.mode.clone();
        }
        if cfg.default_pool_size.is_none() {
            settings.default_pool_size = r.pool_size.clone();
        }
        if cfg.query_wait_timeout.is_none() {
            settings.query_wait_timeout = r.query_wait_timeout.clone();
        }
        settings.server_idle_timeout = r.server_idle_timeout.clone();
    }
    // Odyssey's `database` blocks are the databases it serves (`default` as PgBouncer's `*`).
    for r in configs.iter().flat_map(|c| &c.routes) {
        let name = r.database.clone().unwrap_or_else(|| "*".into());
        if !databases.iter().any(|d: &PoolerDatabase| d.name == name) {
            databases.push(PoolerDatabase::plain(name, r.database_origin.clone()));
        }
    }
    // so_reuseport = 1: several PgBouncer processes share the port, and how many is not in
    // the file; poolcheck.toml's `processes` says (PC512 while it does not).
    let so_reuseport = t
        .file_value("so_reuseport")
        .filter(|r| {
            matches!(
                r.text.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        .map(|r| r.origin.clone());
    let processes = match cfg.processes {
        Some(n) => Sourced::new(n.max(1), l.origin(&["poolers", name, "processes"])),
        None => Sourced::new(
            1,
            Origin::Assumed {
                note: format!("1 process per pod assumed: [poolers.{name}] sets no processes"),
            },
        ),
    };
    Pooler {
        name: name.to_string(),
        kind,
        origin: l.origin(&["poolers", name]),
        processes,
        so_reuseport,
        server,
        replicas: match cfg.replicas {
            // One pool per target, however many endpoints the proxy has.
            _ if kind == PoolerKind::RdsProxy => Sourced::new(
                1,
                Origin::Default {
                    note: "RDS Proxy keeps one pool per target database".into(),
                },
            ),
            Some(n) => Sourced::new(n, l.origin(&["poolers", name, "replicas"])),
            None => file_replicas(&mut t).unwrap_or_else(|| {
                Sourced::new(
                    1,
                    Origin::Assumed {
                        note: format!("1 instance assumed: [poolers.{name}] sets no replicas"),
                    },
                )
            }),
        },
        listen,
        // poolcheck.toml's version beats the one a compose image tag names.
        version: cfg
            .version
            .as_ref()
            .map(|v| Sourced::new(v.clone(), l.origin(&["poolers", name, "version"])))
            .or_else(|| {
                configs
                    .iter()
                    .find_map(|c| c.version.as_ref())
                    .map(|raw| Sourced::new(raw.text.clone(), raw.origin.clone()))
            }),
        settings,
        databases,
        users,
        servers,
        fixed_pools,
        routes,
        workers,
    }
}

/// The pods a chart or resource runs at peak: the autoscaler's maximum when it is on, else
/// the replica count (a later file's over an earlier one's, a file's over a documented
/// default). Unreadable: PC002 at it, and the next candidate applies.
fn file_replicas(t: &mut Typer<'_>) -> Option<Sourced<u32>> {
    let configs = t.configs;
    let pick = |f: fn(&Config) -> Option<&Raw>| {
        let all = || configs.iter().rev().filter_map(f);
        all()
            .find(|r| !matches!(r.origin, Origin::Default { .. }))
            .or_else(|| all().next())
    };
    let candidates = [
        pick(|c| c.max_replicas.as_ref()),
        pick(|c| c.replicas.as_ref()),
    ];
    for raw in candidates.into_iter().flatten() {
        let key = "replicas";
        let parsed = raw
            .text
            .trim()
            .parse::<u64>()
            .map_err(|_| "is not a whole number".to_string())
            .and_then(super::limits::pods);
        match parsed {
            Ok(n) => return Some(Sourced::new(n, raw.origin.clone())),
            Err(why) => t.invalid(key, raw, &why),
        }
    }
    None
}

/// Odyssey: each route typed, a parameter it leaves out taking Odyssey's default, and the
/// `host:port` of the storage it names. A route without `pool` is PC002: Odyssey refuses to
/// start ("pooling mode is not set", sources/rules.c); session mode, which shares nothing, is
/// assumed meanwhile.
fn routes(t: &mut Typer<'_>) -> Vec<PoolerRoute> {
    let configs = t.configs;
    let storages: Vec<&pgbouncer::Entry> = configs.iter().flat_map(|c| &c.storages).collect();
    let mut out = Vec::new();
    for r in configs.iter().flat_map(|c| &c.routes) {
        let p = &r.params;
        let what = format!(
            "{}.{}",
            r.database.as_deref().unwrap_or("default"),
            r.user.as_deref().unwrap_or("default")
        );
        let mode = match param(t, p, &["pool"], mode) {
            Some(m) => m,
            None => {
                if !p.iter().any(|(k, _)| k == "pool") {
                    let msg = format!(
                        "pooler `{}`: route {what} sets no `pool`; Odyssey does not start without one (\"pooling mode is not set\")",
                        t.name
                    );
                    let help = "add pool \"transaction\" (or \"session\", \"statement\") to the user block; session mode is assumed meanwhile";
                    let mut f = Finding::new(Code::PC002, msg, help);
                    if let Some((file, span)) = r.origin.location() {
                        f = f.at(file, span, "no pool in this route");
                    }
                    t.findings.push(f);
                }
                Sourced::new(
                    PoolMode::Session,
                    Origin::Assumed {
                        note: format!("route {what} sets no pool; session assumed"),
                    },
                )
            }
        };
        let default = |t: &mut Typer<'_>, key: &str| t.get(key, None::<u32>, count);
        let pool_size = match param(t, p, &["pool_size"], count) {
            Some(s) => s,
            None => default(t, "default_pool_size"),
        };
        let timeout = |t: &mut Typer<'_>, own: &str, key: &str| match param(t, p, &[own], seconds) {
            Some(v) => v,
            None => t.get(key, None, seconds),
        };
        let query_wait_timeout = timeout(t, "pool_timeout", "query_wait_timeout");
        let server_idle_timeout = timeout(t, "pool_ttl", "server_idle_timeout");
        let storage = text_param(p, "storage");
        let server_address = storage
            .as_ref()
            .and_then(|n| storages.iter().rev().find(|s| &s.name == n))
            .and_then(|s| {
                let host = text_param(&s.params, "host")?;
                let port = text_param(&s.params, "port")?.trim().parse().ok()?;
                // A list of hosts (`"db1,db2"`) routes to its first, as a URL's does.
                Some(address(host.split(',').next()?, port))
            });
        out.push(PoolerRoute {
            database: r.database.clone(),
            user: r.user.clone(),
            origin: r.origin.clone(),
            mode,
            pool_size,
            // client_max 0, like none, is no limit.
            client_max: param(t, p, &["client_max"], count).filter(|c| c.value > 0),
            query_wait_timeout,
            server_idle_timeout,
            storage,
            server_address,
        });
    }
    out
}

/// pgcat / PgDog: every server entry, and one pool per user and entry on the pooler's server
/// (the first primary's address). A user's pool_size beats the entry's, which beats the
/// pooler's default; the same order holds for the mode.
fn listed_pools(
    t: &mut Typer<'_>,
    settings: &PoolerSettings,
) -> (Vec<PoolerServer>, Vec<FixedPool>) {
    let configs = t.configs;
    let entries: Vec<&pgbouncer::ServerEntry> = configs.iter().flat_map(|c| &c.servers).collect();
    let members: Vec<&pgbouncer::Member> = configs.iter().flat_map(|c| &c.members).collect();
    let servers: Vec<PoolerServer> = entries
        .iter()
        .map(|e| PoolerServer {
            cluster: e.cluster.clone(),
            shard: e.shard,
            address: address(&e.host, e.port),
            role: e.role.clone(),
            origin: e.origin.clone(),
        })
        .collect();
    let home = servers
        .iter()
        .find(|s| s.role == "primary")
        .or(servers.first())
        .map(|s| s.address.clone());
    // pgcat opens one pool per (pool, username): a second entry for the same user replaces
    // the first in its map instead of adding a pool ("There is one pool per database/user
    // pair", https://github.com/postgresml/pgcat/blob/main/src/pool.rs from_config), and
    // which entry wins is not the file's order. Count the user once, and say so.
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut members_once: Vec<&pgbouncer::Member> = Vec::new();
    for m in &members {
        if t.kind == PoolerKind::Pgcat && seen.contains(&(m.cluster.as_str(), m.user.as_str())) {
            if let Some((file, span)) = m.origin.location() {
                t.findings.push(
                    Finding::new(
                        Code::PC002,
                        format!(
                            "pool `{}` lists user `{}` twice; pgcat keeps one pool for them, \
                             and which entry's settings win is not defined",
                            m.cluster, m.user
                        ),
                        "keep one entry per username in each pool (merge their settings)",
                    )
                    .at(file, span, "same username again"),
                );
            }
            continue;
        }
        seen.push((&m.cluster, &m.user));
        members_once.push(m);
    }
    let members = members_once;
    let mut pools = Vec::new();
    for (e, s) in entries.iter().zip(&servers) {
        if Some(&s.address) != home.as_ref() {
            continue;
        }
        for m in members.iter().filter(|m| m.cluster == e.cluster) {
            let one =
                |k: &str, r: &Option<Raw>| r.as_ref().map(|r| vec![(k.to_string(), r.clone())]);
            let size = one("pool_size", &m.pool_size)
                .and_then(|p| param(t, &p, &["pool_size"], count))
                .or_else(|| {
                    one("pool_size", &e.pool_size).and_then(|p| param(t, &p, &["pool_size"], count))
                })
                .unwrap_or_else(|| settings.default_pool_size.clone());
            let mode = one("pool_mode", &m.mode)
                .and_then(|p| param(t, &p, &["pool_mode"], mode))
                .or_else(|| {
                    one("pool_mode", &e.mode).and_then(|p| param(t, &p, &["pool_mode"], mode))
                })
                .unwrap_or_else(|| settings.mode.clone());
            pools.push(FixedPool {
                cluster: e.cluster.clone(),
                user: m.user.clone(),
                shard: e.shard,
                role: e.role.clone(),
                pool_size: size,
                mode,
            });
        }
    }
    (servers, pools)
}

/// A typed entry parameter; PC002 when unreadable.
fn param<T>(
    t: &mut Typer<'_>,
    params: &[(String, Raw)],
    keys: &[&str],
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Sourced<T>> {
    let (key, raw) = params
        .iter()
        .rev()
        .find(|(k, _)| keys.contains(&k.as_str()))?;
    match parse(&raw.text) {
        Ok(v) => Some(Sourced::new(v, raw.origin.clone())),
        Err(why) => {
            t.invalid(key, raw, &why);
            None
        }
    }
}

fn text_param(params: &[(String, Raw)], key: &str) -> Option<String> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, r)| r.text.clone())
}

fn database(t: &mut Typer<'_>, e: &pgbouncer::Entry) -> PoolerDatabase {
    let p = &e.params;
    PoolerDatabase {
        name: e.name.clone(),
        origin: e.origin.clone(),
        pool_size: param(t, p, &["pool_size"], count),
        // `reserve_pool` is the older spelling of the per-database reserve.
        reserve_pool: param(t, p, &["reserve_pool", "reserve_pool_size"], count),
        mode: param(t, p, &["pool_mode"], mode),
        max_db_connections: param(t, p, &["max_db_connections"], count),
        user: text_param(p, "user"),
        host: text_param(p, "host"),
        port: text_param(p, "port").and_then(|s| s.trim().parse().ok()),
    }
}

fn user(t: &mut Typer<'_>, e: &pgbouncer::Entry) -> PoolerUser {
    let p = &e.params;
    PoolerUser {
        name: e.name.clone(),
        mode: param(t, p, &["pool_mode"], mode),
        pool_size: param(t, p, &["pool_size"], count),
        max_user_connections: param(t, p, &["max_user_connections"], count),
    }
}
