//! The pooler tier end to end: the issue's false FAIL turned into a verdict on both tiers, the
//! lines each tier prints, and bad pooler input (located errors, other files still lint).

mod common;

use common::*;
use std::path::Path;

/// A tree of files under a temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const API_ENV: &str = "DATABASE_URL=postgres://api@pgbouncer:6432/app\nPG_POOL_MAX=10\nPG_CONNECTION_TIMEOUT_MILLIS=3000\n";
const INI: &str = "[databases]\napp = host=db.internal dbname=app\n\n[pgbouncer]\npool_mode = transaction\nmax_client_conn = 1000\ndefault_pool_size = 20\n";
const SERVER: &str = "[servers.main]\nmax_connections = 400\nreserved = 10\n";
const SERVICE: &str = "\n[services.api]\nfiles = [\"api/.env\"]\nreplicas = 100\n";

fn verify_json(dir: &Path) -> (Run, serde_json::Value) {
    let run = poolcheck_in(dir, &["verify", "--format", "json"]);
    let v = json(&run);
    assert_report_schema(&v);
    (run, v)
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    findings(v).into_iter().map(|(c, _, _)| c).collect()
}

#[test]
fn the_false_fail_of_client_connections_counted_against_the_server_becomes_two_verdicts() {
    // Without the pooler declared, 1,000 client connections are counted against 390 slots.
    let direct = tree(&[
        ("poolcheck.toml", &format!("{SERVER}{SERVICE}")),
        ("api/.env", API_ENV),
    ]);
    let (run, v) = verify_json(direct.path());
    assert_eq!(run.code, 1);
    assert_eq!(codes(&v), ["PC101"]);
    assert_eq!(v["capacity"][0]["demand"], 1000);

    let pooled = tree(&[
        (
            "poolcheck.toml",
            &format!(
                "{SERVER}\n[poolers.pgbouncer]\nfiles = [\"pgbouncer.ini\"]\nreplicas = 2\n{SERVICE}"
            ),
        ),
        ("pgbouncer.ini", INI),
        ("api/.env", API_ENV),
    ]);
    let (run, v) = verify_json(pooled.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(codes(&v), Vec::<String>::new());
    let cap = &v["capacity"][0];
    assert_eq!(cap["demand"], 40, "2 instances × default_pool_size 20");
    assert_eq!(cap["services"].as_array().unwrap().len(), 0);
    let p = &cap["poolers"][0];
    assert_eq!(
        (
            &p["client_demand"],
            &p["client_capacity"],
            &p["server_demand"]
        ),
        (&1000.into(), &2000.into(), &40.into())
    );

    let human = poolcheck_in(pooled.path(), &["verify"]);
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "pooler pgbouncer (PgBouncer): clients 1000 (rolling update 1250) of 2000 = 1000 max_client_conn × 2",
            "    instances [api 10×1×100];",
            "    server-side 40 = 2 instances × 20 [app/api 20 transaction]",
            "server main: peak demand 40 (rolling update 40) of 390 usable = 400 max_connections − 10 reserved",
            "    [via pgbouncer 40]",
            "pass: 0 errors, 0 warnings, 0 info (fail-on error; exit 0)",
        ]
    );
}

#[test]
fn a_service_with_via_an_undeclared_pooler_is_a_located_tool_error() {
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}{SERVICE}via = \"bouncer\"\n"),
        ),
        ("api/.env", API_ENV),
    ]);
    let run = poolcheck_in(dir.path(), &["verify"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("poolcheck.toml:8:7: service `api` goes via pooler `bouncer`, which"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_pooler_file_is_pc005_and_the_services_still_lint() {
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}\n[poolers.pgbouncer]\nfiles = [\"missing.ini\"]\n{SERVICE}"),
        ),
        (
            "api/.env",
            "DATABASE_URL=postgres://api@pgbouncer:6432/app\nPG_POOL_MAX=10\n",
        ),
    ]);
    let (run, v) = verify_json(dir.path());
    assert_eq!(run.code, 1);
    let mut got = findings(&v);
    got.sort();
    assert_eq!(
        got,
        [
            (
                "PC005".to_string(),
                Some("missing.ini".to_string()),
                Some(1)
            ),
            // The service's own file was still read: node-postgres waits forever by default
            ("PC201".to_string(), None, None),
            // and its 1,000 clients are more than PgBouncer's default max_client_conn of 100.
            ("PC502".to_string(), Some("api/.env".to_string()), Some(2)),
        ]
    );
    // PgBouncer's documented defaults stand in: max_client_conn 100, default_pool_size 20.
    let p = &v["capacity"][0]["poolers"][0];
    assert_eq!(
        (&p["client_capacity"], &p["server_demand"]),
        (&100.into(), &20.into())
    );
}

