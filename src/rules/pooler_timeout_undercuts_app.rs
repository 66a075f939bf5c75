//! PC504: a pooler timeout that fires before the application's own: PgBouncer's
//! query_wait_timeout below the pool's acquire timeout, or its client_idle_timeout below the
//! pool's idle timeout or lifetime (the pool then hands out connections PgBouncer closed).

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::units::{format_duration, Timeout};
use crate::lint::Context;
use crate::model::Sourced;
use std::time::Duration;

fn longer(app: &Timeout, pooler: Duration) -> bool {
    match app {
        Timeout::Infinite => true,
        Timeout::Finite(d) => *d > pooler,
    }
}

fn words(t: &Timeout) -> String {
    match t {
        Timeout::Infinite => "forever".into(),
        Timeout::Finite(d) => format_duration(*d),
    }
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        let Some(p) = svc.via.and_then(|i| ctx.fleet.poolers.get(i)) else {
            continue;
        };
        let s = &p.settings;
        // Odyssey waits per route (pool_timeout); the others pooler-wide.
        let wait = p.query_wait_timeout_for(svc.effective_database(), svc.effective_role());
        if let (Timeout::Finite(qwt), Some(acq)) = (wait.value, &svc.pool.acquire_timeout) {
            // An acquire that waits forever is PC201's finding already.
            if acq.value != Timeout::Infinite && longer(&acq.value, qwt) {
                let message = format!(
                    "pooler `{}` drops a client that waits {} for a server connection (query_wait_timeout), while service `{}` waits {} for a pool connection: under load requests fail with the pooler's error, not the pool's timeout",
                    p.name,
                    format_duration(qwt),
                    svc.name,
                    words(&acq.value)
                );
                let help = format!(
                    "lower the service's acquire timeout below {}, or raise query_wait_timeout",
                    format_duration(qwt)
                );
                out.push(
                    Finding::new(Code::PC504, message, help)
                        .cite(
                            &acq.origin,
                            format!("acquire timeout {}", words(&acq.value)),
                        )
                        .cite(
                            &wait.origin,
                            format!("query_wait_timeout {}", format_duration(qwt)),
                        )
                        .service(&svc.name),
                );
            }
        }
        if let Timeout::Finite(cit) = s.client_idle_timeout.value {
            let app: Option<(&Sourced<Timeout>, &str)> = [
                (svc.pool.idle_timeout.as_ref(), "idle timeout"),
                (svc.pool.max_lifetime.as_ref(), "max lifetime"),
            ]
            .into_iter()
            .filter_map(|(t, n)| t.map(|t| (t, n)))
            .find(|(t, _)| longer(&t.value, cit));
            if let Some((t, name)) = app {
                let message = format!(
                    "pooler `{}` closes client connections idle for {} (client_idle_timeout), but service `{}` keeps idle connections for {} ({name}): its pool hands out connections the pooler has closed",
                    p.name,
                    format_duration(cit),
                    svc.name,
                    words(&t.value)
                );
                let help = format!(
                    "set the pool's idle timeout below {}, or client_idle_timeout = 0",
                    format_duration(cit)
                );
                out.push(
                    Finding::new(Code::PC504, message, help)
                        .cite(&t.origin, format!("{name} {}", words(&t.value)))
                        .cite(
                            &s.client_idle_timeout.origin,
                            format!("client_idle_timeout {}", format_duration(cit)),
                        )
                        .service(&svc.name),
                );
            }
        }
    }
    out
}
