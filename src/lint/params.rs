//! Rule parameters as a type: a rule asks for `Param::MinHeadroomPercent`, never for a string
//! that could be misspelt. Defaults and ranges stay data in rules/*.toml; a test checks that
//! every parameter here is declared in its rule's file and the other way round.

use super::catalog;
use crate::core::code::Code;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Param {
    MinHeadroomPercent,
    MaxSeconds,
    MaxLifetimeSeconds,
    MinMillis,
    OversizeFactor,
    MinFreePercent,
}

impl Param {
    pub const ALL: &'static [Param] = &[
        Param::MinHeadroomPercent,
        Param::MaxSeconds,
        Param::MaxLifetimeSeconds,
        Param::MinMillis,
        Param::OversizeFactor,
        Param::MinFreePercent,
    ];

    /// The rule it belongs to and its name in that rule's file.
    pub fn key(self) -> (Code, &'static str) {
        match self {
            Param::MinHeadroomPercent => (Code::PC103, "min_headroom_percent"),
            Param::MaxSeconds => (Code::PC202, "max_seconds"),
            Param::MaxLifetimeSeconds => (Code::PC202, "max_lifetime_seconds"),
            Param::MinMillis => (Code::PC202, "min_millis"),
            Param::OversizeFactor => (Code::PC303, "oversize_factor"),
            Param::MinFreePercent => (Code::PC403, "min_free_percent"),
        }
    }

    pub fn of(code: Code, name: &str) -> Option<Param> {
        Param::ALL.iter().copied().find(|p| p.key() == (code, name))
    }

    /// The default from the rule's file. The catalogue test guarantees the declaration; a
    /// missing one would be NaN, which no threshold comparison passes, so nothing fires.
    pub fn default(self) -> f64 {
        let (code, name) = self.key();
        catalog::meta(code)
            .params
            .get(name)
            .map_or(f64::NAN, |p| p.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_param_is_declared_in_its_rule_file_and_back() {
        for p in Param::ALL {
            let (code, name) = p.key();
            assert!(
                catalog::meta(code).params.contains_key(name),
                "{code} declares no {name}"
            );
            assert!(p.default().is_finite());
        }
        for r in catalog::all() {
            for name in r.params.keys() {
                assert!(
                    Param::of(r.id(), name).is_some(),
                    "{} {name} has no Param",
                    r.code
                );
            }
        }
    }
}