#[test]
fn includes_are_followed_and_a_later_line_wins_over_the_included_one() {
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}\n[poolers.pgbouncer]\nfiles = [\"etc/pgbouncer.ini\"]\n{SERVICE}"),
        ),
        (
            "etc/pgbouncer.ini",
            "[pgbouncer]\n%include common.ini\ndefault_pool_size = 12\n",
        ),
        (
            "etc/common.ini",
            "pool_mode = transaction\ndefault_pool_size = 50\nmax_client_conn = 2000\n",
        ),
        ("api/.env", API_ENV),
    ]);
    let (run, v) = verify_json(dir.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let p = &v["capacity"][0]["poolers"][0];
    assert_eq!(p["max_client_conn"], 2000);
    assert_eq!(p["pools"][0]["pool_size"], 12);
    assert_eq!(p["pools"][0]["mode"], "transaction");
}

#[test]
fn an_include_cycle_is_a_located_syntax_error() {
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}\n[poolers.pgbouncer]\nfiles = [\"a.ini\"]\n{SERVICE}"),
        ),
        ("a.ini", "[pgbouncer]\n%include b.ini\n"),
        ("b.ini", "%include a.ini\n"),
        ("api/.env", API_ENV),
    ]);
    let (_, v) = verify_json(dir.path());
    let got = findings(&v);
    assert!(
        got.iter()
            .any(|(c, f, l)| c == "PC001" && f.as_deref() == Some("b.ini") && *l == Some(1)),
        "{got:?}"
    );
}

#[test]
fn passwords_in_pgbouncer_database_entries_never_reach_the_output() {
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}\n[poolers.pgbouncer]\nfiles = [\"pgbouncer.ini\"]\n{SERVICE}"),
        ),
        (
            "pgbouncer.ini",
            "[databases]\napp = host=db password=hunter2secret pool_size=lots\n[pgbouncer]\npool_mode = transaction\n",
        ),
        ("api/.env", API_ENV),
    ]);
    for format in ["human", "json"] {
        let run = poolcheck_in(dir.path(), &["verify", "--format", format]);
        assert!(run.stdout.contains("PC002"), "{}", run.stdout);
        assert!(!run.stdout.contains("hunter2secret"), "{}", run.stdout);
        assert!(!run.stderr.contains("hunter2secret"));
    }
}

#[test]
fn readme_shows_what_the_two_tier_example_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let cmd = "$ poolcheck verify --config fixtures/poolers/rails-node-transaction/poolcheck.toml --ignore PC204\n";
    let start = readme.find(cmd).expect("README pooler example") + cmd.len();
    let block = &readme[start..start + readme[start..].find("```").unwrap()];
    let args: Vec<&str> = cmd.trim_end().split(' ').skip(2).collect();
    let run = poolcheck(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, block,
        "README.md's pooler example is stale: paste the new output"
    );
}

