//! The v2 keys commands (`ctlv2/command/{set,get,mk,mkdir,set_dir,update,update_dir,rm,rmdir,
//! ls}_command.go`): their clap arguments and bodies. A missing key exits 1 with
//! `Error:  key required`; a value comes from the argument or, when absent, all of stdin
//! (`Error:  value required` when empty); server errors exit 4.

use std::io::{BufRead, Write};

use clap::Args;

use super::connect::{handle_error, io_fail, must_client, with_total_timeout};
use super::format::print_response_key;
use super::{Fail, GlobalArgs, Result, EXIT_BAD_ARGS, EXIT_SERVER_ERROR};
use crate::client::v2::{DeleteOptions, Response, SetOptions};

/// Go's `strconv.Atoi` for urfave's `IntFlag` values.
fn go_int(s: &str) -> std::result::Result<i64, String> {
    s.parse::<i64>().map_err(|_| "parse error".to_string())
}

/// `set <key> <value>`.
#[derive(Debug, Clone, Args)]
pub struct SetArgs {
    /// key time-to-live in seconds
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub ttl: i64,
    /// previous value
    #[arg(long, default_value = "")]
    pub swap_with_value: String,
    /// previous index
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub swap_with_index: i64,
    /// <key> <value>
    pub args: Vec<String>,
}

/// `mk <key> <value>`.
#[derive(Debug, Clone, Args)]
pub struct MkArgs {
    /// create in-order key under directory <key>
    #[arg(long)]
    pub in_order: bool,
    /// key time-to-live in seconds
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub ttl: i64,
    /// <key> <value>
    pub args: Vec<String>,
}

/// `mkdir`, `setdir`, `updatedir <key>`.
#[derive(Debug, Clone, Args)]
pub struct DirArgs {
    /// key time-to-live in seconds
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub ttl: i64,
    /// <key>
    pub args: Vec<String>,
}

/// `update <key> <value>`.
#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// key time-to-live in seconds
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub ttl: i64,
    /// <key> <value>
    pub args: Vec<String>,
}

/// `rm <key>`.
#[derive(Debug, Clone, Args)]
pub struct RmArgs {
    /// removes the key if it is an empty directory or a key-value pair
    #[arg(long)]
    pub dir: bool,
    /// removes the key and all child keys(if it is a directory)
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// previous value
    #[arg(long, default_value = "")]
    pub with_value: String,
    /// previous index
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub with_index: i64,
    /// <key>
    pub args: Vec<String>,
}

/// `rmdir <key>`.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// <key>
    pub args: Vec<String>,
}

/// `get <key>`.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// returns result in sorted order
    #[arg(long)]
    pub sort: bool,
    /// require quorum for get request
    #[arg(short = 'q', long)]
    pub quorum: bool,
    /// <key>
    pub args: Vec<String>,
}

/// `ls [key]`.
#[derive(Debug, Clone, Args)]
pub struct LsArgs {
    /// returns result in sorted order
    #[arg(long)]
    pub sort: bool,
    /// returns all key names recursively for the given path
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// append slash (/) to directories
    #[arg(short = 'p')]
    pub p: bool,
    /// require quorum for get request
    #[arg(short = 'q', long)]
    pub quorum: bool,
    /// [key]
    pub args: Vec<String>,
}

/// `backup`: copy a data dir (see `backup.rs`).
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Path to the etcd data dir
    #[arg(long, default_value = "")]
    pub data_dir: String,
    /// Path to the etcd wal dir
    #[arg(long, default_value = "")]
    pub wal_dir: String,
    /// Path to the backup dir
    #[arg(long, default_value = "")]
    pub backup_dir: String,
    /// Path to the backup wal dir
    #[arg(long, default_value = "")]
    pub backup_wal_dir: String,
    /// Backup v3 backend data
    #[arg(long)]
    pub with_v3: bool,
    /// Arguments (ignored).
    pub args: Vec<String>,
}

fn key_of(args: &[String]) -> Result<String> {
    args.first().cloned().ok_or_else(|| Fail {
        code: EXIT_BAD_ARGS,
        stderr: "Error:  key required\n".to_string(),
    })
}

/// etcdctl's `argOrStdin(args, os.Stdin, 1)`.
fn value_of(args: &[String], stdin: &mut dyn BufRead) -> Result<String> {
    if let Some(v) = args.get(1) {
        return Ok(v.clone());
    }
    let mut buf = Vec::new();
    match stdin.read_to_end(&mut buf) {
        Ok(_) if !buf.is_empty() => Ok(String::from_utf8_lossy(&buf).into_owned()),
        _ => Err(Fail {
            code: EXIT_BAD_ARGS,
            stderr: "Error:  value required\n".to_string(),
        }),
    }
}

fn server(e: crate::client::v2::V2Error) -> Fail {
    handle_error(EXIT_SERVER_ERROR, &e)
}

