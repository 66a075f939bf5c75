//! verify end to end: the README demo, exit codes, rendered output, secrets, bad input.

mod common;
use common::*;

fn demo(args: &[&str]) -> Run {
    poolcheck_in(&root().join("fixtures/demo"), args)
}

#[test]
fn demo_prod_says_150_over_90_and_points_at_both_lines() {
    let run = demo(&["verify", "--prod", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_report_schema(&v);
    let cap = &v["capacity"][0];
    assert_eq!(cap["server"], "rds");
    assert_eq!(cap["max_connections"], 100);
    assert_eq!(cap["reserved"], 10);
    assert_eq!(cap["usable"], 90);
    assert_eq!(cap["demand"], 150);
    assert_eq!(cap["services"][0]["pool_max"], 50);
    assert_eq!(cap["services"][0]["peak_pods"], 3);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "PC101")
        .expect("PC101");
    assert_eq!(f["name"], "fleet-exceeds-server-slots");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"].as_str().unwrap().contains("150 connections"),
        "{f}"
    );
    assert!(f["message"].as_str().unwrap().contains("90 usable"), "{f}");
    assert_eq!(f["file"], "backend/.env.production");
    assert_eq!(f["line"], 6);
    let labels: Vec<(String, u64)> = f["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        labels.contains(&("poolcheck.toml".into(), 7)),
        "max_connections line: {labels:?}"
    );
    assert!(
        labels.contains(&("poolcheck.toml".into(), 8)),
        "reserved line: {labels:?}"
    );
    assert!(
        labels.contains(&("poolcheck.toml".into(), 17)),
        "prod replicas line: {labels:?}"
    );
}

#[test]
fn demo_without_prod_uses_the_base_environment_and_passes() {
    let run = demo(&["verify", "--format", "json"]);
    let v = json(&run);
    assert_eq!(v["capacity"][0]["demand"], 20, "{}", run.stdout);
    assert!(!findings(&v).iter().any(|(c, _, _)| c == "PC101"));
}

