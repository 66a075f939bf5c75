//! From parsed files to the fleet model: recognise keys through the dialects, choose one value
//! per concept, fill in library defaults, and attach every number's origin.

use super::from_helm as helm;
use super::*;
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::origin::choose;
use crate::core::source::{FileId, SourceFile, SourceSet, Span};
use crate::input::dialects::{self, Concept, Dialects, KeyDef, Special, Unit};
use crate::input::discover::{Input, Kind};
use crate::input::formats::{self, Node, NodeKind};

mod conflicts;
mod formats_other;

/// One service as poolcheck.toml or the command line describes it.
#[derive(Debug, Clone, Default)]
pub struct ServiceSpec {
    pub name: String,
    pub inputs: Vec<Input>,
    pub server: usize,
    pub replicas: Option<Sourced<u32>>,
    pub max_replicas: Option<Sourced<u32>>,
    pub surge: Option<Sourced<Surge>>,
    pub processes: Option<Sourced<u32>>,
    pub role: Option<String>,
    pub database: Option<String>,
    pub workload: Option<Workload>,
    /// The process kind (web, sidekiq) the service runs; None: every kind its files tell apart.
    pub component: Option<String>,
    /// The stack poolcheck.toml declares (a dialect or preset id), which beats detection.
    pub stack: Option<String>,
    /// What a Kubernetes workload or compose service gives it (from_manifests).
    pub deployed: Option<super::from_manifests::Deployed>,
    /// Index into `Fleet::poolers` when poolcheck.toml sends the service `via` a pooler.
    pub via: Option<usize>,
    /// Which of several pools its files define this service is: a database of a
    /// multi-database database.yml (Rails 6+: primary, cache, queue, cable) or a named
    /// connection string of appsettings.json; None: the first one.
    pub pool_part: Option<String>,
    /// The pool of another kind of server the same files configure: `Some(Redis)` is the
    /// service's Redis pool (REDIS_URL, spring.data.redis.*, Celery's broker), read from the
    /// same files as its SQL pool and counted against a Redis server (model::engines). Not a
    /// `pool_part`: those are pools of one database engine, and each of them would otherwise
    /// repeat the Redis pool.
    pub engine_part: Option<crate::core::engine::Engine>,
    /// Only the files left beside split-off services (a monorepo's root, a manifest's
    /// folder): not a service when they set no pool and no connection URL.
    pub drop_if_empty: bool,
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub assume_host_cpus: u32,
    /// `--set KEY=VALUE` for keys as the files name them.
    pub overrides: Vec<(String, String)>,
    /// Largest file read, in bytes (`--max-file-size`, `max_file_size`).
    pub max_file_size: u64,
    /// The deployment environment checked (`production` unless `--env`/`--prod` says
    /// otherwise): Rails' `Rails.env` and the database.yml block it reads.
    pub environment: String,
    /// Active Spring profiles.
    pub profiles: Vec<String>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            assume_host_cpus: 4,
            overrides: Vec::new(),
            max_file_size: crate::input::read::DEFAULT_MAX_FILE_SIZE,
            environment: "production".into(),
            profiles: Vec::new(),
        }
    }
}

/// A recognised key with its value, before one value per concept is chosen.
#[derive(Debug, Clone)]
struct Observation {
    concept: Concept,
    /// None: set from somewhere poolcheck cannot read (secret, unresolved reference).
    text: Option<String>,
    key: String,
    def: KeyDef,
    dialect: String,
    library: String,
    origin: Origin,
    /// override 4 > URL parameter 3 > library key 2 > generic key 1; later files win ties.
    rank: u8,
    order: usize,
    /// Every library that reads this key (two or more: the key alone does not say which
    /// one the service uses), as (dialect id, library, its definition of the key).
    claimants: Vec<(String, String, KeyDef)>,
}

impl super::engines::RedisKey for Observation {
    fn dialect_id(&self) -> &str {
        &self.dialect
    }
}

struct Collector<'a> {
    dialects: &'a Dialects,
    obs: Vec<Observation>,
    findings: Vec<Finding>,
    order: usize,
    server_key: Option<String>,
    /// Where the URL that names the server is.
    server_origin: Option<Origin>,
    url_engine: Option<Sourced<crate::core::engine::Engine>>,
    url_user: Option<String>,
    url_database: Option<String>,
    url_library: Option<&'static str>,
    /// Values poolcheck could not evaluate (ERB it does not run), each with why.
    unevaluated: Vec<Sourced<String>>,
    /// (file, offset) of scalars whose value an ERB tag computed.
    erb_values: std::collections::HashSet<(FileId, usize)>,
    /// Process kinds the files tell apart (`Sidekiq.server?`).
    components: std::collections::BTreeSet<String>,
    /// The other databases of a multi-database database.yml, each a pool of its own.
    pool_parts: Vec<String>,
    /// Named connection strings read so far (appsettings.json): name, file and span.
    conn_strings: Vec<(String, FileId, Span)>,
    /// `--set` keys an ERB tag read.
    erb_overrides: Vec<String>,
    /// This is the service's Redis pool (`ServiceSpec::engine_part`): only Redis clients'
    /// keys and URLs count; otherwise only the others do.
    redis_part: bool,
    /// A Redis client's key or URL was left out of this (SQL) pool: the service has a Redis
    /// pool too.
    saw_redis: bool,
    /// Documents not read (another Spring profile's).
    skipped: Vec<crate::input::envfiles::Skipped>,
    /// A chart's merged values, for a preset's component keys.
    chart_values: Option<Node>,
    /// The max_connections of the database the chart bundles.
    server_limit: Option<ServerLimit>,
    /// The SQL libraries the service's stack is known to use (declared, the app preset and
    /// its client, or the dependency manifests); None: unknown. A library key of any other
    /// dialect is not this service's and is not read.
    allowed: Option<Vec<String>>,
}

/// A server's max_connections as a file states it, and the engine that file names.
pub type ServerLimit = (
    super::Sourced<u32>,
    super::Sourced<crate::core::engine::Engine>,
);

impl<'a> Collector<'a> {
    fn push(
        &mut self,
        m: dialects::KeyMatch<'_>,
        key: &str,
        text: Option<String>,
        origin: Origin,
        rank: u8,
    ) {
        let redis = dialects::is_redis(m.dialect);
        // Pods and processes are the service's, whichever pool is read.
        let shared = matches!(m.def.concept, Concept::Processes | Concept::Replicas);
        if redis != self.redis_part && !shared {
            // Sidekiq's `concurrency` and Celery's broker keys alone do not say Redis is used.
            if redis && !m.dialect.stack_only && !m.dialect.needs_url {
                self.saw_redis = true;
            }
            return;
        }
        // A key only a library reads counts when the service's stack uses that library (or
        // when the stack is unknown); generic names and the user's [keys] count everywhere.
        let mut chosen = (
            m.dialect.id.clone(),
            m.dialect.library.clone(),
            m.def.clone(),
        );
        let mut claimants = Vec::new();
        let own = !dialects::is_generic(&m.dialect.id) && m.dialect.id != "user" && !redis;
        if own && !shared {
            let dialects = self.dialects;
            let mut claim = dialects.claimants(key, &m);
            if let Some(allowed) = &self.allowed {
                claim.retain(|c| allowed.contains(&c.dialect.id));
                let Some(first) = claim.first() else {
                    return;
                };
                if !claim.iter().any(|c| c.dialect.id == m.dialect.id) {
                    chosen = (
                        first.dialect.id.clone(),
                        first.dialect.library.clone(),
                        first.def.clone(),
                    );
                }
            }
            if claim.len() > 1 {
                claimants = claim
                    .iter()
                    .map(|c| {
                        (
                            c.dialect.id.clone(),
                            c.dialect.library.clone(),
                            c.def.clone(),
                        )
                    })
                    .collect();
            }
        }
        let (dialect, library, def) = chosen;
        self.order += 1;
        let rank = if dialects::is_generic(&dialect) {
            rank.min(1)
        } else {
            rank
        };
        self.obs.push(Observation {
            concept: def.concept,
            text,
            key: key.to_string(),
            def,
            dialect,
            library,
            origin,
            rank,
            order: self.order,
            claimants,
        });
    }