/// A what-if table row starting with `name`, its words joined by single spaces.
fn row_of(stdout: &str, name: &str) -> Option<String> {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn what_if_moves_the_server_tier_with_a_pooler_setting_and_a_route() {
    let dir = root().join("fixtures/poolers/rails-node-transaction");
    let run = poolcheck_in(
        &dir,
        &[
            "what-if",
            "--set",
            "pooler.pgbouncer.default_pool_size=100",
            "--set",
            "pooler.pgbouncer.replicas=3",
            "--ignore",
            "PC204",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let row = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    // 3 pods × 2 pools × (100 + 5) + reports 4 = 634.
    assert_eq!(
        row("main: peak demand").as_deref(),
        Some("main: peak demand 104 634 ←")
    );
    assert!(run.stdout.contains("introduced: PC501"), "{}", run.stdout);

    // Routing the direct reports job through the pooler adds a pool (25 × 2) and removes its 4.
    let run = poolcheck_in(
        &dir,
        &[
            "what-if",
            "--set",
            "service.reports.via=pgbouncer",
            "--ignore",
            "PC204",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("server main: peak demand 150 (rolling update 150) of 390 usable"),
        "{}",
        run.stdout
    );

    // 2 so_reuseport processes per pod: 4 PgBouncers, 4 × 50 + reports 4 = 204.
    let run = poolcheck_in(
        &dir,
        &[
            "what-if",
            "--set",
            "pooler.pgbouncer.processes=2",
            "--ignore",
            "PC204",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        row_of(&run.stdout, "main: peak demand").as_deref(),
        Some("main: peak demand 104 204 ←")
    );

    let run = poolcheck_in(&dir, &["what-if", "--set", "pooler.nope.replicas=3"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no pooler `nope` (poolers: pgbouncer)"),
        "{}",
        run.stderr
    );
}

#[test]
fn verbose_names_the_origin_of_every_pooler_number() {
    let run = poolcheck(&[
        "verify",
        "--verbose",
        "--config",
        "fixtures/poolers/compose-env/poolcheck.toml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "  pgbouncer's instances 1: 1 instance assumed: [poolers.pgbouncer] sets no replicas",
        // Wrapped at the terminal width: the origin's location is what matters.
        "  pgbouncer's max_client_conn 400: fixtures/poolers/compose-env/docker-compose.yml:19:34",
        "  pgbouncer pool shop/shop size 15: fixtures/poolers/compose-env/docker-compose.yml:17:36",
        "  pgbouncer pool shop/shop reserve 3: fixtures/poolers/compose-env/docker-compose.yml:18:36",
        "  pgbouncer pool shop/shop mode transaction: fixtures/poolers/compose-env/docker-compose.yml:16:28",
        "  web's pool 10 (via pgbouncer): fixtures/poolers/compose-env/web/.env:3:22",
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(line)),
            "no `{line}` in\n{}",
            run.stdout
        );
    }
}

mod robustness {
    use poolcheck::core::source::{SourceFile, SourceSet};
    use poolcheck::input::formats::{ini, pgbouncer};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text read as pgbouncer.ini: no panic, and every span the reader hands out is
        /// inside the file on a character boundary.
        #[test]
        fn pgbouncer_ini_arbitrary_text_never_panics(
            body in "(\\[(databases|users|pgbouncer)\\]\n|[a-z_*]{0,8} ?= ?[^\n]{0,40}\n|[^\n]{0,20}\n){0,12}"
        ) {
            let mut sources = SourceSet::default();
            let id = sources.add(SourceFile::new(std::path::Path::new("p.ini"), "p.ini", body.as_str()));
            let parsed = ini::parse(id, &body);
            let c = pgbouncer::from_ini(&parsed.root, &sources);
            let raws = c.settings.iter().map(|(_, r)| r)
                .chain(c.databases.iter().chain(&c.users).flat_map(|e| e.params.iter().map(|(_, r)| r)));
            for r in raws {
                if let Some((_, span)) = r.origin.location() {
                    prop_assert!(span.end <= body.len());
                    prop_assert!(body.is_char_boundary(span.start) && body.is_char_boundary(span.end));
                }
            }
        }
    }
}

/// A Rails app with every session feature the session rules know: migrations' advisory lock
/// (default), `variables:`, Action Cable on PostgreSQL, GoodJob.
const RAILS_DB: &str = "production:\n  adapter: postgresql\n  url: postgres://shop@pgbouncer:6432/app\n  pool: 5\n  prepared_statements: false\n  variables:\n    statement_timeout: 5s\n";
const RAILS_CABLE: &str = "production:\n  adapter: postgresql\n";
const RAILS_GEMFILE: &str = "source \"https://rubygems.org\"\ngem \"rails\"\ngem \"good_job\"\n";

fn rails_behind(ini: &str, kind: &str) -> tempfile::TempDir {
    let pooler = format!("\n[poolers.pgbouncer]\nfiles = [\"pgbouncer.ini\"]\n{kind}");
    let service = "\n[services.shop]\nfiles = [\"shop/config/database.yml\"]\n";
    tree(&[
        ("poolcheck.toml", &format!("{SERVER}{pooler}{service}")),
        ("pgbouncer.ini", ini),
        ("shop/config/database.yml", RAILS_DB),
        ("shop/config/cable.yml", RAILS_CABLE),
        ("shop/Gemfile", RAILS_GEMFILE),
    ])
}

/// The Rails app of [`rails_behind`] behind a pooler of another kind, configured by `file`.
fn rails_behind_kind(kind: &str, file: (&str, &str), db: &str) -> tempfile::TempDir {
    let toml = format!(
        "{SERVER}\n[poolers.pooler]\nkind = \"{kind}\"\nfiles = [\"{}\"]\n\n[services.shop]\nfiles = [\"shop/config/database.yml\"]\nvia = \"pooler\"\n",
        file.0
    );
    let db = db.replace("pgbouncer:6432", "pooler:6432");
    tree(&[
        ("poolcheck.toml", &toml),
        file,
        ("shop/config/database.yml", &db),
        ("shop/config/cable.yml", RAILS_CABLE),
        ("shop/Gemfile", RAILS_GEMFILE),
    ])
}

const PGCAT: &str = "[general]\nport = 6432\n\n[pools.app]\npool_mode = \"transaction\"\n\n[pools.app.users.0]\nusername = \"shop\"\npool_size = 10\n\n[pools.app.shards.0]\nservers = [[\"db.internal\", 5432, \"primary\"]]\ndatabase = \"app\"\n";
const PGDOG: &str = "[general]\nport = 6432\npooler_mode = \"transaction\"\n\n[[databases]]\nname = \"app\"\nhost = \"db.internal\"\nport = 5432\n";

#[test]
fn session_rules_follow_each_poolers_feature_map() {
    let session = |c: &String| ["PC507", "PC508", "PC509", "PC510"].contains(&c.as_str());
    let got = |dir: &tempfile::TempDir| -> Vec<String> {
        let mut c: Vec<String> = codes(&verify_json(dir.path()).1)
            .into_iter()
            .filter(session)
            .collect();
        c.sort();
        c
    };
    // Transaction mode: the lock, the SET and both LISTENers.
    let dir = rails_behind(INI, "");
    assert_eq!(got(&dir), ["PC507", "PC508", "PC509", "PC509"]);
    // Session mode (PgBouncer's default) keeps every session feature.
    let session_ini = INI.replace("pool_mode = transaction\n", "");
    assert!(got(&rails_behind(&session_ini, "")).is_empty());
    // Statement mode adds the refused transactions.
    let statement = INI.replace("transaction", "statement");
    assert_eq!(
        got(&rails_behind(&statement, "")),
        ["PC507", "PC508", "PC509", "PC509", "PC510"]
    );
    // pgcat shares PgBouncer's feature map: the SET of statement_timeout is lost too.
    let dir = rails_behind_kind("pgcat", ("pgcat.toml", PGCAT), RAILS_DB);
    assert_eq!(got(&dir), ["PC507", "PC508", "PC509", "PC509"]);
    let pgcat_session = PGCAT.replace("\"transaction\"", "\"session\"");
    let dir = rails_behind_kind("pgcat", ("pgcat.toml", &pgcat_session), RAILS_DB);
    assert!(got(&dir).is_empty());
    // PgDog replays SET; with its parser on and pub/sub, locks and LISTEN survive too.
    let dir = rails_behind_kind("pgdog", ("pgdog.toml", PGDOG), RAILS_DB);
    assert_eq!(got(&dir), ["PC507", "PC509", "PC509"]);
    let full = PGDOG.replace(
        "[general]\n",
        "[general]\nquery_parser = \"session_control_and_locks\"\npub_sub_channel_size = 4096\n",
    );
    let dir = rails_behind_kind("pgdog", ("pgdog.toml", &full), RAILS_DB);
    assert!(got(&dir).is_empty());
    // PgDog's statement mode refuses transactions as PgBouncer's does.
    let statement = full.replace("\"transaction\"", "\"statement\"");
    let dir = rails_behind_kind("pgdog", ("pgdog.toml", &statement), RAILS_DB);
    assert_eq!(got(&dir), ["PC510"]);
    // RDS Proxy pins a session that uses them instead of losing them.
    let dir = rails_behind_kind("rds_proxy", ("unused.env", ""), RAILS_DB);
    assert!(got(&dir).is_empty());
}

#[test]
fn prepared_statements_follow_the_poolers_own_switch() {
    let pc204 = |dir: &tempfile::TempDir| -> Vec<(String, Option<String>, Option<u64>)> {
        findings(&verify_json(dir.path()).1)
            .into_iter()
            .filter(|f| f.0 == "PC204")
            .collect()
    };
    // Rails prepares statements by default: flagged at the URL through pgcat, whose support
    // is off until pgcat.toml turns it on.
    let prepares = RAILS_DB.replace("  prepared_statements: false\n", "");
    let dir = rails_behind_kind("pgcat", ("pgcat.toml", PGCAT), &prepares);
    assert_eq!(
        pc204(&dir),
        [(
            "PC204".to_string(),
            Some("shop/config/database.yml".to_string()),
            Some(3)
        )]
    );
    let on = PGCAT.replace(
        "port = 6432\n",
        "port = 6432\nprepared_statements = true\nprepared_statements_cache_size = 500\n",
    );
    assert!(pc204(&rails_behind_kind("pgcat", ("pgcat.toml", &on), &prepares)).is_empty());
    // PgDog's default ("extended") runs them; "disabled" is flagged at that line.
    assert!(pc204(&rails_behind_kind(
        "pgdog",
        ("pgdog.toml", PGDOG),
        &prepares
    ))
    .is_empty());
    let off = PGDOG.replace(
        "[general]\n",
        "[general]\nprepared_statements = \"disabled\"\n",
    );
    let dir = rails_behind_kind("pgdog", ("pgdog.toml", &off), &prepares);
    let got = pc204(&dir);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1.as_deref(), Some("shop/config/database.yml"));
}

#[test]
fn a_variables_map_outside_rails_sets_nothing() {
    // node-postgres through transaction-mode PgBouncer; its deploy values happen to hold a
    // `variables:` map, which is not ActiveRecord's.
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}\n[poolers.pgbouncer]\nfiles = [\"pgbouncer.ini\"]\n\n[services.api]\nfiles = [\"api/.env\", \"api/deploy.yaml\"]\n"),
        ),
        ("pgbouncer.ini", INI),
        ("api/.env", API_ENV),
        ("api/deploy.yaml", "variables:\n  statement_timeout: 5s\n"),
    ]);
    let (run, v) = verify_json(dir.path());
    assert!(!codes(&v).iter().any(|c| c == "PC508"), "{}", run.stdout);
}

