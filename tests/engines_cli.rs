//! The server's kind from the keys that name it when no URL does (Rails' `adapter`,
//! `DATABASE_ADAPTER`, `DB_TYPE`), and a URL's scheme winning over them.

mod common;

use common::*;

fn capacity(v: &serde_json::Value) -> (String, u64) {
    let c = &v["capacity"][0];
    (
        c["engine"].as_str().unwrap().to_string(),
        c["usable"].as_u64().unwrap(),
    )
}

#[test]
fn a_trilogy_adapter_makes_the_server_mysql_and_pc101_quotes_its_refusal() {
    let dir = root().join("fixtures/engines/rails-trilogy-host-port");
    let args = [
        "verify",
        "--no-config",
        ".",
        "--max-connections",
        "151",
        "--replicas",
        "8",
    ];
    let run = poolcheck_in(&dir, &[&args[..], &["--format", "json"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = json(&run);
    assert_report_schema(&v);
    assert_eq!(capacity(&v), ("mysql".to_string(), 151));
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "PC101")
        .unwrap_or_else(|| panic!("{v}"));
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("151 usable slots (max_connections 151 − 0 reserved)")
            && msg
                .contains("MySQL refuses the rest with `ERROR 1040 (HY000): Too many connections`"),
        "{msg}"
    );
    // MySQL's advice names its own pooler, not PgBouncer.
    let help = f["help"].as_str().unwrap();
    assert!(
        help.ends_with("raise max_connections, or put ProxySQL in front"),
        "{help}"
    );
    // --verbose says where the kind came from: the adapter's line and column.
    let human = poolcheck_in(&dir, &[&args[..], &["--verbose"]].concat());
    assert!(
        human
            .stdout
            .contains("  kind MySQL: config/database.yml:3:12 (from deployed files)\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_url_scheme_wins_over_the_adapter_and_db_type_names_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/database.yml"),
        "production:\n  adapter: mysql2\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: 10\n",
    )
    .unwrap();
    // Rails takes the adapter from DATABASE_URL's scheme when both are given.
    std::fs::write(
        dir.path().join(".env.production"),
        "DATABASE_URL=postgresql://shop@pg.internal/shop\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["verify", "--no-config"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--max-connections", "100", "--format", "json"]);
        json(&poolcheck_in(dir.path(), &all))
    };
    assert_eq!(capacity(&run(&["."])), ("postgres".to_string(), 97));
    // Without the URL the adapter decides.
    std::fs::write(dir.path().join(".env.production"), "RAILS_ENV=production\n").unwrap();
    assert_eq!(capacity(&run(&["."])), ("mysql".to_string(), 100));
    // DB_TYPE names MariaDB; a value that names no modelled server (sqlite) leaves the default.
    std::fs::write(
        dir.path().join("app.env"),
        "DB_TYPE=mariadb\nDB_POOL_SIZE=20\n",
    )
    .unwrap();
    assert_eq!(capacity(&run(&["app.env"])), ("mariadb".to_string(), 100));
    std::fs::write(
        dir.path().join("app.env"),
        "DB_TYPE=sqlite\nDB_POOL_SIZE=20\n",
    )
    .unwrap();
    assert_eq!(capacity(&run(&["app.env"])), ("postgres".to_string(), 97));
}
