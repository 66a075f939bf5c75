//! PC506: a service asks a pooler for a database the pooler does not serve: no `[databases]`
//! entry (pgcat pool, PgDog database) by that name and no `*` fallback.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let Some(p) = svc.via.and_then(|i| ctx.fleet.poolers.get(i)) else {
            continue;
        };
        let Some(db) = svc.effective_database() else {
            continue;
        };
        let mut known: Vec<&str> = p.databases.iter().map(|d| d.name.as_str()).collect();
        known.extend(p.servers.iter().map(|s| s.cluster.as_str()));
        known.dedup();
        // A pooler whose entries poolcheck did not read (env-configured, declared only) is
        // not judged.
        if known.is_empty() || known.contains(&"*") || known.contains(&db) {
            continue;
        }
        let message = format!(
            "service `{}` asks pooler `{}` for database `{db}`, which it does not serve (it has: {}); every connection fails with \"no such database\"",
            svc.name,
            p.name,
            known.join(", ")
        );
        let help = format!(
            "connect to one of {} or add an entry for `{db}` (or `*`) to the pooler's databases",
            known.join(", ")
        );
        let mut f = Finding::new(Code::PC506, message, help);
        if let Some(at) = &svc.pool.server_origin {
            f = f.cite(at, format!("database {db}"));
        }
        if let Some(d) = p.databases.first() {
            f = f.cite(&d.origin, "the pooler's databases");
        } else if let Some(s) = p.servers.first() {
            f = f.cite(&s.origin, "the pooler's databases");
        }
        out.push(f.service(&svc.name));
    }
    out
}
