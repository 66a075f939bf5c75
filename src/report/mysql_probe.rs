//! Renders what a probe read from a live MySQL or MariaDB server.

use crate::db::mysql::MyFacts;

fn row(out: &mut String, name: &str, value: impl std::fmt::Display) {
    out.push_str(&format!("  {name:<34} {value:>6}\n"));
}

fn clip(s: &str, n: usize) -> String {
    crate::core::secrets::clip(s, n)
}

/// The human report.
pub fn human(f: &MyFacts) -> String {
    let c = &f.connected;
    let at = if c.host.contains(':') {
        format!("[{}]:{}", c.host, c.port)
    } else {
        format!("{}:{}", c.host, c.port)
    };
    let db = if c.database.is_empty() {
        "no default database".to_string()
    } else {
        format!("database {}", c.database)
    };
    let mut out = format!(
        "{} {} at {at}, {db} as {}\n\n",
        f.engine, f.server_version, f.account.name
    );
    out.push_str("Connection slots\n");
    row(&mut out, "max_connections", f.max_connections);
    row(
        &mut out,
        "max_user_connections",
        if f.max_user_connections == 0 {
            "0 (none)".to_string()
        } else {
            f.max_user_connections.to_string()
        },
    );
    if let Some(extra) = f.extra_max_connections {
        let port = f.extra_port.unwrap_or(0);
        row(
            &mut out,
            "extra_max_connections",
            if port == 0 {
                format!("{extra} (no extra_port)")
            } else {
                format!("{extra} on port {port}")
            },
        );
    }
    if let (Some(port), Some(addr)) = (f.admin_port, &f.admin_address) {
        row(&mut out, "admin interface", format!("{addr}:{port}"));
    }
    if let Some(t) = &f.thread_handling {
        row(&mut out, "thread_handling", t);
        if t == "pool-of-threads" {
            if let Some(n) = f.thread_pool_max_threads {
                row(&mut out, "thread_pool_max_threads", n);
            }
        }
    }
    row(&mut out, "usable by ordinary accounts", f.usable);
    row(&mut out, "in use now (other connections)", f.in_use);
    row(&mut out, "free", f.free);
    row(&mut out, "Max_used_connections", f.max_used_connections);
    row(
        &mut out,
        "Connection_errors_max_connections",
        f.connection_errors_max_connections,
    );
    out.push_str(&format!(
        "  ({} keeps one more connection beyond max_connections for an account with {})\n",
        f.engine,
        if f.engine == "MariaDB" {
            "SUPER or CONNECTION ADMIN"
        } else {
            "CONNECTION_ADMIN or SUPER"
        }
    ));
    out.push_str("\nThis account\n");
    let own = match f.account.max_user_connections {
        Some(0) => "none of its own".to_string(),
        Some(n) => n.to_string(),
        None => "unreadable (SHOW CREATE USER was refused)".to_string(),
    };
    out.push_str(&format!(
        "  {:<34} MAX_USER_CONNECTIONS {own}\n",
        clip(&f.account.name, 34)
    ));
    out.push_str(&format!(
        "  {:<34} {}\n",
        "limit that applies",
        f.account
            .effective_limit
            .map_or("max_connections only".to_string(), |n| n.to_string())
    ));
    out.push_str("\nTimeouts\n");
    row(&mut out, "wait_timeout", format!("{}s", f.wait_timeout_s));
    row(
        &mut out,
        "interactive_timeout",
        format!("{}s", f.interactive_timeout_s),
    );
    out.push_str("\nConnections by user, host, database and command\n");
    if f.connections.is_empty() {
        out.push_str("  (none besides this probe)\n");
    } else {
        out.push_str(&format!(
            "  {:>5}  {:<16} {:<16} {:<16} {}\n",
            "count", "user", "host", "database", "command"
        ));
        for u in &f.connections {
            let or = |s: &str, none: &str| {
                if s.is_empty() {
                    none.to_string()
                } else {
                    clip(s, 16)
                }
            };
            out.push_str(&format!(
                "  {:>5}  {:<16} {:<16} {:<16} {}\n",
                u.count,
                or(&u.user, "(none)"),
                or(&u.host, "(none)"),
                or(&u.database, "(none)"),
                clip(&u.command, 16)
            ));
        }
    }
    if !f.sees_all_connections {
        out.push_str(
            "\nnote: this account lacks the PROCESS privilege and sees only its own \
             connections;\n      grant PROCESS for the full picture\n",
        );
    }
    out
}
