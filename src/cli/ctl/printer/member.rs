//! Printers of `member list`, the membership-changing commands
//! (`member add|remove|update|promote`) and `move-leader`, after `ctlv3/command/printer*.go` of etcdctl 3.4.23.
//!
//! What etcdctl does per format:
//! - `simple`: one line (`Member <%16x> added to cluster <%16x>`, `Leadership transferred from
//!   <id> to <id>`); `member add` then prints the `ETCD_*` block (see `cli::ctl::member`);
//! - `json` / `protobuf`: the gRPC response (`printerRPC`);
//! - `fields` / `table`: unsupported (`<format> not supported as output format`, exit 4), reported
//!   AFTER the change was made, as etcdctl does;
//! - `member promote` with any format but `simple`: etcdctl 3.4.23 has no `MemberPromote` in
//!   `printerRPC`, so the call lands on a nil embedded printer and the Go program panics (exit 2)
//!   after the promotion succeeded. We report the same panic line and exit code, see
//!   [`PROMOTE_PANIC`]. (Derived from the 3.4.23 source, `printer.go`; not yet exercised
//!   against a live, in-sync learner.)

use std::io::Write;

use super::protobuf::write_pb;
use super::{fields, json, simple, table, unsupported, OutputFormat, PrintError, Printer};
use crate::pb::etcdserverpb::{
    MemberAddResponse, MemberListResponse, MemberPromoteResponse, MemberRemoveResponse,
    MemberUpdateResponse, MoveLeaderResponse, ResponseHeader,
};

/// The first line Go prints when etcdctl 3.4.23 panics in `member promote -w <non-simple>`.
pub const PROMOTE_PANIC: &str =
    "panic: runtime error: invalid memory address or nil pointer dereference";

fn cluster_id(h: Option<&ResponseHeader>) -> u64 {
    h.map_or(0, |h| h.cluster_id)
}

impl Printer {
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

    /// Prints a `member add` answer (the simple format's first line only; the `ETCD_*` block is
    /// the command's).
    ///
    /// # Errors
    /// `fields` and `table` are unsupported; I/O errors.
    pub fn member_add(&self, w: &mut dyn Write, r: &MemberAddResponse) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => writeln!(
                w,
                "Member {:16x} added to cluster {:16x}",
                r.member.as_ref().map_or(0, |m| m.id),
                cluster_id(r.header.as_ref())
            )?,
            OutputFormat::Json => writeln!(w, "{}", json::member_add(r))?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Fields | OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `member remove` answer for member `id`.
    ///
    /// # Errors
    /// `fields` and `table` are unsupported; I/O errors.
    pub fn member_remove(
        &self,
        w: &mut dyn Write,
        id: u64,
        r: &MemberRemoveResponse,
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => writeln!(
                w,
                "Member {id:16x} removed from cluster {:16x}",
                cluster_id(r.header.as_ref())
            )?,
            OutputFormat::Json => {
                writeln!(w, "{}", json::member_change(r.header.as_ref(), &r.members))?
            }
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Fields | OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `member update` answer for member `id`.
    ///
    /// # Errors
    /// `fields` and `table` are unsupported; I/O errors.
    pub fn member_update(
        &self,
        w: &mut dyn Write,
        id: u64,
        r: &MemberUpdateResponse,
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => writeln!(
                w,
                "Member {id:16x} updated in cluster {:16x}",
                cluster_id(r.header.as_ref())
            )?,
            OutputFormat::Json => {
                writeln!(w, "{}", json::member_change(r.header.as_ref(), &r.members))?
            }
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Fields | OutputFormat::Table => return Err(unsupported(self.format)),
        }
        Ok(())
    }

    /// Prints a `member promote` answer for member `id`. Only `simple` prints; for the other
    /// formats the caller reproduces etcdctl's panic ([`PROMOTE_PANIC`]); this returns `Ok(false)`
    /// then.
    ///
    /// # Errors
    /// I/O errors.
    pub fn member_promote(
        &self,
        w: &mut dyn Write,
        id: u64,
        r: &MemberPromoteResponse,
    ) -> Result<bool, PrintError> {
        if self.format != OutputFormat::Simple {
            return Ok(false);
        }
        writeln!(
            w,
            "Member {id:16x} promoted in cluster {:16x}",
            cluster_id(r.header.as_ref())
        )?;
        Ok(true)
    }

    /// Prints a `move-leader` answer.
    ///
    /// # Errors
    /// `fields` and `table` are unsupported; I/O errors.
    pub fn move_leader(
        &self,
        w: &mut dyn Write,
        leader: u64,
        target: u64,
        r: &MoveLeaderResponse,
    ) -> Result<(), PrintError> {
        match self.format {
            OutputFormat::Simple => {
                writeln!(w, "Leadership transferred from {leader:x} to {target:x}")?
            }
            OutputFormat::Json => writeln!(w, "{}", json::move_leader(r))?,
            OutputFormat::Protobuf => write_pb(w, r)?,
            OutputFormat::Fields | OutputFormat::Table => return Err(unsupported(self.format)),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pb::etcdserverpb::Member;

    fn render(f: impl FnOnce(&mut dyn Write) -> Result<(), PrintError>) -> String {
        let mut v = Vec::new();
        f(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn simple_lines_pad_ids_like_go_percent_16x() {
        let h = Some(ResponseHeader {
            cluster_id: 0xabc,
            member_id: 1,
            revision: 0,
            raft_term: 2,
        });
        let add = MemberAddResponse {
            header: h,
            member: Some(Member {
                id: 0x1f,
                peer_ur_ls: vec!["http://a:1".into()],
                ..Default::default()
            }),
            members: vec![],
        };
        let p = Printer::new(OutputFormat::Simple);
        assert_eq!(
            render(|w| p.member_add(w, &add)),
            "Member               1f added to cluster              abc\n"
        );
        assert_eq!(
            render(|w| p.move_leader(w, 0x12, 0xff, &MoveLeaderResponse::default())),
            "Leadership transferred from 12 to ff\n"
        );
        let mut v = Vec::new();
        assert!(matches!(
            Printer::new(OutputFormat::Table).member_add(&mut v, &add),
            Err(PrintError::Unsupported("table"))
        ));
        assert_eq!(
            render(|w| Printer::new(OutputFormat::Json).member_add(w, &add)),
            "{\"header\":{\"cluster_id\":2748,\"member_id\":1,\"raft_term\":2},\"member\":{\"ID\":31,\"peerURLs\":[\"http://a:1\"]}}\n"
        );
    }
}
