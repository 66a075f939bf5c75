//! Renders what a probe read from a live MySQL or MariaDB server.

use crate::db::mysql::MyFacts;

/// A figure right-aligned in its column, with an optional note after it.
fn row(out: &mut String, name: &str, value: impl std::fmt::Display, note: &str) {
    let line = format!("  {name:<34} {value:>6}  {note}");
    out.push_str(line.trim_end());
    out.push('\n');
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
    let admin = if f.engine == "MariaDB" {
        "+1 for SUPER or CONNECTION ADMIN"
    } else {
        "+1 for CONNECTION_ADMIN or SUPER"
    };
    row(&mut out, "max_connections", f.max_connections, admin);
    let per_user = if f.max_user_connections == 0 {
        "(none)"
    } else {
        "per account"
    };
    row(
        &mut out,
        "max_user_connections",
        f.max_user_connections,
        per_user,
    );
    if let Some(extra) = f.extra_max_connections {
        let port = f.extra_port.unwrap_or(0);
        let note = if port == 0 {
            "(no extra_port)".to_string()
        } else {
            format!("on extra_port {port}")
        };
        row(&mut out, "extra_max_connections", extra, &note);
    }
    if let (Some(port), Some(addr)) = (f.admin_port, &f.admin_address) {
        row(
            &mut out,
            "admin_port",
            port,
            &format!("on {}", clip(addr, 30)),
        );
    }
    if f.thread_handling.as_deref() == Some("pool-of-threads") {
        if let Some(n) = f.thread_pool_max_threads {
            row(&mut out, "thread_pool_max_threads", n, "(thread pool)");
        }
    }
    row(&mut out, "usable by ordinary accounts", f.usable, "");
    row(&mut out, "in use now (other connections)", f.in_use, "");
    row(&mut out, "free", f.free, "");
    row(&mut out, "Max_used_connections", f.max_used_connections, "");
    row(
        &mut out,
        "Connection_errors_max_connections",
        f.connection_errors_max_connections,
        "",
    );
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
    let secs = |s: u64| crate::core::units::format_duration(std::time::Duration::from_secs(s));
    row(
        &mut out,
        "wait_timeout",
        format!("{}s", f.wait_timeout_s),
        &format!("({})", secs(f.wait_timeout_s)),
    );
    row(
        &mut out,
        "interactive_timeout",
        format!("{}s", f.interactive_timeout_s),
        &format!("({})", secs(f.interactive_timeout_s)),
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