#[test]
fn demo_human_output_snapshot() {
    let run = demo(&["verify", "--prod"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("demo_prod_human", run.stdout);
}

#[test]
fn fail_on_changes_the_exit_code() {
    // PC103 (warning) only: exit 0 by default, 1 with --fail-on warning.
    let base = [
        "verify",
        "--no-config",
        "fixtures/rules/PC103/bad",
        "--replicas",
        "3",
        "--max-connections",
        "100",
    ];
    assert_eq!(poolcheck(&base).code, 0);
    let mut strict = base.to_vec();
    strict.extend(["--fail-on", "warning"]);
    assert_eq!(poolcheck(&strict).code, 1);
}

#[test]
fn usage_and_tool_errors_exit_2() {
    let missing = poolcheck(&["verify", "--no-config", "does/not/exist.env"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("does/not/exist.env"),
        "{}",
        missing.stderr
    );
    let nothing = poolcheck_in(&std::env::temp_dir(), &["verify", "--no-config"]);
    assert_eq!(nothing.code, 2);
    assert!(
        nothing.stderr.contains("nothing to check"),
        "{}",
        nothing.stderr
    );
    let bad_flag = poolcheck(&["verify", "--fail-on", "fatal"]);
    assert_eq!(bad_flag.code, 2);
    let bad_set = poolcheck(&[
        "verify",
        "--no-config",
        "fixtures/rules/PC101/bad",
        "--set",
        "NOPE",
    ]);
    assert_eq!(bad_set.code, 2);
    assert!(bad_set.stderr.contains("KEY=VALUE"), "{}", bad_set.stderr);
}

#[test]
fn invalid_poolcheck_toml_is_located_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.env"), "DB_POOL_SIZE=5\n").unwrap();
    std::fs::write(
        dir.path().join("poolcheck.toml"),
        "[servers.main]\nmax_connections = 100\n\n[services.api]\nfiles = [\"app.env\"]\nreplicas = -2\n",
    )
    .unwrap();
    let run = poolcheck_in(dir.path(), &["verify"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("poolcheck.toml:6:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("services.api.replicas"),
        "{}",
        run.stderr
    );

    std::fs::write(
        dir.path().join("poolcheck.toml"),
        "[servers.main]\nmax_conections = 100\n",
    )
    .unwrap();
    let run = poolcheck_in(dir.path(), &["verify"]);
    assert_eq!(run.code, 2);
    // At the misspelt key itself, not at its table's header.
    assert!(
        run.stderr
            .contains("poolcheck.toml:2:1: unknown key `max_conections` in [servers.main]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `max_connections`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_poolcheck_toml_mistake_is_reported_at_once_each_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "DB_POOL_SIZE=5\n").unwrap();
    std::fs::write(
        dir.path().join("poolcheck.toml"),
        "[servers.main]\nmax_connections = 100\nreserve = 3\n\n[services.api]\nfiles = [\".env\"]\nreplica = 3\nproceses = 2\n\n[services.worker]\nfiles = [\".env\"]\nreplicas = -1\n",
    )
    .unwrap();
    let run = poolcheck_in(dir.path(), &["verify", "--format", "json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    let got: Vec<(String, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["message"].as_str().unwrap().to_string(),
                e["help"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("poolcheck.toml:3:1: unknown key `reserve` in [servers.main]", "did you mean `reserved`?"),
        ("poolcheck.toml:7:1: unknown key `replica` in [services.api]", "did you mean `replicas`?"),
        ("poolcheck.toml:8:1: unknown key `proceses` in [services.api]", "did you mean `processes`?"),
        (
            "poolcheck.toml:12:12: invalid value at `services.worker.replicas`: -1 is less than the minimum of 0",
            "see the poolcheck.toml reference in README.md",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(v["error"]["message"], want[0].0.as_str(), "the first leads");

    // Human: one diagnostic each, and the count.
    let run = poolcheck_in(dir.path(), &["verify"]);
    assert_eq!(run.code, 2);
    for (line, _) in &want {
        let head: String = line.chars().take(60).collect();
        assert!(run.stderr.contains(&head), "{head}\n{}", run.stderr);
    }
    assert!(
        run.stderr.contains("4 errors; fix them and run again"),
        "{}",
        run.stderr
    );

    // An undefined environment and an undefined server get the nearest name.
    std::fs::write(
        dir.path().join("poolcheck.toml"),
        "[servers.main]\nmax_connections = 100\n\n[services.api]\nserver = \"mian\"\nfiles = [\".env\"]\n\n[env.production]\nfail_on = \"warning\"\n",
    )
    .unwrap();
    let run = poolcheck_in(dir.path(), &["verify", "--env", "prodution"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `production`?"),
        "{}",
        run.stderr
    );
    let run = poolcheck_in(
        dir.path(),
        &["verify", "--env", "production", "--format", "json"],
    );
    assert_eq!(run.code, 2);
    assert!(
        json(&run)["error"]["message"].as_str().unwrap().contains(
            "uses server `mian`, which is not defined under [servers]; did you mean `main`?"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn secrets_never_appear_in_any_format() {
    // The flagged value sits on the same line as the URL password, and the next line (shown as
    // context) holds a secret-looking key: both must be masked in the snippet.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.env"),
        "DATABASE_URL=postgresql://app:Sup3rS3cret@db:5432/app?connection_limit=10&pool_timeout=0\nDB_PASSWORD=hunter2-not-real\n",
    )
    .unwrap();
    for format in ["human", "json", "github"] {
        let run = poolcheck_in(
            dir.path(),
            &[
                "verify",
                "--no-config",
                "app.env",
                "--max-connections",
                "100",
                "--format",
                format,
            ],
        );
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            all.contains("PC201"),
            "{format}: the finding is reported: {all}"
        );
        assert!(
            !all.contains("Sup3rS3cret") && !all.contains("hunter2"),
            "{format}: {all}"
        );
    }
    let human = poolcheck_in(
        dir.path(),
        &[
            "verify",
            "--no-config",
            "app.env",
            "--max-connections",
            "100",
        ],
    );
    assert!(
        human.stdout.contains("postgresql://app:***********@db"),
        "the snippet is shown, masked: {}",
        human.stdout
    );
    let demo_run = demo(&["verify", "--prod", "--format", "json"]);
    assert!(!demo_run.stdout.contains("Sup3rS3cret"));
}

#[test]
fn user_keys_in_poolcheck_toml_feed_the_model() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        "db:\n  maxOpenConns: 30\ndeploy:\n  instances: 4\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("poolcheck.toml"),
        "[servers.main]\nmax_connections = 100\n\n[services.api]\nfiles = [\"app.yaml\"]\n\n[keys.maxOpenConns]\nconcept = \"pool_max\"\n\n[keys.instances]\nconcept = \"replicas\"\n",
    )
    .unwrap();
    let run = poolcheck_in(dir.path(), &["verify", "--format", "json"]);
    let v = json(&run);
    let svc = &v["capacity"][0]["services"][0];
    assert_eq!(
        (svc["pool_max"].as_u64(), svc["peak_pods"].as_u64()),
        (Some(30), Some(4)),
        "{v}"
    );
    assert_eq!(v["capacity"][0]["demand"], 120);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "PC101")
        .expect("PC101");
    assert_eq!(
        (f["file"].as_str(), f["line"].as_u64()),
        (Some("app.yaml"), Some(2))
    );
}

#[test]
fn malformed_files_of_each_format_are_located_and_other_files_still_lint() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("a.env"), "DB_POOL_SIZE=40\n").unwrap();
    std::fs::write(p.join("b.env"), "OK=1\nBROKEN=\"never closed\n").unwrap();
    std::fs::write(p.join("c.toml"), "[database]\npool_size = = 3\n").unwrap();
    std::fs::write(p.join("d.yaml"), "pool:\n  max: 3\n bad: indent\n").unwrap();
    let run = poolcheck_in(
        p,
        &[
            "verify",
            "--no-config",
            ".",
            "--max-connections",
            "10",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_report_schema(&v);
    let f = findings(&v);
    let syntax: Vec<_> = f
        .iter()
        .filter(|(c, _, _)| c == "PC001")
        .map(|(_, file, line)| (file.clone().unwrap(), line.unwrap()))
        .collect();
    assert!(syntax.contains(&("b.env".into(), 2)), "{syntax:?}");
    assert!(syntax.contains(&("c.toml".into(), 2)), "{syntax:?}");
    assert!(
        syntax
            .iter()
            .any(|(file, line)| file == "d.yaml" && *line == 3),
        "{syntax:?}"
    );
    // a.env still counted: 40 > 7 usable.
    assert!(
        f.iter()
            .any(|(c, file, _)| c == "PC101" && file.as_deref() == Some("a.env")),
        "{f:?}"
    );
}

#[test]
fn rule_command_prints_docs_offline() {
    let run = poolcheck(&["rule", "PC101"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("PC101 fleet-exceeds-server-slots (error)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("How to fix"));
    let by_name = poolcheck(&["rule", "thin-headroom"]);
    assert!(
        by_name.stdout.contains("min_headroom_percent = 10"),
        "{}",
        by_name.stdout
    );
    let unknown = poolcheck(&["rule", "PC999"]);
    assert_eq!(unknown.code, 2);
    let list = poolcheck(&["rule"]);
    // One entry per rule; long summaries wrap onto indented lines at the width.
    assert_eq!(
        list.stdout.lines().filter(|l| l.starts_with("PC")).count(),
        poolcheck::lint::catalog::all().len()
    );
}

#[test]
fn rule_files_match_their_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/rule.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (file, text) in poolcheck::lint::catalog::FILES {
        let v: toml::Value = toml::from_str(text).unwrap();
        let j = serde_json::to_value(v).unwrap();
        let errors: Vec<String> = validator.iter_errors(&j).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
}

#[test]
fn rule_settings_in_poolcheck_toml_change_severity_parameters_and_can_switch_off() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.env"), "DB_POOL_SIZE=30\n").unwrap();
    let write = |rules: &str| {
        std::fs::write(
            dir.path().join("poolcheck.toml"),
            format!("[servers.main]\nmax_connections = 100\n\n[services.api]\nfiles = [\"app.env\"]\nreplicas = 3\n\n{rules}"),
        )
        .unwrap();
    };
    let codes = |run: &Run| {
        findings(&json(run))
            .into_iter()
            .map(|(c, _, _)| c)
            .collect::<Vec<_>>()
    };
    // 90 of 97 usable: 7% headroom.
    write("");
    let run = poolcheck_in(dir.path(), &["verify", "--format", "json"]);
    assert_eq!(
        (run.code, codes(&run).contains(&"PC103".to_string())),
        (0, true)
    );
    write("[rules.thin-headroom]\nseverity = \"error\"\n");
    let run = poolcheck_in(dir.path(), &["verify", "--format", "json"]);
    assert_eq!(run.code, 1, "a warning raised to error fails the run");
    write("[rules.PC103]\nparams = { min_headroom_percent = 5 }\n");
    assert!(
        !codes(&poolcheck_in(dir.path(), &["verify", "--format", "json"]))
            .contains(&"PC103".to_string())
    );
    write("[rules.PC103]\nseverity = \"off\"\n");
    assert!(
        !codes(&poolcheck_in(dir.path(), &["verify", "--format", "json"]))
            .contains(&"PC103".to_string())
    );
    write("[rules.PC999]\nseverity = \"off\"\n");
    let run = poolcheck_in(dir.path(), &["verify"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("PC999") && run.stderr.contains("poolcheck.toml:8:"),
        "{}",
        run.stderr
    );
    write("[rules.PC103]\nparams = { min_headroom_percent = 500 }\n");
    let run = poolcheck_in(dir.path(), &["verify"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("outside 0..100"), "{}", run.stderr);
}

#[test]
fn github_format_annotates_lines() {
    let run = demo(&["verify", "--prod", "--format", "github"]);
    assert_eq!(run.code, 1);
    let line = run.stdout.lines().next().unwrap();
    assert!(
        line.starts_with("::error file=backend/.env.production,line=6,col=21,"),
        "{line}"
    );
    assert!(
        line.contains("title=PC101 fleet-exceeds-server-slots::"),
        "{line}"
    );
    assert!(!run.stdout.contains("Sup3rS3cret"));
}

#[test]
fn readme_shows_what_the_first_command_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let marker = "The first command exits 1 and prints:\n\n```text\n";
    let start = readme.find(marker).expect("README demo block") + marker.len();
    let block = &readme[start..start + readme[start..].find("\n```").unwrap()];
    let run = poolcheck(&[
        "verify",
        "--prod",
        "--config",
        "fixtures/demo/poolcheck.toml",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout.trim_end(),
        block.trim_end(),
        "README.md's demo output is stale: paste the new output"
    );
}

#[test]
fn an_unreadable_pool_max_stays_unknown_instead_of_taking_the_library_default() {
    // Npgsql's default is 100 per connection string: judging the fleet on it would be judging
    // a number nobody wrote. The PC002 at the value is the finding; no capacity rule fires.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("appsettings.json"),
        "{\"ConnectionStrings\":{\"Db\":\"Host=pg;Database=app;Max Pool Size=abc\"}}\n",
    )
    .unwrap();
    let run = poolcheck_in(
        dir.path(),
        &[
            "verify",
            "--no-config",
            "appsettings.json",
            "--max-connections",
            "50",
            "--replicas",
            "2",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = json(&run);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PC002"]);
    assert_eq!(
        v["capacity"][0]["services"][0]["pool_max"],
        serde_json::Value::Null
    );
}

/// The stack's evidence travels with the numbers it decided: in the pool max label of the
/// human output (and `--verbose`'s origins) and in the JSON's services and labels.
#[test]
fn stack_evidence_is_shown_in_labels_and_json() {
    let cases = [
        (
            "fixtures/inputs/stack/prisma-package-json",
            "Prisma",
            "Prisma: package.json depends on @prisma/client",
        ),
        (
            "fixtures/presets/mattermost-flagged",
            "Mattermost",
            "Mattermost: image mattermost/mattermost-team-edition:9.11",
        ),
    ];
    for (dir, library, evidence) in cases {
        let dir = root().join(dir);
        let human = poolcheck_in(
            &dir,
            &["verify", ".", "--max-connections", "100", "--verbose"],
        );
        assert!(
            human.stdout.contains(&format!("'s stack: {evidence}")),
            "{dir:?}: {}",
            human.stdout
        );
        let run = poolcheck_in(
            &dir,
            &[
                "verify",
                ".",
                "--max-connections",
                "100",
                "--format",
                "json",
            ],
        );
        let v = json(&run);
        assert_report_schema(&v);
        let svc = &v["capacity"][0]["services"][0];
        assert_eq!(svc["library"], library, "{svc}");
        assert_eq!(svc["stack"], evidence, "{svc}");
        let labelled = v["findings"].as_array().unwrap().iter().any(|f| {
            let in_labels = f["labels"].as_array().unwrap().iter();
            in_labels
                .chain(std::iter::once(f))
                .chain(f["notes"].as_array().unwrap().iter())
                .any(|l| {
                    l.as_str()
                        .or(l["message"].as_str())
                        .is_some_and(|m| m.contains(evidence))
                })
        });
        assert!(labelled, "{dir:?}: no finding cites {evidence}: {v}");
    }
}
