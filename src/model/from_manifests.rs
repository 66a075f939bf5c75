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
    /// The container image, which may name a known application (rules/apps).
    pub image: Option<String>,
    /// The container's command and arguments, which may name the process it runs
    /// (`bundle exec sidekiq`): how a preset's component is told apart.
    pub command: Vec<String>,
    /// The container's command and arguments as words, each with where it is written: the
    /// processes it starts (`celery … worker --concurrency 4`) are read from them.
    pub args: Vec<super::commands::Arg>,
    /// The folder of the compose file that defines it: the app's manifest there
    /// (requirements.txt naming Django) tells its stack (model::stack).
    pub dir: Option<std::path::PathBuf>,
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
    /// A compose service: it never joins the other files of its folder.
    pub standalone: bool,
}

/// A database server setting a deployment file states (`postgres -c max_connections=200`).
#[derive(Debug, Clone)]
pub struct ServerFact {
    pub server: usize,
    pub max_connections: Sourced<u32>,
    /// What the image or resource runs, when it says (a `mysql` image).
    pub engine: Option<Sourced<crate::core::engine::Engine>>,
}

/// The specs after deployment files were read, and what they said besides services.
#[derive(Debug, Default)]
pub struct Split {
    pub specs: Vec<ServiceSpec>,
    pub servers: Vec<ServerFact>,
    pub skipped: Vec<Skipped>,
    /// Findings about what the files say of a server (a max_connections that is no number).
    pub findings: Vec<Finding>,
}

/// True when a variable is database configuration: a connection URL, or a key a pool library
/// reads (worker counts and replicas alone do not make a database client).
/// A variable that names the application's store (Gitea's `GITEA__database__DB_TYPE`,
/// Metabase's `MB_DB_TYPE`) is one only when the store is a database server: SQLite or H2
/// inside the container opens no connection to count.
pub fn is_db_var(name: &str, value: Option<&str>, dialects: &Dialects) -> bool {
    let key = dialects
        .match_env(name)
        .is_some_and(|m| match m.def.concept {
            Concept::Processes | Concept::Replicas => false,
            Concept::Identifies | Concept::ServerKind => !value.is_some_and(embedded_store),
            _ => true,
        });
    key || value.is_some_and(|v| crate::input::formats::url::parse(v.trim()).is_some())
}

/// A store inside the application's own process or volume, as the presets' type keys name
/// them: sqlite3 (Gitea, Grafana: https://docs.gitea.com/administration/config-cheat-sheet#database-database,
/// https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#type), h2
/// (Metabase: https://www.metabase.com/docs/latest/installation-and-operation/configuring-application-database),
/// dev-file / dev-mem (Keycloak: https://www.keycloak.org/server/all-config#category-database).
pub fn embedded_store(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.starts_with("sqlite") || matches!(v.as_str(), "h2" | "dev-file" | "dev-mem")
}

/// Reads the Kubernetes manifests and compose files among each spec's inputs and turns their
/// workloads into services (see [`assign`]). Files that do not parse stay inputs of the spec,
/// so reading it reports the syntax error where it is.
pub fn split(
    specs: Vec<ServiceSpec>,
    named: &[std::path::PathBuf],
    declared: &dyn Fn(&ServiceSpec) -> bool,
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
            let server = spec.server;
            let operated =
                super::server_limits::from_operator_docs(&docs, sources, &mut out.findings);
            out.servers
                .extend(operated.into_iter().map(|(mc, engine)| ServerFact {
                    server,
                    max_connections: mc,
                    engine: Some(engine),
                }));
        }
        if !compose.is_empty() {
            let read =
                super::from_compose::read(&compose, named, &mut kept, sources, dialects, opts);
            units.extend(read.units);
            out.skipped.extend(read.skipped);
            let server = spec.server;
            out.servers
                .extend(read.servers.into_iter().map(|(mc, engine)| ServerFact {
                    server,
                    max_connections: mc,
                    engine: Some(engine),
                }));
        }
        spec.inputs = kept;
        let declared = declared(&spec);
        out.specs.extend(assign(spec, units, declared));
    }
    join_by_name(&mut out.specs);
    out
}

