//! PC510: a pooler in statement mode serves a stack that runs multi-statement transactions
//! (ActiveRecord, SQLAlchemy, Prisma, HikariCP with autoCommit false). Statement pooling is
//! "transaction pooling with a twist: Multi-statement transactions are disallowed"
//! (PgBouncer, <https://www.pgbouncer.org/features.html>; PgDog: "clients are not allowed to
//! start explicit transactions", <https://docs.pgdog.dev/features/connection-pooler/transaction-mode/>;
//! Odyssey's `pool "statement"` likewise), so every such transaction fails. One finding per
//! pool_mode line, naming every service it refuses.

use super::common::sharing_pooler;
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::{Origin, PoolMode, Service};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    // (pooler index, pool_mode origin) → the services it refuses.
    let mut groups: Vec<(usize, &Origin, Vec<&Service>)> = Vec::new();
    for svc in &ctx.fleet.services {
        if !svc.pool.transactions.as_ref().is_some_and(|t| t.value) {
            continue;
        }
        let Some((_, mode, _)) = sharing_pooler(ctx, svc) else {
            continue;
        };
        let Some(via) = svc.via else { continue };
        if mode.value != PoolMode::Statement {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(i, o, _)| *i == via && **o == mode.origin)
        {
            Some((_, _, svcs)) => svcs.push(svc),
            None => groups.push((via, &mode.origin, vec![svc])),
        }
    }
    let mut out = Vec::new();
    for (via, mode_origin, svcs) in groups {
        let p = &ctx.fleet.poolers[via];
        let names: Vec<String> = svcs.iter().map(|s| format!("`{}`", s.name)).collect();
        let who = names.join(", ");
        let message = format!(
            "`{}`'s statement mode refuses the transactions of {who}",
            p.name
        );
        // Each pooler names the key its own way.
        let help = match p.kind {
            crate::model::PoolerKind::Pgdog => {
                "set pooler_mode = \"transaction\" for this database or user"
            }
            crate::model::PoolerKind::Odyssey => "set pool \"transaction\" in this route",
            _ => "set pool_mode = transaction for this database or user",
        };
        let mut f =
            Finding::new(Code::PC510, message, help).cite(mode_origin, "pool_mode statement");
        for s in &svcs {
            let lib = s.pool.library.as_deref().unwrap_or("the client");
            if let Some(t) = &s.pool.transactions {
                let label = match &t.origin {
                    Origin::File { .. } => format!("{}: autoCommit false", s.name),
                    _ => format!("{}: {lib} runs transactions", s.name),
                };
                f = f.cite(&t.origin, label);
            }
            if let Some(at) = &s.pool.server_origin {
                f = f.cite(at, format!("{} connects through {}", s.name, p.name));
            }
        }
        if svcs.len() == 1 {
            f = f.service(&svcs[0].name);
        }
        out.push(f);
    }
    out
}
