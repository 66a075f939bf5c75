//! poolcheck.toml: servers, services with their files, key mappings, rule settings and
//! environments. Validated against schemas/poolcheck.schema.json; errors point at the line.

use crate::core::error::{ToolError, ToolResult};
use crate::core::origin::{Layer, Origin};
use crate::core::severity::Severity;
use crate::core::source::{FileId, SourceFile, SourceSet, Span};
use crate::input::dialects::{Concept, Special, Unit};
use crate::input::formats::{Node, NodeKind, Scalar};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "poolcheck.toml";
const SCHEMA: &str = include_str!("../../schemas/poolcheck.schema.json");

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub fail_on: Option<Severity>,
    /// Largest input file read, in bytes (default 16 MiB).
    pub max_file_size: Option<u64>,
    /// CPUs assumed for pools sized from the host's CPUs (Prisma, pgx defaults).
    pub assume_host_cpus: Option<u32>,
    #[serde(default)]
    pub servers: BTreeMap<String, ServerCfg>,
    #[serde(default)]
    pub services: BTreeMap<String, ServiceCfg>,
    #[serde(default)]
    pub poolers: BTreeMap<String, PoolerCfg>,
    #[serde(default)]
    pub keys: BTreeMap<String, KeyMapCfg>,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleCfg>,
    /// Spring profiles active for the run (usually set per `[env.NAME]`).
    #[serde(default)]
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerCfg {
    /// postgres (default), mysql, mariadb or redis.
    pub kind: Option<crate::core::engine::Engine>,
    pub max_connections: Option<u32>,
    /// Total slots the application may not use; replaces the three parts below.
    pub reserved: Option<u32>,
    pub superuser_reserved_connections: Option<u32>,
    pub reserved_connections: Option<u32>,
    pub operator_reserve: Option<u32>,
    pub cores: Option<u32>,
    /// MySQL / MariaDB wait_timeout in seconds (default 28800): idle connections are closed.
    pub wait_timeout: Option<u64>,
    /// Redis `timeout` in seconds (default 0, never): idle clients are closed.
    pub timeout: Option<u64>,
    /// A postgres:// URL to read the live limits from (`verify --probe` does the same).
    pub probe: Option<String>,
    #[serde(default)]
    pub roles: BTreeMap<String, u32>,
    #[serde(default)]
    pub databases: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCfg {
    pub server: Option<String>,
    #[serde(default)]
    pub files: Vec<String>,
    pub chart: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
    pub replicas: Option<u32>,
    pub max_replicas: Option<u32>,
    pub max_surge: Option<SurgeCfg>,
    pub processes: Option<u32>,
    pub role: Option<String>,
    pub database: Option<String>,
    pub workload: Option<WorkloadCfg>,
    /// The process kind (web, sidekiq) this service runs.
    pub component: Option<String>,
    /// The library or application whose keys and defaults apply (`prisma`, `mattermost`),
    /// where the files leave it open: a dialect id of rules/dialects.toml or a preset id.
    pub stack: Option<String>,
    /// The pooler (`[poolers.NAME]`) the service connects through.
    pub via: Option<String>,
}

/// A pooler between services and a server (see `model::pooler`); its settings come from
/// its files, over which the keys here win.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolerCfg {
    /// pgbouncer (default), pgcat, pgdog, …: the schema lists them; the model types it.
    pub kind: Option<String>,
    /// pgbouncer.ini, an env file, or a compose file whose PgBouncer service sets them.
    #[serde(default)]
    pub files: Vec<String>,
    /// Instances (pods or processes), each with its own pools.
    pub replicas: Option<u32>,
    /// PgBouncer processes per pod sharing one port with `so_reuseport = 1`; each has its own
    /// pools, so the server side is multiplied by replicas × processes.
    pub processes: Option<u32>,
    pub server: Option<String>,
    /// `host:port` addresses clients reach it at.
    #[serde(default)]
    pub listen: Vec<String>,
    pub version: Option<String>,
    pub pool_mode: Option<String>,
    pub default_pool_size: Option<u32>,
    pub reserve_pool_size: Option<u32>,
    pub max_client_conn: Option<u32>,
    pub max_db_connections: Option<u32>,
    pub max_user_connections: Option<u32>,
    pub max_prepared_statements: Option<u32>,
    /// Seconds, as pgbouncer.ini writes it.
    pub query_wait_timeout: Option<f64>,
    /// RDS Proxy's MaxConnectionsPercent: its pool as a share of the server's max_connections.
    pub max_connections_percent: Option<u32>,
    /// PgBouncer's admin console (`postgres://USER@HOST:6432/pgbouncer`): its live settings
    /// replace the configured ones in verify.
    pub probe: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SurgeCfg {
    Pods(u32),
    Text(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadCfg {
    pub rps: f64,
    #[serde(default)]
    pub queries_per_request: Option<f64>,
    pub query_time: String,
    #[serde(default)]
    pub per_request_hold: bool,
    pub arrival_cv2: Option<f64>,
    pub hold_cv2: Option<f64>,
    pub target_p99_wait: Option<String>,
    pub target_wait_probability: Option<f64>,
    pub target_timeout_probability: Option<f64>,
    pub target_utilization: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyMapCfg {
    pub concept: Concept,
    #[serde(default = "default_unit")]
    pub unit: Unit,
    pub zero: Option<Special>,
    pub negative: Option<Special>,
}

fn default_unit() -> Unit {
    Unit::Count
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleCfg {
    /// A severity, or "off" to disable the rule.
    pub severity: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
}

/// A loaded poolcheck.toml: the typed config (with the environment applied), the span tree for
/// locating values, and the file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub tree: Node,
    pub file: FileId,
    pub dir: PathBuf,
    /// Spans of the values that the selected `[env.NAME]` table set, so their origins rank as
    /// the environment layer of the precedence table.
    pub env_spans: std::collections::HashSet<(usize, usize)>,
}

impl Loaded {
    /// Span of the value at a dotted path (e.g. ["servers", "main", "max_connections"]).
    pub fn span_of(&self, path: &[&str]) -> Option<Span> {
        let mut node = &self.tree;
        for seg in path {
            node = node.get(seg)?;
        }
        Some(node.span)
    }

    pub fn origin(&self, path: &[&str]) -> Origin {
        match self.span_of(path) {
            Some(span) => self.origin_at(span),
            None => Origin::Assumed {
                note: format!("{FILE_NAME} {}", path.join(".")),
            },
        }
    }

    /// The origin of a value of this file at `span` (found in [`Loaded::tree`]).
    pub fn origin_at(&self, span: Span) -> Origin {
        Origin::File {
            file: self.file,
            span,
            layer: if self.env_spans.contains(&(span.start, span.end)) {
                Layer::Environment
            } else {
                Layer::Config
            },
        }
    }

    /// Resolves a path written in poolcheck.toml relative to the file's directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }
}

/// Finds poolcheck.toml in `start` or its parents. Anything by that name counts (a FIFO, a
/// dangling link…), so [`load`] reports it instead of a parent's file being used silently.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if std::fs::symlink_metadata(&candidate).is_ok() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads (a regular file of at most `max_file_size` bytes, see [`crate::input::read`]),
/// merges the environment `env` over the base, validates and deserializes.
pub fn load(
    path: &Path,
    env: Option<&str>,
    sources: &mut SourceSet,
    max_file_size: u64,
) -> ToolResult<Loaded> {
    let display = crate::core::source::display_path(path);
    let root = crate::input::read::named_root(path);
    let text = crate::input::read::read(path, root.as_deref(), max_file_size).map_err(|p| {
        ToolError::new(format!("{display}: {}", p.message())).with_help(format!(
            "{}; --no-config ignores poolcheck.toml",
            p.help(max_file_size)
        ))
    })?;
    let file = sources.add(SourceFile::new(path, display.clone(), text.as_str()));
    let located = |span: Span, message: String, help: &str| -> ToolError {
        let (line, col) = sources.get(file).line_col(span.start);
        ToolError::new(format!("{display}:{line}:{col}: {message}")).with_help(help.to_string())
    };
    let root = crate::input::formats::toml::parse(file, &text)
        .map_err(|e| located(e.span, e.message, "fix the TOML syntax of poolcheck.toml"))?;
    // Validate before merging so a typo in an environment that is not selected still fails;
    // every mistake is reported at once, each at its own line.
    let problems = validate(&to_json(&root), &root, &text);
    if let Some(e) = ToolError::many(
        problems
            .into_iter()
            .map(|(span, msg, help)| located(span, msg, &help))
            .collect(),
    ) {
        return Err(e);
    }
    let (tree, env_spans) =
        apply_env(root, env).map_err(|(span, msg, help)| located(span, msg, &help))?;
    let json = to_json(&tree);
    let config: Config = serde_json::from_value(json).map_err(|e| {
        located(
            tree.span,
            format!("invalid poolcheck.toml: {e}"),
            "see the poolcheck.toml reference in README.md",
        )
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Loaded {
        config,
        tree,
        file,
        dir,
        env_spans,
    })
}

/// Applies `[env.NAME]` over the base document (maps merge, other values replace) and drops
/// the `env` table, so everything downstream sees one config.
type EnvSpans = std::collections::HashSet<(usize, usize)>;

fn apply_env(mut root: Node, env: Option<&str>) -> Result<(Node, EnvSpans), Problem> {
    let envs = take_key(&mut root, "env");
    let Some(name) = env else {
        return Ok((root, EnvSpans::new()));
    };
    let define = "define the environment as [env.NAME] in poolcheck.toml".to_string();
    let Some(envs) = envs else {
        return Err((
            root.span,
            format!("environment `{name}` is not defined: poolcheck.toml has no [env] tables"),
            define,
        ));
    };
    let Some(overlay) = envs.get(name).cloned() else {
        let known: Vec<String> = match &envs.kind {
            NodeKind::Map(es) => es.iter().map(|e| e.key.clone()).collect(),
            _ => vec![],
        };
        let help = match crate::core::text::close_matches(name, &known, 1).first() {
            Some(near) => format!("did you mean {near}? Or {define}"),
            None => define,
        };
        return Err((
            envs.span,
            format!(
                "environment `{name}` is not defined (defined: {})",
                known.join(", ")
            ),
            help,
        ));
    };
    let mut spans = EnvSpans::new();
    collect_spans(&overlay, &mut spans);
    merge(&mut root, overlay);
    Ok((root, spans))
}

fn collect_spans(node: &Node, out: &mut EnvSpans) {
    out.insert((node.span.start, node.span.end));
    match &node.kind {
        NodeKind::Map(es) => es.iter().for_each(|e| collect_spans(&e.value, out)),
        NodeKind::Seq(items) => items.iter().for_each(|n| collect_spans(n, out)),
        NodeKind::Scalar(_) => {}
    }
}

fn take_key(node: &mut Node, key: &str) -> Option<Node> {
    if let NodeKind::Map(entries) = &mut node.kind {
        if let Some(i) = entries.iter().position(|e| e.key == key) {
            return Some(entries.remove(i).value);
        }
    }
    None
}

/// Maps merge recursively; anything else replaces (Helm's and our environments' semantics).
pub fn merge(base: &mut Node, overlay: Node) {
    match (&mut base.kind, overlay.kind) {
        (NodeKind::Map(bs), NodeKind::Map(os)) => {
            for o in os {
                match bs.iter_mut().find(|b| b.key == o.key) {
                    Some(b) => {
                        if matches!(o.value.kind, NodeKind::Scalar(Scalar::Null)) {
                            // Helm: null deletes the key.
                            b.value = o.value;
                        } else {
                            merge(&mut b.value, o.value);
                        }
                    }
                    None => bs.push(o),
                }
            }
        }
        (_, kind) => {
            base.kind = kind;
            base.file = overlay.file;
            base.span = overlay.span;
        }
    }
}

pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match &node.kind {
        NodeKind::Scalar(Scalar::Str(s)) => Value::String(s.clone()),
        NodeKind::Scalar(Scalar::Int(i)) => Value::from(*i),
        NodeKind::Scalar(Scalar::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        NodeKind::Scalar(Scalar::Bool(b)) => Value::Bool(*b),
        NodeKind::Scalar(Scalar::Null) => Value::Null,
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}

/// The node at a JSON pointer (`/services/api/replicas`), for mapping schema errors to spans.
pub fn node_at<'a>(root: &'a Node, pointer: &str) -> &'a Node {
    let mut node = root;
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let next = match &node.kind {
            NodeKind::Map(_) => node.get(&seg),
            NodeKind::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
            NodeKind::Scalar(_) => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// Every float that is not finite (`nan`, `inf`, or `1e400`, which overflows): its JSON
/// pointer and node. JSON has no such numbers, so the schema would see null.
fn all_non_finite<'a>(node: &'a Node, path: &mut Vec<String>, out: &mut Vec<(String, &'a Node)>) {
    match &node.kind {
        NodeKind::Scalar(Scalar::Float(f)) if !f.is_finite() => {
            let pointer = path
                .iter()
                .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
                .collect();
            out.push((pointer, node));
        }
        NodeKind::Scalar(_) => {}
        NodeKind::Map(entries) => {
            for e in entries {
                path.push(e.key.clone());
                all_non_finite(&e.value, path, out);
                path.pop();
            }
        }
        NodeKind::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                path.push(i.to_string());
                all_non_finite(n, path, out);
                path.pop();
            }
        }
    }
}

/// What the schema allows at the keyword `schema_path` failed on, in words ("a whole number
/// from 1 to 1000000"), following local `$ref`s.
fn allowed(schema: &serde_json::Value, schema_path: &str) -> Option<String> {
    let segs: Vec<&str> = schema_path.split('/').skip(1).collect();
    let mut node = schema;
    for seg in &segs[..segs.len().saturating_sub(1)] {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        node = if seg == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
            schema.pointer(target)?
        } else {
            match node {
                serde_json::Value::Object(m) => m.get(&seg)?,
                serde_json::Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            }
        };
    }
    if let Some(target) = node.get("$ref").and_then(|r| r.as_str()?.strip_prefix('#')) {
        node = schema.pointer(target)?;
    }
    let what = match node.get("type")?.as_str()? {
        "integer" => "a whole number",
        "number" => "a number",
        _ => return None,
    };
    let num = |k: &str| node.get(k).and_then(|v| v.as_f64());
    Some(
        match (
            num("minimum"),
            num("maximum"),
            num("exclusiveMinimum"),
            num("exclusiveMaximum"),
        ) {
            (Some(lo), Some(hi), _, _) => format!("{what} from {lo} to {hi}"),
            (_, _, Some(lo), Some(hi)) => format!("{what} between {lo} and {hi}, exclusive"),
            (Some(lo), None, _, _) => format!("{what} of at least {lo}"),
            (None, None, Some(lo), _) => format!("{what} above {lo}"),
            (None, Some(hi), _, _) => format!("{what} of at most {hi}"),
            _ => what.to_string(),
        },
    )
}

/// A problem found by validation: where, what is wrong, what to do.
type Problem = (Span, String, String);

/// Validates the config against the schema: every problem, in file order, at most one per
/// place (the deepest, most specific one).
fn validate(json: &serde_json::Value, tree: &Node, text: &str) -> Vec<Problem> {
    let schema: serde_json::Value =
        serde_json::from_str(SCHEMA).expect("schema is valid JSON (tested)");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles (tested)");
    let errors: Vec<_> = validator.iter_errors(json).collect();
    let mut problems: Vec<Problem> = Vec::new();
    let mut non_finite = Vec::new();
    all_non_finite(tree, &mut Vec::new(), &mut non_finite);
    for (pointer, node) in &non_finite {
        // The position names the table; the key and the value as written say the rest.
        let key = pointer.rsplit('/').next().unwrap_or("").replace("~1", "/");
        let key = key.replace("~0", "~");
        let written = text.get(node.span.start..node.span.end).unwrap_or("?");
        let range = errors
            .iter()
            .find(|e| e.instance_path().as_str() == pointer)
            .and_then(|e| allowed(&schema, e.schema_path().as_str()))
            .unwrap_or_else(|| "a finite number".into());
        problems.push((
            node.span,
            format!("`{key} = {written}` is not a finite number"),
            format!("write {range}"),
        ));
    }
    let pointers: Vec<String> = errors
        .iter()
        .map(|e| e.instance_path().as_str().to_string())
        .collect();
    for (i, e) in errors.iter().enumerate() {
        let pointer = &pointers[i];
        if non_finite.iter().any(|(p, _)| p == pointer) {
            continue;
        }
        // A deeper error under this place says more ("replicas: -1 is less than 0" beats
        // "services.api is not valid under any of the schemas").
        let prefix = format!("{pointer}/");
        if pointers.iter().any(|p| p.starts_with(&prefix)) {
            continue;
        }
        let node = node_at(tree, pointer);
        let at = if pointer.is_empty() {
            "poolcheck.toml".to_string()
        } else {
            pointer.trim_start_matches('/').replace('/', ".")
        };
        if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
            e.kind()
        {
            let known = properties_at(&schema, e.schema_path().as_str());
            for key in unexpected {
                problems.push(unknown_key(node, &at, key, &known));
            }
            continue;
        }
        problems.push((
            node.span,
            format!("invalid value at `{at}`: {e}"),
            "see the poolcheck.toml reference in README.md".into(),
        ));
    }
    problems.sort_by_key(|p| (p.0.start, p.1.clone()));
    problems.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    problems
}

/// `replica = 3` under [services.api]: located at the key, with the nearest allowed key.
fn unknown_key(table: &Node, at: &str, key: &str, known: &[String]) -> Problem {
    let span = match &table.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find(|e| e.key == key)
            .map_or(table.span, |e| e.key_span),
        _ => table.span,
    };
    let table = if at == "poolcheck.toml" {
        "at the top level".to_string()
    } else {
        format!("in [{at}]")
    };
    let help = match crate::core::text::close_matches(key, known, 1).first() {
        Some(near) => format!("did you mean {near}?"),
        None if known.is_empty() => {
            "remove it; see the poolcheck.toml reference in README.md".to_string()
        }
        None => format!("remove it, or use one of: {}", known.join(", ")),
    };
    (span, format!("unknown key `{key}` {table}"), help)
}

/// The property names the schema object at `schema_path` (an additionalProperties keyword)
/// allows, following local `$ref`s.
fn properties_at(schema: &serde_json::Value, schema_path: &str) -> Vec<String> {
    fn deref<'a>(schema: &'a serde_json::Value, n: &'a serde_json::Value) -> &'a serde_json::Value {
        n.get("$ref")
            .and_then(|r| r.as_str()?.strip_prefix('#'))
            .and_then(|t| schema.pointer(t))
            .unwrap_or(n)
    }
    let segs: Vec<String> = schema_path
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut node = schema;
    for seg in &segs[..segs.len().saturating_sub(1)] {
        if seg == "$ref" {
            node = deref(schema, node);
            continue;
        }
        let next = match node {
            serde_json::Value::Object(m) => m.get(seg),
            serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => return Vec::new(),
        }
    }
    deref(schema, node)
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    /// Loads a poolcheck.toml; the error as (message, help).
    fn load_err(text: &str) -> (String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("poolcheck.toml");
        std::fs::write(&path, text).unwrap();
        let mut sources = crate::core::source::SourceSet::default();
        let e = super::load(&path, None, &mut sources, 1 << 20).unwrap_err();
        let message = e.message.split_once(": ").unwrap().1.to_string();
        let at = e.message.split_once(": ").unwrap().0;
        assert!(at.ends_with("poolcheck.toml:2:19"), "{at}");
        (message, e.help.unwrap())
    }

    #[test]
    fn non_finite_numbers_name_the_key_the_value_and_the_range() {
        for v in ["1e400", "nan", "inf", "-inf", "+nan"] {
            let (message, help) = load_err(&format!("[servers.main]\nmax_connections = {v}\n"));
            assert_eq!(
                message,
                format!("`max_connections = {v}` is not a finite number")
            );
            assert_eq!(help, "write a whole number from 1 to 1000000");
        }
        let (message, help) = load_err("[servers.main]\nreserved =        inf\n");
        assert_eq!(message, "`reserved = inf` is not a finite number");
        assert_eq!(
            help, "write a whole number from 0 to 1000000",
            "through $ref"
        );
        let (_, help) =
            load_err("[services.api.workload]\nrps =             nan\nquery_time = \"5ms\"\n");
        assert_eq!(help, "write a number above 0");
    }

    #[test]
    fn schema_compiles() {
        let schema: serde_json::Value = serde_json::from_str(super::SCHEMA).unwrap();
        assert!(jsonschema::validator_for(&schema).is_ok());
    }
}
