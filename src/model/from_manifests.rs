//! Deployment manifests into services: every Kubernetes workload (and every docker compose
//! service, see [`super::from_compose`]) whose containers talk to a database becomes a service
//! of the model, with the env its containers get and the pods it runs.
//!
//! Several containers of one pod that each open a pool are one service each, with the pod's
//! replicas, autoscaler and surge: each opens its own pool in every pod, so the fleet counts
//! them side by side (the model's service has one pool, and summing two pools into one would
//! hide which one to shrink). Sidecars without database settings are not services.

use super::from_files::{BuildOptions, ServiceSpec};
use super::from_helm::Scaling;
use super::{limits, Origin, Sourced, Surge};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::source::{FileId, SourceSet, Span};
use crate::input::dialects::{Concept, Dialects};
use crate::input::discover::{Input, Kind};
use crate::input::envfiles::Skipped;
use crate::input::formats::k8s::{self, EnvSource, Manifests, WorkloadKind};
use crate::input::formats::{Node, Scalar};

/// What a deployment file gives one service: its containers' environment and its pods.
#[derive(Debug, Clone, Default)]
pub struct Deployed {
    /// Variables in the order the container sees them (later ones win).
    pub env: Vec<DeployedVar>,
    pub scaling: Scaling,
    /// Findings about this service's part of the files (PC002, PC008, PC009).
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone)]
pub struct DeployedVar {
    pub name: String,
    /// Where the variable is set, for values poolcheck cannot see.
    pub key_origin: Origin,
    /// The value and where it is; None when it comes from the cluster or a secret.
    pub value: Option<(String, FileId, Span)>,
}

/// One candidate service of a deployment file.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub deployed: Deployed,
    /// Its environment holds a connection URL or a pool key.
    pub db: bool,
}

/// A database server setting a deployment file states (`postgres -c max_connections=200`).
#[derive(Debug, Clone)]
pub struct ServerFact {
    pub server: usize,
    pub max_connections: Sourced<u32>,
}

/// The specs after deployment files were read, and what they said besides services.
#[derive(Debug, Default)]
pub struct Split {
    pub specs: Vec<ServiceSpec>,
    pub servers: Vec<ServerFact>,
    pub skipped: Vec<Skipped>,
}

/// True when a variable is database configuration: a connection URL, or a key a pool library
/// reads (worker counts and replicas alone do not make a database client).
pub fn is_db_var(name: &str, value: Option<&str>, dialects: &Dialects) -> bool {
    let key = dialects
        .match_env(name)
        .is_some_and(|m| !matches!(m.def.concept, Concept::Processes | Concept::Replicas));
    key || value.is_some_and(|v| crate::input::formats::url::parse(v.trim()).is_some())
}

/// Reads the Kubernetes manifests and compose files among each spec's inputs and turns their
/// workloads into services (see [`assign`]). Files that do not parse stay inputs of the spec,
/// so reading it reports the syntax error where it is.
pub fn split(
    specs: Vec<ServiceSpec>,
    named: &[std::path::PathBuf],
    sources: &mut SourceSet,
    dialects: &Dialects,
    opts: &BuildOptions,
) -> Split {
    let mut out = Split::default();
    for mut spec in specs {
        let mut docs = Vec::new();
        let mut kept = Vec::new();
        let mut compose = Vec::new();
        for input in std::mem::take(&mut spec.inputs) {
            match &input {
                Input::File(path, Kind::Yaml) => match manifest_docs(path, sources, opts) {
                    Some(d) => docs.extend(d),
                    None => kept.push(input),
                },
                Input::File(path, Kind::Compose) => compose.push(path.clone()),
                _ => kept.push(input),
            }
        }
        let mut units = Vec::new();
        if !docs.is_empty() {
            units.extend(workloads(&k8s::read(&docs), dialects));
        }
        if !compose.is_empty() {
            let read =
                super::from_compose::read(&compose, named, &mut kept, sources, dialects, opts);
            units.extend(read.units);
            out.skipped.extend(read.skipped);
            let server = spec.server;
            out.servers
                .extend(read.servers.into_iter().map(|mc| ServerFact {
                    server,
                    max_connections: mc,
                }));
        }
        spec.inputs = kept;
        out.specs.extend(assign(spec, units));
    }
    out
}

