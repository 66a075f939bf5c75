//! docker compose files into services: each compose service whose environment talks to a
//! database becomes a service of the model, its env and replicas pointing at their lines.
//!
//! As `docker compose` reads them (<https://docs.docker.com/reference/compose-file/>):
//! several files merge in order (`-f a -f b`: maps merge, `environment` per variable,
//! `env_file` lists append, other fields are replaced; `!reset` drops a field and `!override`
//! replaces instead of merging, <https://docs.docker.com/reference/compose-file/merge/>);
//! `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR:+alt}` and `$$`
//! are interpolated from the `.env` beside the first file
//! (<https://docs.docker.com/reference/compose-file/interpolation/>); `environment` beats
//! `env_file`; a service with `profiles` runs only when one of them is active
//! (`--profile`, or `COMPOSE_PROFILES` in that `.env`); `extends` starts a service from the
//! one it names, in the same file or in `extends.file`. poolcheck does not read the shell's
//! environment, so a run means the same on every machine: a variable only the shell sets
//! leaves its value unknown.

use super::from_files::BuildOptions;
use super::from_helm::Scaling;
use super::from_manifests::{is_db_var, Deployed, DeployedVar, Unit};
use super::{limits, server_limits, Origin, Sourced, Surge};
use crate::core::code::Code;
use crate::core::engine::Engine;
use crate::core::finding::Finding;
use crate::core::source::{FileId, SourceSet, Span};
use crate::input::dialects::Dialects;
use crate::input::discover::{Input, Kind};
use crate::input::envfiles::Skipped;
use crate::input::formats::compose::{interpolate, Failure, Var};
use crate::input::formats::{self, Node, NodeKind, Scalar};
use std::path::{Path, PathBuf};

/// The files `docker compose` reads in a directory without `-f`: the first of these, then its
/// override file.
const DEFAULT_FILES: [(&str, &str); 4] = [
    ("compose.yaml", "compose.override.yaml"),
    ("compose.yml", "compose.override.yml"),
    ("docker-compose.yaml", "docker-compose.override.yaml"),
    ("docker-compose.yml", "docker-compose.override.yml"),
];

/// What the compose files of a spec hold.
#[derive(Debug, Default)]
pub struct Read {
    pub units: Vec<Unit>,
    pub skipped: Vec<Skipped>,
    /// `max_connections` the database's own service sets, and the engine its image runs.
    pub servers: Vec<(Sourced<u32>, Sourced<Engine>)>,
}