/// The names of the workloads in deployment files (compose files merged in the order given,
/// or Kubernetes manifests) whose environment talks to a database: what `poolcheck init`
/// declares as services, read exactly as verify reads them.
pub fn db_workloads(files: &[std::path::PathBuf], dialects: &Dialects) -> Vec<String> {
    deployed_by(files, dialects).0
}

/// As [`db_workloads`], and whether any of the files could not be read as what it looks
/// like (verify reports it, so init must still name the file).
pub fn deployed_by(files: &[std::path::PathBuf], dialects: &Dialects) -> (Vec<String>, bool) {
    let mut unreadable = false;
    let opts = BuildOptions::default();
    let mut sources = SourceSet::default();
    let mut docs = Vec::new();
    let mut compose = Vec::new();
    for f in files {
        match crate::input::discover::kind_of(f) {
            Some(Kind::Compose) => compose.push(f.clone()),
            Some(Kind::Yaml) => match manifest_docs(f, &mut sources, &opts) {
                Some(d) => docs.extend(d),
                None => unreadable = true,
            },
            _ => {}
        }
    }
    let mut units = Vec::new();
    if !docs.is_empty() {
        units.extend(workloads(&k8s::read(&docs), dialects));
    }
    if !compose.is_empty() {
        let mut kept = Vec::new();
        let read =
            super::from_compose::read(&compose, files, &mut kept, &mut sources, dialects, &opts);
        units.extend(read.units);
    }
    let mut names: Vec<String> = units.into_iter().filter(|u| u.db).map(|u| u.name).collect();
    names.dedup();
    (names, unreadable)
}

/// A monorepo keeps its manifests apart (deploy/web.yaml beside apps/web/): a workload named
/// like an app whose own files are read elsewhere is that app, so its pods and env join the
/// app's files instead of counting the app twice.
fn join_by_name(specs: &mut Vec<ServiceSpec>) {
    let mut joined = Vec::new();
    for i in 0..specs.len() {
        if specs[i].deployed.is_none() || !specs[i].inputs.is_empty() {
            continue;
        }
        let app = (0..specs.len()).find(|&j| {
            j != i
                && specs[j].name == specs[i].name
                && specs[j].deployed.is_none()
                && !specs[j].inputs.is_empty()
        });
        if let Some(j) = app {
            specs[j].deployed = specs[i].deployed.take();
            joined.push(i);
        }
    }
    for i in joined.into_iter().rev() {
        specs.remove(i);
    }
}

