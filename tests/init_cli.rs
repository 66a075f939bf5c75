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

/// A repository that deploys with compose and Kubernetes manifests and runs PgBouncer: a
/// compose project whose web service reads web/.env through env_file and runs a PgBouncer
/// image, a manifest folder with a worker (HPA 3 → 6) and a cron job that uses no database.
fn deployed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "compose.yaml",
        "services:\n\
         \x20 db:\n\
         \x20   image: postgres:16\n\
         \x20 pgbouncer:\n\
         \x20   image: docker.io/bitnami/pgbouncer:1.22.1\n\
         \x20   environment:\n\
         \x20     POSTGRESQL_HOST: db\n\
         \x20     PGBOUNCER_POOL_MODE: transaction\n\
         \x20     PGBOUNCER_DEFAULT_POOL_SIZE: \"20\"\n\
         \x20     PGBOUNCER_MAX_CLIENT_CONN: \"500\"\n\
         \x20 web:\n\
         \x20   build: ./web\n\
         \x20   env_file: web/.env\n\
         \x20   deploy:\n\
         \x20     replicas: 2\n",
    );
    write(
        r,
        "web/.env",
        "DATABASE_URL=postgres://web:hunter2@pgbouncer:6432/shop?connection_limit=15\n",
    );
    write(
        r,
        "web/package.json",
        "{\"dependencies\":{\"@prisma/client\":\"5\"}}\n",
    );
    write(
        r,
        "k8s/worker.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  replicas: 3\n\
         \x20 template:\n    spec:\n      containers:\n        - name: worker\n\
         \x20         env:\n            - name: DATABASE_URL\n\
         \x20             value: postgres://worker@orders-db.internal:5432/orders\n\
         \x20           - name: DB_POOL_SIZE\n              value: \"8\"\n\
         ---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: worker\n\
         spec:\n  scaleTargetRef:\n    kind: Deployment\n    name: worker\n  maxReplicas: 6\n",
    );
    write(
        r,
        "k8s/cleanup.yaml",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cleanup\nspec:\n\
         \x20 schedule: \"0 3 * * *\"\n",
    );
    write(
        r,
        "k8s/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    dir
}

#[test]
fn init_declares_compose_services_manifests_and_poolers_as_verify_reads_them() {
    let repo = deployed();
    let run = poolcheck_in(repo.path(), &["init", "--output", "-"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = &run.stdout;
    assert!(!text.contains("hunter2"));
    // The pooler's address is not a server; the hosts behind it and the manifest's are.
    assert!(!text.contains("[servers.pgbouncer]"), "{text}");
    assert!(
        text.contains("[servers.db]\n# db:5432, named in compose.yaml\n"),
        "{text}"
    );
    assert!(text.contains("[servers.orders-db]\n"), "{text}");
    assert!(
        text.contains("[poolers.pgbouncer]\nkind = \"pgbouncer\"\nfiles = [\"compose.yaml\"]\n"),
        "{text}"
    );
    // web/.env is the compose service's env_file: no app of its own.
    assert!(!text.contains("files = [\"web\"]"), "{text}");
    assert!(text.contains("[services.web]\n"), "{text}");
    assert!(text.contains("files = [\"compose.yaml\"]\n"), "{text}");
    assert!(
        text.contains("[services.worker]\n")
            && text.contains("files = [\"k8s/config.yaml\", \"k8s/worker.yaml\"]\n"),
        "{text}"
    );
    // Not the CronJob without a database; the ConfigMap comes with the workloads (envFrom).
    assert!(!text.contains("cleanup.yaml"), "{text}");
    assert!(!text.contains("files = [\"k8s\"]"), "{text}");

    // Answered, it runs: web's 15 × 2 go to PgBouncer (20 server connections to db);
    // the worker's 8 × 6 (HPA) go to orders-db.
    let answered = text
        .replace("# server = \"db\"\n", "server = \"db\"\n")
        .replace("# max_connections = 100\n", "max_connections = 100\n");
    std::fs::write(repo.path().join("poolcheck.toml"), &answered).unwrap();
    let run = poolcheck_in(repo.path(), &["verify", "--format", "json"]);
    let v = json(&run);
    let mut got: Vec<String> = Vec::new();
    for cap in v["capacity"].as_array().unwrap() {
        for s in cap["services"].as_array().unwrap() {
            got.push(format!(
                "{} {} {}",
                cap["server"].as_str().unwrap(),
                s["name"].as_str().unwrap(),
                s["demand"]
            ));
        }
    }
    assert_eq!(got, ["orders-db worker 48"], "{answered}\n{}", run.stdout);
    let poolers: Vec<String> = v["capacity"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["poolers"].as_array().cloned().unwrap_or_default())
        .map(|p| format!("{} {}", p["name"].as_str().unwrap(), p["client_demand"]))
        .collect();
    assert_eq!(poolers, ["pgbouncer 30"], "{}", run.stdout);
}

#[test]
fn init_finds_odyssey_conf_and_the_storage_host_behind_it() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "deploy/odyssey/prod.odyssey.conf",
        "listen {\n\thost \"*\"\n\tport 6432\n}\nstorage \"main\" {\n\ttype \"remote\"\n\thost \"pg-main.internal\"\n\tport 5432\n}\n\
         database default {\n\tuser default {\n\t\tpassword \"hunter2\"\n\t\tstorage \"main\"\n\t\tpool \"transaction\"\n\t\tpool_size 20\n\t}\n}\n",
    );
    write(
        repo.path(),
        "api/package.json",
        "{\"dependencies\": {\"pg\": \"8\"}}\n",
    );
    write(
        repo.path(),
        "api/.env.production",
        "DATABASE_URL=postgres://api@odyssey:6432/app\nPG_POOL_MAX=10\n",
    );
    let run = poolcheck_in(repo.path(), &["init", "--output", "-"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = &run.stdout;
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.contains(
            "[poolers.odyssey]\nkind = \"odyssey\"\nfiles = [\"deploy/odyssey/prod.odyssey.conf\"]\n"
        ),
        "{text}"
    );
    // The pooler's address is not a server; the storage's host is.
    assert!(!text.contains("odyssey:6432"), "{text}");
    assert!(text.contains("pg-main.internal:5432"), "{text}");
}
