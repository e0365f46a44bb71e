//! `lease grant|revoke|timetolive|list|keep-alive`, ours vs etcdctl.

#![allow(clippy::unwrap_used)]

use super::support::*;

/// Replaces lease `id` (hex and decimal) with `<ID>` and remaining-TTL numbers with `N`.
fn norm_lease(s: &str, id: &str) -> String {
    let dec = i64::from_str_radix(id, 16).unwrap().to_string();
    let mut out = s.replace(id, "<ID>").replace(&dec, "<ID>");
    for pat in ["remaining(", "\"ttl\":", "\"TTL\" : "] {
        let mut res = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(pat) {
            res.push_str(&rest[..i + pat.len()]);
            rest = &rest[i + pat.len()..];
            let digits = rest
                .find(|c: char| !c.is_ascii_digit() && c != '-')
                .unwrap_or(rest.len());
            res.push('N');
            rest = &rest[digits..];
        }
        res.push_str(rest);
        out = res;
    }
    out
}

fn granted_id(o: &Outcome) -> String {
    // "lease 694d77aa9e3a1b0c granted with TTL(100s)"
    o.stdout.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn lease_commands_match_etcdctl() {
    let Some(s) = real_etcd() else { return };
    let ours = run(OURS, &s.ep, &["lease", "grant", "1000"]);
    let theirs = run(ETCDCTL, &s.ep, &["lease", "grant", "1000"]);
    assert_eq!(ours.code, Some(0));
    let (a, b) = (granted_id(&ours), granted_id(&theirs));
    assert_eq!(norm_lease(&ours.stdout, &a), norm_lease(&theirs.stdout, &b));
    assert_eq!(
        norm_lease(&ours.stdout, &a),
        "lease <ID> granted with TTL(1000s)\n"
    );
    for (id, k) in [(&a, "ka"), (&b, "kb")] {
        assert_eq!(
            run(ETCDCTL, &s.ep, &["put", k, "v", "--lease", id]).code,
            Some(0)
        );
    }
    for fmt in ["simple", "json", "fields"] {
        for cmd in [
            &["timetolive", "--keys"][..],
            &["timetolive"],
            &["keep-alive", "--once"],
        ] {
            let mut args = vec!["-w", fmt, "lease"];
            args.extend_from_slice(cmd);
            let o = run(OURS, &s.ep, &[&args[..], &[a.as_str()]].concat());
            let t = run(ETCDCTL, &s.ep, &[&args[..], &[b.as_str()]].concat());
            let (o2, t2) = (
                norm_lease(&o.stdout, &a).replace("ka", "K"),
                norm_lease(&t.stdout, &b).replace("kb", "K"),
            );
            // JSON keys are base64: "a2E=" (ka) vs "a2I=" (kb).
            assert_eq!(
                o2.replace("a2E=", "K"),
                t2.replace("a2I=", "K"),
                "lease {cmd:?} -w {fmt}"
            );
            assert_eq!((o.code, o.stderr), (t.code, t.stderr));
        }
    }
    for fmt in ["simple", "json", "fields", "protobuf", "table"] {
        same(&s.ep, &["-w", fmt, "lease", "list"]);
    }
    let o = run(OURS, &s.ep, &["lease", "revoke", &a]);
    let t = run(ETCDCTL, &s.ep, &["lease", "revoke", &b]);
    assert_eq!(norm_lease(&o.stdout, &a), norm_lease(&t.stdout, &b));
    assert_eq!(norm_lease(&o.stdout, &a), "lease <ID> revoked\n");
    // Gone now: same messages and exit codes.
    for args in [
        &["lease", "timetolive"][..],
        &["lease", "revoke"],
        &["lease", "keep-alive", "--once"],
        &["lease", "keep-alive"],
    ] {
        let o = run(OURS, &s.ep, &[args, &[a.as_str()]].concat());
        let t = run(ETCDCTL, &s.ep, &[args, &[b.as_str()]].concat());
        assert_eq!(
            (norm_lease(&o.stdout, &a), o.stderr, o.code),
            (norm_lease(&t.stdout, &b), t.stderr, t.code),
            "{args:?}"
        );
    }
    same(&s.ep, &["lease", "grant", "x"]);
    same(&s.ep, &["lease", "revoke", "zz"]);
    same(&s.ep, &["lease", "timetolive"]);
}