/// Reads `files` as compose projects: the files named on the command line (`named`) form one
/// project merged in the order given; files found in a directory form one project per
/// directory, as `docker compose` reads it there. The env files of a project's directory are
/// compose's (interpolation and `env_file`), so they leave `kept`.
pub fn read(
    files: &[PathBuf],
    named: &[PathBuf],
    kept: &mut Vec<Input>,
    sources: &mut SourceSet,
    dialects: &Dialects,
    opts: &BuildOptions,
) -> Read {
    let mut out = Read::default();
    let (explicit, found): (Vec<&PathBuf>, Vec<&PathBuf>) =
        files.iter().partition(|p| named.contains(p));
    let mut projects: Vec<Vec<PathBuf>> = Vec::new();
    if !explicit.is_empty() {
        projects.push(explicit.into_iter().cloned().collect());
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for f in &found {
        let d = f.parent().map(Path::to_path_buf).unwrap_or_default();
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    for d in dirs {
        let here: Vec<&PathBuf> = found
            .iter()
            .copied()
            .filter(|f| f.parent() == Some(d.as_path()))
            .collect();
        let name_of = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned());
        let chosen = DEFAULT_FILES
            .iter()
            .find(|(base, _)| here.iter().any(|f| name_of(f).as_deref() == Some(*base)));
        let mut project = Vec::new();
        for f in &here {
            let n = name_of(f).unwrap_or_default();
            match chosen {
                Some((base, over)) if n == *base || n == *over => project.push((*f).clone()),
                _ => out.skipped.push(Skipped {
                    file: crate::core::source::display_path(f),
                    reason: "docker compose reads this file only when named (`-f`); name it on \
                             the command line to check it"
                        .into(),
                }),
            }
        }
        // The base file first, then its override.
        project.sort_by_key(|f| name_of(f).is_some_and(|n| n.contains(".override.")));
        if !project.is_empty() {
            projects.push(project);
        }
    }
    for project in projects {
        let dir = project[0]
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // The env files found beside the compose files are compose's: the `.env` for
        // interpolation, the others only through a service's env_file. Named ones stay.
        let mut theirs = Vec::new();
        kept.retain(|i| match i {
            Input::File(p, Kind::Env)
                if p.parent() == Some(dir.as_path()) && !named.contains(p) =>
            {
                theirs.push(p.clone());
                false
            }
            _ => true,
        });
        let p = Project::read(&project, &dir, sources, dialects, opts);
        for f in theirs {
            if sources.find(&f).is_none() {
                out.skipped.push(Skipped {
                    file: crate::core::source::display_path(&f),
                    reason: "beside a compose file, but no service's env_file names it, so \
                             compose does not load it"
                        .into(),
                });
            }
        }
        out.skipped.extend(p.skipped);
        out.servers.extend(p.servers);
        let mut units = p.units;
        if !p.findings.is_empty() {
            if let Some(u) = units.first_mut() {
                let own = std::mem::replace(&mut u.deployed.findings, p.findings);
                u.deployed.findings.extend(own);
            } else {
                units.push(Unit {
                    name: dir
                        .file_name()
                        .map_or_else(|| "compose".into(), |n| n.to_string_lossy().into_owned()),
                    deployed: Deployed {
                        findings: p.findings,
                        ..Deployed::default()
                    },
                    db: false,
                    standalone: true,
                });
            }
        }
        out.units.extend(units);
    }
    out
}

/// One service as the merged files describe it.
#[derive(Debug, Clone, Default)]
struct Svc {
    name: String,
    /// Where the service's name is, for its skipped entry.
    at: Option<(FileId, Span)>,
    /// (name, raw item node, value node) in order; later names replace earlier ones.
    environment: Vec<(String, Node, Option<Node>, bool)>,
    /// (path, required, node naming it)
    env_files: Vec<(PathBuf, bool, Node)>,
    image: Option<Node>,
    command: Option<Node>,
    replicas: Option<Node>,
    profiles: Option<Vec<String>>,
}

#[derive(Default)]
struct Project {
    units: Vec<Unit>,
    skipped: Vec<Skipped>,
    servers: Vec<(Sourced<u32>, Sourced<Engine>)>,
    findings: Vec<Finding>,
}

impl Project {
    fn read(
        files: &[PathBuf],
        dir: &Path,
        sources: &mut SourceSet,
        dialects: &Dialects,
        opts: &BuildOptions,
    ) -> Project {
        let mut p = Project::default();
        let vars = project_env(dir, files, sources, opts, &mut p.findings);
        let mut services: Vec<Svc> = Vec::new();
        for path in files {
            match read_compose_file(path, sources, opts, &mut p.findings) {
                Some(Ok(file)) => {
                    merge_file(&mut services, &file, sources, opts, &mut p.findings);
                }
                Some(Err(())) => {}
                // Named on the command line or found in a folder, so it was there a moment ago.
                None => p.findings.push(crate::input::read::finding(
                    path,
                    &crate::input::read::Problem::Missing,
                    sources,
                    opts.max_file_size,
                )),
            }
        }
        let active = active_profiles(&vars, opts);
        for svc in &services {
            if let Some(profiles) = &svc.profiles {
                if !profiles.iter().any(|pr| active.contains(pr)) {
                    let file = match svc.at {
                        Some((f, s)) => {
                            let sf = sources.get(f);
                            format!("{}:{}", sf.display, sf.line_col(s.start).0)
                        }
                        None => svc.name.clone(),
                    };
                    let first = profiles.first().cloned().unwrap_or_default();
                    p.skipped.push(Skipped {
                        file,
                        reason: format!(
                            "compose service {} runs only with profile {} (--profile {first} checks it)",
                            svc.name,
                            profiles.join(", ")
                        ),
                    });
                    continue;
                }
            }
            p.service(svc, &vars, sources, dialects, opts);
        }
        p
    }

    fn service(
        &mut self,
        svc: &Svc,
        vars: &[(String, Var)],
        sources: &mut SourceSet,
        dialects: &Dialects,
        opts: &BuildOptions,
    ) {
        let mut findings = Vec::new();
        let mut env = Vec::new();
        // env_file first: `environment` wins over the same names.
        let mut files = Vec::new();
        for (path, required, node) in &svc.env_files {
            if let Some(f) = env_file(
                path,
                *required,
                node,
                &svc.name,
                sources,
                opts,
                &mut findings,
            ) {
                files.push(f);
            }
        }
        for e in formats::env::resolve(&mut files) {
            findings.push(syntax(e));
        }
        for f in &files {
            for e in &f.entries {
                let known = e.unresolved.is_empty();
                env.push(DeployedVar {
                    name: e.key.clone(),
                    key_origin: Origin::file(f.file, e.key_span),
                    value: if known {
                        Some((e.value.clone().unwrap_or_default(), f.file, e.value_span))
                    } else {
                        None
                    },
                });
            }
        }
        for (name, item, value, key_only) in &svc.environment {
            let key_origin = Origin::file(item.file, item.span);
            let value = if *key_only {
                // `- NAME` or `NAME:`: the value comes from the project's environment.
                vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| {
                    let (f, s) = v.at.unwrap_or((item.file, item.span));
                    (v.value.clone(), f, s)
                })
            } else {
                value
                    .as_ref()
                    .and_then(|v| interpolated(v, vars, sources, &mut findings))
            };
            env.push(DeployedVar {
                name: name.clone(),
                key_origin,
                value,
            });
        }
        // One container unless deploy.replicas (or the older `scale`) says otherwise, and
        // update_config.order defaults to stop-first (no surge):
        // https://docs.docker.com/reference/compose-file/deploy/
        let replicas = match &svc.replicas {
            Some(n) => count(n, vars, sources, &mut findings, limits::pods, "replicas"),
            None => Some(Sourced::new(
                1,
                Origin::Default {
                    note: "docker compose default: one container per service".into(),
                },
            )),
        };
        let scaling = Scaling {
            replicas,
            surge: Some(Sourced::new(
                Surge::Pods(0),
                Origin::Default {
                    note: "docker compose replaces a service's containers stop-first: no surge"
                        .into(),
                },
            )),
            ..Scaling::default()
        };
        if let Some(limit) =
            server_limit(svc, &env, vars, sources, &mut findings, &mut self.skipped)
        {
            self.servers.push(limit);
        }
        // The image as compose runs it (`mattermost/${MATTERMOST_IMAGE}:${TAG}` from the
        // .env), which may name a known application; a reference left unset keeps the text.
        // Its PC009 is the server-limit reader's to report, once.
        let image = svc.image.as_ref().and_then(|n| {
            interpolated(n, vars, sources, &mut Vec::new())
                .map(|(text, _, _)| text)
                .or_else(|| n.scalar().and_then(Scalar::as_text))
        });
        // A compose service's command states its workers (`celery … worker -c 4`); the
        // interpolation's own findings are the server limit's to report.
        let mut unit = unit(svc, env, image, scaling, findings, dialects);
        unit.deployed.args = command_args(svc, vars, sources, &mut Vec::new()).unwrap_or_default();
        unit.deployed.dir = svc
            .at
            .and_then(|(f, _)| sources.get(f).path.parent().map(Path::to_path_buf));
        self.units.push(unit);
    }
}

