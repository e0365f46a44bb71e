//! etcdctl 3.4's `put`, `get`, `del` and `compaction` (`ctlv3/command/{put,get,del,
//! compaction}_command.go`): flags, argument checks, the requests they build.

use std::io::{Read, Write};

use clap::Args;

use super::connect::{client, env, GlobalArgs};
use super::exit::{
    call_err, io_err, print_err, Exit, Result, EXIT_BAD_ARGS, EXIT_BAD_FEATURE, EXIT_ERROR,
};
use super::flags::{go_bool, go_int, go_parse_int};
use super::printer::OutputFormat;
use crate::keys::prefix_end;
use crate::pb::etcdserverpb::{
    range_request::{SortOrder, SortTarget},
    CompactionRequest, DeleteRangeRequest, PutRequest, RangeRequest,
};

/// `put [options] <key> <value>` (value from stdin when omitted).
#[derive(Debug, Clone, Args)]
pub struct PutArgs {
    /// <key> <value>; <value> is read from stdin when omitted
    pub args: Vec<String>,
    /// lease ID (in hexadecimal) to attach to the key
    #[arg(long, default_value = "0")]
    pub lease: String,
    /// return the previous key-value pair before modification
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prev_kv: bool,
    /// updates the key using its current value
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub ignore_value: bool,
    /// updates the key using its current lease
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub ignore_lease: bool,
}

/// `get [options] <key> [range_end]`.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// <key> [range_end]
    pub args: Vec<String>,
    /// Linearizable(l) or Serializable(s)
    #[arg(long, default_value = "l")]
    pub consistency: String,
    /// Order of results; ASCEND or DESCEND (ASCEND by default)
    #[arg(long, default_value = "")]
    pub order: String,
    /// Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION
    #[arg(long, default_value = "")]
    pub sort_by: String,
    /// Maximum number of results
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub limit: i64,
    /// Get keys with matching prefix
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prefix: bool,
    /// Get keys that are greater than or equal to the given key using byte compare
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub from_key: bool,
    /// Specify the kv revision
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub rev: i64,
    /// Get only the keys
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub keys_only: bool,
    /// Get only the count (etcdctl 3.5 extension)
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub count_only: bool,
    /// Only write values when using the "simple" output format
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub print_value_only: bool,
    /// Minimum modify revision (etcdctl 3.5 extension)
    #[arg(long = "min-mod-rev", alias = "min-mod-revision", default_value = "0", value_parser = go_int)]
    pub min_mod_revision: i64,
    /// Maximum modify revision (etcdctl 3.5 extension)
    #[arg(long = "max-mod-rev", alias = "max-mod-revision", default_value = "0", value_parser = go_int)]
    pub max_mod_revision: i64,
    /// Minimum create revision (etcdctl 3.5 extension)
    #[arg(long = "min-create-rev", alias = "min-create-revision", default_value = "0", value_parser = go_int)]
    pub min_create_revision: i64,
    /// Maximum create revision (etcdctl 3.5 extension)
    #[arg(long = "max-create-rev", alias = "max-create-revision", default_value = "0", value_parser = go_int)]
    pub max_create_revision: i64,
}

/// `del [options] <key> [range_end]`.
#[derive(Debug, Clone, Args)]
pub struct DelArgs {
    /// <key> [range_end]
    pub args: Vec<String>,
    /// delete keys with matching prefix
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prefix: bool,
    /// return deleted key-value pairs
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prev_kv: bool,
    /// delete keys that are greater than or equal to the given key using byte compare
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub from_key: bool,
}

/// `compaction [options] <revision>`.
#[derive(Debug, Clone, Args)]
pub struct CompactionArgs {
    /// <revision>
    pub args: Vec<String>,
    /// 'true' to wait for compaction to physically remove all old revisions
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub physical: bool,
}

