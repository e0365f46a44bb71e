//! etcdctl's txn input grammar (`ctlv3/command/txn_command.go`).
//!
//! Input is three sections, each ended by an empty line: compares, success requests, failure
//! requests. A compare is `<target>("<key>") <op> "<value>"` with target `ver|version`,
//! `c|create`, `m|mod` (integers), `val|value` (bytes) or `lease` (integer lease id) and op
//! `=`, `!=`, `>`, `<`; quoted strings use Go syntax. A request is a `put`, `get` or `del`
//! command line with their flags, split like etcdctl's `argify` (double quotes with Go
//! escapes, single quotes verbatim).
//!
//! Deliberate deltas from 3.4.23, which panics in these cases: an unknown compare operator is
//! a `malformed comparison` error, `lease("k") = "5"` compares the key's lease (3.5
//! behaviour), and a single-quoted argument loses exactly its quotes (3.4 slices it with the
//! wrong length).

use std::io::{BufRead, Write};

use clap::{Args, Parser, Subcommand};

use super::connect::{client, env, GlobalArgs};
use super::exit::{call_err, print_err, Exit, Result, EXIT_BAD_ARGS, EXIT_INVALID_INPUT};
use super::flags::go_bool;
use super::kv::{del_op, get_op, put_op, DelArgs, GetArgs, PutArgs};
use super::printer::go_quote;
use crate::pb::etcdserverpb::{
    compare::{CompareResult, CompareTarget, TargetUnion},
    request_op::Request,
    Compare, RequestOp, TxnRequest,
};

/// `txn [options]`: reads compares, success and failure requests from stdin.
#[derive(Debug, Clone, Args)]
pub struct TxnArgs {
    /// (no arguments accepted)
    #[arg(hide = true)]
    pub args: Vec<String>,
    /// Input transaction in interactive mode
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub interactive: bool,
}

/// `txn [-i]`: reads the txn from `stdin`, sends it, prints the answer.
pub(super) async fn txn(
    g: &GlobalArgs,
    a: &TxnArgs,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    if !a.args.is_empty() {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "txn command does not accept argument",
        ));
    }
    let env = env(g)?;
    let c = client(&env.cfg)?;
    let req = read_txn(stdin, a.interactive, out)?;
    let resp = c.txn(req).await.map_err(call_err)?;
    env.printer.txn(out, &resp).map_err(print_err)
}

/// Reads one txn from `r` as etcdctl does, printing the interactive prompts to `out` when
/// `interactive`.
///
/// # Errors
/// Exit 3 with `EOF` when input ends before a section's empty line, or with the parse error;
/// a request's own argument errors keep their exit code (e.g. 128 for `put k`).
pub fn read_txn(r: &mut dyn BufRead, interactive: bool, out: &mut dyn Write) -> Result<TxnRequest> {
    let mut prompt = |s: &str| {
        if interactive {
            let _ = writeln!(out, "{s}");
            let _ = out.flush();
        }
    };
    prompt("compares:");
    let mut compare = Vec::new();
    for line in section(r)? {
        compare.push(parse_compare(&line).map_err(|m| Exit::new(EXIT_INVALID_INPUT, m))?);
    }
    prompt("success requests (get, put, del):");
    let success = section(r)?
        .iter()
        .map(|l| parse_request(l))
        .collect::<Result<Vec<_>>>()?;
    prompt("failure requests (get, put, del):");
    let failure = section(r)?
        .iter()
        .map(|l| parse_request(l))
        .collect::<Result<Vec<_>>>()?;
    Ok(TxnRequest {
        compare,
        success,
        failure,
    })
}

/// Reads trimmed non-empty lines up to an empty line. Like Go's `ReadString('\n')`, input
/// that ends without a newline is an `EOF` error.
fn section(r: &mut dyn BufRead) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut buf = Vec::new();
        let n = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| Exit::new(EXIT_INVALID_INPUT, e.to_string()))?;
        if n == 0 || buf.last() != Some(&b'\n') {
            return Err(Exit::new(EXIT_INVALID_INPUT, "EOF"));
        }
        let line = String::from_utf8_lossy(&buf).trim().to_string();
        if line.is_empty() {
            return Ok(lines);
        }
        lines.push(line);
    }
}

