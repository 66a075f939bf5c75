//! PC403: the live server already has few free slots.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::lint::{Context, Param};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let min_free = ctx.param(Param::MinFreePercent);
    let mut out = Vec::new();
    for server in &ctx.fleet.servers {
        let (Some(used), Some(usable)) = (&server.other_usage, server.usable()) else {
            continue;
        };
        if usable == 0 {
            continue;
        }
        let free = i64::from(usable) - i64::from(used.value);
        let pct = free as f64 * 100.0 / f64::from(usable);
        if pct >= min_free {
            continue;
        }
        let f = Finding::new(
            Code::PC403,
            format!(
                "server `{}` already has {} of {usable} usable slots in use by other applications ({pct:.0}% free, below {min_free}%)",
                server.name, used.value
            ),
            "find who holds the connections (poolcheck probe lists them by application) before deploying more",
        )
        .cite(&used.origin, format!("{} connections in use", used.value))
        .server(&server.name);
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Fleet, Origin, Server, Sourced};

    fn ctx_findings(used: u32) -> Vec<Finding> {
        let probe = |w: &str| Origin::Probe { what: w.into() };
        let fleet = Fleet {
            servers: vec![Server {
                name: "main".into(),
                max_connections: Some(Sourced::new(100, probe("max_connections"))),
                superuser_reserved: Some(Sourced::new(3, probe("superuser_reserved_connections"))),
                other_usage: Some(Sourced::new(used, probe("pg_stat_activity"))),
                ..Server::default()
            }],
            ..Fleet::default()
        };
        let capacity = crate::capacity::fleet::compute(&fleet);
        let settings = crate::lint::Settings::default();
        check(&Context {
            fleet: &fleet,
            capacity: &capacity,
            settings: &settings,
        })
    }

    #[test]
    fn warns_below_the_free_share() {
        // 97 usable: 90 in use leaves 7 (7%) < 10%.
        let f = ctx_findings(90);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("90 of 97"), "{}", f[0].message);
        assert!(f[0].notes[0].contains("live server"), "{:?}", f[0].notes);
        assert!(ctx_findings(80).is_empty());
    }
}
