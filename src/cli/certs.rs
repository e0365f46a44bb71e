//! `etcd certs` (and the binary run as `cfssl`): cfssl 1.2.0's command lines (`gencert`,
//! `genkey`, `print-defaults`, `certinfo`, `version`) plus
//! `init`, a whole cluster's certificates in one step. The PKI itself is `crate::certs`; this
//! file parses flags, reads files and standard input (`-`), prints, and maps errors to
//! `Error: <one line>` with exit code 1.
//!
//! Flags are Go-style as cfssl spells them (`-ca=ca.pem`, `-ca ca.pem`, `-initca`); `--ca` works
//! too. cfssljson's `-bare NAME` is built in: instead of printing cfssl's JSON, it writes
//! NAME.pem (0644), NAME-key.pem (0600) and NAME.csr (0644) atomically.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::certs::{self, files, json, Ca, Config, CsrRequest};

const EXIT_SUCCESS: i32 = 0;
const EXIT_ERROR: i32 = 1;

/// The clap tree of `etcd certs` (rendered as `etcd-certs` in man pages and completions).
pub fn command() -> Command {
    let csr_arg = Arg::new("CSRJSON")
        .help("Certificate request JSON file (cfssl format), or - for standard input")
        .required(true);
    let bare = Arg::new("bare")
        .long("bare")
        .value_name("NAME")
        .help("Write NAME.pem, NAME-key.pem and NAME.csr (as `| cfssljson -bare NAME`) instead of printing JSON");
    Command::new("etcd-certs")
        .bin_name("etcd certs")
        .about("cfssl-compatible certificate generation for etcd (CA, server, peer and client certificates)")
        .long_about(
            "cfssl-compatible certificate generation for etcd. Command lines written for cfssl work \
             with `etcd certs` in place of `cfssl`; Go-style single-dash flags (-ca=ca.pem) and \
             --flags are both accepted. Output is cfssl's JSON, which cfssljson accepts, or files \
             with the built-in -bare NAME.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("gencert")
                .about("Generate a key and a certificate: a self-signed CA (-initca) or one signed by -ca/-ca-key")
                .arg(Arg::new("initca").long("initca").action(ArgAction::SetTrue).help("Make a self-signed CA (43800h unless ca.expiry)"))
                .arg(Arg::new("ca").long("ca").value_name("FILE").help("CA certificate (PEM) that signs"))
                .arg(Arg::new("ca-key").long("ca-key").value_name("FILE").help("CA private key (PEM: EC, RSA or PKCS#8)"))
                .arg(Arg::new("config").long("config").value_name("FILE").help("Signing configuration JSON (signing.default, signing.profiles)"))
                .arg(Arg::new("profile").long("profile").value_name("NAME").help("Signing profile in -config"))
                .arg(Arg::new("hostname").long("hostname").value_name("HOSTS").help("Comma-separated SANs, replacing the request's hosts"))
                .arg(bare.clone())
                .arg(csr_arg.clone()),
        )
        .subcommand(
            Command::new("genkey")
                .about("Generate a key and a certificate request (with -initca: a self-signed CA)")
                .arg(Arg::new("initca").long("initca").action(ArgAction::SetTrue).help("Make a self-signed CA"))
                .arg(bare)
                .arg(csr_arg),
        )
        .subcommand(
            Command::new("print-defaults")
                .about("Print cfssl 1.2.0's default documents: config (ca-config.json) or csr (ca-csr.json); list (or any other word) lists them")
                .arg(Arg::new("KIND").required(true)),
        )
        .subcommand(Command::new("version").about("Print the cfssl version this command line follows (as `cfssl version`)"))
        .subcommand(
            Command::new("certinfo")
                .about("Describe a certificate as cfssl's certinfo JSON")
                .arg(Arg::new("cert").long("cert").value_name("FILE").required(true).help("Certificate (PEM or DER), or - for standard input")),
        )
        .subcommand(
            Command::new("init")
                .about("Write a CA plus server, peer and client certificates for a whole cluster")
                .long_about(
                    "Write a CA plus server, peer and client certificates for a whole cluster into --dir: \
                     ca.pem, ca-key.pem, server.pem, server-key.pem, peer-<member>.pem (or peer.pem), \
                     peer-<member>-key.pem, client.pem, client-key.pem. Server and peer certificates \
                     carry --hosts plus localhost and 127.0.0.1. Use them with etcd's --cert-file, \
                     --key-file, --trusted-ca-file and --peer-cert-file, --peer-key-file, \
                     --peer-trusted-ca-file, and etcdctl's --cacert, --cert, --key.",
                )
                .arg(Arg::new("hosts").long("hosts").value_name("H1,H2,...").required(true).help("Comma-separated host names and IPs of the members"))
                .arg(Arg::new("members").long("members").value_name("N1,N2,...").help("Member names: one peer certificate each"))
                .arg(Arg::new("dir").long("dir").value_name("DIR").default_value(".").help("Output directory (created if missing)"))
                .arg(Arg::new("client-cn").long("client-cn").value_name("CN").default_value("client").help("Common name of the client certificate (the etcd user with --client-cert-auth)"))
                .arg(Arg::new("expiry").long("expiry").value_name("DURATION").default_value("8760h").help("Validity of the leaf certificates, as a Go duration"))
                .arg(Arg::new("key-algo").long("key-algo").value_name("ALGO").default_value("ecdsa").help("Key algorithm: ecdsa or rsa"))
                .arg(Arg::new("key-size").long("key-size").value_name("BITS").value_parser(clap::value_parser!(u32)).default_value("0").help("Key size (0: 256 for ecdsa, 2048 for rsa)"))
                .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Overwrite existing files")),
        )
}

