//! PC512: pgbouncer.ini turns on `so_reuseport`, which lets several PgBouncer processes listen
//! on one port with "the kernel distribute the connections automatically"
//! (<https://www.pgbouncer.org/config.html#so_reuseport>). Each process is a PgBouncer with its
//! own pools and its own max_client_conn, and how many run is not in the file: until
//! poolcheck.toml's `processes` says, both tiers are counted for one process per pod.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::Origin;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for cap in ctx.capacity {
        for pc in &cap.poolers {
            let Some(p) = ctx.fleet.poolers.get(pc.index) else {
                continue;
            };
            let Some(at) = &p.so_reuseport else { continue };
            if !matches!(p.processes.origin, Origin::Assumed { .. }) {
                continue;
            }
            let message = format!(
                "pooler `{}` sets so_reuseport: several PgBouncer processes may share its port, \
                 each with its own pools ({} server connections), and nothing says how many; \
                 counted as 1 per pod",
                p.name, pc.server_per_instance
            );
            let help = format!(
                "declare how many run: processes = N under [poolers.{}] in poolcheck.toml",
                p.name
            );
            let mut f = Finding::new(Code::PC512, message, help)
                .cite(at, "so_reuseport on: processes per pod unknown");
            if let Some(o) = &pc.inputs.replicas {
                f = f.cite(o, format!("× {} pods", pc.replicas));
            }
            out.push(f.server(&cap.server));
        }
    }
    out
}
