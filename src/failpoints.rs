//! Failpoints for the robustness tests (etcd's gofail, with the `fail` crate): compiled in only
//! with the cargo feature `failpoints`; without it this module does not exist and every
//! `fail::fail_point!` site compiles to nothing.
//!
//! Each site can be told, at run time, to `panic` (with this build's panic hook: the process
//! aborts at once, like `kill -9` at that exact step), `sleep(<ms>)`, `return` (the step fails
//! with an I/O error, as a disk fault would; at sites without an error path `return` is a
//! crash too), `delay(<ms>)`, `off`, and fail's other actions (`<p>%`, `<n>*`, chains with `->`).
//!
//! Two drivers, both only in this build:
//! - the `FAILPOINTS` environment variable at start (fail's `FailScenario::setup`):
//!   `FAILPOINTS='walBeforeSync=1*off->panic;beforeCommit=sleep(100)'`;
//! - `PUT /debug/failpoints/<name>` on the client port with the action as the body (etcd's
//!   gofail endpoint), `DELETE /debug/failpoints/<name>` to turn it off, and
//!   `GET /debug/failpoints` listing `name=action` lines of the active ones.
//!
//! The sites ([`NAMES`]), with etcd's gofail names where etcd has the same step:
//!
//! | name | where |
//! |---|---|
//! | `raftBeforeSave` | raft log append, before the entries are written (`raft::log_store`) |
//! | `walBeforeSync` | raft log sync thread: entries written to the segment file, before the `fdatasync` that makes them durable |
//! | `walAfterSync` | raft log sync thread: after the `fdatasync`, before openraft is told |
//! | `raftAfterSave` | raft log sync thread: after openraft was told the entries are durable (`return`: later appends fail) |
//! | `beforeCommit` | state apply batch, before its LMDB commit (`raft::state_machine`) |
//! | `afterCommit` | state apply batch, after its commit, before watchers hear of it |
//! | `beforeApplyOneConfChange` | before a membership entry is applied |
//! | `afterApplyOneConfChange` | after a membership entry is applied (same batch) |
//! | `raftBeforeSaveSnap` | snapshot build, before the state copy (`raft::snapshot`) |
//! | `raftAfterSaveSnap` | snapshot build, after the copy is in place |
//! | `raftBeforeLeaderSendSnap` | snapshot send, before a chunk goes out (`raft::network`) |
//! | `raftBeforeApplySnap` | snapshot install, before the state is replaced |
//! | `raftAfterApplySnap` | snapshot install, after the state was replaced |
//! | `defragBeforeCopy` | defragmentation, before the compacting copy (`apply::state`) |
//! | `defragBeforeRename` | defragmentation, copy done, before it replaces `data.mdb` |
//! | `compactBeforeRemove` | compaction (in its apply transaction), before revisions go |
//! | `compactAfterRemove` | compaction, after the revisions were removed, before commit |
//! | `lessorBeforeRevoke` | leader's lessor, an expired lease found, before proposing revoke |
//! | `lessorBeforeExpiry` | leader's lessor tick, quorum gate open, before looking for expired leases (`return(<ms>)`: the tick waits that long, asynchronously) |
//! | `applyBeforeLeaseRevoke` | apply of a `LeaseRevoke`, before its keys are deleted |
//!
//! The same build reads [`PEER_DIAL_MAP_ENV`] ([`peer_dial_map`]): peer URLs to dial at
//! another address, so the tests can put a TCP proxy on each ordered link between members and
//! cut, delay or slow it (`raft::network::PeerDialer`).
//!
//! The same build has a skewable clock ([`crate::clock`]): `FAILPOINTS_CLOCK` at start and
//! `PUT /debug/clock` drive it as these drive the failpoints.
//!
//! Depends on: `clock` (its start-up settings); otherwise a leaf, like `observability`.

/// Every failpoint site, for listings and for the robustness tests' random choice.
pub const NAMES: &[&str] = &[
    "raftBeforeSave",
    "walBeforeSync",
    "walAfterSync",
    "raftAfterSave",
    "beforeCommit",
    "afterCommit",
    "beforeApplyOneConfChange",
    "afterApplyOneConfChange",
    "raftBeforeSaveSnap",
    "raftAfterSaveSnap",
    "raftBeforeLeaderSendSnap",
    "raftBeforeApplySnap",
    "raftAfterApplySnap",
    "defragBeforeCopy",
    "defragBeforeRename",
    "compactBeforeRemove",
    "compactAfterRemove",
    "lessorBeforeRevoke",
    "applyBeforeLeaseRevoke",
    "lessorBeforeExpiry",
];

