//! PC204: statement cache or prepared statements through PgBouncer (transaction mode).

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::Origin;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let Some(pgb) = &svc.pool.pgbouncer else {
            continue;
        };
        if !pgb.value {
            continue;
        }
        // Prisma turns its own cache off in pgbouncer mode; only an explicit setting counts.
        let explicit = |o: &Origin| matches!(o, Origin::File { .. } | Origin::Set { .. });
        let cache = svc
            .pool
            .statement_cache
            .as_ref()
            .filter(|c| c.value > 0 && explicit(&c.origin));
        let prepared = svc
            .pool
            .prepared_statements
            .as_ref()
            .filter(|p| p.value && explicit(&p.origin));
        let mut f = match (cache, prepared) {
            (Some(c), _) => Finding::new(
                Code::PC204,
                format!("service `{}` caches {} prepared statements per connection while connecting through PgBouncer", svc.name, c.value),
                "set statement_cache_size=0, or run PgBouncer ≥ 1.21 with max_prepared_statements",
            )
            .cite(&c.origin, format!("statement cache {}", c.value)),
            (None, Some(p)) => Finding::new(
                Code::PC204,
                format!("service `{}` uses prepared statements while connecting through PgBouncer", svc.name),
                "set prepared_statements: false, or run PgBouncer ≥ 1.21 with max_prepared_statements",
            )
            .cite(&p.origin, "prepared statements on"),
            (None, None) => continue,
        };
        f = f.cite(&pgb.origin, "pgbouncer=true").service(&svc.name);
        out.push(f);
    }
    out
}