fn unit(
    svc: &Svc,
    env: Vec<DeployedVar>,
    image: Option<String>,
    scaling: Scaling,
    findings: Vec<Finding>,
    dialects: &Dialects,
) -> Unit {
    let db = env
        .iter()
        .any(|v| is_db_var(&v.name, v.value.as_ref().map(|x| x.0.as_str()), dialects));
    Unit {
        name: svc.name.clone(),
        deployed: Deployed {
            env,
            scaling,
            findings,
            image,
            command: svc.command.as_ref().map(strings).unwrap_or_default(),
            args: Vec::new(),
            dir: None,
        },
        db,
        standalone: true,
    }
}

/// The variables of the `.env` in `dir` that compose interpolates with (resolved among
/// themselves; one left unresolved is not set).
pub fn dotenv_vars(
    dir: &Path,
    root: Option<&Path>,
    sources: &mut SourceSet,
    max_file_size: u64,
    findings: &mut Vec<Finding>,
) -> Vec<(String, Var)> {
    let mut vars = Vec::new();
    let path = dir.join(".env");
    if std::fs::symlink_metadata(&path).is_err() {
        return vars;
    }
    match crate::input::read::check(&path, root, false)
        .and_then(|_| super::from_files::read_source(&path, sources, max_file_size))
    {
        Ok(id) => {
            let text = sources.get(id).text.clone();
            let mut f = vec![formats::env::parse(id, &text)];
            findings.extend(f[0].errors.iter().cloned().map(syntax));
            findings.extend(formats::env::resolve(&mut f).into_iter().map(syntax));
            for e in &f[0].entries {
                if e.unresolved.is_empty() {
                    vars.push((
                        e.key.clone(),
                        Var {
                            value: e.value.clone().unwrap_or_default(),
                            at: Some((id, e.value_span)),
                        },
                    ));
                }
            }
        }
        Err(problem) => findings.push(crate::input::read::finding(
            &path,
            &problem,
            sources,
            max_file_size,
        )),
    }
    vars
}

