//! Printers of `lease grant|revoke|keep-alive|timetolive|list` (etcdctl 3.4's `Grant`,
//! `Revoke`, `KeepAlive`, `TimeToLive`, `Leases`).
//!
//! etcdctl prints these as clientv3 wrapper structs rather than protobuf messages, which shows
//! in two places: the JSON flattens the header into the object, and `-w protobuf` of `grant`,
//! `keep-alive`, `timetolive` and `list` writes only the encoded header (the wrapper's promoted
//! `Marshal`).

use std::io::Write;

use super::protobuf::{write_header_pb, write_pb};
use super::{fields, json, unsupported, OutputFormat, PrintError, Printer};
use crate::pb::etcdserverpb::{
    LeaseGrantResponse, LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseRevokeResponse,
    LeaseTimeToLiveResponse,
};

impl Printer {
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
}
