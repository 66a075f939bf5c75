//! Helpers shared by the CLI tests: run the real binary from the repository root.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn poolcheck_in(dir: &std::path::Path, args: &[&str]) -> Run {
    poolcheck_with_stdin(dir, args, std::process::Stdio::null())
}

/// [`poolcheck_in`] with standard input from `stdin` (a file, for `verify -`).
pub fn poolcheck_with_stdin(
    dir: &std::path::Path,
    args: &[&str],
    stdin: impl Into<std::process::Stdio>,
) -> Run {
    run_with(dir, args, stdin, None)
}

/// [`poolcheck`] in a terminal `cols` columns wide (COLUMNS).
pub fn poolcheck_cols(args: &[&str], cols: usize) -> Run {
    run_with(&root(), args, std::process::Stdio::null(), Some(cols))
}

/// The binary without the developer's terminal width (COLUMNS) unless `cols` sets one.
fn run_with(
    dir: &std::path::Path,
    args: &[&str],
    stdin: impl Into<std::process::Stdio>,
    cols: Option<usize>,
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_poolcheck"));
    match cols {
        Some(c) => cmd.env("COLUMNS", c.to_string()),
        None => cmd.env_remove("COLUMNS"),
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(stdin)
        .output()
        .expect("run poolcheck");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn poolcheck(args: &[&str]) -> Run {
    poolcheck_in(&root(), args)
}

pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// Validates a verify report against schemas/report.schema.json.
pub fn assert_report_schema(v: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "report violates its schema: {errors:#?}");
}

/// (code, file, line) of every finding in a JSON report.
pub fn findings(v: &serde_json::Value) -> Vec<(String, Option<String>, Option<u64>)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().map(String::from),
                f["line"].as_u64(),
            )
        })
        .collect()
}