/// `set`.
pub(super) async fn set(
    g: &GlobalArgs,
    a: &SetArgs,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = key_of(&a.args)?;
    let value = value_of(&a.args, stdin)?;
    let o = SetOptions {
        ttl: a.ttl,
        prev_value: a.swap_with_value.clone(),
        prev_index: a.swap_with_index.max(0) as u64,
        ..Default::default()
    };
    let r = with_total_timeout(g, c.set(&key, &value, &o))
        .await
        .map_err(server)?;
    print_response_key(&r, &g.output, out, err)
}

/// `mk` (create only, or `--in-order` under a directory).
pub(super) async fn mk(
    g: &GlobalArgs,
    a: &MkArgs,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = key_of(&a.args)?;
    let value = value_of(&a.args, stdin)?;
    let r = if a.in_order {
        with_total_timeout(g, c.create_in_order(&key, &value, a.ttl)).await
    } else {
        let o = SetOptions {
            ttl: a.ttl,
            prev_exist: Some(false),
            ..Default::default()
        };
        with_total_timeout(g, c.set(&key, &value, &o)).await
    }
    .map_err(server)?;
    print_response_key(&r, &g.output, out, err)
}

/// `mkdir` (`prev_exist` false), `setdir` (`None`) and `updatedir` (true); silent in
/// `simple` output.
pub(super) async fn mkdir(
    g: &GlobalArgs,
    a: &DirArgs,
    prev_exist: Option<bool>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = key_of(&a.args)?;
    let o = SetOptions {
        ttl: a.ttl,
        dir: true,
        prev_exist,
        ..Default::default()
    };
    let r = with_total_timeout(g, c.set(&key, "", &o))
        .await
        .map_err(server)?;
    if g.output != "simple" {
        print_response_key(&r, &g.output, out, err)?;
    }
    Ok(())
}

/// `update` (only an existing key).
pub(super) async fn update(
    g: &GlobalArgs,
    a: &UpdateArgs,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = key_of(&a.args)?;
    let value = value_of(&a.args, stdin)?;
    let o = SetOptions {
        ttl: a.ttl,
        prev_exist: Some(true),
        ..Default::default()
    };
    let r = with_total_timeout(g, c.set(&key, &value, &o))
        .await
        .map_err(server)?;
    print_response_key(&r, &g.output, out, err)
}

fn print_delete(
    g: &GlobalArgs,
    r: &Response,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let dir = r.node.as_ref().is_some_and(|n| n.dir);
    if !dir || g.output != "simple" {
        print_response_key(r, &g.output, out, err)?;
    }
    Ok(())
}

/// `rm`.
pub(super) async fn rm(
    g: &GlobalArgs,
    a: &RmArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = key_of(&a.args)?;
    let o = DeleteOptions {
        prev_value: a.with_value.clone(),
        prev_index: a.with_index.max(0) as u64,
        dir: a.dir,
        recursive: a.recursive,
    };
    let r = with_total_timeout(g, c.delete(&key, &o))
        .await
        .map_err(server)?;
    print_delete(g, &r, out, err)
}

/// `rmdir` (an empty directory or a key).
pub(super) async fn rmdir(
    g: &GlobalArgs,
    a: &KeyArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = key_of(&a.args)?;
    let o = DeleteOptions {
        dir: true,
        ..Default::default()
    };
    let r = with_total_timeout(g, c.delete(&key, &o))
        .await
        .map_err(server)?;
    print_delete(g, &r, out, err)
}

/// `get`; a directory is refused (`/d: is a directory`, exit 1).
pub(super) async fn get(
    g: &GlobalArgs,
    a: &GetArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = key_of(&a.args)?;
    let r = with_total_timeout(g, c.get(&key, false, a.sort, a.quorum))
        .await
        .map_err(server)?;
    if let Some(n) = r.node.as_ref().filter(|n| n.dir) {
        return Err(Fail::line(
            EXIT_BAD_ARGS,
            format!("{}: is a directory", n.key),
        ));
    }
    print_response_key(&r, &g.output, out, err)
}

/// `ls`: key names (with `-p` a `/` after directories), recursively with `-r`; other
/// outputs print the whole response.
pub(super) async fn ls(
    g: &GlobalArgs,
    a: &LsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let key = a.args.first().cloned().unwrap_or_else(|| "/".to_string());
    let r = with_total_timeout(g, c.get(&key, a.recursive, a.sort, a.quorum))
        .await
        .map_err(server)?;
    if g.output != "simple" {
        return print_response_key(&r, &g.output, out, err);
    }
    let node = r.node.unwrap_or_default();
    let mut text = String::new();
    if !node.dir {
        text.push_str(&format!("{}\n", node.key));
    }
    fn walk(n: &crate::client::v2::Node, p: bool, text: &mut String) {
        if n.dir && p {
            text.push_str(&format!("{}/\n", n.key));
        } else {
            text.push_str(&format!("{}\n", n.key));
        }
        for c in n.nodes.iter().flatten() {
            walk(c, p, text);
        }
    }
    for c in node.nodes.iter().flatten() {
        walk(c, a.p, &mut text);
    }
    out.write_all(text.as_bytes()).map_err(io_fail)
}
