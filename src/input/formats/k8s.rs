//! Kubernetes manifests (plain files and `helm template` output): the objects that decide how
//! many pods open pools and what environment their containers get. Only the fields poolcheck
//! needs are read; everything keeps its node, so every figure points at its line.
//!
//! Sources for the semantics (defaults are applied in `model::from_manifests`):
//! Deployment <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy>,
//! DaemonSet <https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/>, Argo Rollouts
//! `Rollout` <https://argo-rollouts.readthedocs.io/en/stable/features/specification/>,
//! HorizontalPodAutoscaler `scaleTargetRef`
//! <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/>,
//! KEDA ScaledObject <https://keda.sh/docs/2.14/reference/scaledobject-spec/>,
//! container env and envFrom
//! <https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/>.

use super::{Node, NodeKind, Scalar};
use crate::core::source::{FileId, Span};

/// The objects of a manifest set that matter for connection counts.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub workloads: Vec<Workload>,
    pub autoscalers: Vec<Autoscaler>,
    pub config_maps: Vec<ConfigMap>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    /// One pod per node it is scheduled on: its pod count is the cluster's, not the file's.
    DaemonSet,
    /// Argo Rollouts' Deployment replacement (canary or blue-green updates).
    Rollout,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Rollout => "Rollout",
        }
    }
}

/// A Deployment, StatefulSet, DaemonSet or Argo Rollout.
#[derive(Debug, Clone)]
pub struct Workload {
    pub kind: WorkloadKind,
    /// The `kind:` value, where a figure that follows from the kind points.
    pub kind_node: Node,
    pub name: String,
    pub replicas: Option<Node>,
    /// `strategy.type` (Deployment) or `updateStrategy.type` (DaemonSet) when given.
    pub strategy_type: Option<Node>,
    /// `maxSurge` of the rolling update (a Rollout's `strategy.canary.maxSurge`).
    pub max_surge: Option<Node>,
    /// A Rollout's `strategy.blueGreen`: the preview pods run beside the active ones.
    pub blue_green: Option<Node>,
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub env: Vec<EnvVar>,
    pub env_from: Vec<EnvFrom>,
    /// `image:` as written, which names the application (presets).
    pub image: Option<String>,
    /// `command:` then `args:`, each word with where it is: the processes the container
    /// starts (`celery … worker --concurrency 4`).
    pub args: Vec<(String, FileId, Span)>,
}

impl Workload {
    /// The same workload again (a kustomize patch, a later file): what it sets replaces the
    /// earlier fields, containers merge by name with its env after theirs, so the workload is
    /// counted once.
    fn patch(&mut self, later: Workload) {
        if later.replicas.is_some() {
            self.replicas = later.replicas;
        }
        if later.strategy_type.is_some() {
            self.strategy_type = later.strategy_type;
        }
        if later.max_surge.is_some() {
            self.max_surge = later.max_surge;
        }
        if later.blue_green.is_some() {
            self.blue_green = later.blue_green;
        }
        for c in later.containers {
            match self.containers.iter_mut().find(|x| x.name == c.name) {
                Some(x) => {
                    x.env.extend(c.env);
                    x.env_from.extend(c.env_from);
                    if c.image.is_some() {
                        x.image = c.image;
                    }
                    if !c.args.is_empty() {
                        x.args = c.args;
                    }
                }
                None => self.containers.push(c),
            }
        }
    }
}

/// One `env:` item of a container.
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: String,
    pub name_file: FileId,
    pub name_span: Span,
    pub source: EnvSource,
}

