//! probe and verify --probe against the real PostgreSQL on this machine.

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::*;
use std::time::{Duration, Instant};

#[test]
fn probe_reports_what_show_and_the_catalogs_say() {
    if !pg::available() {
        return;
    }
    let run = poolcheck(&["probe", pg::ADMIN_URL, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    let (max, su, version, stmt, keep) = pg::rt().block_on(async {
        let c = pg::admin().await;
        let show = |name: &'static str| {
            let c = &c;
            async move {
                c.query_one(&format!("SHOW {name}"), &[])
                    .await
                    .unwrap()
                    .get::<_, String>(0)
            }
        };
        (
            show("max_connections").await,
            show("superuser_reserved_connections").await,
            show("server_version").await,
            show("statement_timeout").await,
            show("tcp_keepalives_idle").await,
        )
    });
    assert_eq!(v["max_connections"].as_i64().unwrap().to_string(), max);
    assert_eq!(
        v["superuser_reserved_connections"]
            .as_i64()
            .unwrap()
            .to_string(),
        su
    );
    assert_eq!(v["server_version"], version);
    assert_eq!(v["settings"]["statement_timeout"]["value"], stmt);
    assert_eq!(v["settings"]["tcp_keepalives_idle"]["value"], keep);
    let usable = v["max_connections"].as_i64().unwrap()
        - v["superuser_reserved_connections"].as_i64().unwrap()
        - v["reserved_connections"].as_i64().unwrap();
    assert_eq!(v["usable"].as_i64().unwrap(), usable);
    assert_eq!(
        v["free"].as_i64().unwrap(),
        usable - v["in_use"].as_i64().unwrap()
    );
    assert_eq!(v["role"]["name"], "postgres");
    assert_eq!(v["role"]["superuser"], true);
    assert_eq!(v["database"]["name"], "test");
}

#[test]
fn probe_sees_held_connections_by_application() {
    if !pg::available() {
        return;
    }
    let (rt, _held) = pg::hold(&format!(
        "{}&application_name=pc-held-{}",
        pg::ADMIN_URL,
        std::process::id()
    ));
    let v = json(&poolcheck(&["probe", pg::ADMIN_URL, "--format", "json"]));
    let app = format!("pc-held-{}", std::process::id());
    let row = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["application"] == app.as_str());
    assert!(row.is_some(), "{}", v["connections"]);
    assert_eq!(row.unwrap()["count"], 1);
    drop(rt);
}

