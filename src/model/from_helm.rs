//! Helm: values files merged as `helm -f` does, and the Deployment/HPA facts the scaffold chart
//! derives from them (replicaCount, autoscaling, rolling-update surge, env lists).

use super::{Origin, Sourced, Surge};
use crate::core::source::{FileId, Span};
use crate::input::formats::{Node, NodeKind, Scalar};

/// Keys whose values are container env lists in the shapes charts use.
pub const ENV_KEYS: [&str; 3] = ["env", "extraEnv", "extraEnvVars"];

/// Deployment facts read from merged values.
#[derive(Debug, Clone, Default)]
pub struct Scaling {
    pub replicas: Option<Sourced<u32>>,
    /// (minReplicas, maxReplicas) when `autoscaling.enabled` is true.
    pub hpa: Option<(Option<Sourced<u32>>, Sourced<u32>)>,
    pub surge: Option<Sourced<Surge>>,
    /// A value that should be a number and is not: (file, span, message).
    pub errors: Vec<(FileId, Span, String)>,
    /// A DaemonSet's `kind:` (file, span, name): one pod per node, a count only the cluster
    /// knows.
    pub per_node: Option<(FileId, Span, String)>,
}

fn origin(n: &Node) -> Origin {
    Origin::file(n.file, n.span)
}

fn as_u32(n: &Node) -> Option<u32> {
    match n.scalar()? {
        Scalar::Int(i) => u32::try_from(*i).ok(),
        Scalar::Str(s) => s.trim().parse().ok(),
        Scalar::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= u32::MAX as f64 => {
            Some(*f as u32)
        }
        _ => None,
    }
}

fn truthy(n: &Node) -> bool {
    match n.scalar() {
        Some(Scalar::Bool(b)) => *b,
        Some(Scalar::Str(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn count(n: &Node, what: &str, errors: &mut Vec<(FileId, Span, String)>) -> Option<Sourced<u32>> {
    match as_u32(n) {
        Some(v) => match crate::model::limits::pods(u64::from(v)) {
            Ok(v) => Some(Sourced::new(v, origin(n))),
            Err(m) => {
                errors.push((n.file, n.span, format!("{what}: {m}")));
                None
            }
        },
        None => {
            if !matches!(n.scalar(), Some(Scalar::Null)) {
                errors.push((
                    n.file,
                    n.span,
                    format!("{what} must be a whole number of pods"),
                ));
            }
            None
        }
    }
}

/// Reads a maxSurge value (an integer or a percentage string) with the model's one parser.
fn parse_surge(n: &Node) -> Result<Surge, String> {
    match n.scalar() {
        Some(Scalar::Int(i)) => Surge::parse(&i.to_string()),
        Some(Scalar::Str(s)) => Surge::parse(s),
        _ => Err("must be a number of pods or a percentage such as 25%".into()),
    }
}

pub fn scaling(values: &Node) -> Scaling {
    let mut s = Scaling::default();
    if let Some(n) = values.get("replicaCount") {
        s.replicas = count(n, "replicaCount", &mut s.errors);
    }
    if let Some(a) = values.get("autoscaling") {
        if a.get("enabled").is_some_and(truthy) {
            let min = a
                .get("minReplicas")
                .and_then(|n| count(n, "autoscaling.minReplicas", &mut s.errors));
            let max = a
                .get("maxReplicas")
                .and_then(|n| count(n, "autoscaling.maxReplicas", &mut s.errors));
            match max {
                Some(max) => s.hpa = Some((min, max)),
                None => s.errors.push((
                    a.file,
                    a.span,
                    "autoscaling is enabled but maxReplicas is missing".into(),
                )),
            }
        }
    }
    let surge_paths: [&[&str]; 3] = [
        &["strategy", "rollingUpdate", "maxSurge"],
        &["updateStrategy", "rollingUpdate", "maxSurge"],
        &["rollingUpdate", "maxSurge"],
    ];
    for path in surge_paths {
        let mut node = Some(values);
        for seg in path {
            node = node.and_then(|n| n.get(seg));
        }
        if let Some(n) = node {
            match parse_surge(n) {
                Ok(v) => s.surge = Some(Sourced::new(v, origin(n))),
                Err(m) => s.errors.push((n.file, n.span, format!("maxSurge {m}"))),
            }
            break;
        }
    }
    s
}

/// An env var from a chart's env list.
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: String,
    pub name_file: FileId,
    pub name_span: Span,
    /// The literal value and its node; None when it comes from valueFrom/a secret.
    pub value: Option<(String, FileId, Span)>,
}

/// Every env var in `env`, `extraEnv`, `extraEnvVars` lists or maps, at any depth.
pub fn env_vars(values: &Node) -> Vec<EnvVar> {
    let mut out = Vec::new();
    collect_env(values, &mut out);
    out
}

fn collect_env(node: &Node, out: &mut Vec<EnvVar>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                if ENV_KEYS.contains(&e.key.as_str()) {
                    read_env_list(&e.value, out);
                } else {
                    collect_env(&e.value, out);
                }
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|n| collect_env(n, out)),
        NodeKind::Scalar(_) => {}
    }
}

fn read_env_list(node: &Node, out: &mut Vec<EnvVar>) {
    match &node.kind {
        // env: [{name: X, value: Y}] or [{name: X, valueFrom: {...}}]
        NodeKind::Seq(items) => {
            for item in items {
                let Some(name_node) = item.get("name") else {
                    continue;
                };
                let Some(Scalar::Str(name)) = name_node.scalar() else {
                    continue;
                };
                let value = item
                    .get("value")
                    .and_then(|v| scalar_text(v).map(|t| (t, v.file, v.span)));
                out.push(EnvVar {
                    name: name.clone(),
                    name_file: name_node.file,
                    name_span: name_node.span,
                    value,
                });
            }
        }
        // env: {X: Y} or {X: {value: Y}} or {X: {valueFrom: ...}}
        NodeKind::Map(entries) => {
            for e in entries {
                let value = match &e.value.kind {
                    NodeKind::Scalar(_) => {
                        scalar_text(&e.value).map(|t| (t, e.value.file, e.value.span))
                    }
                    NodeKind::Map(_) => e
                        .value
                        .get("value")
                        .and_then(|v| scalar_text(v).map(|t| (t, v.file, v.span))),
                    NodeKind::Seq(_) => None,
                };
                out.push(EnvVar {
                    name: e.key.clone(),
                    name_file: e.value.file,
                    name_span: e.key_span,
                    value,
                });
            }
        }
        NodeKind::Scalar(_) => {}
    }
}

fn scalar_text(n: &Node) -> Option<String> {
    n.scalar().and_then(Scalar::as_text)
}
