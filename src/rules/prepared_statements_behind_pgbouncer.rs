//! PC204: prepared statements or a statement cache through a pooler in transaction or
//! statement mode that does not carry them across server connections: either the URL says so
//! (`pgbouncer=true`) or the service is routed through a declared pooler whose mode and
//! support poolcheck knows (PgBouncer's version and max_prepared_statements; pgcat's
//! prepared_statements, off by default; PgDog's prepared_statements, "extended" by default).

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::input::formats::pgbouncer;
use crate::lint::Context;
use crate::model::{Origin, Pooler, PoolerKind, Service, Sourced};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        if let Some(p) = svc.via.and_then(|i| ctx.fleet.poolers.get(i)) {
            out.extend(through_pooler(svc, p));
            continue;
        }
        out.extend(url_flag(svc));
    }
    out
}

/// Prisma turns its own cache off in pgbouncer mode; only an explicit setting counts.
fn explicit(o: &Origin) -> bool {
    matches!(o, Origin::File { .. } | Origin::Set { .. })
}

/// What the service prepares: (its statement cache, its prepared statements), each only when
/// on. With `pgbouncer=true` (Prisma) only explicit settings count.
fn prepares(svc: &Service) -> (Option<&Sourced<u32>>, Option<&Sourced<bool>>) {
    let pgb_mode = svc.pool.pgbouncer.as_ref().is_some_and(|p| p.value);
    let counts = |o: &Origin| !pgb_mode || explicit(o);
    let cache = svc
        .pool
        .statement_cache
        .as_ref()
        .filter(|c| c.value > 0 && counts(&c.origin));
    let prepared = svc
        .pool
        .prepared_statements
        .as_ref()
        .filter(|p| p.value && counts(&p.origin));
    (cache, prepared)
}

fn url_flag(svc: &Service) -> Option<Finding> {
    let pgb = svc.pool.pgbouncer.as_ref().filter(|p| p.value)?;
    let f = match prepares(svc) {
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
        (None, None) => return None,
    };
    Some(f.cite(&pgb.origin, "pgbouncer=true").service(&svc.name))
}

/// Why a pooler does not carry prepared statements across server connections, and the value
/// that says so. pgcat and PgDog have switches of their own (src/model/pooler_session.rs);
/// PgBouncer's answer depends on its version and max_prepared_statements.
fn unsupported(p: &Pooler) -> Option<(String, Origin)> {
    if let Some((on, at)) = crate::model::pooler_session::prepares(p) {
        if on {
            return None;
        }
        let why = match p.kind {
            PoolerKind::Pgdog => "PgDog's prepared_statements is \"disabled\"",
            _ => "pgcat's prepared statement support is off (its default)",
        };
        let origin = at.unwrap_or_else(|| Origin::Default {
            note: "pgcat: prepared_statements false, prepared_statements_cache_size 0 \
                   (https://github.com/postgresml/pgcat/blob/main/CONFIG.md)"
                .into(),
        });
        return Some((why.to_string(), origin));
    }
    if p.kind != PoolerKind::Pgbouncer {
        return None;
    }
    let since = parse_version(&pgbouncer::data().pgbouncer.prepared_statements_since)?;
    let version = p.version_number();
    let mps = &p.settings.max_prepared_statements;
    if let (Some(v), Some(o)) = (version, &p.version) {
        if v < since {
            let why = format!(
                "PgBouncer {} predates prepared-statement support ({}.{})",
                o.value, since.0, since.1
            );
            return Some((why, o.origin.clone()));
        }
    }
    if mps.value == 0 {
        return Some(("max_prepared_statements is 0".into(), mps.origin.clone()));
    }
    // The default became 200 in 1.24.0; before, an absent key meant 0.
    if let (Some(v), Some(o), Origin::Default { .. }) = (version, &p.version, &mps.origin) {
        if v < (1, 24) {
            let why = format!(
                "max_prepared_statements is unset, which means 0 in PgBouncer {}",
                o.value
            );
            return Some((why, o.origin.clone()));
        }
    }
    None
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn through_pooler(svc: &Service, p: &Pooler) -> Option<Finding> {
    let mode = p.mode_for(svc.effective_database(), svc.effective_role());
    if !mode.value.shares_connections() {
        return None;
    }
    let (cache, prepared) = prepares(svc);
    if cache.is_none() && prepared.is_none() {
        return None;
    }
    let (why, why_origin) = unsupported(p)?;
    let lib = svc.pool.library.as_deref().unwrap_or("the client");
    let (what, fix, origin, label) = match (prepared, cache) {
        (Some(ps), _) => (
            "uses prepared statements".to_string(),
            if lib.starts_with("Rails") {
                "set prepared_statements: false in database.yml".to_string()
            } else {
                format!("turn prepared statements off in {lib}")
            },
            &ps.origin,
            "prepared statements on".to_string(),
        ),
        (None, Some(c)) => (
            format!("caches {} prepared statements per connection", c.value),
            "set its statement cache to 0 (statement_cache_size=0)".to_string(),
            &c.origin,
            format!("statement cache {}", c.value),
        ),
        (None, None) => return None,
    };
    let message = format!(
        "service `{}` {what} through pooler `{}` in {} mode, but {why}: a statement prepared on one server connection is missing on the next",
        svc.name,
        p.name,
        mode.value.word()
    );
    let help = match p.kind {
        PoolerKind::Pgcat => format!(
            "{fix}, or set prepared_statements = true and prepared_statements_cache_size = 500 in pgcat.toml [general]"
        ),
        PoolerKind::Pgdog => format!("{fix}, or set prepared_statements = \"extended\" in pgdog.toml"),
        _ => format!("{fix}, or set max_prepared_statements = 200 (PgBouncer ≥ 1.21 tracks them)"),
    };
    let mut f = Finding::new(Code::PC204, message, help);
    // A default (Rails prepares unless told not to) has no line: the URL that reaches the
    // pooler is where the service says it goes through it.
    if !explicit(origin) {
        if let Some(at) = &svc.pool.server_origin {
            f = f.cite(at, format!("connects through {}", p.name));
        }
    }
    f = f
        .cite(origin, label)
        .cite(&mode.origin, format!("pool_mode {}", mode.value.word()))
        .cite(&why_origin, why);
    Some(f.service(&svc.name))
}
