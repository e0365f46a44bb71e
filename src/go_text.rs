//! Go's text forms that etcd, etcdctl and cfssl parse and print, shared by every layer (a
//! leaf: names no other module of the crate): `strconv.Quote` ([`go_quote`]) and
//! `time.ParseDuration` ([`parse_go_duration`], the syntax of etcd's duration flags, etcdctl's
//! timeouts, the JWT `ttl` option and cfssl's `expiry` fields).

use std::time::Duration;

/// Go's `strconv.Quote` / `%q` of a byte string (invalid UTF-8 as `\xNN`).
pub fn go_quote(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    out.push('"');
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if go_is_print(c) => out.push(c),
                c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push_str(&format!("\\U{:08x}", c as u32)),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

/// Approximation of Go's `strconv.IsPrint`: graphic characters and ASCII space.
fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Format characters (Cf) that Go treats as non-printable.
    !matches!(c as u32, 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x200b..=0x200f
        | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
        | 0xe000..=0xf8ff | 0xfffe | 0xffff)
}

/// Why a text is not a Go duration; displayed with Go's `time.ParseDuration` messages
/// (`time: invalid duration "x"`, `time: missing unit in duration "5"`,
/// `time: unknown unit "d" in duration "365d"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a sequence of `<number><unit>` (or too large for Go's 64-bit nanoseconds).
    #[error("time: invalid duration {}", go_quote(.0.as_bytes()))]
    Invalid(String),
    /// A number without a unit (other than the bare `0`).
    #[error("time: missing unit in duration {}", go_quote(.0.as_bytes()))]
    MissingUnit(String),
    /// A unit Go does not know (`d`, `w`, ...).
    #[error("time: unknown unit {} in duration {}", go_quote(.unit.as_bytes()), go_quote(.input.as_bytes()))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole text.
        input: String,
    },
    /// A negative duration: Go parses it, but nothing here takes one.
    #[error("time: negative duration {}", go_quote(.0.as_bytes()))]
    Negative(String),
}

/// Go's `time.ParseDuration` for durations that cannot be negative: an optional `+`, then one
/// or more decimal numbers (with an optional fraction: `1.5h`, `.5s`) each followed by a unit
/// (`ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`: no days), or the bare `0`. Like Go, nothing is
/// trimmed, the fraction below a nanosecond is truncated, and more than Go's 64-bit nanoseconds
/// (about 292 years) is invalid. `-0` (and any negative zero) is zero, as in Go.
///
/// # Errors
/// [`DurationError`], displayed as Go words it.
pub fn parse_go_duration(s: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(s.to_string());
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let int = &rest[..int_len];
        rest = &rest[int_len..];
        let frac = match rest.strip_prefix('.') {
            Some(r) => {
                let len = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
                rest = &r[len..];
                &r[..len]
            }
            None => "",
        };
        if int.is_empty() && frac.is_empty() {
            // No digits: Go's "time: invalid duration".
            return Err(invalid());
        }
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let per: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(DurationError::MissingUnit(s.to_string())),
            _ => {
                return Err(DurationError::UnknownUnit {
                    unit: unit.to_string(),
                    input: s.to_string(),
                })
            }
        };
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| invalid())?
        };
        // Fraction digits beyond what can matter for nanoseconds are dropped (Go stops
        // accumulating them too).
        let frac = &frac[..frac.len().min(30)];
        let part = if frac.is_empty() {
            0
        } else {
            let num: u128 = frac.parse().map_err(|_| invalid())?;
            num * per / 10u128.pow(u32::try_from(frac.len()).map_err(|_| invalid())?)
        };
        total = whole
            .checked_mul(per)
            .and_then(|w| w.checked_add(part))
            .and_then(|v| v.checked_add(total))
            .ok_or_else(invalid)?;
        if total > i64::MAX as u128 {
            return Err(invalid());
        }
    }
    if negative && total != 0 {
        return Err(DurationError::Negative(s.to_string()));
    }
    let nanos = u64::try_from(total).map_err(|_| invalid())?;
    Ok(Duration::from_nanos(nanos))
}