#[test]
fn role_connection_limit_is_read_and_fails_verify() {
    if !pg::available() {
        return;
    }
    let role = pg::TempRole::create("limit3", "CONNECTION LIMIT 3");
    let v = json(&poolcheck(&["probe", &role.url(), "--format", "json"]));
    assert_eq!(v["role"]["connection_limit"], 3);
    assert_eq!(v["role"]["superuser"], false);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.env"),
        format!(
            "DATABASE_URL=postgres://{}@127.0.0.1:5432/test\nDB_POOL_SIZE=5\n",
            role.name
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
            &role.url(),
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
        .find(|f| f["code"] == "PC401")
        .expect("PC401");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains(&format!("\"{}\"", role.name)),
        "{f}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("too many connections for role"),
        "{f}"
    );
    assert_eq!(f["file"], "app.env");
    assert_eq!(f["line"], 2);
    assert!(
        f["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("live server")),
        "{f}"
    );
    // The probe's max_connections replaced the default server's unknown limit.
    assert!(v["capacity"][0]["max_connections"].as_u64().unwrap() > 0);
}

#[test]
fn a_role_out_of_slots_is_reported_not_crashed_on() {
    if !pg::available() {
        return;
    }
    let role = pg::TempRole::create("full", "CONNECTION LIMIT 1");
    let (rt, _hold) = pg::hold(&role.url());
    let run = poolcheck(&["probe", &role.url()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("53300"), "{}", run.stderr);
    assert!(
        run.stderr.contains("too many connections for role"),
        "{}",
        run.stderr
    );
    drop(rt);
}

#[test]
fn a_silent_listener_times_out_at_the_connect_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and never answer.
    let _t = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(4) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(10));
    });
    let start = Instant::now();
    let run = poolcheck(&[
        "probe",
        &format!("postgres://x@127.0.0.1:{port}/db?sslmode=disable"),
        "--connect-timeout",
        "1s",
    ]);
    let took = start.elapsed();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("timed out after 1s"), "{}", run.stderr);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // With TLS negotiation first, the same.
    let run = poolcheck(&[
        "probe",
        &format!("postgres://x@127.0.0.1:{port}/db?sslmode=require"),
        "--connect-timeout",
        "1s",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}

#[test]
fn unreachable_and_refused_give_clear_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = poolcheck(&[
        "probe",
        &format!("postgres://x@127.0.0.1:{closed}/db?sslmode=disable"),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot reach"), "{}", run.stderr);
    let run = poolcheck(&["probe", "postgres://x@127.0.0.1/db?sslmode=sometimes"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("sslmode"), "{}", run.stderr);
}

#[test]
fn passwords_never_appear_in_output() {
    if !pg::available() {
        return;
    }
    let secret = "Tr0ub4dor&3-not-shown";
    let url = format!("postgres://postgres:{secret}@127.0.0.1:5432/test?sslmode=disable");
    for format in ["human", "json"] {
        let run = poolcheck(&["probe", &url, "--format", format]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    let bad = format!(
        "postgres://nosuchrole_{}:{secret}@127.0.0.1:5432/test?sslmode=disable",
        std::process::id()
    );
    let run = poolcheck(&["probe", &bad]);
    assert_eq!(run.code, 2);
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "{}",
        run.stderr
    );
}

#[test]
fn server_idle_kill_shorter_than_the_pool_idle_timeout_warns() {
    if !pg::available() {
        return;
    }
    let role = pg::TempRole::create("idlekill", "");
    pg::rt().block_on(async {
        pg::admin()
            .await
            .batch_execute(&format!(
                "ALTER ROLE {} SET idle_session_timeout = '30s'",
                role.name
            ))
            .await
            .unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.env"),
        "DB_POOL_SIZE=5\nDB_IDLE_TIMEOUT=600\n",
    )
    .unwrap();
    let run = poolcheck_in(
        dir.path(),
        &[
            "verify",
            "--no-config",
            "app.env",
            "--probe",
            &role.url(),
            "--format",
            "json",
        ],
    );
    let v = json(&run);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "PC404")
        .unwrap_or_else(|| panic!("{v}"));
    assert!(f["message"].as_str().unwrap().contains("30s"), "{f}");
    assert_eq!(f["line"], 2);
}

#[test]
fn an_unprivileged_role_still_counts_other_roles_sessions() {
    if !pg::available() {
        return;
    }
    let role = pg::TempRole::create("plain", "");
    let app = format!("pc-other-{}", std::process::id());
    let (rt, _held) = pg::hold(&format!("{}&application_name={app}", pg::ADMIN_URL));
    let v = json(&poolcheck(&["probe", &role.url(), "--format", "json"]));
    assert_eq!(v["sees_all_sessions"], false);
    let row = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["application"] == app.as_str())
        .cloned();
    let row = row.unwrap_or_else(|| panic!("{}", v["connections"]));
    assert_eq!(
        row["state"], "unknown",
        "state is hidden without pg_read_all_stats"
    );
    assert!(v["in_use"].as_i64().unwrap() >= 1);
    let human = poolcheck(&["probe", &role.url()]);
    assert!(
        human.stdout.contains("grant pg_read_all_stats"),
        "{}",
        human.stdout
    );
    drop(rt);
}

#[test]
fn a_server_that_refuses_tls_gets_a_clear_message_when_sslmode_requires_it() {
    use std::io::{Read, Write};
    // A listener that answers the SSLRequest with 'N' (no TLS), as PostgreSQL with ssl=off does.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _t = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut req = [0u8; 8];
            if s.read_exact(&mut req).is_ok() {
                let _ = s.write_all(b"N");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let run = poolcheck(&[
        "probe",
        &format!("postgres://x@127.0.0.1:{port}/db?sslmode=require"),
        "--connect-timeout",
        "2s",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("refused TLS"), "{}", run.stderr);
}

#[test]
fn probe_says_where_it_connected_and_takes_jdbc_urls() {
    if !pg::available() {
        return;
    }
    // pg::ADMIN_URL names 127.0.0.1:5432, database test, user postgres.
    let run = poolcheck(&["probe", pg::ADMIN_URL, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = &json(&run)["connected"];
    assert_eq!(c["host"], "127.0.0.1");
    assert_eq!(c["port"], 5432);
    assert_eq!(c["database"], "test");
    assert_eq!(c["user"], "postgres");
    let human = poolcheck(&["probe", pg::ADMIN_URL]);
    let first = human.stdout.lines().next().unwrap_or("");
    assert!(
        first.ends_with(" at 127.0.0.1:5432, database test as postgres"),
        "{first}"
    );
    // pgJDBC's form: user and password as parameters.
    let jdbc = poolcheck(&[
        "probe",
        "jdbc:postgresql://127.0.0.1:5432/test?user=postgres",
        "--format",
        "json",
    ]);
    assert_eq!(jdbc.code, 0, "{}", jdbc.stderr);
    assert_eq!(json(&jdbc)["connected"], *c);
}

#[test]
fn probe_reports_fit_80_columns_without_losing_a_word() {
    if !pg::available() {
        return;
    }
    let wide = poolcheck_cols(&["probe", pg::ADMIN_URL], 400);
    let narrow = poolcheck_cols(&["probe", pg::ADMIN_URL], 80);
    assert_eq!((wide.code, narrow.code), (0, 0), "{}", narrow.stderr);
    for line in narrow.stdout.lines() {
        assert!(
            line.chars().count() <= 80,
            "line of {}: {line}",
            line.chars().count()
        );
    }
    // The first line names the server and the account; at 80 columns it wraps, whole words.
    let words = |s: &str| {
        s.split_whitespace()
            .take(8)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(words(&wide.stdout), words(&narrow.stdout));
}
