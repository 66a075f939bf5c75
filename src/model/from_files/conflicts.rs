//! Settings that fight each other: a key set twice in one .env file (PC006), and one pool
//! setting under different keys with different values (PC007). The model records both, with
//! which value wins, so the rules can say what the application actually reads.

use super::*;
use crate::core::secrets::redact_value;
use crate::model::{Competing, Duplicate, Setting};
use std::collections::HashMap;

/// Keys the dialects know that one .env file sets on several lines. Every dotenv loader in
/// use applies the last line: motdotla/dotenv (JavaScript,
/// <https://github.com/motdotla/dotenv/pull/931>), python-dotenv and bash's `source`
/// (<https://github.com/stackbuilders/dotenv-hs/issues/121>), phpdotenv since 3.4
/// (<https://github.com/vlucas/phpdotenv/issues/383>), and godotenv and Ruby's dotenv, which
/// fill a map line by line.
pub(super) fn duplicates(files: &[formats::env::EnvFile], dialects: &Dialects) -> Vec<Duplicate> {
    let mut out = Vec::new();
    for f in files {
        let mut by_key: HashMap<&str, Vec<&formats::env::EnvEntry>> = HashMap::new();
        let mut order = Vec::new();
        for e in &f.entries {
            let v = by_key.entry(e.key.as_str()).or_default();
            if v.is_empty() {
                order.push(e.key.as_str());
            }
            v.push(e);
        }
        for key in order {
            let entries = &by_key[key];
            if entries.len() < 2 || dialects.match_env(key).is_none() {
                continue;
            }
            let shown = |e: &formats::env::EnvEntry| {
                let text = e.value.as_deref().unwrap_or("");
                Sourced::new(
                    crate::core::secrets::clip(&redact_value(key, text), 40),
                    Origin::file(f.file, Span::new(e.key_span.start, e.raw_span.end)),
                )
            };
            let (last, earlier) = entries.split_last().expect("two or more");
            out.push(Duplicate {
                key: key.to_string(),
                used: shown(last),
                ignored: earlier.iter().map(|e| shown(e)).collect(),
            });
        }
    }
    out
}

/// Concepts where two values mean two different pools.
const COMPARED: &[Concept] = &[
    Concept::PoolMax,
    Concept::PoolOverflow,
    Concept::PoolMin,
    Concept::AcquireTimeout,
    Concept::IdleTimeout,
    Concept::MaxLifetime,
    Concept::ConnectTimeout,
    Concept::StatementCache,
];

/// Per concept, the latest value of each distinct key (the same key in a later file is
/// precedence, not a conflict); when two keys disagree, which one the model takes. `--set`
/// values are the user's answer, not a conflict in the files. A value an ERB tag computed
/// (`pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>`) is what the variables it reads feed,
/// so they do not compete with it.
pub(super) fn competing(
    obs: &[Observation],
    erb: &std::collections::HashSet<(FileId, usize)>,
) -> Vec<Competing> {
    let mut out = Vec::new();
    for &concept in COMPARED {
        let mut latest: Vec<&Observation> = Vec::new();
        for o in obs
            .iter()
            .filter(|o| o.concept == concept && o.rank < 4 && o.text.is_some())
        {
            let k = dialects::normalize(&o.key);
            match latest.iter_mut().find(|l| dialects::normalize(&l.key) == k) {
                Some(l) if o.order > l.order => *l = o,
                Some(_) => {}
                None => latest.push(o),
            }
        }
        if latest.len() < 2 {
            continue;
        }
        let Some(used) = latest.iter().copied().max_by_key(|o| (o.rank, o.order)) else {
            continue;
        };
        if used
            .origin
            .location()
            .is_some_and(|(file, span)| erb.contains(&(file, span.start)))
        {
            continue;
        }
        let others: Vec<&Observation> = latest
            .iter()
            .copied()
            .filter(|o| !std::ptr::eq(*o, used) && !same_value(o, used))
            .collect();
        if others.is_empty() {
            continue;
        }
        let setting = |o: &Observation| Setting {
            key: o.key.clone(),
            text: crate::core::secrets::clip(
                &redact_value(&o.key, o.text.as_deref().unwrap_or("").trim()),
                40,
            ),
            library: o.library.clone(),
            rank: o.rank,
            origin: o.origin.clone(),
        };
        out.push(Competing {
            concept,
            used: setting(used),
            others: others.into_iter().map(setting).collect(),
        });
    }
    out
}

/// Two values that come to the same setting: equal counts, or equal durations in each key's
/// own unit (`pool_timeout=10` and `DB_POOL_TIMEOUT_MS=10000`).
fn same_value(a: &Observation, b: &Observation) -> bool {
    let (Some(x), Some(y)) = (&a.text, &b.text) else {
        return false;
    };
    if x.trim() == y.trim() {
        return true;
    }
    if a.def.unit.is_duration() && b.def.unit.is_duration() {
        if let (Ok(p), Ok(q)) = (
            dialects::read_duration(x, &a.def),
            dialects::read_duration(y, &b.def),
        ) {
            return p == q;
        }
    }
    match (x.trim().parse::<i64>(), y.trim().parse::<i64>()) {
        (Ok(p), Ok(q)) => p == q,
        _ => false,
    }
}