    /// The kind of server a URL's literal scheme names, when nothing else was read yet.
    fn url_scheme(&mut self, value: &str, file: FileId, span: Span) {
        if self.url_engine.is_some() {
            return;
        }
        let Some((scheme, _)) = value.trim().split_once("://") else {
            return;
        };
        if scheme.contains('$') {
            return;
        }
        if !self.url_for_part(scheme) {
            return;
        }
        self.url_engine = crate::core::engine::Engine::from_scheme(scheme)
            .map(|e| Sourced::new(e, Origin::file(file, span)));
    }

    /// A value: recognise a connection URL inside it and its pool parameters.
    fn url_value(&mut self, value: &str, file: FileId, span: Span, sources: &SourceSet) {
        let Some(url) = formats::url::parse(value.trim()) else {
            return;
        };
        if !self.url_for_part(&url.scheme) {
            return;
        }
        let engine = crate::core::engine::Engine::from_scheme(&url.scheme);
        let exact = sources.get(file).text.get(span.start..span.end) == Some(value);
        let lead = value.len() - value.trim_start().len();
        if self.server_key.is_none() {
            self.server_key = Some(url.server_key());
            self.server_origin = Some(Origin::file(file, span));
            self.url_engine = crate::core::engine::Engine::from_scheme(&url.scheme)
                .map(|e| Sourced::new(e, Origin::file(file, span)));
            self.url_user = url.user.clone().filter(|u| !u.contains("${"));
            self.url_database = url.database.clone().filter(|d| !d.contains("${"));
        }
        if url.scheme.contains('+') && url.scheme.starts_with("postgres") {
            self.url_library = Some("sqlalchemy");
        } else if url.scheme.starts_with("jdbc") {
            self.url_library = Some("hikari");
        }
        for p in &url.params {
            if let Some(m) = self.dialects.match_url_param_for(&p.key, engine) {
                let pspan = if exact {
                    Span::new(
                        span.start + lead + p.span.start,
                        span.start + lead + p.span.end,
                    )
                } else {
                    span
                };
                self.push(
                    m,
                    &p.key,
                    Some(p.value.clone()),
                    Origin::file(file, pspan),
                    3,
                );
            }
        }
    }

    /// Whether a URL of this scheme belongs to the pool being read: a Redis URL only to the
    /// Redis part (and noted for the SQL part, which then has a Redis pool beside it).
    fn url_for_part(&mut self, scheme: &str) -> bool {
        let redis = crate::core::engine::Engine::from_scheme(scheme)
            == Some(crate::core::engine::Engine::Redis);
        if redis && !self.redis_part {
            self.saw_redis = true;
        }
        redis == self.redis_part
    }

    fn entry(
        &mut self,
        key: &str,
        m: Option<dialects::KeyMatch<'_>>,
        value: Option<(String, FileId, Span)>,
        key_origin: Origin,
        sources: &SourceSet,
    ) {
        if let Some(m) = m {
            match &value {
                Some((text, file, span)) => {
                    self.push(m, key, Some(text.clone()), Origin::file(*file, *span), 2)
                }
                None => self.push(m, key, None, key_origin, 2),
            }
        }
        if let Some((text, file, span)) = value {
            self.url_value(&text, file, span, sources);
            self.conn_string_value(&text, file, span, sources);
        }
    }

    /// Walks a YAML/TOML tree: dotted paths through the dialects, URLs in any string.
    fn walk(&mut self, node: &Node, path: &mut Vec<String>, skip_env: bool, sources: &SourceSet) {
        match &node.kind {
            NodeKind::Map(entries) => {
                for e in entries {
                    if skip_env && helm::ENV_KEYS.contains(&e.key.as_str()) {
                        continue;
                    }
                    path.push(e.key.clone());
                    self.names_entry(e, path);
                    self.walk(&e.value, path, skip_env, sources);
                    path.pop();
                }
            }
            NodeKind::Seq(items) => items
                .iter()
                .for_each(|n| self.walk(n, path, skip_env, sources)),
            NodeKind::Scalar(s) => {
                let text = s.as_text();
                // A parameter map is read as a map (`names_entry`), never as one value.
                let m = self
                    .dialects
                    .match_path(path)
                    .filter(|m| m.def.unit != Unit::Names);
                let key = path.join(".");
                let value = text.map(|t| (t, node.file, node.span));
                let before = self.obs.len();
                self.entry(&key, m, value, Origin::file(node.file, node.span), sources);
                // What database.yml computes from an env variable is what Rails uses; it beats
                // the variable read as a key of its own (RAILS_MAX_THREADS in .env).
                if self.erb_values.contains(&(node.file, node.span.start)) {
                    for o in &mut self.obs[before..] {
                        if o.rank == 2 {
                            o.rank = 3;
                        }
                    }
                }
            }
        }
    }
}

impl Collector<'_> {
    /// A map whose keys are the parameters a key sets (ActiveRecord `variables:`): one
    /// observation at the key, its value the parameter names.
    fn names_entry(&mut self, e: &formats::Entry, path: &[String]) {
        let NodeKind::Map(vars) = &e.value.kind else {
            return;
        };
        let dialects = self.dialects;
        let Some(m) = dialects
            .match_path(path)
            .filter(|m| m.def.unit == Unit::Names)
        else {
            return;
        };
        let names: Vec<&str> = vars.iter().map(|v| v.key.as_str()).collect();
        if names.is_empty() {
            return;
        }
        let origin = Origin::file(e.value.file, e.key_span);
        self.push(m, &path.join("."), Some(names.join(",")), origin, 2);
    }
}

