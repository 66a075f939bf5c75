//! PC006: a pool key set on several lines of one .env file.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        for d in &svc.pool.duplicates {
            let Some(first) = d.ignored.first() else {
                continue;
            };
            let times = match d.ignored.len() + 1 {
                2 => "twice".to_string(),
                n => format!("{n} times"),
            };
            let mut f = Finding::new(
                Code::PC006,
                format!(
                    "`{}` is set {times} in one .env file; dotenv applies the last line, \
                     `{}`",
                    d.key, d.used.value
                ),
                format!("keep one `{}` line and delete the others", d.key),
            )
            .cite(
                &first.origin,
                format!("ignored: {} (a later line wins)", first.value),
            );
            for i in &d.ignored[1..] {
                f = f.cite(&i.origin, format!("ignored: {}", i.value));
            }
            out.push(
                f.cite(&d.used.origin, format!("used: {}", d.used.value))
                    .service(&svc.name),
            );
        }
    }
    out
}
