//! Shared by the `ctl` tests: a real etcd 3.4 on free loopback ports, our `etcd ctl` and the
//! official etcdctl run side by side, background children with bounded waits.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

pub(super) use crate::differ::Outcome;
use crate::harness::{self, Member, MemberOpts, Proc, ServerKind};

pub(super) const ETCDCTL: &str = harness::ETCDCTL_BIN;
pub(super) const OURS: &str = env!("CARGO_BIN_EXE_etcd");

/// A real etcd server on free loopback ports (a harness [`Member`], killed on drop).
pub(super) struct Server {
    /// `127.0.0.1:<client port>`.
    pub(super) ep: String,
    _member: Member,
}

/// Starts the real etcd, or returns `None` (after printing why) when it is not installed
/// (panics instead under `ETCD_INTEROP_REQUIRED=1`).
pub(super) fn real_etcd() -> Option<Server> {
    if !harness::interop_or_skip(module_path!()) {
        return None;
    }
    let member = Member::start(ServerKind::Etcd, MemberOpts::named("default"));
    Some(Server {
        ep: format!("127.0.0.1:{}", member.client_port),
        _member: member,
    })
}

pub(super) fn command(bin: &str, ep: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    if bin == OURS {
        cmd.arg("ctl");
    }
    cmd.arg("--endpoints")
        .arg(ep)
        .args(args)
        .env("ETCDCTL_API", "3");
    cmd
}

/// `bin` (ours or etcdctl) in the background against `ep` (a harness [`Proc`]: output
/// collected, killed on drop).
pub(super) fn bg(bin: &str, ep: &str, args: &[&str]) -> Proc {
    Proc::spawn(command(bin, ep, args), false)
}

/// [`Outcome`]s of background ctl processes.
pub(super) trait CtlProc {
    /// Waits for the child to exit within `within` (killed and failed otherwise).
    fn outcome(&mut self, within: Duration) -> Outcome;
    /// Sends SIGINT to this child (its own PID only) and waits (≤ 10 s) for it to exit.
    fn interrupt_outcome(&mut self) -> Outcome;
}

impl CtlProc for Proc {
    fn outcome(&mut self, within: Duration) -> Outcome {
        Outcome::of(&self.finish(within))
    }
    fn interrupt_outcome(&mut self) -> Outcome {
        Outcome::of(&Proc::interrupt(self))
    }
}

/// Runs one command to completion with a 30 s deadline.
pub(super) fn run(bin: &str, ep: &str, args: &[&str]) -> Outcome {
    bg(bin, ep, args).outcome(Duration::from_secs(30))
}

/// Runs `args` with both tools (ours first) and asserts identical outcomes.
pub(super) fn same(ep: &str, args: &[&str]) -> Outcome {
    let ours = run(OURS, ep, args);
    let theirs = run(ETCDCTL, ep, args);
    assert_eq!(
        ours, theirs,
        "etcdctl {args:?}: ours (left) vs etcdctl (right)"
    );
    ours
}

/// The current store revision (from `get -w json`).
pub(super) fn revision(ep: &str) -> i64 {
    let o = run(ETCDCTL, ep, &["get", "nothing", "-w", "json"]);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    v["header"]["revision"].as_i64().unwrap()
}
