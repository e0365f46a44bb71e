//! urfave/cli's command line conventions for etcdctl v2, from the clap tree: Go-style
//! single-dash long flags ([`normalize`]), help and version requests and unknown commands
//! ([`intercept`]), `Incorrect Usage` reports ([`usage_error`]), and the help texts (the
//! root help is etcdctl 3.4.23's text as is, command help is rendered in urfave's layout).

use std::collections::BTreeSet;
use std::io::Write;

use clap::CommandFactory;

use super::{Cli, EXIT_BAD_ARGS, EXIT_NO_HELP_TOPIC, EXIT_SUCCESS};

/// `etcdctl --help` of etcdctl 3.4.23 in v2 mode.
pub(super) const ROOT_HELP: &str = include_str!("root_help.txt");

/// Global flags that take a value (long names and short letters).
const VALUE_GLOBALS: &[&str] = &[
    "output",
    "o",
    "discovery-srv",
    "D",
    "peers",
    "C",
    "endpoint",
    "endpoints",
    "cert-file",
    "key-file",
    "ca-file",
    "username",
    "u",
    "timeout",
    "total-timeout",
];

/// Global flags without a value.
const BOOL_GLOBALS: &[&str] = &[
    "debug",
    "no-sync",
    "insecure-discovery",
    "help",
    "h",
    "version",
    "v",
];

/// Every long flag name (and alias) of the tree.
fn long_names() -> BTreeSet<String> {
    fn walk(c: &clap::Command, set: &mut BTreeSet<String>) {
        for a in c.get_arguments() {
            if let Some(l) = a.get_long() {
                set.insert(l.to_string());
            }
            for al in a.get_all_aliases().unwrap_or_default() {
                set.insert(al.to_string());
            }
        }
        for s in c.get_subcommands() {
            walk(s, set);
        }
    }
    let mut set = BTreeSet::new();
    walk(&Cli::command(), &mut set);
    set
}

/// Go's flag package takes `-name` like `--name`: rewrite single-dash long flags (before a
/// `--`) to the double-dash form clap knows.
pub(super) fn normalize(args: &[String]) -> Vec<String> {
    let names = long_names();
    let mut out = Vec::with_capacity(args.len());
    let mut done = false;
    for a in args {
        if a == "--" {
            done = true;
        }
        if !done && a.starts_with('-') && !a.starts_with("--") && a.len() > 2 {
            let name = a[1..].split('=').next().unwrap_or("");
            if names.contains(name) {
                out.push(format!("-{a}"));
                continue;
            }
        }
        out.push(a.clone());
    }
    out
}

/// The flag name of an argument (`--ttl=5` → `ttl`).
fn flag_name(a: &str) -> &str {
    a.trim_start_matches('-').split('=').next().unwrap_or("")
}

/// Index of the command word: global flags (and their values) skipped.
fn command_index(args: &[String]) -> usize {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" || !a.starts_with('-') || a == "-" {
            break;
        }
        if !a.contains('=') && VALUE_GLOBALS.contains(&flag_name(a)) {
            i += 2;
        } else {
            i += 1;
        }
    }
    i.min(args.len())
}

fn is_help(a: &str) -> bool {
    matches!(a, "-h" | "--help")
}

/// Finds the subcommand path named by `words` (e.g. `["member", "list"]`).
fn find<'a>(root: &'a clap::Command, words: &[&str]) -> Option<&'a clap::Command> {
    let mut c = root;
    for w in words {
        c = c.find_subcommand(w)?;
    }
    Some(c)
}

