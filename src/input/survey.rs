//! What a repository holds, for `poolcheck init`: the Helm charts, the application folders
//! (each with its own stack files), and the database servers their connection URLs name.
//! Reads names and URLs only; never a password (URLs are reduced to scheme, host and port).

use crate::core::engine::Engine;
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
        servers: BTreeMap::new(),
        truncated: false,
    };
    let mut queue = std::collections::VecDeque::from([(PathBuf::new(), 0usize)]);
    let mut seen = 0usize;
    while let Some((rel, depth)) = queue.pop_front() {
        let dir = root.join(&rel);
        if !rel.as_os_str().is_empty() && is_chart(&dir) {
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
        let configs = configs_in(&rel, &files, &dir);
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
            s.apps.push(App {
                dir: rel.clone(),
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
    // An app folder holding no config poolcheck reads (a workspace's root package.json)
    // is not a service.
    s.apps.retain(|a| !a.configs.is_empty());
    for app in &mut s.apps {
        app.configs.sort();
        for c in &app.configs {
            if !is_env(c) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(root.join(c)) else {
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
    s
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
            env || spring || rails || dotnet
        })
        .filter(|name| dir.join(name).is_file())
        .map(|name| rel.join(name))
        .collect()
}

/// `host:port` and engine of every database URL in an env file's text. Unresolved hosts
/// (`${DB_HOST}`) are skipped: init cannot know them.
fn urls(text: &str) -> Vec<(String, Engine)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((_, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let value = value.strip_prefix("jdbc:").unwrap_or(value);
        let Some((scheme, _)) = value.split_once("://") else {
            continue;
        };
        let (engine, port) = match Engine::from_scheme(scheme) {
            Some(Engine::Postgres) => (Engine::Postgres, 5432),
            Some(e @ (Engine::Mysql | Engine::Mariadb)) => (e, 3306),
            // Redis pools are not counted against a SQL server's slots.
            Some(Engine::Redis) | None => continue,
        };
        let Ok(url) = url::Url::parse(&value.replacen(scheme, "db", 1)) else {
            continue;
        };
        let Some(host) = url.host_str().filter(|h| !h.contains('$') && !h.is_empty()) else {
            continue;
        };
        out.push((format!("{host}:{}", url.port().unwrap_or(port)), engine));
    }
    out
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
}
