//! Printer of `alarm list|disarm` (etcdctl 3.4's `Alarm`).

use std::io::Write;

use super::protobuf::write_pb;
use super::{fields, json, simple, unsupported, OutputFormat, PrintError, Printer};
use crate::pb::etcdserverpb::AlarmResponse;

impl Printer {
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
}
