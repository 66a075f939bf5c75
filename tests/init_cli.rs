//! `poolcheck init` on a small monorepo written here: the file it writes, that verify runs on
//! it, that it never overwrites, and that no password leaves the env files.

mod common;

use common::*;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A workspace root, a Node API with env files per environment, a Rails worker whose pool is
/// in config/database.yml, a Helm chart, and folders init must not take for apps.
fn monorepo(analytics: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "package.json",
        "{\"name\":\"mono\",\"workspaces\":[\"apps/*\"]}\n",
    );
    write(r, "apps/api/package.json", "{\"name\":\"api\"}\n");
    write(
        r,
        "apps/api/.env",
        "DATABASE_URL=postgres://api:hunter2@db.internal:5432/app?connection_limit=10\n",
    );
    write(
        r,
        "apps/api/.env.production",
        "DATABASE_URL=postgres://api:hunter2@db.internal:5432/app?connection_limit=20\n",
    );
    write(
        r,
        "apps/api/.env.example",
        "DATABASE_URL=postgres://user:pass@localhost/app\n",
    );
    write(
        r,
        "apps/worker/Gemfile",
        "source \"https://rubygems.org\"\ngem \"rails\"\n",
    );
    write(
        r,
        "apps/worker/config/database.yml",
        "production:\n  adapter: postgresql\n  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>\n  url: <%= ENV[\"DATABASE_URL\"] %>\n",
    );
    let host = if analytics {
        "analytics.internal"
    } else {
        "db.internal"
    };
    write(
        r,
        "apps/worker/.env",
        &format!("DATABASE_URL=postgres://w:s3cr3t@{host}/wh\n"),
    );
    write(
        r,
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(
        r,
        "charts/web/values.yaml",
        "replicaCount: 3\nenv:\n  DB_POOL_SIZE: \"10\"\n",
    );
    write(r, "node_modules/pg/package.json", "{\"name\":\"pg\"}\n");
    write(
        r,
        "node_modules/pg/.env",
        "DATABASE_URL=postgres://x@vendored/x\n",
    );
    write(r, "docs/README.md", "# docs\n");
    dir
}

#[test]
fn init_writes_a_commented_config_that_verify_runs() {
    let repo = monorepo(false);
    let run = poolcheck_in(repo.path(), &["init"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "wrote ./poolcheck.toml: 1 server, 3 services (web, api, worker), 8 questions\n\
         next: answer the `# ?` lines, then run `poolcheck verify`\n"
    );
    let text = std::fs::read_to_string(repo.path().join("poolcheck.toml")).unwrap();
    insta::assert_snapshot!("init_monorepo", text);
    for secret in ["hunter2", "s3cr3t"] {
        assert!(!text.contains(secret) && !run.stdout.contains(secret));
    }
    assert!(
        !text.contains("vendored"),
        "node_modules is not the project's"
    );

    // The file is valid as written: verify reads every service it names.
    let run = poolcheck_in(repo.path(), &["verify", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    let services: Vec<String> = v["capacity"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["name"].as_str().unwrap(), s["demand"]))
        .collect();
    // api: connection_limit=20 (production), web: 10 × 3 replicas, worker: Rails' 5.
    assert_eq!(services, ["api 20", "web 30", "worker 5"]);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PC004"], "max_connections is the open question");
}

#[test]
fn init_never_overwrites_without_force_and_can_print() {
    let repo = monorepo(false);
    let path = repo.path().join("poolcheck.toml");
    std::fs::write(&path, "# mine\n").unwrap();
    let run = poolcheck_in(repo.path(), &["init"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("already exists; init never overwrites it"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--force replaces it"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");

    let printed = poolcheck_in(repo.path(), &["init", "--output", "-"]);
    assert_eq!(printed.code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");

    let run = poolcheck_in(repo.path(), &["init", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), printed.stdout);
}

#[test]
fn init_asks_which_server_when_it_cannot_tell() {
    let repo = monorepo(true);
    let run = poolcheck_in(repo.path(), &["init", "-o", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = run.stdout;
    assert!(t.contains("[servers.analytics]\n# analytics.internal:5432, named in apps/worker/.env\nkind = \"postgres\"\n"), "{t}");
    assert!(
        t.contains("[servers.db]\n# db.internal:5432, named in apps/api/.env\n"),
        "{t}"
    );
    // Each app's URL names its server; the chart's values name none, so init asks.
    assert!(t.contains("[services.api]\nserver = \"db\"\n"), "{t}");
    assert!(
        t.contains("[services.worker]\nserver = \"analytics\"\n"),
        "{t}"
    );
    assert!(
        t.contains("[services.web]\nchart = \"charts/web\"\n# ? server: which of `analytics`, `db` this chart's pods use\n# server = \"analytics\"\n"),
        "{t}"
    );
}

#[test]
fn init_on_a_folder_that_does_not_exist_is_a_usage_error() {
    let run = poolcheck(&["init", "no/such/dir"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no/such/dir: not a directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = poolcheck(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for sub in ["verify", "what-if", "probe", "saturate", "init"] {
            assert!(run.stdout.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let run = poolcheck(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "an unknown shell is a usage error");
}

#[test]
fn man_pages_are_roff_for_the_tool_and_each_command() {
    let run = poolcheck(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &run.stdout[..80]
    );
    assert!(run.stdout.contains(".TH poolcheck 1"), "roff title");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = poolcheck(&["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for page in [
        "poolcheck",
        "poolcheck-verify",
        "poolcheck-size",
        "poolcheck-init",
    ] {
        let text = std::fs::read_to_string(out.join(format!("{page}.1"))).unwrap();
        assert!(text.contains(&format!(".TH {page} 1")), "{page}");
    }
    let verify = std::fs::read_to_string(out.join("poolcheck-verify.1")).unwrap();
    assert!(verify.contains("fail\\-on"), "flags are documented");
}