/// Every long flag name of the tree: the words that a single dash may introduce, Go-style.
fn long_flags(cmd: &Command) -> Vec<String> {
    let mut out: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(String::from))
        .collect();
    for sub in cmd.get_subcommands() {
        out.extend(long_flags(sub));
    }
    out.push("help".into());
    out
}

/// Rewrites Go-style `-flag` / `-flag=value` into `--flag...` for known flag names; `-` (stdin),
/// short flags and everything after `--` stay as they are.
fn go_style(args: Vec<OsString>, known: &[String]) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = false;
    for a in args {
        let Some(s) = a.to_str() else {
            out.push(a);
            continue;
        };
        if rest || s == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        if let Some(body) = s.strip_prefix('-').filter(|b| !b.starts_with('-')) {
            let name = body.split('=').next().unwrap_or("");
            // Go's flag package: any -word is a flag. Unknown words become --word so clap names
            // them whole ("unexpected argument '--bogus'").
            let go_word = name.len() > 1
                && name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if go_word || known.iter().any(|k| k == name) {
                out.push(OsString::from(format!("-{s}")));
                continue;
            }
        }
        out.push(a);
    }
    out
}

/// Runs `etcd certs`; `args` exclude the program and `certs`. Returns the exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let code = run_with(args, &mut std::io::stdin(), &mut stdout, &mut stderr);
    let _ = stdout.flush();
    code
}

/// [`run`] with explicit streams.
pub fn run_with(
    args: Vec<OsString>,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let cmd = command();
    let args = go_style(args, &long_flags(&cmd));
    let argv = std::iter::once(OsString::from("etcd certs")).chain(args);
    let m = match cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = write!(out, "{}", e.render());
                    EXIT_SUCCESS
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = write!(err, "{}", e.render());
                    EXIT_ERROR
                }
                _ => {
                    let rendered = e.render().to_string();
                    let first = rendered
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim_start_matches("error: ");
                    let _ = writeln!(err, "Error: {first}");
                    EXIT_ERROR
                }
            };
        }
    };
    match execute(&m, stdin, out) {
        Ok(()) => EXIT_SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            let _ = writeln!(err, "Error: {msg}");
            EXIT_ERROR
        }
    }
}