const ODYSSEY_TOML: &str = "[servers.main]\nmax_connections = 400\n\n[poolers.odyssey]\nkind = \"odyssey\"\nfiles = [\"odyssey.conf\"]\nreplicas = 2\n\n[services.api]\nfiles = [\"api/.env\"]\nreplicas = 10\n";

#[test]
fn odyssey_routes_time_out_and_limit_clients_per_route() {
    let conf = "storage \"pg\" {\n\ttype \"remote\"\n\thost \"db.internal\"\n\tport 5432\n}\n\
                database \"app\" {\n\tuser \"api\" {\n\t\tstorage \"pg\"\n\t\tpool \"transaction\"\n\
                \t\tpool_size 20\n\t\tpool_timeout 1000\n\t\tclient_max 40\n\t}\n}\n\
                database default {\n\tuser default {\n\t\tstorage \"pg\"\n\t\tpool_size 5\n\t}\n}\n";
    let dir = tree(&[
        ("poolcheck.toml", ODYSSEY_TOML),
        ("odyssey.conf", conf),
        ("api/.env", API_ENV.replace("pgbouncer", "odyssey").as_str()),
    ]);
    let (_, v) = verify_json(dir.path());
    let mut got = findings(&v);
    got.sort();
    let at = |c: &str, f: &str, l: u64| (c.to_string(), Some(f.to_string()), Some(l));
    assert_eq!(
        got,
        [
            // The fallback route sets no pool: Odyssey would not start.
            at("PC002", "odyssey.conf", 16),
            // 10 × 1 × 10 = 100 clients > the route's client_max 40 × 2 instances.
            at("PC502", "api/.env", 2),
            // The route's pool_timeout 1 s fires before the pool's 3 s acquire timeout.
            at("PC504", "api/.env", 3),
        ],
        "{v:#}"
    );
    let p = &v["capacity"][0]["poolers"][0];
    assert_eq!(
        (&p["server_demand"], &p["kind"]),
        (&40.into(), &"odyssey".into())
    );
}

