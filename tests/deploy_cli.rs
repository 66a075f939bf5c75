//! `helm template … | poolcheck verify -`: standard input gives the same figures as the file,
//! the chart's values give the same pool and pods, and what only the templates say (workers,
//! maxSurge) counts only in the rendered manifest.

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn stdin_run(dir: &std::path::Path, args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_poolcheck"))
        .env_remove("COLUMNS")
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

/// The README's deployment examples are what the tool prints, byte for byte.
#[test]
fn readme_deployment_examples_are_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("<!-- deploy-examples -->").expect("examples");
    let end = readme.find("<!-- /deploy-examples -->").expect("end");
    let section = &readme[start..end];
    let mut checked = 0;
    for block in section.split("```text\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        // The blocks sit in list items: drop the item's indent (the command line's), keeping the
        // output's own continuation indent.
        let item = block.len() - block.trim_start_matches(' ').len();
        let mut lines: Vec<&str> = block
            .lines()
            .map(|l| {
                l.get(item..)
                    .filter(|_| l.starts_with(&" ".repeat(item)))
                    .unwrap_or(l.trim_start())
            })
            .collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let command = lines[0].strip_prefix("$ poolcheck ").expect("a command");
        let want: String = lines[1..].iter().map(|l| format!("{l}\n")).collect();
        let (args, input) = match command.split_once(" < ") {
            Some((a, f)) => (a, Some(std::fs::read(root().join(f)).unwrap())),
            None => (command, None),
        };
        let args: Vec<&str> = args.split(' ').collect();
        let run = match input {
            Some(bytes) => stdin_run(&root(), &args, &bytes),
            None => poolcheck(&args),
        };
        assert_eq!(run.stdout, want, "README example `{command}`");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// what-if runs verify twice: standard input is read once and counts in both runs.
#[test]
fn what_if_reads_standard_input_for_both_runs() {
    let base = root().join("fixtures/inputs/helm-template/rendered");
    let rendered = std::fs::read(base.join("rendered.yaml")).unwrap();
    let run = stdin_run(
        &base,
        &[
            "what-if",
            "--no-config",
            "-",
            "--max-connections",
            "400",
            "--set",
            "DB_POOL_SIZE=10",
        ],
        &rendered,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("      300 → 200  ←\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("15×2×10 → 10×2×10"), "{}", run.stdout);
}

/// A capacity finding about a workload labels the manifest lines it used: the pool (in the
/// ConfigMap), the surge and the HPA maximum.
#[test]
fn capacity_findings_label_the_manifest_lines() {
    let dir = root().join("fixtures/inputs/k8s/hpa-surge");
    let run = poolcheck_in(
        &dir,
        &[
            "verify",
            "--no-config",
            "api.yaml",
            "--max-connections",
            "500",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("k8s_hpa_surge_human", run.stdout);
}

#[test]
fn standard_input_over_the_size_limit_is_a_usage_error() {
    let run = stdin_run(
        &root(),
        &["verify", "--no-config", "-", "--max-file-size", "64"],
        &[b'#'; 200],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("standard input is larger than"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--max-file-size"), "{}", run.stderr);
}