fn execute(m: &ArgMatches, stdin: &mut dyn Read, out: &mut dyn Write) -> Result<()> {
    match m.subcommand() {
        Some(("gencert", m)) => gencert(m, stdin, out),
        Some(("genkey", m)) => genkey(m, stdin, out),
        Some(("print-defaults", m)) => {
            // cfssl prints the document with Go's fmt.Println (so a blank line follows its
            // closing brace), and the list for `list` or any unknown type.
            match m.get_one::<String>("KIND").map(String::as_str) {
                Some("config") => writeln!(out, "{}", json::DEFAULT_CONFIG)?,
                Some("csr") => writeln!(out, "{}", json::DEFAULT_CSR)?,
                _ => write!(
                    out,
                    "Default configurations are available for:\n\tconfig\n\tcsr\n"
                )?,
            }
            Ok(())
        }
        Some(("version", _)) => {
            write!(out, "{}", cfssl_version())?;
            Ok(())
        }
        Some(("certinfo", m)) => {
            let file = m
                .get_one::<String>("cert")
                .map(String::as_str)
                .unwrap_or("-");
            let text = read_input(file, stdin)?;
            let info = certs::certinfo::certinfo(file, &text)?;
            writeln!(out, "{}", info.to_json())?;
            Ok(())
        }
        Some(("init", m)) => init(m, out),
        _ => Err(anyhow!("unknown command")),
    }
}

