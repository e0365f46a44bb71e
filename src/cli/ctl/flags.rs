//! Flag value parsers with Go's rules and error texts (pflag's `strconv.ParseBool`,
//! `strconv.ParseInt`, `time.ParseDuration`), shared by every command's clap arguments.

use std::time::Duration;

use super::printer;

/// Parses a Go boolean (`strconv.ParseBool`) for pflag-style `--flag[=bool]` flags.
pub(super) fn go_bool(s: &str) -> std::result::Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            printer::go_quote(s.as_bytes())
        )),
    }
}

/// Go's `strconv.ParseInt(s, base, 64)` with Go's error text.
pub fn go_parse_int(s: &str, base: u32) -> std::result::Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            printer::go_quote(s.as_bytes())
        ));
    }
    i64::from_str_radix(s, base).map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        format!(
            "strconv.ParseInt: parsing {}: {why}",
            printer::go_quote(s.as_bytes())
        )
    })
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
pub(super) fn go_int(s: &str) -> std::result::Result<i64, String> {
    go_parse_int(s, 10)
}

/// Go's `time.ParseDuration` (`2s`, `500ms`, `1m30s`, `1.5h`, `0`) as a clap value parser,
/// with Go's error text (etcdctl's `invalid argument "x" for "--dial-timeout" flag: time:
/// invalid duration "x"`); negative durations are rejected.
pub fn go_duration(s: &str) -> std::result::Result<Duration, String> {
    crate::go_text::parse_go_duration(s).map_err(|e| e.to_string())
}
