//! PC511: a pooler pool without a server-side limit (Odyssey's pool_size 0): every client
//! connection it accepts passes through to the server.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for cap in ctx.capacity {
        for p in &cap.poolers {
            for d in p.pools.iter().filter(|d| d.unbounded) {
                let pool = format!("{}/{}", d.database, d.user);
                let peak = if p.services.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {} at peak over {}",
                        u64::from(d.pool_size) * u64::from(p.instances()),
                        crate::core::text::count(p.instances() as usize, "instance")
                    )
                };
                let message = format!(
                    "pooler `{}` sets no server-side limit for pool {pool} (pool_size 0): every client connection it accepts becomes a connection to server `{}`{peak}",
                    p.name, cap.server
                );
                let help = format!(
                    "set pool_size in the route for {pool} to what `{}` can spare for it; clients beyond it then wait in the pooler",
                    cap.server
                );
                let mut f = Finding::new(Code::PC511, message, help);
                // A route that leaves pool_size out is where the fix goes; the default's
                // origin then says it is Odyssey's.
                if let Some(route) = d
                    .inputs
                    .route
                    .as_ref()
                    .filter(|_| d.inputs.size.location().is_none())
                {
                    f = f.cite(route, format!("route for {pool}: no pool_size"));
                }
                f = f.cite(&d.inputs.size, "pool_size 0: no limit");
                for s in &p.services {
                    f = super::common::cite_demand(f, s, false);
                }
                out.push(f.server(&cap.server));
            }
        }
    }
    out
}
