//! The pre-commit hook and the GitHub Action: they parse, and the exact commands they run
//! work on the bundled demo (exit 1: the demo's fleet does not fit) and write valid SARIF.

mod common;

use common::*;
use std::process::Command;

fn yaml(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_pre_commit_hook_runs_verify_on_the_fleet() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "poolcheck");
    assert_eq!(hook["language"], "rust", "pre-commit builds it with cargo");
    assert_eq!(hook["pass_filenames"], false);
    // The files pattern takes config files and leaves source code alone.
    let files = hook["files"].as_str().unwrap();
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "poolcheck");
    // The entry as pre-commit runs it, in a repository whose poolcheck.toml is the demo's.
    let run = poolcheck_in(&root().join("fixtures/demo"), &entry[1..]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("backend/.env.production:6:21: PC101 [error] "),
        "{}",
        run.stdout
    );
    // pre-commit matches `files` with Python's re.search; these are plain enough for a
    // hand check of the alternatives.
    for (path, hit) in [
        ("backend/.env.production", true),
        (".env", true),
        ("config/database.yml", true),
        ("poolcheck.toml", true),
        ("conf/app.ini", true),
        ("src/main.rs", false),
        ("README.md", false),
    ] {
        let matched = python_search(files, path);
        assert_eq!(matched, hit, "{path}");
    }
}

/// re.search(pattern, path) with the machine's Python (the engine pre-commit uses).
fn python_search(pattern: &str, path: &str) -> bool {
    let out = Command::new("python3")
        .args([
            "-c",
            "import re,sys; sys.exit(0 if re.search(sys.argv[1], sys.argv[2]) else 1)",
            pattern,
            path,
        ])
        .status()
        .expect("python3 runs");
    out.success()
}

#[test]
fn the_action_runs_its_script_and_writes_valid_sarif() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let build = steps[0]["run"].as_str().unwrap();
    assert!(
        build.contains("cargo install --locked --quiet --path \"$GITHUB_ACTION_PATH\""),
        "{build}"
    );
    let script = steps[1]["run"].as_str().unwrap();
    assert_eq!(steps[1]["env"]["ARGS"], "${{ inputs.args }}");
    assert_eq!(action["inputs"]["args"]["default"], "verify --prod");

    // The run step as GitHub runs it (bash -e), with the binary the build step would install.
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("poolcheck.sarif");
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(root().join("fixtures/demo"))
        .env("POOLCHECK", env!("CARGO_BIN_EXE_poolcheck"))
        .env("ARGS", "verify --prod")
        .env("SARIF", &sarif)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("::error file=backend/.env.production,line=6,"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&report), "the SARIF file validates");
    assert_eq!(report["runs"][0]["results"][0]["ruleId"], "PC101");

    // A usage error is exit 2 and writes no SARIF.
    let sarif2 = dir.path().join("none.sarif");
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(root().join("fixtures/demo"))
        .env("POOLCHECK", env!("CARGO_BIN_EXE_poolcheck"))
        .env("ARGS", "verify --no-such-flag")
        .env("SARIF", &sarif2)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!sarif2.exists());
}