/// Parses one compare line, e.g. `mod("key") > "5"`.
///
/// # Errors
/// etcdctl's messages: `malformed comparison: ...` or `invalid txn compare request: ...`.
pub fn parse_compare(line: &str) -> std::result::Result<Compare, String> {
    let Some((target, rest)) = line.split_once('(') else {
        return Err(format!("malformed comparison: {line}"));
    };
    // fmt.Sscanf(rest, "%q) %s %q", &key, &op, &val)
    let mut key = String::new();
    let mut op = String::new();
    let mut val = String::new();
    let mut n = 0;
    let scanned = (|| -> std::result::Result<(), String> {
        let (k, r) = scan_quoted(rest)?;
        key = k;
        n = 1;
        let r = r.strip_prefix(')').ok_or("input does not match format")?;
        let r = r.trim_start();
        let end = r.find(char::is_whitespace).unwrap_or(r.len());
        if end == 0 {
            return Err("unexpected EOF".into());
        }
        op = r[..end].to_string();
        n = 2;
        let (v, _) = scan_quoted(&r[end..])?;
        val = v;
        n = 3;
        Ok(())
    })();
    if n != 3 {
        return Err(format!(
            "malformed comparison: {line}; got {target}({}) {op} {}",
            go_quote(key.as_bytes()),
            go_quote(val.as_bytes())
        ));
    }
    if let Err(e) = scanned {
        return Err(format!("malformed comparison: {line} ({e})"));
    }
    let result = match op.as_str() {
        "=" => CompareResult::Equal,
        "!=" => CompareResult::NotEqual,
        ">" => CompareResult::Greater,
        "<" => CompareResult::Less,
        _ => {
            return Err(format!(
                "malformed comparison: {line} (unknown operator {op})"
            ))
        }
    };
    let int = || {
        val.parse::<i64>()
            .map_err(|_| format!("invalid txn compare request: {line}"))
    };
    let (t, u) = match target {
        "ver" | "version" => (CompareTarget::Version, TargetUnion::Version(int()?)),
        "c" | "create" => (CompareTarget::Create, TargetUnion::CreateRevision(int()?)),
        "m" | "mod" => (CompareTarget::Mod, TargetUnion::ModRevision(int()?)),
        "val" | "value" => (
            CompareTarget::Value,
            TargetUnion::Value(val.clone().into_bytes()),
        ),
        "lease" => (CompareTarget::Lease, TargetUnion::Lease(int()?)),
        _ => {
            return Err(format!(
                "malformed comparison: {line} (unknown target {target})"
            ))
        }
    };
    Ok(Compare {
        result: result as i32,
        target: t as i32,
        key: key.into_bytes(),
        range_end: Vec::new(),
        target_union: Some(u),
    })
}

