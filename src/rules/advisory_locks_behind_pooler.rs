//! PC507: Rails migrations take a session-level advisory lock (ActiveRecord's `advisory_locks`,
//! on by default) through a pooler in transaction or statement mode, where the lock and its
//! release can run on different server connections: PgBouncer's "Session-level advisory
//! locks" are "Never" supported (<https://www.pgbouncer.org/features.html>), and so for every
//! pooler that does not pin the connection on a lock (src/model/pooler_session.rs).

use super::common::{cite_route, sharing_pooler};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::Origin;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let Some(locks) = svc.pool.advisory_locks.as_ref().filter(|l| l.value) else {
            continue;
        };
        let Some((p, mode, keeps)) = sharing_pooler(ctx, svc) else {
            continue;
        };
        if keeps.advisory_locks {
            continue;
        }
        let message = format!(
            "`{}`'s migration advisory lock is lost in `{}`'s {} mode",
            svc.name,
            p.name,
            mode.value.word()
        );
        let help = "set advisory_locks: false in database.yml, or migrate direct to the server";
        let mut f = Finding::new(Code::PC507, message, help);
        // An explicit `advisory_locks: true` is the line to change; the default has none, and
        // the URL that reaches the pooler is where the service says it goes through it.
        let label = match &locks.origin {
            Origin::File { .. } => "advisory_locks: true",
            _ => "advisory locks on",
        };
        if locks.origin.location().is_some() {
            f = f.cite(&locks.origin, label);
        }
        f = cite_route(f, svc, p, mode);
        if locks.origin.location().is_none() {
            f = f.cite(&locks.origin, label);
        }
        out.push(f.service(&svc.name));
    }
    out
}