/// `cfssl version`'s three lines, as cfssl 1.2.0 prints them (`Version: 1.2.0`, `Revision:
/// release`), with this build in place of Go's runtime version.
fn cfssl_version() -> String {
    format!(
        "Version: 1.2.0\nRevision: release\nRuntime: etcd-oxide-{}\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Reads a file, or standard input for `-`; errors name the file.
fn read_input(name: &str, stdin: &mut dyn Read) -> Result<Vec<u8>> {
    if name == "-" {
        let mut buf = Vec::new();
        stdin
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        return Ok(buf);
    }
    std::fs::read(name).map_err(|e| anyhow!("{name}: {e}"))
}

fn read_csr(m: &ArgMatches, stdin: &mut dyn Read) -> Result<CsrRequest> {
    let file = m
        .get_one::<String>("CSRJSON")
        .map(String::as_str)
        .unwrap_or("-");
    let text = read_input(file, stdin)?;
    Ok(json::parse::<CsrRequest>(
        if file == "-" { "standard input" } else { file },
        &text,
    )?)
}

fn emit(m: &ArgMatches, bundle: &json::Bundle, out: &mut dyn Write) -> Result<()> {
    match m.get_one::<String>("bare") {
        Some(name) => {
            files::write_bare(name, bundle)?;
        }
        None => writeln!(out, "{}", bundle.to_json())?,
    }
    Ok(())
}

/// Prefixes a field error (`key.algo: ...`) with the file that held the field.
fn in_file(e: certs::Error, file: &str) -> anyhow::Error {
    let file = if file == "-" { "standard input" } else { file };
    match e {
        certs::Error::Field { .. } if !e.to_string().starts_with('-') => anyhow!("{file}: {e}"),
        other => other.into(),
    }
}

fn gencert(m: &ArgMatches, stdin: &mut dyn Read, out: &mut dyn Write) -> Result<()> {
    let flag = |n: &str| m.get_one::<String>(n).map(String::as_str);
    let csr_name = m
        .get_one::<String>("CSRJSON")
        .map(String::as_str)
        .unwrap_or("-");
    if m.get_flag("initca") {
        let req = read_csr(m, stdin)?;
        let bundle = certs::init_ca(&req).map_err(|e| in_file(e, csr_name))?;
        return emit(m, &bundle, out);
    }
    let ca_file =
        flag("ca").ok_or_else(|| anyhow!("-ca: a CA certificate is required (or -initca)"))?;
    let key_file =
        flag("ca-key").ok_or_else(|| anyhow!("-ca-key: the CA private key is required"))?;
    let ca_pem = std::fs::read(ca_file).map_err(|e| anyhow!("-ca {ca_file}: {e}"))?;
    let key_pem = std::fs::read(key_file).map_err(|e| anyhow!("-ca-key {key_file}: {e}"))?;
    let ca = Ca::load(ca_file, &ca_pem, key_file, &key_pem)?;
    let config = match flag("config") {
        Some(f) => {
            let text = std::fs::read(f).map_err(|e| anyhow!("-config {f}: {e}"))?;
            let c: Config = json::parse(f, &text)?;
            certs::validate_config(&c).map_err(|e| anyhow!("{f}: {e}"))?;
            c
        }
        None => Config::default(),
    };
    let req = read_csr(m, stdin)?;
    let hosts = flag("hostname").map(certs::san::split_hosts);
    let bundle = certs::sign(&req, &ca, &config, flag("profile"), hosts.as_deref()).map_err(
        |e| match &e {
            certs::Error::Field { field, .. } if field.starts_with("signing.") => {
                in_file(e, flag("config").unwrap_or("-config"))
            }
            _ => in_file(e, csr_name),
        },
    )?;
    emit(m, &bundle, out)
}

fn genkey(m: &ArgMatches, stdin: &mut dyn Read, out: &mut dyn Write) -> Result<()> {
    let req = read_csr(m, stdin)?;
    let csr_name = m
        .get_one::<String>("CSRJSON")
        .map(String::as_str)
        .unwrap_or("-");
    let bundle = if m.get_flag("initca") {
        certs::init_ca(&req)
    } else {
        certs::gen_key(&req)
    }
    .map_err(|e| in_file(e, csr_name))?;
    emit(m, &bundle, out)
}

fn init(m: &ArgMatches, out: &mut dyn Write) -> Result<()> {
    let list = |n: &str| {
        m.get_one::<String>(n)
            .map(|s| certs::san::split_hosts(s))
            .unwrap_or_default()
    };
    let hosts = list("hosts");
    if hosts.is_empty() {
        return Err(anyhow!("--hosts: at least one host is required"));
    }
    let members = list("members");
    let dir = PathBuf::from(
        m.get_one::<String>("dir")
            .map(String::as_str)
            .unwrap_or("."),
    );
    let text = |n: &str| m.get_one::<String>(n).cloned().unwrap_or_default();
    let key = json::KeyRequest {
        algo: text("key-algo"),
        size: m.get_one::<u32>("key-size").copied().unwrap_or(0),
    };
    let files = certs::init_cluster(
        &hosts,
        &members,
        &text("client-cn"),
        Some(&key),
        &text("expiry"),
    )?;
    std::fs::create_dir_all(&dir).map_err(|e| anyhow!("--dir {}: {e}", dir.display()))?;
    let targets: Vec<(PathBuf, String, u32)> = files
        .into_iter()
        .map(|(name, contents, mode)| (dir.join(name), contents, mode))
        .collect();
    if !m.get_flag("force") {
        if let Some((p, _, _)) = targets.iter().find(|(p, _, _)| Path::exists(p)) {
            return Err(anyhow!(
                "{} already exists (use --force to overwrite)",
                p.display()
            ));
        }
    }
    files::write_all_or_nothing(&targets)?;
    for (p, _, _) in &targets {
        writeln!(out, "wrote {}", p.display())?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn go_style_flags_become_long_flags() {
        let known = long_flags(&command());
        let args: Vec<OsString> = [
            "gencert",
            "-ca=ca.pem",
            "-ca-key",
            "k.pem",
            "-initca",
            "-",
            "-profile=peer",
            "x.json",
            "-bare",
            "server",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let got: Vec<String> = go_style(args, &known)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "gencert",
                "--ca=ca.pem",
                "--ca-key",
                "k.pem",
                "--initca",
                "-",
                "--profile=peer",
                "x.json",
                "--bare",
                "server"
            ]
        );
    }

    #[test]
    fn print_defaults_is_cfssl_text() {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_with(
            vec!["print-defaults".into(), "config".into()],
            &mut std::io::empty(),
            &mut out,
            &mut err,
        );
        assert_eq!(code, 0);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{}\n", json::DEFAULT_CONFIG)
        );
    }

    fn run_text(args: &[&str]) -> (i32, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_with(
            args.iter().map(OsString::from).collect(),
            &mut std::io::empty(),
            &mut out,
            &mut err,
        );
        (code, String::from_utf8(out).unwrap())
    }

    #[test]
    fn print_defaults_list_and_unknown_types_list_the_documents() {
        let list = "Default configurations are available for:\n\tconfig\n\tcsr\n";
        assert_eq!(run_text(&["print-defaults", "list"]), (0, list.to_string()));
        assert_eq!(
            run_text(&["print-defaults", "bogus"]),
            (0, list.to_string())
        );
        let (code, csr) = run_text(&["print-defaults", "csr"]);
        assert_eq!((code, csr), (0, format!("{}\n", json::DEFAULT_CSR)));
    }

    #[test]
    fn version_is_cfssl_1_2_0s() {
        let (code, text) = run_text(&["version"]);
        assert_eq!(code, 0);
        assert!(
            text.starts_with("Version: 1.2.0\nRevision: release\nRuntime: etcd-oxide-"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn command_tree_is_valid() {
        command().debug_assert();
    }
}
