//! what-if: the verdict and the numbers move with the overrides; exit code is the after-verdict.

mod common;
use common::*;

fn demo(args: &[&str]) -> Run {
    poolcheck_in(&root().join("fixtures/demo"), args)
}

#[test]
fn lowering_the_pool_fixes_the_demo() {
    let run = demo(&[
        "what-if",
        "--prod",
        "--set",
        "DB_CONNECTION_LIMIT=25",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(v["changes"][0], "DB_CONNECTION_LIMIT=25");
    assert_report_schema(&v["before"]);
    assert_report_schema(&v["after"]);
    assert_eq!(v["before"]["capacity"][0]["demand"], 150);
    assert_eq!(v["after"]["capacity"][0]["demand"], 75);
    assert_eq!(v["before"]["summary"]["exit_code"], 1);
    assert_eq!(v["after"]["summary"]["exit_code"], 0);
    let p99 = v["after"]["workloads"][0]["p99_wait_ms"].as_f64().unwrap();
    assert!(p99 > 0.0 && p99 < 10.0, "{p99}");
}

#[test]
fn model_paths_and_rps_move_the_numbers() {
    let run = demo(&[
        "what-if",
        "--prod",
        "--set",
        "service.backend.replicas=1",
        "--set",
        "DB_CONNECTION_LIMIT=80",
        "--format",
        "json",
    ]);
    let v = json(&run);
    assert_eq!(v["after"]["capacity"][0]["demand"], 80);
    let run = demo(&[
        "what-if",
        "--prod",
        "--set",
        "DB_CONNECTION_LIMIT=25",
        "--rps",
        "2000",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "4× the load makes a pool of 25 unstable");
    let v = json(&run);
    assert_eq!(v["after"]["workloads"][0]["stable"], false);
    assert!(v["after"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "PC301"));
}

#[test]
fn human_output_marks_what_changed() {
    let run = demo(&["what-if", "--prod", "--set", "DB_CONNECTION_LIMIT=25"]);
    assert!(
        run.stdout.contains("what if: DB_CONNECTION_LIMIT=25"),
        "{}",
        run.stdout
    );
    let demand = run
        .stdout
        .lines()
        .find(|l| l.contains("rds: peak demand"))
        .unwrap();
    assert!(
        demand.contains("150") && demand.contains("75") && demand.ends_with('←'),
        "{demand}"
    );
    assert!(run.stdout.contains("resolved: PC101"));
}

#[test]
fn unknown_keys_and_no_change_are_usage_errors() {
    let run = demo(&["what-if", "--prod", "--set", "NOT_A_KEY=3"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("NOT_A_KEY"), "{}", run.stderr);
    let run = demo(&["what-if", "--prod"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("at least one change"), "{}", run.stderr);
    let run = demo(&["what-if", "--prod", "--set", "service.nope.replicas=2"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such service"), "{}", run.stderr);
}
