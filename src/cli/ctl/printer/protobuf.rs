//! The `protobuf` format: the gRPC answer's protobuf encoding, as etcdctl 3.4's `pbPrinter`
//! writes it (no framing, no newline).

use std::io::Write;

use prost::Message;

use super::PrintError;
use crate::pb::etcdserverpb::ResponseHeader;

/// Writes `m` encoded.
///
/// # Errors
/// I/O errors.
pub(super) fn write_pb(w: &mut dyn Write, m: &impl Message) -> Result<(), PrintError> {
    w.write_all(&m.encode_to_vec())?;
    Ok(())
}

/// Writes only the encoded header: what etcdctl prints for the clientv3 wrapper structs of
/// the lease answers (the wrapper's promoted `Marshal`); nothing without a header.
///
/// # Errors
/// I/O errors.
pub(super) fn write_header_pb(
    w: &mut dyn Write,
    h: Option<&ResponseHeader>,
) -> Result<(), PrintError> {
    if let Some(h) = h {
        w.write_all(&h.encode_to_vec())?;
    }
    Ok(())
}