#[derive(Debug, Clone)]
pub enum EnvSource {
    /// `value:` as written (Kubernetes takes it as a string).
    Literal(String, FileId, Span),
    /// `valueFrom.configMapKeyRef`.
    ConfigMapKey {
        map: String,
        key: String,
        optional: bool,
        file: FileId,
        span: Span,
    },
    /// `valueFrom.secretKeyRef`, `fieldRef`, `resourceFieldRef`: set in the cluster only.
    External(&'static str),
}

/// One `envFrom:` item.
#[derive(Debug, Clone)]
pub struct EnvFrom {
    /// True for `configMapRef`, false for `secretRef`.
    pub config_map: bool,
    pub name: String,
    pub prefix: String,
    pub optional: bool,
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoscalerKind {
    Hpa,
    Keda,
}

/// A HorizontalPodAutoscaler or a KEDA ScaledObject.
#[derive(Debug, Clone)]
pub struct Autoscaler {
    pub kind: AutoscalerKind,
    pub name: String,
    /// `scaleTargetRef.kind` (KEDA's default: Deployment).
    pub target_kind: String,
    pub target_name: String,
    /// `scaleTargetRef`, where a finding about the reference points.
    pub target_node: Node,
    pub min: Option<Node>,
    pub max: Option<Node>,
}

#[derive(Debug, Clone)]
pub struct ConfigMap {
    pub name: String,
    /// `data:` entries: key, value text, where the value is.
    pub data: Vec<(String, String, FileId, Span)>,
}

/// True when the documents hold at least one Kubernetes object (`apiVersion` and `kind`).
pub fn is_manifest(docs: &[Node]) -> bool {
    docs.iter()
        .any(|d| text(d, "apiVersion").is_some() && text(d, "kind").is_some())
}

/// The objects of every document, in order; `kind: List` items included.
pub fn read(docs: &[Node]) -> Manifests {
    let mut m = Manifests::default();
    for d in docs {
        object(d, &mut m, 0);
    }
    m
}

fn object(d: &Node, m: &mut Manifests, depth: usize) {
    let Some(kind) = text(d, "kind") else { return };
    let name = d
        .get("metadata")
        .and_then(|md| text(md, "name"))
        .unwrap_or_default();
    let spec = d.get("spec");
    match kind.as_str() {
        // A List nests objects; real ones nest once, so a bound keeps hostile input flat.
        "List" if depth < 4 => {
            if let Some(NodeKind::Seq(items)) = d.get("items").map(|n| &n.kind) {
                for item in items {
                    object(item, m, depth + 1);
                }
            }
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "Rollout" => {
            let wk = match kind.as_str() {
                "Deployment" => WorkloadKind::Deployment,
                "StatefulSet" => WorkloadKind::StatefulSet,
                "DaemonSet" => WorkloadKind::DaemonSet,
                // Another API's `Rollout` is not Argo's: its fields mean something else.
                _ if text(d, "apiVersion").is_some_and(|v| v.starts_with("argoproj.io/")) => {
                    WorkloadKind::Rollout
                }
                _ => return,
            };
            // A DaemonSet names its update `updateStrategy`; a Rollout nests the surge under
            // its strategy (`canary.maxSurge`).
            let strategy = spec.and_then(|s| {
                s.get(if wk == WorkloadKind::DaemonSet {
                    "updateStrategy"
                } else {
                    "strategy"
                })
            });
            let max_surge = match wk {
                WorkloadKind::Rollout => strategy
                    .and_then(|s| s.get("canary"))
                    .and_then(|c| c.get("maxSurge")),
                _ => strategy
                    .and_then(|s| s.get("rollingUpdate"))
                    .and_then(|r| r.get("maxSurge")),
            };
            let pod = spec
                .and_then(|s| s.get("template"))
                .and_then(|t| t.get("spec"));
            let containers = match pod.and_then(|p| p.get("containers")).map(|c| &c.kind) {
                Some(NodeKind::Seq(items)) => items.iter().map(container).collect(),
                _ => Vec::new(),
            };
            let w = Workload {
                kind: wk,
                kind_node: d.get("kind").cloned().unwrap_or_else(|| d.clone()),
                name,
                replicas: spec
                    .filter(|_| wk != WorkloadKind::DaemonSet)
                    .and_then(|s| s.get("replicas"))
                    .cloned(),
                strategy_type: strategy.and_then(|s| s.get("type")).cloned(),
                max_surge: max_surge.cloned(),
                blue_green: strategy
                    .filter(|_| wk == WorkloadKind::Rollout)
                    .and_then(|s| s.get("blueGreen"))
                    .cloned(),
                containers,
            };
            match m
                .workloads
                .iter_mut()
                .find(|x| x.kind == w.kind && x.name == w.name)
            {
                Some(x) => x.patch(w),
                None => m.workloads.push(w),
            }
        }
        "HorizontalPodAutoscaler" | "ScaledObject" => {
            let Some(target) = spec.and_then(|s| s.get("scaleTargetRef")) else {
                return;
            };
            let keda = kind == "ScaledObject";
            let (min, max) = if keda {
                ("minReplicaCount", "maxReplicaCount")
            } else {
                ("minReplicas", "maxReplicas")
            };
            m.autoscalers.push(Autoscaler {
                kind: if keda {
                    AutoscalerKind::Keda
                } else {
                    AutoscalerKind::Hpa
                },
                name,
                target_kind: text(target, "kind").unwrap_or_else(|| "Deployment".into()),
                target_name: text(target, "name").unwrap_or_default(),
                target_node: target.clone(),
                min: spec.and_then(|s| s.get(min)).cloned(),
                max: spec.and_then(|s| s.get(max)).cloned(),
            });
        }
        "ConfigMap" => {
            let mut data = Vec::new();
            if let Some(NodeKind::Map(entries)) = d.get("data").map(|n| &n.kind) {
                for e in entries {
                    if let Some(t) = e.value.scalar().and_then(Scalar::as_text) {
                        data.push((e.key.clone(), t, e.value.file, e.value.span));
                    }
                }
            }
            m.config_maps.push(ConfigMap { name, data });
        }
        _ => {}
    }
}

fn container(c: &Node) -> Container {
    let mut env = Vec::new();
    if let Some(NodeKind::Seq(items)) = c.get("env").map(|n| &n.kind) {
        for item in items {
            let Some(name_node) = item.get("name") else {
                continue;
            };
            let Some(name) = name_node.scalar().and_then(Scalar::as_text) else {
                continue;
            };
            env.push(EnvVar {
                name,
                name_file: name_node.file,
                name_span: name_node.span,
                source: env_source(item),
            });
        }
    }
    let mut env_from = Vec::new();
    if let Some(NodeKind::Seq(items)) = c.get("envFrom").map(|n| &n.kind) {
        for item in items {
            let prefix = text(item, "prefix").unwrap_or_default();
            for (key, config_map) in [("configMapRef", true), ("secretRef", false)] {
                if let Some(r) = item.get(key) {
                    env_from.push(EnvFrom {
                        config_map,
                        name: text(r, "name").unwrap_or_default(),
                        prefix: prefix.clone(),
                        optional: r.get("optional").is_some_and(truthy),
                        file: r.file,
                        span: r.get("name").map_or(r.span, |n| n.span),
                    });
                }
            }
        }
    }
    let mut args = Vec::new();
    for key in ["command", "args"] {
        if let Some(NodeKind::Seq(items)) = c.get(key).map(|n| &n.kind) {
            args.extend(items.iter().filter_map(|i| {
                let t = i.scalar().and_then(Scalar::as_text)?;
                Some((t, i.file, i.span))
            }));
        }
    }
    Container {
        name: text(c, "name").unwrap_or_default(),
        env,
        env_from,
        image: text(c, "image"),
        args,
    }
}

fn env_source(item: &Node) -> EnvSource {
    if let Some(from) = item.get("valueFrom") {
        if let Some(r) = from.get("configMapKeyRef") {
            return EnvSource::ConfigMapKey {
                map: text(r, "name").unwrap_or_default(),
                key: text(r, "key").unwrap_or_default(),
                optional: r.get("optional").is_some_and(truthy),
                file: r.file,
                span: r.get("key").map_or(r.span, |n| n.span),
            };
        }
        if from.get("secretKeyRef").is_some() {
            return EnvSource::External("a Secret (secretKeyRef)");
        }
        if from.get("fieldRef").is_some() {
            return EnvSource::External("the pod's fields (fieldRef)");
        }
        return EnvSource::External("the cluster (valueFrom)");
    }
    match item.get("value") {
        Some(v) => match v.scalar().and_then(Scalar::as_text) {
            Some(t) => EnvSource::Literal(t, v.file, v.span),
            None => EnvSource::Literal(String::new(), v.file, v.span),
        },
        // `name` without `value`: the variable is set to the empty string.
        None => EnvSource::Literal(String::new(), item.file, item.span),
    }
}

fn text(n: &Node, key: &str) -> Option<String> {
    n.get(key)?.scalar()?.as_text()
}

fn truthy(n: &Node) -> bool {
    matches!(n.scalar(), Some(Scalar::Bool(true)))
        || matches!(n.scalar(), Some(Scalar::Str(s)) if s == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Manifests {
        read(&crate::input::formats::yaml::parse(0, text).unwrap())
    }

    #[test]
    fn reads_workloads_autoscalers_and_config_maps_across_documents() {
        let m = parse(concat!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n",
            "data:\n  DB_POOL_SIZE: \"40\"\n",
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n",
            "spec:\n  replicas: 6\n  strategy:\n    rollingUpdate: {maxSurge: 2}\n",
            "  template:\n    spec:\n      containers:\n        - name: web\n",
            "          env:\n            - {name: A, value: x}\n            - name: B\n",
            "              valueFrom: {configMapKeyRef: {name: db, key: DB_POOL_SIZE}}\n",
            "          envFrom:\n            - configMapRef: {name: db}\n",
            "---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: s}\n",
            "spec:\n  scaleTargetRef: {name: api}\n",
        ));
        assert_eq!(m.config_maps[0].data[0].1, "40");
        let w = &m.workloads[0];
        assert_eq!((w.kind, w.name.as_str()), (WorkloadKind::Deployment, "api"));
        assert_eq!(w.replicas.as_ref().unwrap().scalar(), Some(&Scalar::Int(6)));
        assert_eq!(
            w.max_surge.as_ref().unwrap().scalar(),
            Some(&Scalar::Int(2))
        );
        let c = &w.containers[0];
        assert!(matches!(&c.env[0].source, EnvSource::Literal(v, ..) if v == "x"));
        assert!(
            matches!(&c.env[1].source, EnvSource::ConfigMapKey { map, key, .. } if map == "db" && key == "DB_POOL_SIZE")
        );
        assert!(c.env_from[0].config_map);
        let a = &m.autoscalers[0];
        assert_eq!(a.kind, AutoscalerKind::Keda);
        assert_eq!(
            (a.target_kind.as_str(), a.target_name.as_str()),
            ("Deployment", "api")
        );
        assert!(a.max.is_none());
    }

    #[test]
    fn a_repeated_workload_is_patched_not_counted_twice() {
        let m = parse(concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n",
            "  replicas: 1\n  template:\n    spec:\n      containers:\n",
            "        - name: api\n          env: [{name: DB_POOL_SIZE, value: \"5\"}]\n",
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n",
            "  replicas: 6\n  template:\n    spec:\n      containers:\n",
            "        - name: api\n          env: [{name: DB_POOL_SIZE, value: \"20\"}]\n",
        ));
        assert_eq!(m.workloads.len(), 1);
        let w = &m.workloads[0];
        assert_eq!(w.replicas.as_ref().unwrap().scalar(), Some(&Scalar::Int(6)));
        assert_eq!(w.containers.len(), 1);
        // The later value comes last, so it wins.
        assert!(matches!(&w.containers[0].env[1].source, EnvSource::Literal(v, ..) if v == "20"));
    }

    #[test]
    fn a_list_holds_objects_and_plain_yaml_is_no_manifest() {
        let docs = crate::input::formats::yaml::parse(
            0,
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: StatefulSet\n    metadata: {name: db}\n",
        )
        .unwrap();
        assert!(is_manifest(&docs));
        assert_eq!(read(&docs).workloads[0].kind, WorkloadKind::StatefulSet);
        let plain = crate::input::formats::yaml::parse(0, "kind: x\nreplicas: 2\n").unwrap();
        assert!(!is_manifest(&plain));
    }
}
