//! Fatal faults: a real disk error (ENOSPC, EIO, a failed fsync...) on the Raft log
//! environment (`member/wal`) or the state environment (`member/snap/db`) stops this member.
//!
//! etcd logs such a fault at fatal level and exits 1 so that a supervisor restarts it once
//! the disk is fixed; a member must never linger answering `etcdserver: server stopped`.
//! The signal is a value ([`FatalSignal`], a `watch` channel owned by the server): the
//! places that see the fault raise it, `server::run` (`serve.rs`) selects on it, logs the
//! cause and returns an error, so the binary exits non-zero. `/health` answers false once
//! it is raised.
//!
//! `MDB_MAP_FULL` is not a disk fault: the LMDB map (64 GiB) is far above the backend quota,
//! whose NOSPACE alarm (etcd's behaviour) refuses writes before the map can fill.
//!
//! Depends on: openraft (its `Fatal` from the Raft metrics), tokio.

use tokio::sync::watch;

/// Which environment a fatal fault happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultEnv {
    /// `member/wal`: the Raft log and vote.
    RaftLog,
    /// `member/snap/db`: the applied state (MVCC, leases, auth, membership).
    State,
}

impl FaultEnv {
    /// Short name used in logs (`raft log` / `state`).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultEnv::RaftLog => "raft log (member/wal)",
            FaultEnv::State => "state (member/snap/db)",
        }
    }
}

/// A fault that stops the member: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatalFault {
    /// The environment the fault happened on.
    pub env: FaultEnv,
    /// The error as reported by the storage layer (e.g. `No space left on device`).
    pub cause: String,
}

impl std::fmt::Display for FatalFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fatal disk error on the {}: {}",
            self.env.as_str(),
            self.cause
        )
    }
}

/// The fatal-fault signal of one member: raised at most once (the first fault wins).
/// Cloning shares the signal.
#[derive(Clone)]
pub struct FatalSignal(watch::Sender<Option<FatalFault>>);

impl Default for FatalSignal {
    fn default() -> Self {
        FatalSignal(watch::channel(None).0)
    }
}

impl FatalSignal {
    /// Records `fault` unless one is already recorded; logs it at error level when it is
    /// the first.
    pub fn raise(&self, fault: FatalFault) {
        let first = self.0.send_if_modified(|cur| {
            if cur.is_none() {
                *cur = Some(fault.clone());
                true
            } else {
                false
            }
        });
        if first {
            tracing::error!(
                environment = fault.env.as_str(),
                cause = %fault.cause,
                "fatal disk error; the member stops"
            );
        }
    }

    /// The fault, if one was raised.
    pub fn get(&self) -> Option<FatalFault> {
        self.0.borrow().clone()
    }

    /// A receiver that sees the fault when it is raised.
    pub fn subscribe(&self) -> watch::Receiver<Option<FatalFault>> {
        self.0.subscribe()
    }
}

/// Turns the Raft core's terminal state into a fault: a storage error on the log (`Logs`,
/// `Vote`, `Store`) is a [`FaultEnv::RaftLog`] fault, anything else (apply, snapshots) a
/// [`FaultEnv::State`] fault. `None` for a normal stop and for `MDB_MAP_FULL` (see the
/// module doc).
pub fn from_raft_fatal(f: &openraft::error::Fatal<u64>) -> Option<FatalFault> {
    use openraft::error::Fatal;
    match f {
        Fatal::Stopped => None,
        Fatal::Panicked => Some(FatalFault {
            env: FaultEnv::State,
            cause: "raft core panicked".into(),
        }),
        Fatal::StorageError(e) => {
            let cause = e.to_string();
            if cause.contains("MDB_MAP_FULL") {
                return None;
            }
            // openraft 0.9 exposes the subject only through Display:
            // `when <Verb> <Subject>[(...)]: <source>`.
            let subject = cause
                .strip_prefix("when ")
                .and_then(|r| r.split_once(' '))
                .map(|(_, r)| r.split(['(', ':']).next().unwrap_or(""))
                .unwrap_or("");
            let env = match subject {
                "Logs" | "Log" | "LogIndex" | "Vote" | "Store" => FaultEnv::RaftLog,
                _ => FaultEnv::State,
            };
            Some(FatalFault { env, cause })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A log write failure is a raft-log fault naming the OS error; MAP_FULL and a normal
    /// stop are not faults; the first fault wins.
    #[test]
    fn classifies_raft_fatal_and_keeps_first() {
        let enospc = std::io::Error::from_raw_os_error(28);
        let e = openraft::StorageError::from_io_error(
            openraft::ErrorSubject::Logs,
            openraft::ErrorVerb::Write,
            enospc,
        );
        let f = from_raft_fatal(&openraft::error::Fatal::StorageError(e)).unwrap();
        assert_eq!(f.env, FaultEnv::RaftLog);
        assert!(f.cause.contains("No space left on device"), "{}", f.cause);
        let full = openraft::StorageError::from_io_error(
            openraft::ErrorSubject::StateMachine,
            openraft::ErrorVerb::Write,
            std::io::Error::other("MDB_MAP_FULL: Environment mapsize limit reached"),
        );
        assert!(from_raft_fatal(&openraft::error::Fatal::StorageError(full)).is_none());
        assert!(from_raft_fatal(&openraft::error::Fatal::Stopped).is_none());

        let sig = FatalSignal::default();
        sig.raise(f.clone());
        sig.raise(FatalFault {
            env: FaultEnv::State,
            cause: "second".into(),
        });
        assert_eq!(sig.get(), Some(f));
    }
}
