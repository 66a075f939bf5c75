//! Durations: the one grammar for flags, poolcheck.toml and Go-style settings, checked
//! conversions from user numbers, and the human form.

use std::time::Duration;

/// The longest duration poolcheck takes from any input: about 31 years. Larger numbers are
/// typos or hostile input, and std's conversions panic on values past u64 seconds.
pub const MAX_SECS: f64 = 1e9;

/// A duration value read through a key's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    Finite(Duration),
    Infinite,
}

/// Seconds as a [`Duration`], checked: never panics, whatever the number.
pub fn duration_from_secs(secs: f64) -> Result<Duration, String> {
    if secs.is_nan() {
        return Err("is not a number".into());
    }
    if secs < 0.0 {
        return Err("is negative".into());
    }
    if !secs.is_finite() || secs > MAX_SECS {
        return Err("is out of range (more than 31 years)".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Unit spellings of Go's time.ParseDuration, the grammar poolcheck also uses for its own flags.
const GO_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
];

/// Go's units plus the longer spellings people type on a command line.
const CLI_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("sec", 1.0),
    ("secs", 1.0),
    ("m", 60.0),
    ("min", 60.0),
    ("mins", 60.0),
    ("h", 3600.0),
];

/// The one duration grammar: a sequence of `<number><unit>` (`40ms`, `1h30m`), or `0`.
/// A bare number is rejected (except 0) because its unit is exactly what users get wrong.
fn parse_with(text: &str, units: &[(&str, f64)]) -> Result<Duration, String> {
    let t = text.trim();
    // Echoed values are clipped: a hostile file may hold megabytes on one line.
    let q = crate::core::secrets::clip(t, 48);
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let example = "write e.g. `40ms`, `10s`, `2m` or `1h30m`";
    if t.is_empty() {
        return Err(format!("an empty value is not a duration; {example}"));
    }
    let mut rest = t;
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return Err(format!("`{q}` is not a duration; {example}"));
        }
        let value: f64 = rest[..num_end]
            .parse()
            .map_err(|_| format!("`{q}` is not a duration; {example}"))?;
        rest = &rest[num_end..];
        if rest.is_empty() {
            return Err(if total == 0.0 && num_end == t.len() {
                format!("`{q}` has no unit; write e.g. `{q}ms` or `{q}s`")
            } else {
                format!("`{q}` ends without a unit; {example}")
            });
        }
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest[..unit_end].trim();
        let scale = units
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                format!("`{q}` has an unknown unit `{unit}`; use ns, us, ms, s, m or h")
            })?;
        total += value * scale;
        rest = &rest[unit_end..];
    }
    duration_from_secs(total).map_err(|e| format!("`{q}` {e}"))
}

/// Parses a duration as poolcheck's flags and poolcheck.toml take it: `40ms`, `10s`, `1.5s`,
/// `2m`, `1h30m`, `250us`, `0`.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(poolcheck::core::units::parse_duration("40ms"), Ok(Duration::from_millis(40)));
/// assert!(poolcheck::core::units::parse_duration("30").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse_with(text, CLI_UNITS)
}

/// Go's time.ParseDuration (pgx, Go database/sql settings): `30s`, `5m`, `1h30m`.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    parse_with(text, GO_UNITS)
        .map_err(|e| format!("{e} (a Go duration such as `30s`, `5m` or `1h30m`)"))
}

