//! What a pooler in transaction or statement mode keeps of a client's session, by kind, as
//! each documents it. Such a pooler hands each transaction to any server connection, so a
//! session-level advisory lock, a LISTEN or a `SET` run on one connection is not there on the
//! next, unless the pooler itself carries it over. The session rules (PC507–PC510) and PC204
//! ask this module, not the pooler's kind.
//!
//! - PgBouncer: "SET/RESET", "LISTEN", "Session-level advisory locks": "Never" in transaction
//!   mode; startup parameters outside its tracked list are refused
//!   (<https://www.pgbouncer.org/features.html>).
//! - pgcat: the same feature map ("Identical to PgBouncer",
//!   <https://github.com/postgresml/pgcat#features>); it restores the startup parameters of
//!   TRACKED_PARAMETERS (<https://github.com/postgresml/pgcat/blob/main/src/server.rs>).
//! - PgDog: "tracks connection parameters for each client" (startup and `SET`) and pins the
//!   connection on an advisory lock while its query parser runs; LISTEN through pub/sub when
//!   pub_sub_channel_size is above 0
//!   (<https://docs.pgdog.dev/features/connection-pooler/transaction-mode/>,
//!   <https://docs.pgdog.dev/features/connection-pooler/pub_sub/>).
//! - Odyssey: sets "up client options on each client-to-server assignment" (its startup
//!   parameters); a `SET` run as SQL stays on one server connection
//!   (<https://github.com/yandex/odyssey/blob/master/docs/index.md>).
//! - Supavisor: documents no carrying over; a `SET` run as SQL, a session lock and a LISTEN
//!   stay on one server connection as in any transaction pooler. What it does with startup
//!   parameters it does not document, so nothing is said about them.
//! - RDS Proxy: pins the client to its server connection when a session uses any of these
//!   ("SET", "LISTEN", advisory locks: <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html>),
//!   so nothing is lost (it only multiplexes less).

use super::pooler::{PoolMode, Pooler, PoolerKind};
use super::Sourced;

/// The switches poolcheck reads for these decisions (stored in `PoolerSettings::switches`).
pub const SWITCHES: [&str; 5] = [
    "pgdog.prepared_statements",
    "pgdog.query_parser",
    "pgdog.pub_sub_channel_size",
    "pgcat.prepared_statements",
    "pgcat.prepared_statements_cache_size",
];

/// The startup parameters a pooler restores on the server connection a client gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Startup {
    /// These (lower case); any other is lost (PgBouncer refuses it).
    Tracked(Vec<String>),
    /// All of them.
    All,
    /// Not documented: poolcheck says nothing.
    Unknown,
}

/// What survives a change of server connection between a client's transactions.
#[derive(Debug, Clone, PartialEq)]
pub struct Keeps {
    pub startup: Startup,
    /// `SET` statements run as SQL (PgDog parses and replays them).
    pub sql_set: bool,
    pub advisory_locks: bool,
    pub listen: bool,
}

/// The switch as written, lower case.
fn switch<'a>(p: &'a Pooler, key: &str) -> Option<&'a Sourced<String>> {
    p.settings
        .switches
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn switch_text(p: &Pooler, key: &str) -> Option<String> {
    switch(p, key).map(|s| s.value.trim().trim_matches('"').to_ascii_lowercase())
}

/// What `p` keeps in a mode that shares server connections; None when it keeps everything
/// (RDS Proxy pins the session instead).
pub fn keeps(p: &Pooler) -> Option<Keeps> {
    let pgbouncer = || {
        let mut tracked = crate::input::formats::pgbouncer::data()
            .pgbouncer
            .tracked_parameters
            .clone();
        tracked.extend(p.settings.track_extra_parameters.iter().cloned());
        tracked
    };
    Some(match p.kind {
        PoolerKind::RdsProxy => return None,
        PoolerKind::Pgbouncer => Keeps {
            startup: Startup::Tracked(pgbouncer()),
            sql_set: false,
            advisory_locks: false,
            listen: false,
        },
        PoolerKind::Pgcat => Keeps {
            startup: Startup::Tracked(
                crate::input::formats::pgbouncer::data()
                    .pgcat
                    .tracked_parameters
                    .clone(),
            ),
            sql_set: false,
            advisory_locks: false,
            listen: false,
        },
        PoolerKind::Pgdog => {
            // The parser runs when asked to (anything but "off" and the default "auto", which
            // starts it only for sharded or replicated databases), or when the pooler lists
            // several servers for a database (replicas, shards).
            let asked = switch_text(p, "pgdog.query_parser")
                .is_some_and(|q| !matches!(q.as_str(), "off" | "auto" | ""));
            let several = p
                .servers
                .iter()
                .any(|s| p.servers.iter().filter(|o| o.cluster == s.cluster).count() > 1);
            Keeps {
                startup: Startup::All,
                sql_set: true,
                advisory_locks: asked || several,
                listen: switch_text(p, "pgdog.pub_sub_channel_size")
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|n| n > 0),
            }
        }
        PoolerKind::Odyssey => Keeps {
            startup: Startup::All,
            sql_set: false,
            advisory_locks: false,
            listen: false,
        },
        PoolerKind::Supavisor => Keeps {
            startup: Startup::Unknown,
            sql_set: false,
            advisory_locks: false,
            listen: false,
        },
    })
}

