//! The seam between the saturation check and an engine: the plan, the load, the safety caps,
//! the report and the leak check are the same for every server; only opening sessions,
//! holding one, recognising a refusal and finding leftovers differ. One implementation per
//! engine (PostgreSQL in `postgres.rs`, MySQL/MariaDB in `mysql.rs`, Redis in `redis.rs`).

use crate::cli::Protocol;
use crate::core::error::{ToolError, ToolResult};
use crate::pool::Manager;
use std::future::Future;
use std::time::Duration;

/// The engines saturate runs against, from the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    /// MySQL and MariaDB (one protocol; the server's version says which).
    Mysql,
    Redis,
}

impl Kind {
    /// The URL argument's scheme, else DATABASE_URL's; PostgreSQL when neither names another
    /// engine (the libpq environment).
    pub fn of(url: Option<&str>) -> Kind {
        let text = match url {
            Some(u) => u.to_string(),
            None => std::env::var("DATABASE_URL").unwrap_or_default(),
        };
        if crate::db::redis::connect::is_redis_url(&text) {
            Kind::Redis
        } else if crate::db::mysql::connect::is_mysql_url(Some(&text)) {
            Kind::Mysql
        } else {
            Kind::Postgres
        }
    }

    /// The statement that holds a connection for `hold` on the server.
    pub fn hold_statement(self, hold: Duration) -> String {
        match self {
            Kind::Postgres => format!("SELECT pg_sleep({})", hold.as_secs_f64()),
            Kind::Mysql => format!("SELECT SLEEP({})", hold.as_secs_f64()),
            // The hold is the client's (see `holds_on_client`); one round trip ends it.
            Kind::Redis => "PING".into(),
        }
    }

    /// Whether `--hold` keeps the connection checked out on the client rather than busy on
    /// the server. Redis's blocking commands time out on the server's clock tick (hz,
    /// default 10: BLPOP 0.01 returned after 100 ms on Redis 7.0), too coarse for holds of
    /// milliseconds; an application holds its Redis connection on the client side anyway.
    /// https://redis.io/docs/latest/operate/oss_and_stack/management/config-file/ (hz)
    pub fn holds_on_client(self) -> bool {
        self == Kind::Redis
    }

    /// What each client runs when neither --hold nor --query is given.
    pub fn default_statement(self) -> &'static str {
        match self {
            Kind::Postgres | Kind::Mysql => "SELECT 1",
            Kind::Redis => "PING",
        }
    }
}

/// How the report names an engine's refusal and where its leftovers are seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wording {
    /// In parentheses after "the server refused N connections".
    pub refusal: &'static str,
    /// Who hit the limit: "this server or role".
    pub limit_of: &'static str,
    /// Where to look for sessions left behind.
    pub leftovers: &'static str,
}

/// The server's room for the run before it starts.
pub struct Slots {
    /// Connections the run's account can still open.
    pub free: i64,
    /// How `free` was found, for the message when the pool does not fit.
    pub detail: String,
}

/// What running the statement once did.
pub enum Ran {
    Ok,
    /// The statement failed; `broken`: the connection cannot be used again.
    Failed {
        broken: bool,
    },
}

pub type Conn<B> = <<B as Backend>::Manager as Manager>::Conn;
pub type Error<B> = <<B as Backend>::Manager as Manager>::Error;

pub trait Backend: Send + Sync + Sized + 'static {
    type Manager: Manager;
    /// The run's own extra session: checks slots before and leftovers after.
    type Observer;

    const WORDING: Wording;

    fn observe(&self, timeout: Duration) -> impl Future<Output = ToolResult<Self::Observer>>;

    fn preflight(&self, observer: &mut Self::Observer) -> impl Future<Output = ToolResult<Slots>>;

    /// The pool's manager; every session it opens bounds its statements by
    /// `statement_timeout` and is remembered for [`Backend::left`].
    fn manager(&self, connect_timeout: Duration, statement_timeout: Duration) -> Self::Manager;

    /// The server's message when `e` is a refusal for lack of connection slots.
    fn refusal(e: &Error<Self>) -> Option<String>;

    /// Runs `statement` once; `protocol` is PostgreSQL's choice (the plan refuses
    /// `--protocol` on other engines, which send it the way they always do).
    fn run(
        conn: &mut Conn<Self>,
        statement: &str,
        protocol: Protocol,
    ) -> impl Future<Output = Ran> + Send;

    /// How many of the run's sessions are still on the server; None when the check failed.
    fn left(&self, observer: &mut Self::Observer) -> impl Future<Output = Option<u64>>;

    /// Ends the observer's session (a clean goodbye rather than a dropped socket).
    fn close(&self, observer: Self::Observer) -> impl Future<Output = ()> {
        async move { drop(observer) }
    }

    /// A connect error that ends the run before it starts.
    fn fatal(e: Error<Self>) -> ToolError;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_scheme_picks_the_engine_and_its_hold() {
        for (url, kind) in [
            ("redis://127.0.0.1:6379", Kind::Redis),
            ("rediss://cache:6380/2", Kind::Redis),
            ("mariadb://root@127.0.0.1/test", Kind::Mysql),
            ("postgres://u@h/db", Kind::Postgres),
        ] {
            assert_eq!(Kind::of(Some(url)), kind, "{url}");
        }
        let ms = Duration::from_millis(10);
        assert_eq!(Kind::Redis.hold_statement(ms), "PING");
        assert!(Kind::Redis.holds_on_client());
        assert_eq!(Kind::Mysql.hold_statement(ms), "SELECT SLEEP(0.01)");
        assert!(!Kind::Postgres.holds_on_client());
        assert_eq!(Kind::Redis.default_statement(), "PING");
    }
}
