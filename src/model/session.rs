//! Session-level state a service's connections rely on: settings made when a connection opens
//! (SET statements, startup `-c` options, init SQL) and the stack's use of advisory locks and
//! LISTEN. A pooler in transaction or statement mode hands each transaction to any server
//! connection, so none of it holds; the rules (PC507–PC509) decide, this module only records
//! what the files say and where.

use super::Origin;

/// A key that sets session state on every new connection.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSetting {
    /// The key as the file names it (`variables`, `options`, `connection-init-sql`).
    pub key: String,
    /// The server parameters it sets, lower case (`statement_timeout`, `search_path`).
    pub params: Vec<String>,
    /// Sent in the startup packet (libpq `options`, PGOPTIONS) rather than run as SQL.
    pub startup: bool,
    pub origin: Origin,
}

/// A part of the stack, found beside the service's files, that needs a session of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackFeature {
    /// GoodJob: "connection-based advisory locks and LISTEN/NOTIFY".
    GoodJob,
    /// Action Cable's `postgresql` subscription adapter: LISTEN on the app's database.
    ActionCablePostgres,
}

impl StackFeature {
    pub fn name(self) -> &'static str {
        match self {
            StackFeature::GoodJob => "GoodJob",
            StackFeature::ActionCablePostgres => "Action Cable",
        }
    }
    /// Both LISTEN; GoodJob also holds session-level advisory locks.
    pub fn takes_advisory_locks(self) -> bool {
        self == StackFeature::GoodJob
    }
}

/// A stack feature with what showed it ("Gemfile names good_job") and where.
#[derive(Debug, Clone, PartialEq)]
pub struct StackUse {
    pub feature: StackFeature,
    pub evidence: String,
    pub origin: Origin,
}

/// The parameters a libpq `options` string sets: `-c name=value`, `-cname=value` and
/// `--name=value` (<https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-OPTIONS>).
/// `+` reads as a space, as query strings write it.
pub fn pg_options_params(text: &str) -> Vec<String> {
    let text = text.replace('+', " ");
    let mut out = Vec::new();
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next()
        } else if let Some(rest) = w.strip_prefix("-c") {
            Some(rest)
        } else {
            w.strip_prefix("--")
        };
        if let Some((name, _)) = setting.and_then(|s| s.split_once('=')) {
            push_param(&mut out, name);
        }
    }
    out
}

/// The parameters SQL run on each new connection sets for the session: `SET [SESSION] name
/// { TO | = } …`, `SET TIME ZONE`, `SET SCHEMA`. `SET LOCAL` lasts one transaction and other
/// statements set nothing, so neither counts.
pub fn sql_params(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in sql.split(';') {
        let words: Vec<String> = stmt
            .split_whitespace()
            .map(|w| w.to_ascii_lowercase())
            .collect();
        let mut w = words.iter().map(String::as_str);
        if w.next() != Some("set") {
            continue;
        }
        let mut next = w.next();
        if next == Some("local") {
            continue;
        }
        if next == Some("session") {
            next = w.next();
        }
        match next {
            Some("time") if w.next() == Some("zone") => push_param(&mut out, "timezone"),
            Some("schema") => push_param(&mut out, "search_path"),
            Some(name) => {
                let name = name.split('=').next().unwrap_or(name);
                push_param(&mut out, name);
            }
            None => {}
        }
    }
    out
}

fn push_param(out: &mut Vec<String>, name: &str) {
    let name = name.trim().trim_matches('"').to_ascii_lowercase();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if valid && !out.contains(&name) {
        out.push(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_options_name_their_parameters() {
        assert_eq!(
            pg_options_params("-c search_path=app,public -cstatement_timeout=5s --geqo=off"),
            ["search_path", "statement_timeout", "geqo"]
        );
        assert_eq!(
            pg_options_params("-c+lock_timeout%3D1s"),
            Vec::<String>::new()
        );
        assert_eq!(pg_options_params("-c+lock_timeout=1s"), ["lock_timeout"]);
        assert!(pg_options_params("-c").is_empty());
        assert!(pg_options_params("").is_empty());
    }

    #[test]
    fn init_sql_sets_only_what_set_statements_set() {
        assert_eq!(
            sql_params("SET search_path TO app; SET SESSION statement_timeout = '5s'"),
            ["search_path", "statement_timeout"]
        );
        assert_eq!(sql_params("set time zone 'UTC'"), ["timezone"]);
        assert_eq!(sql_params("SET work_mem='64MB'"), ["work_mem"]);
        assert!(sql_params("SELECT 1").is_empty());
        assert!(sql_params("SET LOCAL statement_timeout = 1000").is_empty());
    }
}