/// The `.env` beside the project's first file, and `--set` over it.
fn project_env(
    dir: &Path,
    files: &[PathBuf],
    sources: &mut SourceSet,
    opts: &BuildOptions,
    findings: &mut Vec<Finding>,
) -> Vec<(String, Var)> {
    let root = files
        .first()
        .and_then(|f| crate::input::read::named_root(f));
    let mut vars = dotenv_vars(dir, root.as_deref(), sources, opts.max_file_size, findings);
    for (k, v) in &opts.overrides {
        vars.push((
            k.clone(),
            Var {
                value: v.clone(),
                at: None,
            },
        ));
    }
    vars
}

fn active_profiles(vars: &[(String, Var)], opts: &BuildOptions) -> Vec<String> {
    let mut active = opts.profiles.clone();
    if let Some((_, v)) = vars.iter().rev().find(|(k, _)| k == "COMPOSE_PROFILES") {
        active.extend(v.value.split(',').map(|s| s.trim().to_string()));
    }
    active
}

/// `!reset` or `!override` written before a value.
fn tag(text: &str, n: &Node) -> Option<&'static str> {
    let before = text.get(..n.span.start)?.trim_end();
    let at = text.get(n.span.start..).unwrap_or("");
    for t in ["reset", "override"] {
        let bang = format!("!{t}");
        if before.ends_with(&bang) || at.starts_with(&bang) {
            return Some(t);
        }
    }
    None
}

/// One compose file as read: its document, text and folder (for relative paths).
struct ComposeFile {
    doc: Node,
    text: std::sync::Arc<str>,
    base: PathBuf,
}

/// How deep `extends` may chain (compose itself only refuses cycles); deeper is a mistake.
const MAX_EXTENDS: usize = 16;

/// Merges one file's services into `services`, as `docker compose -f … -f …` does. A service
/// with `extends` first takes the service it names (in this file or in `extends.file`), as
/// <https://docs.docker.com/compose/how-tos/multiple-compose-files/extends/> describes.
fn merge_file(
    services: &mut Vec<Svc>,
    file: &ComposeFile,
    sources: &mut SourceSet,
    opts: &BuildOptions,
    findings: &mut Vec<Finding>,
) {
    let Some(NodeKind::Map(entries)) = file.doc.get("services").map(|n| &n.kind) else {
        return;
    };
    for e in entries {
        let text = &*file.text;
        let pos = services.iter().position(|s| s.name == e.key);
        if tag(text, &e.value) == Some("reset") {
            if let Some(i) = pos {
                services.remove(i);
            }
            continue;
        }
        let i = pos.unwrap_or_else(|| {
            services.push(Svc {
                name: e.key.clone(),
                ..Svc::default()
            });
            services.len() - 1
        });
        let svc = &mut services[i];
        if svc.at.is_none() || tag(text, &e.value) == Some("override") {
            svc.at = Some((e.value.file, e.key_span));
        }
        if tag(text, &e.value) == Some("override") {
            *svc = Svc {
                name: e.key.clone(),
                at: svc.at,
                ..Svc::default()
            };
        }
        let mut chain = Vec::new();
        extends_chain(
            file, &e.key, &e.value, sources, opts, findings, &mut chain, 0,
        );
        for (value, text, base) in chain.iter().rev() {
            apply(svc, value, text, base);
        }
        apply(svc, &e.value, text, &file.base);
    }
}

