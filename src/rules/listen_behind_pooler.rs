//! PC509: part of the stack LISTENs (Action Cable's postgresql adapter, GoodJob) through a
//! pooler in transaction or statement mode, where notifications go to a server connection the
//! client no longer holds: PgBouncer's "LISTEN" is "Never" supported
//! (<https://www.pgbouncer.org/features.html>), and so for every pooler without a pub/sub of
//! its own (PgDog's, src/model/pooler_session.rs). GoodJob's advisory locks are session-level
//! too.

use super::common::{cite_route, sharing_pooler};
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::session::StackFeature;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        if svc.pool.stack_uses.is_empty() {
            continue;
        }
        let Some((p, mode, keeps)) = sharing_pooler(ctx, svc) else {
            continue;
        };
        for u in &svc.pool.stack_uses {
            let locks = u.feature.takes_advisory_locks() && !keeps.advisory_locks;
            let what = match (keeps.listen, locks) {
                (false, true) => "LISTENs and locks",
                (false, false) => "LISTENs",
                (true, true) => "locks",
                (true, false) => continue,
            };
            let message = format!(
                "`{}`'s {} {what}, lost in `{}`'s {} mode",
                svc.name,
                u.feature.name(),
                p.name,
                mode.value.word()
            );
            let help = match u.feature {
                StackFeature::GoodJob => {
                    "give GoodJob a database.yml entry that connects to the server directly"
                }
                StackFeature::ActionCablePostgres => {
                    "use another adapter in config/cable.yml (redis, solid_cable)"
                }
            };
            let f = Finding::new(Code::PC509, message, help).cite(&u.origin, &u.evidence);
            out.push(cite_route(f, svc, p, mode).service(&svc.name));
        }
    }
    out
}
