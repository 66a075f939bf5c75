//! Renders what a probe read from a live PostgreSQL server.

use crate::db::postgres::ServerFacts;

fn lim(v: Option<i32>) -> String {
    v.map_or("unlimited".into(), |n| n.to_string())
}

/// The human report.
pub fn human(f: &ServerFacts) -> String {
    let c = &f.connected;
    let at = if c.host.starts_with('/') {
        format!("socket {}/.s.PGSQL.{}", c.host, c.port)
    } else if c.host.contains(':') {
        format!("[{}]:{}", c.host, c.port)
    } else {
        format!("{}:{}", c.host, c.port)
    };
    let mut out = format!(
        "PostgreSQL {} at {at}, database {} as {}\n\n",
        f.server_version, c.database, c.user
    );
    out.push_str("Connection slots\n");
    out.push_str(&format!(
        "  max_connections                 {:>6}\n",
        f.max_connections
    ));
    out.push_str(&format!(
        "  superuser_reserved_connections  {:>6}\n",
        f.superuser_reserved_connections
    ));
    if f.server_version_num >= 160000 {
        out.push_str(&format!(
            "  reserved_connections            {:>6}\n",
            f.reserved_connections
        ));
    }
    out.push_str(&format!(
        "  usable by ordinary roles        {:>6}\n",
        f.usable
    ));
    out.push_str(&format!(
        "  in use now (other sessions)     {:>6}\n",
        f.in_use
    ));
    out.push_str(&format!(
        "  free                            {:>6}\n",
        f.free
    ));
    out.push_str(&format!(
        "  idle in transaction             {:>6}\n",
        f.idle_in_transaction
    ));
    if let Some(age) = f.oldest_connection_age_s {
        out.push_str(&format!(
            "  oldest connection               {:>6}\n",
            crate::core::units::format_duration(std::time::Duration::from_secs_f64(age.max(0.0)))
        ));
    }
    out.push_str("\nLimits\n");
    out.push_str(&format!(
        "  role {:<28} CONNECTION LIMIT {}{}{}\n",
        f.role.name,
        lim(f.role.connection_limit),
        if f.role.superuser { ", superuser" } else { "" },
        if f.role.can_use_reserved {
            " (may use reserved slots)"
        } else {
            ""
        }
    ));
    out.push_str(&format!(
        "  database {:<24} CONNECTION LIMIT {}\n",
        f.database.name,
        lim(f.database.connection_limit)
    ));
    for r in &f.other_roles {
        out.push_str(&format!(
            "  role {:<28} CONNECTION LIMIT {}\n",
            r.name,
            lim(r.connection_limit)
        ));
    }
    for d in &f.other_databases {
        out.push_str(&format!(
            "  database {:<24} CONNECTION LIMIT {}\n",
            d.name,
            lim(d.connection_limit)
        ));
    }
    out.push_str("\nTimeouts\n");
    let s = &f.settings;
    out.push_str(&format!(
        "  statement_timeout                     {}\n",
        s.statement_timeout.value
    ));
    out.push_str(&format!(
        "  idle_in_transaction_session_timeout   {}\n",
        s.idle_in_transaction_session_timeout.value
    ));
    if let Some(i) = &s.idle_session_timeout {
        out.push_str(&format!(
            "  idle_session_timeout                  {}\n",
            i.value
        ));
    }
    out.push_str(&format!(
        "  tcp_keepalives_idle                   {}\n",
        s.tcp_keepalives_idle.value
    ));
    out.push_str("\nConnections by application\n");
    if f.connections.is_empty() {
        out.push_str("  (none besides this probe)\n");
    } else {
        out.push_str(&format!(
            "  {:>5}  {:<16} {:<16} {:<24} {}\n",
            "count", "database", "role", "application", "state"
        ));
        for c in &f.connections {
            let app = if c.application.is_empty() {
                "(unnamed)"
            } else {
                c.application.as_str()
            };
            out.push_str(&format!(
                "  {:>5}  {:<16} {:<16} {:<24} {}\n",
                c.count, c.database, c.role, app, c.state
            ));
        }
    }
    if !f.sees_all_sessions {
        out.push_str("\nnote: this role sees other roles' sessions without their state; grant pg_read_all_stats (or pg_monitor) for the full picture\n");
    }
    out
}
