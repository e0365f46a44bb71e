//! `snapshot save`, `alarm` and `defrag`, ours vs etcdctl.

#![allow(clippy::unwrap_used)]

use super::support::*;

#[test]
fn snapshot_save_alarm_and_defrag() {
    let Some(s) = real_etcd() else { return };
    run(ETCDCTL, &s.ep, &["put", "k", "v"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.db");
    let p = path.to_str().unwrap();
    let o = run(OURS, &s.ep, &["snapshot", "save", p]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (format!("Snapshot saved at {p}\n").as_str(), Some(0)),
        "{o:?}"
    );
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(size % 512, 32);
    assert!(!dir.path().join("snap.db.part").exists());
    // The official tool reads what we saved (a valid bolt file), and our status of etcd's
    // bolt format equals it.
    let st = run(ETCDCTL, &s.ep, &["snapshot", "status", p, "-w", "json"]);
    assert_eq!(st.code, Some(0), "{st:?}");
    let ours = run(OURS, &s.ep, &["snapshot", "status", p, "-w", "json"]);
    assert_eq!((ours.code, &ours.stdout), (Some(0), &st.stdout), "{ours:?}");
    same(&s.ep, &["snapshot", "save"]);
    same(&s.ep, &["snapshot", "save", "/nonexistent-dir/x.db"]);
    same(&s.ep, &["snapshot", "status", "/nonexistent-file"]);

    for fmt in ["simple", "json", "protobuf", "table"] {
        same(&s.ep, &["-w", fmt, "alarm", "list"]);
        same(&s.ep, &["-w", fmt, "alarm", "disarm"]);
    }
    same(&s.ep, &["alarm", "list", "x"]);
    let d = same(&s.ep, &["defrag"]);
    assert_eq!(
        d.stdout,
        format!("Finished defragmenting etcd member[{}]\n", s.ep)
    );
    same(&s.ep, &["defrag", "--cluster"]);
}
