//! The dependency arrows of `lib.rs`, checked: every `.rs` file under `src/` (subfolders
//! included) is scanned for the crate modules it names (`crate::x`, `crate::{x, y}`) and for
//! banned external crates, and compared with what its layer may name.
//!
//! Comment lines are skipped (a doc link is not a dependency). The exceptions below are today's
//! known breaks of the arrows, each with its reason; an exception that no longer matches
//! anything fails the test too, so the list only shrinks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Modules any layer may name: leaves with no policy (tracing/metrics, key arithmetic, Go's
/// text forms, the member's clock).
const EVERYWHERE: &[&str] = &["observability", "keys", "go_text", "failpoints", "clock"];

/// Sockets, for the layers that must not touch the network.
const SOCKETS: &[&str] = &["tokio::net", "TcpListener", "TcpStream", "UdpSocket"];

/// One layer: its top-level module, the crate modules it may name besides itself and
/// [`EVERYWHERE`], and the external paths it must not name.
struct Layer {
    module: &'static str,
    may_name: &'static [&'static str],
    banned: &'static [&'static [&'static str]],
}

const NO_WIRE_NO_RAFT: &[&str] = &["tonic::", "openraft::"];

/// The arrow list of `lib.rs`. `cli` and `fuzz` (test-only) may name anything and are absent.
const LAYERS: &[Layer] = &[
    // The wire never names raft, storage or heed.
    Layer {
        module: "v3rpc",
        may_name: &["server", "pb", "rpctypes", "tls", "serve"],
        banned: &[&["heed::", "openraft::"]],
    },
    Layer {
        module: "server",
        may_name: &[
            "raft",
            "apply",
            "mvcc",
            "lease",
            "auth",
            "alarm",
            "membership",
            "storage",
            "pb",
            "rpctypes",
            "tls",
            "config",
            "v2store",
            "discovery",
        ],
        banned: &[],
    },
    // raft is the openraft adapter: it names no domain module.
    Layer {
        module: "raft",
        may_name: &["apply", "storage", "pb", "tls"],
        banned: &[],
    },
    // apply and the domain never name tonic, openraft or sockets.
    Layer {
        module: "apply",
        may_name: &[
            "mvcc",
            "lease",
            "auth",
            "alarm",
            "membership",
            "storage",
            "pb",
            "v2store",
        ],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    Layer {
        module: "mvcc",
        may_name: &["storage", "pb"],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    Layer {
        module: "lease",
        may_name: &["storage", "pb"],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    Layer {
        module: "auth",
        may_name: &["storage", "pb"],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    Layer {
        module: "alarm",
        may_name: &["storage", "pb"],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    Layer {
        module: "membership",
        may_name: &["storage", "pb"],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    Layer {
        module: "v2store",
        may_name: &["storage", "pb"],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    Layer {
        module: "storage",
        may_name: &["pb"],
        banned: &[NO_WIRE_NO_RAFT, SOCKETS],
    },
    // The client never names server or v3rpc.
    Layer {
        module: "client",
        may_name: &["pb", "rpctypes", "tls"],
        banned: &[],
    },
    Layer {
        module: "benchmark",
        // `mvcc put` benchmarks the store itself, without a server (etcd's `benchmark mvcc`).
        may_name: &["client", "pb", "tls", "mvcc", "storage"],
        banned: &[],
    },
    Layer {
        module: "proxy",
        // The v2 proxy reads the discovery token (v2 `GetCluster`) and listen URLs (config).
        may_name: &[
            "client",
            "pb",
            "rpctypes",
            "tls",
            "serve",
            "discovery",
            "config",
        ],
        banned: &[],
    },
    // certs is a library: the CLI edge is cli::certs.
    Layer {
        module: "certs",
        may_name: &[],
        banned: &[&["anyhow::", "clap::"]],
    },
    Layer {
        module: "tls",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "serve",
        may_name: &["tls", "h2_authority", "h2_ping_policy"],
        banned: &[],
    },
    // Bootstrap discovery: URL syntax from config, the HTTPS client configuration from tls.
    Layer {
        module: "discovery",
        may_name: &["config", "tls", "client", "pb"],
        banned: &[&["tonic::", "openraft::", "heed::"]],
    },
    Layer {
        module: "config",
        may_name: &["tls", "auth"],
        banned: &[],
    },
    // Leaves.
    Layer {
        module: "pb",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "rpctypes",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "h2_authority",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "h2_ping_policy",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "keys",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "go_text",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "observability",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "failpoints",
        may_name: &[],
        banned: &[],
    },
    Layer {
        module: "clock",
        may_name: &[],
        banned: &[],
    },
];

/// Files allowed more than their layer, by design: (file under `src/`, crate modules it may
/// also name). `server/serve.rs` assembles a member (etcd's `embed/etcd.go`) and so serves
/// the wire it wires up; STYLE.md places it in `server/`.
const ASSEMBLY: &[(&str, &[&str])] = &[("server/serve.rs", &["v3rpc", "serve"])];

/// Today's breaks of the arrows: (file under `src/`, crate module named, why it is still there).
/// Remove a line when its break is fixed (the test fails on a stale line).
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    // The one error map to the wire names the typed errors it maps.
    (
        "v3rpc/error.rs",
        "apply",
        "maps ApplyError to tonic::Status",
    ),
    ("v3rpc/error.rs", "auth", "maps AuthError to tonic::Status"),
    (
        "v3rpc/lease.rs",
        "apply",
        "matches ApplyError::LeaseNotFound",
    ),
];

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
}

/// The code of a file without its comment lines.
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level crate modules `code` names: `crate::x` and every first segment of
/// `crate::{x::.., y}` (not `$crate::` nor `foo_crate::`).
fn named_modules(code: &str) -> BTreeSet<String> {
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ident_at = |mut i: usize| {
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        (code[start..i].to_string(), i)
    };
    let mut out = BTreeSet::new();
    let mut from = 0;
    while let Some(pos) = code[from..].find("crate::") {
        let at = from + pos;
        from = at + "crate::".len();
        if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b'$') {
            continue;
        }
        if bytes.get(from) == Some(&b'{') {
            // A group: collect the first identifier after `{` and after each `,` at depth 1.
            let mut depth = 0usize;
            let mut expect = true;
            let mut i = from;
            while i < bytes.len() {
                match bytes[i] {
                    b'{' => {
                        depth += 1;
                        expect = depth == 1;
                    }
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' => expect = depth == 1,
                    b if is_ident(b) && expect => {
                        let (name, end) = ident_at(i);
                        out.insert(name);
                        expect = false;
                        i = end;
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            let (name, _) = ident_at(from);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn named_modules_parses_paths_and_groups() {
    let found = named_modules(
        "use crate::raft::x;\nuse crate::{storage::{a, b}, pb};\n$crate::no; my_crate::no",
    );
    let want: BTreeSet<String> = ["raft", "storage", "pb"].map(String::from).into();
    assert_eq!(found, want);
}

/// Every arrow of `lib.rs` holds in every file of every layer, except [`EXCEPTIONS`].
#[test]
fn layering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut used_exceptions = BTreeSet::new();
    for layer in LAYERS {
        let mut files = Vec::new();
        let dir = root.join(layer.module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        let single = root.join(format!("{}.rs", layer.module));
        if single.is_file() {
            files.push(single);
        }
        assert!(!files.is_empty(), "layer {} has no files", layer.module);
        for path in files {
            let rel = path
                .strip_prefix(&root)
                .expect("invariant: under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = code(&std::fs::read_to_string(&path).expect("read source"));
            for m in named_modules(&text) {
                let allowed = m == layer.module
                    || m == "self"
                    || EVERYWHERE.contains(&m.as_str())
                    || layer.may_name.contains(&m.as_str())
                    || ASSEMBLY
                        .iter()
                        .any(|(f, ms)| *f == rel && ms.contains(&m.as_str()));
                if allowed {
                    continue;
                }
                if let Some(i) = EXCEPTIONS.iter().position(|(f, x, _)| *f == rel && *x == m) {
                    used_exceptions.insert(i);
                    continue;
                }
                violations.push(format!("{rel} names crate::{m}"));
            }
            for banned in layer.banned.iter().flat_map(|b| b.iter()) {
                if text.contains(banned) {
                    violations.push(format!("{rel} names {banned}"));
                }
            }
        }
    }
    for (i, (f, m, why)) in EXCEPTIONS.iter().enumerate() {
        if !used_exceptions.contains(&i) {
            violations.push(format!(
                "stale exception: {f} no longer names crate::{m} ({why})"
            ));
        }
    }
    assert!(
        violations.is_empty(),
        "layering broken:\n{}",
        violations.join("\n")
    );
}
