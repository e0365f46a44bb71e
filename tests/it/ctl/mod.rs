//! Differential tests for `watch`, `lease`, `lock`, `elect`, `snapshot save`, `alarm` and
//! `defrag`: our `etcd ctl` and the official etcdctl 3.4 against ONE real etcd 3.4.
//!
//! Both tools talk to the same server, so outputs are compared directly, after replacing what
//! legitimately differs (lease IDs, remaining TTL seconds). Long-running commands (watch,
//! lock, elect) run in the background with a deadline and are stopped with SIGINT (sent to
//! their own PID) or killed on drop.
//!
//! Skips (with a printed reason) when `/usr/bin/etcd` or `/usr/bin/etcdctl` is missing, unless
//! `ETCD_INTEROP_REQUIRED=1`, then fails.
//!
//! One file per etcdctl topic (`watch`, `lease`, `lock` for lock and elect, `maintenance` for
//! snapshot save, alarm and defrag); `support` holds the shared real-etcd server (a harness
//! `Member`) and the command runners; background children are `harness::Proc`s and outcomes
//! `differ::Outcome`s.

mod lease;
mod lock;
mod maintenance;
mod support;
mod watch;
