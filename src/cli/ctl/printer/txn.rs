//! Printer of `txn` (etcdctl 3.4's `Txn`).

use std::io::Write;

use super::protobuf::write_pb;
use super::{fields, json, simple, unsupported, OutputFormat, PrintError, Printer};
use crate::pb::etcdserverpb::TxnResponse;

impl Printer {
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
}
