//! etcdctl v3.4 output printers: `simple`, `json`, `fields`, `table`, `protobuf`.
//!
//! Every printer writes to a `&mut dyn Write` given by the caller (no global printer) and
//! reproduces etcdctl 3.4's bytes exactly; the golden strings in the tests were captured from
//! the real etcdctl 3.4.23. A format that etcdctl does not support for a command returns
//! [`PrintError::Unsupported`], which the command turns into etcdctl's
//! `Error: <format> not supported as output format` (exit 4).
//!
//! Layout: one file per format (`simple`, `json`, `fields`, `table`, `protobuf`) does the
//! formatting; one file per etcdctl topic (`kv`, `txn`, `watch`, `lease`, `member`,
//! `endpoint`, `snapshot`, `maintenance`) holds the [`Printer`] methods that choose, per
//! command, which format function runs and which formats are unsupported. This file holds the
//! shared types and Go's number, duration and string notations.

mod endpoint;
pub mod fields;
pub mod json;
mod kv;
mod lease;
mod maintenance;
mod member;
mod protobuf;
pub mod simple;
mod snapshot;
pub mod table;
mod txn;
mod watch;

use std::io;
use std::time::Duration;

pub use crate::go_text::go_quote;
pub(crate) use endpoint::status_rows;
pub use endpoint::{EpHashKv, EpHealth, EpStatus};
pub(crate) use member::member_rows;
pub use member::PROMOTE_PANIC;
pub(crate) use snapshot::db_status_row;
pub use snapshot::DbStatus;

/// The `-w/--write-out` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable lines (default).
    Simple,
    /// Go `encoding/json` of the gRPC response (bytes in base64).
    Json,
    /// `"Name" : value` lines.
    Fields,
    /// ASCII tables (member list, endpoint commands only).
    Table,
    /// The raw protobuf encoding of the gRPC response.
    Protobuf,
}

impl OutputFormat {
    /// Parses etcdctl's format names; `None` for an unknown name.
    pub fn parse(s: &str) -> Option<OutputFormat> {
        Some(match s {
            "simple" => OutputFormat::Simple,
            "json" => OutputFormat::Json,
            "fields" => OutputFormat::Fields,
            "table" => OutputFormat::Table,
            "protobuf" => OutputFormat::Protobuf,
            _ => return None,
        })
    }

    /// The name as etcdctl spells it.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Simple => "simple",
            OutputFormat::Json => "json",
            OutputFormat::Fields => "fields",
            OutputFormat::Table => "table",
            OutputFormat::Protobuf => "protobuf",
        }
    }
}

/// Why printing failed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// etcdctl does not support this format for this command (message is etcdctl's).
    #[error("{0} not supported as output format")]
    Unsupported(&'static str),
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A configured printer: the format plus the `--hex` and `--print-value-only` switches.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Output format.
    pub format: OutputFormat,
    /// `--hex`: print keys and values as `\xNN` escapes (simple format only, as etcdctl).
    pub hex: bool,
    /// `--print-value-only`: omit keys (simple format only).
    pub value_only: bool,
}

fn unsupported(f: OutputFormat) -> PrintError {
    PrintError::Unsupported(f.name())
}

impl Printer {
    /// A printer for `format` with `--hex` and `--print-value-only` off.
    pub fn new(format: OutputFormat) -> Printer {
        Printer {
            format,
            hex: false,
            value_only: false,
        }
    }
}

/// go-humanize's `Bytes`: SI units (`20 kB`, `1.5 MB`), one decimal below 10.
pub fn humanize_bytes(s: u64) -> String {
    const SIZES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if s < 10 {
        return format!("{s} B");
    }
    let sf = s as f64;
    let e = (sf.ln() / 1000f64.ln()).floor();
    let idx = (e as usize).min(SIZES.len() - 1);
    let val = (sf / 1000f64.powf(e) * 10.0 + 0.5).floor() / 10.0;
    if val < 10.0 {
        format!("{} {}", go_fmt_fixed(val, 1), SIZES[idx])
    } else {
        format!("{} {}", go_fmt_fixed(val, 0), SIZES[idx])
    }
}

/// Go's `%.Nf`: round half to even on the exact binary value.
fn go_fmt_fixed(v: f64, prec: usize) -> String {
    // Rust's formatting also rounds the exact binary value half-to-even.
    format!("{v:.prec$}")
}

/// Go's `time.Duration.String()` (e.g. `1.890332ms`, `1.001364556s`, `2m3.5s`).
pub fn go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_string();
    }
    let frac = |v: u128, unit: u128| -> String {
        let int = v / unit;
        let rem = v % unit;
        if rem == 0 {
            return int.to_string();
        }
        let width = unit.to_string().len() - 1;
        let digits = format!("{rem:0width$}");
        format!("{int}.{}", digits.trim_end_matches('0'))
    };
    if ns < 1_000 {
        return format!("{ns}ns");
    }
    if ns < 1_000_000 {
        return format!("{}µs", frac(ns, 1_000));
    }
    if ns < 1_000_000_000 {
        return format!("{}ms", frac(ns, 1_000_000));
    }
    let secs_total = ns / 1_000_000_000;
    let h = secs_total / 3600;
    let m = (secs_total % 3600) / 60;
    let s_ns = ns - (h * 3600 + m * 60) * 1_000_000_000;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", frac(s_ns, 1_000_000_000)));
    out
}

/// etcdctl's `--hex` rendering: every byte as `\xNN`.
pub fn hex_escape(b: &[u8]) -> String {
    b.iter().map(|x| format!("\\x{x:02x}")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn humanize_matches_go() {
        assert_eq!(humanize_bytes(20480), "20 kB");
        assert_eq!(humanize_bytes(5), "5 B");
        assert_eq!(humanize_bytes(1500), "1.5 kB");
        assert_eq!(humanize_bytes(25_000), "25 kB");
        assert_eq!(humanize_bytes(1_234_567), "1.2 MB");
    }

    #[test]
    fn duration_matches_go() {
        assert_eq!(go_duration(Duration::from_nanos(1_890_332)), "1.890332ms");
        assert_eq!(
            go_duration(Duration::from_nanos(1_001_364_556)),
            "1.001364556s"
        );
        assert_eq!(go_duration(Duration::from_nanos(999)), "999ns");
        assert_eq!(go_duration(Duration::from_nanos(1_500)), "1.5µs");
        assert_eq!(go_duration(Duration::from_secs(123)), "2m3s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }

    #[test]
    fn quote_matches_go() {
        assert_eq!(go_quote(b"a b"), "\"a b\"");
        assert_eq!(go_quote(b"v\n\"\\"), "\"v\\n\\\"\\\\\"");
        assert_eq!(go_quote(b"\x00\xff"), "\"\\x00\\xff\"");
        assert_eq!(go_quote("é".as_bytes()), "\"é\"");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod golden_tests;
