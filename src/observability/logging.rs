//! etcd's two loggers on top of `tracing`: `--logger capnslog` (etcd 3.4's default: lines like
//! `2026-12-07 03:16:46.055149 I | embed: ready to serve client requests`) and `--logger zap`
//! (one JSON object per line with zap's field names `level`, `ts`, `caller`, `msg`, then the
//! event's fields with `_` spelled `-` as etcd's keys are; or zap's console encoder with
//! `--log-format console`). Outputs (`--log-outputs`): `default`/`stderr`, `stdout`, or file
//! paths (appended), each line written to every output.
//!
//! The logger in use is process-wide (set once by [`init`]) so that the fixed startup messages
//! of [`super::startup`] can be worded for it, as etcd words them per logger.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// `--logger`: which of etcd's loggers formats the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoggerKind {
    /// coreos/capnslog, etcd 3.4's default: `<date> <time> <L> | <package>: <message>`.
    #[default]
    Capnslog,
    /// uber/zap: JSON lines (or zap's console encoder with `--log-format console`).
    Zap,
}

/// `--log-format` (etcd 3.5) for the zap logger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One JSON object per line (zap's production encoder).
    #[default]
    Json,
    /// zap's console encoder: tab-separated time, level, caller, message, JSON fields.
    Console,
}

/// One `--log-outputs` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOutput {
    /// `default` or `stderr`.
    Stderr,
    /// `stdout`.
    Stdout,
    /// A file path, opened for appending (created if missing).
    File(PathBuf),
}

/// The logging flags, validated (see [`LogConfig::parse`]).
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// `--logger`.
    pub kind: LoggerKind,
    /// `--log-outputs`.
    pub outputs: Vec<LogOutput>,
    /// `--log-level` (`debug`, `info`, `warn`, `error`, `panic`, `fatal`), `debug` when
    /// `--debug` is set.
    pub level: String,
    /// `--log-package-levels`: (etcd package, tracing level) pairs, e.g. `etcdserver=DEBUG`.
    pub package_levels: Vec<(String, String)>,
    /// `--log-format`.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            kind: LoggerKind::Capnslog,
            outputs: vec![LogOutput::Stderr],
            level: "info".into(),
            package_levels: Vec::new(),
            format: LogFormat::Json,
        }
    }
}

/// A logging flag etcd refuses; the message is etcd's (`embed/config_logging.go`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogConfigError {
    /// `--logger` other than `capnslog` or `zap`.
    #[error("unknown logger option {0:?}")]
    UnknownLogger(String),
    /// capnslog writes to exactly one of `default`, `stderr`, `stdout`.
    #[error("--logger=capnslog supports only 1 value in '--log-outputs', got {0:?}")]
    CapnslogOutputs(String),
    /// capnslog cannot write to files.
    #[error("unknown log-output {0:?} (only supports \"default\", \"stderr\", \"stdout\")")]
    CapnslogOutput(String),
    /// zap: `default` mixed with other outputs.
    #[error("multi logoutput for \"default\" is not supported yet")]
    MultiDefault,
    /// `--log-level` outside etcd's list.
    #[error("unknown log level {0:?} (only supports debug, info, warn, error, panic, fatal)")]
    Level(String),
    /// `--log-package-levels` entry not `package=LEVEL` with a capnslog level.
    #[error("couldn't parse log level string {0:?}, continuing with default levels")]
    PackageLevel(String),
    /// `--log-format` other than `json` or `console`.
    #[error("unsupported log format {0:?}; only \"json\" and \"console\" are supported")]
    Format(String),
}

