//! PC105: a pool sized from the host's CPUs at run time.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::PoolMax;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let Some(m) = &svc.pool.max else { continue };
        let PoolMax::HostCpus { assumed } = m.value else {
            continue;
        };
        let mut f = Finding::new(
            Code::PC105,
            format!(
                "service `{}` has no explicit pool size, so {} sizes it from the host's CPUs; counted as {assumed} (assume_host_cpus)",
                svc.name,
                svc.pool.library.as_deref().unwrap_or("the library")
            ),
            "set the pool size explicitly (Prisma: ?connection_limit=N, pgx: pool_max_conns=N)",
        )
        .service(&svc.name);
        if let Some(url) = &svc.pool.url {
            f = f.cite(&url.origin, "connection URL without a pool size");
        }
        let stack = super::common::stack_note(svc.pool.stack.as_deref());
        out.push(f.cite(&m.origin, format!("pool size{stack}")));
    }
    out
}
