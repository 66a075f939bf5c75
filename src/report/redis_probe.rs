//! Renders what a probe read from a live Redis server.

use crate::db::redis::RedisFacts;

fn row(out: &mut String, label: &str, value: impl std::fmt::Display, note: &str) {
    let line = format!("  {label:<30}{value:>7}");
    if note.is_empty() {
        out.push_str(&format!("{line}\n"));
    } else {
        out.push_str(&format!("{line}  {note}\n"));
    }
}

/// The human report.
pub fn human(f: &RedisFacts) -> String {
    let c = &f.connected;
    let host = if c.host.contains(':') {
        format!("[{}]", c.host)
    } else {
        c.host.clone()
    };
    let tls = if c.tls { " over TLS" } else { "" };
    let mode = if f.mode == "standalone" {
        String::new()
    } else {
        format!(" ({})", f.mode)
    };
    let mut out = format!(
        "Redis {}{mode} at {host}:{}{tls}, db {} as {}\n\n",
        f.server_version, c.port, c.db, c.user
    );
    out.push_str("Client slots\n");
    match &f.maxclients {
        Some(m) => row(&mut out, "maxclients", m.value, &format!("({})", m.source)),
        None => row(&mut out, "maxclients", "unknown", ""),
    }
    row(&mut out, "in use now (other clients)", f.in_use, "");
    if f.cluster_connections > 0 {
        row(
            &mut out,
            "cluster bus connections",
            f.cluster_connections,
            "",
        );
    }
    match f.free {
        Some(n) => row(&mut out, "free", n, ""),
        None => row(&mut out, "free", "unknown", ""),
    }
    row(&mut out, "blocked clients", f.blocked_clients, "");
    row(
        &mut out,
        "rejected connections",
        f.rejected_connections,
        "(at maxclients, since start)",
    );
    out.push_str("\nTimeouts\n");
    match f.timeout_s {
        Some(0) => row(&mut out, "timeout", "0", "(idle clients are never closed)"),
        Some(s) => row(
            &mut out,
            "timeout",
            format!("{s}s"),
            "(idle clients are closed after this)",
        ),
        None => row(&mut out, "timeout", "unknown", "(needs CONFIG GET)"),
    }
    out.push_str("\nClients by name and library\n");
    match &f.clients {
        None => out.push_str("  (CLIENT LIST is not allowed for this user)\n"),
        Some(g) if g.is_empty() => out.push_str("  (none besides this probe)\n"),
        Some(groups) => {
            out.push_str(&format!(
                "  {:>5}  {:>7}  {:<28} {}\n",
                "count", "blocked", "name", "library"
            ));
            for g in groups {
                let name = if g.name.is_empty() {
                    "(unnamed)"
                } else {
                    g.name.as_str()
                };
                let lib = if g.lib_name.is_empty() {
                    "(not set)"
                } else {
                    g.lib_name.as_str()
                };
                out.push_str(&format!(
                    "  {:>5}  {:>7}  {:<28} {lib}\n",
                    g.count, g.blocked, name
                ));
            }
        }
    }
    if let Some(e) = &f.config_error {
        let from = if f.maxclients.is_some() {
            "maxclients is INFO clients' figure"
        } else {
            "maxclients is unknown"
        };
        out.push_str(&format!(
            "\nnote: CONFIG GET was refused\n      ({}),\n      so {from} and the idle timeout is unknown;\n      grant the user +config|get to read both\n",
            crate::core::secrets::clip(e, 70)
        ));
    }
    if let Some(e) = &f.client_list_error {
        out.push_str(&format!(
            "\nnote: CLIENT LIST was refused\n      ({});\n      grant the user +client|list to see clients by name\n",
            crate::core::secrets::clip(e, 70)
        ));
    }
    out
}
