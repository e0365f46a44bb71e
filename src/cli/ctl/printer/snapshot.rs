//! Printer of `snapshot status` (etcdctl 3.4's `DBStatus`) and the status it prints.

use std::io::Write;

use super::{fields, json, table, unsupported, OutputFormat, PrintError, Printer};

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

impl Printer {
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