/// The services a spec becomes. A spec whose other files describe the same app as its only
/// workload keeps one service (the workload's pods and env join its files); otherwise every
/// workload that talks to a database is a service of its own, and the spec's other files
/// remain one service when there are any.
fn assign(spec: ServiceSpec, units: Vec<Unit>) -> Vec<ServiceSpec> {
    if units.is_empty() {
        return vec![spec];
    }
    let has_files = !spec.inputs.is_empty();
    if units.len() == 1 && (has_files || !units[0].db) {
        let unit = units.into_iter().next().unwrap_or_else(|| unreachable!());
        let name = if has_files {
            spec.name.clone()
        } else {
            unit.name
        };
        return vec![ServiceSpec {
            name,
            deployed: Some(unit.deployed),
            ..spec
        }];
    }
    let mut out = Vec::new();
    // Findings of workloads that are not services (no database settings) still count.
    let mut orphan: Vec<Finding> = Vec::new();
    for u in units {
        if u.db {
            out.push(ServiceSpec {
                name: u.name,
                inputs: Vec::new(),
                deployed: Some(u.deployed),
                ..spec.clone()
            });
        } else {
            orphan.extend(u.deployed.findings);
        }
    }
    if has_files || out.is_empty() {
        let mut base = spec;
        if !orphan.is_empty() {
            base.deployed = Some(Deployed {
                findings: orphan,
                ..Deployed::default()
            });
        }
        out.insert(0, base);
    } else if let Some(d) = out[0].deployed.as_mut() {
        d.findings.extend(orphan);
    }
    out
}

/// The documents of a YAML file when it holds Kubernetes objects; None for other YAML and
/// for files that cannot be read or parsed (reading the spec reports those).
fn manifest_docs(
    path: &std::path::Path,
    sources: &mut SourceSet,
    opts: &BuildOptions,
) -> Option<Vec<Node>> {
    let id = super::from_files::read_source(path, sources, opts.max_file_size).ok()?;
    let text = &sources.get(id).text;
    // Cheap test first: most YAML of a repository is no manifest, and ERB is Rails'.
    if !(text.contains("apiVersion") && text.contains("kind")) || text.contains("<%") {
        return None;
    }
    let docs = crate::input::formats::yaml::parse(id, text).ok()?;
    k8s::is_manifest(&docs).then_some(docs)
}

/// One unit per workload, or per container when several containers of a pod open pools.
pub fn workloads(m: &Manifests, dialects: &Dialects) -> Vec<Unit> {
    let mut out = Vec::new();
    for w in &m.workloads {
        let mut findings = Vec::new();
        let scaling = scaling(w, m, &mut findings);
        let mut per_container: Vec<(String, Vec<DeployedVar>, Vec<Finding>)> = Vec::new();
        for c in &w.containers {
            let mut f = Vec::new();
            let env = container_env(w, c, m, &mut f);
            per_container.push((c.name.clone(), env, f));
        }
        let db: Vec<bool> = per_container
            .iter()
            .map(|(_, env, _)| {
                env.iter()
                    .any(|v| is_db_var(&v.name, v.value.as_ref().map(|x| x.0.as_str()), dialects))
            })
            .collect();
        let n_db = db.iter().filter(|d| **d).count();
        if n_db <= 1 {
            // One service for the pod: the database container's env (or all, when none).
            let mut env = Vec::new();
            let mut f = findings;
            for ((_, e, cf), is_db) in per_container.into_iter().zip(&db) {
                if n_db == 0 || *is_db {
                    env.extend(e);
                }
                f.extend(cf);
            }
            out.push(Unit {
                name: w.name.clone(),
                deployed: Deployed {
                    env,
                    scaling,
                    findings: f,
                },
                db: n_db == 1,
            });
            continue;
        }
        let mut first = true;
        for ((cname, env, cf), is_db) in per_container.into_iter().zip(&db) {
            let mut f = cf;
            if first {
                f.append(&mut findings);
            }
            if !*is_db {
                continue;
            }
            first = false;
            out.push(Unit {
                name: format!("{}/{cname}", w.name),
                deployed: Deployed {
                    env,
                    scaling: scaling.clone(),
                    findings: f,
                },
                db: true,
            });
        }
    }
    out
}

