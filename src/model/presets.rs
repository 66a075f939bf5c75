//! Application presets in the model: which component of a preset a service is, and the
//! processes and replicas its chart values give it. The data and detection are
//! [`crate::input::presets`].

pub use crate::input::presets::*;

/// The component a compose service or Kubernetes workload runs, told by its name
/// (`mastodon-sidekiq`, `worker`) or its command (`bundle exec sidekiq`): the longest
/// component name that is one of their words, or a dash-joined run of them, and one named
/// after the app itself only when no other matches.
fn by_workload<'p>(preset: &'p Preset, name: &str, command: &[String]) -> Option<&'p Component> {
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let mut texts: Vec<Vec<String>> = vec![words(name)];
    texts.extend(command.iter().map(|c| words(c)));
    preset
        .components
        .iter()
        .filter(|c| {
            let parts = words(&c.name);
            !parts.is_empty()
                && texts
                    .iter()
                    .any(|t| t.windows(parts.len()).any(|w| w == parts.as_slice()))
        })
        // A component named after the app (Superset's `superset`) is in every one of its
        // services' names: another component's word says more (`superset-worker`).
        .max_by_key(|c| (c.name != preset.id, c.name.len()))
}

/// The component of `preset` a service is: the one poolcheck.toml names, else the one its
/// workload's name or command names, else the first. For a chart, the others its values name
/// become services of their own (pushed to `split`), and the component's own replicas and
/// autoscaling keys replace the chart-wide ones.
pub fn component_of(
    preset: &'static Preset,
    spec: &crate::model::from_files::ServiceSpec,
    values: Option<&crate::input::formats::Node>,
    scaling: &mut crate::model::from_helm::Scaling,
    split: &mut std::collections::BTreeSet<String>,
) -> Option<&'static Component> {
    let comp = match spec.component.as_deref() {
        Some(name) => preset.component(name)?,
        None => spec
            .deployed
            .as_ref()
            .and_then(|d| by_workload(preset, &spec.name, &d.command))
            .or_else(|| preset.components.first())?,
    };
    let Some(values) = values else {
        return Some(comp);
    };
    if spec.component.is_none() {
        // A component the values never mention is one the deployment does not tune: the
        // chart's own default decides whether it runs, and poolcheck does not guess it.
        for other in &preset.components[1..] {
            let off = other
                .enabled_key
                .as_deref()
                .and_then(|k| at_path(values, k))
                .is_some_and(falsy);
            if off {
                continue;
            }
            let named = [&other.replicas_key, &other.autoscaling_max_key]
                .into_iter()
                .flatten()
                .any(|k| at_path(values, k).is_some());
            if named {
                split.insert(other.name.clone());
            }
        }
    }
    if let Some(key) = &comp.replicas_key {
        if key != "replicaCount" {
            scaling.replicas = None;
            scaling.hpa = None;
        }
        if let Some(n) = at_path(values, key) {
            scaling.replicas = pods(n, key, &mut scaling.errors);
        }
    }
    if let Some(surge) = rollout(preset, comp, values, &mut scaling.errors) {
        scaling.surge = Some(surge);
    }
    if let Some(key) = &comp.autoscaling_max_key {
        let enabled = match &comp.autoscaling_enabled_key {
            Some(k) => at_path(values, k).is_some_and(truthy),
            None => true,
        };
        if let (true, Some(n)) = (enabled, at_path(values, key)) {
            if let Some(max) = pods(n, key, &mut scaling.errors) {
                scaling.hpa = Some((None, max));
            }
        }
    }
    Some(comp)
}

/// How the chart rolls the component's pods: none at a time more while it is a StatefulSet
/// (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates),
/// else the maxSurge its values give its Deployment; None leaves the chart-wide surge.
fn rollout(
    preset: &Preset,
    comp: &Component,
    values: &crate::input::formats::Node,
    errors: &mut Vec<(
        crate::core::source::FileId,
        crate::core::source::Span,
        String,
    )>,
) -> Option<crate::model::Sourced<crate::model::Surge>> {
    use crate::model::{Origin, Sourced, Surge};
    if let Some(key) = &comp.statefulset_key {
        let node = at_path(values, key).filter(|n| truthy(n) || falsy(n));
        let stateful = node.map_or(comp.statefulset_default, truthy);
        if stateful {
            let origin = match node {
                Some(n) => Origin::file(n.file, n.span),
                None => Origin::Default {
                    note: format!(
                        "{} chart: {} runs as a StatefulSet while {key} is true (its \
                         default), replaced without surge",
                        preset.name, comp.name
                    ),
                },
            };
            return Some(Sourced::new(Surge::Pods(0), origin));
        }
    }
    let key = comp.surge_key.as_deref()?;
    let n = at_path(values, key)?;
    use crate::input::formats::Scalar;
    let text = match n.scalar() {
        Some(Scalar::Int(i)) => i.to_string(),
        Some(Scalar::Str(s)) => s.clone(),
        Some(Scalar::Null) => return None,
        _ => String::new(),
    };
    match Surge::parse(&text) {
        Ok(v) => Some(Sourced::new(v, Origin::file(n.file, n.span))),
        Err(m) => {
            errors.push((n.file, n.span, format!("{key}: maxSurge {m}")));
            None
        }
    }
}

