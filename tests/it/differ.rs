//! The differential-script core shared by the tests that run the same etcdctl steps against
//! two sides (a real etcd 3.4 and ours, or the official etcdctl and our `etcd ctl`) and
//! compare them step by step: a [`Step`], the [`Outcome`] of one CLI run with Go's client log
//! lines dropped, [`run_both`] and the per-step [`diff`] / [`assert_no_diffs`] report.
//! Test-specific normalizers map an [`Outcome`] with [`Outcome::map`] (e.g. masking durations
//! or IDs); the shared ID/port/table normalizer is [`crate::differential::normalize`].

use std::fmt::Debug;
use std::process::Output;

/// One CLI invocation of a script: etcdctl arguments after `--endpoints`, and optional stdin.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// Arguments after `--endpoints`.
    pub args: &'static [&'static str],
    /// Text fed to stdin (txn, passwd...), `None` for no stdin.
    pub stdin: Option<&'static str>,
}

impl Step {
    /// `etcdctl a b c` (`<stdin` when it reads stdin), for reports.
    pub fn label(&self) -> String {
        format!(
            "etcdctl {}{}",
            self.args.join(" "),
            if self.stdin.is_some() { " <stdin" } else { "" }
        )
    }
}

/// What one CLI run printed: stdout, the stderr lines other than Go's JSON client logs
/// (`{"level":...}`), and the exit code (`None`: killed by a signal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// stdout, lossy UTF-8.
    pub stdout: String,
    /// stderr lines without Go's JSON log lines, without their newlines.
    pub stderr: Vec<String>,
    /// Exit code.
    pub code: Option<i32>,
}

/// True for the JSON log lines Go's etcd client writes to stderr (warnings, progress).
pub fn is_go_log(line: &str) -> bool {
    line.starts_with("{\"level\"")
}

impl Outcome {
    /// The outcome of a finished CLI run.
    pub fn of(out: &Output) -> Outcome {
        Outcome::with_go_logs(out).keep_stderr(|l| !is_go_log(l))
    }

    /// The outcome with every stderr line, Go's JSON logs included (for normalizers that
    /// mask their varying fields instead of dropping them).
    pub fn with_go_logs(out: &Output) -> Outcome {
        Outcome {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr)
                .lines()
                .map(str::to_string)
                .collect(),
            code: out.status.code(),
        }
    }

    /// Keeps the stderr lines `keep` accepts (e.g. only `Error:` lines).
    pub fn keep_stderr(mut self, keep: impl Fn(&str) -> bool) -> Outcome {
        self.stderr.retain(|l| keep(l));
        self
    }

    /// Applies a normalizer to stdout and to every stderr line.
    pub fn map(self, f: impl Fn(&str) -> String) -> Outcome {
        Outcome {
            stdout: f(&self.stdout),
            stderr: self.stderr.iter().map(|l| f(l)).collect(),
            code: self.code,
        }
    }

    /// The stderr lines joined with newlines.
    pub fn stderr_text(&self) -> String {
        self.stderr.join("\n")
    }
}

/// Runs every step on both sides, `a` then `b` per step (both sides' servers are up at
/// once), and returns both outcome lists. Sides that must run one after the other (e.g. the
/// same ports reused) map their steps themselves and go straight to [`diff`].
pub fn run_both<T>(
    steps: &[Step],
    mut a: impl FnMut(&Step) -> T,
    mut b: impl FnMut(&Step) -> T,
) -> (Vec<T>, Vec<T>) {
    steps.iter().map(|s| (a(s), b(s))).unzip()
}

/// Compares two runs step by step with `same`; returns one message per differing step, with
/// the step's label and both sides (named `names.0` and `names.1`).
pub fn diff<T: Debug>(
    labels: impl IntoIterator<Item = String>,
    a: &[T],
    b: &[T],
    names: (&str, &str),
    same: impl Fn(&T, &T) -> bool,
) -> Vec<String> {
    assert_eq!(a.len(), b.len(), "both sides ran the same number of steps");
    labels
        .into_iter()
        .zip(a.iter().zip(b))
        .filter(|(_, (x, y))| !same(x, y))
        .map(|(label, (x, y))| format!("{label}\n  {}: {x:?}\n  {}: {y:?}", names.0, names.1))
        .collect()
}

/// Panics with every problem when there is any.
#[track_caller]
pub fn assert_no_diffs(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} differing steps:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
