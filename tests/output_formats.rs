//! Every output format of verify end to end: SARIF validated against the official 2.1.0
//! schema, JUnit, GitLab Code Quality and concise checked for structure and exact content,
//! tool and usage errors in machine formats, terminal width, colour, quiet and verbose.

mod common;
use common::*;
use std::process::Command;

fn demo(args: &[&str]) -> Run {
    poolcheck_in(&root().join("fixtures/demo"), args)
}

/// Runs poolcheck in `dir` with extra environment variables.
fn run_env(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_poolcheck"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run poolcheck");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_sarif_valid(v: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF violates the 2.1.0 schema: {errors:#?}"
    );
}

#[test]
fn the_sarif_schema_is_the_official_one_and_rejects_a_broken_log() {
    let text = std::fs::read_to_string(root().join("schemas/sarif-schema-2.1.0.json")).unwrap();
    // OASIS SARIF 2.1.0 (Committee Specification), byte for byte.
    assert_eq!(text.chars().count(), 112_318);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]});
    assert!(!validator.is_valid(&broken), "a driver needs a name");
    let wrong_level = serde_json::json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]});
    assert!(!validator.is_valid(&wrong_level));
}

#[test]
fn sarif_demo_validates_and_points_at_every_input() {
    let run = demo(&["verify", "--prod", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_sarif_valid(&v);
    let driver = &v["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "poolcheck");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), poolcheck::lint::catalog::all().len());
    let pc101 = rules.iter().find(|r| r["id"] == "PC101").unwrap();
    assert_eq!(pc101["name"], "fleet-exceeds-server-slots");
    assert_eq!(pc101["defaultConfiguration"]["level"], "error");
    assert_eq!(
        pc101["shortDescription"]["text"],
        "The fleet's pools can open more connections than the server has usable slots."
    );
    assert!(pc101["helpUri"]
        .as_str()
        .unwrap()
        .starts_with("https://www.postgresql.org/"));
    let results = v["runs"][0]["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "PC101").unwrap();
    assert_eq!(r["level"], "error");
    assert_eq!(
        rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "PC101"
    );
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "backend/.env.production");
    assert_eq!(loc["region"]["startLine"], 6);
    let related: Vec<(String, u64)> = r["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let p = &l["physicalLocation"];
            (
                p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                p["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    for line in [7, 8, 17] {
        assert!(
            related.contains(&("poolcheck.toml".into(), line)),
            "poolcheck.toml:{line} missing from {related:?}"
        );
    }
    assert_eq!(
        r["partialFingerprints"]["poolcheck/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    assert_eq!(v["runs"][0]["invocations"][0]["exitCode"], 1);
}

/// Copies the demo to a temporary directory with `lines` blank lines prepended to the .env.
fn demo_copy(lines: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("fixtures/demo");
    std::fs::create_dir_all(dir.path().join("backend")).unwrap();
    std::fs::copy(
        src.join("poolcheck.toml"),
        dir.path().join("poolcheck.toml"),
    )
    .unwrap();
    for f in [".env.example", ".env.production"] {
        let text = std::fs::read_to_string(src.join("backend").join(f)).unwrap();
        let text = format!("{}{text}", "# moved\n".repeat(lines));
        std::fs::write(dir.path().join("backend").join(f), text).unwrap();
    }
    dir
}

#[test]
fn sarif_fingerprints_survive_line_moves() {
    let prints = |dir: &std::path::Path| -> Vec<(String, String, u64)> {
        let v = json(&poolcheck_in(
            dir,
            &["verify", "--prod", "--format", "sarif"],
        ));
        assert_sarif_valid(&v);
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["poolcheck/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap_or(0),
                )
            })
            .collect()
    };
    let (a, b) = (demo_copy(0), demo_copy(3));
    let (pa, pb) = (prints(a.path()), prints(b.path()));
    assert!(!pa.is_empty());
    assert_eq!(pa.len(), pb.len());
    for (x, y) in pa.iter().zip(&pb) {
        assert_eq!(x.0, y.0);
        assert_eq!(x.1, y.1, "{} fingerprint moved with its line", x.0);
        assert_eq!(x.2 + 3, y.2, "{} line", x.0);
    }
}

#[test]
fn sarif_for_every_rule_fixture_validates() {
    for entry in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let dir = entry.unwrap().path().join("bad");
        if !dir.join("expected.toml").exists() {
            continue;
        }
        let expected: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
        if expected.get("live").and_then(|l| l.as_bool()) == Some(true) {
            continue;
        }
        let mut args: Vec<String> = expected
            .get("args")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_else(|| vec!["verify".into(), ".".into()]);
        args.push("--format".into());
        args.push("sarif".into());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = poolcheck_in(&dir, &argv);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: not JSON ({e}): {}{}",
                dir.display(),
                run.stdout,
                run.stderr
            )
        });
        assert_sarif_valid(&v);
    }
}

#[test]
fn sarif_tool_error_is_a_failed_run_with_a_notification() {
    let run = poolcheck(&["verify", "no/such/path", "--no-config", "--format", "sarif"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_sarif_valid(&v);
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(inv["exitCode"], 2);
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    assert!(
        n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("no/such/path"),
        "{n}"
    );
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn json_tool_and_usage_errors_are_objects_on_stdout() {
    let run = poolcheck(&["verify", "no/such/path", "--no-config", "--format", "json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(v["exit_code"], 2);
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no/such/path"));
    let usage = poolcheck(&["verify", "--format", "json", "--no-such-flag"]);
    assert_eq!(usage.code, 2, "{}{}", usage.stdout, usage.stderr);
    let v = json(&usage);
    assert_eq!(v["exit_code"], 2);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--no-such-flag"),
        "{v}"
    );
    let size = poolcheck(&[
        "size",
        "--rps",
        "-5",
        "--query-time",
        "40ms",
        "--format",
        "json",
    ]);
    assert_eq!(size.code, 2, "{}{}", size.stdout, size.stderr);
    assert_eq!(json(&size)["exit_code"], 2);
}

#[test]
fn github_tool_error_is_an_error_annotation() {
    let run = poolcheck(&[
        "verify",
        "no/such/path",
        "--no-config",
        "--format",
        "github",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .starts_with("::error title=poolcheck could not run::"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("no/such/path"));
    assert_eq!(run.stdout.lines().count(), 1);
}

#[test]
fn concise_is_one_line_per_finding() {
    let run = demo(&["verify", "--prod", "--format", "concise"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("demo_prod_concise", run.stdout);
    let quiet = demo(&["verify", "--prod", "--format", "concise", "--quiet"]);
    let v = json(&demo(&["verify", "--prod", "--format", "json"]));
    let n = v["findings"].as_array().unwrap().len();
    assert_eq!(quiet.stdout.lines().count(), n);
    for line in quiet.stdout.lines() {
        let re_ok = line.split(": ").next().unwrap().split(':').count() == 3;
        assert!(
            re_ok && line.contains(" [") && line.contains("] "),
            "{line}"
        );
    }
}

#[test]
fn junit_has_a_case_per_rule_and_file_with_failures_carrying_the_message() {
    let run = demo(&["verify", "--prod", "--format", "junit"]);
    assert_eq!(run.code, 1);
    let x = &run.stdout;
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    let rules = poolcheck::lint::catalog::all().len();
    assert_eq!(x.matches("<testsuite ").count(), rules);
    assert_eq!(x.matches("</testsuite>").count(), rules);
    // The demo's prod run reads poolcheck.toml and backend/.env.production.
    assert_eq!(x.matches("<testcase ").count(), rules * 2);
    assert!(x.contains(
        "<testcase name=\"backend/.env.production\" classname=\"poolcheck.PC101\" file=\"backend/.env.production\">\n      <failure type=\"error\" message=\""
    ), "{x}");
    assert!(x.contains("backend/.env.production:6:"), "{x}");
    let failures = x.matches("<failure ").count();
    assert!(x.contains(&format!("failures=\"{failures}\" errors=\"0\">")));
    // Balanced and well-formed enough for any XML reader: every element closes.
    assert_eq!(
        x.matches("<testcase ").count(),
        x.matches("</testcase>").count() + x.matches("\"/>").count()
    );
    insta::assert_snapshot!("demo_prod_junit_pc101", {
        let start = x.find("  <testsuite name=\"PC101").unwrap();
        let end = start + x[start..].find("</testsuite>").unwrap();
        x[start..end].to_string()
    });
}

#[test]
fn gitlab_code_quality_report_structure() {
    let run = demo(&["verify", "--prod", "--format", "gitlab"]);
    assert_eq!(run.code, 1);
    let v = json(&run);
    let issues = v.as_array().expect("an array of issues");
    let report = json(&demo(&["verify", "--prod", "--format", "json"]));
    assert_eq!(issues.len(), report["findings"].as_array().unwrap().len());
    let mut prints = std::collections::HashSet::new();
    for i in issues {
        for k in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[k].is_string(), "{k} in {i}");
        }
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&i["severity"].as_str().unwrap()));
        assert!(i["location"]["path"].is_string());
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(prints.insert(i["fingerprint"].as_str().unwrap().to_string()));
    }
    let pc101 = issues
        .iter()
        .find(|i| i["check_name"] == "PC101 fleet-exceeds-server-slots")
        .unwrap();
    assert_eq!(pc101["severity"], "critical");
    assert_eq!(pc101["location"]["path"], "backend/.env.production");
    assert_eq!(pc101["location"]["lines"]["begin"], 6);
}

#[test]
fn human_output_fits_80_and_120_columns_without_splitting_a_word() {
    let dir = root().join("fixtures/demo");
    let mut words_at = Vec::new();
    for cols in ["80", "120"] {
        let run = run_env(
            &dir,
            &["verify", "--prod"],
            &[("COLUMNS", cols), ("NO_COLOR", "1")],
        );
        assert_eq!(run.code, 1);
        let width: usize = cols.parse().unwrap();
        // Summary lines wrap too; `server rds:` still starts the line with the verdict figures.
        assert!(run
            .stdout
            .lines()
            .any(|l| l.starts_with("server rds: peak demand 150")));
        for line in run.stdout.lines() {
            assert!(
                line.chars().count() <= width,
                "{cols} columns, line of {}: {line}",
                line.chars().count()
            );
        }
        insta::assert_snapshot!(format!("demo_prod_human_{cols}"), run.stdout);
        words_at.push(words(&run.stdout));
    }
    // The same words at both widths: wrapping moved them between lines but never split one.
    assert_eq!(words_at[0], words_at[1]);
}

#[test]
fn deep_paths_fit_80_columns_keeping_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir
        .path()
        .join("platform/teams/payments/services/backend-api/deploy/environments/production");
    std::fs::create_dir_all(deep.join("backend")).unwrap();
    let src = root().join("fixtures/demo");
    std::fs::copy(src.join("poolcheck.toml"), deep.join("poolcheck.toml")).unwrap();
    for f in [".env.example", ".env.production"] {
        std::fs::copy(src.join("backend").join(f), deep.join("backend").join(f)).unwrap();
    }
    let config = deep.join("poolcheck.toml");
    let run = run_env(
        dir.path(),
        &["verify", "--prod", "--config", config.to_str().unwrap()],
        &[("COLUMNS", "80"), ("NO_COLOR", "1")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    for line in run.stdout.lines() {
        assert!(
            line.chars().count() <= 80,
            "line of {}: {line}",
            line.chars().count()
        );
    }
    // miette prints a snippet's path whole: poolcheck keeps its tail, cut at a `/`.
    assert!(run
        .stdout
        .contains("╭─[…/deploy/environments/production/backend/.env.production:6:21]"));
    assert!(run
        .stdout
        .contains("inputs in …/deploy/environments/production/poolcheck.toml\n"));
    // The machine formats keep the whole path.
    let concise = run_env(
        dir.path(),
        &[
            "verify",
            "--prod",
            "--format",
            "concise",
            "--config",
            config.to_str().unwrap(),
        ],
        &[("COLUMNS", "80")],
    );
    assert!(concise.stdout.contains(
        "platform/teams/payments/services/backend-api/deploy/environments/production/backend/.env.production:6:21"
    ), "{}", concise.stdout);
}

/// The words of the prose, without the snippet gutter and box-drawing characters.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "│╭╰─┬·×[]()".contains(c))
        .filter(|w| w.chars().any(|c| c.is_alphabetic()))
        .map(String::from)
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

#[test]
fn rule_docs_and_listing_follow_the_width() {
    for cols in [80usize, 120] {
        let c = cols.to_string();
        let list = run_env(&root(), &["rule"], &[("COLUMNS", &c)]);
        let doc = run_env(&root(), &["rule", "PC101"], &[("COLUMNS", &c)]);
        for run in [&list, &doc] {
            assert_eq!(run.code, 0);
            for line in run.stdout.lines() {
                // Only a word longer than the line (a URL) may pass the edge, alone.
                assert!(
                    line.chars().count() <= cols || line.split_whitespace().count() == 1,
                    "{cols}: {line}"
                );
            }
        }
        // Nothing lost to wrapping.
        assert!(
            words(&doc.stdout).join(" ").contains(
                "Lower the pool max per process, cap the replicas, raise max_connections, or put a pooler such as PgBouncer in front."
            ),
            "{}",
            doc.stdout
        );
    }
}

#[test]
fn color_always_never_and_no_color() {
    let dir = root().join("fixtures/demo");
    let esc = |r: &Run| r.stdout.contains('\u{1b}');
    assert!(esc(&run_env(
        &dir,
        &["verify", "--prod", "--color", "always"],
        &[("NO_COLOR", "1")]
    )));
    assert!(!esc(&run_env(
        &dir,
        &["verify", "--prod", "--color", "never"],
        &[]
    )));
    // Not a terminal: auto means no colour.
    assert!(!esc(&run_env(&dir, &["verify", "--prod"], &[])));
}

#[test]
fn quiet_prints_only_findings_and_verbose_every_origin() {
    let quiet = demo(&["verify", "--prod", "--quiet"]);
    assert_eq!(quiet.code, 1);
    assert!(!quiet.stdout.contains("server rds: peak demand"));
    assert!(!quiet.stdout.contains("FAIL:"));
    assert!(quiet.stdout.contains("PC101"));
    let verbose = demo(&["verify", "--prod", "--verbose"]);
    assert_eq!(verbose.code, 1);
    for origin in [
        "max_connections 100: poolcheck.toml:7:",
        "reserved 10: poolcheck.toml:8:",
        "backend's pool 50: backend/.env.production:6:",
        "backend's peak pods 3 (replicas): poolcheck.toml:17:",
    ] {
        assert!(
            verbose.stdout.contains(origin),
            "{origin}\n{}",
            verbose.stdout
        );
    }
}
