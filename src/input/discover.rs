//! Which files to read: expand directories, recognise Helm charts, classify by format.

use crate::input::read::{self, Problem};
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Env,
    Toml,
    Yaml,
    /// docker compose files (`compose.yaml`, `docker-compose*.yml`).
    Compose,
    /// INI with sections, and flat `key = value` conf files.
    Ini,
    /// Java `.properties`.
    Properties,
    /// JSON, JSON5 or HJSON (one lenient reader, [`crate::input::formats::json`]).
    Json(crate::input::formats::json::Flavor),
}

/// A file to lint, a Helm chart directory with the values files applied over it, or a path that
/// may not be read (reported as PC005 at the path, see [`read::Problem`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf, Kind),
    Chart { dir: PathBuf, values: Vec<PathBuf> },
    Unreadable(PathBuf, Problem),
}

/// The format of a file by its name; None for files poolcheck does not read.
pub fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name == crate::input::config::FILE_NAME || name == "Cargo.toml" || name == "Chart.yaml" {
        return None;
    }
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return Some(Kind::Env);
    }
    if crate::input::formats::compose::is_compose_name(name) {
        return Some(Kind::Compose);
    }
    match path.extension()?.to_str()? {
        "toml" => Some(Kind::Toml),
        "yaml" | "yml" => Some(Kind::Yaml),
        ext => config_format(name, ext),
    }
}

/// Files other apps' configuration comes in: INI and flat conf, .properties, JSON dialects.
/// Server and pooler configuration (postgresql.conf, pgbouncer.ini, …) is not an app's pool
/// and is left to the readers made for it; JSON is read only under the names apps keep their
/// settings in, so package.json or a lock file is never linted as configuration.
fn config_format(name: &str, ext: &str) -> Option<Kind> {
    use crate::input::formats::json::Flavor;
    let stem = name
        .strip_suffix(ext)?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    const NOT_APP: &[&str] = &[
        "postgresql",
        "postgresql.auto",
        "pg_hba",
        "pg_ident",
        "recovery",
        "redis",
        "sentinel",
        "nginx",
        "httpd",
        "supervisord",
        "my",
        "mysqld",
        "odyssey",
        "pgcat",
        "pgdog",
    ];
    // prod.odyssey.conf is Odyssey's too, as teams name one per environment.
    if NOT_APP.contains(&stem.as_str())
        || stem.starts_with("pgbouncer")
        || stem.ends_with(".odyssey")
    {
        return None;
    }
    match ext {
        "ini" => Some(Kind::Ini),
        "conf" => Some(Kind::Ini),
        "properties" => Some(Kind::Properties),
        "hjson" => Some(Kind::Json(Flavor::Hjson)),
        "json5" => Some(Kind::Json(Flavor::Json5)),
        // TypeScript's project files end in `config` but configure a compiler.
        "json" if stem.starts_with("tsconfig") || stem.starts_with("jsconfig") => None,
        "json" => {
            let app = ["appsettings", "config", "settings", "database", "db"]
                .iter()
                .any(|p| stem.starts_with(p))
                || stem.ends_with("config")
                || stem.ends_with("settings");
            app.then_some(Kind::Json(Flavor::Json))
        }
        _ => None,
    }
}

/// Files that mark a folder as the root of an application of its own (its package manager,
/// build, image or chart). `poolcheck init` and the monorepo split both use them.
pub const APP_MARKERS: &[&str] = &[
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
    "Procfile",
    "Dockerfile",
    "Chart.yaml",
    "compose.yaml",
    "docker-compose.yml",
];

/// Folders that hold an application's config rather than being an application.
pub const CONFIG_DIRS: &[&str] = &[
    "config",
    "configs",
    "conf",
    "settings",
    "resources",
    "main",
    "src",
    "custom",
    "environments",
];

pub fn is_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

/// Expands the user's paths: a chart directory is one input (its values.yaml plus `values`);
/// another directory contributes the files it holds (recursively, skipping hidden directories,
/// `target`, `node_modules` and chart `templates/`); a file is taken as given. Each path and
/// the links found below it must stay inside the tree of a path named on the command line
/// ([`read::named_root`]); see [`expand_in`].
pub fn expand(paths: &[PathBuf], values: &[PathBuf]) -> Result<Vec<Input>, String> {
    expand_in(paths, values, None)
}

