//! PC003: a pool max set from a secret or an unresolved reference.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::PoolMax;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        match &svc.pool.max {
            Some(m) if m.value == PoolMax::Unknown => {
                let erb: Vec<&String> = svc
                    .pool
                    .unevaluated
                    .iter()
                    .filter(|u| u.origin.location() == m.origin.location())
                    .map(|u| &u.value)
                    .collect();
                let from = if erb.is_empty() {
                    "a secret or an unresolved reference"
                } else {
                    "an expression poolcheck cannot resolve (ERB, a placeholder)"
                };
                let mut f = Finding::new(
                    Code::PC003,
                    format!("service `{}`'s pool max comes from {from}; capacity counts it as unknown, not zero", svc.name),
                    "set the pool size as a literal value, or tell poolcheck with --set KEY=N",
                )
                .cite(&m.origin, "pool max set here, value unknown")
                .service(&svc.name);
                f.notes.extend(erb.into_iter().cloned());
                out.push(f);
            }
            // An unreadable value is PC002's finding at its line; saying "no pool max" too
            // would repeat it without a location.
            None if svc.pool.max_invalid => {}
            // Nothing set and no stack known: PC012's information, not a warning.
            None if super::no_pool_configuration::applies(svc) => {}
            // Keys several libraries read and nothing to choose between them: PC011 says
            // which libraries and how to declare the stack.
            None if super::ambiguous_stack::applies(svc) => {}
            None => out.push(
                Finding::new(
                    Code::PC003,
                    format!("service `{}` sets no pool max poolcheck recognises and its library is unknown", svc.name),
                    "set the pool size with a key poolcheck knows (DB_POOL_SIZE, connection_limit, maximum-pool-size…) or map your key under [keys] in poolcheck.toml",
                )
                .service(&svc.name),
            ),
            _ => {}
        }
    }
    out
}
