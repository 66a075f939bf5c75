//! PC012: a service whose files set no pool and whose stack is unknown. Nothing is wrong in
//! what poolcheck read; it only cannot count the service, so this is information, once per
//! service, and PC003 stays for pool settings that are there but cannot be read.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::Service;

/// No pool key at all and no library whose default would size the pool.
pub fn applies(svc: &Service) -> bool {
    svc.pool.max.is_none()
        && !svc.pool.max_invalid
        && svc.pool.library.is_none()
        && svc.pool.stack.is_none()
        && svc.pool.raw.is_empty()
        && svc.pool.overflow.is_none()
        && svc.pool.min.is_none()
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.fleet
        .services
        .iter()
        .filter(|s| applies(s))
        .map(|svc| {
            Finding::new(
                Code::PC012,
                format!(
                    "service `{}`: no pool configuration found and its stack is unknown, so its connections are not counted",
                    svc.name
                ),
                format!(
                    "set the pool size with a key poolcheck knows (DB_POOL_SIZE, connection_limit, maximum-pool-size…), or declare the stack with stack = \"…\" under [services.{}] in poolcheck.toml",
                    svc.name
                ),
            )
            .service(&svc.name)
        })
        .collect()
}
