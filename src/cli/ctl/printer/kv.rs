//! Printers of `get`, `put` and `del` (etcdctl 3.4's `Get`, `Put`, `Del`).

use std::io::Write;

use super::protobuf::write_pb;
use super::{fields, json, simple, unsupported, OutputFormat, PrintError, Printer};
use crate::pb::etcdserverpb::{DeleteRangeResponse, PutResponse, RangeResponse};

impl Printer {
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
}
