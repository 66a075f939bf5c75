//! The library a service's pool comes from when its config files do not say it: the
//! dependency manifest beside them (package.json, Gemfile, requirements.txt / pyproject.toml,
//! go.mod). Used only as the last resort, so a key or URL shape that names a library wins.

use super::from_files::ServiceSpec;
use crate::input::discover::Input;
use std::path::{Path, PathBuf};

/// The dialect id the manifests beside the spec's files point to, if exactly one stack does.
pub fn of_spec(spec: &ServiceSpec) -> Option<&'static str> {
    let mut found: Vec<&'static str> = dirs_of(spec).iter().filter_map(|d| of_dir(d)).collect();
    found.sort_unstable();
    found.dedup();
    match found.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// The folders whose manifests describe the spec's app: its files' folders and their parents.
pub fn dirs_of(spec: &ServiceSpec) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for input in &spec.inputs {
        let dir = match input {
            Input::File(p, _) => p.parent().map(Path::to_path_buf),
            Input::Chart { dir, .. } if !dir.as_os_str().is_empty() => Some(dir.clone()),
            _ => None,
        };
        // A file in config/ belongs to the app one level up (Rails' config/database.yml).
        for d in dir.into_iter().flat_map(|d| {
            let up = d.parent().map(Path::to_path_buf);
            std::iter::once(d).chain(up)
        }) {
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    dirs
}

/// Reads at most this much of a manifest: they are small, and a huge one is not an app's.
const MAX_MANIFEST: u64 = 1 << 20;

pub fn read(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    (meta.is_file() && meta.len() <= MAX_MANIFEST)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
}

fn of_dir(dir: &Path) -> Option<&'static str> {
    if let Some(text) = read(&dir.join("package.json")) {
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let has = |name: &str| {
            ["dependencies", "devDependencies"]
                .iter()
                .any(|k| v.get(k).and_then(|d| d.get(name)).is_some())
        };
        // Prisma opens its own pool whatever else is installed; pg is node-postgres.
        // https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool
        // https://node-postgres.com/apis/pool
        if has("@prisma/client") {
            return Some("prisma");
        }
        // https://github.com/sidorares/node-mysql2 (createPool)
        if has("mysql2") && !has("knex") && !has("sequelize") && !has("typeorm") && !has("pg") {
            return Some("mysql2");
        }
        if has("pg") && !has("knex") && !has("sequelize") && !has("typeorm") {
            return Some("node-postgres");
        }
        return None;
    }
    if let Some(text) = read(&dir.join("Gemfile")) {
        let rails = text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("gem \"rails\"")
                || l.starts_with("gem 'rails'")
                || l.starts_with("gem \"activerecord\"")
                || l.starts_with("gem 'activerecord'")
        });
        return rails.then_some("rails");
    }
    let python = [dir.join("requirements.txt"), dir.join("pyproject.toml")]
        .iter()
        .filter_map(|p| read(p))
        .map(|t| t.to_ascii_lowercase())
        .collect::<Vec<_>>();
    if !python.is_empty() {
        let any = |name: &str| python.iter().any(|t| t.contains(name));
        if any("sqlalchemy") {
            return Some("sqlalchemy");
        }
        if any("asyncpg") {
            return Some("asyncpg");
        }
        return None;
    }
    if let Some(text) = read(&dir.join("go.mod")) {
        if text.contains("github.com/jackc/pgx") {
            return Some("pgx");
        }
        // Both drivers are used through database/sql: https://github.com/go-sql-driver/mysql#usage
        if text.contains("github.com/lib/pq") || text.contains("github.com/go-sql-driver/mysql") {
            return Some("go-sql");
        }
    }
    None
}
