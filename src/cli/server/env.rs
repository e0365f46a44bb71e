//! etcd's ways to give the server its flags besides the command line: Go's single-dash long
//! flags, `ETCD_*` environment variables (etcd's `SetFlagsFromEnv` rules), `--config-file`
//! YAML, and Go's flag-package error lines with etcd's exit codes.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use crate::config::ConfigError;

use super::args::ServerArgs;
use super::parse_command;

/// Rewrites Go-style single-dash long flags (`-name x`, `-data-dir=x`) into `--name`.
/// Short flags and values are left alone; everything after `--` is untouched.
pub fn normalize_go_flags(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut passthrough = false;
    for (i, a) in args.into_iter().enumerate() {
        if i == 0 || passthrough {
            out.push(a);
            continue;
        }
        match a.to_str() {
            Some("--") => {
                passthrough = true;
                out.push(a);
            }
            Some(s) if s.starts_with('-') && !s.starts_with("--") && s.len() > 2 => {
                out.push(OsString::from(format!("-{s}")));
            }
            _ => out.push(a),
        }
    }
    out
}

/// Long flag names of the server (aliases included) with the arg id each belongs to.
pub(super) fn long_names(cmd: &clap::Command) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in cmd.get_arguments() {
        let id = a.get_id().as_str().to_string();
        if let Some(l) = a.get_long() {
            if matches!(l, "help" | "version") {
                continue;
            }
            out.push((l.to_string(), id.clone()));
            for alias in a.get_all_aliases().unwrap_or_default() {
                out.push((alias.to_string(), id.clone()));
            }
        }
    }
    out
}

/// etcd's `FlagToEnv("ETCD", name)`: `ETCD_` + upper case, dashes to underscores.
pub fn flag_to_env(name: &str) -> String {
    format!("ETCD_{}", name.to_uppercase().replace('-', "_"))
}

/// etcd's `SetFlagsFromEnv` failure: a value that does not parse as its flag's type, taken
/// from `ETCD_<FLAG>` (not from the command line nor a config file), is reported under the
/// variable's name: `error verifying flags, invalid value "abc" for ETCD_HEARTBEAT_INTERVAL:
/// parse error. See 'etcd --help'.` (etcd 3.4.23, exit code 1). `None` when `e` is not such
/// a parse error of an environment value.
pub(super) fn env_parse_error(e: &ConfigError, from_file: bool) -> Option<String> {
    if from_file || e.reason != "parse error" {
        return None;
    }
    let key = flag_to_env(e.flag);
    let value = std::env::var(&key).ok()?;
    (!value.is_empty() && value.trim() == e.value.trim()).then(|| {
        format!(
            "error verifying flags, invalid value {:?} for {key}: {}. See 'etcd --help'.",
            value, e.reason
        )
    })
}

/// A line to log once logging is set up: (is a warning, text).
pub(super) type Note = (bool, String);

/// etcd's `SetFlagsFromEnv` + `verifyEnv` (etcd 3.4 `pkg/flags`): each non-empty `ETCD_*`
/// variable of a flag not given on the command line becomes `--flag=value` (logged as
/// `recognized and used environment variable ETCD_X=v`, in flag-name order); an `ETCD_*`
/// variable naming no flag is warned about (`unrecognized environment variable ETCD_X=v`).
///
/// # Errors
/// etcd's fatal line when a variable names a flag that was also given on the command line
/// (the command line would shadow it).
pub fn env_args(
    cmd: &clap::Command,
    matches: &clap::ArgMatches,
    env: &[(String, String)],
) -> Result<(Vec<OsString>, Vec<Note>), String> {
    let names = long_names(cmd);
    let on_cmdline =
        |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    let mut used: Vec<(String, String, String)> = Vec::new();
    let mut notes = Vec::new();
    for (key, value) in env {
        // `--version` is a flag of etcd's set too: `ETCD_VERSION` is recognized (a Go bool)
        // but, read after etcd's version check, prints nothing.
        if key == "ETCD_VERSION" && !value.is_empty() && !used.iter().any(|(_, k, _)| k == key) {
            if crate::go_text::parse_go_bool(value).is_none() {
                return Err(format!("error verifying flags, invalid value {value:?} for {key}: parse error. See 'etcd --help'."));
            }
            used.push(("version".to_string(), key.clone(), value.clone()));
            continue;
        }
        let flag = names.iter().find(|(l, _)| flag_to_env(l) == *key);
        match flag {
            Some((_, id)) if on_cmdline(id) => {
                return Err(format!("conflicting environment variable {key:?} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)"));
            }
            Some((long, _)) if !value.is_empty() && !used.iter().any(|(_, k, _)| k == key) => {
                used.push((long.clone(), key.clone(), value.clone()));
            }
            Some(_) => {}
            None if key.starts_with("ETCD_") => {
                notes.push((
                    true,
                    format!("unrecognized environment variable {key}={value}"),
                ));
            }
            None => {}
        }
    }
    used.sort();
    let mut args = Vec::new();
    let mut recognized = Vec::new();
    for (long, key, value) in used {
        recognized.push((
            false,
            format!("recognized and used environment variable {key}={value}"),
        ));
        if long != "version" {
            args.push(OsString::from(format!("--{long}={value}")));
        }
    }
    recognized.extend(notes);
    Ok((args, recognized))
}

