//! One bad and one good fixture per rule: the bad one raises exactly that rule at the exact
//! file and line; the good one does not raise it.

mod common;
use common::*;

struct Case {
    code: &'static str,
    /// Run inside the fixture directory with its poolcheck.toml instead of --no-config.
    config: bool,
    file: &'static str,
    line: u64,
    args: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        code: "PC001",
        config: false,
        file: ".env",
        line: 2,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC002",
        config: false,
        file: ".env",
        line: 2,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC003",
        config: false,
        file: "values.yaml",
        line: 3,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC004",
        config: false,
        file: ".env",
        line: 1,
        args: &[],
    },
    Case {
        code: "PC005",
        config: false,
        file: ".env",
        line: 1,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC101",
        config: false,
        file: ".env",
        line: 2,
        args: &["--replicas", "3", "--max-connections", "100"],
    },
    Case {
        code: "PC102",
        config: false,
        file: "values.yaml",
        line: 9,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC103",
        config: false,
        file: ".env",
        line: 2,
        args: &["--replicas", "3", "--max-connections", "100"],
    },
    Case {
        code: "PC104",
        config: false,
        file: ".env",
        line: 2,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC105",
        config: false,
        file: ".env",
        line: 2,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC201",
        config: false,
        file: ".env",
        line: 1,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC202",
        config: false,
        file: ".env",
        line: 2,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC203",
        config: false,
        file: ".env",
        line: 3,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC204",
        config: false,
        file: ".env",
        line: 1,
        args: &["--max-connections", "100"],
    },
    Case {
        code: "PC301",
        config: true,
        file: "api.env",
        line: 2,
        args: &[],
    },
    Case {
        code: "PC302",
        config: true,
        file: "api.env",
        line: 2,
        args: &[],
    },
    Case {
        code: "PC303",
        config: true,
        file: "api.env",
        line: 2,
        args: &[],
    },
    Case {
        code: "PC401",
        config: true,
        file: "api.env",
        line: 2,
        args: &[],
    },
    Case {
        code: "PC402",
        config: true,
        file: "api.env",
        line: 2,
        args: &[],
    },
];

fn run_case(case: &Case, variant: &str) -> serde_json::Value {
    let dir = format!("fixtures/rules/{}/{variant}", case.code);
    let run = if case.config {
        let mut args = vec!["verify", "--format", "json"];
        args.extend_from_slice(case.args);
        poolcheck_in(&root().join(&dir), &args)
    } else {
        let mut args = vec!["verify", "--no-config", "--format", "json", dir.as_str()];
        args.extend_from_slice(case.args);
        poolcheck(&args)
    };
    let v = json(&run);
    assert_report_schema(&v);
    let has_error = v["summary"]["errors"].as_u64().unwrap() > 0;
    assert_eq!(
        run.code,
        i32::from(has_error),
        "{} {variant}: exit code vs summary\n{}",
        case.code,
        run.stdout
    );
    v
}

#[test]
fn every_bad_fixture_raises_its_rule_at_the_exact_line() {
    for case in CASES {
        let v = run_case(case, "bad");
        let expected_file = if case.config {
            case.file.to_string()
        } else {
            format!("fixtures/rules/{}/bad/{}", case.code, case.file)
        };
        let hits: Vec<_> = findings(&v)
            .into_iter()
            .filter(|(c, _, _)| c == case.code)
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{}: expected one finding, got {:?}\n{}",
            case.code,
            findings(&v),
            v
        );
        assert_eq!(
            hits[0].1.as_deref(),
            Some(expected_file.as_str()),
            "{}: file",
            case.code
        );
        assert_eq!(hits[0].2, Some(case.line), "{}: line", case.code);
    }
}

#[test]
fn every_good_fixture_is_free_of_its_rule() {
    for case in CASES.iter().filter(|c| c.code != "PC004") {
        let v = run_case(case, "good");
        let hits: Vec<_> = findings(&v)
            .into_iter()
            .filter(|(c, _, _)| c == case.code)
            .collect();
        assert!(
            hits.is_empty(),
            "{}: good fixture raised {:?}",
            case.code,
            hits
        );
    }
}

/// Rules that need a live server are covered by tests/probe_live.rs instead.
const LIVE_ONLY: &[&str] = &["PC403", "PC404"];

#[test]
fn every_rule_with_logic_has_fixtures() {
    for (code, _) in poolcheck::rules::CHECKS
        .iter()
        .filter(|(c, _)| !LIVE_ONLY.contains(c))
    {
        let dir = root().join("fixtures/rules").join(code);
        assert!(
            dir.join("bad").is_dir(),
            "{code} has no fixtures/rules/{code}/bad"
        );
        assert!(
            CASES.iter().any(|c| &c.code == code) || !dir.join("good").exists(),
            "{code} not in CASES"
        );
    }
}
