//! PC401 and PC402: the services using one role (or database) can open more connections than
//! its CONNECTION LIMIT allows, whatever the server's free slots.

use super::common::cite_demand;
use crate::capacity::fleet::ServiceDemand;
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::Context;
use crate::model::{Service, Sourced};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    check_limits(
        ctx,
        Code::PC401,
        "role",
        |s| &s.role_limits,
        Service::effective_role,
    )
}

pub fn check_databases(ctx: &Context<'_>) -> Vec<Finding> {
    check_limits(
        ctx,
        Code::PC402,
        "database",
        |s| &s.database_limits,
        Service::effective_database,
    )
}

type Limits = Vec<(String, Sourced<Option<u32>>)>;

fn check_limits(
    ctx: &Context<'_>,
    code: Code,
    kind: &str,
    limits: fn(&crate::model::Server) -> &Limits,
    name_of: fn(&Service) -> Option<&str>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, server) in ctx.fleet.servers.iter().enumerate() {
        for (name, limit) in limits(server) {
            let Some(limit_n) = limit.value else { continue };
            let users: Vec<&ServiceDemand> = ctx.capacity[i]
                .services
                .iter()
                .filter(|d| name_of(&ctx.fleet.services[d.index]) == Some(name.as_str()))
                .collect();
            let demand = users.iter().fold(0u64, |a, d| a.saturating_add(d.demand));
            if users.is_empty() || demand <= u64::from(limit_n) {
                continue;
            }
            let names: Vec<&str> = users.iter().map(|s| s.name.as_str()).collect();
            let mut f = Finding::new(
                code,
                format!(
                    "services connecting as {kind} \"{name}\" ({}) can open {demand} connections but the {kind}'s CONNECTION LIMIT is {limit_n}; beyond it they get FATAL: too many connections for {kind} \"{name}\"",
                    names.join(", ")
                ),
                format!(
                    "raise the limit (ALTER {} {name} CONNECTION LIMIT {demand}) or lower the pools to fit {limit_n}",
                    kind.to_uppercase()
                ),
            )
            .server(&server.name);
            for d in &users {
                f = cite_demand(f, d, false);
            }
            out.push(f.cite(
                &limit.origin,
                format!("{kind} {name}: CONNECTION LIMIT {limit_n}"),
            ));
        }
    }
    out
}
