//! The differential-script core shared by the tests that run the same etcdctl steps against
//! two sides (a real etcd 3.4 and ours, or the official etcdctl and our `etcd ctl`) and
//! compare them step by step: a [`Step`], the [`Outcome`] of one CLI run with Go's client log
//! lines dropped, [`run_both`] and the per-step [`diff`] / [`assert_no_diffs`] report.
//! Test-specific normalizers map an [`Outcome`] with [`Outcome::map`] (e.g. masking durations
//! or IDs); the shared ID/port/table normalizer is [`normalize`]. `DIFF_BOTH_ETCD=1` makes
//! [`candidate_kind`] a second real etcd (validates the normalizers).

use std::fmt::Debug;
use std::process::Output;

use regex::Regex;

use crate::harness::ServerKind;

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

/// [`diff`] for multi-line text transcripts, printed as they are:
/// `<label>: differs\n--- <a>:\n<text>\n--- <b>:\n<text>`.
pub fn diff_text(
    labels: impl IntoIterator<Item = String>,
    a: &[String],
    b: &[String],
    names: (&str, &str),
) -> Vec<String> {
    assert_eq!(a.len(), b.len(), "both sides ran the same number of steps");
    labels
        .into_iter()
        .zip(a.iter().zip(b))
        .filter(|(_, (x, y))| x != y)
        .map(|(label, (x, y))| {
            format!(
                "{label}: differs\n--- {}:\n{x}\n--- {}:\n{y}",
                names.0, names.1
            )
        })
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

/// Replaces what legitimately differs between two servers with placeholders. Everything else,
/// revisions included, must match byte for byte:
/// - the members' own ports → `<CLIENT_PORT>` / `<PEER_PORT>`;
/// - member and cluster IDs (10–16 hex digits, `%x` drops leading zeros; `cluster_id`, `member_id`, `ID` in JSON) → `<ID>`;
/// - `raft_term` in JSON headers → `<TERM>`;
/// - `took = 1.2ms` → `took = <T>`; the client's log timestamp and client UUID in warnings;
/// - ASCII tables are reduced to trimmed cells (column widths depend on the values), and the
///   endpoint-status cells DB SIZE, RAFT TERM, RAFT INDEX, RAFT APPLIED INDEX → `<N>` (storage
///   engine and raft log layout legitimately differ).
pub fn normalize(text: &str, client_port: u16, peer_port: u16) -> String {
    let mut t = text
        .replace(
            &format!("127.0.0.1:{client_port}"),
            "127.0.0.1:<CLIENT_PORT>",
        )
        .replace(&format!("127.0.0.1:{peer_port}"), "127.0.0.1:<PEER_PORT>");
    // Order matters: the client UUID contains a 12-hex-digit group the ID rule would eat.
    let rules: &[(&str, &str)] = &[
        (
            r"client-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "client-<UUID>",
        ),
        (r#""(cluster_id|member_id|ID)":\d+"#, r#""$1":<ID>"#),
        (r#""raft_term":\d+"#, r#""raft_term":<TERM>"#),
        // etcd prints IDs with %x: no leading zeros, so 16 digits or a few less.
        (r"\b[0-9a-f]{10,16}\b", "<ID>"),
        (r"took = [0-9.]+[a-zµ]+", "took = <T>"),
        (r#""ts":"[^"]*""#, r#""ts":<TS>"#),
    ];
    for (re, with) in rules {
        t = Regex::new(re)
            .expect("valid regex")
            .replace_all(&t, *with)
            .into_owned();
    }
    normalize_tables(&t)
}

/// ASCII tables reduced to trimmed cells, the varying endpoint-status cells → `<N>` (see
/// [`normalize`]).
pub fn normalize_tables(text: &str) -> String {
    const VARYING: &[&str] = &["DB SIZE", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX"];
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for line in text.lines() {
        if line.starts_with('+') && line.ends_with('+') {
            continue; // border
        }
        if line.starts_with('|') && line.ends_with('|') {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            let shown: Vec<String> = match &header {
                None => {
                    header = Some(cells.clone());
                    cells
                }
                Some(h) => cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if h.get(i).is_some_and(|n| VARYING.contains(&n.as_str())) {
                            "<N>".to_string()
                        } else {
                            c.clone()
                        }
                    })
                    .collect(),
            };
            out.push(format!("| {} |", shown.join(" | ")));
            continue;
        }
        header = None;
        out.push(line.to_string());
    }
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Which server is compared with the reference etcd.
pub fn candidate_kind() -> ServerKind {
    if std::env::var("DIFF_BOTH_ETCD").as_deref() == Ok("1") {
        ServerKind::Etcd
    } else {
        ServerKind::Ours
    }
}

#[test]
fn diff_reports_only_differing_steps() {
    let out = |stdout: &str, err: &str, code| Outcome {
        stdout: stdout.into(),
        stderr: vec![err.into()],
        code: Some(code),
    };
    let a = [out("OK\n", "", 0), out("", "Error: x", 1)];
    let b = [out("OK\n", "", 0), out("", "Error: y", 1)];
    let labels = ["put", "get"].map(String::from);
    let d = diff(labels.clone(), &a, &b, ("etcd", "ours"), Outcome::eq);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].starts_with("get\n  etcd: ") && d[0].contains("Error: y"),
        "{d:?}"
    );
    let t = diff_text(
        labels,
        &["a".into(), "b".into()],
        &["a".into(), "c".into()],
        ("etcd", "ours"),
    );
    assert_eq!(t, ["get: differs\n--- etcd:\nb\n--- ours:\nc"]);
    let go = Output {
        status: std::process::ExitStatus::default(),
        stdout: b"v\n".to_vec(),
        stderr: b"{\"level\":\"warn\"}\nError: e\n".to_vec(),
    };
    assert_eq!(Outcome::of(&go).stderr, ["Error: e"]);
    assert_eq!(Outcome::with_go_logs(&go).stderr.len(), 2);
    assert_eq!(Outcome::of(&go).map(|s| s.to_uppercase()).stdout, "V\n");
}
