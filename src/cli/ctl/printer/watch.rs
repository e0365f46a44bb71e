//! Printer of `watch` responses (etcdctl 3.4's `Watch`).

use std::io::Write;

use super::protobuf::write_pb;
use super::{fields, json, simple, unsupported, OutputFormat, PrintError, Printer};
use crate::pb::etcdserverpb::WatchResponse;

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
}
