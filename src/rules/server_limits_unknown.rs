//! PC004: no max_connections known, so the capacity rules cannot run.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, s) in ctx.fleet.servers.iter().enumerate() {
        if s.max_connections.is_some() || ctx.services_of(i).next().is_none() {
            continue;
        }
        let demand = ctx.capacity[i].demand;
        let mut f = Finding::new(
            Code::PC004,
            format!("server `{}`'s max_connections is unknown, so the fleet's {demand} connections at peak cannot be checked against it", s.name),
            "pass --max-connections N (and --reserved N), set max_connections under [servers] in poolcheck.toml, or use --probe URL",
        )
        .server(&s.name);
        for svc in ctx.services_of(i) {
            if let Some(m) = &svc.pool.max {
                f = f.cite(
                    &m.origin,
                    format!(
                        "{}: pool max{}",
                        svc.name,
                        super::common::stack_note(svc.pool.stack.as_deref())
                    ),
                );
            }
        }
        out.push(f);
    }
    out
}