/// Applies etcdctl's `--prefix` / `--from-key` to a key: returns (key, range_end).
fn key_range(
    key: &str,
    prefix: bool,
    from_key: bool,
    range_end: Option<&str>,
) -> (Vec<u8>, Vec<u8>) {
    let mut key = key.as_bytes().to_vec();
    let mut end = range_end.map(|e| e.as_bytes().to_vec()).unwrap_or_default();
    if prefix {
        if key.is_empty() {
            key = vec![0];
            end = vec![0];
        } else {
            end = prefix_end(&key);
        }
    }
    if from_key {
        if key.is_empty() {
            key = vec![0];
        }
        end = vec![0];
    }
    (key, end)
}

const BOTH: &str = "`--prefix` and `--from-key` cannot be set at the same time, choose one";
const TOO_MANY: &str =
    "too many arguments, only accept one argument when `--prefix` or `--from-key` is set";

/// etcdctl's `getGetOp`.
///
/// # Errors
/// etcdctl's argument errors (exit 128) and unknown `--consistency`, `--order`, `--sort-by`
/// values (exit 4).
pub(crate) fn get_op(a: &GetArgs) -> Result<RangeRequest> {
    let Some(key) = a.args.first() else {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "get command needs one argument as key and an optional argument as range_end",
        ));
    };
    if a.prefix && a.from_key {
        return Err(Exit::new(EXIT_BAD_ARGS, BOTH));
    }
    let serializable = match a.consistency.as_str() {
        "s" => true,
        "l" => false,
        c => {
            return Err(Exit::new(
                EXIT_BAD_FEATURE,
                format!(
                    "unknown consistency flag {}",
                    super::printer::go_quote(c.as_bytes())
                ),
            ))
        }
    };
    if a.args.len() > 1 && (a.prefix || a.from_key) {
        return Err(Exit::new(EXIT_BAD_ARGS, TOO_MANY));
    }
    let mut order = match a.order.to_uppercase().as_str() {
        "ASCEND" => SortOrder::Ascend,
        "DESCEND" => SortOrder::Descend,
        "" => SortOrder::None,
        _ => {
            return Err(Exit::new(
                EXIT_BAD_FEATURE,
                format!("bad sort order {}", a.order),
            ))
        }
    };
    let target = match a.sort_by.to_uppercase().as_str() {
        "CREATE" => SortTarget::Create,
        "KEY" | "" => SortTarget::Key,
        "MODIFY" => SortTarget::Mod,
        "VALUE" => SortTarget::Value,
        "VERSION" => SortTarget::Version,
        _ => {
            return Err(Exit::new(
                EXIT_BAD_FEATURE,
                format!("bad sort target {}", a.sort_by),
            ))
        }
    };
    if target == SortTarget::Key && order == SortOrder::Ascend {
        // clientv3.WithSort: the server already returns keys ascending.
        order = SortOrder::None;
    }
    let (key, range_end) = key_range(key, a.prefix, a.from_key, a.args.get(1).map(String::as_str));
    Ok(RangeRequest {
        key,
        range_end,
        limit: a.limit,
        revision: a.rev.max(0),
        sort_order: order as i32,
        sort_target: target as i32,
        serializable,
        keys_only: a.keys_only,
        count_only: a.count_only,
        min_mod_revision: a.min_mod_revision,
        max_mod_revision: a.max_mod_revision,
        min_create_revision: a.min_create_revision,
        max_create_revision: a.max_create_revision,
    })
}

