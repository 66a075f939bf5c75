//! Deployment environments by name: `--prod`, `--env staging`, Rails' `Rails.env`, the
//! `.env.production` of dotenv-flow. Teams spell the same environment two ways (`prod`,
//! `production`); poolcheck treats the usual pairs as one.

/// The environment checked when the command line names none: poolcheck judges what is
/// deployed.
pub const DEFAULT: &str = "production";

/// The long name of an environment (`prod` → `production`); other names as given.
pub fn canonical(name: &str) -> &str {
    match name {
        "prod" | "production" => "production",
        "dev" | "development" => "development",
        "stage" | "staging" => "staging",
        "test" | "testing" => "test",
        other => other,
    }
}

/// True for the usual environment names (both spellings).
pub fn known(name: &str) -> bool {
    matches!(
        name,
        "prod" | "production" | "dev" | "development" | "stage" | "staging" | "test" | "testing"
    )
}

/// True when two spellings name one environment.
pub fn same(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_names_are_one_environment() {
        assert!(same("prod", "production"));
        assert!(same("dev", "development"));
        assert!(!same("staging", "production"));
        assert_eq!(canonical("qa"), "qa");
    }
}
