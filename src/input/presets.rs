//! Application presets: what a well-known self-hosted application opens per process, which
//! keys configure its pool, its defaults, its components and how its Helm chart names their
//! replicas. The data lives in rules/apps/<id>.toml (embedded at build time); each preset is
//! also a key dialect, so its keys and defaults flow through the same model as a library's.
//!
//! A preset's keys are recognised everywhere only when nothing else can write them (an exact
//! spelling, or an env name under the app's own prefix such as `MM_SQLSETTINGS_`); the rest
//! (`SqlSettings.MaxOpenConns`, `db_pool`) count only in a service detected as that app, so a
//! key name alone never decides the stack.

use crate::input::dialects::{Concept, DefaultDef, Dialect, KeyDef, Special, Unit};
use serde::Deserialize;
use std::sync::OnceLock;

/// Every preset file, embedded. `every_file_in_rules_apps_is_embedded` keeps the list whole.
const FILES: &[(&str, &str)] = &[
    ("airflow", include_str!("../../rules/apps/airflow.toml")),
    ("chatwoot", include_str!("../../rules/apps/chatwoot.toml")),
    ("dify", include_str!("../../rules/apps/dify.toml")),
    ("directus", include_str!("../../rules/apps/directus.toml")),
    ("discourse", include_str!("../../rules/apps/discourse.toml")),
    ("ghost", include_str!("../../rules/apps/ghost.toml")),
    ("gitea", include_str!("../../rules/apps/gitea.toml")),
    ("gitlab", include_str!("../../rules/apps/gitlab.toml")),
    ("grafana", include_str!("../../rules/apps/grafana.toml")),
    ("harbor", include_str!("../../rules/apps/harbor.toml")),
    ("hasura", include_str!("../../rules/apps/hasura.toml")),
    ("keycloak", include_str!("../../rules/apps/keycloak.toml")),
    ("lemmy", include_str!("../../rules/apps/lemmy.toml")),
    ("mastodon", include_str!("../../rules/apps/mastodon.toml")),
    (
        "mattermost",
        include_str!("../../rules/apps/mattermost.toml"),
    ),
    ("metabase", include_str!("../../rules/apps/metabase.toml")),
    ("n8n", include_str!("../../rules/apps/n8n.toml")),
    ("outline", include_str!("../../rules/apps/outline.toml")),
    ("postgrest", include_str!("../../rules/apps/postgrest.toml")),
    ("sentry", include_str!("../../rules/apps/sentry.toml")),
    ("superset", include_str!("../../rules/apps/superset.toml")),
    ("synapse", include_str!("../../rules/apps/synapse.toml")),
    ("umami", include_str!("../../rules/apps/umami.toml")),
    (
        "vaultwarden",
        include_str!("../../rules/apps/vaultwarden.toml"),
    ),
    ("zitadel", include_str!("../../rules/apps/zitadel.toml")),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub id: String,
    pub name: String,
    pub docs: String,
    pub engines: Vec<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// The client library whose pool the application opens, as a dialect id of
    /// rules/dialects.toml (Umami: `prisma`): that library's keys count in the app's files,
    /// and a host-CPU default is sized by that library's formula.
    #[serde(default)]
    pub client: Option<String>,
    /// The Redis client library the application uses, as a Redis dialect id (Outline:
    /// `ioredis`), for the service's Redis part; the app's database keys never size it.
    #[serde(default)]
    pub redis_client: Option<String>,
    #[serde(default)]
    pub detect: Detect,
    #[serde(default)]
    pub keys: Vec<PresetKey>,
    #[serde(default)]
    pub defaults: Vec<PresetDefault>,
    #[serde(default)]
    pub components: Vec<Component>,
    /// The comment above each key, default and component: its source link.
    #[serde(skip)]
    pub sources: Sources,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub charts: Vec<String>,
    #[serde(default)]
    pub env_prefixes: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
}

/// A key as the schema (and rules/dialects.toml) spells it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetKey {
    pub env: Option<String>,
    pub path: Option<String>,
    pub url: Option<String>,
    /// Spelt exactly (Grafana's `conn_max_lifetime` vs Gitea's `CONN_MAX_LIFETIME`).
    #[serde(default)]
    pub exact: bool,
    pub concept: Concept,
    pub unit: Unit,
    pub zero: Option<Special>,
    pub negative: Option<Special>,
    /// Read only by a service of this component: GitLab's `gitlab.webservice.workerProcesses`
    /// is no Sidekiq pod's process count, though both read the same chart values.
    pub component: Option<String>,
}