/// Builds one service from its files. Syntax errors, unreadable values and files that may not
/// be read (PC005) become findings and the other files still count; a bad `--set` is a tool
/// error.
pub fn build_service(
    spec: &ServiceSpec,
    sources: &mut SourceSet,
    dialects: &Dialects,
    opts: &BuildOptions,
) -> Result<Built, String> {
    // A service recognised as a known application reads that app's keys too, and its
    // components each become a service of their own.
    let declared = spec.stack.as_deref();
    let app = match declared.and_then(super::presets::get) {
        Some(p) => Some(super::presets::Detection {
            preset: p.id.as_str(),
            evidence: format!("poolcheck.toml stack = \"{}\"", p.id),
        }),
        None if declared.is_some() => None,
        None => super::stack::app_of_spec(spec),
    };
    let preset = app.as_ref().and_then(|d| super::presets::get(d.preset));
    let local;
    // A declared library's keys win a key name several libraries use.
    let declared_dialect = declared
        .filter(|_| preset.is_none())
        .and_then(|id| dialects.get(id))
        .cloned();
    // The service's Redis part reads Redis libraries' keys and defaults only: an app's
    // database pool default is not its Redis clients' (Outline's DATABASE_CONNECTION_POOL_MAX).
    let redis_part = spec.engine_part == Some(crate::core::engine::Engine::Redis);
    let dialects = match (preset.filter(|_| !redis_part), declared_dialect) {
        (Some(p), _) => {
            local = dialects.with_front(p.dialect());
            &local
        }
        (None, Some(d)) => {
            local = dialects.with_front(d);
            &local
        }
        (None, None) => dialects,
    };
    // What the service's stack is known to use, before any key is read: then a key only
    // another library reads is not this service's.
    let allowed: Option<Vec<String>> = match (preset, declared) {
        (Some(p), _) => p
            .client
            .as_ref()
            .map(|client| vec![p.id.clone(), client.clone()]),
        (None, Some(id)) if dialects.get(id).is_some() => Some(vec![id.to_string()]),
        _ => {
            let named = super::stack::libraries_of_spec(spec);
            (!named.is_empty()).then(|| named.iter().map(|(id, _)| id.to_string()).collect())
        }
    };
    let mut c = Collector {
        dialects,
        obs: Vec::new(),
        findings: Vec::new(),
        order: 0,
        server_key: None,
        server_origin: None,
        url_engine: None,
        url_user: None,
        url_database: None,
        url_library: None,
        unevaluated: Vec::new(),
        erb_values: Default::default(),
        components: Default::default(),
        pool_parts: Default::default(),
        conn_strings: Vec::new(),
        erb_overrides: Vec::new(),
        skipped: Vec::new(),
        redis_part: spec.engine_part == Some(crate::core::engine::Engine::Redis),
        saw_redis: false,
        chart_values: None,
        server_limit: None,
        allowed,
    };
    let (mut env_files, mut scaling) = read_inputs(&mut c, spec, sources, opts);
    let component = preset.and_then(|p| {
        super::presets::component_of(
            p,
            spec,
            c.chart_values.as_ref(),
            &mut scaling,
            &mut c.components,
        )
    });
    env_observations(&mut c, &mut env_files, sources);
    deployed_observations(&mut c, spec, &mut scaling, sources);
    // A key of another component of the app (a Puma worker count in the Sidekiq pods' chart
    // values) is not this service's; the component's own defaults come first.
    let component_dialects = preset
        .zip(component)
        .filter(|_| !c.redis_part)
        .map(|(p, comp)| {
            c.obs
                .retain(|o| o.dialect != p.id || p.reads(&o.def, &comp.name));
            dialects.with_front(p.dialect_for(Some(&comp.name)))
        });
    let redis_stack = c
        .redis_part
        .then(|| {
            super::engines::redis_stack(spec).or_else(|| {
                let id = preset?.redis_client.as_deref()?;
                dialects.get(id).map(|d| d.id.as_str())
            })
        })
        .flatten();
    if c.redis_part {
        super::engines::keep_redis_keys(&mut c.obs, dialects, redis_stack, c.url_engine.is_some());
    }
    let app_library = preset
        .filter(|_| !c.redis_part)
        .map(|p| p.id.as_str())
        .or(declared.filter(|_| !c.redis_part));
    let hint = super::stack::evidence_of_spec(spec).map(|(id, _)| id);
    // A URL's shape (`jdbc:`, `postgresql+asyncpg://`) names a library only within the
    // stack, when the stack is known.
    let allowed = c.allowed.clone();
    c.url_library = c
        .url_library
        .filter(|l| allowed.as_ref().is_none_or(|a| a.iter().any(|x| x == l)));
    // `jdbc:` and spring.datasource.url name a Java pool, not which one: Spring Boot hands
    // them to whichever pool it builds, so the build file's Druid or DBCP2 wins over HikariCP.
    if let Some(pool) = hint.filter(|h| super::stack::is_java_pool(h)) {
        if c.url_library == Some("hikari") {
            c.url_library = Some(pool);
        }
        let library = dialects.get(pool).map(|d| d.library.clone());
        for o in c.obs.iter_mut() {
            if o.dialect == "hikari" && o.concept == Concept::DatabaseUrl {
                o.dialect = pool.to_string();
                o.library = library.clone().unwrap_or_default();
            }
        }
    }
    let ambiguous = settle_claims(&mut c.obs, app_library, c.url_library, hint);
    let mut taken = apply_overrides(&mut c, opts);
    taken.append(&mut c.erb_overrides);
    let competing = conflicts::competing(&c.obs, &c.erb_values);
    let duplicates = conflicts::duplicates(&env_files, dialects);
    let mut keys: Vec<String> = c.obs.iter().map(|o| o.key.clone()).collect();
    keys.extend(
        env_files
            .iter()
            .flat_map(|f| f.entries.iter().map(|e| e.key.clone())),
    );
    for (file, span, message) in std::mem::take(&mut scaling.errors) {
        c.findings.push(
            Finding::new(Code::PC002, message.clone(), "write a whole number")
                .at(file, span, message),
        );
    }
    let unevaluated = std::mem::take(&mut c.unevaluated);
    let components = std::mem::take(&mut c.components);
    let pool_parts = std::mem::take(&mut c.pool_parts);
    let skipped = std::mem::take(&mut c.skipped);
    let server_limit = c.server_limit.take();
    let (server_key, url_user, url_database) = (
        c.server_key.clone(),
        c.url_user.clone(),
        c.url_database.clone(),
    );
    // Nothing in the files names the library: the app's own manifest may (a package.json
    // that depends on pg), but only for a service that has a database URL.
    let manifest = server_key
        .as_ref()
        .filter(|_| !c.redis_part)
        .and_then(|_| super::stack::evidence_of_spec(spec));
    let Resolved {
        mut pool,
        processes,
        processes_key,
        replicas,
        mut findings,
    } = resolve(
        c.obs,
        component_dialects.as_ref().unwrap_or(dialects),
        // An app preset names its own library, except in the service's Redis part: a URL
        // parameter another library also reads (lib/pq's connect_timeout is Prisma's too)
        // does not make a Mattermost server a Prisma app.
        app_library,
        c.url_library
            .or(redis_stack)
            .or(manifest.as_ref().map(|(id, _)| *id)),
        opts,
    );
    findings.extend(c.findings);
    pool.ambiguous = ambiguous;
    pool.server_key = server_key;
    pool.server_origin = c.server_origin.clone();
    // A URL's scheme beats an adapter key, as in Rails, where DATABASE_URL's wins:
    // https://guides.rubyonrails.org/configuring.html#connection-preference
    pool.url_engine = c.url_engine.clone().or(pool.url_engine.take());
    pool.engine_part = spec.engine_part;
    if redis_stack == Some("sidekiq") {
        super::engines::sidekiq_pool(&mut pool, spec.component.as_deref() == Some("sidekiq"));
    }
    let redis_part = c.saw_redis && !c.redis_part && spec.pool_part.is_none();
    pool.url_user = url_user;
    pool.url_database = url_database;
    pool.unevaluated = unevaluated;
    pool.competing = competing;
    pool.duplicates = duplicates;
    let declared_note = declared
        .filter(|_| preset.is_none() && !c.redis_part)
        .and_then(|id| dialects.get(id))
        .map(|d| format!("{}: poolcheck.toml stack = \"{}\"", d.library, d.id));
    // Rails apps run more than the pool beside database.yml: GoodJob, Action Cable. Once per
    // app: the first database and the web component.
    let rails = dialects.get("rails").map(|d| d.library.as_str());
    let first_part =
        spec.pool_part.is_none() && spec.component.as_deref().is_none_or(|c| c == "web");
    if !c.redis_part && first_part && rails.is_some() && pool.library.as_deref() == rails {
        pool.stack_uses = super::stack::session_uses(spec, sources, opts);
    }
    pool.stack = app
        .as_ref()
        .map(|d| d.note())
        .or(declared_note)
        .or_else(|| {
            // The manifest is evidence only for the library the service ended up with.
            let (id, evidence) = manifest?;
            let library = dialects.get(id)?.library.as_str();
            (pool.library.as_deref() == Some(library)).then(|| format!("{library}: {evidence}"))
        });
    // The workers the container's command starts beat a key the server reads otherwise
    // (gunicorn --workers over WEB_CONCURRENCY); Celery's prefork children hold no Redis pool.
    let command = spec.deployed.as_ref().and_then(|d| {
        let mut found = Vec::new();
        let p = super::commands::processes(&d.args, opts.assume_host_cpus, sources, &mut found);
        // The Redis part reads the same command: its findings are the SQL part's to report.
        if !c.redis_part {
            findings.append(&mut found);
        }
        p
    });
    let (processes, processes_key) = match command.filter(|p| p.share_redis || !c.redis_part) {
        Some(p) => (Some(p.processes.clone()), Some(p.flag.clone())),
        None => (processes, processes_key),
    };
    // A web server's worker count in a shared env file is not a Sidekiq process count: a
    // Sidekiq process does not fork (https://github.com/sidekiq/sidekiq/wiki/Advanced-Options#concurrency).
    let processes = processes.filter(|_| {
        spec.component.as_deref() != Some("sidekiq")
            || !processes_key.as_deref().is_some_and(web_server_processes)
    });
    let mut pods = pods_of(spec, &scaling, replicas, processes);
    if let Some((file, span, ds)) = &scaling.per_node {
        // Only while nothing (poolcheck.toml, --set) says how many nodes it runs on.
        if matches!(pods.replicas.origin, Origin::Assumed { .. }) {
            findings.push(
                Finding::new(
                    Code::PC015,
                    format!(
                        "DaemonSet `{ds}` runs a pod on every node, and the files do not say \
                         how many nodes; its pools are counted for 1 pod"
                    ),
                    format!(
                        "set replicas for service `{0}` in poolcheck.toml to the most nodes \
                         it can run on (or --set service.{0}.replicas=N)",
                        spec.name
                    ),
                )
                .at(*file, *span, "one pod per node"),
            );
        }
    }
    if let (Some(p), Some(comp)) = (preset, component) {
        super::presets::apply_processes(p, comp, &mut pods.processes);
    }
    let name = match component {
        Some(comp)
            // A compose service or workload has its own name; a chart's split gets the
            // component's.
            if spec.component.is_none()
                && spec.deployed.is_none()
                && preset.is_some_and(|p| p.components.len() > 1) =>
        {
            format!("{}-{}", spec.name, comp.name)
        }
        _ => spec.name.clone(),
    };
    for f in &mut findings {
        f.service = Some(name.clone());
    }
    let service = Service {
        name,
        server: spec.server,
        via: spec.via,
        pool,
        processes: pods.processes,
        replicas: pods.replicas,
        hpa_max: pods.hpa_max,
        surge: pods.surge,
        workload: spec.workload.clone(),
        role: spec.role.clone(),
        database: spec.database.clone(),
    };
    Ok(Built {
        service,
        findings,
        overrides_taken: taken,
        keys,
        components,
        pool_parts,
        redis_part,
        skipped,
        server_limit,
    })
}

