//! probe and the Redis pool manager against the real Redis on this machine (127.0.0.1:6379).
//! Reference values come from redis-cli, not from poolcheck's own client. Each test creates
//! its own ACL users and client names (unique per process) and removes them.

mod common;

use common::*;
use poolcheck::db::redis::saturate::{self, RedisManager};
use poolcheck::db::redis::Target;
use poolcheck::pool::{Config, Pool};
use std::process::Command;
use std::time::{Duration, Instant};

const URL: &str = "redis://127.0.0.1:6379";

/// Whether to run: false (with a loud note) when Redis is down, unless POOLCHECK_REQUIRE_REDIS
/// is set (CI), where a missing server fails the test.
fn available() -> bool {
    let up = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:6379".parse().unwrap(),
        Duration::from_secs(2),
    )
    .is_ok();
    if !up {
        if std::env::var_os("POOLCHECK_REQUIRE_REDIS").is_some() {
            panic!("Redis is not reachable on 127.0.0.1:6379 and POOLCHECK_REQUIRE_REDIS is set");
        }
        eprintln!("SKIPPED: Redis is not reachable on 127.0.0.1:6379 (set POOLCHECK_REQUIRE_REDIS=1 to fail instead)");
    }
    up
}

/// redis-cli as the default user, one reply element a line.
fn cli_raw(args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", "6379", "--raw"])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn config(name: &str) -> String {
    cli_raw(&["CONFIG", "GET", name])
        .lines()
        .nth(1)
        .unwrap()
        .to_string()
}

fn info(field: &str) -> String {
    cli_raw(&["INFO"])
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("INFO has no {field}"))
        .trim()
        .to_string()
}

/// An ACL user that is deleted (and its clients disconnected) when the guard goes away.
struct AclUser {
    name: String,
    password: String,
}

impl AclUser {
    fn create(tag: &str, rules: &[&str]) -> AclUser {
        let name = format!("pc-{tag}-{}", std::process::id());
        let password = format!("pw-{tag}-{}-Zq8", std::process::id());
        let pass = format!(">{password}");
        let mut args = vec!["ACL", "SETUSER", &name, "reset", "on", &pass];
        args.extend_from_slice(rules);
        assert_eq!(cli_raw(&args).trim(), "OK", "ACL SETUSER {name}");
        AclUser { name, password }
    }
    fn url(&self) -> String {
        format!("redis://{}:{}@127.0.0.1:6379/0", self.name, self.password)
    }
}

