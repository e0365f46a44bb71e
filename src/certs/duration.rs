//! Go durations (`time.ParseDuration`), the unit of every `expiry` in cfssl's JSON: `43800h`,
//! `8760h`, `1h30m`, `90m`, `1.5h`, `300s`. Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`; no days.

use std::time::Duration;

/// Parses a Go duration string into a [`Duration`].
///
/// Accepts what Go's `time.ParseDuration` accepts for non-negative values: a sequence of
/// decimal numbers (optionally with a fraction) each followed by a unit, or the bare `0`.
///
/// # Errors
/// A message naming the problem (`missing unit`, `unknown unit "d"`, `negative duration`,
/// `invalid duration`), meant to be prefixed with the field that held the value.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let orig = s;
    let mut s = s.trim();
    if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s.starts_with('-') {
        if s == "-0" {
            return Ok(Duration::ZERO);
        }
        return Err(format!("negative duration {orig:?}"));
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(format!("invalid duration {orig:?}"));
    }
    let mut total_nanos: f64 = 0.0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let num = &s[start..i];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(format!("invalid duration {orig:?}"));
        }
        let value: f64 = num
            .parse()
            .map_err(|_| format!("invalid duration {orig:?}"))?;
        let ustart = i;
        while i < s.len() && !s[i..].starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
        let unit = &s[ustart..i];
        let nanos_per: f64 = match unit {
            "" => return Err(format!("missing unit in duration {orig:?}")),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => return Err(format!("unknown unit {other:?} in duration {orig:?}")),
        };
        total_nanos += value * nanos_per;
    }
    if !total_nanos.is_finite() || total_nanos > u64::MAX as f64 {
        return Err(format!("invalid duration {orig:?}"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        assert_eq!(parse_go_duration("43800h"), Ok(h(43800)));
        assert_eq!(parse_go_duration("8760h"), Ok(h(8760)));
        assert_eq!(parse_go_duration("87600h"), Ok(h(87600)));
        assert_eq!(parse_go_duration("168h"), Ok(h(168)));
        assert_eq!(parse_go_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("8760h0m0s"), Ok(h(8760)));
        assert_eq!(parse_go_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_go_duration("2us"), Ok(Duration::from_micros(2)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_go_durations() {
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("10")
            .unwrap_err()
            .contains("missing unit"));
        assert!(parse_go_duration("365d")
            .unwrap_err()
            .contains("unknown unit \"d\""));
        assert!(parse_go_duration("-1h").unwrap_err().contains("negative"));
        assert!(parse_go_duration("h").is_err());
        assert!(parse_go_duration("1..2h").is_err());
    }
}