/// Reads and parses every input of a service into observations; .env files are returned
/// for expansion across the whole set, chart scaling into `Scaling`.
fn read_inputs(
    c: &mut Collector<'_>,
    spec: &ServiceSpec,
    sources: &mut SourceSet,
    opts: &BuildOptions,
) -> (Vec<formats::env::EnvFile>, helm::Scaling) {
    let mut env_files = Vec::new();
    let mut scaling = helm::Scaling::default();
    // .env files first: ERB in the YAML files reads their values, as the app's process does.
    for input in &spec.inputs {
        if let Input::File(path, Kind::Env) = input {
            let Some(id) = read_or_report(path, sources, opts, &mut c.findings) else {
                continue;
            };
            let text = sources.get(id).text.clone();
            let f = formats::env::parse(id, &text);
            c.findings
                .extend(f.errors.iter().cloned().map(syntax_finding));
            env_files.push(f);
        }
    }
    let expansion_errors = formats::env::resolve(&mut env_files);
    c.findings
        .extend(expansion_errors.into_iter().map(syntax_finding));
    for input in &spec.inputs {
        match input {
            Input::File(_, Kind::Env) => {}
            // Read by from_manifests before the specs are built; only a file named there
            // ends up here when it could not be read.
            Input::File(path, Kind::Compose) => {
                read_or_report(path, sources, opts, &mut c.findings);
            }
            Input::File(path, Kind::Toml) => {
                let Some(id) = read_or_report(path, sources, opts, &mut c.findings) else {
                    continue;
                };
                let text = sources.get(id).text.clone();
                match formats::toml::parse(id, &text) {
                    Ok(root) => c.walk(&root, &mut Vec::new(), false, sources),
                    Err(e) => c.findings.push(syntax_finding(e)),
                }
            }
            Input::File(path, Kind::Yaml) => {
                let Some(id) = read_or_report(path, sources, opts, &mut c.findings) else {
                    continue;
                };
                read_yaml(c, path, id, spec, &env_files, sources, opts, &mut scaling);
            }
            Input::File(path, kind @ (Kind::Ini | Kind::Properties | Kind::Json(_))) => {
                let Some(id) = read_or_report(path, sources, opts, &mut c.findings) else {
                    continue;
                };
                let part = spec.pool_part.as_deref();
                formats_other::read(c, path, id, *kind, &env_files, sources, opts, part);
            }
            Input::Unreadable(path, problem) => c.findings.push(crate::input::read::finding(
                path,
                problem,
                sources,
                opts.max_file_size,
            )),
            Input::Chart { dir, values } => read_chart(c, dir, values, sources, opts, &mut scaling),
        }
    }

    (env_files, scaling)
}

/// A YAML file: ERB evaluated first when it holds any (Rails runs ERB over database.yml),
/// then the documents that apply to this run (a database.yml's block for the environment).
#[allow(clippy::too_many_arguments)]
fn read_yaml(
    c: &mut Collector<'_>,
    path: &std::path::Path,
    id: FileId,
    spec: &ServiceSpec,
    env_files: &[formats::env::EnvFile],
    sources: &SourceSet,
    opts: &BuildOptions,
    scaling: &mut helm::Scaling,
) {
    let text = sources.get(id).text.clone();
    let name = path.file_name().map(|n| n.to_string_lossy());
    let name = name.as_deref().unwrap_or("the file");
    let template = if formats::erb::has_erb(&text) {
        match formats::erb::scan(id, &text) {
            Ok(t) => Some(t),
            Err(e) => {
                c.findings.push(syntax_finding(e));
                return;
            }
        }
    } else {
        None
    };
    let yaml = template.as_ref().map_or(&text[..], |t| t.yaml.as_str());
    let mut docs = match formats::yaml::parse_config(id, yaml, name) {
        Ok(docs) => docs,
        Err(e) => {
            c.findings.push(syntax_finding(e));
            return;
        }
    };
    if let Some(t) = &template {
        // `--set VAR=…` reaches ERB too: it is how a user answers "DB_POOL is not set".
        let used = std::cell::RefCell::new(Vec::new());
        let env = |var: &str| {
            let set = opts.overrides.iter().rev().find(|(k, _)| k == var);
            if let Some((k, v)) = set {
                used.borrow_mut().push(k.clone());
                return Some(v.clone());
            }
            env_value(env_files, var)
        };
        let component = spec.component.as_deref().unwrap_or("web");
        let ctx = formats::erb::Context {
            env: &env,
            rails_env: crate::input::environment::canonical(&opts.environment),
            component,
        };
        let outcome = formats::erb::substitute(&mut docs, t, &ctx);
        c.erb_overrides.extend(used.into_inner());
        for n in outcome.unknown {
            c.unevaluated
                .push(Sourced::new(n.message, Origin::file(id, n.span)));
        }
        c.erb_values
            .extend(outcome.filled.into_iter().map(|s| (id, s.start)));
        if spec.component.is_none() {
            c.components.extend(outcome.components);
        }
        if let Some(span) = t.control_flow {
            c.unevaluated.push(Sourced::new(
                "ERB control flow (`<% if … %>`, loops) is not evaluated: every branch was \
                 read as YAML, and a later key replaces an earlier one"
                    .into(),
                Origin::file(id, span),
            ));
        }
    }
    let spring = crate::input::spring::is_spring_file(name);
    let active = if spring && opts.profiles.is_empty() {
        // Without --profile, what the file itself activates (spring.profiles.active).
        docs.iter()
            .filter(|d| crate::input::spring::activation(d).is_none())
            .flat_map(crate::input::spring::active_in)
            .collect()
    } else {
        opts.profiles.clone()
    };
    for doc in &docs {
        if spring {
            if let Some((expr, at)) = crate::input::spring::activation(doc) {
                if !crate::input::spring::matches(&expr, &active) {
                    let f = sources.get(id);
                    let (line, _) = f.line_col(at.span.start);
                    c.skipped.push(crate::input::envfiles::Skipped {
                        file: format!("{}:{line}", f.display),
                        reason: if expr.chars().all(|ch| ch.is_alphanumeric() || "-_.".contains(ch)) {
                            format!("document for Spring profile {expr}, which is not active (--profile {expr} applies it)")
                        } else {
                            format!("document for Spring profiles `{expr}`, which do not match the active ones (--profile sets them)")
                        },
                    });
                    continue;
                }
            }
        }
        let doc = rails_block(doc, name, &opts.environment);
        let multi = if name == "database.yml" {
            rails_databases(doc)
        } else {
            None
        };
        let doc = match multi {
            None => doc,
            Some(dbs) => {
                let chosen = spec.pool_part.clone().unwrap_or_else(|| dbs[0].clone());
                if spec.pool_part.is_none() {
                    for db in dbs.iter().skip(1) {
                        if !c.pool_parts.contains(db) {
                            c.pool_parts.push(db.clone());
                        }
                    }
                }
                doc.get(&chosen).unwrap_or(&EMPTY)
            }
        };
        yaml_values(c, doc, scaling, sources);
    }
}