/// [`expand`] with every path held to the canonical directory `root` (poolcheck.toml's), or
/// with each path to its own [`read::named_root`] when None. Paths that may not be read become
/// [`Input::Unreadable`]; only a path with nothing at all behind it is an error.
pub fn expand_in(
    paths: &[PathBuf],
    values: &[PathBuf],
    root: Option<&Path>,
) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    let values = readable(values, root, &mut out);
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
        let p_root = root.map(Path::to_path_buf).or_else(|| read::named_root(p));
        match read::check(p, p_root.as_deref(), true) {
            Ok(r) if r.dir => {
                // A directory argument is its own tree; a directory in poolcheck.toml stays in
                // poolcheck.toml's.
                let tree = root.map_or_else(|| r.canonical.clone(), Path::to_path_buf);
                Walk::new(tree, &values, &mut out).run(p, r.canonical)
            }
            Ok(_) => {
                let kind = kind_of(p).or_else(|| sniff(p)).ok_or_else(|| {
                    format!(
                        "{}: not a file poolcheck reads (.env*, *.toml, *.yaml, *.yml, *.ini, *.conf, *.properties, *.json, *.json5, *.hjson, or a chart directory)",
                        p.display()
                    )
                })?;
                out.push(Input::File(p.clone(), kind));
            }
            Err(problem) => out.push(Input::Unreadable(p.clone(), problem)),
        }
    }
    if !values.is_empty() && !out.iter().any(|i| matches!(i, Input::Chart { .. })) {
        // -f without a chart: the values files are linted as a chart without defaults.
        out.push(Input::Chart {
            dir: PathBuf::new(),
            values,
        });
    }
    Ok(out)
}

/// The values files that may be read (held to `root`, or each to its [`read::named_root`]);
/// the others are pushed to `out` as [`Input::Unreadable`].
pub fn readable(values: &[PathBuf], root: Option<&Path>, out: &mut Vec<Input>) -> Vec<PathBuf> {
    let mut ok = Vec::new();
    for v in values {
        let v_root = root.map(Path::to_path_buf).or_else(|| read::named_root(v));
        match read::check(v, v_root.as_deref(), false) {
            Ok(_) => ok.push(v.clone()),
            Err(problem) => out.push(Input::Unreadable(v.clone(), problem)),
        }
    }
    ok
}

/// A chart input for `dir` with the (already checked) `values`: when the chart's own
/// values.yaml may not be read (held to `root`), it is reported and the chart is read without
/// its defaults.
pub fn chart(dir: PathBuf, values: Vec<PathBuf>, root: Option<&Path>, out: &mut Vec<Input>) {
    let defaults = dir.join("values.yaml");
    let dir = match std::fs::symlink_metadata(&defaults) {
        Err(_) => dir, // no values.yaml: a chart without defaults
        Ok(_) => {
            let d_root = root
                .map(Path::to_path_buf)
                .or_else(|| read::named_root(&defaults));
            match read::check(&defaults, d_root.as_deref(), false) {
                Ok(_) => dir,
                Err(problem) => {
                    out.push(Input::Unreadable(defaults, problem));
                    PathBuf::new()
                }
            }
        }
    };
    out.push(Input::Chart { dir, values });
}

/// A file named explicitly whose name says nothing (e.g. `prod.env.txt`): assume dotenv.
fn sniff(p: &Path) -> Option<Kind> {
    use crate::input::formats::json::Flavor;
    if p.extension().is_some_and(|e| e == "json") {
        return Some(Kind::Json(Flavor::Json));
    }
    p.file_name()?
        .to_str()?
        .contains("env")
        .then_some(Kind::Env)
}

/// Directory names a walk never enters.
pub fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || matches!(name, "target" | "node_modules" | "templates")
}

/// One directory argument's walk. Every directory is entered once, by its canonical path, so
/// links to `.` or to a parent cannot make the walk loop or grow exponentially; links to
/// directories are followed after the real directories, so files keep their real paths.
struct Walk<'a> {
    root: PathBuf,
    values: &'a [PathBuf],
    out: &'a mut Vec<Input>,
    visited: HashSet<PathBuf>,
    /// Links to directories inside the tree: (link, target, canonical directory holding it).
    links: VecDeque<(PathBuf, PathBuf, PathBuf)>,
}

