//! saturate against the real PostgreSQL on this machine. Runs one at a time: they measure
//! throughput on a 2-core machine and count their own sessions.

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::*;
use std::sync::Mutex;
use std::time::Duration;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// No session of any saturate run is left on the server.
fn assert_no_saturate_sessions() {
    let n: i64 = pg::rt().block_on(async {
        let c = pg::admin().await;
        for _ in 0..40 {
            let n: i64 = c
                .query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'poolcheck-saturate'", &[])
                .await
                .unwrap()
                .get(0);
            if n == 0 {
                return 0;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        -1
    });
    assert_eq!(n, 0, "poolcheck-saturate sessions left on the server");
}

/// Starts `poolcheck saturate` in the background with JSON output.
fn spawn_saturate(args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_poolcheck"))
        .env_remove("COLUMNS")
        .arg("saturate")
        .args(args)
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start poolcheck saturate")
}

#[test]
fn steady_closed_loop_reaches_most_of_the_ideal_throughput() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let run = poolcheck(&[
        "saturate",
        pg::ADMIN_URL,
        "--hold",
        "10ms",
        "--pool",
        "8",
        "--clients",
        "16",
        "--duration",
        "3s",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    let qps = v["throughput_qps"].as_f64().unwrap();
    // A perfect pool of 8 holding each connection 10 ms completes 800/s.
    assert!(
        qps >= 0.7 * 800.0,
        "throughput {qps:.1}/s is below 70% of 800/s"
    );
    assert_eq!(v["timeouts"], 0);
    assert_eq!(v["refusals"], 0);
    assert_eq!(v["leaked_connections"], 0);
    assert_eq!(v["connections_created"], 8, "warm pool, no churn");
    for k in ["p50", "p95", "p99", "max"] {
        assert!(v["acquire_wait_ms"][k].as_f64().is_some(), "{k}");
    }
    assert!(v["prediction"]["p_wait"].as_f64().is_some());
    assert!(v["utilization"].as_f64().unwrap() > 0.8);
    assert_no_saturate_sessions();
}

#[test]
fn exhaust_mode_fails_extra_acquires_at_the_acquire_timeout() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let run = poolcheck(&[
        "saturate",
        pg::ADMIN_URL,
        "--pool",
        "4",
        "--scenario",
        "exhaust",
        "--acquire-timeout",
        "500ms",
        "--duration",
        "2s",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    // The run lasts the duration asked: 8 clients (2 × pool) keep trying, each attempt
    // failing after 500 ms, so 2 s give each client at least 3 attempts.
    let lasted = v["duration_s"].as_f64().unwrap();
    assert!((2.0..3.5).contains(&lasted), "ran {lasted} s, asked 2 s");
    assert!(
        v["timeouts"].as_u64().unwrap() >= 8 * 3,
        "{} timeouts in 2 s",
        v["timeouts"]
    );
    for k in ["p50", "max"] {
        let t = v["timeout_wait_ms"][k].as_f64().unwrap();
        assert!(
            (400.0..=600.0).contains(&t),
            "timed out after {t} ms, expected 500 ± 100"
        );
    }
    assert_eq!(v["leaked_connections"], 0);
    assert_no_saturate_sessions();
}

#[test]
fn a_role_limit_yields_a_refusal_finding() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let role = pg::TempRole::create("sat_limit", "CONNECTION LIMIT 2");
    let run = poolcheck(&[
        "saturate",
        &role.url(),
        "--pool",
        "4",
        "--force",
        "--hold",
        "5ms",
        "--duration",
        "1s",
        "--acquire-timeout",
        "300ms",
        "--format",
        "json",
    ]);
    assert_eq!(
        run.code, 1,
        "a refusal is a finding: {}{}",
        run.stdout, run.stderr
    );
    let v = json(&run);
    assert!(v["refusals"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["refusal_message"]
            .as_str()
            .unwrap()
            .contains("too many connections for role"),
        "{v}"
    );
    assert!(
        v["completed"].as_u64().unwrap() > 0,
        "the two connections that opened still served"
    );
    assert_eq!(v["leaked_connections"], 0);
    let human = poolcheck(&[
        "saturate",
        &role.url(),
        "--pool",
        "4",
        "--force",
        "--hold",
        "5ms",
        "--duration",
        "500ms",
        "--acquire-timeout",
        "300ms",
    ]);
    assert!(
        human.stdout.contains("FAIL:\n  - the server refused"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("(SQLSTATE 53300, too many connections)"),
        "{}",
        human.stdout
    );
    drop(role);
    assert_no_saturate_sessions();
}

#[test]
fn a_pool_that_does_not_fit_is_refused_without_force() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let run = poolcheck(&[
        "saturate",
        pg::ADMIN_URL,
        "--pool",
        "200",
        "--duration",
        "1s",
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("would not fit"), "{}", run.stderr);
    let run = poolcheck(&["saturate", pg::ADMIN_URL, "--pool", "500"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("between 1 and 200"), "{}", run.stderr);
    let run = poolcheck(&["saturate", pg::ADMIN_URL, "--pool", "2", "--duration", "5m"]);
    assert_eq!(run.code, 2);
    assert_no_saturate_sessions();
}

#[test]
fn a_backend_killed_mid_run_is_replaced_and_reported() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let child = spawn_saturate(&[
        pg::ADMIN_URL,
        "--hold",
        "10ms",
        "--pool",
        "4",
        "--clients",
        "8",
        "--duration",
        "3s",
    ]);
    std::thread::sleep(Duration::from_millis(1200));
    let killed: i64 = pg::rt().block_on(async {
        let c = pg::admin().await;
        c.query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'poolcheck-saturate' ORDER BY pid LIMIT 2) t",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    });
    assert_eq!(killed, 2);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["connections_replaced"].as_u64().unwrap() >= 2, "{v}");
    assert!(
        v["connections_created"].as_u64().unwrap() >= 6,
        "4 warm + 2 replacements: {v}"
    );
    assert!(v["completed"].as_u64().unwrap() > 500, "{v}");
    assert_eq!(v["leaked_connections"], 0);
    assert_no_saturate_sessions();
}

#[test]
fn ctrl_c_stops_early_and_closes_every_session() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let child = spawn_saturate(&[
        pg::ADMIN_URL,
        "--hold",
        "10ms",
        "--pool",
        "4",
        "--duration",
        "20s",
    ]);
    std::thread::sleep(Duration::from_millis(1000));
    let started = std::time::Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped within seconds of Ctrl-C"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["interrupted"], true);
    assert_eq!(v["leaked_connections"], 0);
    // An interrupted run exits as shells expect (128 + SIGINT), after its partial report.
    assert_eq!(out.status.code(), Some(130));
    assert_no_saturate_sessions();
}

#[test]
fn a_run_whose_queries_fail_is_a_failing_verdict() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let run = poolcheck(&[
        "saturate",
        pg::ADMIN_URL,
        "--query",
        "SELECT * FROM poolcheck_no_such_table",
        "--pool",
        "2",
        "--duration",
        "1s",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(v["completed"], 0);
    assert!(v["errors"].as_u64().unwrap() > 0);
    assert_eq!(v["verdict"], "fail");
    let failures = v["failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .any(|f| f.as_str().unwrap().contains("queries failed")),
        "{failures:?}"
    );
    assert_no_saturate_sessions();
}

#[test]
fn a_url_with_a_bad_port_is_a_usage_error_not_a_run_against_5432() {
    for port in ["notaport", "99999", "0"] {
        let url = format!("postgres://postgres@127.0.0.1:{port}/test");
        for cmd in ["saturate", "probe"] {
            let mut args = vec![cmd, url.as_str()];
            if cmd == "saturate" {
                args.extend(["--pool", "2", "--duration", "1s"]);
            }
            let run = poolcheck(&args);
            assert_eq!(run.code, 2, "{cmd} {url}: {}{}", run.stdout, run.stderr);
            assert!(
                run.stderr.contains("is not a number from 1 to 65535"),
                "{cmd} {url}: {}",
                run.stderr
            );
        }
    }
    // A password with an unencoded `/` must not turn the user into the host.
    let run = poolcheck(&["probe", "postgres://app:pa/ss@127.0.0.1:5432/test"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("unencoded"), "{}", run.stderr);
    assert!(!run.stderr.contains("pa/ss"), "{}", run.stderr);
}

#[test]
fn a_prepared_run_completes_and_says_so() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let run = poolcheck(&[
        "saturate",
        pg::ADMIN_URL,
        "--query",
        "SELECT 1",
        "--protocol",
        "prepared",
        "--pool",
        "4",
        "--clients",
        "4",
        "--duration",
        "1s",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(v["protocol"], "prepared");
    assert!(v["completed"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["errors"], 0);
    assert_eq!(v["connections_created"], 4);
    assert_eq!(v["leaked_connections"], 0);
    assert_no_saturate_sessions();
}

/// Two statements in one string are one Query message under the simple protocol, but cannot
/// be prepared: the prepared run really goes through Parse/Bind/Execute.
#[test]
fn a_multi_statement_query_runs_simple_but_cannot_be_prepared() {
    if !pg::available() {
        return;
    }
    let _s = serial();
    let run_with = |protocol: &str| {
        let run = poolcheck(&[
            "saturate",
            pg::ADMIN_URL,
            "--query",
            "SELECT 1; SELECT 2",
            "--protocol",
            protocol,
            "--pool",
            "2",
            "--duration",
            "1s",
            "--format",
            "json",
        ]);
        let v = json(&run);
        (run.code, v)
    };
    let (code, v) = run_with("simple");
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["protocol"], "simple");
    assert!(v["completed"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["errors"], 0);
    let (code, v) = run_with("prepared");
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["protocol"], "prepared");
    assert_eq!(v["completed"], 0);
    assert!(v["errors"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["leaked_connections"], 0);
    assert_no_saturate_sessions();
}

#[test]
fn the_protocol_flag_is_postgresql_only() {
    // Refused before connecting, so no server is needed.
    for (url, engine) in [
        ("mysql://root@127.0.0.1:1/test", "MySQL/MariaDB"),
        ("redis://127.0.0.1:1", "Redis"),
    ] {
        for protocol in ["simple", "prepared"] {
            let run = poolcheck(&[
                "saturate",
                url,
                "--protocol",
                protocol,
                "--pool",
                "2",
                "--duration",
                "1s",
            ]);
            assert_eq!(run.code, 2, "{url}: {}{}", run.stdout, run.stderr);
            assert!(
                run.stderr.contains(&format!(
                    "--protocol {protocol}: the protocol choice is PostgreSQL's; this URL names {engine}"
                )),
                "{url}: {}",
                run.stderr
            );
            assert!(run.stdout.is_empty(), "{}", run.stdout);
        }
    }
}