/// A Spring Boot `Duration` property (`spring.data.redis.lettuce.pool.max-wait`): `-1ms`,
/// `500ms`, `10s`, a plain number in milliseconds (`2000`), or ISO-8601 (`PT30S`, `PT1M30S`).
/// Returns whether it is negative (Spring's "block indefinitely") and its magnitude.
/// <https://docs.spring.io/spring-boot/reference/features/external-config.html#features.external-config.typesafe-configuration-properties.conversion.durations>
pub fn parse_spring_duration(text: &str) -> Result<(bool, Duration), String> {
    let t = text.trim();
    let q = crate::core::secrets::clip(t, 48);
    let bad =
        || format!("`{q}` is not a Spring duration; write e.g. `500ms`, `10s`, `2m` or `PT30S`");
    let (negative, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if let Some(iso) = body.strip_prefix(['P', 'p']) {
        let (days, time) = match iso.split_once(['T', 't']) {
            Some((d, t)) => (d, t),
            None => (iso, ""),
        };
        let mut secs = 0.0f64;
        let mut any = false;
        for (part, units) in [
            (days, &[('D', 86_400.0)][..]),
            (time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..]),
        ] {
            let mut rest = part;
            for (u, scale) in units {
                if rest.is_empty() {
                    break;
                }
                if let Some(at) = rest.find([*u, u.to_ascii_lowercase()]) {
                    let n: f64 = rest[..at].parse().map_err(|_| bad())?;
                    secs += n * scale;
                    rest = &rest[at + 1..];
                    any = true;
                }
            }
            if !rest.is_empty() {
                return Err(bad());
            }
        }
        if !any {
            return Err(bad());
        }
        return duration_from_secs(secs)
            .map(|d| (negative, d))
            .map_err(|e| format!("`{q}` {e}"));
    }
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad());
    }
    let n: f64 = body[..digits].parse().map_err(|_| bad())?;
    let scale = match &body[digits..] {
        "ns" => 1e-9,
        "us" => 1e-6,
        // Spring's default unit for a plain number is milliseconds.
        "" | "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(bad()),
    };
    duration_from_secs(n * scale)
        .map(|d| (negative, d))
        .map_err(|e| format!("`{q}` {e}"))
}

/// Human form of a duration, e.g. `8h 20m`, `30s`, `40ms`, `1.5ms`.
pub fn format_duration(d: Duration) -> String {
    let total = d.as_secs_f64();
    if total == 0.0 {
        return "0".into();
    }
    if total < 1e-3 {
        return format!("{}us", trim_float(total * 1e6));
    }
    if total < 1.0 {
        return format!("{}ms", trim_float(total * 1e3));
    }
    if total < 60.0 {
        return format!("{}s", trim_float(total));
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("40ms").unwrap(), Duration::from_millis(40));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("40").unwrap_err().contains("no unit"));
        assert!(parse_duration("4x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert!(parse_go_duration("30").is_err());
        assert!(parse_go_duration("5sec").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("1e309s").is_err());
    }

    #[test]
    fn spring_durations() {
        let p = parse_spring_duration;
        assert_eq!(p("-1ms"), Ok((true, Duration::from_millis(1))));
        assert_eq!(p("-1"), Ok((true, Duration::from_millis(1))));
        assert_eq!(p("2000"), Ok((false, Duration::from_secs(2))));
        assert_eq!(p("10s"), Ok((false, Duration::from_secs(10))));
        assert_eq!(p("2m"), Ok((false, Duration::from_secs(120))));
        assert_eq!(p("PT30S"), Ok((false, Duration::from_secs(30))));
        assert_eq!(p("PT1M30S"), Ok((false, Duration::from_secs(90))));
        assert_eq!(p("P1DT1H"), Ok((false, Duration::from_secs(90_000))));
        assert_eq!(p("PT0.5S"), Ok((false, Duration::from_millis(500))));
        for bad in ["", "ms", "10 sec", "1.5s", "PT", "PTxS", "P1H"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn conversions_from_user_numbers_never_panic() {
        for v in [
            f64::INFINITY,
            f64::NAN,
            -1.0,
            1.8446744073709552e19,
            1e300,
            1e10,
        ] {
            assert!(duration_from_secs(v).is_err(), "{v}");
        }
        assert_eq!(
            duration_from_secs(1.5).unwrap(),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(30000)), "8h 20m");
        assert_eq!(format_duration(Duration::from_millis(40)), "40ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }
}