impl LogConfig {
    /// Validates the logging flags as etcd 3.4 does (3.5 for `--log-format`).
    ///
    /// `outputs` is the comma list of `--log-outputs`; `package_levels` the comma list of
    /// `--log-package-levels` (`etcdserver=DEBUG,raft=WARNING`; capnslog's levels CRITICAL,
    /// ERROR, WARNING, NOTICE, INFO, DEBUG, TRACE).
    ///
    /// # Errors
    /// [`LogConfigError`] with etcd's message.
    pub fn parse(
        logger: &str,
        outputs: &str,
        level: &str,
        debug: bool,
        package_levels: &str,
        format: &str,
    ) -> Result<LogConfig, LogConfigError> {
        let kind = match logger {
            "capnslog" | "" => LoggerKind::Capnslog,
            "zap" => LoggerKind::Zap,
            other => return Err(LogConfigError::UnknownLogger(other.into())),
        };
        if !matches!(
            level,
            "debug" | "info" | "warn" | "error" | "panic" | "fatal"
        ) {
            return Err(LogConfigError::Level(level.into()));
        }
        let names: Vec<&str> = outputs
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let names = if names.is_empty() {
            vec!["default"]
        } else {
            names
        };
        let mut outs = Vec::new();
        match kind {
            LoggerKind::Capnslog => {
                if names.len() != 1 {
                    return Err(LogConfigError::CapnslogOutputs(outputs.into()));
                }
                outs.push(match names[0] {
                    "default" | "stderr" => LogOutput::Stderr,
                    "stdout" => LogOutput::Stdout,
                    other => return Err(LogConfigError::CapnslogOutput(other.into())),
                });
            }
            LoggerKind::Zap => {
                if names.len() > 1 && names.contains(&"default") {
                    return Err(LogConfigError::MultiDefault);
                }
                for n in names {
                    outs.push(match n {
                        "default" | "stderr" => LogOutput::Stderr,
                        "stdout" => LogOutput::Stdout,
                        path => LogOutput::File(PathBuf::from(path)),
                    });
                }
            }
        }
        let mut pkgs = Vec::new();
        for entry in package_levels
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (pkg, lvl) = entry
                .split_once('=')
                .ok_or_else(|| LogConfigError::PackageLevel(entry.into()))?;
            let lvl = match lvl.to_ascii_uppercase().as_str() {
                "CRITICAL" | "C" | "ERROR" | "E" => "error",
                "WARNING" | "W" => "warn",
                "NOTICE" | "N" | "INFO" | "I" => "info",
                "DEBUG" | "D" => "debug",
                "TRACE" | "T" => "trace",
                _ => return Err(LogConfigError::PackageLevel(package_levels.into())),
            };
            pkgs.push((pkg.trim().to_string(), lvl.to_string()));
        }
        let format = match format {
            "json" | "" => LogFormat::Json,
            "console" => LogFormat::Console,
            other => return Err(LogConfigError::Format(other.into())),
        };
        Ok(LogConfig {
            kind,
            outputs: outs,
            level: if debug { "debug".into() } else { level.into() },
            package_levels: pkgs,
            format,
        })
    }
}

static LOGGER: OnceLock<LoggerKind> = OnceLock::new();

/// The logger chosen by [`init`] (capnslog when logging was not set up by the server).
pub fn logger() -> LoggerKind {
    LOGGER.get().copied().unwrap_or_default()
}

/// Our module paths that stand for an etcd package (for `--log-package-levels` and for
/// capnslog's `package:` prefix).
const PACKAGES: &[(&str, &str)] = &[
    ("etcdmain", "etcd_oxide::cli"),
    ("embed", "etcd_oxide::server::serve"),
    ("etcdserver", "etcd_oxide::server"),
    ("etcdserver/api/v3rpc", "etcd_oxide::v3rpc"),
    ("raft", "etcd_oxide::raft"),
    ("raft", "openraft"),
    ("mvcc", "etcd_oxide::mvcc"),
    ("lease", "etcd_oxide::lease"),
    ("auth", "etcd_oxide::auth"),
    ("etcdserver/membership", "etcd_oxide::membership"),
    ("wal", "etcd_oxide::storage"),
    ("etcdserver/api/etcdhttp", "etcd_oxide::serve"),
];

/// capnslog's package of a tracing target: an explicit etcd package target (`embed`) is
/// kept; a module path maps through [`PACKAGES`] (longest match), else its second segment.
fn package_of(target: &str) -> &str {
    if !target.contains("::") {
        return target;
    }
    PACKAGES
        .iter()
        .filter(|(_, m)| target == *m || target.starts_with(&format!("{m}::")))
        .max_by_key(|(_, m)| m.len())
        .map(|(p, _)| *p)
        .unwrap_or_else(|| target.split("::").nth(1).unwrap_or(target))
}

