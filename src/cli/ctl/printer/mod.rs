//! etcdctl v3.4 output printers: `simple`, `json`, `fields`, `table`, `protobuf`.
//!
//! Every printer writes to a `&mut dyn Write` given by the caller (no global printer) and
//! reproduces etcdctl 3.4's bytes exactly; the golden strings in the tests were captured from
//! the real etcdctl 3.4.23. A format that etcdctl does not support for a command returns
//! [`PrintError::Unsupported`], which the command turns into etcdctl's
//! `Error: <format> not supported as output format` (exit 4).

pub mod fields;
pub mod json;
mod member;
mod more;
pub mod simple;
pub mod table;

use std::io::{self, Write};
use std::time::Duration;

use prost::Message;

pub use member::PROMOTE_PANIC;
pub(crate) use more::db_status_row;
pub use more::DbStatus;

use crate::pb::etcdserverpb::{
    DeleteRangeResponse, HashKvResponse, MemberListResponse, PutResponse, RangeResponse,
    StatusResponse, TxnResponse,
};

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

/// One row of `endpoint health` (etcdctl's `epHealth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpHealth {
    /// The endpoint as given on the command line.
    pub ep: String,
    /// Whether the health read succeeded.
    pub health: bool,
    /// Duration of the check in Go's `time.Duration` notation (e.g. `1.23ms`).
    pub took: String,
    /// Error message; empty when healthy.
    pub error: String,
}

/// One row of `endpoint status` (etcdctl's `epStatus`).
#[derive(Debug, Clone, PartialEq)]
pub struct EpStatus {
    /// The endpoint as given on the command line.
    pub ep: String,
    /// The `Maintenance.Status` answer of that endpoint.
    pub resp: StatusResponse,
}

/// One row of `endpoint hashkv` (etcdctl's `epHashKV`).
#[derive(Debug, Clone, PartialEq)]
pub struct EpHashKv {
    /// The endpoint as given on the command line.
    pub ep: String,
    /// The `Maintenance.HashKV` answer of that endpoint.
    pub resp: HashKvResponse,
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

fn write_pb(w: &mut dyn Write, m: &impl Message) -> Result<(), PrintError> {
    w.write_all(&m.encode_to_vec())?;
    Ok(())
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

    /// Prints a `get` answer.
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn get(&self, w: &mut dyn Write, r: &RangeResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::get(w, r, self.hex, self.value_only)?,
            OutputFormat::Json => writeln!(w, "{}", json::range(r))?,
            OutputFormat::Fields => fields::get(w, r)?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `put` answer.
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn put(&self, w: &mut dyn Write, r: &PutResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::put(w, r, self.hex, self.value_only)?,
            OutputFormat::Json => writeln!(w, "{}", json::put(r))?,
            OutputFormat::Fields => fields::put(w, r)?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `del` answer.
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn del(&self, w: &mut dyn Write, r: &DeleteRangeResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::del(w, r, self.hex, self.value_only)?,
            OutputFormat::Json => writeln!(w, "{}", json::del(r))?,
            OutputFormat::Fields => fields::del(w, r)?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `txn` answer.
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn txn(&self, w: &mut dyn Write, r: &TxnResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::txn(w, r, self.hex, self.value_only)?,
            OutputFormat::Json => writeln!(w, "{}", json::txn(r))?,
            OutputFormat::Fields => fields::txn(w, r)?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `member list` answer.
    ///
    /// # Errors
    /// I/O errors.
    pub fn member_list(&self, w: &mut dyn Write, r: &MemberListResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::member_list(w, r)?,
            OutputFormat::Json => writeln!(w, "{}", json::member_list(r))?,
            OutputFormat::Fields => fields::member_list(w, r)?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Table => table::member_list(w, r)?,
        }
        Ok(())
    }

    /// Prints `endpoint health` rows. The simple format writes to `err` (stderr), as etcdctl.
    ///
    /// # Errors
    /// `protobuf` is unsupported; I/O errors.
    pub fn endpoint_health(
        &self,
        out: &mut dyn Write,
        err: &mut dyn Write,
        hs: &[EpHealth],
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::endpoint_health(err, hs)?,
            OutputFormat::Json => writeln!(out, "{}", json::endpoint_health(hs))?,
            OutputFormat::Fields => fields::endpoint_health(out, hs)?,
            OutputFormat::Table => table::endpoint_health(out, hs)?,
            OutputFormat::Protobuf => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints `endpoint status` rows.
    ///
    /// # Errors
    /// `protobuf` is unsupported; I/O errors.
    pub fn endpoint_status(&self, w: &mut dyn Write, st: &[EpStatus]) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::endpoint_status(w, st)?,
            OutputFormat::Json => writeln!(w, "{}", json::endpoint_status(st))?,
            OutputFormat::Fields => fields::endpoint_status(w, st)?,
            OutputFormat::Table => table::endpoint_status(w, st)?,
            OutputFormat::Protobuf => return Err(unsupported(self.format)),
        }
        Ok(())
    }
}

impl Printer {
    /// Prints `endpoint hashkv` rows.
    ///
    /// # Errors
    /// `protobuf` is unsupported; I/O errors.
    pub fn endpoint_hashkv(&self, w: &mut dyn Write, hs: &[EpHashKv]) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => {
                for h in hs {
                    writeln!(w, "{}, {}", h.ep, h.resp.hash)?;
                }
            }
            OutputFormat::Json => writeln!(w, "{}", json::endpoint_hashkv(hs))?,
            OutputFormat::Fields => fields::endpoint_hashkv(w, hs)?,
            OutputFormat::Table => table::endpoint_hashkv(w, hs)?,
            OutputFormat::Protobuf => return Err(unsupported(self.format)),
        }
        Ok(())
    }
}

/// Rows of etcdctl's member table (`makeMemberListTable`), shared by simple and table.
pub(crate) fn member_rows(r: &MemberListResponse) -> Vec<Vec<String>> {
    r.members
        .iter()
        .map(|m| {
            vec![
                format!("{:x}", m.id),
                if m.name.is_empty() {
                    "unstarted"
                } else {
                    "started"
                }
                .to_string(),
                m.name.clone(),
                m.peer_ur_ls.join(","),
                m.client_ur_ls.join(","),
                m.is_learner.to_string(),
            ]
        })
        .collect()
}

/// Rows of etcdctl's status table (`makeEndpointStatusTable`), shared by simple and table.
pub(crate) fn status_rows(st: &[EpStatus]) -> Vec<Vec<String>> {
    st.iter()
        .map(|s| {
            let r = &s.resp;
            let member_id = r.header.as_ref().map(|h| h.member_id).unwrap_or(0);
            vec![
                s.ep.clone(),
                format!("{member_id:x}"),
                r.version.clone(),
                humanize_bytes(u64::try_from(r.db_size).unwrap_or(0)),
                (r.leader == member_id).to_string(),
                r.is_learner.to_string(),
                r.raft_term.to_string(),
                r.raft_index.to_string(),
                r.raft_applied_index.to_string(),
                r.errors.join(", "),
            ]
        })
        .collect()
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