/// The services `value` extends, nearest first, each with its file's text and folder.
#[allow(clippy::too_many_arguments)]
fn extends_chain(
    file: &ComposeFile,
    name: &str,
    value: &Node,
    sources: &mut SourceSet,
    opts: &BuildOptions,
    findings: &mut Vec<Finding>,
    chain: &mut Vec<(Node, std::sync::Arc<str>, PathBuf)>,
    depth: usize,
) {
    let Some(ext) = value.get("extends") else {
        return;
    };
    // `extends: web` is short for `extends: {service: web}`.
    let service_node = ext.get("service").unwrap_or(ext);
    let Some(target) = service_node.scalar().and_then(Scalar::as_text) else {
        return;
    };
    if depth >= MAX_EXTENDS {
        refused(
            findings,
            format!(
                "compose service `{name}` extends services more than {MAX_EXTENDS} deep; \
                 the rest of the chain was not read"
            ),
            "check the chain of `extends:` for a loop, and keep it short",
            (ext.file, ext.span),
            "extends too deep",
        );
        return;
    }
    let file_node = ext.get("file");
    let other = match file_node.and_then(Node::scalar).and_then(Scalar::as_text) {
        Some(f) => {
            let path = file.base.join(f.trim_start_matches("./"));
            match read_compose_file(&path, sources, opts, findings) {
                Some(Ok(cf)) => Some(cf),
                Some(Err(())) => return,
                None => {
                    let shown = crate::core::source::display_path(&path);
                    let at = file_node.map_or((ext.file, ext.span), |n| (n.file, n.span));
                    refused(
                        findings,
                        format!(
                            "compose service `{name}` extends a service in {shown}, \
                             which does not exist"
                        ),
                        "fix `extends.file`, or check the folder that holds that file",
                        at,
                        "no such file",
                    );
                    return;
                }
            }
        }
        None => None,
    };
    let from = other.as_ref().unwrap_or(file);
    let found = match from.doc.get("services").map(|n| &n.kind) {
        Some(NodeKind::Map(entries)) => entries.iter().find(|x| x.key == target),
        _ => None,
    };
    let Some(found) = found else {
        let shown = sources.get(from.doc.file).display.clone();
        refused(
            findings,
            format!("compose service `{name}` extends `{target}`, which {shown} does not define"),
            "fix the service name under `extends:`; its settings are not counted",
            (service_node.file, service_node.span),
            "no such service",
        );
        return;
    };
    let same = |n: &Node| n.file == found.value.file && n.span == found.value.span;
    if same(value) || chain.iter().any(|(n, _, _)| same(n)) {
        refused(
            findings,
            format!("compose service `{name}` extends `{target}`, which leads back to it"),
            "break the loop of `extends:`; docker compose refuses it",
            (service_node.file, service_node.span),
            "extends in a loop",
        );
        return;
    }
    chain.push((found.value.clone(), from.text.clone(), from.base.clone()));
    extends_chain(
        from,
        &found.key,
        &found.value,
        sources,
        opts,
        findings,
        chain,
        depth + 1,
    );
}

/// An `extends` docker compose refuses (PC008): what, what to do, where.
fn refused(
    findings: &mut Vec<Finding>,
    message: String,
    help: &str,
    at: (FileId, Span),
    label: &str,
) {
    findings.push(Finding::new(Code::PC008, message, help).at(at.0, at.1, label));
}

/// Reads and parses a compose file: None when it does not exist, Err when a finding says why
/// it could not be read.
fn read_compose_file(
    path: &Path,
    sources: &mut SourceSet,
    opts: &BuildOptions,
    findings: &mut Vec<Finding>,
) -> Option<Result<ComposeFile, ()>> {
    if std::fs::symlink_metadata(path).is_err() {
        return None;
    }
    let id = match super::from_files::read_source(path, sources, opts.max_file_size) {
        Ok(id) => id,
        Err(problem) => {
            findings.push(crate::input::read::finding(
                path,
                &problem,
                sources,
                opts.max_file_size,
            ));
            return Some(Err(()));
        }
    };
    let text: std::sync::Arc<str> = sources.get(id).text.clone();
    match formats::yaml::parse(id, &text) {
        Ok(docs) => match docs.into_iter().next() {
            Some(doc) if matches!(doc.kind, NodeKind::Map(_)) => Some(Ok(ComposeFile {
                doc,
                text,
                base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            })),
            Some(doc) => {
                findings.push(syntax(formats::ParseError {
                    file: id,
                    span: doc.span,
                    message: "a compose file must be a mapping with `services:`".into(),
                    help: Some("write `services:` at the top level, one key per service".into()),
                }));
                Some(Err(()))
            }
            None => Some(Err(())),
        },
        Err(e) => {
            findings.push(syntax(e));
            Some(Err(()))
        }
    }
}

