//! The seam between the saturation check and an engine: the plan, the load, the safety caps,
//! the report and the leak check are the same for every server; only opening sessions,
//! holding one, recognising a refusal and finding leftovers differ. One implementation per
//! engine (PostgreSQL in `postgres.rs`, MySQL/MariaDB in `mysql.rs`).

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
}

impl Kind {
    /// The URL argument's scheme, else DATABASE_URL's; PostgreSQL when neither names another
    /// engine (the libpq environment).
    pub fn of(url: Option<&str>) -> Kind {
        if crate::db::mysql::connect::is_mysql_url(url) {
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

    fn run(conn: &mut Conn<Self>, statement: &str) -> impl Future<Output = Ran> + Send;

    /// How many of the run's sessions are still on the server; None when the check failed.
    fn left(&self, observer: &mut Self::Observer) -> impl Future<Output = Option<u64>>;

    /// Ends the observer's session (a clean goodbye rather than a dropped socket).
    fn close(&self, observer: Self::Observer) -> impl Future<Output = ()> {
        async move { drop(observer) }
    }

    /// A connect error that ends the run before it starts.
    fn fatal(e: Error<Self>) -> ToolError;
}