/// The value a service's env files give a variable (the last file that sets it wins), or
/// None when it is unset or refers to something poolcheck cannot resolve.
fn env_value(env_files: &[formats::env::EnvFile], var: &str) -> Option<String> {
    env_files
        .iter()
        .rev()
        .find_map(|f| f.get(var))
        .filter(|e| e.unresolved.is_empty())
        .and_then(|e| e.value.clone())
}

/// Rails reads one block of database.yml: the one named after `Rails.env`. The others
/// (development, test…) never open a connection in the environment checked.
fn rails_block<'n>(doc: &'n Node, name: &str, environment: &str) -> &'n Node {
    if name != "database.yml" {
        return doc;
    }
    environment_block(doc, environment)
}

/// The block of a Rails per-environment file (database.yml, cable.yml) for `environment`,
/// by name or by its canonical form (`prod` is production); empty when there is none.
pub(crate) fn environment_block<'n>(doc: &'n Node, environment: &str) -> &'n Node {
    let NodeKind::Map(entries) = &doc.kind else {
        return doc;
    };
    let wanted = crate::input::environment::canonical(environment);
    entries
        .iter()
        .find(|e| e.key == environment)
        .or_else(|| {
            entries
                .iter()
                .find(|e| crate::input::environment::canonical(&e.key) == wanted)
        })
        .map_or(&EMPTY, |e| &e.value)
}

/// The databases of a multi-database block (`production: { primary: {…}, cache: {…} }`, as
/// Rails 6+ and Rails 8's Solid Cache/Queue/Cable generate), in file order; None for a
/// single-database block (settings such as `adapter` or `pool` at its top).
/// <https://guides.rubyonrails.org/active_record_multiple_databases.html>
fn rails_databases(block: &Node) -> Option<Vec<String>> {
    let NodeKind::Map(entries) = &block.kind else {
        return None;
    };
    const SETTINGS: &[&str] = &["adapter", "database", "url", "pool", "host"];
    if entries.iter().any(|e| SETTINGS.contains(&e.key.as_str())) {
        return None;
    }
    let dbs: Vec<String> = entries
        .iter()
        .filter(|e| {
            matches!(&e.value.kind, NodeKind::Map(sub)
                if sub.iter().any(|s| SETTINGS.contains(&s.key.as_str())))
        })
        .map(|e| e.key.clone())
        .collect();
    (!dbs.is_empty()).then_some(dbs)
}

/// What a database.yml without a block for the environment contributes.
static EMPTY: Node = Node {
    kind: NodeKind::Map(Vec::new()),
    file: 0,
    span: Span { start: 0, end: 0 },
};

/// A chart: its values.yaml under the values files, merged as `helm -f` does.
fn read_chart(
    c: &mut Collector<'_>,
    dir: &std::path::Path,
    values: &[std::path::PathBuf],
    sources: &mut SourceSet,
    opts: &BuildOptions,
    scaling: &mut helm::Scaling,
) {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    if !dir.as_os_str().is_empty() {
        files.push(dir.join("values.yaml"));
    }
    files.extend(values.iter().cloned());
    let mut merged: Option<Node> = None;
    for path in files {
        if !path.exists() && path.file_name().is_some_and(|n| n == "values.yaml") {
            continue; // a chart without default values
        }
        let Some(id) = read_or_report(&path, sources, opts, &mut c.findings) else {
            continue;
        };
        let text = sources.get(id).text.clone();
        // Helm reads the first document of a values file, which must be a map.
        let name = path.file_name().map(|n| n.to_string_lossy());
        let name = name.as_deref().unwrap_or("values.yaml");
        match formats::yaml::parse_values(id, &text, name) {
            Ok(Some(doc)) => match &mut merged {
                None => merged = Some(doc),
                Some(m) => crate::input::config::merge(m, doc),
            },
            Ok(None) => {}
            Err(e) => c.findings.push(syntax_finding(e)),
        }
    }
    if let Some(values) = merged {
        yaml_values(c, &values, scaling, sources);
        c.chart_values = Some(values);
    }
}

/// Every .env entry, with `${VAR}` references resolved across the service's env files.
fn env_observations(
    c: &mut Collector<'_>,
    env_files: &mut [formats::env::EnvFile],
    sources: &SourceSet,
) {
    let dialects = c.dialects;
    for f in env_files.iter() {
        for e in &f.entries {
            let Some(value) = &e.value else { continue }; // empty = unset
            let m = dialects.match_env(&e.key);
            // An unset password (`postgresql://app:${POSTGRES_PASSWORD}@db/x`) hides nothing
            // about pools: the rest of the URL is read with the reference masked.
            let masked = !e.unresolved.is_empty()
                && formats::url::unset_only_in_userinfo(value, &e.unresolved);
            let unknown = !e.unresolved.is_empty() && !masked;
            let v = (!unknown).then(|| {
                let text = if masked {
                    formats::url::mask_references(value, &e.unresolved)
                } else {
                    value.clone()
                };
                (text, f.file, e.value_span)
            });
            let key_origin = Origin::file(f.file, e.value_span);
            c.entry(&e.key, m, v, key_origin, sources);
            if unknown {
                // `mysql2://shop:${DB_PASSWORD}@db/shop`: a reference poolcheck cannot
                // resolve (a secret, mostly) still leaves the scheme, which names the kind of
                // server; the rest of an unexpanded URL is not read.
                c.url_scheme(value, f.file, e.value_span);
            }
        }
    }
}