/// Handles what urfave/cli handles before running a command: `--help`, `--version`,
/// `help [topic]`, unknown commands and command help. `Some(exit code)` when done.
pub(super) fn intercept(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Option<i32> {
    let i = command_index(args);
    for a in &args[..i] {
        let known = VALUE_GLOBALS.contains(&flag_name(a)) || BOOL_GLOBALS.contains(&flag_name(a));
        if a.starts_with('-') && !known {
            // Not a global flag: clap reports it as urfave would.
            return None;
        }
        if is_help(a) {
            let _ = write!(out, "{ROOT_HELP}");
            return Some(EXIT_SUCCESS);
        }
        if matches!(a.as_str(), "-v" | "--version") {
            let _ = writeln!(
                out,
                "etcdctl version: {}\nAPI version: 2",
                super::super::ETCDCTL_VERSION
            );
            return Some(EXIT_SUCCESS);
        }
    }
    let cmd = args.get(i)?;
    let root = Cli::command();
    let no_topic = |err: &mut dyn Write, t: &str| {
        let _ = writeln!(err, "No help topic for '{t}'");
        Some(EXIT_NO_HELP_TOPIC)
    };
    if cmd == "help" || cmd == "h" {
        let words: Vec<&str> = args[i + 1..].iter().map(String::as_str).collect();
        if words.is_empty() {
            let _ = write!(out, "{ROOT_HELP}");
            return Some(EXIT_SUCCESS);
        }
        return match find(&root, &words[..1]) {
            Some(c) => {
                let _ = write!(out, "{}", render(c, words[0]));
                Some(EXIT_SUCCESS)
            }
            None => no_topic(err, words[0]),
        };
    }
    let Some(c) = root.find_subcommand(cmd) else {
        return no_topic(err, cmd);
    };
    let rest: Vec<&String> = args[i + 1..].iter().take_while(|a| *a != "--").collect();
    if c.has_subcommands() {
        let sub = rest.first().map(|s| s.as_str());
        match sub {
            None | Some("-h") | Some("--help") | Some("help") | Some("h") => {
                let _ = write!(out, "{}", render(c, cmd));
                return Some(EXIT_SUCCESS);
            }
            Some(s) => match c.find_subcommand(s) {
                None => return no_topic(err, s),
                Some(sc) => {
                    if rest[1..].iter().any(|a| is_help(a)) {
                        let _ = write!(out, "{}", render(sc, &format!("{cmd} {s}")));
                        return Some(EXIT_SUCCESS);
                    }
                }
            },
        }
        return None;
    }
    if rest.iter().any(|a| is_help(a)) {
        let _ = write!(out, "{}", render(c, cmd));
        return Some(EXIT_SUCCESS);
    }
    None
}

/// One flag's names as urfave prints them (`--recursive, -r`, `--ttl value`).
fn flag_names(a: &clap::Arg) -> String {
    let takes = a.get_action().takes_values();
    let mut names = Vec::new();
    if let Some(l) = a.get_long() {
        names.push(format!("--{l}"));
    }
    for al in a.get_visible_aliases().unwrap_or_default() {
        names.push(if al.len() == 1 {
            format!("-{al}")
        } else {
            format!("--{al}")
        });
    }
    if let Some(s) = a.get_short() {
        names.push(format!("-{s}"));
    }
    if takes {
        names = names.into_iter().map(|n| format!("{n} value")).collect();
    }
    names.join(", ")
}

/// urfave's help of a command (`path` like `member list`).
pub(super) fn render(c: &clap::Command, path: &str) -> String {
    let about = c.get_about().map(|s| s.to_string()).unwrap_or_default();
    let mut s = format!("NAME:\n   etcdctl {path} - {about}\n\nUSAGE:\n");
    if c.has_subcommands() {
        s.push_str(&format!(
            "   etcdctl {path} command [command options] [arguments...]\n\nCOMMANDS:\n"
        ));
        let subs: Vec<_> = c.get_subcommands().collect();
        let w = subs.iter().map(|x| x.get_name().len()).max().unwrap_or(0);
        for sc in subs {
            let about = sc.get_about().map(|s| s.to_string()).unwrap_or_default();
            s.push_str(&format!("   {:w$}  {about}\n", sc.get_name()));
        }
        s.push_str("\nOPTIONS:\n   --help, -h  show help\n   \n");
        return s;
    }
    let flags: Vec<&clap::Arg> = c.get_arguments().filter(|a| !a.is_positional()).collect();
    let usage = c
        .get_overridden_usage()
        .map(|u| u.to_string())
        .unwrap_or_else(|| "[arguments...]".to_string());
    let opts = if flags.is_empty() {
        ""
    } else {
        " [command options]"
    };
    s.push_str(&format!("   etcdctl {path}{opts} {usage}\n"));
    if let Some(d) = c.get_after_help() {
        s.push_str(&format!("\nDESCRIPTION:\n   {d}\n"));
    }
    if !flags.is_empty() {
        s.push_str("\nOPTIONS:\n");
        let rows: Vec<(String, String)> = flags
            .iter()
            .map(|a| {
                let mut help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
                if a.get_action().takes_values() {
                    if let Some(d) = a.get_default_values().first() {
                        let d = d.to_string_lossy();
                        if !d.is_empty() {
                            help.push_str(&format!(" (default: {d})"));
                        }
                    }
                }
                (flag_names(a), help)
            })
            .collect();
        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        for (n, h) in rows {
            s.push_str(&format!("   {n:w$}  {h}\n"));
        }
        s.push_str("   \n");
    }
    s
}

/// Reports a clap parse failure the way urfave/cli does: the Go flag error on stderr, then
/// `Incorrect Usage` and the help on stdout; exit 1.
pub(super) fn usage_error(
    args: &[String],
    e: &clap::Error,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let arg = ctx(ContextKind::InvalidArg);
    let name = arg
        .trim_start_matches('-')
        .split([' ', '=', '<'])
        .next()
        .unwrap_or("")
        .to_string();
    let msg = match e.kind() {
        ErrorKind::InvalidValue if ctx(ContextKind::InvalidValue).is_empty() => {
            format!("flag needs an argument: -{name}")
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => format!(
            "invalid value {} for flag -{name}: parse error",
            crate::go_text::go_quote(ctx(ContextKind::InvalidValue).as_bytes())
        ),
        ErrorKind::UnknownArgument => format!("flag provided but not defined: -{name}"),
        _ => e
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_string(),
    };
    let _ = writeln!(err, "{msg}");
    let i = command_index(args);
    let before_command = args[..i]
        .iter()
        .any(|a| a.starts_with('-') && flag_name(a) == name);
    let root = Cli::command();
    let mut words: Vec<&str> = Vec::new();
    let mut c = &root;
    for w in args[i..].iter().take(if before_command { 0 } else { 2 }) {
        match c.find_subcommand(w) {
            Some(sc) => {
                words.push(w);
                c = sc;
            }
            None => break,
        }
    }
    if words.is_empty() {
        let _ = write!(out, "Incorrect Usage. {msg}\n\n{ROOT_HELP}");
    } else {
        let _ = write!(
            out,
            "Incorrect Usage: {msg}\n\n{}",
            render(c, &words.join(" "))
        );
    }
    EXIT_BAD_ARGS
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn go_single_dash_long_flags_become_double_dash() {
        assert_eq!(
            normalize(&strings(&[
                "-output", "json", "set", "-ttl=5", "-p", "-x", "--", "-ttl"
            ])),
            strings(&["--output", "json", "set", "--ttl=5", "-p", "-x", "--", "-ttl"])
        );
    }

    #[test]
    fn the_command_word_follows_the_global_flags() {
        let a = strings(&["-o", "json", "--no-sync", "--endpoints=x", "get", "foo"]);
        assert_eq!(command_index(&a), 4);
        assert_eq!(command_index(&strings(&["--debug"])), 1);
    }

    #[test]
    fn unknown_commands_have_no_help_topic() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = intercept(&strings(&["nosuch"]), &mut out, &mut err);
        assert_eq!(code, Some(EXIT_NO_HELP_TOPIC));
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "No help topic for 'nosuch'\n"
        );
    }

    #[test]
    fn command_help_has_urfaves_layout() {
        let root = Cli::command();
        let get = root.find_subcommand("get").unwrap();
        assert_eq!(
            render(get, "get"),
            "NAME:\n   etcdctl get - retrieve the value of a key\n\nUSAGE:\n   etcdctl get [command options] <key>\n\nOPTIONS:\n   --sort        returns result in sorted order\n   --quorum, -q  require quorum for get request\n   \n"
        );
        let rmdir = root.find_subcommand("rmdir").unwrap();
        assert!(render(rmdir, "rmdir").ends_with("USAGE:\n   etcdctl rmdir <key>\n"));
    }
}
