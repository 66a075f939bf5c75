//! PgBouncer as Kubernetes deploys it, read into the same [`Config`] as pgbouncer.ini: a Helm
//! chart's values (the PgBouncer chart itself, or a `pgbouncer:` block of an application or
//! umbrella chart) and the operators' resources (CloudNativePG `Pooler`, Zalando `postgresql`
//! with its connection pooler). Each pod is a PgBouncer with its own pools, so the pods are
//! the pooler's replicas. A key the files leave out takes the deployment's documented value
//! (rules/poolers.toml `[deployments.*]`), else PgBouncer's own.
//!
//! Sources, beside each key below: icoretech/pgbouncer
//! <https://github.com/icoretech/helm/blob/main/charts/pgbouncer/README.md>; cradlepoint's
//! chart <https://github.com/cradlepoint/kubernetes-helm-chart-pgbouncer/blob/master/pgbouncer/templates/_pgbouncer.ini.tpl>;
//! CloudNativePG <https://cloudnative-pg.io/documentation/current/connection_pooling/>;
//! Zalando <https://github.com/zalando/postgres-operator/blob/master/docs/reference/cluster_manifest.md>.

use super::pooler_toml::{entries, raw, text};
use crate::core::origin::{Layer, Origin};
use crate::core::source::SourceSet;
use crate::input::formats::pgbouncer::{self, Config, Entry, Raw};
use crate::input::formats::{Node, NodeKind, Scalar};

/// What one file deploys: the settings, and the Service names clients reach the pods by.
#[derive(Debug, Default)]
pub struct Deployed {
    pub config: Config,
    pub names: Vec<String>,
}

fn is_false(node: &Node) -> bool {
    matches!(node.scalar(), Some(Scalar::Bool(false)))
        || text(Some(node)).is_some_and(|t| t.eq_ignore_ascii_case("false"))
}

fn is_true(node: &Node) -> bool {
    matches!(node.scalar(), Some(Scalar::Bool(true)))
        || text(Some(node)).is_some_and(|t| t.eq_ignore_ascii_case("true"))
}

/// The deployment's documented value for `key`, labelled with its source.
fn default(which: &str, label: &str, key: &str) -> Option<Raw> {
    let (text, src) = pgbouncer::deployment_default(which, key)?;
    Some(Raw {
        text,
        origin: Origin::Default {
            note: format!("{label} default ({src})"),
        },
    })
}