/// A clap error as Go's flag package words it, with etcd's exit code: an unknown flag is
/// `flag provided but not defined: -x` (2), a stray word `error verifying flags, 'x' is not
/// a valid flag. See 'etcd --help'.` (1), a bad boolean `invalid boolean value "v" for -x:
/// parse error` (2), a missing value `flag needs an argument: -x` (2).
pub(super) fn go_flag_error(e: &clap::Error) -> (String, i32) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let flag_name = |raw: &str| {
        raw.trim_start_matches('-')
            .split(['=', ' ', '['])
            .next()
            .unwrap_or_default()
            .to_string()
    };
    match e.kind() {
        ErrorKind::UnknownArgument => {
            let arg = ctx(ContextKind::InvalidArg).unwrap_or_default();
            if arg.starts_with('-') {
                (
                    format!("flag provided but not defined: -{}", flag_name(&arg)),
                    2,
                )
            } else {
                (
                    format!(
                        "error verifying flags, '{arg}' is not a valid flag. See 'etcd --help'."
                    ),
                    1,
                )
            }
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let arg = flag_name(&ctx(ContextKind::InvalidArg).unwrap_or_default());
            match ctx(ContextKind::InvalidValue) {
                Some(v) if !v.is_empty() => (
                    format!("invalid boolean value {v:?} for -{arg}: parse error"),
                    2,
                ),
                _ => (format!("flag needs an argument: -{arg}"), 2),
            }
        }
        _ => {
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            (first, 2)
        }
    }
}

/// `--config-file` (or `ETCD_CONFIG_FILE`): the file's YAML as flags, parsed like a command
/// line without env (etcd ignores other flags and env then).
pub(super) fn args_from_config_file(path: &str) -> Result<ServerArgs, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("open {path}: {}", crate::go_text::io_error_text(&e)))?;
    let names: Vec<String> = long_names(&ServerArgs::command())
        .into_iter()
        .map(|(l, _)| l)
        .filter(|l| l != "config-file")
        .collect();
    let flags = crate::config::file::yaml_to_args(&text, &names).map_err(|e| e.to_string())?;
    let argv = std::iter::once("etcd".to_string()).chain(flags);
    let m = parse_command()
        .try_get_matches_from(argv)
        .map_err(|e| go_flag_error(&e).0)?;
    ServerArgs::from_arg_matches(&m).map_err(|e| go_flag_error(&e).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_flags_are_normalized() {
        let v: Vec<OsString> = [
            "etcd",
            "-name",
            "n1",
            "--data-dir",
            "d",
            "-x",
            "-initial-cluster=a=b",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let n = normalize_go_flags(v);
        let s: Vec<_> = n.iter().map(|o| o.to_string_lossy().to_string()).collect();
        assert_eq!(
            s,
            [
                "etcd",
                "--name",
                "n1",
                "--data-dir",
                "d",
                "-x",
                "--initial-cluster=a=b"
            ]
        );
    }

    /// etcd 3.4's env rules: used (sorted by flag), unknown warned, aliases recognized,
    /// empty values ignored, a flag given both ways refused.
    #[test]
    fn env_rules_follow_etcd() {
        let cmd = parse_command();
        let m = parse_command()
            .try_get_matches_from(["etcd", "--data-dir=d"])
            .expect("parses");
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let (args, notes) = env_args(
            &cmd,
            &m,
            &env(&[
                ("ETCD_NAME", "n"),
                ("ETCD_BOGUS", "1"),
                ("ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL", "5s"),
                ("ETCD_WAL_DIR", ""),
                ("HOME", "/root"),
            ]),
        )
        .expect("no conflict");
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--experimental-watch-progress-notify-interval=5s",
                "--name=n"
            ]
        );
        assert_eq!(notes.len(), 3);
        assert_eq!(
            notes[2],
            (
                true,
                "unrecognized environment variable ETCD_BOGUS=1".to_string()
            )
        );
        let e = env_args(&cmd, &m, &env(&[("ETCD_DATA_DIR", "x")])).expect_err("shadowed");
        assert!(
            e.starts_with("conflicting environment variable \"ETCD_DATA_DIR\""),
            "{e}"
        );
    }
}
