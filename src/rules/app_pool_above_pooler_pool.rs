//! PC503: in transaction or statement mode, one process's pool is larger than the pooler's
//! server-side pool it lands in: the extra client connections can only queue in the pooler.

use crate::capacity::pooler::pool_key;
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for cap in ctx.capacity {
        for pc in &cap.poolers {
            let pooler = &ctx.fleet.poolers[pc.index];
            for d in &pc.services {
                let svc = &ctx.fleet.services[d.index];
                let Some(per_process) = d.pool_max else {
                    continue;
                };
                let (db, user) = pool_key(pooler, svc);
                let Some(pool) = pc.pools.iter().find(|p| p.database == db && p.user == user)
                else {
                    continue;
                };
                let server = pool.pool_size + pool.reserve;
                if !pool.mode.shares_connections() || per_process <= server {
                    continue;
                }
                let message = format!(
                    "service `{}` opens up to {per_process} connections per process to pooler `{}`, whose pool {db}/{user} has {server} server connections per instance: in {} mode the other {} only queue in the pooler",
                    svc.name,
                    pc.name,
                    pool.mode.word(),
                    per_process - server
                );
                let help = format!(
                    "lower {}'s pool max to {server}, or raise pool_size for {db} if the server has the slots",
                    svc.name
                );
                let mut f = Finding::new(Code::PC503, message, help);
                if let Some(o) = &d.inputs.pool {
                    f = f.cite(o, format!("pool max {per_process}"));
                }
                f = f.cite(&pool.inputs.size, format!("pool_size {}", pool.pool_size));
                if pool.reserve > 0 {
                    f = f.cite(&pool.inputs.reserve, format!("+ {} reserve", pool.reserve));
                }
                f = f.cite(&pool.inputs.mode, format!("pool_mode {}", pool.mode.word()));
                out.push(f.service(&svc.name));
            }
        }
    }
    out
}