/// Installs the tracing subscriber for `cfg` and records the logger kind. `RUST_LOG`, when
/// set, overrides the levels. Calling it twice is harmless (the first wins).
///
/// # Errors
/// A `--log-outputs` file that cannot be opened for appending.
pub fn init(cfg: &LogConfig) -> std::io::Result<()> {
    let level = match cfg.level.as_str() {
        "panic" | "fatal" => "error",
        other => other,
    };
    let mut directives = format!("{level},openraft=error,h2=warn,tower=warn,hyper=warn");
    for (pkg, lvl) in &cfg.package_levels {
        for (p, module) in PACKAGES {
            if p == pkg {
                let _ = write!(directives, ",{module}={lvl}");
            }
        }
        let _ = write!(directives, ",{pkg}={lvl}");
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(directives));
    let mut sinks = Vec::new();
    for o in &cfg.outputs {
        sinks.push(match o {
            LogOutput::Stderr => Sink::Stderr,
            LogOutput::Stdout => Sink::Stdout,
            LogOutput::File(p) => Sink::File(Arc::new(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ))),
        });
    }
    let _ = LOGGER.set(cfg.kind);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Outputs(Arc::new(sinks)))
        .event_format(EtcdFormat {
            kind: cfg.kind,
            format: cfg.format,
        })
        .try_init();
    Ok(())
}

/// Installs the default logger (capnslog to stderr) at `level`, for the tools that have no
/// logging flags (gateway, grpc-proxy).
pub fn init_logging(level: &str) {
    let cfg = LogConfig {
        level: level.to_string(),
        ..LogConfig::default()
    };
    let _ = init(&cfg);
}

#[derive(Clone)]
enum Sink {
    Stderr,
    Stdout,
    File(Arc<Mutex<std::fs::File>>),
}

/// Every `--log-outputs` sink; each formatted line goes to all of them.
#[derive(Clone)]
struct Outputs(Arc<Vec<Sink>>);

/// One line being written: buffered, then flushed to every sink on drop.
struct LineWriter {
    sinks: Arc<Vec<Sink>>,
    buf: Vec<u8>,
}

impl std::io::Write for LineWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        for s in self.sinks.iter() {
            // A log line that cannot be written is dropped: logging must never stop the member.
            let _ = match s {
                Sink::Stderr => std::io::stderr().lock().write_all(&self.buf),
                Sink::Stdout => std::io::stdout().lock().write_all(&self.buf),
                Sink::File(f) => match f.lock() {
                    Ok(mut f) => f.write_all(&self.buf),
                    Err(_) => Ok(()),
                },
            };
        }
    }
}

impl<'a> MakeWriter<'a> for Outputs {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            sinks: self.0.clone(),
            buf: Vec::with_capacity(256),
        }
    }
}

/// The event formatter of both loggers.
struct EtcdFormat {
    kind: LoggerKind,
    format: LogFormat,
}

/// Collects an event's message and fields (field names with `_` spelled `-`, as etcd's).
#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(String, serde_json::Value)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        self.put(field, serde_json::Value::String(v));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, serde_json::Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
        } else {
            self.fields.push((field.name().replace('_', "-"), value));
        }
    }
}

/// zap's level names.
fn zap_level(l: &Level) -> &'static str {
    match *l {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG | Level::TRACE => "debug",
    }
}

/// capnslog's level letters.
fn capnslog_level(l: &Level) -> char {
    match *l {
        Level::ERROR => 'E',
        Level::WARN => 'W',
        Level::INFO => 'I',
        Level::DEBUG => 'D',
        Level::TRACE => 'T',
    }
}

/// zap's `caller`: the source file below `src/` and the line (`server/serve.rs:361`).
fn caller(meta: &tracing::Metadata<'_>) -> String {
    let file = meta.file().unwrap_or("?");
    let file = file
        .rsplit_once("/src/")
        .map(|(_, f)| f)
        .unwrap_or_else(|| file.strip_prefix("src/").unwrap_or(file));
    format!("{file}:{}", meta.line().unwrap_or(0))
}