/// What a manifest gives the service: its containers' env after the env files (a container's
/// environment beats a dotenv file, which never overrides a set variable), and its pods.
fn deployed_observations(
    c: &mut Collector<'_>,
    spec: &ServiceSpec,
    scaling: &mut helm::Scaling,
    sources: &SourceSet,
) {
    let Some(d) = &spec.deployed else { return };
    let dialects = c.dialects;
    for v in &d.env {
        let m = dialects.match_env(&v.name);
        c.entry(&v.name, m, v.value.clone(), v.key_origin.clone(), sources);
    }
    let s = &d.scaling;
    if s.replicas.is_some() {
        scaling.replicas = s.replicas.clone();
    }
    if s.hpa.is_some() {
        scaling.hpa = s.hpa.clone();
    }
    if s.surge.is_some() {
        scaling.surge = s.surge.clone();
    }
    if s.per_node.is_some() {
        scaling.per_node = s.per_node.clone();
    }
    c.findings.extend(d.findings.iter().cloned());
}

/// `--set` file keys, as observations of the highest rank; returns the keys this service took.
fn apply_overrides(c: &mut Collector<'_>, opts: &BuildOptions) -> Vec<String> {
    let dialects = c.dialects;
    // A `--set` file key applies to this service only when its files hold that key, or when
    // the key belongs to the library this service uses; never to every service.
    let library = library_of(&c.obs, c.url_library);
    let mut taken = Vec::new();
    for (key, value) in &opts.overrides {
        let origin = Origin::Set {
            key: format!("{key}={}", crate::core::secrets::redact_value(key, value)),
        };
        let existing = c
            .obs
            .iter()
            .filter(|o| dialects::normalize(&o.key) == dialects::normalize(key))
            .max_by_key(|o| o.order)
            .cloned();
        if let Some(mut o) = existing {
            c.order += 1;
            o.text = Some(value.clone());
            o.origin = origin;
            o.rank = 4;
            o.order = c.order;
            c.obs.push(o);
            taken.push(key.clone());
        } else if let Some(m) = dialects
            .match_env(key)
            .or_else(|| dialects.match_url_param(key))
            .filter(|m| {
                !dialects::is_generic(&m.dialect.id) && Some(&m.dialect.id) == library.as_ref()
            })
        {
            c.push(m, key, Some(value.clone()), origin, 4);
            taken.push(key.clone());
        }
    }
    taken
}

/// Replicas, autoscaling maximum, surge and processes of a service, one precedence table.
struct Pods {
    replicas: Sourced<u32>,
    hpa_max: Option<Sourced<u32>>,
    surge: Sourced<Surge>,
    processes: Sourced<u32>,
}

fn pods_of(
    spec: &ServiceSpec,
    scaling: &helm::Scaling,
    replicas_obs: Option<Sourced<u32>>,
    processes_obs: Option<Sourced<u32>>,
) -> Pods {
    // One precedence table (core::origin): poolcheck.toml beats the deployed files; within the
    // files the autoscaler's range beats a fixed count, and a chart's values beat env keys.
    let (hpa_min, hpa_max_files) = match &scaling.hpa {
        Some((min, max)) => (min.clone(), Some(max.clone())),
        None => (None, None),
    };
    let replicas = choose([replicas_obs, scaling.replicas.clone(), hpa_min, spec.replicas.clone()])
        .unwrap_or_else(|| Sourced::new(1, Origin::Assumed { note: "replicas not set anywhere; assuming 1 (pass --replicas or set replicas in poolcheck.toml)".into() }));
    let hpa_max = choose([hpa_max_files, spec.max_replicas.clone()]);
    let surge = choose([scaling.surge.clone(), spec.surge.clone()]).unwrap_or_else(|| {
        Sourced::new(
            Surge::Percent(25),
            Origin::Default {
                note: "Kubernetes default maxSurge: 25%, rounded up".into(),
            },
        )
    });
    let processes = choose([processes_obs, spec.processes.clone()]).unwrap_or_else(|| {
        Sourced::new(
            1,
            Origin::Assumed {
                note: "one process per pod (set WEB_CONCURRENCY or processes in poolcheck.toml)"
                    .into(),
            },
        )
    });
    Pods {
        replicas,
        hpa_max,
        surge,
        processes,
    }
}

/// A service as read from its files.
pub struct Built {
    pub service: Service,
    pub findings: Vec<Finding>,
    /// `--set` file keys this service took.
    pub overrides_taken: Vec<String>,
    /// Every key its files hold, for "did you mean" suggestions.
    pub keys: Vec<String>,
    /// Process kinds besides web that its files tell apart (`Sidekiq.server?` in
    /// database.yml) when the service names none: each becomes a service of its own.
    pub components: std::collections::BTreeSet<String>,
    /// The other databases of a multi-database database.yml: each opens its own pool in
    /// every process, so each becomes a service of its own.
    pub pool_parts: Vec<String>,
    /// Its files configure a Redis pool too: a service of its own (`engine_part`).
    pub redis_part: bool,
    /// Documents of its files that do not apply (another Spring profile's).
    pub skipped: Vec<crate::input::envfiles::Skipped>,
    /// The max_connections its chart's bundled database is given.
    pub server_limit: Option<ServerLimit>,
}

fn yaml_values(
    c: &mut Collector<'_>,
    doc: &Node,
    scaling: &mut helm::Scaling,
    sources: &SourceSet,
) {
    let s = helm::scaling(doc);
    if s.replicas.is_some() {
        scaling.replicas = s.replicas;
    }
    if s.hpa.is_some() {
        scaling.hpa = s.hpa;
    }
    if s.surge.is_some() {
        scaling.surge = s.surge;
    }
    scaling.errors.extend(s.errors);
    // A chart's bundled PostgreSQL, or the values of a Bitnami postgresql release.
    if let Some(l) = super::server_limits::from_chart_values(doc, sources, &mut c.findings) {
        c.server_limit = Some(l);
    }
    for var in helm::env_vars(doc) {
        let m = c.dialects.match_env(&var.name);
        let key_origin = Origin::file(var.name_file, var.name_span);
        c.entry(&var.name, m, var.value, key_origin, sources);
    }
    c.walk(doc, &mut Vec::new(), true, sources);
}

/// The library whose keys dominate: the one that sets the pool size, else the latest
/// library-specific key, else what the URL's shape says.
fn library_of(obs: &[Observation], url_library: Option<&str>) -> Option<String> {
    // A key several libraries read names none of them.
    let obs = || obs.iter().filter(|o| o.claimants.is_empty());
    obs()
        .filter(|o| o.concept == Concept::PoolMax)
        .max_by_key(|o| (o.rank, o.order))
        .filter(|o| !dialects::is_generic(&o.dialect))
        .map(|o| o.dialect.clone())
        .or_else(|| {
            // A session key (`variables:` is a common word) never names the library alone.
            obs()
                .filter(|o| !dialects::is_generic(&o.dialect) && o.dialect != "user")
                .filter(|o| o.concept != Concept::SessionSetting)
                .max_by_key(|o| o.order)
                .map(|o| o.dialect.clone())
        })
        .or_else(|| url_library.map(String::from))
}