/// A documented default; `component` names the one process kind it is of (a Puma worker's
/// pool is its threads, a Sidekiq process's its concurrency + 1), and such a default goes
/// before the preset-wide ones for a service of that component.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetDefault {
    pub concept: Concept,
    pub value: String,
    pub note: String,
    pub component: Option<String>,
}

impl PresetDefault {
    fn def(&self) -> DefaultDef {
        DefaultDef {
            concept: self.concept,
            value: self.value.clone(),
            note: self.note.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: String,
    pub processes: Option<u32>,
    pub pools_per_process: Option<u32>,
    pub replicas_key: Option<String>,
    pub autoscaling_max_key: Option<String>,
    pub autoscaling_enabled_key: Option<String>,
    /// The chart value that switches the component off (`triggerer.enabled`): when the
    /// values say false, the chart renders no workload for it.
    pub enabled_key: Option<String>,
    /// The chart value that makes the component a StatefulSet while true (Airflow's
    /// `workers.persistence.enabled`), whose pods are replaced without surge.
    pub statefulset_key: Option<String>,
    /// What the chart gives `statefulset_key` when the values read leave it out.
    #[serde(default)]
    pub statefulset_default: bool,
    /// The chart value of the component's Deployment maxSurge
    /// (`workers.strategy.rollingUpdate.maxSurge`).
    pub surge_key: Option<String>,
}

/// Source links per entry, in file order, read from the comments above each table.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub keys: Vec<Vec<String>>,
    pub defaults: Vec<Vec<String>>,
    pub components: Vec<Vec<String>>,
}

impl Preset {
    /// Connections one pod of `component` opens per pool setting: processes × pools.
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.name == name)
    }

    /// The preset as a dialect with every key (each component's too: which component a
    /// service is may take its files to tell) and the preset-wide defaults: used inside a
    /// service detected as this app.
    pub fn dialect(&self) -> Dialect {
        self.dialect_for(None)
    }

    /// The preset as a dialect for a service of `component`: its own defaults before the
    /// preset-wide ones (the first default of a concept wins).
    pub fn dialect_for(&self, component: Option<&str>) -> Dialect {
        let own = self
            .defaults
            .iter()
            .filter(|d| component.is_some() && d.component.as_deref() == component);
        let wide = self.defaults.iter().filter(|d| d.component.is_none());
        Dialect {
            id: self.id.clone(),
            library: self.name.clone(),
            keys: self.keys.iter().map(key_def).collect(),
            defaults: own.chain(wide).map(PresetDefault::def).collect(),
            // An application's own database pool: the SQL server its URL names.
            engine: None,
            stack_only: false,
            needs_url: false,
        }
    }

    /// Only the keys no other stack writes: exactly spelt paths and env names under the app's
    /// own prefixes. None when the preset has none.
    pub fn global_dialect(&self) -> Option<Dialect> {
        let keys: Vec<KeyDef> = self
            .keys
            .iter()
            .filter_map(|k| {
                let mut def = key_def(k);
                if !k.exact {
                    def.path = None;
                }
                if !def.env.as_deref().is_some_and(|e| self.own_env(e)) {
                    def.env = None;
                }
                def.url = None;
                (def.env.is_some() || def.path.is_some()).then_some(def)
            })
            .collect();
        (!keys.is_empty()).then(|| Dialect {
            id: self.id.clone(),
            library: self.name.clone(),
            keys,
            defaults: self.dialect().defaults,
            // An application's own database pool: the SQL server its URL names.
            engine: None,
            stack_only: false,
            needs_url: false,
        })
    }

    /// Whether a key this preset matched (by its env name or path) is read by a service of
    /// `component`: a key of another component is not.
    pub fn reads(&self, def: &KeyDef, component: &str) -> bool {
        let same = |k: &&PresetKey| {
            (k.env.is_some() && k.env == def.env) || (k.path.is_some() && k.path == def.path)
        };
        let mut of = self.keys.iter().filter(same).peekable();
        of.peek().is_none() || of.any(|k| k.component.as_deref().is_none_or(|c| c == component))
    }

    /// An environment variable under one of the app's prefixes (`MM_SQLSETTINGS_…`).
    pub fn own_env(&self, name: &str) -> bool {
        // Case-insensitive prefix test without allocating: this runs for every key of every
        // env file against every preset.
        let name = name.as_bytes();
        self.detect
            .env_prefixes
            .iter()
            .any(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
    }
}

