//! `user`, `role` and `auth` (`ctlv2/command/{user,role,auth}_commands.go`) over etcd's v2
//! auth API (`/v2/auth/users`, `/v2/auth/roles`, `/v2/auth/enable`). Failures print the
//! server's message alone and exit 1.

use std::io::{BufRead, Write};

use clap::{Args, Subcommand};
use serde_json::json;

use super::connect::{io_fail, must_client, username_password, with_total_timeout};
use super::{Fail, GlobalArgs, Result, EXIT_BAD_ARGS};
use crate::client::v2::{KvPerms, Permission, V2Client};

/// Positional arguments.
#[derive(Debug, Clone, Args)]
pub struct Rest {
    /// Arguments.
    pub args: Vec<String>,
}

/// `user grant|revoke` arguments.
#[derive(Debug, Clone, Args)]
pub struct UserRolesArgs {
    /// List of roles to grant or revoke
    #[arg(long)]
    pub roles: Vec<String>,
    /// <user>
    pub args: Vec<String>,
}

/// `role grant|revoke` arguments.
#[derive(Debug, Clone, Args)]
pub struct RolePermArgs {
    /// Path granted for the role to access
    #[arg(long, default_value = "")]
    pub path: String,
    /// Grant read-only access
    #[arg(long)]
    pub read: bool,
    /// Grant write-only access
    #[arg(long)]
    pub write: bool,
    /// Grant read-write access
    #[arg(long, visible_alias = "rw")]
    pub readwrite: bool,
    /// <role>
    pub args: Vec<String>,
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// add a new user for the etcd cluster
    #[command(override_usage = "<user>")]
    Add(Rest),
    /// get details for a user
    #[command(override_usage = "<user>")]
    Get(Rest),
    /// list all current users
    #[command(override_usage = "<user>")]
    List(Rest),
    /// remove a user for the etcd cluster
    #[command(override_usage = "<user>")]
    Remove(Rest),
    /// grant roles to an etcd user
    #[command(override_usage = "<user>")]
    Grant(UserRolesArgs),
    /// revoke roles for an etcd user
    #[command(override_usage = "<user>")]
    Revoke(UserRolesArgs),
    /// change password for a user
    #[command(override_usage = "<user>")]
    Passwd(Rest),
}

/// `role` subcommands.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// add a new role for the etcd cluster
    #[command(override_usage = "<role> ")]
    Add(Rest),
    /// get details for a role
    #[command(override_usage = "<role>")]
    Get(Rest),
    /// list all roles
    #[command(override_usage = " ")]
    List(Rest),
    /// remove a role from the etcd cluster
    #[command(override_usage = "<role>")]
    Remove(Rest),
    /// grant path matches to an etcd role
    #[command(override_usage = "<role>")]
    Grant(RolePermArgs),
    /// revoke path matches for an etcd role
    #[command(override_usage = "<role>")]
    Revoke(RolePermArgs),
}

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// enable auth access controls
    #[command(override_usage = " ")]
    Enable(Rest),
    /// disable auth access controls
    #[command(override_usage = " ")]
    Disable(Rest),
}

fn fail(e: impl std::fmt::Display) -> Fail {
    Fail::line(EXIT_BAD_ARGS, e)
}

fn one(args: &[String], what: &str) -> Result<String> {
    if args.len() != 1 {
        return Err(fail(format!("Please provide a {what}")));
    }
    Ok(args[0].clone())
}

async fn client_for(g: &GlobalArgs) -> Result<V2Client> {
    let c = must_client(g).await?;
    if g.debug {
        eprintln!("Cluster-Endpoints: {}", c.endpoints().join(", "));
    }
    Ok(c)
}