/// Keys several libraries read (`connect_timeout`: Prisma and pgx) are settled by the
/// library the rest of the service names: its preset or declared stack, its other keys, the
/// URL's shape, its manifest. Where nothing names one, the key stays unattributed (its value
/// still counts when every library reads it alike) and is returned, for PC011.
fn settle_claims(
    obs: &mut Vec<Observation>,
    known: Option<&str>,
    url_library: Option<&str>,
    manifest: Option<&str>,
) -> Vec<Ambiguous> {
    if obs.iter().all(|o| o.claimants.is_empty()) {
        return Vec::new();
    }
    let named = known
        .map(String::from)
        .or_else(|| library_of(obs, url_library))
        .or(manifest.map(String::from));
    let mut out = Vec::new();
    obs.retain_mut(|o| {
        if o.claimants.is_empty() {
            return true;
        }
        if let Some(lib) = &named {
            if let Some((id, library, def)) = o.claimants.iter().find(|(id, ..)| id == lib) {
                o.dialect = id.clone();
                o.library = library.clone();
                o.def = def.clone();
                o.concept = def.concept;
            }
            o.claimants.clear();
            return true;
        }
        out.push(Ambiguous {
            key: o.key.clone(),
            ids: o.claimants.iter().map(|c| c.0.clone()).collect(),
            libraries: o.claimants.iter().map(|c| c.1.clone()).collect(),
            origin: o.origin.clone(),
        });
        // Read alike by every candidate, the value stands; only the library is open.
        o.claimants
            .iter()
            .all(|(_, _, d)| d.concept == o.def.concept && d.unit == o.def.unit)
    });
    out
}

/// One value per concept for the pool, plus the per-pod figures keys may also give.
struct Resolved {
    pool: PoolConfig,
    processes: Option<Sourced<u32>>,
    /// The key the processes were read from (WEB_CONCURRENCY, puma.workers…).
    processes_key: Option<String>,
    replicas: Option<Sourced<u32>>,
    findings: Vec<Finding>,
}

/// Keys that count a web server's worker processes (Puma, Gunicorn, Uvicorn), as the generic
/// dialect in rules/dialects.toml names them.
fn web_server_processes(key: &str) -> bool {
    [
        "WEB_CONCURRENCY",
        "PUMA_WORKERS",
        "puma.workers",
        "GUNICORN_WORKERS",
        "gunicorn.workers",
        "UVICORN_WORKERS",
    ]
    .contains(&key)
}

/// One value per concept: the best-ranked observation, read through its key's unit; absent
/// concepts take the library's documented default.
fn resolve(
    obs: Vec<Observation>,
    dialects: &Dialects,
    app_library: Option<&str>,
    url_library: Option<&str>,
    opts: &BuildOptions,
) -> Resolved {
    let mut pool = PoolConfig::default();
    let mut findings = Vec::new();
    let best = |concept: Concept| -> Option<&Observation> {
        obs.iter()
            .filter(|o| o.concept == concept)
            .max_by_key(|o| (o.rank, o.order))
    };
    let library_id = app_library
        .map(String::from)
        .or_else(|| library_of(&obs, url_library));
    let library = library_id.as_deref().and_then(|id| dialects.get(id));
    pool.library = library.map(|d| d.library.clone());

    for o in &obs {
        if o.def.unit.is_duration() || o.def.unit == Unit::Count {
            if let Some(text) = &o.text {
                pool.raw.push(RawValue {
                    concept: o.concept,
                    key: o.key.clone(),
                    text: text.clone(),
                    unit: o.def.unit,
                    library: o.library.clone(),
                    origin: o.origin.clone(),
                });
            }
        }
    }

    let mut processes = None;
    let mut processes_key = None;
    let mut replicas = None;
    for concept in [
        Concept::PoolMax,
        Concept::PoolOverflow,
        Concept::PoolMin,
        Concept::AcquireTimeout,
        Concept::IdleTimeout,
        Concept::MaxLifetime,
        Concept::ConnectTimeout,
        Concept::StatementCache,
        Concept::PreparedStatements,
        Concept::Pgbouncer,
        Concept::Processes,
        Concept::Replicas,
        Concept::DatabaseUrl,
        Concept::ServerKind,
    ] {
        let Some(o) = best(concept) else { continue };
        match concept {
            Concept::PoolMax => {
                pool.max = count_of(o, &mut findings);
                pool.max_invalid = pool.max.is_none();
            }
            Concept::PoolOverflow => pool.overflow = count_of(o, &mut findings),
            Concept::PoolMin => pool.min = u32_of(o, &mut findings),
            Concept::AcquireTimeout => pool.acquire_timeout = duration_of(o, &mut findings),
            Concept::IdleTimeout => pool.idle_timeout = duration_of(o, &mut findings),
            Concept::MaxLifetime => pool.max_lifetime = duration_of(o, &mut findings),
            Concept::ConnectTimeout => pool.connect_timeout = duration_of(o, &mut findings),
            Concept::StatementCache => pool.statement_cache = u32_of(o, &mut findings),
            Concept::PreparedStatements => pool.prepared_statements = bool_of(o, &mut findings),
            Concept::Pgbouncer => pool.pgbouncer = bool_of(o, &mut findings),
            Concept::Processes => {
                processes = bounded_of(o, &mut findings, limits::processes).filter(|p| p.value > 0);
                processes_key = Some(o.key.clone());
            }
            Concept::Replicas => replicas = bounded_of(o, &mut findings, limits::pods),
            Concept::DatabaseUrl => {
                pool.url = o
                    .text
                    .as_ref()
                    .map(|t| Sourced::new(crate::core::secrets::redact_url(t), o.origin.clone()))
            }
            // The kind of server when no URL scheme names it (build_service prefers the URL's).
            Concept::ServerKind => {
                pool.url_engine = o
                    .text
                    .as_deref()
                    .and_then(crate::core::engine::Engine::from_adapter)
                    .map(|e| Sourced::new(e, o.origin.clone()))
            }
            _ => {}
        }
    }

    session_state(&mut pool, &obs, library_id.as_deref(), &mut findings);
    if let Some(lib) = library {
        apply_defaults(&mut pool, lib, opts);
    }
    Resolved {
        pool,
        processes,
        processes_key,
        replicas,
        findings,
    }
}

/// Session state and transactions, read only from the library in use (a `variables:` map in
/// another stack's YAML is not ActiveRecord's) or from the generic keys every PostgreSQL
/// client reads (libpq's `options`, PGOPTIONS).
fn session_state(
    pool: &mut PoolConfig,
    obs: &[Observation],
    library: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    let own =
        |o: &&Observation| dialects::is_generic(&o.dialect) || Some(o.dialect.as_str()) == library;
    for o in obs
        .iter()
        .filter(|o| o.concept == Concept::SessionSetting)
        .filter(own)
    {
        let Some(text) = o.text.as_deref().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let params = match o.def.unit {
            Unit::PgOptions => super::session::pg_options_params(text),
            Unit::Sql => super::session::sql_params(text),
            Unit::Names => text
                .split(',')
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
            _ => o.def.sets.iter().cloned().collect(),
        };
        if !params.is_empty() {
            pool.session_settings.push(super::session::SessionSetting {
                key: o.key.clone(),
                params,
                startup: o.def.unit == Unit::PgOptions,
                origin: o.origin.clone(),
            });
        }
    }
    let best = |concept: Concept| {
        obs.iter()
            .filter(|o| o.concept == concept)
            .filter(own)
            .max_by_key(|o| (o.rank, o.order))
    };
    if let Some(o) = best(Concept::AdvisoryLocks) {
        pool.advisory_locks = bool_of(o, findings);
    }
    // autoCommit false: every connection handed out is already inside a transaction.
    if let Some(o) = best(Concept::Autocommit) {
        pool.transactions = bool_of(o, findings).map(|b| Sourced::new(!b.value, b.origin));
    }
}

fn invalid(o: &Observation, msg: String, findings: &mut Vec<Finding>) {
    let f = Finding::new(
        Code::PC002,
        format!("{} `{}`: {msg}", o.concept.describe(), o.key),
        format!("set {} to a valid value", o.key),
    );
    findings.push(f.cite(&o.origin, msg));
}