/// The pooler's mode for a client of (database, user), when it shares server connections
/// and the pooler does not pin sessions: where the session rules look.
pub fn sharing_mode<'a>(
    p: &'a Pooler,
    database: Option<&str>,
    user: Option<&str>,
) -> Option<&'a Sourced<PoolMode>> {
    keeps(p)?;
    let mode = p.mode_for(database, user);
    mode.value.shares_connections().then_some(mode)
}

/// Whether the pooler runs a client's protocol-level prepared statements on whatever server
/// connection it gets, and the setting that says so: None when poolcheck cannot tell (the
/// version-dependent PgBouncer answer is PC204's own), Some(false, origin) when a switch
/// turns it off or leaves it off.
pub fn prepares(p: &Pooler) -> Option<(bool, Option<super::Origin>)> {
    match p.kind {
        // PgDog: prepared_statements "extended" by default; "disabled" turns it off
        // (https://docs.pgdog.dev/configuration/pgdog.toml/general/#prepared_statements).
        PoolerKind::Pgdog => Some(match switch(p, "pgdog.prepared_statements") {
            Some(s)
                if switch_text(p, "pgdog.prepared_statements").as_deref() == Some("disabled") =>
            {
                (false, Some(s.origin.clone()))
            }
            _ => (true, None),
        }),
        // pgcat: `prepared_statements = true` or a cache size above 0; off by default.
        PoolerKind::Pgcat => {
            let on = switch_text(p, "pgcat.prepared_statements").as_deref() == Some("true")
                || switch_text(p, "pgcat.prepared_statements_cache_size")
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|n| n > 0);
            let at = switch(p, "pgcat.prepared_statements_cache_size")
                .or_else(|| switch(p, "pgcat.prepared_statements"))
                .map(|s| s.origin.clone());
            Some((on, at))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pooler::tests::pooler;
    use crate::model::Origin;

    fn with(kind: PoolerKind, switches: &[(&str, &str)]) -> Pooler {
        let mut p = pooler("p", &[]);
        p.kind = kind;
        p.settings.switches = switches
            .iter()
            .map(|(k, v)| {
                let o = Origin::Default { note: "t".into() };
                (k.to_string(), Sourced::new(v.to_string(), o))
            })
            .collect();
        p
    }

    #[test]
    fn each_kind_keeps_what_it_documents() {
        assert!(keeps(&with(PoolerKind::RdsProxy, &[])).is_none());
        let pgb = keeps(&with(PoolerKind::Pgbouncer, &[])).unwrap();
        assert!(!pgb.sql_set && !pgb.advisory_locks && !pgb.listen);
        let cat = keeps(&with(PoolerKind::Pgcat, &[])).unwrap();
        let Startup::Tracked(t) = &cat.startup else {
            panic!("{cat:?}")
        };
        assert!(t.contains(&"timezone".to_string()) && !t.contains(&"intervalstyle".to_string()));
        let dog = keeps(&with(PoolerKind::Pgdog, &[])).unwrap();
        assert!(dog.sql_set && !dog.advisory_locks && !dog.listen);
        let on = [
            ("pgdog.query_parser", "\"session_control_and_locks\""),
            ("pgdog.pub_sub_channel_size", "4096"),
        ];
        let dog = keeps(&with(PoolerKind::Pgdog, &on)).unwrap();
        assert!(dog.advisory_locks && dog.listen);
        let off = [
            ("pgdog.query_parser", "off"),
            ("pgdog.pub_sub_channel_size", "0"),
        ];
        let dog = keeps(&with(PoolerKind::Pgdog, &off)).unwrap();
        assert!(!dog.advisory_locks && !dog.listen);
        let ody = keeps(&with(PoolerKind::Odyssey, &[])).unwrap();
        assert_eq!((ody.startup, ody.sql_set), (Startup::All, false));
        let supa = keeps(&with(PoolerKind::Supavisor, &[])).unwrap();
        assert_eq!(supa.startup, Startup::Unknown);
    }

    #[test]
    fn prepared_statement_support_follows_the_switches() {
        assert_eq!(
            prepares(&with(PoolerKind::Pgdog, &[])).map(|p| p.0),
            Some(true)
        );
        let off = [("pgdog.prepared_statements", "disabled")];
        assert_eq!(
            prepares(&with(PoolerKind::Pgdog, &off)).map(|p| p.0),
            Some(false)
        );
        assert_eq!(
            prepares(&with(PoolerKind::Pgcat, &[])).map(|p| p.0),
            Some(false)
        );
        let on = [("pgcat.prepared_statements_cache_size", "500")];
        assert_eq!(
            prepares(&with(PoolerKind::Pgcat, &on)).map(|p| p.0),
            Some(true)
        );
        let on = [("pgcat.prepared_statements", "true")];
        assert_eq!(
            prepares(&with(PoolerKind::Pgcat, &on)).map(|p| p.0),
            Some(true)
        );
        assert!(prepares(&with(PoolerKind::Pgbouncer, &[])).is_none());
    }
}
