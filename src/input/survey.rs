//! What a repository holds, for `poolcheck init`: the Helm charts, the application folders
//! (each with its own stack files), and the database servers their connection URLs name.
//! Reads names and URLs only; never a password (URLs are reduced to scheme, host and port).

use crate::core::engine::{Engine, PoolerKind};
use crate::input::discover::{is_chart, skipped_dir, APP_MARKERS, CONFIG_DIRS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Directories below this depth are not looked at: configs live near a project's top.
const MAX_DEPTH: usize = 6;
/// Entries looked at in all; a huge tree is cut here and the cut is said.
const MAX_ENTRIES: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub charts: Vec<PathBuf>,
    pub apps: Vec<App>,
    /// Compose projects and folders of Kubernetes manifests.
    pub deploys: Vec<Deploy>,
    /// Connection poolers: their config files, or the compose file that runs one.
    pub poolers: Vec<PoolerSeen>,
    /// Servers by the `host:port` their URLs name.
    pub servers: BTreeMap<String, Seen>,
    /// True when the walk stopped at MAX_ENTRIES.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Relative to the repository root; empty for the root itself.
    pub dir: PathBuf,
    /// The config files poolcheck reads that it holds (relative to the root).
    pub configs: Vec<PathBuf>,
    /// `host:port` of each database URL its env files name.
    pub servers: Vec<String>,
}

/// Files that deploy workloads: one compose project (the files `docker compose` reads in
/// its folder without `-f`) or the Kubernetes manifests of one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    /// Relative to the repository root.
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub compose: bool,
    /// Compose files of the folder that `docker compose` reads only with `-f` (overlays such
    /// as docker-compose.prod.yml): init names them, it cannot know which one deploys.
    pub overlays: Vec<PathBuf>,
    /// `host:port` of each database URL the files name.
    pub servers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolerSeen {
    pub kind: PoolerKind,
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub engine: Engine,
    /// The env file (relative) that first named it.
    pub first: PathBuf,
}