/// Go's `%q` scan verb: skips leading spaces, then a `"..."` string with Go escapes or a
/// `` `raw` `` string. Returns the value and the rest of the input.
fn scan_quoted(s: &str) -> std::result::Result<(String, &str), String> {
    let s = s.trim_start();
    if let Some(raw) = s.strip_prefix('`') {
        let end = raw.find('`').ok_or("unexpected EOF")?;
        return Ok((raw[..end].to_string(), &raw[end + 1..]));
    }
    let body = s.strip_prefix('"').ok_or(if s.is_empty() {
        "unexpected EOF"
    } else {
        "expected quoted string"
    })?;
    let mut out = Vec::new();
    let mut it = body.char_indices();
    while let Some((i, c)) = it.next() {
        match c {
            '"' => return Ok((String::from_utf8_lossy(&out).into_owned(), &body[i + 1..])),
            '\\' => {
                let (_, e) = it.next().ok_or("unexpected EOF")?;
                let mut hex = |n: usize| -> std::result::Result<u32, String> {
                    let mut v = 0u32;
                    for _ in 0..n {
                        let (_, d) = it.next().ok_or("unexpected EOF")?;
                        v = v * 16 + d.to_digit(16).ok_or("invalid syntax")?;
                    }
                    Ok(v)
                };
                match e {
                    'a' => out.push(7),
                    'b' => out.push(8),
                    'f' => out.push(12),
                    'n' => out.push(b'\n'),
                    'r' => out.push(b'\r'),
                    't' => out.push(b'\t'),
                    'v' => out.push(11),
                    '\\' => out.push(b'\\'),
                    '"' => out.push(b'"'),
                    'x' => out.push(u8::try_from(hex(2)?).map_err(|_| "invalid syntax")?),
                    'u' | 'U' => {
                        let v = hex(if e == 'u' { 4 } else { 8 })?;
                        let ch = char::from_u32(v).ok_or("invalid syntax")?;
                        out.extend_from_slice(ch.to_string().as_bytes());
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let (_, d) = it.next().ok_or("unexpected EOF")?;
                            v = v * 8 + d.to_digit(8).ok_or("invalid syntax")?;
                        }
                        out.push(u8::try_from(v).map_err(|_| "invalid syntax")?);
                    }
                    _ => return Err("invalid syntax".into()),
                }
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    Err("unexpected EOF".into())
}

/// etcdctl's `argify`: splits a request line into arguments.
///
/// # Errors
/// A double-quoted argument that is not a valid Go string.
pub fn argify(s: &str) -> std::result::Result<Vec<String>, String> {
    let mut args = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'"' {
            // "(?:[^"\\]|\\.)*"
            let mut j = i + 1;
            let mut closed = None;
            while j < bytes.len() {
                match bytes[j] {
                    b'\\' => j += 2,
                    b'"' => {
                        closed = Some(j);
                        break;
                    }
                    _ => j += 1,
                }
            }
            if let Some(j) = closed {
                let (v, _) = scan_quoted(&s[i..=j])?;
                args.push(v);
                i = j + 1;
            } else {
                i += 1;
            }
            continue;
        }
        if c == b'\'' {
            if let Some(off) = s[i + 1..].find('\'') {
                args.push(s[i + 1..i + 1 + off].to_string());
                i = i + 2 + off;
            } else {
                i += 1;
            }
            continue;
        }
        let end = s[i..]
            .find(|c: char| c.is_whitespace())
            .map(|o| i + o)
            .unwrap_or(s.len());
        args.push(s[i..end].to_string());
        i = end;
    }
    Ok(args)
}

#[derive(Debug, Parser)]
#[command(name = "txn-request", no_binary_name = true)]
struct RequestLine {
    #[command(subcommand)]
    op: RequestCommand,
}

#[derive(Debug, Subcommand)]
enum RequestCommand {
    Put(PutArgs),
    Get(GetArgs),
    Del(DelArgs),
}

/// Parses one request line (`put k v`, `get k --prefix`, `del k`).
///
/// # Errors
/// Exit 3 `invalid txn request: <line>` for unknown commands or flags; exit 3
/// `invalid txn compare request: <line>` for fewer than two words; the command's own argument
/// errors otherwise.
pub fn parse_request(line: &str) -> Result<RequestOp> {
    let args = argify(line).map_err(|e| Exit::new(EXIT_INVALID_INPUT, e))?;
    if args.len() < 2 {
        return Err(Exit::new(
            EXIT_INVALID_INPUT,
            format!("invalid txn compare request: {line}"),
        ));
    }
    let parsed = RequestLine::try_parse_from(&args)
        .map_err(|_| Exit::new(EXIT_INVALID_INPUT, format!("invalid txn request: {line}")))?;
    let request = match parsed.op {
        // stdin was consumed by the txn reader, so a missing value is an error, as in etcdctl.
        RequestCommand::Put(a) => Request::RequestPut(put_op(&a, &mut std::io::empty())?),
        RequestCommand::Get(a) => Request::RequestRange(get_op(&a)?),
        RequestCommand::Del(a) => Request::RequestDeleteRange(del_op(&a)?),
    };
    Ok(RequestOp {
        request: Some(request),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cmp(line: &str) -> Compare {
        parse_compare(line).unwrap()
    }

    #[test]
    fn compares() {
        let c = cmp(r#"mod("k1") > "5""#);
        assert_eq!(c.key, b"k1");
        assert_eq!(c.target, CompareTarget::Mod as i32);
        assert_eq!(c.result, CompareResult::Greater as i32);
        assert_eq!(c.target_union, Some(TargetUnion::ModRevision(5)));
        let c = cmp(r#"value("k\n") = "a \"b\"""#);
        assert_eq!(c.key, b"k\n");
        assert_eq!(
            c.target_union,
            Some(TargetUnion::Value(b"a \"b\"".to_vec()))
        );
        assert_eq!(
            cmp(r#"ver("k") != "1""#).result,
            CompareResult::NotEqual as i32
        );
        assert_eq!(
            cmp(r#"c("k") < "3""#).target_union,
            Some(TargetUnion::CreateRevision(3))
        );
        assert_eq!(
            cmp(r#"version("k") = "0""#).target_union,
            Some(TargetUnion::Version(0))
        );
        assert_eq!(
            cmp(r#"lease("k") = "7""#).target_union,
            Some(TargetUnion::Lease(7))
        );
        assert_eq!(cmp("val(`raw`) = `x`").key, b"raw");
    }

    #[test]
    fn compare_errors_match_etcdctl() {
        // Golden messages from etcdctl 3.4.23.
        assert_eq!(
            parse_compare(r#"bad("k1") = "zz""#).unwrap_err(),
            r#"malformed comparison: bad("k1") = "zz" (unknown target bad)"#
        );
        assert_eq!(
            parse_compare(r#"mod("k1") > "x""#).unwrap_err(),
            r#"invalid txn compare request: mod("k1") > "x""#
        );
        assert_eq!(
            parse_compare(r#"mod("k1") >"#).unwrap_err(),
            r#"malformed comparison: mod("k1") >; got mod("k1") > """#
        );
        assert_eq!(
            parse_compare("foo").unwrap_err(),
            "malformed comparison: foo"
        );
    }

    #[test]
    fn argify_splits_like_etcdctl() {
        assert_eq!(
            argify(r#"put k "a b\n""#).unwrap(),
            vec!["put", "k", "a b\n"]
        );
        assert_eq!(
            argify("put 'my key' v").unwrap(),
            vec!["put", "my key", "v"]
        );
        assert_eq!(
            argify("  get  k --prefix ").unwrap(),
            vec!["get", "k", "--prefix"]
        );
    }

    #[test]
    fn requests() {
        let r = parse_request("put k v --prev-kv").unwrap();
        match r.request {
            Some(Request::RequestPut(p)) => {
                assert_eq!(p.key, b"k");
                assert_eq!(p.value, b"v");
                assert!(p.prev_kv);
            }
            other => panic!("{other:?}"),
        }
        match parse_request("get k --prefix").unwrap().request {
            Some(Request::RequestRange(g)) => assert_eq!(g.range_end, b"l"),
            other => panic!("{other:?}"),
        }
        let e = parse_request("foo a").unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (3, "invalid txn request: foo a")
        );
        let e = parse_request("put a").unwrap_err();
        assert_eq!(e.code, 128);
        assert_eq!(
            parse_request("foo").unwrap_err().message,
            "invalid txn compare request: foo"
        );
    }

    #[test]
    fn sections_and_eof() {
        let mut input: &[u8] = b"mod(\"k\") > \"0\"\n\nput a b\n\nget a\n\n";
        let mut out = Vec::new();
        let t = read_txn(&mut input, true, &mut out).unwrap();
        assert_eq!(
            (t.compare.len(), t.success.len(), t.failure.len()),
            (1, 1, 1)
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n"
        );
        let mut input: &[u8] = b"\nput a b\n\nget a\n";
        let e = read_txn(&mut input, false, &mut Vec::new()).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (3, "EOF"));
    }
}