/// A component's documented processes per pod, where nothing in the files sets them, times
/// the pools each process opens.
pub fn apply_processes(
    preset: &Preset,
    comp: &Component,
    processes: &mut crate::model::Sourced<u32>,
) {
    use crate::model::{Origin, Sourced};
    if let (Origin::Assumed { .. }, Some(n)) = (&processes.origin, comp.processes) {
        *processes = Sourced::new(
            n,
            Origin::Default {
                note: format!("{} {}: {n} processes per pod", preset.name, comp.name),
            },
        );
    }
    if let Some(k) = comp.pools_per_process.filter(|k| *k > 1) {
        let layer = processes.origin.layer();
        let n = processes.value.saturating_mul(k);
        *processes = Sourced::new(
            n,
            Origin::Derived {
                note: format!(
                    "{} {}: {} processes × {k} pools each",
                    preset.name, comp.name, processes.value
                ),
                layer,
            },
        );
    }
}

/// The node at a dotted values path (`sentry.web.replicas`).
fn at_path<'n>(
    values: &'n crate::input::formats::Node,
    path: &str,
) -> Option<&'n crate::input::formats::Node> {
    path.split('.').try_fold(values, |n, seg| n.get(seg))
}

fn truthy(n: &crate::input::formats::Node) -> bool {
    use crate::input::formats::Scalar;
    match n.scalar() {
        Some(Scalar::Bool(b)) => *b,
        Some(Scalar::Str(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A value that switches something off: `false`, or the string "false" as Helm users write it.
fn falsy(n: &crate::input::formats::Node) -> bool {
    use crate::input::formats::Scalar;
    match n.scalar() {
        Some(Scalar::Bool(b)) => !*b,
        Some(Scalar::Str(s)) => s.trim().eq_ignore_ascii_case("false"),
        _ => false,
    }
}

fn pods(
    n: &crate::input::formats::Node,
    key: &str,
    errors: &mut Vec<(
        crate::core::source::FileId,
        crate::core::source::Span,
        String,
    )>,
) -> Option<crate::model::Sourced<u32>> {
    use crate::input::formats::Scalar;
    let v = match n.scalar() {
        Some(Scalar::Int(i)) => u64::try_from(*i).ok(),
        Some(Scalar::Str(s)) => s.trim().parse().ok(),
        Some(Scalar::Null) => return None,
        _ => None,
    };
    let checked = v
        .ok_or_else(|| format!("{key} must be a whole number of pods"))
        .and_then(|v| crate::model::limits::pods(v).map_err(|m| format!("{key}: {m}")));
    match checked {
        Ok(v) => Some(crate::model::Sourced::new(
            v,
            crate::model::Origin::file(n.file, n.span),
        )),
        Err(m) => {
            errors.push((n.file, n.span, m));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::dialects::Concept;

    fn split_for(values: &str) -> std::collections::BTreeSet<String> {
        let preset = get("airflow").unwrap();
        let values = crate::input::formats::yaml::parse_values(0, values, "values.yaml")
            .unwrap()
            .unwrap();
        let spec = crate::model::from_files::ServiceSpec::default();
        let mut scaling = crate::model::from_helm::Scaling::default();
        let mut split = std::collections::BTreeSet::new();
        let comp = component_of(preset, &spec, Some(&values), &mut scaling, &mut split);
        assert_eq!(comp.map(|c| c.name.as_str()), Some("webserver"));
        split
    }

    #[test]
    fn a_workload_names_its_component_by_name_or_command() {
        let mastodon = get("mastodon").unwrap();
        let pick = |name: &str, cmd: &[&str]| {
            let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
            by_workload(mastodon, name, &cmd).map(|c| c.name.as_str())
        };
        assert_eq!(pick("mastodon-sidekiq", &[]), Some("sidekiq"));
        assert_eq!(
            pick("jobs", &["bundle exec sidekiq -c 25"]),
            Some("sidekiq")
        );
        assert_eq!(
            pick("stream", &["node", "./streaming/index.js"]),
            Some("streaming")
        );
        // A word inside another word is not the component: `website` is no `web`.
        assert_eq!(pick("website", &[]), None);
        let sentry = get("sentry").unwrap();
        // The longest component whose words appear in order wins.
        let chosen = by_workload(sentry, "sentry-worker-events", &[]).map(|c| c.name.as_str());
        assert_eq!(chosen, Some("worker-events"));
        // The component named after the app loses to any other one the name carries.
        let superset = get("superset").unwrap();
        let pick = |name: &str| by_workload(superset, name, &[]).map(|c| c.name.as_str());
        assert_eq!(pick("superset-worker"), Some("worker"));
        assert_eq!(pick("superset"), Some("superset"));
    }

    #[test]
    fn a_component_reads_its_own_keys_and_defaults_first() {
        let gitlab = get("gitlab").unwrap();
        let first_pool = |c: &str| {
            let d = gitlab.dialect_for(Some(c));
            let pool = d.defaults.iter().find(|d| d.concept == Concept::PoolMax);
            pool.map(|d| d.value.clone())
        };
        assert_eq!(first_pool("webservice").as_deref(), Some("4"));
        assert_eq!(first_pool("sidekiq").as_deref(), Some("21"));
        // The headroom is one default for every process, added once.
        let d = gitlab.dialect_for(Some("sidekiq"));
        let overflow = d
            .defaults
            .iter()
            .filter(|d| d.concept == Concept::PoolOverflow);
        assert_eq!(overflow.count(), 1);
        // A component's key is not another component's.
        let workers = gitlab
            .dialect()
            .keys
            .into_iter()
            .find(|k| k.path.as_deref() == Some("gitlab.webservice.workerProcesses"))
            .unwrap();
        assert!(gitlab.reads(&workers, "webservice"));
        assert!(!gitlab.reads(&workers, "sidekiq"));
        let headroom = gitlab
            .dialect()
            .keys
            .into_iter()
            .find(|k| k.env.as_deref() == Some("DB_POOL_HEADROOM"))
            .unwrap();
        assert!(gitlab.reads(&headroom, "sidekiq"));
    }

    #[test]
    fn a_statefulset_component_rolls_without_surge() {
        use crate::model::{Origin, Surge};
        let airflow = get("airflow").unwrap();
        let worker = airflow.component("worker").unwrap();
        let surge = |values: &str| {
            let values = crate::input::formats::yaml::parse_values(0, values, "values.yaml")
                .unwrap()
                .unwrap();
            let mut errors = Vec::new();
            rollout(airflow, worker, &values, &mut errors).map(|s| (s.value, s.origin))
        };
        // Left out: the chart's default, persistence on.
        let (v, origin) = surge("workers:\n  replicas: 2\n").unwrap();
        assert_eq!(v, Surge::Pods(0));
        assert!(matches!(origin, Origin::Default { .. }));
        let (v, origin) = surge("workers:\n  persistence:\n    enabled: true\n").unwrap();
        assert_eq!(v, Surge::Pods(0));
        assert!(matches!(origin, Origin::File { .. }));
        // A Deployment: the maxSurge its values give it.
        let off = "workers:\n  persistence:\n    enabled: false\n  strategy:\n    rollingUpdate:\n      maxSurge: \"100%\"\n";
        assert_eq!(surge(off).map(|s| s.0), Some(Surge::Percent(100)));
        assert!(surge("workers:\n  persistence:\n    enabled: false\n").is_none());
    }

    #[test]
    fn a_component_the_values_switch_off_is_not_split_out() {
        let on = "scheduler:\n  replicas: 2\ntriggerer:\n  enabled: true\n  replicas: 1\n";
        assert_eq!(
            split_for(on).into_iter().collect::<Vec<_>>(),
            ["scheduler", "triggerer"]
        );
        let off = "scheduler:\n  replicas: 2\ntriggerer:\n  enabled: false\n  replicas: 1\ndagProcessor:\n  enabled: \"false\"\n  replicas: 1\n";
        assert_eq!(
            split_for(off).into_iter().collect::<Vec<_>>(),
            ["scheduler"]
        );
    }

    #[test]
    fn the_new_presets_are_told_apart() {
        let image = |i: &str| by_image(i).map(|d| d.preset);
        assert_eq!(image("quay.io/keycloak/keycloak:26.0.7"), Some("keycloak"));
        assert_eq!(
            image("metabase/metabase-enterprise:v1.50.3"),
            Some("metabase")
        );
        assert_eq!(image("goharbor/harbor-exporter:v2.11.1"), Some("harbor"));
        assert_eq!(image("matrixdotorg/synapse:v1.114.0"), Some("synapse"));
        assert_eq!(image("langgenius/dify-api:1.7.2"), Some("dify"));
        assert_eq!(image("apache/airflow:2.9.3"), Some("airflow"));
        assert_eq!(image("ghcr.io/zitadel/zitadel:v3.3.2"), Some("zitadel"));
        // The login UI talks to ZITADEL's API, not to the database.
        assert_eq!(image("ghcr.io/zitadel/zitadel-login:v3.3.2"), None);
        let env = |e: &str| by_env(e).map(|d| d.preset);
        assert_eq!(env("KC_DB_POOL_MAX_SIZE"), Some("keycloak"));
        assert_eq!(
            env("MB_APPLICATION_DB_MAX_CONNECTION_POOL_SIZE"),
            Some("metabase")
        );
        assert_eq!(
            env("AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE"),
            Some("airflow")
        );
        assert_eq!(
            env("ZITADEL_DATABASE_POSTGRES_MAXOPENCONNS"),
            Some("zitadel")
        );
        // Generic names never decide the app on their own.
        for generic in [
            "SQLALCHEMY_POOL_SIZE",
            "POSTGRESQL_MAX_OPEN_CONNS",
            "DATABASE_URL",
        ] {
            assert_eq!(env(generic), None, "{generic}");
        }
        assert_eq!(by_chart("keycloakx").map(|d| d.preset), Some("keycloak"));
        assert_eq!(by_chart("harbor").map(|d| d.preset), Some("harbor"));
    }
}