/// Walks `root` (breadth first, sorted, hidden and vendored directories skipped).
pub fn survey(root: &Path) -> Survey {
    let mut s = Survey {
        charts: Vec::new(),
        apps: Vec::new(),
        deploys: Vec::new(),
        poolers: Vec::new(),
        servers: BTreeMap::new(),
        truncated: false,
    };
    let mut queue = std::collections::VecDeque::from([(PathBuf::new(), 0usize)]);
    let mut seen = 0usize;
    while let Some((rel, depth)) = queue.pop_front() {
        let dir = root.join(&rel);
        if is_chart(&dir) {
            s.charts.push(rel);
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<(String, bool)> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                // Links are not followed: init describes the repository as it is laid out.
                let ft = e.file_type().ok()?;
                Some((e.file_name().to_string_lossy().into_owned(), ft.is_dir()))
            })
            .collect();
        entries.sort();
        seen += entries.len();
        if seen > MAX_ENTRIES {
            s.truncated = true;
            break;
        }
        let files: Vec<&str> = entries
            .iter()
            .filter(|(_, d)| !d)
            .map(|(n, _)| n.as_str())
            .collect();
        let mut configs = configs_in(&rel, &files, &dir);
        let poolers = poolers_in(&rel, &files, &dir);
        // A pooler's env file (the image's settings) is the pooler's, not an app's.
        configs.retain(|c| !poolers.iter().any(|p| p.files.contains(c)));
        s.poolers.extend(poolers);
        if let Some(d) = deploy_in(&rel, &files, &dir) {
            let kind = d
                .files
                .iter()
                .filter(|_| d.compose)
                .find_map(|f| small_text(&root.join(f)).and_then(|t| runs_pooler(&t)));
            if let Some(kind) = kind {
                s.poolers.push(PoolerSeen {
                    kind,
                    files: d.files.clone(),
                });
            }
            // A compose project owns its folder's env files (interpolation and env_file):
            // they are read through it, not as an app of their own.
            if d.compose {
                configs.retain(|c| !is_env(c));
            }
            s.deploys.push(d);
        }
        let marked = files.iter().any(|f| APP_MARKERS.contains(f));
        let holder = rel
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| CONFIG_DIRS.contains(&n));
        // A config folder inside an app belongs to it; any other folder with configs is an
        // app of its own.
        let joins_owner = holder && owner(&mut s.apps, &rel).is_some();
        let own_app = !configs.is_empty() && !joins_owner;
        if marked || own_app {
            // An app whose configs sit in config folders only (gitea/custom/conf/app.ini) is
            // the folder above them, as verify names it.
            let dir = if marked {
                rel.clone()
            } else {
                above_config_dirs(&rel)
            };
            s.apps.push(App {
                dir,
                configs,
                servers: Vec::new(),
            });
        } else if let Some(app) = owner(&mut s.apps, &rel) {
            // Config folders (config/, src/main/resources/) belong to their app.
            app.configs.extend(configs);
        }
        for (name, is_dir) in &entries {
            if *is_dir && !skipped_dir(name) && depth < MAX_DEPTH {
                queue.push_back((rel.join(name), depth + 1));
            }
        }
    }
    // The env files a compose project names (`env_file: web/.env`) are its services': the
    // project reads them, so they are no app of their own.
    for d in s.deploys.iter().filter(|d| d.compose) {
        let texts: Vec<String> = d
            .files
            .iter()
            .filter_map(|f| small_text(&root.join(f)))
            .collect();
        for app in &mut s.apps {
            app.configs.retain(|c| {
                let Ok(inner) = c.strip_prefix(&d.dir) else {
                    return true;
                };
                let inner = inner.to_string_lossy().replace('\\', "/");
                !(is_env(c) && texts.iter().any(|t| t.contains(inner.as_str())))
            });
        }
    }
    // An app folder holding no config poolcheck reads (a workspace's root package.json)
    // is not a service.
    s.apps.retain(|a| !a.configs.is_empty());
    let mut pooler_hosts = vec![
        "pgbouncer".to_string(),
        "pgcat".into(),
        "pgdog".into(),
        "supavisor".into(),
        "odyssey".into(),
    ];
    for p in &s.poolers {
        for f in &p.files {
            let Some(text) = small_text(&root.join(f)) else {
                continue;
            };
            for host in upstream_hosts(&text) {
                s.servers.entry(format!("{host}:5432")).or_insert(Seen {
                    engine: Engine::Postgres,
                    first: f.clone(),
                });
            }
            if let Some(dir) = f.parent().and_then(|d| d.file_name()) {
                pooler_hosts.push(dir.to_string_lossy().into_owned());
            }
        }
    }
    for d in &mut s.deploys {
        for f in &d.files {
            let Some(text) = small_text(&root.join(f)) else {
                continue;
            };
            for (addr, engine) in urls(&text) {
                if !d.servers.contains(&addr) {
                    d.servers.push(addr.clone());
                }
                s.servers.entry(addr).or_insert(Seen {
                    engine,
                    first: f.clone(),
                });
            }
        }
    }
    for app in &mut s.apps {
        app.configs.sort();
        for c in &app.configs {
            if !is_env(c) || not_deployed(c) {
                continue;
            }
            let Some(text) = small_text(&root.join(c)) else {
                continue;
            };
            for (addr, engine) in urls(&text) {
                if !app.servers.contains(&addr) {
                    app.servers.push(addr.clone());
                }
                s.servers.entry(addr).or_insert(Seen {
                    engine,
                    first: c.clone(),
                });
            }
        }
    }
    // A URL that names the pooler (`pgbouncer:6432`) is the pooler's address, not a server.
    let is_pooler = |addr: &str| {
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        let first = host.split('.').next().unwrap_or(host);
        !s.poolers.is_empty()
            && (addr.ends_with(":6432") || pooler_hosts.iter().any(|p| p == first))
    };
    let addrs: Vec<String> = s.servers.keys().filter(|a| is_pooler(a)).cloned().collect();
    for a in addrs {
        s.servers.remove(&a);
    }
    for app in &mut s.apps {
        app.servers.retain(|a| s.servers.contains_key(a));
    }
    for d in &mut s.deploys {
        d.servers.retain(|a| s.servers.contains_key(a));
    }
    s
}