/// Runs a `user` subcommand.
pub(super) async fn user(
    g: &GlobalArgs,
    cmd: UserCommand,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<()> {
    let text = match cmd {
        UserCommand::List(a) => {
            if !a.args.is_empty() {
                return Err(fail("No arguments accepted"));
            }
            let c = client_for(g).await?;
            let users = with_total_timeout(g, c.user_list()).await.map_err(fail)?;
            users.iter().map(|u| format!("{u}\n")).collect()
        }
        UserCommand::Add(a) => {
            let arg = one(&a.args, "username")?;
            let c = client_for(g).await?;
            let (name, pass) = username_password("New password: ", &arg, Some(stdin))
                .map_err(|f| fail(format!("Error reading password: {}", f.stderr.trim_end())))?;
            let name = name.split(':').next().unwrap_or("").to_string();
            let body = json!({"user": name, "password": pass, "roles": null});
            with_total_timeout(g, c.user_put(&name, body))
                .await
                .map_err(fail)?;
            format!("User {name} created\n")
        }
        UserCommand::Remove(a) => {
            let name = one(&a.args, "username")?;
            let c = client_for(g).await?;
            with_total_timeout(g, c.user_remove(&name))
                .await
                .map_err(fail)?;
            format!("User {name} removed\n")
        }
        UserCommand::Passwd(a) => {
            let name = one(&a.args, "username")?;
            let c = client_for(g).await?;
            let (_, pass) = username_password("New password: ", &name, Some(stdin))?;
            let body = json!({"user": name, "password": pass, "roles": null});
            with_total_timeout(g, c.user_put(&name, body))
                .await
                .map_err(fail)?;
            "Password updated\n".to_string()
        }
        UserCommand::Grant(a) | UserCommand::Revoke(a) if a.roles.is_empty() => {
            return Err(fail("No roles specified; please use `--roles`"));
        }
        UserCommand::Grant(a) => {
            let name = one(&a.args, "username")?;
            let c = client_for(g).await?;
            let body = json!({"user": name, "roles": null, "grant": a.roles});
            with_total_timeout(g, c.user_put(&name, body))
                .await
                .map_err(fail)?;
            format!("User {name} updated\n")
        }
        UserCommand::Revoke(a) => {
            let name = one(&a.args, "username")?;
            let c = client_for(g).await?;
            let body = json!({"user": name, "roles": null, "revoke": a.roles});
            with_total_timeout(g, c.user_put(&name, body))
                .await
                .map_err(fail)?;
            format!("User {name} updated\n")
        }
        UserCommand::Get(a) => {
            let name = one(&a.args, "username")?;
            let c = client_for(g).await?;
            let u = with_total_timeout(g, c.user_get(&name))
                .await
                .map_err(fail)?;
            format!("User: {}\nRoles: {}\n", u.user, u.roles.join(" "))
        }
    };
    out.write_all(text.as_bytes()).map_err(io_fail)
}

/// Runs a `role` subcommand.
pub(super) async fn role(
    g: &GlobalArgs,
    cmd: RoleCommand,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<()> {
    let text = match cmd {
        RoleCommand::List(a) => {
            if !a.args.is_empty() {
                return Err(fail("No arguments accepted"));
            }
            let c = client_for(g).await?;
            let roles = with_total_timeout(g, c.role_list()).await.map_err(fail)?;
            roles.iter().map(|r| format!("{r}\n")).collect()
        }
        RoleCommand::Add(a) => {
            let name = one(&a.args, "role name")?;
            let c = client_for(g).await?;
            if with_total_timeout(g, c.role_get(&name)).await.is_ok() {
                return Err(fail(format!("Role {name} already exists")));
            }
            let body = json!({"role": name, "permissions": {"kv": {"read": null, "write": null}}});
            with_total_timeout(g, c.role_put(&name, body))
                .await
                .map_err(fail)?;
            format!("Role {name} created\n")
        }
        RoleCommand::Remove(a) => {
            let name = one(&a.args, "role name")?;
            let c = client_for(g).await?;
            with_total_timeout(g, c.role_remove(&name))
                .await
                .map_err(fail)?;
            format!("Role {name} removed\n")
        }
        RoleCommand::Get(a) => {
            let name = one(&a.args, "role name")?;
            let c = client_for(g).await?;
            let r = with_total_timeout(g, c.role_get(&name))
                .await
                .map_err(fail)?;
            let mut s = format!("Role: {}\nKV Read:\n", r.role);
            for p in &r.permissions.kv.read {
                s.push_str(&format!("\t{p}\n"));
            }
            s.push_str("KV Write:\n");
            for p in &r.permissions.kv.write {
                s.push_str(&format!("\t{p}\n"));
            }
            s
        }
        RoleCommand::Grant(a) => grant_revoke(g, &a, true).await?,
        RoleCommand::Revoke(a) => grant_revoke(g, &a, false).await?,
    };
    out.write_all(text.as_bytes()).map_err(io_fail)
}

async fn grant_revoke(g: &GlobalArgs, a: &RolePermArgs, grant: bool) -> Result<String> {
    if a.path.is_empty() {
        return Err(fail("No path specified; please use `--path`"));
    }
    let canon = crate::client::v2::canonical_path(&a.path);
    if canon != a.path {
        return Err(fail(format!(
            "Not canonical path; please use `--path={canon}`"
        )));
    }
    let perm = match (a.read, a.write, a.readwrite) {
        (true, false, false) => Permission::Read,
        (false, true, false) => Permission::Write,
        (false, false, true) => Permission::ReadWrite,
        _ => {
            return Err(fail(
                "Please specify exactly one of --read, --write or --readwrite",
            ))
        }
    };
    let name = one(&a.args, "role name")?;
    let c = client_for(g).await?;
    let current = with_total_timeout(g, c.role_get(&name))
        .await
        .map_err(fail)?;
    let paths = vec![a.path.clone()];
    let kv = match perm {
        Permission::Read => KvPerms {
            read: paths,
            write: vec![],
        },
        Permission::Write => KvPerms {
            read: vec![],
            write: paths,
        },
        Permission::ReadWrite => KvPerms {
            read: paths.clone(),
            write: paths,
        },
    };
    let none = |v: &Vec<String>| {
        if v.is_empty() {
            serde_json::Value::Null
        } else {
            json!(v)
        }
    };
    let change = json!({"kv": {"read": none(&kv.read), "write": none(&kv.write)}});
    let op = if grant { "grant" } else { "revoke" };
    let body =
        json!({"role": name, "permissions": {"kv": {"read": null, "write": null}}, op: change});
    let new = with_total_timeout(g, c.role_put(&name, body))
        .await
        .map_err(fail)?;
    let mut s = String::new();
    if new.as_ref() == Some(&current) {
        s.push_str(if grant {
            "Role unchanged; already granted"
        } else {
            "Role unchanged; already revoked"
        });
    }
    s.push_str(&format!("Role {name} updated\n"));
    Ok(s)
}

/// Runs an `auth` subcommand.
pub(super) async fn auth(
    g: &GlobalArgs,
    cmd: AuthCommand,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<()> {
    let (a, enable) = match cmd {
        AuthCommand::Enable(a) => (a, true),
        AuthCommand::Disable(a) => (a, false),
    };
    if !a.args.is_empty() {
        return Err(fail("No arguments accepted"));
    }
    let c = client_for(g).await?;
    with_total_timeout(g, c.auth_enable(enable))
        .await
        .map_err(fail)?;
    let text = if enable {
        "Authentication Enabled\n"
    } else {
        "Authentication Disabled\n"
    };
    out.write_all(text.as_bytes()).map_err(io_fail)
}