fn key_def(k: &PresetKey) -> KeyDef {
    KeyDef {
        env: k.env.clone(),
        path: k.path.clone(),
        url: k.url.clone(),
        conn: None,
        exact: k.exact,
        concept: k.concept,
        unit: k.unit,
        zero: k.zero,
        negative: k.negative,
        sets: None,
    }
}

/// Every builtin preset, in id order.
pub fn builtin() -> &'static [Preset] {
    static CELL: OnceLock<Vec<Preset>> = OnceLock::new();
    CELL.get_or_init(|| {
        FILES
            .iter()
            .map(|(id, text)| {
                parse(id, text).unwrap_or_else(|e| {
                    panic!("rules/apps/{id}.toml: {e} (checked by the test suite)")
                })
            })
            .collect()
    })
}

pub fn get(id: &str) -> Option<&'static Preset> {
    builtin().iter().find(|p| p.id == id)
}

/// Reads and checks one preset file; the error names the file's problem and what to write.
pub fn parse(file_id: &str, text: &str) -> Result<Preset, String> {
    let mut p: Preset = toml::from_str(text).map_err(|e| e.to_string())?;
    if p.id != file_id {
        return Err(format!(
            "id `{}` differs from the file name `{file_id}`",
            p.id
        ));
    }
    for e in &p.engines {
        if !matches!(e.as_str(), "postgres" | "mysql" | "redis") {
            return Err(format!("engine `{e}`: write postgres, mysql or redis"));
        }
    }
    for (i, k) in p.keys.iter().enumerate() {
        if k.env.is_none() && k.path.is_none() && k.url.is_none() {
            return Err(format!("key {} has neither env, path nor url", i + 1));
        }
    }
    for d in &p.defaults {
        let v = d.value.as_str();
        let ok = matches!(v, "infinite" | "unbounded" | "host_cpus" | "true" | "false")
            || v.parse::<u32>().is_ok()
            || crate::core::units::parse_duration(v).is_ok();
        if !ok {
            return Err(format!(
                "default `{v}` for {}: write a number, a duration such as 30s, unbounded, infinite or host_cpus",
                d.concept.describe()
            ));
        }
    }
    let mut names: Vec<&str> = p.components.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err("two components share a name".into());
    }
    let named = p
        .keys
        .iter()
        .map(|k| k.component.as_deref())
        .chain(p.defaults.iter().map(|d| d.component.as_deref()));
    for c in named.flatten() {
        if !names.contains(&c) {
            return Err(format!(
                "component `{c}` is not one of the [[components]]: name one of them"
            ));
        }
    }
    p.sources = sources(text);
    if p.sources.defaults.len() != p.defaults.len() {
        return Err("a [[defaults]] table is not at the top level".into());
    }
    for (d, links) in p.defaults.iter().zip(&p.sources.defaults) {
        if links.is_empty() {
            return Err(format!(
                "the default for {} cites no source: put its link in a comment above it",
                d.concept.describe()
            ));
        }
    }
    for (c, links) in p.components.iter().zip(&p.sources.components) {
        if c.processes.is_some() && links.is_empty() {
            return Err(format!(
                "component `{}` states processes without a source link",
                c.name
            ));
        }
        if c.statefulset_default && c.statefulset_key.is_none() {
            return Err(format!(
                "component `{}`: statefulset_default needs the statefulset_key it is the \
                 default of",
                c.name
            ));
        }
    }
    Ok(p)
}