/// Replicas, the autoscaler's range and the rolling-update surge of a workload.
fn scaling(w: &k8s::Workload, m: &Manifests, findings: &mut Vec<Finding>) -> Scaling {
    let mut s = Scaling::default();
    s.replicas = match &w.replicas {
        Some(n) => pods(
            n,
            &format!("replicas of {} `{}`", w.kind.as_str(), w.name),
            findings,
        ),
        None => Some(Sourced::new(
            1,
            Origin::Default {
                note: format!(
                    "Kubernetes default: a {} without replicas runs 1 pod",
                    w.kind.as_str()
                ),
            },
        )),
    };
    let hpa = m
        .autoscalers
        .iter()
        .filter(|a| a.target_name == w.name && a.target_kind.eq_ignore_ascii_case(w.kind.as_str()));
    for a in hpa {
        let keda = a.kind == k8s::AutoscalerKind::Keda;
        let (what, min_what, object) = if keda {
            ("maxReplicaCount", "minReplicaCount", "ScaledObject")
        } else {
            ("maxReplicas", "minReplicas", "HorizontalPodAutoscaler")
        };
        let what = format!("{what} of {object} `{}`", a.name);
        let min_what = format!("{min_what} of {object} `{}`", a.name);
        let max = match &a.max {
            Some(n) => pods(n, &what, findings),
            // https://keda.sh/docs/2.14/reference/scaledobject-spec/#replica-counts
            None if keda => Some(Sourced::new(
                100,
                Origin::Default {
                    note: format!(
                        "KEDA default maxReplicaCount: 100 (ScaledObject `{}`)",
                        a.name
                    ),
                },
            )),
            None => {
                findings.push(
                    Finding::new(
                        Code::PC002,
                        format!(
                            "HorizontalPodAutoscaler `{}` has no maxReplicas; Kubernetes rejects it",
                            a.name
                        ),
                        "set spec.maxReplicas to the most pods the autoscaler may run",
                    )
                    .at(a.target_node.file, a.target_node.span, "no maxReplicas"),
                );
                None
            }
        };
        // KEDA may scale to zero; the pods at rest are then the workload's own replicas.
        let min = a
            .min
            .as_ref()
            .and_then(|n| pods(n, &min_what, findings))
            .filter(|v| v.value > 0);
        if let Some(max) = max {
            let larger = s.hpa.as_ref().is_none_or(|(_, cur)| max.value >= cur.value);
            if larger {
                s.hpa = Some((min, max));
            }
        }
    }
    s.surge = match w.kind {
        // https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates
        WorkloadKind::StatefulSet => Some(Sourced::new(
            Surge::Pods(0),
            Origin::file(w.kind_node.file, w.kind_node.span),
        )),
        WorkloadKind::Deployment => match (&w.strategy_type, &w.max_surge) {
            (Some(t), _) if t.scalar() == Some(&Scalar::Str("Recreate".into())) => {
                Some(Sourced::new(Surge::Pods(0), Origin::file(t.file, t.span)))
            }
            (_, Some(n)) => {
                let text = n.scalar().and_then(Scalar::as_text).unwrap_or_default();
                match Surge::parse(&text) {
                    Ok(v) => Some(Sourced::new(v, Origin::file(n.file, n.span))),
                    Err(msg) => {
                        findings.push(
                            Finding::new(
                                Code::PC002,
                                format!("maxSurge of {} `{}` is {msg}", w.kind.as_str(), w.name),
                                "write a number of pods (2) or a percentage (25%)",
                            )
                            .at(n.file, n.span, "not a surge"),
                        );
                        None
                    }
                }
            }
            _ => None,
        },
    };
    s
}