#[test]
fn a_broken_odyssey_conf_is_a_located_pc001_and_the_services_still_lint() {
    let dir = tree(&[
        ("poolcheck.toml", ODYSSEY_TOML),
        (
            "odyssey.conf",
            "database \"app\" {\n\tuser \"api\" {\n\t\tpool_size = 20\n\t}\n}\n",
        ),
        ("api/.env", API_ENV.replace("pgbouncer", "odyssey").as_str()),
    ]);
    let (run, v) = verify_json(dir.path());
    assert_eq!(run.code, 1, "{}", run.stdout);
    let got = findings(&v);
    assert!(
        got.contains(&("PC001".into(), Some("odyssey.conf".into()), Some(3))),
        "{got:?}"
    );
    // Nothing is read from the broken file: no route, so no server-side pool either.
    let p = &v["capacity"][0]["poolers"][0];
    assert_eq!(p["client_demand"], 100);
}

const ZALANDO: &str = "apiVersion: acid.zalan.do/v1\nkind: postgresql\nmetadata:\n  name: acid-shop\nspec:\n  teamId: acid\n  numberOfInstances: 2\n  enableConnectionPooler: true\n  connectionPooler:\n    numberOfInstances: 2\n    mode: transaction\n  postgresql:\n    version: \"16\"\n";

