//! Durations as users write them on the command line and in poolcheck.toml.

use std::time::Duration;

/// Parses `40ms`, `10s`, `1.5s`, `2m`, `1h`, `250us`, `0` (zero needs no unit).
/// A bare number is rejected (except 0) because its unit is exactly what users get wrong.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(poolcheck::units::parse_duration("40ms"), Ok(Duration::from_millis(40)));
/// assert!(poolcheck::units::parse_duration("30").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{t}` has no unit; write e.g. `{t}ms` or `{t}s`"))?;
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{t}` is not a duration; write e.g. `40ms`, `10s` or `2m`"))?;
    let secs = match unit.trim() {
        "ns" => value / 1e9,
        "us" | "µs" => value / 1e6,
        "ms" => value / 1e3,
        "s" | "sec" | "secs" => value,
        "m" | "min" | "mins" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "`{t}` has an unknown unit `{other}`; use ns, us, ms, s, m or h"
            ))
        }
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("`{t}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
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
    }

    #[test]
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(30000)), "8h 20m");
        assert_eq!(format_duration(Duration::from_millis(40)), "40ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }
}
