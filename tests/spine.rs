//! Regression tests for the spine: `--set` reaches only the services that hold the key, one
//! precedence table decides between flags, poolcheck.toml and `--set`, and a URL password with
//! an unencoded `/` never reaches any output.

mod common;
use common::*;

const MIXED: &str = "fixtures/spine/mixed-stacks/poolcheck.toml";

/// (service, pool_max, demand) per service of the JSON report.
fn demands(v: &serde_json::Value) -> Vec<(String, Option<u64>, u64)> {
    v["capacity"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["services"].as_array().unwrap().iter())
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["pool_max"].as_u64(),
                s["demand"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn t(name: &str, pool: u64, demand: u64) -> (String, Option<u64>, u64) {
    (name.to_string(), Some(pool), demand)
}

#[test]
fn a_set_file_key_moves_only_the_services_that_have_it() {
    let base = poolcheck(&["verify", "--config", MIXED, "--format", "json"]);
    assert_eq!(base.code, 0, "{}", base.stderr);
    assert_eq!(
        demands(&json(&base)),
        vec![
            t("node-api", 20, 40),
            t("orders", 10, 20),
            t("storefront", 5, 10)
        ]
    );
    // PG_POOL_MAX is node-postgres's key: the HikariCP and Rails services keep their pools.
    let run = poolcheck(&[
        "verify",
        "--config",
        MIXED,
        "--format",
        "json",
        "--set",
        "PG_POOL_MAX=50",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    assert_eq!(
        demands(&v),
        vec![
            t("node-api", 50, 100),
            t("orders", 10, 20),
            t("storefront", 5, 10)
        ]
    );
    assert!(findings(&v).is_empty(), "{:?}", findings(&v));
}

#[test]
fn a_set_key_no_service_has_is_a_usage_error_with_close_matches() {
    let run = poolcheck(&["verify", "--config", MIXED, "--set", "PG_POOL_MX=5"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("PG_POOL_MX"), "{}", run.stderr);
    assert!(run.stderr.contains("`PG_POOL_MAX`"), "{}", run.stderr);
    // A key poolcheck knows, but of a library no service uses, is not applied to anyone.
    let run = poolcheck(&[
        "verify",
        "--config",
        MIXED,
        "--set",
        "SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE=3",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn flags_beat_poolcheck_toml_and_set_beats_flags_and_the_origin_says_so() {
    let args = [
        "verify",
        "--prod",
        "--config",
        "fixtures/demo/poolcheck.toml",
    ];
    let run = poolcheck(&[&args[..], &["--max-connections", "500"]].concat());
    assert_eq!(run.code, 0, "{}", run.stdout);
    // The summary wraps to the terminal; the phrase may straddle a line break.
    let words = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "500 max_connections (from --max-connections 500, over poolcheck.toml's 100)"
        ),
        "{}",
        run.stdout
    );
    let v = json(&poolcheck(
        &[&args[..], &["--max-connections", "500", "--format", "json"]].concat(),
    ));
    assert_eq!(v["capacity"][0]["max_connections"], 500);
    // --set is the top layer: it beats the flag.
    let run = poolcheck(
        &[
            &args[..],
            &[
                "--max-connections",
                "500",
                "--set",
                "server.rds.max_connections=100",
            ],
        ]
        .concat(),
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("from --set server.rds.max_connections=100"),
        "{}",
        run.stdout
    );
}

#[test]
fn poolcheck_toml_beats_the_deployed_files() {
    // The chart's values.yaml says replicaCount 2; poolcheck.toml says 4 for the service.
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir(&chart).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: api\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("values.yaml"),
        "replicaCount: 2\nenv:\n  - name: DB_POOL_SIZE\n    value: \"10\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("poolcheck.toml"),
        "[servers.main]\nmax_connections = 100\n\n[services.api]\nchart = \"chart\"\nreplicas = 4\n",
    )
    .unwrap();
    let run = poolcheck_in(dir.path(), &["verify", "--format", "json"]);
    let v = json(&run);
    assert_eq!(
        v["capacity"][0]["services"][0]["peak_pods"], 4,
        "{}",
        run.stdout
    );
    assert_eq!(v["capacity"][0]["demand"], 40);
}

#[test]
fn a_url_password_with_a_slash_is_masked_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "# pool from the URL\nDATABASE_URL=postgres://app:s3cr/et#pw d@db:5432/app?connection_limit=50\n",
    )
    .unwrap();
    for format in ["human", "json", "github"] {
        let run = poolcheck_in(
            dir.path(),
            &[
                "verify",
                ".env",
                "--no-config",
                "--max-connections",
                "20",
                "--format",
                format,
            ],
        );
        assert_eq!(run.code, 1, "{format}: {}{}", run.stdout, run.stderr);
        for secret in ["s3cr/et", "s3cr", "et#pw d", "pw d"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format} shows {secret:?}:\n{}{}",
                run.stdout,
                run.stderr
            );
        }
        assert!(run.stdout.contains("PC101"), "{format}: {}", run.stdout);
    }
}