#[test]
fn a_zalando_pooler_is_sized_from_max_db_connections_per_pod() {
    // maxDBConnections defaults to 60, "divided among the pooler pods": 30 per pod, a
    // default_pool_size of 15 and a reserve of 7 (connection_pooler.go). The API reaches the
    // Service acid-shop-pooler on 5432.
    let env = "DATABASE_URL=postgres://api@acid-shop-pooler.shop.svc:5432/shop\nPG_POOL_MAX=10\nPG_CONNECTION_TIMEOUT_MILLIS=3000\n";
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}\n[poolers.pooler]\nfiles = [\"k8s/shop.yaml\"]\n{SERVICE}"),
        ),
        ("k8s/shop.yaml", ZALANDO),
        ("api/.env", env),
    ]);
    let (run, v) = verify_json(dir.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let p = &v["capacity"][0]["poolers"][0];
    assert_eq!(
        (
            &p["replicas"],
            &p["server_per_instance"],
            &p["server_demand"]
        ),
        (&2.into(), &22.into(), &44.into()),
        "{p:#}"
    );
    assert_eq!(
        (&p["client_demand"], &p["client_capacity"]),
        (&1000.into(), &20000.into())
    );
    // enableConnectionPooler: false deploys no pooler: the same URL is then counted directly.
    let off = ZALANDO.replace(
        "enableConnectionPooler: true",
        "enableConnectionPooler: false",
    );
    std::fs::write(dir.path().join("k8s/shop.yaml"), off).unwrap();
    let (_, v) = verify_json(dir.path());
    assert_eq!(
        v["capacity"][0]["poolers"].as_array().map_or(0, Vec::len),
        0
    );
    assert_eq!(v["capacity"][0]["demand"], 1000);
}

#[test]
fn an_app_charts_pgbouncer_block_counts_its_autoscaler_maximum_unless_disabled() {
    let values = "image:\n  repository: ghcr.io/acme/shop\npgbouncer:\n  enabled: true\n  replicaCount: 2\n  autoscaling:\n    enabled: true\n    maxReplicas: 5\n  config:\n    pgbouncer:\n      pool_mode: transaction\n      default_pool_size: 10\n      max_client_conn: 400\n";
    let dir = tree(&[
        (
            "poolcheck.toml",
            &format!("{SERVER}\n[poolers.pgbouncer]\nfiles = [\"chart/values.yaml\"]\n{SERVICE}"),
        ),
        ("chart/values.yaml", values),
        ("api/.env", API_ENV.replace(":6432", ":5432").as_str()),
    ]);
    let (run, v) = verify_json(dir.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let p = &v["capacity"][0]["poolers"][0];
    // 5 pods at the autoscaler's peak, each with its own app/api pool of 10.
    assert_eq!(
        (&p["replicas"], &p["server_demand"]),
        (&5.into(), &50.into()),
        "{p:#}"
    );
    assert_eq!(p["client_capacity"], 2000);
    let off = values.replace(
        "  enabled: true\n  replicaCount",
        "  enabled: false\n  replicaCount",
    );
    std::fs::write(dir.path().join("chart/values.yaml"), off).unwrap();
    let (run, v) = verify_json(dir.path());
    assert_eq!(
        v["capacity"][0]["poolers"].as_array().map_or(0, Vec::len),
        0
    );
    assert_eq!(v["capacity"][0]["demand"], 1000);
    assert_eq!(
        run.code, 1,
        "1000 direct connections of 390: {}",
        run.stdout
    );
}
