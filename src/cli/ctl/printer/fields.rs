//! The `fields` format: etcdctl 3.4's `fieldsPrinter` (`"Name" : value` lines).

use std::io::{self, Write};

use super::{go_quote, EpHashKv, EpHealth, EpStatus};
use crate::pb::etcdserverpb::{
    response_op::Response, AlarmResponse, DeleteRangeResponse, LeaseGrantResponse,
    LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse,
    MemberListResponse, PutResponse, RangeResponse, ResponseHeader, TxnResponse, WatchResponse,
};
use crate::pb::mvccpb::KeyValue;

fn hdr(w: &mut dyn Write, h: Option<&ResponseHeader>) -> io::Result<()> {
    let d = ResponseHeader::default();
    let h = h.unwrap_or(&d);
    writeln!(w, "\"ClusterID\" : {}", h.cluster_id)?;
    writeln!(w, "\"MemberID\" : {}", h.member_id)?;
    writeln!(w, "\"Revision\" : {}", h.revision)?;
    writeln!(w, "\"RaftTerm\" : {}", h.raft_term)
}

fn kv(w: &mut dyn Write, pfx: &str, kv: &KeyValue) -> io::Result<()> {
    writeln!(w, "\"{pfx}Key\" : {}", go_quote(&kv.key))?;
    writeln!(w, "\"{pfx}CreateRevision\" : {}", kv.create_revision)?;
    writeln!(w, "\"{pfx}ModRevision\" : {}", kv.mod_revision)?;
    writeln!(w, "\"{pfx}Version\" : {}", kv.version)?;
    writeln!(w, "\"{pfx}Value\" : {}", go_quote(&kv.value))?;
    writeln!(w, "\"{pfx}Lease\" : {}", kv.lease)
}

/// `get`.
///
/// # Errors
/// I/O errors.
pub fn get(w: &mut dyn Write, r: &RangeResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    for x in &r.kvs {
        kv(w, "", x)?;
    }
    writeln!(w, "\"More\" : {}", r.more)?;
    writeln!(w, "\"Count\" : {}", r.count)
}

/// `put`.
///
/// # Errors
/// I/O errors.
pub fn put(w: &mut dyn Write, r: &PutResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    if let Some(p) = &r.prev_kv {
        kv(w, "Prev", p)?;
    }
    Ok(())
}

/// `del`.
///
/// # Errors
/// I/O errors.
pub fn del(w: &mut dyn Write, r: &DeleteRangeResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    writeln!(w, "\"Deleted\" : {}", r.deleted)?;
    for p in &r.prev_kvs {
        kv(w, "Prev", p)?;
    }
    Ok(())
}

/// `txn`.
///
/// # Errors
/// I/O errors.
pub fn txn(w: &mut dyn Write, r: &TxnResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    writeln!(w, "\"Succeeded\" : {}", r.succeeded)?;
    for op in &r.responses {
        match &op.response {
            Some(Response::ResponseDeleteRange(d)) => del(w, d)?,
            Some(Response::ResponsePut(p)) => put(w, p)?,
            Some(Response::ResponseRange(g)) => get(w, g)?,
            other => writeln!(
                w,
                "\"Unknown\" : {}",
                go_quote(format!("{other:?}").as_bytes())
            )?,
        }
    }
    Ok(())
}

/// `member list`.
///
/// # Errors
/// I/O errors.
pub fn member_list(w: &mut dyn Write, r: &MemberListResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    for m in &r.members {
        writeln!(w, "\"ID\" : {}", m.id)?;
        writeln!(w, "\"Name\" : {}", go_quote(m.name.as_bytes()))?;
        for u in &m.peer_ur_ls {
            writeln!(w, "\"PeerURL\" : {}", go_quote(u.as_bytes()))?;
        }
        for u in &m.client_ur_ls {
            writeln!(w, "\"ClientURL\" : {}", go_quote(u.as_bytes()))?;
        }
        writeln!(w, "\"IsLearner\" : {}", m.is_learner)?;
        writeln!(w)?;
    }
    Ok(())
}

/// `endpoint health`.
///
/// # Errors
/// I/O errors.
pub fn endpoint_health(w: &mut dyn Write, hs: &[EpHealth]) -> io::Result<()> {
    for h in hs {
        writeln!(w, "\"Endpoint\" : {}", go_quote(h.ep.as_bytes()))?;
        writeln!(w, "\"Health\" : {}", h.health)?;
        writeln!(w, "\"Took\" : {}", h.took)?;
        writeln!(w, "\"Error\" : {}", h.error)?;
        writeln!(w)?;
    }
    Ok(())
}