/// etcdctl's `getPutOp`; the value comes from `stdin` when not given.
///
/// # Errors
/// etcdctl's argument errors (exit 128).
pub(crate) fn put_op(a: &PutArgs, stdin: &mut dyn Read) -> Result<PutRequest> {
    const NEEDS: &str = "put command needs 1 argument and input from stdin or 2 arguments";
    let Some(key) = a.args.first() else {
        return Err(Exit::new(EXIT_BAD_ARGS, NEEDS));
    };
    if a.ignore_value && a.args.len() > 1 {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "put command needs only 1 argument when 'ignore-value' is set",
        ));
    }
    let mut value = Vec::new();
    if !a.ignore_value {
        if let Some(v) = a.args.get(1) {
            value = v.as_bytes().to_vec();
        } else if stdin.read_to_end(&mut value).is_err() || value.is_empty() {
            return Err(Exit::new(EXIT_BAD_ARGS, NEEDS));
        }
    }
    let lease = go_parse_int(&a.lease, 16).map_err(|e| {
        Exit::new(
            EXIT_BAD_ARGS,
            format!("bad lease ID ({e}), expecting ID in Hex"),
        )
    })?;
    Ok(PutRequest {
        key: key.as_bytes().to_vec(),
        value,
        lease,
        prev_kv: a.prev_kv,
        ignore_value: a.ignore_value,
        ignore_lease: a.ignore_lease,
    })
}

/// etcdctl's `getDelOp`.
///
/// # Errors
/// etcdctl's argument errors (exit 128).
pub(crate) fn del_op(a: &DelArgs) -> Result<DeleteRangeRequest> {
    if a.args.is_empty() || a.args.len() > 2 {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "del command needs one argument as key and an optional argument as range_end",
        ));
    }
    if a.prefix && a.from_key {
        return Err(Exit::new(EXIT_BAD_ARGS, BOTH));
    }
    if a.args.len() > 1 && (a.prefix || a.from_key) {
        return Err(Exit::new(EXIT_BAD_ARGS, TOO_MANY));
    }
    let (key, range_end) = key_range(
        &a.args[0],
        a.prefix,
        a.from_key,
        a.args.get(1).map(String::as_str),
    );
    Ok(DeleteRangeRequest {
        key,
        range_end,
        prev_kv: a.prev_kv,
    })
}

/// `put [options] <key> [value]`.
pub(super) async fn put(
    g: &GlobalArgs,
    a: &PutArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    let req = put_op(a, stdin)?;
    let env = env(g)?;
    let resp = client(&env.cfg)?.put(req).await.map_err(call_err)?;
    env.printer.put(out, &resp).map_err(print_err)
}

/// `get [options] <key> [range_end]`.
pub(super) async fn get(g: &GlobalArgs, a: &GetArgs, out: &mut dyn Write) -> Result<()> {
    let req = get_op(a)?;
    let mut env = env(g)?;
    let resp = client(&env.cfg)?.range(req).await.map_err(call_err)?;
    if a.count_only && env.printer.format != OutputFormat::Fields {
        // etcdctl 3.5's rule for its --count-only flag.
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "--count-only is only for `--write-out=fields`",
        ));
    }
    if a.print_value_only {
        if env.printer.format != OutputFormat::Simple {
            return Err(Exit::new(
                EXIT_BAD_ARGS,
                "print-value-only is only for `--write-out=simple`",
            ));
        }
        env.printer.value_only = true;
    }
    env.printer.get(out, &resp).map_err(print_err)
}

/// `del [options] <key> [range_end]`.
pub(super) async fn del(g: &GlobalArgs, a: &DelArgs, out: &mut dyn Write) -> Result<()> {
    let req = del_op(a)?;
    let env = env(g)?;
    let resp = client(&env.cfg)?
        .delete_range(req)
        .await
        .map_err(call_err)?;
    env.printer.del(out, &resp).map_err(print_err)
}

/// `compaction [--physical] <revision>`.
pub(super) async fn compaction(
    g: &GlobalArgs,
    a: &CompactionArgs,
    out: &mut dyn Write,
) -> Result<()> {
    if a.args.len() != 1 {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "compaction command needs 1 argument",
        ));
    }
    let rev = go_parse_int(&a.args[0], 10).map_err(|e| Exit::new(EXIT_ERROR, e))?;
    let env = env(g)?;
    client(&env.cfg)?
        .compact(CompactionRequest {
            revision: rev,
            physical: a.physical,
        })
        .await
        .map_err(call_err)?;
    writeln!(out, "compacted revision {rev}").map_err(io_err)
}
