//! `poolcheck probe` of a PgBouncer admin console, for a terminal: its settings, then one line
//! per database and per pool.

use crate::db::pgbouncer::PoolerFacts;
use std::collections::BTreeMap;

/// The facts for a terminal.
pub fn human(f: &PoolerFacts) -> String {
    let mut out = format!(
        "pooler {}: {}\n",
        f.target,
        f.version.as_deref().unwrap_or("version unknown")
    );
    for (k, v) in &f.config {
        out.push_str(&format!("  {k} = {v}\n"));
    }
    let get = |r: &BTreeMap<String, String>, k: &str| r.get(k).cloned().unwrap_or_default();
    for d in &f.databases {
        out.push_str(&format!(
            "database {} → {}:{}/{}: pool_size {}, reserve {}, mode {}, {} server connections{}\n",
            get(d, "name"),
            get(d, "host"),
            get(d, "port"),
            get(d, "database"),
            get(d, "pool_size"),
            get(d, "reserve_pool"),
            if get(d, "pool_mode").is_empty() {
                "default".into()
            } else {
                get(d, "pool_mode")
            },
            get(d, "current_connections"),
            match get(d, "max_connections").as_str() {
                "" | "0" => String::new(),
                m => format!(" of max {m}"),
            },
        ));
    }
    for p in &f.pools {
        out.push_str(&format!(
            "pool {}/{}: clients {} active, {} waiting; server {} active, {} idle, {} used ({})\n",
            get(p, "database"),
            get(p, "user"),
            get(p, "cl_active"),
            get(p, "cl_waiting"),
            get(p, "sv_active"),
            get(p, "sv_idle"),
            get(p, "sv_used"),
            get(p, "pool_mode"),
        ));
    }
    out
}
