//! PC007: one pool setting given under two keys with different values.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::Setting;

/// Why the model takes `used` over `other`, in words.
fn why(used: &Setting, other: &Setting) -> &'static str {
    match (used.rank, other.rank) {
        (3, r) if r < 3 => "a parameter of the connection URL or string beats other keys",
        (2, 1) => "the library's own key beats a generic name",
        _ => "the later one wins",
    }
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        for c in &svc.pool.competing {
            let Some(other) = c.others.first() else {
                continue;
            };
            let u = &c.used;
            let mut f = Finding::new(
                Code::PC007,
                format!(
                    "service `{}` sets its {} twice: `{}` = {} and `{}` = {}; {} uses `{}` \
                     ({})",
                    svc.name,
                    c.concept.describe(),
                    u.key,
                    u.text,
                    other.key,
                    other.text,
                    u.library,
                    u.key,
                    why(u, other)
                ),
                format!(
                    "delete `{}` (or `{}`) so one key sets the {}",
                    other.key,
                    u.key,
                    c.concept.describe()
                ),
            )
            .cite(
                &other.origin,
                format!("not used: {} = {}", other.key, other.text),
            );
            for o in &c.others[1..] {
                f = f.cite(&o.origin, format!("not used: {} = {}", o.key, o.text));
            }
            out.push(
                f.cite(&u.origin, format!("used: {} = {}", u.key, u.text))
                    .service(&svc.name),
            );
        }
    }
    out
}