/// A count of pods, or a PC002 finding at it.
fn pods(n: &Node, what: &str, findings: &mut Vec<Finding>) -> Option<Sourced<u32>> {
    let parsed = match n.scalar() {
        Some(Scalar::Int(i)) if *i >= 0 => Ok(*i as u64),
        Some(Scalar::Str(s)) => s.trim().parse::<u64>().map_err(|_| ()),
        _ => Err(()),
    };
    let msg = match parsed {
        Ok(v) => match limits::pods(v) {
            Ok(v) => return Some(Sourced::new(v, Origin::file(n.file, n.span))),
            Err(m) => format!("{what}: {m}"),
        },
        Err(()) => format!("{what} must be a whole number of pods"),
    };
    findings.push(
        Finding::new(Code::PC002, msg.clone(), "write a whole number").at(n.file, n.span, msg),
    );
    None
}

/// A container's variables as Kubernetes sets them: `envFrom` first, then `env`, whose
/// entries win over the same names.
fn container_env(
    w: &k8s::Workload,
    c: &k8s::Container,
    m: &Manifests,
    findings: &mut Vec<Finding>,
) -> Vec<DeployedVar> {
    let mut out = Vec::new();
    let owner = format!("container `{}` of {} `{}`", c.name, w.kind.as_str(), w.name);
    for from in c.env_from.iter().filter(|f| f.config_map) {
        match m.config_maps.iter().find(|cm| cm.name == from.name) {
            Some(cm) => {
                for (key, value, file, span) in &cm.data {
                    out.push(DeployedVar {
                        name: format!("{}{key}", from.prefix),
                        key_origin: Origin::file(*file, *span),
                        value: Some((value.clone(), *file, *span)),
                    });
                }
            }
            None if from.optional => {}
            None => findings.push(missing_map(&owner, &from.name, from.file, from.span)),
        }
    }
    for v in &c.env {
        let key_origin = Origin::file(v.name_file, v.name_span);
        let value = match &v.source {
            EnvSource::Literal(text, file, span) => Some((text.clone(), *file, *span)),
            EnvSource::External(_) => None,
            EnvSource::ConfigMapKey {
                map,
                key,
                optional,
                file,
                span,
            } => match m.config_maps.iter().find(|cm| &cm.name == map) {
                Some(cm) => match cm.data.iter().find(|(k, ..)| k == key) {
                    Some((_, value, f, s)) => Some((value.clone(), *f, *s)),
                    None if *optional => continue,
                    None => {
                        findings.push(
                            Finding::new(
                                Code::PC008,
                                format!(
                                    "{owner} reads key `{key}` of ConfigMap `{map}`, which has no such key"
                                ),
                                format!(
                                    "add `{key}` to ConfigMap `{map}`'s data, fix the key, or mark the reference `optional: true`"
                                ),
                            )
                            .at(*file, *span, format!("no key `{key}` in `{map}`")),
                        );
                        None
                    }
                },
                None if *optional => continue,
                None => {
                    findings.push(missing_map(&owner, map, *file, *span));
                    None
                }
            },
        };
        out.push(DeployedVar {
            name: v.name.clone(),
            key_origin,
            value,
        });
    }
    out
}

fn missing_map(owner: &str, map: &str, file: FileId, span: Span) -> Finding {
    Finding::new(
        Code::PC008,
        format!("{owner} reads ConfigMap `{map}`, which is not among the files checked"),
        format!(
            "check ConfigMap `{map}`'s file with the manifests (or render it with the chart), \
             or mark the reference `optional: true`"
        ),
    )
    .at(file, span, format!("ConfigMap `{map}` not found"))
}
