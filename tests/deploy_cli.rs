//! `helm template … | poolcheck verify -`: standard input gives the same figures as the file,
//! the chart's values give the same pool and pods, and what only the templates say (workers,
//! maxSurge) counts only in the rendered manifest.

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn stdin_run(dir: &std::path::Path, args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_poolcheck"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn service(v: &serde_json::Value) -> &serde_json::Value {
    &v["capacity"][0]["services"][0]
}

#[test]
fn rendered_chart_on_stdin_matches_the_chart_where_values_say_it() {
    let base = root().join("fixtures/inputs/helm-template");
    let rendered = std::fs::read(base.join("rendered/rendered.yaml")).unwrap();
    let args = [
        "verify",
        "--no-config",
        "-",
        "--max-connections",
        "200",
        "--format",
        "json",
    ];
    let piped = stdin_run(&base.join("rendered"), &args, &rendered);
    assert_eq!(piped.code, 1, "{}", piped.stderr);
    let piped = json(&piped);
    let chart = poolcheck_in(
        &base.join("chart"),
        &[
            "verify",
            "--no-config",
            ".",
            "--max-connections",
            "200",
            "--format",
            "json",
        ],
    );
    let chart = json(&chart);
    // Values: the same pool and the same peak pods (HPA maxReplicas 10).
    for key in ["pool_max", "peak_pods", "pods"] {
        assert_eq!(service(&piped)[key], service(&chart)[key], "{key}");
    }
    // Templates only: 2 workers per pod and maxSurge 1.
    assert_eq!(service(&piped)["processes"], 2);
    assert_eq!(service(&piped)["surge_pods"], 1);
    assert_eq!(piped["capacity"][0]["demand"], 300);
    assert_eq!(piped["capacity"][0]["demand_rollout"], 330);
    assert_eq!(chart["capacity"][0]["demand"], 150);
    // Findings name standard input.
    let f = &piped["findings"][0];
    assert_eq!(
        (f["code"].as_str(), f["file"].as_str()),
        (Some("PC101"), Some("<stdin>"))
    );
    assert_eq!(f["line"], 55);
}

#[test]
fn stdin_filename_names_the_input_and_decides_its_format() {
    let dir = root().join("fixtures/inputs/compose/profiles");
    let text = std::fs::read(dir.join("compose.yaml")).unwrap();
    let run = stdin_run(
        &dir,
        &[
            "verify",
            "--no-config",
            "-",
            "--stdin-filename",
            "compose.yaml",
            "--format",
            "concise",
        ],
        &text,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("compose.yaml:6:21: PC004 [warning]"),
        "{}",
        run.stdout
    );
    // As a compose file, its .env turned on the maintenance profile: 12 + 4.
    assert!(
        run.stdout.contains("16 connections at peak"),
        "{}",
        run.stdout
    );
}

#[test]
fn stdin_named_twice_is_a_usage_error() {
    let run = stdin_run(&root(), &["verify", "--no-config", "-", "-"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("more than once"), "{}", run.stderr);
}