/// Pooler config files of one folder: pgbouncer*.ini, pgcat.toml, pgdog.toml (with the
/// users.toml beside it), odyssey.conf (and `*.odyssey.conf`), and env files of a PgBouncer image (`POOL_MODE=`, `PGBOUNCER_*`).
fn poolers_in(rel: &Path, files: &[&str], dir: &Path) -> Vec<PoolerSeen> {
    let mut out = Vec::new();
    for name in files {
        let kind = if name.starts_with("pgbouncer") && name.ends_with(".ini") {
            Some(PoolerKind::Pgbouncer)
        } else if *name == "pgcat.toml" {
            Some(PoolerKind::Pgcat)
        } else if *name == "pgdog.toml" {
            Some(PoolerKind::Pgdog)
        } else if crate::input::formats::odyssey::is_odyssey_conf(name) {
            Some(PoolerKind::Odyssey)
        } else if is_env(Path::new(name)) && !crate::input::envfiles::is_template(name) {
            small_text(&dir.join(name))
                .filter(|t| pgbouncer_env(t))
                .map(|_| PoolerKind::Pgbouncer)
        } else {
            None
        };
        let Some(kind) = kind else {
            continue;
        };
        let mut paths = vec![rel.join(name)];
        if kind == PoolerKind::Pgdog && files.contains(&"users.toml") {
            paths.push(rel.join("users.toml"));
        }
        out.push(PoolerSeen { kind, files: paths });
    }
    out
}

fn pgbouncer_env(text: &str) -> bool {
    text.lines().map(str::trim).any(|l| {
        l.starts_with("PGBOUNCER_")
            || l.starts_with("POOL_MODE=")
            || l.starts_with("DEFAULT_POOL_SIZE=")
            || l.starts_with("MAX_CLIENT_CONN=")
    })
}

/// The pooler a compose file runs, by its services' images.
fn runs_pooler(text: &str) -> Option<PoolerKind> {
    text.lines().find_map(|l| {
        let image = l.trim().strip_prefix("image:")?.trim();
        let name = image.rsplit('/').next().unwrap_or(image);
        if name.starts_with("pgbouncer") {
            Some(PoolerKind::Pgbouncer)
        } else if name.starts_with("pgcat") {
            Some(PoolerKind::Pgcat)
        } else if name.starts_with("pgdog") {
            Some(PoolerKind::Pgdog)
        } else if name.starts_with("supavisor") {
            Some(PoolerKind::Supavisor)
        } else if name.starts_with("odyssey") {
            Some(PoolerKind::Odyssey)
        } else {
            None
        }
    })
}

/// The database hosts a pooler's settings name: `host=pg` in pgbouncer.ini's [databases],
/// `host = "pg"` in pgcat/pgdog TOML, `DB_HOST=pg` or `POSTGRESQL_HOST: pg` for images.
fn upstream_hosts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        let mut found = Vec::new();
        for (i, _) in l.match_indices("host=") {
            if l[..i].chars().last().is_none_or(char::is_whitespace) {
                found.push(&l[i + 5..]);
            }
        }
        for key in ["host = ", "host: ", "HOST: ", "HOST="] {
            if let Some(rest) = l.strip_prefix(key) {
                found.push(rest);
            }
            for prefix in ["DB_", "POSTGRESQL_", "POSTGRES_", "DATABASES_"] {
                if let Some(rest) = l.strip_prefix(&format!("{prefix}{key}")) {
                    found.push(rest);
                }
            }
        }
        // Odyssey's storage block: `host "pg.internal"`.
        if let Some(rest) = l.strip_prefix("host \"") {
            found.push(rest);
        }
        for v in found {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            let host: String = v
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-._".contains(*c))
                .collect();
            // A listen address is the pooler's own side, not a server.
            let listen = matches!(host.as_str(), "0.0.0.0" | "127.0.0.1" | "localhost" | "*");
            if !host.is_empty() && !listen && !out.contains(&host) {
                out.push(host);
            }
        }
    }
    out
}

/// Env files of a developer's machine or the test suite: the servers they name
/// (localhost, a test database) are not the fleet's.
fn not_deployed(p: &Path) -> bool {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    name.split(['.', '-', '_'])
        .any(|w| matches!(w, "development" | "dev" | "test" | "local" | "ci"))
}

fn settings_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").to_ascii_lowercase();
    [
        "database",
        "db",
        "app",
        "settings",
        "config",
        "production",
        "prod",
    ]
    .contains(&stem.as_str())
}

fn above_config_dirs(rel: &Path) -> PathBuf {
    let mut dir = rel.to_path_buf();
    while dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_DIRS.contains(&n))
    {
        dir.pop();
    }
    dir
}

