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
//! | `applyBeforeLeaseRevoke` | apply of a `LeaseRevoke`, before its keys are deleted |
//!
//! Depends on: nothing of the crate (a leaf, like `observability`).

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
];

/// Configures the failpoints from `FAILPOINTS` (fail's format: `name=action;name=action`) and
/// makes every panic abort the process (a failpoint `panic` is a crash at that step, not an
/// unwound task that the runtime would survive). Call once at process start.
///
/// # Panics
/// On a malformed `FAILPOINTS` (fail's own check), before anything else runs.
pub fn setup() {
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
}
