//! PC202: a duration whose number does not fit its key's unit (30000 "seconds", 30 "ms").

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::input::dialects::{Concept, Unit};
use crate::lint::{Context, Param};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let max_wait_s = ctx.param(Param::MaxSeconds);
    let max_life_s = ctx.param(Param::MaxLifetimeSeconds);
    let min_ms = ctx.param(Param::MinMillis);
    let mut out = Vec::new();
    for svc in &ctx.fleet.services {
        for raw in &svc.pool.raw {
            let Ok(v) = raw.text.trim().parse::<f64>() else {
                continue;
            };
            // A connection kept for hours is normal; a wait of hours is a unit slip.
            let max_s = match raw.concept {
                Concept::MaxLifetime | Concept::IdleTimeout => max_life_s,
                _ => max_wait_s,
            };
            let (bad, meant) = match raw.unit {
                Unit::Seconds if v > max_s => (
                    true,
                    format!("if you meant {} ms, write {}", v, trim(v / 1000.0)),
                ),
                Unit::Millis if v > 0.0 && v < min_ms => (
                    true,
                    format!("if you meant {v} s, write {}", trim(v * 1000.0)),
                ),
                _ => (false, String::new()),
            };
            if !bad {
                continue;
            }
            let secs = if raw.unit == Unit::Millis {
                v / 1000.0
            } else {
                v
            };
            // Out-of-range numbers were already refused where they were read (PC002).
            let Ok(d) = crate::core::units::duration_from_secs(secs) else {
                continue;
            };
            let as_dur = crate::core::units::format_duration(d);
            out.push(
                Finding::new(
                    Code::PC202,
                    format!(
                        "{} `{}` = {} is in {} for {}, i.e. {as_dur}; that is implausible for {}",
                        raw.concept.describe(),
                        raw.key,
                        raw.text.trim(),
                        raw.unit.name(),
                        raw.library,
                        crate::core::text::with_article(raw.concept.describe())
                    ),
                    format!("write the value in {}: {meant}", raw.unit.name()),
                )
                .cite(
                    &raw.origin,
                    format!("{} {} = {as_dur}", raw.text.trim(), raw.unit.name()),
                )
                .service(&svc.name),
            );
        }
    }
    out
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