/// Environment variable of peer URL redirections (failpoints build only):
/// `<peer URL>=<URL to dial>` pairs separated by commas, e.g.
/// `http://127.0.0.1:2380=http://127.0.0.1:40001,http://127.0.0.1:2381=http://127.0.0.1:40002`.
/// A member dials the second URL whenever it would dial the first (Raft RPCs and forwarding
/// to the leader).
pub const PEER_DIAL_MAP_ENV: &str = "FAILPOINTS_PEER_DIAL_MAP";

/// The redirections of [`PEER_DIAL_MAP_ENV`] (peer URL without a trailing `/` → URL to dial);
/// empty when unset. Malformed pairs (no `=`) are ignored.
pub fn peer_dial_map() -> std::collections::HashMap<String, String> {
    parse_dial_map(&std::env::var(PEER_DIAL_MAP_ENV).unwrap_or_default())
}

fn parse_dial_map(s: &str) -> std::collections::HashMap<String, String> {
    s.split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(from, to)| {
            (
                from.trim().trim_end_matches('/').to_string(),
                to.trim().to_string(),
            )
        })
        .collect()
}

/// Environment variable (failpoints build only): the number of Raft log entries a member keeps
/// after a snapshot for lagging followers (etcd 3.4's fixed `snapshotCatchUpEntries`, 5000
/// here too). The robustness tests lower it so that a follower cut off for a few seconds
/// catches up by a snapshot (the snapshot send and install steps).
pub const SNAPSHOT_CATCHUP_ENTRIES_ENV: &str = "FAILPOINTS_SNAPSHOT_CATCHUP_ENTRIES";

/// The value of [`SNAPSHOT_CATCHUP_ENTRIES_ENV`] when set to a number.
pub fn snapshot_catchup_entries() -> Option<u64> {
    std::env::var(SNAPSHOT_CATCHUP_ENTRIES_ENV)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Configures the failpoints from `FAILPOINTS` (fail's format: `name=action;name=action`) and
/// the skewed clock from [`crate::clock::CLOCK_ENV`], and makes every panic abort the process (a failpoint `panic` is a crash at that step, not an
/// unwound task that the runtime would survive). Call once at process start.
///
/// # Panics
/// On a malformed `FAILPOINTS` (fail's own check), before anything else runs.
pub fn setup() {
    crate::clock::setup();
    let scenario = fail::FailScenario::setup();
    // The scenario's guard keeps the configuration for the life of the process.
    std::mem::forget(scenario);
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        std::process::abort();
    }));
}

/// Sets failpoint `name` to `actions` (fail's syntax, e.g. `panic`, `sleep(100)`, `return`).
///
/// # Errors
/// A message when `name` is not a known site or `actions` does not parse.
pub fn configure(name: &str, actions: &str) -> Result<(), String> {
    if !NAMES.contains(&name) {
        return Err(format!("unknown failpoint {name:?}"));
    }
    fail::cfg(name, actions.trim())
}

/// Turns failpoint `name` off.
///
/// # Errors
/// A message when `name` is not a known site.
pub fn remove(name: &str) -> Result<(), String> {
    if !NAMES.contains(&name) {
        return Err(format!("unknown failpoint {name:?}"));
    }
    fail::remove(name);
    Ok(())
}

/// The active failpoints as `name=actions` lines, sorted.
pub fn list() -> String {
    let mut v: Vec<String> = fail::list()
        .into_iter()
        .map(|(n, a)| format!("{n}={a}\n"))
        .collect();
    v.sort();
    v.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_and_bad_actions_are_refused() {
        assert!(configure("noSuchPoint", "panic").is_err());
        assert!(configure("beforeCommit", "explode(").is_err());
        assert!(remove("noSuchPoint").is_err());
    }

    #[test]
    fn dial_map_pairs_are_parsed_and_malformed_ones_ignored() {
        let m =
            parse_dial_map("http://127.0.0.1:1/=http://127.0.0.1:2, junk,http://a:3=http://b:4");
        assert_eq!(m.len(), 2);
        assert_eq!(m["http://127.0.0.1:1"], "http://127.0.0.1:2");
        assert_eq!(m["http://a:3"], "http://b:4");
        assert!(parse_dial_map("").is_empty());
    }
}
