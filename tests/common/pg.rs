//! Live PostgreSQL helpers: the machine's server on 127.0.0.1:5432 as `postgres` (trust auth).
#![allow(dead_code)]

use std::time::Duration;

pub const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable";

/// Whether to run live tests: false (with a loud note) when PostgreSQL is down, unless
/// POOLCHECK_REQUIRE_PG is set (CI), where a missing server fails the test.
pub fn available() -> bool {
    let up = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().unwrap(),
        Duration::from_secs(2),
    )
    .is_ok();
    if !up {
        if std::env::var_os("POOLCHECK_REQUIRE_PG").is_some() {
            panic!("PostgreSQL is not reachable on 127.0.0.1:5432 and POOLCHECK_REQUIRE_PG is set");
        }
        eprintln!("SKIPPED: PostgreSQL is not reachable on 127.0.0.1:5432 (set POOLCHECK_REQUIRE_PG=1 to fail instead)");
    }
    up
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub async fn admin() -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(ADMIN_URL, tokio_postgres::NoTls)
        .await
        .expect("connect as postgres");
    tokio::spawn(conn);
    client
}

/// A LOGIN role that is dropped (with its sessions) when the guard goes away, even on panic.
pub struct TempRole {
    pub name: String,
}

impl TempRole {
    pub fn create(prefix: &str, extra: &str) -> TempRole {
        let name = format!("pc_{prefix}_{}", std::process::id());
        let sql = format!("DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN {extra}; GRANT CONNECT ON DATABASE test TO {name};");
        rt().block_on(async {
            admin()
                .await
                .batch_execute(&sql)
                .await
                .expect("create role")
        });
        TempRole { name }
    }

    pub fn url(&self) -> String {
        format!(
            "postgres://{}@127.0.0.1:5432/test?sslmode=disable",
            self.name
        )
    }
}

impl Drop for TempRole {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            rt().block_on(async {
                let c = admin().await;
                let _ = c
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                        &[&name],
                    )
                    .await;
                let _ = c
                    .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
                    .await;
            })
        })
        .join();
    }
}

/// A session held open (as `postgres`, or as `url`) until the returned runtime and client drop.
pub fn hold(url: &str) -> (tokio::runtime::Runtime, tokio_postgres::Client) {
    let rt = rt();
    let client = rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("hold a connection");
        tokio::spawn(conn);
        c
    });
    (rt, client)
}