/// One service entry's fields over what `svc` has so far (an earlier file or the service it
/// extends).
fn apply(svc: &mut Svc, value: &Node, text: &str, base: &Path) {
    {
        let e_value = value;
        let field = |k: &str| e_value.get(k).map(|n| (n.clone(), tag(text, n)));
        let replace = |slot: &mut Option<Node>, f: Option<(Node, Option<&str>)>| match f {
            Some((_, Some("reset"))) => *slot = None,
            Some((n, _)) => *slot = Some(n),
            None => {}
        };
        replace(&mut svc.image, field("image"));
        replace(&mut svc.command, field("command"));
        replace(&mut svc.replicas, field("scale"));
        if let Some(d) = e_value.get("deploy") {
            if let Some(r) = d.get("replicas") {
                svc.replicas = (tag(text, r) != Some("reset")).then(|| r.clone());
            }
        }
        if let Some((n, t)) = field("profiles") {
            svc.profiles = (t != Some("reset")).then(|| strings(&n));
        }
        if let Some((n, t)) = field("environment") {
            if t.is_some() {
                svc.environment.clear();
            }
            for item in environment(&n) {
                svc.environment.retain(|x| x.0 != item.0);
                svc.environment.push(item);
            }
        }
        if let Some((n, t)) = field("env_file") {
            if t.is_some() {
                svc.env_files.clear();
            }
            svc.env_files.extend(env_files(&n, base));
        }
    }
}

fn strings(n: &Node) -> Vec<String> {
    match &n.kind {
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(|i| i.scalar().and_then(Scalar::as_text))
            .collect(),
        NodeKind::Scalar(s) => s.as_text().into_iter().collect(),
        NodeKind::Map(_) => Vec::new(),
    }
}

/// `environment:` as a map (`NAME: value`) or a list (`- NAME=value`): (name, item, value
/// node, key only). A list item's value node is the item itself (its text after `=`).
fn environment(n: &Node) -> Vec<(String, Node, Option<Node>, bool)> {
    let mut out = Vec::new();
    match &n.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                let key_only = matches!(e.value.scalar(), Some(Scalar::Null));
                let item = Node {
                    kind: NodeKind::Scalar(Scalar::Null),
                    file: e.value.file,
                    span: e.key_span,
                };
                out.push((e.key.clone(), item, Some(e.value.clone()), key_only));
            }
        }
        NodeKind::Seq(items) => {
            for i in items {
                let Some(text) = i.scalar().and_then(Scalar::as_text) else {
                    continue;
                };
                match text.split_once('=') {
                    Some((k, v)) => {
                        let value = Node {
                            kind: NodeKind::Scalar(Scalar::Str(v.to_string())),
                            file: i.file,
                            span: i.span,
                        };
                        out.push((k.trim().to_string(), i.clone(), Some(value), false));
                    }
                    None => out.push((text.trim().to_string(), i.clone(), None, true)),
                }
            }
        }
        NodeKind::Scalar(_) => {}
    }
    out
}

