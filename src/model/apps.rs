//! Telling the apps of a monorepo apart, so a directory of several apps is one service per
//! app and never one service that mixes a Node pool with another app's replicas.
//!
//! An app is a chart directory, or a directory holding the files a stack starts from
//! (package.json, Gemfile, pyproject.toml, go.mod, pom.xml, a Dockerfile, compose.yaml…) or
//! its own `.env` files. Every file read belongs to the nearest such directory above it,
//! within the directory named on the command line; files of no app belong to that directory.
//! When the files belong to one app (the common case) nothing changes: one service, named
//! after the directory.

use crate::input::discover::{Input, APP_MARKERS, CONFIG_DIRS};
use crate::model::from_files::ServiceSpec;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One spec per app among `inputs` (found under the directories in `paths`).
pub fn specs(paths: &[PathBuf], inputs: Vec<Input>, name: String) -> Vec<ServiceSpec> {
    let dirs: Vec<&PathBuf> = paths.iter().filter(|p| p.is_dir()).collect();
    let mut groups: Vec<(PathBuf, Vec<Input>)> = Vec::new();
    // Files outside the directories (named files, `-f` values files) go with the first app.
    let mut loose = Vec::new();
    let mut known = HashMap::new();
    for input in inputs {
        let Some(key) = app_of(&input, &dirs, &mut known) else {
            loose.push(input);
            continue;
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(input),
            None => groups.push((key, vec![input])),
        }
    }
    match groups.first_mut() {
        Some((_, v)) => v.extend(loose),
        None if !loose.is_empty() => groups.push((PathBuf::new(), loose)),
        None => {}
    }
    if groups.len() <= 1 {
        return vec![ServiceSpec {
            name,
            inputs: groups.pop().map(|g| g.1).unwrap_or_default(),
            server: 0,
            ..ServiceSpec::default()
        }];
    }
    let mut names: Vec<String> = Vec::new();
    groups
        .into_iter()
        .map(|(dir, inputs)| {
            let mut n = if dir.as_os_str().is_empty() || dirs.iter().any(|d| **d == dir) {
                name.clone()
            } else {
                dir.file_name()
                    .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned())
            };
            // Two apps in folders of the same name (apps/api, services/api): the path tells.
            if names.contains(&n) {
                n = crate::core::source::display_path(&dir);
            }
            names.push(n.clone());
            ServiceSpec {
                name: n,
                inputs,
                server: 0,
                drop_if_empty: true,
                ..ServiceSpec::default()
            }
        })
        .collect()
}

/// The app directory an input belongs to: the nearest app directory above it inside one of
/// `dirs`; None for inputs outside them (files named on the command line).
fn app_of(input: &Input, dirs: &[&PathBuf], known: &mut HashMap<PathBuf, bool>) -> Option<PathBuf> {
    let path = match input {
        Input::File(p, _) | Input::Unreadable(p, _) => p.parent()?,
        Input::Chart { dir, .. } if !dir.as_os_str().is_empty() => dir.as_path(),
        Input::Chart { .. } => return None,
    };
    let root = dirs.iter().find(|d| path.starts_with(d))?;
    let mut at: &Path = path;
    loop {
        // Each directory is looked at once: a folder of 20,000 files is one listing.
        let app = *known
            .entry(at.to_path_buf())
            .or_insert_with(|| is_app_dir(at));
        if app || at == root.as_path() {
            return Some(at.to_path_buf());
        }
        at = at.parent()?;
        if !at.starts_with(root) {
            return Some(root.to_path_buf());
        }
    }
}

fn is_app_dir(dir: &Path) -> bool {
    if APP_MARKERS.iter().any(|m| dir.join(m).is_file()) {
        return true;
    }
    // A folder named for holding config (conf/, config/) belongs to the app above it; any
    // other folder with an app's own config file (grafana/grafana.ini, gitea/app.ini) is an
    // app of its own, as one with its own .env files is.
    let holder = dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_DIRS.contains(&n));
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.filter_map(Result::ok).any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            let env = n == ".env" || n.starts_with(".env.");
            let app_config = !holder && is_app_config(&n);
            (env || app_config) && e.file_type().is_ok_and(|t| t.is_file())
        })
    })
}

/// Files an application keeps its database settings in, by name (INI and conf files,
/// HJSON/JSON5, .NET appsettings).
fn is_app_config(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".ini", ".conf", ".hjson", ".json5"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || (lower.starts_with("appsettings") && lower.ends_with(".json"))
}
