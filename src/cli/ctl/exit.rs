//! What a command exits with: etcdctl's exit codes (`ctlv3/command/error.go`), the [`Exit`]
//! error that carries the code and the `Error: <message>` text, the conversions from client,
//! printer and I/O errors, and Go's error texts for failed I/O and child processes.

use super::printer::{go_quote, PrintError};

/// Exit code: success.
pub const EXIT_SUCCESS: i32 = 0;
/// Exit code: generic error (server or client failure).
pub const EXIT_ERROR: i32 = 1;
/// Exit code: the client could not be created.
pub const EXIT_BAD_CONNECTION: i32 = 2;
/// Exit code: malformed txn input.
pub const EXIT_INVALID_INPUT: i32 = 3;
/// Exit code: a valid flag with an unsupported value (e.g. `-w table` for `get`).
pub const EXIT_BAD_FEATURE: i32 = 4;
/// Exit code: interrupted (a watch canceled by the server, a failed snapshot save).
pub const EXIT_INTERRUPTED: i32 = 5;
/// Exit code: an I/O failure (writing output).
pub const EXIT_IO: i32 = 6;
/// Exit code: bad command-line arguments.
pub const EXIT_BAD_ARGS: i32 = 128;

/// A command failure: the exit code and the message printed as `Error: <message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    /// Process exit code.
    pub code: i32,
    /// The message; empty means exit silently (e.g. `endpoint status` after its own report).
    pub message: String,
}

impl Exit {
    /// An exit with `code` and `message`.
    pub fn new(code: i32, message: impl Into<String>) -> Exit {
        Exit {
            code,
            message: message.into(),
        }
    }
}

/// Result of a command step.
pub type Result<T> = std::result::Result<T, Exit>;

pub(super) fn call_err(e: crate::client::Error) -> Exit {
    if matches!(e, crate::client::Error::Authentication { .. }) {
        // etcdctl's mustClientFromCmd: the client could not be created.
        return Exit::new(EXIT_BAD_CONNECTION, e.to_string());
    }
    Exit::new(EXIT_ERROR, e.to_string())
}

pub(super) fn print_err(e: PrintError) -> Exit {
    match e {
        PrintError::Unsupported(_) => Exit::new(EXIT_BAD_FEATURE, e.to_string()),
        PrintError::Io(e) => Exit::new(EXIT_IO, e.to_string()),
    }
}

pub(super) fn io_err(e: std::io::Error) -> Exit {
    Exit::new(EXIT_IO, e.to_string())
}

/// An [`EXIT_BAD_ARGS`] exit with `msg`.
pub(super) fn bad_args(msg: impl Into<String>) -> Exit {
    Exit::new(EXIT_BAD_ARGS, msg)
}

/// Go's `os/exec` error text for a command that could not run or failed.
pub(super) fn exec_error(
    prog: &str,
    r: std::io::Result<std::process::ExitStatus>,
) -> Option<String> {
    match r {
        Ok(st) if st.success() => None,
        Ok(st) => Some(match st.code() {
            Some(c) => format!("exit status {c}"),
            None => "signal: killed".to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "exec: {}: executable file not found in $PATH",
            go_quote(prog.as_bytes())
        )),
        Err(e) => Some(go_io_error(&e)),
    }
}

pub(super) use crate::go_text::io_error_text as go_io_error;
