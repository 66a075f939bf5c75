//! A real PgBouncer in front of the machine's PostgreSQL: the server-side connections it opens
//! under load equal what poolcheck's model predicts from the same pgbouncer.ini.
//!
//! The test writes the config into a temporary directory, starts `pgbouncer` on
//! 127.0.0.1:6432 (transaction mode) and stops it on any exit. It is skipped when pgbouncer
//! is not installed or PostgreSQL is down, unless POOLCHECK_REQUIRE_PGBOUNCER is set (.ci/run
//! installs pgbouncer and sets it).

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PORT: u16 = 6432;
const POOL_SIZE: u32 = 3;
const CLIENTS: usize = 20;

fn installed() -> Option<String> {
    let found = [
        "/usr/sbin/pgbouncer",
        "/usr/bin/pgbouncer",
        "/usr/local/bin/pgbouncer",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).is_file())
    .map(String::from);
    if found.is_none() {
        if std::env::var_os("POOLCHECK_REQUIRE_PGBOUNCER").is_some() {
            panic!("pgbouncer is not installed and POOLCHECK_REQUIRE_PGBOUNCER is set");
        }
        eprintln!("SKIPPED: pgbouncer is not installed (.ci/run installs it)");
    }
    found
}

/// The running pgbouncer, killed (and reaped) when dropped, even on panic.
struct Bouncer(Child);

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn start(bin: &str, ini: &std::path::Path) -> Bouncer {
    let mut cmd = Command::new(bin);
    // PgBouncer refuses to run as root; -u drops to the database's own account.
    if is_root() {
        cmd.args(["-u", "postgres"]);
    }
    let child = cmd
        .arg(ini)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pgbouncer");
    let b = Bouncer(child);
    let addr = format!("127.0.0.1:{PORT}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "pgbouncer did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    b
}

#[test]
fn server_connections_through_pgbouncer_equal_the_models_prediction() {
    let Some(bin) = installed() else { return };
    if !pg::available() {
        return;
    }
    let role = pg::TempRole::create("pooled", "");
    let dir = tempfile::tempdir().unwrap();
    // Every client is folded into one server-side user (auth_type any needs it): one pool.
    let ini = format!(
        "[databases]\npcpool = host=127.0.0.1 port=5432 dbname=test user={role} pool_size={POOL_SIZE}\n\n\
         [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {PORT}\nunix_socket_dir =\n\
         auth_type = any\npool_mode = transaction\nmax_client_conn = 100\ndefault_pool_size = 20\n\
         ignore_startup_parameters = extra_float_digits,options\n",
        role = role.name
    );
    let ini_path = dir.path().join("pgbouncer.ini");
    std::fs::write(&ini_path, &ini).unwrap();
    std::fs::write(
        dir.path().join("poolcheck.toml"),
        "[servers.main]\nmax_connections = 100\n\n[poolers.pgbouncer]\nfiles = [\"pgbouncer.ini\"]\n\n\
         [services.app]\nfiles = [\"app.env\"]\nreplicas = 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.env"),
        format!("DATABASE_URL=postgres://app@127.0.0.1:{PORT}/pcpool\nPG_POOL_MAX={CLIENTS}\nPG_CONNECTION_TIMEOUT_MILLIS=5000\n"),
    )
    .unwrap();
    // The dropped-to account must read the config.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&ini_path, std::fs::Permissions::from_mode(0o644)).unwrap();

    let run = poolcheck_in(dir.path(), &["verify", "--format", "json"]);
    let v = json(&run);
    let p = &v["capacity"][0]["poolers"][0];
    assert_eq!(p["client_demand"], CLIENTS as u64, "{}", run.stdout);
    let predicted = p["server_per_instance"].as_u64().unwrap();
    assert_eq!(predicted, u64::from(POOL_SIZE));

    let _bouncer = start(&bin, &ini_path);
    let observed = pg::rt().block_on(async {
        let admin = pg::admin().await;
        let url = format!("postgres://app@127.0.0.1:{PORT}/pcpool?sslmode=disable");
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect through pgbouncer");
            tokio::spawn(conn);
            clients.push(c);
        }
        // Simple protocol: named prepared statements would break in transaction mode on a
        // PgBouncer before 1.21, which is exactly PC204's point.
        let load = futures_util::future::join_all(clients.iter().map(|c| async move {
            for _ in 0..3 {
                c.simple_query("select pg_sleep(0.2)").await.expect("query");
            }
        }));
        let sql = format!(
            "select count(*)::int from pg_stat_activity where usename = '{}'",
            role.name
        );
        let done = std::sync::atomic::AtomicBool::new(false);
        let load = async {
            load.await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        };
        // The most server connections the pool's user held at any moment of the load.
        let watch = async {
            let mut max = 0i32;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let n: i32 = admin.query_one(&sql, &[]).await.unwrap().get(0);
                max = max.max(n);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            max
        };
        let timed = tokio::time::timeout(Duration::from_secs(30), async {
            tokio::join!(load, watch).1
        });
        timed.await.expect("the load finishes within 30 s")
    });
    // 20 clients, each busy for 0.6 s, never got more than the pool's 3 server connections,
    // and did get all 3: what the model predicted from the same pgbouncer.ini.
    assert_eq!(observed as u64, predicted);

    // The admin console reports the same settings and the pool the load opened.
    let probe = poolcheck(&[
        "probe",
        &format!("postgres://admin@127.0.0.1:{PORT}/pgbouncer?sslmode=disable"),
        "--format",
        "json",
    ]);
    assert_eq!(probe.code, 0, "{}", probe.stderr);
    let f = json(&probe);
    assert!(
        f["version"].as_str().unwrap().starts_with("PgBouncer "),
        "{f}"
    );
    assert_eq!(f["config"]["pool_mode"], "transaction");
    assert_eq!(f["config"]["max_client_conn"], "100");
    let db = f["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "pcpool")
        .expect("pcpool in SHOW DATABASES");
    assert_eq!(db["pool_size"], POOL_SIZE.to_string());
    let pool = f["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["database"] == "pcpool")
        .expect("pcpool in SHOW POOLS");
    assert_eq!(pool["user"], role.name.as_str());
    let held: u64 = ["sv_active", "sv_idle", "sv_used"]
        .iter()
        .map(|k| pool[k].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(held, predicted, "{pool}");

    // verify takes the live settings over a stale copy of the file: the copy says session
    // mode and 50 clients, the running PgBouncer transaction mode and 100.
    let stale = ini
        .replace("pool_mode = transaction", "pool_mode = session")
        .replace("max_client_conn = 100", "max_client_conn = 50");
    std::fs::write(dir.path().join("pgbouncer.ini"), stale).unwrap();
    let admin_url = format!("postgres://admin@127.0.0.1:{PORT}/pgbouncer?sslmode=disable");
    let run = poolcheck_in(dir.path(), &["verify", "--format", "json"]);
    let p = &json(&run)["capacity"][0]["poolers"][0];
    assert_eq!(p["max_client_conn"], 50, "{}", run.stdout);
    let live = poolcheck_in(
        dir.path(),
        &[
            "verify",
            "--format",
            "json",
            "--verbose",
            "--probe",
            &admin_url,
        ],
    );
    let v = json(&live);
    let p = &v["capacity"][0]["poolers"][0];
    assert_eq!(p["max_client_conn"], 100, "{}", live.stdout);
    assert_eq!(p["pools"][0]["mode"], "transaction", "{p}");
    // The server is still the one poolcheck.toml declares, not the admin console.
    assert_eq!(v["capacity"][0]["max_connections"], 100, "{}", live.stdout);
    let human = poolcheck_in(dir.path(), &["verify", "--verbose", "--probe", &admin_url]);
    assert!(
        human.stdout.contains("PgBouncer max_client_conn"),
        "{}",
        human.stdout
    );
}