/// The services a spec becomes. The only workload that talks to a database, beside the spec's
/// other files or in a service poolcheck.toml declares, is that app (a Deployment beside the
/// app's .env): its pods and env join them, under the spec's name. Otherwise every workload
/// that talks to a database is a service of its own, and the spec's other files remain one
/// service when they set a pool.
fn assign(spec: ServiceSpec, units: Vec<Unit>, declared: bool) -> Vec<ServiceSpec> {
    if units.is_empty() {
        return vec![spec];
    }
    let has_files = !spec.inputs.is_empty();
    let (db, other): (Vec<Unit>, Vec<Unit>) = units.into_iter().partition(|u| u.db);
    // Findings about workloads that are not services (no database settings) still count.
    let mut orphan: Vec<Finding> = Vec::new();
    // A compose service's environment is complete (compose owns its folder's .env), so only
    // a Kubernetes workload joins the files beside it.
    let joins = db.len() == 1 && (declared || (has_files && !db[0].standalone));
    let (lone, db) = if joins {
        orphan.extend(other.into_iter().flat_map(|u| u.deployed.findings));
        (db.into_iter().next(), Vec::new())
    } else if db.is_empty() && other.len() == 1 {
        (other.into_iter().next(), db)
    } else {
        orphan.extend(other.into_iter().flat_map(|u| u.deployed.findings));
        (None, db)
    };
    // One workload beside the app's own files (or the poolcheck.toml service that lists it)
    // is that app: its pods and env join them.
    if let Some(mut unit) = lone {
        unit.deployed.findings.extend(orphan);
        let name = if has_files || declared {
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
    let mut out: Vec<ServiceSpec> = db
        .into_iter()
        .map(|u| ServiceSpec {
            name: u.name,
            inputs: Vec::new(),
            deployed: Some(u.deployed),
            ..spec.clone()
        })
        .collect();
    match out.first_mut().and_then(|s| s.deployed.as_mut()) {
        Some(d) => d.findings.extend(orphan),
        None => {
            // No workload uses a database: the spec stays one service, so what the files say
            // (or that its pool is unknown) is still reported.
            return vec![ServiceSpec {
                deployed: Some(Deployed {
                    findings: orphan,
                    ..Deployed::default()
                }),
                ..spec
            }];
        }
    }
    if has_files {
        out.insert(
            0,
            ServiceSpec {
                drop_if_empty: true,
                ..spec
            },
        );
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

/// A container's command and arguments as plain words (how a preset's component is told).
fn words(args: &[super::commands::Arg]) -> Vec<String> {
    args.iter().map(|(w, _, _)| w.clone()).collect()
}

/// One unit per workload, or per container when several containers of a pod open pools.
pub fn workloads(m: &Manifests, dialects: &Dialects) -> Vec<Unit> {
    let mut out = Vec::new();
    for w in &m.workloads {
        let mut findings = Vec::new();
        let scaling = scaling(w, m, &mut findings);
        let mut per_container: Vec<(String, Vec<DeployedVar>, Vec<Finding>)> = Vec::new();
        let mut images = Vec::new();
        let mut args = Vec::new();
        for c in &w.containers {
            let mut f = Vec::new();
            let env = container_env(w, c, m, &mut f);
            per_container.push((c.name.clone(), env, f));
            images.push(c.image.clone());
            args.push(c.args.clone());
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
            let mut image = None;
            let mut command: Option<&Vec<super::commands::Arg>> = None;
            let each = per_container.into_iter().zip(&db).zip(&images).zip(&args);
            for ((((_, e, cf), is_db), img), a) in each {
                if n_db == 0 || *is_db {
                    env.extend(e);
                    image = image.or_else(|| img.clone());
                    command = command.or(Some(a));
                }
                f.extend(cf);
            }
            out.push(Unit {
                name: w.name.clone(),
                deployed: Deployed {
                    env,
                    scaling,
                    findings: f,
                    image,
                    command: words(command.map_or(&[][..], |a| a.as_slice())),
                    args: command.cloned().unwrap_or_default(),
                    dir: None,
                },
                db: n_db == 1,
                standalone: false,
            });
            continue;
        }
        let mut first = true;
        let each = per_container.into_iter().zip(&db).zip(images).zip(args);
        for ((((cname, env, cf), is_db), image), args) in each {
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
                    image,
                    command: words(&args),
                    args,
                    dir: None,
                },
                db: true,
                standalone: false,
            });
        }
    }
    let lost = unmatched_autoscalers(m);
    if !lost.is_empty() {
        match out.first_mut() {
            Some(u) => u.deployed.findings.extend(lost),
            None => out.push(Unit {
                name: String::new(),
                deployed: Deployed {
                    findings: lost,
                    ..Deployed::default()
                },
                db: false,
                standalone: false,
            }),
        }
    }
    out
}

/// An autoscaler whose `scaleTargetRef` names no workload of the files scales nothing poolcheck
/// counts: a misspelt target would leave the workload at its replicas instead of the
/// autoscaler's maximum, with nothing saying so.
fn unmatched_autoscalers(m: &Manifests) -> Vec<Finding> {
    let targets = |a: &k8s::Autoscaler| {
        m.workloads
            .iter()
            .any(|w| a.target_name == w.name && a.target_kind.eq_ignore_ascii_case(w.kind.as_str()))
    };
    m.autoscalers
        .iter()
        .filter(|a| !targets(a))
        .map(|a| {
            let object = match a.kind {
                k8s::AutoscalerKind::Hpa => "HorizontalPodAutoscaler",
                k8s::AutoscalerKind::Keda => "ScaledObject",
            };
            let at = a.target_node.get("name").unwrap_or(&a.target_node);
            let names: Vec<String> = m
                .workloads
                .iter()
                .map(|w| format!("{} `{}`", w.kind.as_str(), w.name))
                .collect();
            let help = if names.is_empty() {
                "check the workload's manifest together with the autoscaler's".to_string()
            } else {
                format!(
                    "fix scaleTargetRef (the files hold {}), or check the workload's manifest too",
                    names.join(", ")
                )
            };
            Finding::new(
                Code::PC008,
                format!(
                    "{object} `{}` scales {} `{}`, which is not among the files checked",
                    a.name, a.target_kind, a.target_name
                ),
                help,
            )
            .at(
                at.file,
                at.span,
                format!("no {} `{}`", a.target_kind, a.target_name),
            )
        })
        .collect()
}

/// Replicas, the autoscaler's range and the rolling-update surge of a workload.
fn scaling(w: &k8s::Workload, m: &Manifests, findings: &mut Vec<Finding>) -> Scaling {
    // DeploymentSpec and StatefulSetSpec: replicas defaults to 1,
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#DeploymentSpec
    let replicas = match &w.replicas {
        Some(n) => pods(
            n,
            &format!("replicas of {} `{}`", w.kind.as_str(), w.name),
            findings,
        ),
        // One pod per node it runs on: how many nodes that is, only the cluster knows.
        // https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/
        None if w.kind == WorkloadKind::DaemonSet => Some(Sourced::new(
            1,
            Origin::Assumed {
                note: format!(
                    "DaemonSet `{}` runs one pod per node and the files do not say how many \
                     nodes; assuming 1 (set replicas in poolcheck.toml to the node count)",
                    w.name
                ),
            },
        )),
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
    let mut s = Scaling {
        replicas,
        per_node: (w.kind == WorkloadKind::DaemonSet)
            .then(|| (w.kind_node.file, w.kind_node.span, w.name.clone())),
        ..Scaling::default()
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
    let replaces_in_place =
        |t: &Node| matches!(t.scalar(), Some(Scalar::Str(v)) if v == "Recreate" || v == "OnDelete");
    s.surge = match w.kind {
        // https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates
        WorkloadKind::StatefulSet => Some(Sourced::new(
            Surge::Pods(0),
            Origin::file(w.kind_node.file, w.kind_node.span),
        )),
        // A blue-green Rollout runs the preview pods (previewReplicaCount, else as many as
        // the active ones) beside the active ones until the switch:
        // https://argo-rollouts.readthedocs.io/en/stable/features/bluegreen/
        WorkloadKind::Rollout if w.blue_green.is_some() => {
            let bg = w.blue_green.as_ref().expect("checked");
            match bg.get("previewReplicaCount") {
                Some(n) => pods(
                    n,
                    &format!("previewReplicaCount of Rollout `{}`", w.name),
                    findings,
                )
                .map(|p| Sourced::new(Surge::Pods(p.value), p.origin)),
                None => Some(Sourced::new(
                    Surge::Percent(100),
                    Origin::file(bg.file, bg.span),
                )),
            }
        }
        // https://argo-rollouts.readthedocs.io/en/stable/features/canary/ (maxSurge, default 25%)
        WorkloadKind::Rollout if w.max_surge.is_none() => Some(Sourced::new(
            Surge::Percent(25),
            Origin::Default {
                note: format!(
                    "Argo Rollouts default canary maxSurge: 25% (Rollout `{}`)",
                    w.name
                ),
            },
        )),
        // https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/ (maxSurge default 0:
        // the old pod on a node stops before the new one starts)
        WorkloadKind::DaemonSet if w.max_surge.is_none() => Some(Sourced::new(
            Surge::Pods(0),
            Origin::Default {
                note: format!("DaemonSet default maxSurge: 0 (DaemonSet `{}`)", w.name),
            },
        )),
        _ => match (&w.strategy_type, &w.max_surge) {
            (Some(t), _) if replaces_in_place(t) => {
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
            EnvSource::Literal(text, file, span) => expand(text, &out).map(|t| (t, *file, *span)),
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

/// Kubernetes expands `$(NAME)` in a value from the variables defined before it, and `$$(`
/// is a literal `$(`; a name not defined before stays as written, as the kubelet leaves it.
/// A value that is one reference to a variable poolcheck cannot see (a Secret's) is unknown;
/// inside a longer value (a URL's password) such a reference stays as written.
fn expand(value: &str, before: &[DeployedVar]) -> Option<String> {
    if !value.contains("$(") {
        return Some(value.to_string());
    }
    let lookup = |name: &str| before.iter().rev().find(|v| v.name == name);
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("$$(") {
            out.push_str("$(");
            rest = t;
        } else if let Some(t) = tail.strip_prefix("$(") {
            match t.find(')') {
                Some(end) => {
                    let name = &t[..end];
                    match lookup(name).map(|v| v.value.as_ref()) {
                        Some(Some((v, ..))) => out.push_str(v),
                        Some(None) if value.trim() == format!("$({name})") => return None,
                        _ => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &t[end + 1..];
                }
                None => {
                    out.push_str(tail);
                    rest = "";
                }
            }
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_inside_the_container_is_no_database() {
        let d = Dialects::builtin();
        let db = |name: &str, value: &str| is_db_var(name, Some(value), d);
        assert!(db("GITEA__database__DB_TYPE", "postgres"));
        assert!(!db("GITEA__database__DB_TYPE", "sqlite3"));
        assert!(db("GF_DATABASE_TYPE", "mysql"));
        assert!(!db("GF_DATABASE_TYPE", "sqlite3"));
        assert!(!db("MB_DB_TYPE", "h2"));
        assert!(!db("KC_DB", "dev-file"));
        assert!(db("KC_DB", "postgres"));
        // An unrelated variable is none either way.
        assert!(!db("GITEA__server__DOMAIN", "git.example.com"));
    }

    fn var(name: &str, value: Option<&str>) -> DeployedVar {
        DeployedVar {
            name: name.into(),
            key_origin: Origin::Default {
                note: String::new(),
            },
            value: value.map(|v| (v.to_string(), 0, Span::new(0, 0))),
        }
    }

    #[test]
    fn dependent_variables_expand_as_the_kubelet_does() {
        let before = [var("POOL", Some("12")), var("PASSWORD", None)];
        let e = |s: &str| expand(s, &before);
        assert_eq!(e("$(POOL)").as_deref(), Some("12"));
        assert_eq!(
            e("postgres://a:$(PASSWORD)@db/a?connection_limit=$(POOL)").as_deref(),
            Some("postgres://a:$(PASSWORD)@db/a?connection_limit=12")
        );
        assert_eq!(e("$(PASSWORD)"), None);
        assert_eq!(e("$(UNDEFINED)").as_deref(), Some("$(UNDEFINED)"));
        assert_eq!(e("$$(POOL) costs $5").as_deref(), Some("$(POOL) costs $5"));
        assert_eq!(e("$(POOL").as_deref(), Some("$(POOL"));
    }
}