/// `env_file:` as a path, a list of paths, or a list of `{path, required}`.
fn env_files(n: &Node, base: &Path) -> Vec<(PathBuf, bool, Node)> {
    let one = |i: &Node| -> Option<(PathBuf, bool, Node)> {
        if let Some(t) = i.scalar().and_then(Scalar::as_text) {
            return Some((base.join(t.trim_start_matches("./")), true, i.clone()));
        }
        let p = i.get("path")?;
        let t = p.scalar().and_then(Scalar::as_text)?;
        let required = !matches!(
            i.get("required").and_then(Node::scalar),
            Some(Scalar::Bool(false))
        );
        Some((base.join(t.trim_start_matches("./")), required, p.clone()))
    };
    match &n.kind {
        NodeKind::Seq(items) => items.iter().filter_map(one).collect(),
        _ => one(n).into_iter().collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn env_file(
    path: &Path,
    required: bool,
    node: &Node,
    service: &str,
    sources: &mut SourceSet,
    opts: &BuildOptions,
    findings: &mut Vec<Finding>,
) -> Option<formats::env::EnvFile> {
    let root = crate::input::read::named_root(path);
    let checked = crate::input::read::check(path, root.as_deref(), false);
    if checked == Err(crate::input::read::Problem::Missing)
        || std::fs::symlink_metadata(path).is_err()
    {
        if required {
            let shown = crate::core::source::display_path(path);
            findings.push(
                Finding::new(
                    Code::PC008,
                    format!("compose service `{service}` reads env_file {shown}, which does not exist"),
                    "create the file, fix the path, or write `required: false` under the env_file entry",
                )
                .at(node.file, node.span, "no such file"),
            );
        }
        return None;
    }
    let read =
        checked.and_then(|_| super::from_files::read_source(path, sources, opts.max_file_size));
    match read {
        Ok(id) => {
            let text = sources.get(id).text.clone();
            let f = formats::env::parse(id, &text);
            findings.extend(f.errors.iter().cloned().map(syntax));
            Some(f)
        }
        Err(problem) => {
            findings.push(crate::input::read::finding(
                path,
                &problem,
                sources,
                opts.max_file_size,
            ));
            None
        }
    }
}

/// A value after interpolation, located: at the `.env` line when the value is one variable
/// set there, else at the value in the compose file. None when it cannot be known.
fn interpolated(
    n: &Node,
    vars: &[(String, Var)],
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<(String, FileId, Span)> {
    let raw = n.scalar().and_then(Scalar::as_text)?;
    let span = value_span(n, &raw, sources);
    match interpolate(&raw, vars, 0) {
        Ok(r)
            if r.unknown.is_empty()
                || crate::input::formats::url::unset_only_in_userinfo(&raw, &r.unknown) =>
        {
            let (f, s) = r.from.unwrap_or((n.file, span));
            Some((r.text, f, s))
        }
        Ok(_) => None,
        Err(Failure::Required { var, message }) => {
            let said = if message.is_empty() {
                String::new()
            } else {
                format!(" (\"{}\")", crate::core::secrets::clip(&message, 48))
            };
            findings.push(
                Finding::new(
                    Code::PC009,
                    format!(
                        "`{var}` is required here but not set, so docker compose refuses to start{said}"
                    ),
                    format!("set {var} in the .env beside the compose file (or with --set)"),
                )
                .at(n.file, span, format!("{var} is not set")),
            );
            None
        }
        Err(Failure::Malformed(m)) => {
            findings.push(
                Finding::new(
                    Code::PC001,
                    m.clone(),
                    "write ${NAME}, ${NAME:-default} or $$ for a literal $",
                )
                .at(n.file, span, m),
            );
            None
        }
    }
}

/// Where a list item's value (after `NAME=`) is in the file, when the item is written plainly.
fn value_span(n: &Node, raw: &str, sources: &SourceSet) -> Span {
    let src = sources
        .get(n.file)
        .text
        .get(n.span.start..n.span.end)
        .unwrap_or("");
    match src.find(raw) {
        Some(o) if !raw.is_empty() => {
            let start = n.span.start + o;
            Span::new(start, start + raw.len())
        }
        _ => n.span,
    }
}

/// A count (replicas) after interpolation, or a PC002 finding at it.
fn count(
    n: &Node,
    vars: &[(String, Var)],
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
    check: fn(u64) -> Result<u32, String>,
    what: &str,
) -> Option<Sourced<u32>> {
    let (text, f, s) = interpolated(n, vars, sources, findings)?;
    let msg = match text.trim().parse::<u64>() {
        Ok(v) => match check(v) {
            Ok(v) => return Some(Sourced::new(v, Origin::file(f, s))),
            Err(m) => format!("{what}: {m}"),
        },
        Err(_) => format!(
            "{what} `{}` is not a whole number",
            crate::core::secrets::clip(&text, 48)
        ),
    };
    findings.push(Finding::new(Code::PC002, msg.clone(), "write a whole number").at(f, s, msg));
    None
}

/// The database's own service: its image and how that image takes max_connections
/// (`postgres -c max_connections=N`, mysqld's `--max-connections=N`, or the variable the
/// image reads), with the engine the image runs.
fn server_limit(
    svc: &Svc,
    env: &[DeployedVar],
    vars: &[(String, Var)],
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
    skipped: &mut Vec<Skipped>,
) -> Option<(Sourced<u32>, Sourced<Engine>)> {
    let image_node = svc.image.as_ref()?;
    let (image, f, s) = interpolated(image_node, vars, sources, findings)?;
    let kind = server_limits::classify(&image)?;
    let engine = Sourced::new(kind.engine(), Origin::file(f, s));
    let args = command_args(svc, vars, sources, findings).unwrap_or_default();
    let from_command = match kind {
        server_limits::DbImage::Postgres => postgres_command(&args),
        server_limits::DbImage::Mysqld(_) | server_limits::DbImage::BitnamiMysqld(_) => {
            let v = server_limits::mysqld_option(args.iter().map(|(a, _, _)| a.as_str()));
            v.and_then(|v| {
                let (_, f, s) = args
                    .iter()
                    .rev()
                    .find(|(a, _, _)| a.ends_with(&format!("connections={v}")))?;
                Some((v, *f, *s))
            })
        }
        _ => None,
    };
    let var = |name: &str| env.iter().rev().find(|v| v.name == name);
    let from_env = || -> Option<(String, FileId, Span)> {
        for k in kind.env_keys() {
            if let Some(v) = var(k).and_then(|v| v.value.clone()) {
                return Some(v);
            }
        }
        let (text, f, s) = var(kind.flags_key()?)?.value.clone()?;
        let v = server_limits::mysqld_option(text.split_whitespace())?;
        Some((v, f, s))
    };
    let Some((v, f, s)) = from_command.or_else(from_env) else {
        // The official image passes no variable to the server: a limit written as one is
        // not the server's (bitnami/postgresql reads it; this image does not).
        if kind == server_limits::DbImage::Postgres {
            if let Some(v) = var("POSTGRES_MAX_CONNECTIONS") {
                let (file, span) = match &v.key_origin {
                    Origin::File { file, span, .. } => (*file, *span),
                    _ => (image_node.file, image_node.span),
                };
                let sf = sources.get(file);
                skipped.push(Skipped {
                    file: format!("{}:{}", sf.display, sf.line_col(span.start).0),
                    reason: "the official postgres image ignores POSTGRES_MAX_CONNECTIONS; \
                             set `command: postgres -c max_connections=N`"
                        .into(),
                });
            }
        }
        return None;
    };
    let span = server_limits::locate(sources, f, s, &v);
    let mc = server_limits::count(&v, f, span, findings)?;
    Some((mc, engine))
}

/// Each argument of `command` after interpolation, with where it is; a string is split as
/// a shell would. An argument whose value cannot be known is left out.
fn command_args(
    svc: &Svc,
    vars: &[(String, Var)],
    sources: &SourceSet,
    findings: &mut Vec<Finding>,
) -> Option<Vec<(String, FileId, Span)>> {
    let cmd = svc.command.as_ref()?;
    match &cmd.kind {
        NodeKind::Seq(items) => Some(
            items
                .iter()
                .filter_map(|i| interpolated(i, vars, sources, findings))
                .collect(),
        ),
        NodeKind::Scalar(Scalar::Str(_)) => {
            let (text, f, s) = interpolated(cmd, vars, sources, findings)?;
            Some(
                super::commands::shell_words(&text)
                    .into_iter()
                    .map(|a| (a, f, s))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// `postgres -c max_connections=N` (or `-cmax_connections=N`, `--max_connections=N`).
fn postgres_command(args: &[(String, FileId, Span)]) -> Option<(String, FileId, Span)> {
    args.iter().enumerate().find_map(|(k, (a, f, s))| {
        let v = a
            .strip_prefix("-c")
            .map(str::trim_start)
            .filter(|r| !r.is_empty())
            .or_else(|| a.strip_prefix("--"))
            .or_else(|| (k > 0 && args[k - 1].0 == "-c").then_some(a.as_str()))?;
        let v = v
            .strip_prefix("max_connections=")
            .or_else(|| v.strip_prefix("max-connections="))?;
        Some((v.to_string(), *f, *s))
    })
}

fn syntax(e: formats::ParseError) -> Finding {
    let help = e
        .help
        .clone()
        .unwrap_or_else(|| "fix the syntax; the rest of this file was not read".into());
    Finding::new(Code::PC001, e.message.clone(), help).at(e.file, e.span, e.message)
}
