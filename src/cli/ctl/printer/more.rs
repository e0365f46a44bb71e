//! Printers for watch, lease, alarm and snapshot status (etcdctl 3.4's `Watch`, `Grant`,
//! `Revoke`, `KeepAlive`, `TimeToLive`, `Leases`, `Alarm` and `DBStatus`).
//!
//! etcdctl prints some of these as clientv3 wrapper structs rather than protobuf messages,
//! which shows in two places: the JSON of the lease answers flattens the header into the
//! object, and `-w protobuf` of `grant`, `keep-alive`, `timetolive` and `list` writes only
//! the encoded header (the wrapper's promoted `Marshal`).

use std::io::Write;

use prost::Message;

use super::{
    fields, json, simple, table, unsupported, write_pb, OutputFormat, PrintError, Printer,
};
use crate::pb::etcdserverpb::{
    AlarmResponse, LeaseGrantResponse, LeaseKeepAliveResponse, LeaseLeasesResponse,
    LeaseRevokeResponse, LeaseTimeToLiveResponse, ResponseHeader, WatchResponse,
};

/// What `snapshot status` reports about a snapshot file (clientv3/snapshot's `Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DbStatus {
    /// CRC-32 (Castagnoli) over every database name, key and value, in order.
    pub hash: u32,
    /// The store's current revision.
    pub revision: i64,
    /// Number of keys over all databases (buckets).
    pub total_key: u64,
    /// Size of the database image in bytes (without the sha256 trailer).
    pub total_size: u64,
}

/// etcdctl's `makeDBStatusTable` row: hex hash, revision, keys, humanized size.
pub(crate) fn db_status_row(s: &DbStatus) -> Vec<String> {
    vec![
        format!("{:x}", s.hash),
        s.revision.to_string(),
        s.total_key.to_string(),
        super::humanize_bytes(s.total_size),
    ]
}

fn write_header_pb(w: &mut dyn Write, h: Option<&ResponseHeader>) -> Result<(), PrintError> {
    if let Some(h) = h {
        w.write_all(&h.encode_to_vec())?;
    }
    Ok(())
}

impl Printer {
    /// Prints one watch response (events; nothing for an empty simple response).
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn watch(&self, w: &mut dyn Write, r: &WatchResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::watch(w, r, self.hex, self.value_only)?,
            OutputFormat::Json => writeln!(w, "{}", json::watch(r))?,
            OutputFormat::Fields => fields::watch(w, r)?,
            OutputFormat::Protobuf => {
                let m = WatchResponse {
                    header: Some(r.header.unwrap_or_default()),
                    events: r.events.clone(),
                    compact_revision: r.compact_revision,
                    canceled: r.canceled,
                    created: r.created,
                    ..Default::default()
                };
                write_pb(w, &m)?
            }
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `lease grant` answer (`lease 694d... granted with TTL(10s)`).
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn lease_grant(&self, w: &mut dyn Write, r: &LeaseGrantResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => {
                writeln!(w, "lease {:016x} granted with TTL({}s)", r.id, r.ttl)?
            }
            OutputFormat::Json => writeln!(w, "{}", json::lease_grant(r))?,
            OutputFormat::Fields => fields::lease_grant(w, r)?,
            OutputFormat::Protobuf => write_header_pb(w, r.header.as_ref())?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `lease revoke` answer for lease `id`.
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn lease_revoke(
        &self,
        w: &mut dyn Write,
        id: i64,
        r: &LeaseRevokeResponse,
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => writeln!(w, "lease {id:016x} revoked")?,
            OutputFormat::Json => writeln!(w, "{}", json::lease_revoke(r))?,
            OutputFormat::Fields => fields::lease_revoke(w, r)?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints one keep-alive answer (`lease ... keepalived with TTL(10)`).
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn lease_keep_alive(
        &self,
        w: &mut dyn Write,
        r: &LeaseKeepAliveResponse,
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => {
                writeln!(w, "lease {:016x} keepalived with TTL({})", r.id, r.ttl)?
            }
            OutputFormat::Json => writeln!(w, "{}", json::lease_keep_alive(r))?,
            OutputFormat::Fields => fields::lease_keep_alive(w, r)?,
            OutputFormat::Protobuf => write_header_pb(w, r.header.as_ref())?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `lease timetolive` answer; `keys` adds the attached keys to the simple line.
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn lease_time_to_live(
        &self,
        w: &mut dyn Write,
        r: &LeaseTimeToLiveResponse,
        keys: bool,
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => {
                if r.granted_ttl == 0 && r.ttl == -1 {
                    writeln!(w, "lease {:016x} already expired", r.id)?;
                } else {
                    let mut line = format!(
                        "lease {:016x} granted with TTL({}s), remaining({}s)",
                        r.id, r.granted_ttl, r.ttl
                    );
                    if keys {
                        let ks: Vec<String> = r
                            .keys
                            .iter()
                            .map(|k| String::from_utf8_lossy(k).into_owned())
                            .collect();
                        line.push_str(&format!(", attached keys([{}])", ks.join(" ")));
                    }
                    writeln!(w, "{line}")?;
                }
            }
            OutputFormat::Json => writeln!(w, "{}", json::lease_time_to_live(r))?,
            OutputFormat::Fields => fields::lease_time_to_live(w, r)?,
            OutputFormat::Protobuf => write_header_pb(w, r.header.as_ref())?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `lease list` answer (`found N leases` then one hex ID per line).
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn lease_leases(
        &self,
        w: &mut dyn Write,
        r: &LeaseLeasesResponse,
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => {
                writeln!(w, "found {} leases", r.leases.len())?;
                for l in &r.leases {
                    writeln!(w, "{:016x}", l.id)?;
                }
            }
            OutputFormat::Json => writeln!(w, "{}", json::lease_leases(r))?,
            OutputFormat::Fields => fields::lease_leases(w, r)?,
            OutputFormat::Protobuf => write_header_pb(w, r.header.as_ref())?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints an `alarm list` / `alarm disarm` answer.
    ///
    /// # Errors
    /// `table` is unsupported; I/O errors.
    pub fn alarm(&self, w: &mut dyn Write, r: &AlarmResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => simple::alarm(w, r)?,
            OutputFormat::Json => writeln!(w, "{}", json::alarm(r))?,
            OutputFormat::Fields => fields::alarm(w, r)?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints `snapshot status`.
    ///
    /// # Errors
    /// `protobuf` is unsupported; I/O errors.
    pub fn db_status(&self, w: &mut dyn Write, s: &DbStatus) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => writeln!(w, "{}", db_status_row(s).join(", "))?,
            OutputFormat::Json => writeln!(w, "{}", json::db_status(s))?,
            OutputFormat::Fields => fields::db_status(w, s)?,
            OutputFormat::Table => table::db_status(w, s)?,
            OutputFormat::Protobuf => return Err(unsupported(self.format)),
        }
        Ok(())
    }
}