impl Drop for AclUser {
    fn drop(&mut self) {
        cli_raw(&["ACL", "DELUSER", &self.name]);
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn clients_named(name: &str) -> usize {
    cli_raw(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.split(' ').any(|f| f == format!("name={name}")))
        .count()
}

#[test]
fn probe_figures_equal_config_get_and_info() {
    if !available() {
        return;
    }
    let run = poolcheck(&["probe", URL, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    assert_eq!(v["engine"], "redis");
    assert_eq!(v["server_version"], info("redis_version").as_str());
    assert_eq!(
        v["maxclients"]["value"].as_i64().unwrap().to_string(),
        config("maxclients")
    );
    assert_eq!(v["maxclients"]["source"], "CONFIG GET maxclients");
    assert_eq!(
        v["timeout_s"].as_i64().unwrap().to_string(),
        config("timeout")
    );
    assert_eq!(v["config_error"], serde_json::Value::Null);
    // Other tests may connect meanwhile: rejected_connections only grows, and nothing here
    // fills the server.
    assert_eq!(
        v["rejected_connections"].as_i64().unwrap().to_string(),
        info("rejected_connections")
    );
    let in_use = v["in_use"].as_i64().unwrap();
    assert_eq!(v["connected_clients"].as_i64().unwrap(), in_use + 1);
    assert_eq!(
        v["free"].as_i64().unwrap(),
        v["maxclients"]["value"].as_i64().unwrap()
            - in_use
            - 1
            - v["cluster_connections"].as_i64().unwrap()
    );
    assert_eq!(v["connected"]["user"], "default");
    assert_eq!(v["connected"]["db"], 0);

    let human = poolcheck(&["probe", URL]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    let first = human.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "Redis {} at 127.0.0.1:6379, db 0 as default",
            info("redis_version")
        )
    );
    let max_line = format!(
        "  maxclients                    {:>7}  (CONFIG GET maxclients)",
        config("maxclients")
    );
    assert!(human.stdout.contains(&max_line), "{}", human.stdout);
}

#[test]
fn probe_groups_clients_by_name_and_leaves_none_behind() {
    if !available() {
        return;
    }
    let name = format!("pc-held-{}", std::process::id());
    let rt = rt();
    let target = Target::parse(URL, "test").unwrap();
    let held: Vec<_> = (0..3)
        .map(|_| {
            rt.block_on(target.connect(Duration::from_secs(5), &name))
                .unwrap()
        })
        .collect();
    assert_eq!(clients_named(&name), 3);
    let v = json(&poolcheck(&["probe", URL, "--format", "json"]));
    let groups = v["clients"].as_array().unwrap();
    let row = groups.iter().find(|g| g["name"] == name.as_str());
    assert_eq!(
        row.map(|r| r["count"].as_i64()),
        Some(Some(3)),
        "{groups:?}"
    );
    // The probe's own connection is not listed, and it is gone once the probe ends.
    assert!(
        groups.iter().all(|g| g["name"] != "poolcheck"),
        "{groups:?}"
    );
    // Other tests of this file probe in parallel: wait for their probes to end too.
    let mut left = clients_named("poolcheck");
    for _ in 0..50 {
        if left == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        left = clients_named("poolcheck");
    }
    assert_eq!(left, 0);
    drop(held);
    drop(rt);
    let deadline = Instant::now() + Duration::from_secs(2);
    while clients_named(&name) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(clients_named(&name), 0);
}

#[test]
fn an_acl_user_authenticates_and_a_wrong_password_is_said_plainly() {
    if !available() {
        return;
    }
    let user = AclUser::create("acl", &["~*", "+@all"]);
    let run = poolcheck(&["probe", &user.url(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    assert_eq!(v["connected"]["user"], user.name.as_str());
    assert_eq!(v["maxclients"]["source"], "CONFIG GET maxclients");
    assert!(!run.stdout.contains(&user.password) && !run.stderr.contains(&user.password));

    let wrong = format!("redis://{}:not-{}@127.0.0.1:6379", user.name, user.password);
    let run = poolcheck(&["probe", &wrong]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "{}@127.0.0.1:6379/0 rejected the login: WRONGPASS",
            user.name
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&user.password), "{}", run.stderr);
}

#[test]
fn a_user_without_config_gets_the_info_figure_and_an_unknown_timeout() {
    if !available() {
        return;
    }
    let user = AclUser::create("noconfig", &["~*", "+@all", "-config"]);
    let run = poolcheck(&["probe", &user.url(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    assert_eq!(v["maxclients"]["source"], "INFO clients maxclients");
    assert_eq!(
        v["maxclients"]["value"].as_i64().unwrap().to_string(),
        config("maxclients")
    );
    assert_eq!(v["timeout_s"], serde_json::Value::Null);
    assert!(
        v["config_error"].as_str().unwrap().starts_with("NOPERM"),
        "{v}"
    );

    let human = poolcheck(&["probe", &user.url()]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human
            .stdout
            .contains("  timeout                       unknown  (needs CONFIG GET)\n"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("so maxclients is INFO clients' figure and the idle timeout is unknown"),
        "{}",
        human.stdout
    );
    for line in human.stdout.lines() {
        assert!(line.chars().count() <= 80, "longer than 80 columns: {line}");
    }
}

#[test]
fn connect_errors_are_plain() {
    // Port 1 refuses on every machine: no server needed.
    let run = poolcheck(&["probe", "redis://:hunter22@127.0.0.1:1"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot reach default@127.0.0.1:1/0"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter22"), "{}", run.stderr);
    if !available() {
        return;
    }
    // A password the default user does not have (it has none here, or another one).
    let run = poolcheck(&["probe", "redis://nobody-pc:pw-none@127.0.0.1:6379"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("rejected the login: WRONGPASS"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_killed_client_is_replaced_and_reported_and_nothing_is_left() {
    if !available() {
        return;
    }
    let rt = rt();
    let name = saturate::run_name();
    let key = saturate::hold_key(&name);
    rt.block_on(async {
        let manager = RedisManager {
            target: Target::parse(URL, "test").unwrap(),
            connect_timeout: Duration::from_secs(5),
            name: name.clone(),
            command_timeout: Some(Duration::from_secs(5)),
        };
        let pool = Pool::new(
            manager,
            Config {
                max_size: 2,
                min_idle: 2,
                idle_timeout: None,
                max_lifetime: None,
                ..Config::default()
            },
        );
        let (opened, err) = pool.warm_up().await;
        assert_eq!((opened, err.map(|e| e.to_string())), (2, None));
        assert_eq!(clients_named(&name), 2);

        let mut conn = pool.get().await.unwrap();
        let id = conn.id.expect("CLIENT ID");
        // A bounded hold on the run's own key returns nil after its timeout.
        let t = Instant::now();
        saturate::hold(&mut conn, &key, Duration::from_millis(60))
            .await
            .unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(60),
            "{:?}",
            t.elapsed()
        );

        assert_eq!(
            cli_raw(&["CLIENT", "KILL", "ID", &id.to_string()]).trim(),
            "1"
        );
        let e = saturate::ping(&mut conn).await.unwrap_err();
        assert!(e.to_string().contains("closed the connection"), "{e}");
        assert!(conn.is_broken());
        drop(conn);

        // Both slots serve again; the killed one was replaced by a new client.
        let a = pool.get().await.unwrap();
        let b = pool.get().await.unwrap();
        assert!(a.id != Some(id) && b.id != Some(id));
        let s = pool.snapshot();
        assert_eq!((s.created, s.closed_broken), (3, 1));
        assert_eq!(clients_named(&name), 2);
        drop((a, b));
        pool.close();
        drop(pool);

        let mut observer = Target::parse(URL, "test")
            .unwrap()
            .connect(Duration::from_secs(5), "poolcheck")
            .await
            .unwrap();
        saturate::cleanup(&mut observer, &key).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let left = saturate::clients_left(&mut observer, &name).await.unwrap();
            if left == 0 || Instant::now() > deadline {
                assert_eq!(left, 0);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    assert_eq!(cli_raw(&["EXISTS", &key]).trim(), "0");
    assert_eq!(clients_named(&name), 0);
}

/// Erlang C P(wait) for `servers` at offered load `a` erlangs, by the Erlang B recursion
/// (independent of poolcheck's capacity module).
fn erlang_c(servers: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=servers {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(servers);
    b / (1.0 - rho * (1.0 - b))
}

/// Clients on the server whose name starts with the runs' prefix for process `pid`.
fn saturate_clients_of(pid: u32) -> usize {
    let prefix = format!("name=poolcheck-saturate-{pid}-");
    cli_raw(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.split(' ').any(|f| f.starts_with(&prefix)))
        .count()
}

fn keys_of(pid: u32) -> String {
    cli_raw(&[
        "--scan",
        "--pattern",
        &format!("poolcheck-saturate-{pid}-*"),
    ])
}

fn spawn_saturate(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_poolcheck"))
        .arg("saturate")
        .args(args)
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn saturate_measures_waits_beside_erlang_c_and_leaves_nothing() {
    if !available() {
        return;
    }
    let child = spawn_saturate(&[
        URL,
        "--pool",
        "4",
        "--rps",
        "250",
        "--hold",
        "10ms",
        "--duration",
        "3s",
    ]);
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["verdict"], "pass", "{v}");
    assert_eq!(v["client_hold_ms"], 10.0);
    assert_eq!(
        (v["refusals"].as_u64(), v["errors"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(v["connections_created"], 4, "warm pool, no churn: {v}");
    // The prediction is Erlang C at the measured arrival rate and mean hold.
    let hold_s = v["hold_mean_ms"].as_f64().unwrap() / 1000.0;
    let acquires = v["completed"].as_f64().unwrap() + v["timeouts"].as_f64().unwrap();
    let rate = acquires / v["duration_s"].as_f64().unwrap();
    let predicted = v["prediction"]["p_wait"].as_f64().unwrap();
    let reference = erlang_c(4, rate * hold_s);
    assert!(
        (predicted - reference).abs() < 0.01,
        "poolcheck predicts {predicted:.3}, the reference {reference:.3}"
    );
    // Beside it, what the run measured: Poisson arrivals into 4 connections queue about as
    // the model says (a wide band: the server shares two cores with other tests).
    let measured = v["measured_p_wait"].as_f64().unwrap();
    assert!(measured > 0.0 && measured < 1.0, "{v}");
    assert!(
        (measured - predicted).abs() < 0.3,
        "measured P(wait) {measured:.3} vs predicted {predicted:.3}"
    );
    for k in ["p50", "p95", "p99", "max"] {
        assert!(v["acquire_wait_ms"][k].as_f64().is_some(), "{k}");
    }
    assert_eq!(v["leaked_connections"], 0);
    assert_eq!(v["leak_check"], "done");
    assert_eq!(saturate_clients_of(pid), 0);
    assert_eq!(keys_of(pid).trim(), "", "the run writes no keys");
}

#[test]
fn saturate_replaces_a_client_killed_mid_run() {
    if !available() {
        return;
    }
    let child = spawn_saturate(&[
        URL,
        "--pool",
        "3",
        "--clients",
        "6",
        "--hold",
        "5ms",
        "--duration",
        "3s",
    ]);
    let pid = child.id();
    let prefix = format!("name=poolcheck-saturate-{pid}-");
    let deadline = Instant::now() + Duration::from_secs(10);
    let ids = loop {
        let ids: Vec<String> = cli_raw(&["CLIENT", "LIST"])
            .lines()
            .filter(|l| {
                l.split(' ')
                    .any(|f| f.starts_with(&prefix) && !f.ends_with("-observer"))
            })
            .filter_map(|l| {
                l.split(' ')
                    .find_map(|f| f.strip_prefix("id="))
                    .map(String::from)
            })
            .collect();
        if ids.len() == 3 || Instant::now() > deadline {
            break ids;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(ids.len(), 3, "the warm pool: {ids:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(cli_raw(&["CLIENT", "KILL", "ID", &ids[0]]).trim(), "1");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["connections_replaced"], 1, "{v}");
    assert_eq!(v["connections_created"], 4, "3 warm + 1 replacement: {v}");
    assert_eq!(v["refusals"], 0);
    assert_eq!(v["leaked_connections"], 0);
    assert_eq!(saturate_clients_of(pid), 0);
}

#[test]
fn saturate_refuses_a_pool_past_maxclients_without_force() {
    if !available() {
        return;
    }
    let max: u32 = config("maxclients").parse().unwrap();
    if max > 200 {
        // --pool is capped at 200; this server has room for any pool the check may open.
        let run = poolcheck(&["saturate", URL, "--pool", "201", "--duration", "1s"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        return;
    }
    let pool = max.to_string();
    let run = poolcheck(&["saturate", URL, "--pool", &pool, "--duration", "1s"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("would not fit"), "{}", run.stderr);
}