fn count_of(o: &Observation, findings: &mut Vec<Finding>) -> Option<Sourced<PoolMax>> {
    let Some(text) = &o.text else {
        return Some(Sourced::new(PoolMax::Unknown, o.origin.clone()));
    };
    match text.trim().parse::<i64>() {
        Ok(n) if n < 0 && o.def.negative == Some(Special::Unbounded) => {
            Some(Sourced::new(PoolMax::Unbounded, o.origin.clone()))
        }
        Ok(0) if o.def.zero == Some(Special::Unbounded) => {
            Some(Sourced::new(PoolMax::Unbounded, o.origin.clone()))
        }
        Ok(n) if (0..=1_000_000).contains(&n) => {
            Some(Sourced::new(PoolMax::Fixed(n as u32), o.origin.clone()))
        }
        _ => {
            invalid(
                o,
                format!(
                    "`{}` is not a connection count (a whole number from 0 to 1000000)",
                    crate::core::secrets::clip(text, 48)
                ),
                findings,
            );
            None
        }
    }
}

fn u32_of(o: &Observation, findings: &mut Vec<Finding>) -> Option<Sourced<u32>> {
    match count_of(o, findings)?.value {
        PoolMax::Fixed(n) => Some(Sourced::new(n, o.origin.clone())),
        _ => None,
    }
}

fn duration_of(o: &Observation, findings: &mut Vec<Finding>) -> Option<Sourced<dialects::Timeout>> {
    let text = o.text.as_ref()?;
    match dialects::read_duration(text, &o.def) {
        Ok(t) => Some(Sourced::new(t, o.origin.clone())),
        Err(msg) => {
            invalid(o, msg, findings);
            None
        }
    }
}

fn bool_of(o: &Observation, findings: &mut Vec<Finding>) -> Option<Sourced<bool>> {
    let text = o.text.as_ref()?;
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(Sourced::new(true, o.origin.clone())),
        "false" | "0" | "no" | "off" => Some(Sourced::new(false, o.origin.clone())),
        _ => {
            invalid(
                o,
                format!(
                    "`{}` is not a boolean (true or false)",
                    crate::core::secrets::clip(text, 48)
                ),
                findings,
            );
            None
        }
    }
}

/// A count of pods or processes, within the model's plausibility caps.
fn bounded_of(
    o: &Observation,
    findings: &mut Vec<Finding>,
    check: fn(u64) -> Result<u32, String>,
) -> Option<Sourced<u32>> {
    let v = u32_of(o, findings)?;
    match check(u64::from(v.value)) {
        Ok(n) => Some(Sourced::new(n, v.origin)),
        Err(m) => {
            invalid(o, m, findings);
            None
        }
    }
}

/// Concepts the files leave out take the library's documented default, with that Origin.
fn apply_defaults(
    pool: &mut PoolConfig,
    lib: &crate::input::dialects::Dialect,
    opts: &BuildOptions,
) {
    for d in &lib.defaults {
        let origin = Origin::Default {
            note: d.note.clone(),
        };
        let timeout = || match d.value.as_str() {
            "infinite" => Some(dialects::Timeout::Infinite),
            v => crate::core::units::parse_duration(v)
                .ok()
                .map(dialects::Timeout::Finite),
        };
        match d.concept {
            // A pool max written but unreadable (PC002) stays unknown: the default would be
            // a number the user did not write.
            Concept::PoolMax if pool.max.is_none() && !pool.max_invalid => {
                let v = match d.value.as_str() {
                    "unbounded" => Some(PoolMax::Unbounded),
                    // An application's pool is its client library's (Umami's is Prisma's).
                    "host_cpus" => Some(PoolMax::HostCpus {
                        assumed: host_cpu_pool(
                            super::presets::get(&lib.id)
                                .and_then(|p| p.client.as_deref())
                                .unwrap_or(&lib.id),
                            opts.assume_host_cpus,
                        ),
                    }),
                    v => v.parse().ok().map(PoolMax::Fixed),
                };
                pool.max = v.map(|v| Sourced::new(v, origin));
            }
            Concept::PoolOverflow if pool.overflow.is_none() => {
                pool.overflow = d
                    .value
                    .parse()
                    .ok()
                    .map(|v| Sourced::new(PoolMax::Fixed(v), origin));
            }
            Concept::AcquireTimeout if pool.acquire_timeout.is_none() => {
                pool.acquire_timeout = timeout().map(|t| Sourced::new(t, origin))
            }
            Concept::IdleTimeout if pool.idle_timeout.is_none() => {
                pool.idle_timeout = timeout().map(|t| Sourced::new(t, origin))
            }
            Concept::MaxLifetime if pool.max_lifetime.is_none() => {
                pool.max_lifetime = timeout().map(|t| Sourced::new(t, origin))
            }
            Concept::StatementCache if pool.statement_cache.is_none() => {
                pool.statement_cache = d.value.parse().ok().map(|v| Sourced::new(v, origin))
            }
            Concept::PreparedStatements if pool.prepared_statements.is_none() => {
                pool.prepared_statements = Some(Sourced::new(d.value == "true", origin))
            }
            Concept::AdvisoryLocks if pool.advisory_locks.is_none() => {
                pool.advisory_locks = Some(Sourced::new(d.value == "true", origin))
            }
            Concept::Transactions if pool.transactions.is_none() => {
                pool.transactions = Some(Sourced::new(d.value == "true", origin))
            }
            _ => {}
        }
    }
}

/// What a host-CPU-derived default comes to on a host with `cpus` CPUs.
fn host_cpu_pool(library: &str, cpus: u32) -> u32 {
    match library {
        "prisma" => cpus * 2 + 1,
        "pgx" => cpus.max(4),
        // https://github.com/redis/go-redis/blob/master/options.go: 10 × GOMAXPROCS
        "go-redis" => cpus * 10,
        _ => cpus,
    }
}

/// Reads a file into `sources` (once per path) through [`crate::input::read::read`]: only a
/// regular file of at most `max_file_size` bytes; otherwise why not (a PC005 finding).
pub fn read_source(
    path: &std::path::Path,
    sources: &mut SourceSet,
    max_file_size: u64,
) -> Result<FileId, crate::input::read::Problem> {
    if let Some(id) = sources.find(path) {
        return Ok(id);
    }
    let text = crate::input::read::read(path, None, max_file_size)?;
    Ok(sources.add(SourceFile::new(
        path,
        crate::core::source::display_path(path),
        text,
    )))
}

/// [`read_source`], or None with its PC005 finding pushed to `findings`.
fn read_or_report(
    path: &std::path::Path,
    sources: &mut SourceSet,
    opts: &BuildOptions,
    findings: &mut Vec<Finding>,
) -> Option<FileId> {
    match read_source(path, sources, opts.max_file_size) {
        Ok(id) => Some(id),
        Err(p) => {
            let cap = opts.max_file_size;
            findings.push(crate::input::read::finding(path, &p, sources, cap));
            None
        }
    }
}

fn syntax_finding(e: formats::ParseError) -> Finding {
    let help = e
        .help
        .clone()
        .unwrap_or_else(|| "fix the syntax; the rest of this file was not read".into());
    Finding::new(Code::PC001, e.message.clone(), help).at(e.file, e.span, e.message)
}

#[cfg(test)]
mod tests {
    use super::web_server_processes;

    #[test]
    fn web_server_worker_counts_are_told_from_other_process_keys() {
        for key in [
            "WEB_CONCURRENCY",
            "PUMA_WORKERS",
            "puma.workers",
            "GUNICORN_WORKERS",
        ] {
            assert!(web_server_processes(key), "{key}");
        }
        for key in [
            "SIDEKIQ_CONCURRENCY",
            "SENTRY_WEB_OPTIONS.workers",
            "concurrency",
        ] {
            assert!(!web_server_processes(key), "{key}");
        }
    }
}