/// The innermost app whose folder holds `rel`.
fn owner<'a>(apps: &'a mut [App], rel: &Path) -> Option<&'a mut App> {
    apps.iter_mut()
        .filter(|a| rel.starts_with(&a.dir))
        .max_by_key(|a| a.dir.components().count())
}

fn is_env(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == ".env" || name.starts_with(".env.") || name.ends_with(".env")
}

/// The files of one folder that carry pool settings in the stacks poolcheck knows.
fn configs_in(rel: &Path, files: &[&str], dir: &Path) -> Vec<PathBuf> {
    let in_config = rel.ends_with("config");
    let in_config_dir = rel
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_DIRS.contains(&n));
    files
        .iter()
        .filter(|name| {
            let spring = (name.starts_with("application") || name.starts_with("bootstrap"))
                && (name.ends_with(".yml")
                    || name.ends_with(".yaml")
                    || name.ends_with(".properties"));
            let env = (**name == ".env" || name.starts_with(".env.") || name.ends_with(".env"))
                && !crate::input::envfiles::is_template(name);
            let rails = in_config && **name == "database.yml";
            let dotnet = name.starts_with("appsettings") && name.ends_with(".json");
            // INI and flat conf (Grafana, Gitea, Discourse), .properties and JSON dialects:
            // the names verify reads as app configuration.
            let other = matches!(
                crate::input::discover::kind_of(Path::new(name)),
                Some(
                    crate::input::discover::Kind::Ini
                        | crate::input::discover::Kind::Properties
                        | crate::input::discover::Kind::Json(_)
                )
            );
            // YAML and TOML are everywhere (CI, docs, OpenAPI): an app's settings only in a
            // config folder or under a settings-like name.
            let settings = matches!(
                crate::input::discover::kind_of(Path::new(name)),
                Some(crate::input::discover::Kind::Yaml | crate::input::discover::Kind::Toml)
            ) && (in_config_dir || settings_name(name))
                && !small_text(&dir.join(name)).is_some_and(|t| kube_object(&t));
            env || spring || rails || dotnet || other || settings
        })
        .filter(|name| dir.join(name).is_file())
        .map(|name| rel.join(name))
        .collect()
}

/// Files above this are not looked into by init (verify reads them, under its own cap).
const MAX_PEEK: u64 = 1 << 20;

fn small_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_PEEK {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The compose project or the Kubernetes manifests a folder holds.
fn deploy_in(rel: &Path, files: &[&str], dir: &Path) -> Option<Deploy> {
    use crate::input::formats::compose::is_compose_name;
    let compose: Vec<&str> = files
        .iter()
        .copied()
        .filter(|n| is_compose_name(n))
        .collect();
    if !compose.is_empty() {
        // As `docker compose` picks them: the first default name present, then its override.
        const DEFAULTS: [(&str, &str); 4] = [
            ("compose.yaml", "compose.override.yaml"),
            ("compose.yml", "compose.override.yml"),
            ("docker-compose.yaml", "docker-compose.override.yaml"),
            ("docker-compose.yml", "docker-compose.override.yml"),
        ];
        let mut read = Vec::new();
        if let Some((base, over)) = DEFAULTS.iter().find(|(b, _)| compose.contains(b)) {
            read.push(rel.join(base));
            if compose.contains(over) {
                read.push(rel.join(over));
            }
        }
        let overlays: Vec<PathBuf> = compose
            .iter()
            .map(|n| rel.join(n))
            .filter(|p| !read.contains(p))
            .collect();
        if read.is_empty() {
            // Only overlays: the project is read with -f, the first file first.
            return Some(Deploy {
                dir: rel.to_path_buf(),
                files: overlays,
                compose: true,
                overlays: Vec::new(),
                servers: Vec::new(),
            });
        }
        return Some(Deploy {
            dir: rel.to_path_buf(),
            files: read,
            compose: true,
            overlays,
            servers: Vec::new(),
        });
    }
    // The autoscalers and ConfigMaps of the folder's workloads come with them.
    let objects: Vec<(&str, bool)> = files
        .iter()
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .filter(|n| **n != "Chart.yaml" && !n.starts_with("values"))
        .filter_map(|n| {
            let t = small_text(&dir.join(n))?;
            kube_object(&t).then(|| (*n, looks_like_manifest(&t)))
        })
        .collect();
    let manifests: Vec<PathBuf> = if objects.iter().any(|(_, w)| *w) {
        objects.iter().map(|(n, _)| rel.join(n)).collect()
    } else {
        Vec::new()
    };
    (!manifests.is_empty()).then(|| Deploy {
        dir: rel.to_path_buf(),
        files: manifests,
        compose: false,
        overlays: Vec::new(),
        servers: Vec::new(),
    })
}

/// Any Kubernetes object (a ConfigMap, a Service): deployment state, not an app's settings.
fn kube_object(text: &str) -> bool {
    text.contains("apiVersion:") && text.lines().any(|l| l.trim_start().starts_with("kind:"))
}

/// A workload manifest, by a cheap look at its text (verify parses it properly).
pub fn looks_like_manifest(text: &str) -> bool {
    const WORKLOADS: [&str; 5] = ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"];
    text.contains("apiVersion:")
        && !text.contains("<%")
        && text.lines().any(|l| {
            l.trim().strip_prefix("kind:").is_some_and(|k| {
                WORKLOADS.contains(&k.trim().trim_matches(|c| c == '"' || c == '\''))
            })
        })
}

/// `host:port` and engine of every database URL in a file's text, wherever it stands on a
/// line (`KEY=url`, `KEY: url`, `- KEY=url`, `value: "url"`). Unresolved hosts (`${DB_HOST}`)
/// are skipped: init cannot know them.
fn urls(text: &str) -> Vec<(String, Engine)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("://") {
            let before = &rest[..at];
            let scheme_start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.:".contains(c)))
                .map_or(0, |i| i + 1);
            let tail = &rest[at + 3..];
            let end = tail
                .find(|c: char| c.is_whitespace() || "\"',;`".contains(c))
                .unwrap_or(tail.len());
            let scheme = before[scheme_start..].trim_start_matches(':');
            let scheme = scheme.strip_prefix("jdbc:").unwrap_or(scheme);
            if let Some(found) = server_of(scheme, &tail[..end]) {
                if !out.contains(&found) {
                    out.push(found);
                }
            }
            rest = &tail[end..];
        }
    }
    out
}

