//! Printers of `endpoint health|status|hashkv` (etcdctl 3.4's `EndpointHealth`,
//! `EndpointStatus`, `EndpointHashKV`) and the rows they print.

use std::io::Write;

use super::{
    fields, humanize_bytes, json, simple, table, unsupported, OutputFormat, PrintError, Printer,
};
use crate::pb::etcdserverpb::{HashKvResponse, StatusResponse};

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

impl Printer {
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