impl<S, N> FormatEvent<S, N> for EtcdFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        let mut f = Fields::default();
        event.record(&mut f);
        // `fatal = true` marks the line a member exits with: capnslog's `C` (etcd's
        // `plog.Fatalf`), zap's `fatal`; the marker itself is not printed.
        let fatal = f
            .fields
            .iter()
            .position(|(k, v)| k == "fatal" && *v == serde_json::Value::Bool(true))
            .map(|i| f.fields.remove(i))
            .is_some();
        let zap_level = |l: &Level| if fatal { "fatal" } else { zap_level(l) };
        let capnslog_level = |l: &Level| if fatal { 'C' } else { capnslog_level(l) };
        let now = time::OffsetDateTime::now_utc();
        match (self.kind, self.format) {
            (LoggerKind::Zap, LogFormat::Json) => {
                let ts = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                    now.year(),
                    u8::from(now.month()),
                    now.day(),
                    now.hour(),
                    now.minute(),
                    now.second(),
                    now.millisecond()
                );
                // zap's key order: level, ts, caller, msg, then the fields as given.
                let q = |v: &str| serde_json::Value::from(v).to_string();
                write!(
                    writer,
                    "{{\"level\":{},\"ts\":{},\"caller\":{},\"msg\":{}",
                    q(zap_level(meta.level())),
                    q(&ts),
                    q(&caller(meta)),
                    q(&f.message)
                )?;
                for (k, v) in &f.fields {
                    write!(writer, ",{}:{v}", q(k))?;
                }
                writeln!(writer, "}}")
            }
            (LoggerKind::Zap, LogFormat::Console) => {
                let ts = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                    now.year(),
                    u8::from(now.month()),
                    now.day(),
                    now.hour(),
                    now.minute(),
                    now.second(),
                    now.millisecond()
                );
                write!(
                    writer,
                    "{ts}\t{}\t{}\t{}",
                    zap_level(meta.level()),
                    caller(meta),
                    f.message
                )?;
                if !f.fields.is_empty() {
                    let obj: serde_json::Map<_, _> = f.fields.into_iter().collect();
                    write!(writer, "\t{}", serde_json::Value::Object(obj))?;
                }
                writeln!(writer)
            }
            (LoggerKind::Capnslog, _) => {
                write!(
                    writer,
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06} {} | {}: {}",
                    now.year(),
                    u8::from(now.month()),
                    now.day(),
                    now.hour(),
                    now.minute(),
                    now.second(),
                    now.microsecond(),
                    capnslog_level(meta.level()),
                    package_of(meta.target()),
                    f.message
                )?;
                if !f.fields.is_empty() {
                    let parts: Vec<String> = f
                        .fields
                        .iter()
                        .map(|(k, v)| match v {
                            serde_json::Value::String(s) => format!("{k}={s}"),
                            other => format!("{k}={other}"),
                        })
                        .collect();
                    write!(writer, " ({})", parts.join(", "))?;
                }
                writeln!(writer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_flags_validate_as_etcd() {
        let c = LogConfig::parse("capnslog", "default", "info", false, "", "json").expect("ok");
        assert_eq!(c.kind, LoggerKind::Capnslog);
        assert_eq!(c.outputs, vec![LogOutput::Stderr]);
        let c =
            LogConfig::parse("zap", "stdout,/tmp/x.log", "info", true, "", "console").expect("ok");
        assert_eq!(c.kind, LoggerKind::Zap);
        assert_eq!(c.level, "debug");
        assert_eq!(c.format, LogFormat::Console);
        assert_eq!(
            c.outputs,
            vec![LogOutput::Stdout, LogOutput::File("/tmp/x.log".into())]
        );
        assert_eq!(
            LogConfig::parse("glog", "default", "info", false, "", "json")
                .expect_err("bad")
                .to_string(),
            "unknown logger option \"glog\""
        );
        assert!(matches!(
            LogConfig::parse("capnslog", "stderr,stdout", "info", false, "", "json"),
            Err(LogConfigError::CapnslogOutputs(_))
        ));
        assert!(matches!(
            LogConfig::parse("zap", "default,stdout", "info", false, "", "json"),
            Err(LogConfigError::MultiDefault)
        ));
        let c = LogConfig::parse("capnslog", "", "info", false, "etcdserver=DEBUG", "json")
            .expect("ok");
        assert_eq!(
            c.package_levels,
            vec![("etcdserver".into(), "debug".into())]
        );
        assert!(LogConfig::parse("capnslog", "", "info", false, "etcdserver", "json").is_err());
        assert!(LogConfig::parse("capnslog", "", "loud", false, "", "json").is_err());
    }

    #[test]
    fn capnslog_packages_follow_etcd() {
        assert_eq!(package_of("embed"), "embed");
        assert_eq!(package_of("etcd_oxide::server::serve"), "embed");
        assert_eq!(package_of("etcd_oxide::server::propose"), "etcdserver");
        assert_eq!(package_of("etcd_oxide::mvcc::kv_store"), "mvcc");
        assert_eq!(package_of("etcd_oxide::certs::x"), "certs");
    }
}