/// Go's `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`; anything
/// else is `None`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// An `io::Error` as Go's `syscall.Errno` prints it: the OS message without Rust's
/// ` (os error N)` suffix, first letter lower-cased (`no such file or directory`,
/// `connection refused`, `permission denied`).
pub fn io_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).to_string();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Duration {
        parse_go_duration(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn err(s: &str) -> String {
        parse_go_duration(s).expect_err(s).to_string()
    }

    #[test]
    fn go_duration_forms() {
        assert_eq!(ok("1h2m3.5s"), Duration::from_millis(3_723_500));
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("1us"), Duration::from_micros(1));
        assert_eq!(ok("1µs"), Duration::from_micros(1));
        assert_eq!(ok("1μs"), Duration::from_micros(1));
        assert_eq!(ok("7ns"), Duration::from_nanos(7));
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("+0"), Duration::ZERO);
        assert_eq!(ok("-0"), Duration::ZERO);
        assert_eq!(ok("0s"), Duration::ZERO);
        assert_eq!(ok("+5s"), Duration::from_secs(5));
        assert_eq!(ok("1.5h"), Duration::from_secs(5400));
        assert_eq!(ok(".5s"), Duration::from_millis(500));
        assert_eq!(ok("1.s"), Duration::from_secs(1));
        assert_eq!(ok("8760h0m0s"), Duration::from_secs(8760 * 3600));
        assert_eq!(ok("87600h"), Duration::from_secs(87600 * 3600));
        // cfssl's expiries.
        assert_eq!(ok("43800h"), Duration::from_secs(43800 * 3600));
        assert_eq!(ok("168h"), Duration::from_secs(168 * 3600));
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("1.0000000015s"), Duration::from_nanos(1_000_000_001));
        // Go's largest duration: 2^63-1 ns.
        assert_eq!(
            ok("2562047h47m16.854775807s"),
            Duration::from_nanos(i64::MAX as u64)
        );
    }

    #[test]
    fn bad_go_durations_fail_with_go_messages() {
        assert_eq!(err(""), r#"time: invalid duration """#);
        assert_eq!(err("ten"), r#"time: invalid duration "ten""#);
        assert_eq!(err("h"), r#"time: invalid duration "h""#);
        assert_eq!(err("."), r#"time: invalid duration ".""#);
        assert_eq!(err(".s"), r#"time: invalid duration ".s""#);
        assert_eq!(err(" 5s"), r#"time: invalid duration " 5s""#);
        assert_eq!(err("5"), r#"time: missing unit in duration "5""#);
        assert_eq!(err("00"), r#"time: missing unit in duration "00""#);
        assert_eq!(err("1h5"), r#"time: missing unit in duration "1h5""#);
        assert_eq!(err("365d"), r#"time: unknown unit "d" in duration "365d""#);
        assert_eq!(err("5s "), r#"time: unknown unit "s " in duration "5s ""#);
        assert_eq!(err("1..2h"), r#"time: missing unit in duration "1..2h""#);
        assert_eq!(err("-1h"), r#"time: negative duration "-1h""#);
        assert_eq!(
            err("2562047h47m16.854775808s"),
            r#"time: invalid duration "2562047h47m16.854775808s""#
        );
        assert_eq!(
            err("99999999999999999999999h"),
            r#"time: invalid duration "99999999999999999999999h""#
        );
    }

    #[test]
    fn go_quote_escapes_like_strconv() {
        assert_eq!(go_quote(b"a\"b"), r#""a\"b""#);
        assert_eq!(go_quote(b"\n\x01\xff"), r#""\n\x01\xff""#);
        assert_eq!(go_quote("µ".as_bytes()), "\"µ\"");
    }

    #[test]
    fn io_errors_read_as_go_prints_them() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_error_text(&e), "no such file or directory");
        let e = std::io::Error::from_raw_os_error(111);
        assert_eq!(io_error_text(&e), "connection refused");
    }
}
