//! The `simple` format: etcdctl 3.4's `simplePrinter`.

use std::io::{self, Write};

use super::{hex_escape, member_rows, status_rows, EpHealth, EpStatus};
use crate::pb::etcdserverpb::{
    response_op::Response, AlarmResponse, DeleteRangeResponse, MemberListResponse, PutResponse,
    RangeResponse, TxnResponse, WatchResponse,
};
use crate::pb::mvccpb::KeyValue;

/// etcdctl's `printKV`: the key line (unless value-only) then the value line.
fn kv(w: &mut dyn Write, kv: &KeyValue, hex: bool, value_only: bool) -> io::Result<()> {
    let (k, v) = if hex {
        (
            hex_escape(&kv.key).into_bytes(),
            hex_escape(&kv.value).into_bytes(),
        )
    } else {
        (kv.key.clone(), kv.value.clone())
    };
    if !value_only {
        w.write_all(&k)?;
        w.write_all(b"\n")?;
    }
    w.write_all(&v)?;
    w.write_all(b"\n")
}

/// `get`: every key and value on its own line.
///
/// # Errors
/// I/O errors.
pub fn get(w: &mut dyn Write, r: &RangeResponse, hex: bool, value_only: bool) -> io::Result<()> {
    for x in &r.kvs {
        kv(w, x, hex, value_only)?;
    }
    Ok(())
}

/// `put`: `OK`, then the previous pair with `--prev-kv`.
///
/// # Errors
/// I/O errors.
pub fn put(w: &mut dyn Write, r: &PutResponse, hex: bool, value_only: bool) -> io::Result<()> {
    writeln!(w, "OK")?;
    if let Some(p) = &r.prev_kv {
        kv(w, p, hex, value_only)?;
    }
    Ok(())
}

/// `del`: the number deleted, then the previous pairs with `--prev-kv`.
///
/// # Errors
/// I/O errors.
pub fn del(
    w: &mut dyn Write,
    r: &DeleteRangeResponse,
    hex: bool,
    value_only: bool,
) -> io::Result<()> {
    writeln!(w, "{}", r.deleted)?;
    for p in &r.prev_kvs {
        kv(w, p, hex, value_only)?;
    }
    Ok(())
}

/// `txn`: `SUCCESS` or `FAILURE`, then each response after a blank line.
///
/// # Errors
/// I/O errors.
pub fn txn(w: &mut dyn Write, r: &TxnResponse, hex: bool, value_only: bool) -> io::Result<()> {
    writeln!(w, "{}", if r.succeeded { "SUCCESS" } else { "FAILURE" })?;
    for op in &r.responses {
        writeln!(w)?;
        match &op.response {
            Some(Response::ResponseDeleteRange(d)) => del(w, d, hex, value_only)?,
            Some(Response::ResponsePut(p)) => put(w, p, hex, value_only)?,
            Some(Response::ResponseRange(g)) => get(w, g, hex, value_only)?,
            // etcdctl prints Go's %+v of the op here; nested txns are not produced by etcdctl.
            other => writeln!(w, "unexpected response {other:?}")?,
        }
    }
    Ok(())
}

/// `member list`: comma-separated table rows.
///
/// # Errors
/// I/O errors.
pub fn member_list(w: &mut dyn Write, r: &MemberListResponse) -> io::Result<()> {
    for row in member_rows(r) {
        writeln!(w, "{}", row.join(", "))?;
    }
    Ok(())
}

/// `endpoint health`: one line per endpoint; etcdctl writes these to stderr.
///
/// # Errors
/// I/O errors.
pub fn endpoint_health(w: &mut dyn Write, hs: &[EpHealth]) -> io::Result<()> {
    for h in hs {
        if h.error.is_empty() {
            writeln!(
                w,
                "{} is healthy: successfully committed proposal: took = {}",
                h.ep, h.took
            )?;
        } else {
            writeln!(
                w,
                "{} is unhealthy: failed to commit proposal: {}",
                h.ep, h.error
            )?;
        }
    }
    Ok(())
}

/// `endpoint status`: comma-separated table rows.
///
/// # Errors
/// I/O errors.
pub fn endpoint_status(w: &mut dyn Write, st: &[EpStatus]) -> io::Result<()> {
    for row in status_rows(st) {
        writeln!(w, "{}", row.join(", "))?;
    }
    Ok(())
}

/// etcd's event type names (`mvccpb.Event_EventType.String()`).
pub fn event_type(t: i32) -> String {
    match t {
        0 => "PUT".to_string(),
        1 => "DELETE".to_string(),
        n => n.to_string(),
    }
}

/// `watch`: per event its type, the previous pair (with `--prev-kv`), then the pair.
///
/// # Errors
/// I/O errors.
pub fn watch(w: &mut dyn Write, r: &WatchResponse, hex: bool, value_only: bool) -> io::Result<()> {
    for e in &r.events {
        writeln!(w, "{}", event_type(e.r#type))?;
        if let Some(p) = &e.prev_kv {
            kv(w, p, hex, value_only)?;
        }
        kv(w, &e.kv.clone().unwrap_or_default(), hex, value_only)?;
    }
    Ok(())
}

/// etcd's alarm type names (`AlarmType.String()`).
pub fn alarm_type(t: i32) -> String {
    match t {
        0 => "NONE".to_string(),
        1 => "NOSPACE".to_string(),
        2 => "CORRUPT".to_string(),
        n => n.to_string(),
    }
}

/// `alarm list|disarm`: Go's `%+v` of each `*AlarmMember`, i.e. its compact proto text
/// (`memberID:123 alarm:NOSPACE `; zero fields left out).
///
/// # Errors
/// I/O errors.
pub fn alarm(w: &mut dyn Write, r: &AlarmResponse) -> io::Result<()> {
    for a in &r.alarms {
        let mut s = String::new();
        if a.member_id != 0 {
            s.push_str(&format!("memberID:{} ", a.member_id));
        }
        if a.alarm != 0 {
            s.push_str(&format!("alarm:{} ", alarm_type(a.alarm)));
        }
        writeln!(w, "{s}")?;
    }
    Ok(())
}