/// `endpoint status`.
///
/// # Errors
/// I/O errors.
pub fn endpoint_status(w: &mut dyn Write, st: &[EpStatus]) -> io::Result<()> {
    for s in st {
        let r = &s.resp;
        hdr(w, r.header.as_ref())?;
        writeln!(w, "\"Version\" : {}", go_quote(r.version.as_bytes()))?;
        writeln!(w, "\"DBSize\" : {}", r.db_size)?;
        writeln!(w, "\"Leader\" : {}", r.leader)?;
        writeln!(w, "\"IsLearner\" : {}", r.is_learner)?;
        writeln!(w, "\"RaftIndex\" : {}", r.raft_index)?;
        writeln!(w, "\"RaftTerm\" : {}", r.raft_term)?;
        writeln!(w, "\"RaftAppliedIndex\" : {}", r.raft_applied_index)?;
        writeln!(w, "\"Errors\" : [{}]", r.errors.join(" "))?;
        writeln!(w, "\"Endpoint\" : {}", go_quote(s.ep.as_bytes()))?;
        writeln!(w)?;
    }
    Ok(())
}

/// `endpoint hashkv`.
///
/// # Errors
/// I/O errors.
pub fn endpoint_hashkv(w: &mut dyn Write, hs: &[EpHashKv]) -> io::Result<()> {
    for h in hs {
        hdr(w, h.resp.header.as_ref())?;
        writeln!(w, "\"Endpoint\" : {}", go_quote(h.ep.as_bytes()))?;
        writeln!(w, "\"Hash\" : {}", h.resp.hash)?;
        writeln!(w)?;
    }
    Ok(())
}

/// `watch`: the header, then per event `"Type"`, the previous pair and the pair.
///
/// # Errors
/// I/O errors.
pub fn watch(w: &mut dyn Write, r: &WatchResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    for e in &r.events {
        writeln!(w, "\"Type\" : {}", super::simple::event_type(e.r#type))?;
        if let Some(p) = &e.prev_kv {
            kv(w, "Prev", p)?;
        }
        kv(w, "", &e.kv.clone().unwrap_or_default())?;
    }
    Ok(())
}

/// `lease grant`.
///
/// # Errors
/// I/O errors.
pub fn lease_grant(w: &mut dyn Write, r: &LeaseGrantResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    writeln!(w, "\"ID\" : {}", r.id)?;
    writeln!(w, "\"TTL\" : {}", r.ttl)
}

/// `lease revoke`: the header only.
///
/// # Errors
/// I/O errors.
pub fn lease_revoke(w: &mut dyn Write, r: &LeaseRevokeResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())
}

/// `lease keep-alive`.
///
/// # Errors
/// I/O errors.
pub fn lease_keep_alive(w: &mut dyn Write, r: &LeaseKeepAliveResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    writeln!(w, "\"ID\" : {}", r.id)?;
    writeln!(w, "\"TTL\" : {}", r.ttl)
}

/// `lease timetolive`.
///
/// # Errors
/// I/O errors.
pub fn lease_time_to_live(w: &mut dyn Write, r: &LeaseTimeToLiveResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    writeln!(w, "\"ID\" : {}", r.id)?;
    writeln!(w, "\"TTL\" : {}", r.ttl)?;
    writeln!(w, "\"GrantedTTL\" : {}", r.granted_ttl)?;
    for k in &r.keys {
        writeln!(w, "\"Key\" : {}", go_quote(k))?;
    }
    Ok(())
}

/// `lease list`.
///
/// # Errors
/// I/O errors.
pub fn lease_leases(w: &mut dyn Write, r: &LeaseLeasesResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    for l in &r.leases {
        writeln!(w, "\"ID\" : {}", l.id)?;
    }
    Ok(())
}

/// `alarm list|disarm`. (etcdctl 3.4 dereferences a missing header and panics; we print a
/// zero header instead.)
///
/// # Errors
/// I/O errors.
pub fn alarm(w: &mut dyn Write, r: &AlarmResponse) -> io::Result<()> {
    hdr(w, r.header.as_ref())?;
    for a in &r.alarms {
        writeln!(w, "\"MemberID\" : {}", a.member_id)?;
        writeln!(w, "\"AlarmType\" : {}", super::simple::alarm_type(a.alarm))?;
        writeln!(w)?;
    }
    Ok(())
}

/// `snapshot status`.
///
/// # Errors
/// I/O errors.
pub fn db_status(w: &mut dyn Write, s: &super::DbStatus) -> io::Result<()> {
    writeln!(w, "\"Hash\" : {}", s.hash)?;
    writeln!(w, "\"Revision\" : {}", s.revision)?;
    writeln!(w, "\"Keys\" : {}", s.total_key)?;
    writeln!(w, "\"Size\" : {}", s.total_size)
}
