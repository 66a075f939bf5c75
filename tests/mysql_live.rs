//! probe, verify --probe and saturate against the real MariaDB on this machine
//! (127.0.0.1:3306, root without a password). The reference figures come from the `mysql`
//! command-line client, not from poolcheck's own driver. Runs one at a time: the tests count
//! connections.

mod common;

use common::*;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

const ROOT_URL: &str = "mysql://root@127.0.0.1:3306/test?ssl-mode=DISABLED";

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether to run: false (with a loud note) when MariaDB is down, unless
/// POOLCHECK_REQUIRE_MYSQL is set (CI), where a missing server fails the test.
fn available() -> bool {
    let up = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:3306".parse().unwrap(),
        Duration::from_secs(2),
    )
    .is_ok();
    if !up {
        if std::env::var_os("POOLCHECK_REQUIRE_MYSQL").is_some() {
            panic!("MariaDB is not reachable on 127.0.0.1:3306 and POOLCHECK_REQUIRE_MYSQL is set");
        }
        eprintln!("SKIPPED: MariaDB is not reachable on 127.0.0.1:3306 (set POOLCHECK_REQUIRE_MYSQL=1 to fail instead)");
    }
    up
}

/// Runs SQL as root through the mysql client; rows as tab-separated lines.
fn sql(statement: &str) -> Vec<Vec<String>> {
    let out = Command::new("mysql")
        .args([
            "-uroot",
            "-h127.0.0.1",
            "-P3306",
            "-N",
            "-B",
            "-e",
            statement,
        ])
        .output()
        .expect("the mysql client runs");
    assert!(
        out.status.success(),
        "{statement}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

fn variable(kind: &str, name: &str) -> String {
    let rows = sql(&format!("SHOW GLOBAL {kind} LIKE '{name}'"));
    rows.first()
        .and_then(|r| r.get(1))
        .cloned()
        .unwrap_or_else(|| panic!("{kind} {name} missing"))
}

/// An account that is dropped (its connections killed first) when the guard goes away.
struct TempUser {
    name: String,
}

impl TempUser {
    fn create(prefix: &str, with: &str) -> TempUser {
        let name = format!("pc_{prefix}_{}", std::process::id());
        sql(&format!(
            "DROP USER IF EXISTS '{name}'@'%'; CREATE USER '{name}'@'%' IDENTIFIED BY 'pc-pw-{name}' {with}; \
             GRANT SELECT ON test.* TO '{name}'@'%'"
        ));
        TempUser { name }
    }

    fn url(&self) -> String {
        format!(
            "mysql://{0}:pc-pw-{0}@127.0.0.1:3306/test?ssl-mode=DISABLED",
            self.name
        )
    }

    fn ids(&self) -> Vec<String> {
        sql(&format!(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '{}' ORDER BY ID",
            self.name
        ))
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
    }

    /// Connections of this account, waiting up to 2 s for closing ones to go.
    fn connections_settled(&self) -> usize {
        for _ in 0..40 {
            if self.ids().is_empty() {
                return 0;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.ids().len()
    }
}

impl Drop for TempUser {
    fn drop(&mut self) {
        for id in self.ids() {
            let _ = Command::new("mysql")
                .args(["-uroot", "-h127.0.0.1", "-e", &format!("KILL {id}")])
                .output();
        }
        let _ = Command::new("mysql")
            .args([
                "-uroot",
                "-h127.0.0.1",
                "-e",
                &format!("DROP USER IF EXISTS '{}'@'%'", self.name),
            ])
            .output();
    }
}

/// Holds one connection as `user` with `mysql -e 'SELECT SLEEP(n)'` until killed.
struct Held(std::process::Child);

impl Held {
    fn open(user: &TempUser, secs: u32) -> Held {
        let child = Command::new("mysql")
            .args([
                &format!("-u{}", user.name),
                &format!("-ppc-pw-{}", user.name),
                "-h127.0.0.1",
                "test",
                "-e",
                &format!("SELECT SLEEP({secs})"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if !user.ids().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Held(child)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn probe_figures_equal_show_variables_and_show_status() {
    if !available() {
        return;
    }
    let _s = serial();
    let run = poolcheck(&["probe", ROOT_URL, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    for (field, var) in [
        ("max_connections", "max_connections"),
        ("max_user_connections", "max_user_connections"),
        ("wait_timeout_s", "wait_timeout"),
        ("interactive_timeout_s", "interactive_timeout"),
        ("extra_max_connections", "extra_max_connections"),
        ("extra_port", "extra_port"),
    ] {
        assert_eq!(
            v[field].as_u64().map(|n| n.to_string()),
            Some(variable("VARIABLES", var)),
            "{field}"
        );
    }
    assert_eq!(v["server_version"], sql("SELECT VERSION()")[0][0].as_str());
    assert_eq!(v["engine"], "MariaDB");
    assert_eq!(v["usable"], v["max_connections"]);
    // Status counters move; the probe's figure lies between two reads around it.
    let used_before: u64 = variable("STATUS", "Max_used_connections").parse().unwrap();
    let errs_before: u64 = variable("STATUS", "Connection_errors_max_connections")
        .parse()
        .unwrap();
    let v = json(&poolcheck(&["probe", ROOT_URL, "--format", "json"]));
    let used_after: u64 = variable("STATUS", "Max_used_connections").parse().unwrap();
    let errs_after: u64 = variable("STATUS", "Connection_errors_max_connections")
        .parse()
        .unwrap();
    let used = v["max_used_connections"].as_u64().unwrap();
    assert!((used_before..=used_after).contains(&used), "{used}");
    let errs = v["connection_errors_max_connections"].as_u64().unwrap();
    assert!((errs_before..=errs_after).contains(&errs), "{errs}");
    // Threads_connected as the mysql client sees it counts the client itself, as the probe's
    // counts the probe: equal when nothing else connects in between (retried for that).
    let mut matched = false;
    for _ in 0..5 {
        let before = variable("STATUS", "Threads_connected");
        let v = json(&poolcheck(&["probe", ROOT_URL, "--format", "json"]));
        let after = variable("STATUS", "Threads_connected");
        let probe = v["threads_connected"].as_u64().unwrap().to_string();
        assert_eq!(
            v["in_use"].as_u64().unwrap() + 1,
            v["threads_connected"].as_u64().unwrap()
        );
        if before == after && probe == before {
            matched = true;
            break;
        }
    }
    assert!(matched, "Threads_connected never matched the server's");
    assert_eq!(
        v["account"]["name"],
        sql("SELECT CURRENT_USER()")[0][0].as_str()
    );
    assert_eq!(v["sees_all_connections"], true);
    let human = poolcheck(&["probe", ROOT_URL]);
    assert!(
        human.stdout.starts_with("MariaDB ")
            && human.stdout.contains(&format!(
                "  max_connections                    {:>6}  +1 for SUPER or CONNECTION ADMIN\n",
                variable("VARIABLES", "max_connections")
            )),
        "{}",
        human.stdout
    );
}

#[test]
fn probe_groups_the_processlist_and_reads_the_accounts_own_limit() {
    if !available() {
        return;
    }
    let _s = serial();
    let user = TempUser::create("lim", "WITH MAX_USER_CONNECTIONS 2");
    let held = Held::open(&user, 30);
    let v = json(&poolcheck(&["probe", ROOT_URL, "--format", "json"]));
    let row = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user"] == user.name.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{}", v["connections"]));
    assert_eq!(row["count"], 1);
    // 127.0.0.1 under skip_name_resolve (Debian's default), else its name.
    assert!(
        row["host"] == "127.0.0.1" || row["host"] == "localhost",
        "{row}"
    );
    assert_eq!(row["database"], "test");
    assert_eq!(row["command"], "Query");
    drop(held);
    // The server notices the client's exit only when SLEEP ends: end the session now, so the
    // count below is of the probe's own connections.
    for id in user.ids() {
        sql(&format!("KILL {id}"));
    }

    let run = poolcheck(&["probe", &user.url(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    assert_eq!(v["account"]["name"], format!("{}@%", user.name));
    assert_eq!(v["account"]["max_user_connections"], 2);
    assert_eq!(v["account"]["effective_limit"], 2);
    assert_eq!(v["sees_all_connections"], false);
    let human = poolcheck(&["probe", &user.url()]);
    assert!(
        human.stdout.contains("MAX_USER_CONNECTIONS 2\n")
            && human.stdout.contains("grant PROCESS for the full picture"),
        "{}",
        human.stdout
    );
    assert!(!human.stdout.contains("pc-pw-") && !human.stderr.contains("pc-pw-"));
    assert_eq!(user.connections_settled(), 0);
}

#[test]
fn connect_errors_are_classified_in_plain_words_without_the_password() {
    if !available() {
        return;
    }
    let _s = serial();
    let user = TempUser::create("err", "");
    let wrong = format!(
        "mysql://{}:not-the-pw-xyz@127.0.0.1:3306/test?ssl-mode=DISABLED",
        user.name
    );
    let run = poolcheck(&["probe", &wrong]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("access denied (error 1045)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not-the-pw-xyz"), "{}", run.stderr);
    let run = poolcheck(&[
        "probe",
        "mysql://root@127.0.0.1:3306/pc_no_such_db_here?ssl-mode=DISABLED",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown database (error 1049)"),
        "{}",
        run.stderr
    );
    // Nothing listens on port 1.
    let run = poolcheck(&["probe", "mysql://root@127.0.0.1:1/test"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot reach root@127.0.0.1:1/test"),
        "{}",
        run.stderr
    );
    // A listener that accepts and never greets: the deadline covers the handshake.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let run = poolcheck(&[
        "probe",
        &format!("mysql://root@127.0.0.1:{port}/test"),
        "--connect-timeout",
        "700ms",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("timed out after 700ms"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(listener);
    // The server runs without TLS here: REQUIRED says so, PREFERRED falls back to plain.
    let run = poolcheck(&[
        "probe",
        "mysql://root@127.0.0.1:3306/test?ssl-mode=REQUIRED",
    ]);
    if variable("VARIABLES", "have_ssl") != "YES" {
        assert_eq!(run.code, 2);
        assert!(run.stderr.contains("offers no TLS"), "{}", run.stderr);
        let run = poolcheck(&["probe", "mysql://root@127.0.0.1:3306/test"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

#[test]
fn verify_takes_the_probed_limits_into_the_model() {
    if !available() {
        return;
    }
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let max: u32 = variable("VARIABLES", "max_connections").parse().unwrap();
    // One replica whose pool alone asks for more than the server's every slot.
    std::fs::write(
        dir.path().join("app.env"),
        format!(
            "DATABASE_URL=mysql2://root@127.0.0.1:3306/test\nDB_POOL_SIZE={}\n",
            max + 10
        ),
    )
    .unwrap();
    let run = poolcheck_in(
        dir.path(),
        &[
            "verify",
            "--no-config",
            "app.env",
            "--probe",
            ROOT_URL,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_report_schema(&v);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "PC101")
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    let msg = f["message"].as_str().unwrap();
    // MariaDB keeps no slots of max_connections back: all of them are usable.
    assert!(msg.contains(&format!("{max}")), "{msg}");
    assert!(!msg.contains(&format!("{}", max - 3)), "{msg}");
}

#[test]
fn verify_probe_keeps_mariadbs_extra_port_as_a_server_fact() {
    if !available() {
        return;
    }
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.env"),
        "DATABASE_URL=mysql2://root@127.0.0.1:3306/test\nDB_POOL_SIZE=5\n",
    )
    .unwrap();
    let args = ["verify", "--no-config", "app.env", "--probe", ROOT_URL];
    let run = poolcheck_in(dir.path(), &[&args[..], &["--format", "json"]].concat());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_report_schema(&v);
    let port = variable("VARIABLES", "extra_port");
    let extra = variable("VARIABLES", "extra_max_connections");
    let cap = &v["capacity"][0];
    assert_eq!(cap["engine"], "mariadb");
    assert_eq!(
        (
            cap["extra_port"]["port"].as_u64().map(|n| n.to_string()),
            cap["extra_port"]["max_connections"]
                .as_u64()
                .map(|n| n.to_string())
        ),
        (Some(port.clone()), Some(extra.clone())),
        "{cap}"
    );
    // The extra port's connections are not usable slots: usable stays max_connections.
    assert_eq!(
        cap["usable"].as_u64().map(|n| n.to_string()),
        Some(variable("VARIABLES", "max_connections"))
    );
    let human = poolcheck_in(dir.path(), &[&args[..], &["--verbose"]].concat());
    let at = if port == "0" {
        "no extra_port".to_string()
    } else {
        format!("on extra_port {port}, for administrators, not counted as usable")
    };
    assert!(
        human.stdout.contains(&format!(
            "  extra_max_connections {extra} ({at}): from the live server (extra_port, \
             extra_max_connections)\n"
        )),
        "{}",
        human.stdout
    );
}

/// Starts `poolcheck saturate` in the background with JSON output.
fn spawn_saturate(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_poolcheck"))
        .env_remove("COLUMNS")
        .arg("saturate")
        .args(args)
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_user_limit_of_two_is_a_refusal_finding() {
    if !available() {
        return;
    }
    let _s = serial();
    let user = TempUser::create("sat2", "WITH MAX_USER_CONNECTIONS 2");
    let url = user.url();
    // Without --force the preflight says why the pool cannot fit (the run's own observer
    // holds one of the two).
    let run = poolcheck(&["saturate", &url, "--pool", "3", "--duration", "1s"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("limit is 2 with 1 in use"), // miette wraps the message: words that stay together
        "{}",
        run.stderr
    );
    let run = poolcheck(&[
        "saturate",
        &url,
        "--pool",
        "3",
        "--hold",
        "5ms",
        "--duration",
        "1s",
        "--force",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert!(v["refusals"].as_u64().unwrap() >= 1, "{v}");
    let message = v["refusal_message"].as_str().unwrap();
    assert!(message.starts_with("error 1226: "), "{message}");
    assert!(message.contains("max_user_connections"), "{message}");
    assert!(
        v["failures"][0]
            .as_str()
            .unwrap()
            .starts_with("the server refused "),
        "{v}"
    );
    assert!(v["completed"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["leaked_connections"], 0);
    assert_eq!(user.connections_settled(), 0);
}

#[test]
fn a_connection_killed_mid_run_is_replaced_and_reported() {
    if !available() {
        return;
    }
    let _s = serial();
    let user = TempUser::create("kill", "");
    let url = user.url();
    let child = spawn_saturate(&[
        &url,
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
    // The observer opened first (lowest id); kill two of the pool's connections.
    let ids = user.ids();
    assert_eq!(ids.len(), 5, "observer + 4 pooled: {ids:?}");
    for id in &ids[3..] {
        sql(&format!("KILL {id}"));
    }
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
    assert_eq!(v["refusals"], 0);
    assert_eq!(v["leaked_connections"], 0);
    assert_eq!(user.connections_settled(), 0);
    // The statements ran under the session bound, as the server itself shows them.
    assert_eq!(v["verdict"], "pass");
}