impl<'a> Walk<'a> {
    fn new(root: PathBuf, values: &'a [PathBuf], out: &'a mut Vec<Input>) -> Self {
        Walk {
            root,
            values,
            out,
            visited: HashSet::new(),
            links: VecDeque::new(),
        }
    }

    fn run(mut self, dir: &Path, canonical: PathBuf) {
        self.visited.insert(canonical.clone());
        self.dir(dir, &canonical);
        while let Some((link, target, holder)) = self.links.pop_front() {
            if self.visited.contains(&target) {
                if holder.starts_with(&target) {
                    let shown = std::fs::read_link(&link)
                        .map(|t| crate::core::secrets::escape_controls(&t.display().to_string()))
                        .unwrap_or_default();
                    self.out
                        .push(Input::Unreadable(link, Problem::DirLoop { target: shown }));
                }
                // Else the directory was linted under its real path already.
                continue;
            }
            self.visited.insert(target.clone());
            self.dir(&link, &target);
        }
    }

    fn dir(&mut self, dir: &Path, canonical: &Path) {
        if is_chart(dir) {
            chart(
                dir.to_path_buf(),
                self.values.to_vec(),
                Some(&self.root),
                self.out,
            );
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                let problem = match read::check(dir, None, true) {
                    Err(p) => p,
                    Ok(_) => read::io_problem(e),
                };
                self.out.push(Input::Unreadable(dir.to_path_buf(), problem));
                return;
            }
        };
        let mut entries: Vec<(PathBuf, std::fs::FileType)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (p, ft) in entries {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if ft.is_dir() {
                if skipped_dir(&name) {
                    continue;
                }
                // Not a link: its canonical path is its parent's plus its name (no syscall, so
                // a deep tree costs linear time).
                let sub = canonical.join(&name);
                if self.visited.insert(sub.clone()) {
                    self.dir(&p, &sub);
                }
            } else if ft.is_symlink() {
                self.link(p, &name, canonical);
            } else if let Some(kind) = kind_of(&p) {
                if ft.is_file() {
                    self.out.push(Input::File(p, kind));
                } else {
                    // A FIFO, socket or device with a config file's name: report, never open.
                    let problem = read::check(&p, None, false)
                        .err()
                        .unwrap_or(Problem::Io("not a regular file".into()));
                    self.out.push(Input::Unreadable(p, problem));
                }
            }
        }
    }

    /// A link found in `holder`: followed inside the tree, reported when it would have been
    /// read (a config file's name, or a directory) but may not be.
    fn link(&mut self, p: PathBuf, name: &str, holder: &Path) {
        let config_name = kind_of(&p).is_some();
        match read::check(&p, Some(&self.root), true) {
            Ok(r) if r.dir => {
                if !skipped_dir(name) {
                    self.links.push_back((p, r.canonical, holder.to_path_buf()));
                }
            }
            Ok(_) => {
                if let Some(kind) = kind_of(&p) {
                    self.out.push(Input::File(p, kind));
                }
            }
            Err(problem) => {
                let to_dir = std::fs::metadata(&p).is_ok_and(|m| m.is_dir());
                if config_name || (to_dir && !skipped_dir(name)) {
                    self.out.push(Input::Unreadable(p, problem));
                }
            }
        }
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use crate::input::formats::json::Flavor;

    fn kind(name: &str) -> Option<Kind> {
        kind_of(Path::new(name))
    }

    #[test]
    fn app_config_names_are_read_and_server_files_are_not() {
        assert_eq!(kind("grafana.ini"), Some(Kind::Ini));
        assert_eq!(kind("discourse.conf"), Some(Kind::Ini));
        assert_eq!(kind("application-prod.properties"), Some(Kind::Properties));
        assert_eq!(
            kind("appsettings.Production.json"),
            Some(Kind::Json(Flavor::Json))
        );
        assert_eq!(kind("config.hjson"), Some(Kind::Json(Flavor::Hjson)));
        assert_eq!(kind("settings.json5"), Some(Kind::Json(Flavor::Json5)));
        for other in [
            "pgbouncer.ini",
            "pgbouncer-users.ini",
            "odyssey.conf",
            "prod.odyssey.conf",
            "postgresql.conf",
            "pg_hba.conf",
            "redis.conf",
            "package.json",
            "package-lock.json",
            "tsconfig.json",
            "tsconfig.build.json",
        ] {
            assert_eq!(kind(other), None, "{other}");
        }
    }
}