/// The links (`https://…`) in the comments of each `[[keys]]`, `[[defaults]]` and
/// `[[components]]` table: those right above its header and those inside it.
fn sources(text: &str) -> Sources {
    let mut s = Sources::default();
    let mut pending: Vec<String> = Vec::new();
    // Which list the table being read belongs to (0 keys, 1 defaults, 2 components).
    let mut current: Option<usize> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            let links = std::mem::take(&mut pending);
            current = match t {
                "[[keys]]" => Some(0),
                "[[defaults]]" => Some(1),
                "[[components]]" => Some(2),
                _ => None,
            };
            if let Some(i) = current {
                let mut links = links;
                links.dedup();
                let list = [&mut s.keys, &mut s.defaults, &mut s.components];
                list.into_iter().nth(i).expect("three lists").push(links);
            }
            continue;
        }
        let list = [&mut s.keys, &mut s.defaults, &mut s.components];
        let table = current.and_then(|i| list.into_iter().nth(i).and_then(|l| l.last_mut()));
        if t.starts_with('#') {
            // Comments right above a header cite for that table; the header decides.
            pending.extend(links_in(t));
            continue;
        }
        // A value line or a blank line ends a comment block inside a table: it cited for
        // that table (a blank line before a header also keeps the block from the next one).
        let mut links = std::mem::take(&mut pending);
        links.extend(links_in(t));
        if let Some(last) = table {
            for l in links {
                if !last.contains(&l) {
                    last.push(l);
                }
            }
        }
    }
    s
}

fn links_in(line: &str) -> Vec<String> {
    line.split_whitespace()
        .filter_map(|w| w.find("https://").map(|i| &w[i..]))
        .map(|w| w.trim_end_matches([',', ')', ';', '.']).to_string())
        .collect()
}

/// How a service was recognised as an application, for its Origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub preset: &'static str,
    /// "image mattermost/mattermost-team-edition", "chart gitlab", "env MM_SQLSETTINGS_…".
    pub evidence: String,
}

impl Detection {
    pub fn note(&self) -> String {
        let name = get(self.preset).map_or(self.preset, |p| p.name.as_str());
        format!("{name}: {}", self.evidence)
    }
}

/// The repository of an image reference without registry tag or digest, lower-cased:
/// `docker.io/mattermost/mattermost-team-edition:9.5` → `mattermost/mattermost-team-edition`.
fn image_repo(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or("");
    // A tag follows the last ':' after the last '/' (a registry port comes before a '/').
    let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    let repo = match no_digest[slash..].find(':') {
        Some(i) => &no_digest[..slash + i],
        None => no_digest,
    };
    let repo = repo.to_ascii_lowercase();
    for prefix in ["docker.io/", "index.docker.io/", "library/"] {
        if let Some(r) = repo.strip_prefix(prefix) {
            return r.strip_prefix("library/").unwrap_or(r).to_string();
        }
    }
    repo
}

/// The preset an image is of: the repository equals a preset's image, or ends with `/image`
/// (a mirror: `registry.example.com/mattermost/mattermost-team-edition`).
pub fn by_image(image: &str) -> Option<Detection> {
    let repo = image_repo(image);
    builtin().iter().find_map(|p| {
        p.detect
            .images
            .iter()
            .any(|i| {
                // `repo` is lower-cased; `repo == i` or `repo` ends with `/i`, case-insensitively.
                let (r, i) = (repo.as_bytes(), i.as_bytes());
                r.len() >= i.len()
                    && r[r.len() - i.len()..].eq_ignore_ascii_case(i)
                    && (r.len() == i.len() || r[r.len() - i.len() - 1] == b'/')
            })
            .then(|| Detection {
                preset: static_id(p),
                evidence: format!("image {}", image.trim()),
            })
    })
}

/// The preset a chart's `name` in Chart.yaml is of.
pub fn by_chart(name: &str) -> Option<Detection> {
    builtin().iter().find_map(|p| {
        p.detect
            .charts
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name.trim()))
            .then(|| Detection {
                preset: static_id(p),
                evidence: format!("chart {}", name.trim()),
            })
    })
}

/// The preset whose own env prefix a variable name carries.
pub fn by_env(name: &str) -> Option<Detection> {
    builtin().iter().find_map(|p| {
        p.own_env(name).then(|| Detection {
            preset: static_id(p),
            evidence: format!("variable {name}"),
        })
    })
}

