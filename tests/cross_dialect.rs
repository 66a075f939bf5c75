//! No single-key guess: every dialect's pool keys, put into the files of an app whose stack
//! is plainly another library's (a Gemfile naming rails, a package.json depending on pg),
//! must not be attributed to their own library. The service keeps the stack's library and
//! that library's default pool size. The cases come from rules/dialects.toml, so a new
//! dialect is covered as soon as it is added.

mod common;

use common::*;
use serde::Deserialize;
use std::fmt::Write as _;

#[derive(Debug, Deserialize)]
struct File {
    dialect: Vec<Dialect>,
}

#[derive(Debug, Deserialize)]
struct Dialect {
    id: String,
    library: String,
    /// `redis`: a Redis client, whose keys make a Redis pool of their own beside the SQL one.
    engine: Option<String>,
    #[serde(default)]
    keys: Vec<Key>,
}

#[derive(Debug, Deserialize)]
struct Key {
    env: Option<String>,
    path: Option<String>,
    url: Option<String>,
    conn: Option<String>,
    concept: String,
    unit: String,
}

/// An app whose manifest names its library, with that library's documented default pool.
struct Host {
    id: &'static str,
    library: &'static str,
    default_pool: u64,
    manifest: (&'static str, &'static str),
}

const HOSTS: &[Host] = &[
    Host {
        id: "rails",
        library: "Rails (ActiveRecord)",
        // ActiveRecord default pool: 5 (rules/dialects.toml).
        default_pool: 5,
        manifest: (
            "Gemfile",
            "source \"https://rubygems.org\"\n\ngem \"rails\", \"~> 7.1.3\"\ngem \"pg\", \"~> 1.5\"\ngem \"puma\", \">= 5.0\"\n",
        ),
    },
    Host {
        id: "node-postgres",
        library: "node-postgres",
        // node-postgres default max: 10 (rules/dialects.toml).
        default_pool: 10,
        manifest: (
            "package.json",
            "{\n  \"name\": \"orders-api\",\n  \"version\": \"1.4.0\",\n  \"dependencies\": {\n    \"express\": \"^4.19.2\",\n    \"pg\": \"^8.12.0\"\n  }\n}\n",
        ),
    },
];

/// Keys that configure a pool (not URLs, markers or session state), with a value of their unit.
fn value(k: &Key) -> Option<&'static str> {
    let pool = [
        "pool_max",
        "pool_overflow",
        "pool_min",
        "acquire_timeout",
        "idle_timeout",
        "max_lifetime",
        "connect_timeout",
        "query_timeout",
        "statement_cache",
        "prepared_statements",
        "pgbouncer",
    ];
    if !pool.contains(&k.concept.as_str()) {
        return None;
    }
    match k.unit.as_str() {
        "count" => Some("20"),
        "s" => Some("30"),
        "ms" => Some("30000"),
        "go_duration" => Some("30s"),
        "bool" => Some("true"),
        _ => None,
    }
}

/// A YAML document setting a dotted path.
fn yaml_path(path: &str, v: &str) -> String {
    let mut out = String::new();
    let segs: Vec<&str> = path.split('.').collect();
    for (i, s) in segs.iter().enumerate() {
        let pad = "  ".repeat(i);
        if i + 1 == segs.len() {
            let _ = writeln!(out, "{pad}{s}: {v}");
        } else {
            let _ = writeln!(out, "{pad}{s}:");
        }
    }
    out
}

/// The files of one case: the host's manifest, a .env with the URL and the dialect's env
/// keys, its URL parameters and connection-string keywords, and one YAML file per path key.
fn write_case(dir: &std::path::Path, host: &Host, d: &Dialect) -> usize {
    std::fs::write(dir.join(host.manifest.0), host.manifest.1).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let mut params = Vec::new();
    let mut env = String::new();
    let mut conn = Vec::new();
    let mut n = 0;
    for (i, k) in d.keys.iter().enumerate() {
        let Some(v) = value(k) else { continue };
        n += 1;
        if let Some(u) = &k.url {
            params.push(format!("{u}={v}"));
        }
        if let Some(e) = &k.env {
            let _ = writeln!(env, "{e}={v}");
        }
        if let Some(c) = &k.conn {
            conn.push(format!("{c}={v}"));
        }
        if let Some(p) = &k.path {
            std::fs::write(
                dir.join("config").join(format!("settings-{i}.yml")),
                yaml_path(p, v),
            )
            .unwrap();
        }
    }
    let query = if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    };
    let mut text = format!("DATABASE_URL=postgres://app@db.internal:5432/app{query}\n");
    text.push_str(&env);
    if !conn.is_empty() {
        let _ = writeln!(
            text,
            "LEGACY_CONNECTION=Host=db.internal;Database=app;{}",
            conn.join(";")
        );
    }
    std::fs::write(dir.join(".env"), text).unwrap();
    n
}

#[test]
fn no_dialect_key_is_attributed_inside_another_stack() {
    let text = std::fs::read_to_string(root().join("rules/dialects.toml")).unwrap();
    let file: File = toml::from_str(&text).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for d in file
        .dialect
        .iter()
        .filter(|d| d.id != "generic" && d.id != "redis-generic")
    {
        let host = HOSTS.iter().find(|h| h.id != d.id).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        if write_case(tmp.path(), host, d) == 0 {
            continue; // a client with no pool keys (ioredis: one connection per client)
        }
        checked += 1;
        let out = poolcheck_in(
            tmp.path(),
            &[
                "verify",
                "--no-config",
                ".",
                "--max-connections",
                "100",
                "--format",
                "json",
            ],
        );
        let v = json(&out);
        let services: Vec<&serde_json::Value> = v["capacity"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["services"].as_array().unwrap().iter())
            .filter(|s| s["engine_part"].is_null() || s["engine_part"] != "redis")
            .collect();
        // The SQL pool: the service that is not a Redis part.
        let sql: Vec<&&serde_json::Value> = services
            .iter()
            .filter(|s| !s["name"].as_str().unwrap_or("").ends_with("-redis"))
            .collect();
        let [svc] = sql.as_slice() else {
            failures.push(format!("{}: {} SQL services: {v}", d.id, sql.len()));
            continue;
        };
        if svc["library"] != host.library || svc["pool_max"] != host.default_pool {
            failures.push(format!(
                "{} keys in a {} app: library {} pool max {} (expected {} {})",
                d.id, host.id, svc["library"], svc["pool_max"], host.library, host.default_pool
            ));
        }
        // A Redis client's keys are that client's Redis pool, named in its own findings.
        let redis = d.engine.as_deref() == Some("redis");
        let foreign = !redis
            && v["findings"].as_array().unwrap().iter().any(|f| {
                let text = f.to_string();
                text.contains(&d.library) && d.library != host.library
            });
        if foreign {
            failures.push(format!(
                "{}: a finding names {} in a {} app: {v}",
                d.id, d.library, host.id
            ));
        }
    }
    assert!(checked >= 15, "only {checked} dialects have pool keys");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
