//! Telling the apps of a monorepo apart, so a directory of several apps is one service per
//! app and never one service that mixes a Node pool with another app's replicas.
//!
//! An app is a chart directory, or a directory holding the files a stack starts from
//! (package.json, Gemfile, pyproject.toml, go.mod, pom.xml, a Dockerfile, compose.yaml…) or
//! its own `.env` files. Every file read belongs to the nearest such directory above it,
//! within the directory named on the command line; files of no app belong to that directory.
//! When the files belong to one app (the common case) nothing changes: one service, named
//! after the directory.

use crate::input::discover::Input;
use crate::model::from_files::ServiceSpec;
use std::path::{Path, PathBuf};

/// Files that mark the root of an app's source tree.
const MARKERS: [&str; 16] = [
    "package.json",
    "Gemfile",
    "pyproject.toml",
    "requirements.txt",
    "setup.py",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Cargo.toml",
    "composer.json",
    "mix.exs",
    "Dockerfile",
    "Chart.yaml",
    "compose.yaml",
    "docker-compose.yml",
];

/// One spec per app among `inputs` (found under the directories in `paths`).
pub fn specs(paths: &[PathBuf], inputs: Vec<Input>, name: String) -> Vec<ServiceSpec> {
    let dirs: Vec<&PathBuf> = paths.iter().filter(|p| p.is_dir()).collect();
    let mut groups: Vec<(PathBuf, Vec<Input>)> = Vec::new();
    // Each directory is looked at once, however many files it holds (20,000 .env files in
    // one folder must not list it 20,000 times).
    let mut seen = std::collections::HashMap::new();
    // Inputs inside no named directory (files and -f values named on the command line, or
    // reported as unreadable there) are not an app of their own: they join the chart when
    // there is one, else the first app.
    let mut loose = Vec::new();
    for input in inputs {
        let Some(key) = app_of(&input, &dirs, &mut seen) else {
            loose.push(input);
            continue;
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(input),
            None => groups.push((key, vec![input])),
        }
    }
    if !loose.is_empty() {
        let charts: Vec<usize> = (0..groups.len())
            .filter(|&i| groups[i].1.iter().any(|x| matches!(x, Input::Chart { .. })))
            .collect();
        match (charts.as_slice(), groups.first_mut()) {
            ([only], _) => groups[*only].1.extend(loose),
            (_, Some(first)) => first.1.extend(loose),
            (_, None) => groups.push((PathBuf::new(), loose)),
        }
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
                ..ServiceSpec::default()
            }
        })
        .collect()
}

/// The app directory an input belongs to: the nearest app directory above it inside one of
/// `dirs`; None for inputs outside them (files named on the command line).
fn app_of(
    input: &Input,
    dirs: &[&PathBuf],
    seen: &mut std::collections::HashMap<PathBuf, bool>,
) -> Option<PathBuf> {
    let path = match input {
        Input::File(p, _) | Input::Unreadable(p, _) => p.parent()?,
        Input::Chart { dir, .. } if !dir.as_os_str().is_empty() => dir.as_path(),
        Input::Chart { .. } => return None,
    };
    let root = dirs.iter().find(|d| path.starts_with(d))?;
    let mut at: &Path = path;
    loop {
        let app = *seen
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
    if MARKERS.iter().any(|m| dir.join(m).is_file()) {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.filter_map(Result::ok).any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            (n == ".env" || n.starts_with(".env.")) && e.file_type().is_ok_and(|t| t.is_file())
        })
    })
}