/// The preset one of whose typical files `path` is (`config/config.json` for Mattermost).
pub fn by_file(path: &std::path::Path) -> Option<Detection> {
    let shown = path.to_string_lossy().replace('\\', "/");
    builtin().iter().find_map(|p| {
        p.detect
            .files
            .iter()
            .find(|f| {
                let f = f.trim_start_matches('/');
                // `shown == f` or `shown` ends with `/f`, without formatting a pattern.
                shown
                    .strip_suffix(f)
                    .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
            })
            .map(|f| Detection {
                preset: static_id(p),
                evidence: format!("file {}", f.trim_start_matches('/')),
            })
    })
}
pub(crate) fn static_id(p: &'static Preset) -> &'static str {
    p.id.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_file_loads_and_cites_its_sources() {
        for (id, text) in FILES {
            if let Err(e) = parse(id, text) {
                panic!("rules/apps/{id}.toml: {e}");
            }
        }
        assert_eq!(builtin().len(), FILES.len());
    }

    #[test]
    fn every_file_in_rules_apps_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/apps");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let n = e.unwrap().file_name().to_string_lossy().into_owned();
                n.strip_suffix(".toml").map(String::from)
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = FILES.iter().map(|(id, _)| id.to_string()).collect();
        assert_eq!(
            on_disk, embedded,
            "add every rules/apps file to FILES, in order"
        );
    }

    #[test]
    fn a_bad_preset_is_a_clear_error() {
        let e = parse(
            "x",
            "id = \"y\"\nname = \"Y\"\ndocs = \"d\"\nengines = []\n",
        )
        .unwrap_err();
        assert_eq!(e, "id `y` differs from the file name `x`");
        let e = parse(
            "x",
            "id = \"x\"\nname = \"X\"\ndocs = \"d\"\nengines = [\"oracle\"]\n",
        )
        .unwrap_err();
        assert_eq!(e, "engine `oracle`: write postgres, mysql or redis");
        let uncited = "id = \"x\"\nname = \"X\"\ndocs = \"d\"\nengines = []\n\n[[defaults]]\nconcept = \"pool_max\"\nvalue = \"10\"\nnote = \"n\"\n";
        assert_eq!(
            parse("x", uncited).unwrap_err(),
            "the default for pool max cites no source: put its link in a comment above it"
        );
        let cited = uncited.replace(
            "\n\n[[defaults]]",
            "\n\n# https://example.org/doc\n[[defaults]]",
        );
        assert_eq!(
            parse("x", &cited).unwrap().sources.defaults,
            vec![vec!["https://example.org/doc".to_string()]]
        );
        let bad_value = cited.replace("\"10\"", "\"lots\"");
        assert!(parse("x", &bad_value)
            .unwrap_err()
            .starts_with("default `lots` for pool max"));
        let unknown = cited.replacen("engines = []", "engines = []\nfoo = 1", 1);
        assert!(parse("x", &unknown)
            .unwrap_err()
            .contains("unknown field `foo`"));
    }

    #[test]
    fn images_charts_env_and_files_detect_the_app() {
        let d = by_image("docker.io/mattermost/mattermost-team-edition:9.11.1").unwrap();
        assert_eq!(d.preset, "mattermost");
        assert_eq!(
            d.note(),
            "Mattermost: image docker.io/mattermost/mattermost-team-edition:9.11.1"
        );
        assert_eq!(
            by_image("grafana/grafana-oss:11.2.0").unwrap().preset,
            "grafana"
        );
        assert_eq!(
            by_image("registry.local:5000/gitea/gitea:1.22")
                .unwrap()
                .preset,
            "gitea"
        );
        assert!(by_image("postgres:16").is_none());
        assert!(by_image("example/mattermost-team-edition-proxy").is_none());
        assert_eq!(
            by_chart("mattermost-team-edition").unwrap().preset,
            "mattermost"
        );
        assert_eq!(
            by_env("MM_SQLSETTINGS_MAXOPENCONNS").unwrap().preset,
            "mattermost"
        );
        assert!(by_env("DATABASE_URL").is_none());
        let f = by_file(std::path::Path::new("deploy/grafana/grafana.ini")).unwrap();
        assert_eq!(
            (f.preset, f.evidence.as_str()),
            ("grafana", "file grafana.ini")
        );
    }

    #[test]
    fn app_keys_outside_their_prefix_are_not_global() {
        let mm = get("mattermost").unwrap();
        let global = mm.global_dialect().unwrap();
        assert!(global.keys.iter().all(|k| k.path.is_none()));
        assert!(global
            .keys
            .iter()
            .any(|k| k.env.as_deref() == Some("MM_SQLSETTINGS_MAXOPENCONNS")));
        let full = mm.dialect();
        assert!(full
            .keys
            .iter()
            .any(|k| k.path.as_deref() == Some("SqlSettings.MaxOpenConns")));
    }
}