/// `maxClientConn` → `max_client_conn`: the charts that take PgBouncer's keys in camelCase.
fn snake(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The PgBouncer a YAML file deploys: an operator resource among its documents, else the
/// Helm values of its first document (all Helm reads). None when it deploys none.
pub fn read(docs: &[Node], pooler: &str, sources: &SourceSet) -> Option<Deployed> {
    let kind_of = |d: &Node, group: &str, kind: &str| {
        let api = text(d.get("apiVersion")).unwrap_or_default();
        api.split('/').next() == Some(group) && text(d.get("kind")).as_deref() == Some(kind)
    };
    let named =
        |d: &&&Node| text(d.get("metadata").and_then(|m| m.get("name"))).as_deref() == Some(pooler);
    let cnpg: Vec<&Node> = docs
        .iter()
        .filter(|d| kind_of(d, "postgresql.cnpg.io", "Pooler"))
        .collect();
    if let Some(d) = cnpg.iter().find(named).or(cnpg.first()) {
        return Some(cnpg_pooler(d));
    }
    if let Some(d) = docs
        .iter()
        .filter(|d| kind_of(d, "acid.zalan.do", "postgresql"))
        .find_map(zalando)
    {
        return Some(d);
    }
    values(docs.first()?, pooler, sources)
}

/// Helm values. The PgBouncer chart's own (icoretech: pgbouncer.ini keys under
/// `config.pgbouncer`; cradlepoint: `poolMode`, `connectionLimits.*`), or the block an
/// application or umbrella chart gives it under `pgbouncer:` (or the pooler's name), where
/// `enabled: false` (the subchart's condition) deploys nothing.
fn values(doc: &Node, pooler: &str, sources: &SourceSet) -> Option<Deployed> {
    let icoretech = |b: &Node| b.get("config").and_then(|c| c.get("pgbouncer")).is_some();
    let chart = |b: &Node| {
        icoretech(b) || b.get("connectionLimits").is_some() || b.get("poolMode").is_some()
    };
    let block = if chart(doc) {
        doc
    } else {
        [pooler, "pgbouncer"]
            .iter()
            .filter_map(|k| doc.get(k))
            .find(|b| matches!(b.kind, NodeKind::Map(_)))?
    };
    let mut out = Deployed::default();
    if let Some(e) = block.get("enabled").filter(|e| is_false(e)) {
        out.config.disabled = Some(Origin::file(e.file, e.span));
        return Some(out);
    }
    let c = &mut out.config;
    let ico = icoretech(block);
    if ico {
        c.settings.extend(
            default("icoretech", "icoretech/pgbouncer chart", "listen_port")
                .map(|r| ("listen_port".to_string(), r)),
        );
    }
    // icoretech: `config.pgbouncer` holds pgbouncer.ini keys as written (README,
    // "config.pgbouncer | PgBouncer-specific settings. Example: pool_mode: transaction").
    // Clients reach the pods through the chart's Service, so its port, not the container's
    // listen_port, is what their URLs name.
    for e in entries(block.get("config").and_then(|c| c.get("pgbouncer"))) {
        let key = e.key.to_ascii_lowercase();
        if ico && key == "listen_port" {
            continue;
        }
        c.settings.extend(raw(&e.value).map(|r| (key, r)));
    }
    // cradlepoint: `poolMode`, `connectionLimits.{maxClientConn, defaultPoolSize, minPoolSize,
    // reservePoolSize}` and `customSettings` (pgbouncer.ini keys) fill its pgbouncer.ini
    // template; an application chart's block writes the same keys in camelCase or as in
    // pgbouncer.ini. Only keys poolcheck models count: `replicaCount` is not a setting.
    for group in [
        Some(block),
        block.get("connectionLimits"),
        block.get("customSettings"),
    ] {
        for e in entries(group) {
            let key = snake(&e.key);
            if pgbouncer::is_known(&key) {
                c.settings.extend(raw(&e.value).map(|r| (key, r)));
            }
        }
    }
    // `service.port`: the Service clients connect to (icoretech default 5432).
    if let Some(p) = block
        .get("service")
        .and_then(|s| s.get("port"))
        .and_then(raw)
    {
        c.settings.push(("listen_port".into(), p));
    }
    // `config.databases` (icoretech) or `databases` (cradlepoint): name → {host, port,
    // dbname, user, pool_size, …}, the parameters of a [databases] entry.
    let dbs = block
        .get("config")
        .and_then(|c| c.get("databases"))
        .or_else(|| block.get("databases"));
    for e in entries(dbs) {
        let params = match &e.value.kind {
            NodeKind::Map(ps) => ps
                .iter()
                .filter_map(|p| Some((p.key.to_ascii_lowercase(), raw(&p.value)?)))
                .collect(),
            NodeKind::Scalar(Scalar::Str(s)) => {
                pgbouncer::connstring(s, e.value.file, e.value.span, sources)
            }
            _ => continue,
        };
        c.databases.push(Entry {
            name: e.key.clone(),
            origin: Origin::file(e.value.file, e.key_span),
            params,
        });
    }
    // `replicaCount` (icoretech, cradlepoint, the Helm starter chart) or `replicas`; with
    // `autoscaling.enabled`, the HorizontalPodAutoscaler's `maxReplicas` is the peak.
    c.replicas = block
        .get("replicaCount")
        .or_else(|| block.get("replicas"))
        .and_then(raw)
        .or_else(|| {
            ico.then(|| default("icoretech", "icoretech/pgbouncer chart", "replicas"))
                .flatten()
        });
    let hpa = block.get("autoscaling");
    if hpa.and_then(|a| a.get("enabled")).is_some_and(is_true) {
        c.max_replicas = hpa.and_then(|a| a.get("maxReplicas")).and_then(raw);
    }
    // `image.tag`: the chart's images are tagged with the PgBouncer version (icoretech:
    // ghcr.io/icoretech/pgbouncer-docker:1.24.0); what an unset max_prepared_statements
    // means depends on it.
    if let Some(tag) = block.get("image").and_then(|i| i.get("tag")) {
        c.version = text(Some(tag))
            .and_then(|t| pgbouncer::image_version(&format!("pgbouncer:{t}")))
            .map(|text| Raw {
                text,
                origin: Origin::file(tag.file, tag.span),
            });
    }
    // The chart's Service is named by fullnameOverride when set, else after the release.
    out.names
        .extend(text(block.get("fullnameOverride")).map(|n| n.to_ascii_lowercase()));
    Some(out)
}

/// CloudNativePG `Pooler`: `spec.instances` pods (default 1), `spec.pgbouncer.poolMode`
/// (default session), `spec.pgbouncer.parameters` as pgbouncer.ini keys; clients reach the
/// Service named like the resource on port 5432 (rules/poolers.toml, `[deployments.cnpg]`).
fn cnpg_pooler(doc: &Node) -> Deployed {
    const LABEL: &str = "CloudNativePG Pooler";
    let mut out = Deployed::default();
    let c = &mut out.config;
    let spec = doc.get("spec");
    let pgb = spec.and_then(|s| s.get("pgbouncer"));
    for key in ["listen_port", "pool_mode"] {
        c.settings
            .extend(default("cnpg", LABEL, key).map(|r| (key.to_string(), r)));
    }
    if let Some(m) = pgb.and_then(|p| p.get("poolMode")).and_then(raw) {
        c.settings.push(("pool_mode".into(), m));
    }
    // The operator manages listen_port and the other keys outside its list.
    for e in entries(pgb.and_then(|p| p.get("parameters"))) {
        let key = e.key.to_ascii_lowercase();
        if key != "listen_port" {
            c.settings.extend(raw(&e.value).map(|r| (key, r)));
        }
    }
    c.replicas = spec
        .and_then(|s| s.get("instances"))
        .and_then(raw)
        .or_else(|| default("cnpg", LABEL, "replicas"));
    out.names.extend(
        text(doc.get("metadata").and_then(|m| m.get("name"))).map(|n| n.to_ascii_lowercase()),
    );
    out
}

/// Zalando `postgresql` with its connection pooler: on with `enableConnectionPooler: true`,
/// or a `connectionPooler` section while enableConnectionPooler is unset ("If this section is
/// not empty, a connection pooler will be created for master service only even if
/// enableConnectionPooler is not present", cluster_manifest.md). The operator sizes each pod
/// from maxDBConnections: see rules/poolers.toml `[deployments.zalando]`.
fn zalando(doc: &Node) -> Option<Deployed> {
    const LABEL: &str = "Zalando postgres-operator";
    let spec = doc.get("spec")?;
    let section = spec
        .get("connectionPooler")
        .filter(|s| !entries(Some(s)).is_empty());
    let mut out = Deployed::default();
    match spec.get("enableConnectionPooler") {
        Some(e) if is_false(e) => {
            out.config.disabled = Some(Origin::file(e.file, e.span));
            return Some(out);
        }
        Some(e) if is_true(e) => {}
        _ => {
            section?;
        }
    }
    let get = |k: &str| section.and_then(|s| s.get(k));
    let number = |k: &str, d: &str| -> (Option<u32>, Raw) {
        let r = get(k)
            .and_then(raw)
            .or_else(|| default("zalando", LABEL, d))
            .unwrap_or(Raw {
                text: String::new(),
                origin: Origin::Assumed { note: k.into() },
            });
        (r.text.trim().parse().ok().filter(|n| *n > 0), r)
    };
    let (pods, pods_raw) = number("numberOfInstances", "replicas");
    let (total, total_raw) = number("maxDBConnections", "max_db_connections");
    let c = &mut out.config;
    for key in ["listen_port", "pool_mode", "max_client_conn"] {
        c.settings
            .extend(default("zalando", LABEL, key).map(|r| (key.to_string(), r)));
    }
    c.settings
        .extend(get("mode").and_then(raw).map(|r| ("pool_mode".into(), r)));
    // Unreadable numbers stay as written for the typer to report; the sizes then take
    // PgBouncer's defaults.
    if let (Some(pods), Some(total)) = (pods, total) {
        let per_pod = total / pods;
        let size = per_pod / 2;
        let min = size / 2;
        let note = format!(
            "{LABEL}: maxDBConnections {total} / {pods} pods = {per_pod} per pod, \
             default_pool_size half of it, min and reserve half of that (connection_pooler.go)"
        );
        // The line to change is maxDBConnections when the file writes it.
        let origin = match total_raw.origin.location() {
            Some((file, span)) => Origin::file(file, span),
            None => Origin::Derived {
                note,
                layer: Layer::Default,
            },
        };
        for (key, n) in [
            ("max_db_connections", per_pod),
            ("default_pool_size", size),
            ("min_pool_size", min),
            ("reserve_pool_size", min),
        ] {
            c.settings.push((
                key.into(),
                Raw {
                    text: n.to_string(),
                    origin: origin.clone(),
                },
            ));
        }
    } else if total.is_none() {
        c.settings.push(("max_db_connections".into(), total_raw));
    }
    c.replicas = Some(pods_raw);
    // The pooler's Service: CLUSTER-pooler (connection_pooler.go, connectionPoolerName).
    out.names.extend(
        text(doc.get("metadata").and_then(|m| m.get("name")))
            .map(|n| format!("{}-pooler", n.to_ascii_lowercase())),
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::source::SourceFile;

    fn read_yaml(text: &str, pooler: &str) -> Option<Deployed> {
        let mut sources = SourceSet::default();
        let id = sources.add(SourceFile::new(
            std::path::Path::new("values.yaml"),
            "values.yaml",
            text,
        ));
        let docs = crate::input::formats::yaml::parse(id, text).unwrap();
        read(&docs, pooler, &sources)
    }

    fn setting<'a>(c: &'a Config, key: &str) -> Option<&'a str> {
        c.setting(key).map(|r| r.text.as_str())
    }

    #[test]
    fn icoretech_values_take_pgbouncer_ini_keys_and_the_service_port() {
        let d = read_yaml(
            "replicaCount: 3\nconfig:\n  databases:\n    app:\n      host: pg-rw\n      port: 5432\n      pool_size: 40\n  pgbouncer:\n    pool_mode: transaction\n    default_pool_size: 25\n    listen_port: 6432\n",
            "pgbouncer",
        )
        .unwrap();
        let c = &d.config;
        assert_eq!(setting(c, "pool_mode"), Some("transaction"));
        assert_eq!(setting(c, "default_pool_size"), Some("25"));
        // The Service's port, not the container's listen_port.
        assert_eq!(setting(c, "listen_port"), Some("5432"));
        assert_eq!(c.replicas.as_ref().unwrap().text, "3");
        assert_eq!(c.databases[0].name, "app");
        assert_eq!(c.databases[0].params[2].1.text, "40");
    }

    #[test]
    fn an_app_charts_block_in_camel_case_with_autoscaling_and_its_off_switch() {
        let on = "pgbouncer:\n  enabled: true\n  replicas: 2\n  poolMode: transaction\n  maxClientConn: 500\n  autoscaling:\n    enabled: true\n    maxReplicas: 4\n";
        let d = read_yaml(on, "bouncer").unwrap();
        assert_eq!(setting(&d.config, "pool_mode"), Some("transaction"));
        assert_eq!(setting(&d.config, "max_client_conn"), Some("500"));
        assert_eq!(d.config.max_replicas.as_ref().unwrap().text, "4");
        let off = read_yaml(
            &on.replace("enabled: true\n  replicas", "enabled: false\n  replicas"),
            "x",
        );
        let off = off.unwrap();
        assert!(off.config.disabled.is_some());
        assert!(off.config.settings.is_empty());
        assert!(read_yaml("image: nginx\n", "pgbouncer").is_none());
    }

    #[test]
    fn a_cnpg_pooler_and_a_zalando_pooler_size_their_pods() {
        let cnpg = "apiVersion: postgresql.cnpg.io/v1\nkind: Pooler\nmetadata:\n  name: app-pooler-rw\nspec:\n  cluster:\n    name: app\n  instances: 3\n  pgbouncer:\n    poolMode: transaction\n    parameters:\n      default_pool_size: \"30\"\n";
        let d = read_yaml(cnpg, "pgbouncer").unwrap();
        assert_eq!(d.names, ["app-pooler-rw"]);
        assert_eq!(setting(&d.config, "pool_mode"), Some("transaction"));
        assert_eq!(setting(&d.config, "default_pool_size"), Some("30"));
        assert_eq!(setting(&d.config, "listen_port"), Some("5432"));
        assert_eq!(d.config.replicas.as_ref().unwrap().text, "3");

        let zalando = "apiVersion: acid.zalan.do/v1\nkind: postgresql\nmetadata:\n  name: acid-shop\nspec:\n  enableConnectionPooler: true\n  connectionPooler:\n    numberOfInstances: 3\n    maxDBConnections: 90\n";
        let d = read_yaml(zalando, "pgbouncer").unwrap();
        assert_eq!(d.names, ["acid-shop-pooler"]);
        let c = &d.config;
        assert_eq!(setting(c, "max_db_connections"), Some("30"));
        assert_eq!(setting(c, "default_pool_size"), Some("15"));
        assert_eq!(setting(c, "reserve_pool_size"), Some("7"));
        assert_eq!(setting(c, "pool_mode"), Some("transaction"));
        assert_eq!(setting(c, "max_client_conn"), Some("10000"));
        let off = read_yaml(&zalando.replace("Pooler: true", "Pooler: false"), "p").unwrap();
        assert!(off.config.disabled.is_some());
        let none = zalando.replace("  enableConnectionPooler: true\n  connectionPooler:\n    numberOfInstances: 3\n    maxDBConnections: 90\n", "  numberOfInstances: 2\n");
        assert!(read_yaml(&none, "p").is_none());
    }
}