fn server_of(scheme: &str, after: &str) -> Option<(String, Engine)> {
    let (engine, port) = match Engine::from_scheme(scheme)? {
        Engine::Postgres => (Engine::Postgres, 5432),
        e @ (Engine::Mysql | Engine::Mariadb) => (e, 3306),
        // Redis pools are not counted against a SQL server's slots.
        Engine::Redis => return None,
    };
    let url = url::Url::parse(&format!("db://{after}")).ok()?;
    let host = url
        .host_str()
        .filter(|h| !h.contains('$') && !h.is_empty())?;
    Some((format!("{host}:{}", url.port().unwrap_or(port)), engine))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_host_and_port_and_drop_credentials() {
        let got = urls(
            "DATABASE_URL=postgres://app:s3cret@db.internal:6432/app?sslmode=require\n\
             # OLD_URL=postgres://x@old/app\n\
             READ_URL=\"postgresql+asyncpg://ro@replica/app\"\n\
             CACHE=redis://cache:6379/0\n\
             MYSQL=jdbc:mysql://legacy:3307/erp\n\
             TEMPLATE=postgres://u@${DB_HOST}/app\n",
        );
        assert_eq!(
            got,
            vec![
                ("db.internal:6432".to_string(), Engine::Postgres),
                ("replica:5432".to_string(), Engine::Postgres),
                ("legacy:3307".to_string(), Engine::Mysql),
            ]
        );
    }

    #[test]
    fn urls_in_compose_and_manifest_shapes() {
        let got = urls(
            "      DATABASE_URL: postgres://shop:pw@db:5432/shop\n\
             \x20     - \"READ_URL=postgresql://ro@replica.internal/shop\"\n\
             \x20         value: mysql://erp@erp-db:3307/erp # legacy\n\
             # value: postgres://old@gone/app\n",
        );
        assert_eq!(
            got,
            vec![
                ("db:5432".to_string(), Engine::Postgres),
                ("replica.internal:5432".to_string(), Engine::Postgres),
                ("erp-db:3307".to_string(), Engine::Mysql),
            ]
        );
    }

    #[test]
    fn manifests_are_workloads_not_any_yaml() {
        assert!(looks_like_manifest(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
        ));
        assert!(!looks_like_manifest(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
        ));
        assert!(!looks_like_manifest("spring:\n  datasource:\n    url: x\n"));
    }
}
