//! `auth`, `user` and `role` (etcdctl 3.4's `auth_command.go`, `user_command.go`,
//! `role_command.go`), printing as its simple printer does. `auth status` is etcdctl 3.5's.
//! Only `-w simple` output is implemented for these commands.

use std::io::{BufRead, Write};

use clap::{Args, Subcommand};

use super::connect::{client, env, GlobalArgs};
use super::exit::{call_err, io_err, Exit, Result, EXIT_BAD_ARGS, EXIT_BAD_FEATURE};
use super::flags::go_bool;
use crate::client::Client;
use crate::keys::{prefix_end, KeyRange};
use crate::pb::authpb::permission::Type as PermType;
use crate::pb::etcdserverpb::AuthRoleGetResponse;

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Enables authentication
    Enable {
        /// (no arguments accepted)
        #[arg(hide = true)]
        args: Vec<String>,
    },
    /// Disables authentication
    Disable {
        /// (no arguments accepted)
        #[arg(hide = true)]
        args: Vec<String>,
    },
    /// Returns authentication status (etcdctl 3.5 extension)
    Status {
        /// (no arguments accepted)
        #[arg(hide = true)]
        args: Vec<String>,
    },
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds a new user
    Add(UserAddArgs),
    /// Deletes a user
    Delete {
        /// <user name>
        args: Vec<String>,
    },
    /// Gets detailed information of a user
    Get {
        /// <user name>
        args: Vec<String>,
        /// Show permissions of roles granted to the user
        #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
        detail: bool,
    },
    /// Lists all users
    List {
        /// (no arguments accepted)
        #[arg(hide = true)]
        args: Vec<String>,
    },
    /// Changes password of user
    Passwd {
        /// <user name>
        args: Vec<String>,
        /// If true, read password from stdin instead of interactive terminal
        #[arg(long, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
        interactive: bool,
    },
    /// Grants a role to a user
    #[command(name = "grant-role")]
    GrantRole {
        /// <user name> <role name>
        args: Vec<String>,
    },
    /// Revokes a role from a user
    #[command(name = "revoke-role")]
    RevokeRole {
        /// <user name> <role name>
        args: Vec<String>,
    },
}

/// `user add <user name or user:password> [options]`.
#[derive(Debug, Clone, Args)]
pub struct UserAddArgs {
    /// <user name or user:password>
    pub args: Vec<String>,
    /// Read password from stdin instead of interactive terminal
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub interactive: bool,
    /// Supply password from the command line flag
    #[arg(long, default_value = "")]
    pub new_user_password: String,
    /// Create a user without password (CN based auth only)
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub no_password: bool,
}

/// `role` subcommands.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Adds a new role
    Add {
        /// <role name>
        args: Vec<String>,
    },
    /// Deletes a role
    Delete {
        /// <role name>
        args: Vec<String>,
    },
    /// Gets detailed information of a role
    Get {
        /// <role name>
        args: Vec<String>,
    },
    /// Lists all roles
    List {
        /// (no arguments accepted)
        #[arg(hide = true)]
        args: Vec<String>,
    },
    /// Grants a key to a role
    #[command(name = "grant-permission")]
    GrantPermission(PermArgs),
    /// Revokes a key from a role
    #[command(name = "revoke-permission")]
    RevokePermission(PermArgs),
}

/// Arguments and flags of `role grant-permission` / `role revoke-permission`.
#[derive(Debug, Clone, Args)]
pub struct PermArgs {
    /// grant: <role name> <permission type> <key> [endkey]; revoke: <role name> <key> [endkey]
    pub args: Vec<String>,
    /// the permission applies to a prefix
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prefix: bool,
    /// the permission applies to keys greater than or equal to the given key using byte compare
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub from_key: bool,
}

fn bad(msg: &str) -> Exit {
    Exit::new(EXIT_BAD_ARGS, msg)
}

fn connect(g: &GlobalArgs) -> Result<Client> {
    let e = env(g)?;
    if e.printer.format != super::printer::OutputFormat::Simple {
        return Err(Exit::new(
            EXIT_BAD_FEATURE,
            "only the simple output format is supported by auth, user and role",
        ));
    }
    client(&e.cfg)
}

fn read_line(stdin: &mut dyn BufRead) -> std::result::Result<String, String> {
    let mut line = String::new();
    stdin.read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Go's `fmt.Scanf("%s")`: the first whitespace-separated word of stdin.
fn scan_word(stdin: &mut dyn BufRead) -> String {
    read_line(stdin)
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// etcdctl's `readPasswordInteractive`: the password twice, from stdin.
fn read_password_interactive(
    name: &str,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<String> {
    write!(out, "Password of {name}: ").map_err(io_err)?;
    let _ = out.flush();
    let p1 = read_line(stdin).map_err(|e| bad(&format!("failed to ask password: {e}")))?;
    if p1.is_empty() {
        return Err(bad("empty password"));
    }
    write!(out, "Type password of {name} again for confirmation: ").map_err(io_err)?;
    let _ = out.flush();
    let p2 = read_line(stdin).map_err(|e| bad(&format!("failed to ask password: {e}")))?;
    if p1 != p2 {
        return Err(bad("given passwords are different"));
    }
    Ok(p1)
}

/// Runs `auth <subcommand>`.
pub(super) async fn auth(g: &GlobalArgs, c: AuthCommand, out: &mut dyn Write) -> Result<()> {
    match c {
        AuthCommand::Enable { args } => {
            if !args.is_empty() {
                return Err(bad("auth enable command does not accept any arguments"));
            }
            let cli = connect(g)?;
            // etcdctl creates the root role and grants it to root when only that is missing.
            loop {
                match cli.auth_enable().await {
                    Ok(_) => break,
                    Err(e)
                        if e.to_string()
                            == crate::rpctypes::WireError::RootRoleNotExist.message() =>
                    {
                        cli.role_add("root").await.map_err(call_err)?;
                        cli.user_grant_role("root", "root")
                            .await
                            .map_err(call_err)?;
                    }
                    Err(e) => return Err(call_err(e)),
                }
            }
            writeln!(out, "Authentication Enabled").map_err(io_err)
        }
        AuthCommand::Disable { args } => {
            if !args.is_empty() {
                return Err(bad("auth disable command does not accept any arguments"));
            }
            connect(g)?.auth_disable().await.map_err(call_err)?;
            writeln!(out, "Authentication Disabled").map_err(io_err)
        }
        AuthCommand::Status { args } => {
            if !args.is_empty() {
                return Err(bad("auth status command does not accept any arguments"));
            }
            let r = connect(g)?.auth_status().await.map_err(call_err)?;
            writeln!(out, "Authentication Status: {}", r.enabled).map_err(io_err)?;
            writeln!(out, "AuthRevision: {}", r.auth_revision).map_err(io_err)
        }
    }
}

/// Runs `user <subcommand>`.
pub(super) async fn user(
    g: &GlobalArgs,
    c: UserCommand,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    match c {
        UserCommand::Add(a) => {
            if a.args.len() != 1 {
                return Err(bad("user add command requires user name as its argument"));
            }
            let arg = &a.args[0];
            let (user, password) = if a.no_password {
                (arg.clone(), String::new())
            } else if !a.new_user_password.is_empty() {
                (arg.clone(), a.new_user_password.clone())
            } else if let Some((u, p)) = arg.split_once(':') {
                if u.is_empty() {
                    return Err(bad("empty user name is not allowed"));
                }
                (u.to_string(), p.to_string())
            } else if !a.interactive {
                (arg.clone(), scan_word(stdin))
            } else {
                (arg.clone(), read_password_interactive(arg, stdin, out)?)
            };
            connect(g)?
                .user_add(&user, &password, a.no_password)
                .await
                .map_err(call_err)?;
            writeln!(out, "User {user} created").map_err(io_err)
        }
        UserCommand::Delete { args } => {
            let [name] = args.as_slice() else {
                return Err(bad(
                    "user delete command requires user name as its argument",
                ));
            };
            connect(g)?.user_delete(name).await.map_err(call_err)?;
            writeln!(out, "User {name} deleted").map_err(io_err)
        }
        UserCommand::Get { args, detail } => {
            let [name] = args.as_slice() else {
                return Err(bad("user get command requires user name as its argument"));
            };
            let cli = connect(g)?;
            let r = cli.user_get(name).await.map_err(call_err)?;
            if detail {
                writeln!(out, "User: {name}").map_err(io_err)?;
                for role in &r.roles {
                    writeln!(out).map_err(io_err)?;
                    let role = String::from_utf8_lossy(role);
                    let rr = cli.role_get(&role).await.map_err(call_err)?;
                    print_role(out, &role, &rr)?;
                }
                return Ok(());
            }
            writeln!(out, "User: {name}").map_err(io_err)?;
            write!(out, "Roles:").map_err(io_err)?;
            for role in &r.roles {
                // Names are bytes (etcd prints them as they are).
                out.write_all(b" ").map_err(io_err)?;
                out.write_all(role).map_err(io_err)?;
            }
            writeln!(out).map_err(io_err)
        }
        UserCommand::List { args } => {
            if !args.is_empty() {
                return Err(bad("user list command requires no arguments"));
            }
            let r = connect(g)?.user_list().await.map_err(call_err)?;
            for u in r.users {
                out.write_all(&u).map_err(io_err)?;
                writeln!(out).map_err(io_err)?;
            }
            Ok(())
        }
        UserCommand::Passwd { args, interactive } => {
            let [name] = args.as_slice() else {
                return Err(bad(
                    "user passwd command requires user name as its argument",
                ));
            };
            let password = if interactive {
                read_password_interactive(name, stdin, out)?
            } else {
                scan_word(stdin)
            };
            connect(g)?
                .user_change_password(name, &password)
                .await
                .map_err(call_err)?;
            writeln!(out, "Password updated").map_err(io_err)
        }
        UserCommand::GrantRole { args } => {
            let [user, role] = args.as_slice() else {
                return Err(bad(
                    "user grant command requires user name and role name as its argument",
                ));
            };
            connect(g)?
                .user_grant_role(user, role)
                .await
                .map_err(call_err)?;
            writeln!(out, "Role {role} is granted to user {user}").map_err(io_err)
        }
        UserCommand::RevokeRole { args } => {
            let [user, role] = args.as_slice() else {
                return Err(bad(
                    "user revoke-role requires user name and role name as its argument",
                ));
            };
            connect(g)?
                .user_revoke_role(user, role)
                .await
                .map_err(call_err)?;
            writeln!(out, "Role {role} is revoked from user {user}").map_err(io_err)
        }
    }
}

/// etcdctl's `permRange` / `rangeEndFromPermFlags`: (key, range_end) of a permission.
///
/// # Errors
/// Exclusive or misplaced `--prefix` / `--from-key` (exit 128).
pub fn perm_range(args: &[String], prefix: bool, from_key: bool) -> Result<(Vec<u8>, Vec<u8>)> {
    let key = args.first().map(String::as_str).unwrap_or_default();
    if key.is_empty() {
        if prefix && from_key {
            return Err(bad("--from-key and --prefix flags are mutually exclusive"));
        }
        let end = if prefix || from_key {
            vec![0]
        } else {
            Vec::new()
        };
        return Ok((vec![0], end));
    }
    let end = match args.get(1) {
        None if prefix && from_key => {
            return Err(bad("--from-key and --prefix flags are mutually exclusive"))
        }
        None if prefix => prefix_end(key.as_bytes()),
        None if from_key => vec![0],
        None => Vec::new(),
        Some(_) if prefix => return Err(bad("unexpected endkey argument with --prefix flag")),
        Some(_) if from_key => return Err(bad("unexpected endkey argument with --from-key flag")),
        Some(e) => e.as_bytes().to_vec(),
    };
    Ok((key.as_bytes().to_vec(), end))
}

/// etcdctl's simple `RoleGet` printer.
fn print_role(out: &mut dyn Write, role: &str, r: &AuthRoleGetResponse) -> Result<()> {
    let mut s = format!("Role {role}\nKV Read:\n");
    let line = |s: &mut String, key: &[u8], end: &[u8]| {
        let k = String::from_utf8_lossy(key);
        match KeyRange::new(key, end) {
            KeyRange::Single(_) => {
                s.push_str(&format!("\t{k}\n"));
                return;
            }
            KeyRange::Range(_, e) => {
                s.push_str(&format!("\t[{k}, {})", String::from_utf8_lossy(e)))
            }
            KeyRange::From(_) => s.push_str(&format!("\t[{k}, <open ended>")),
        }
        if prefix_end(key) == end {
            s.push_str(&format!(" (prefix {k})"));
        }
        s.push('\n');
    };
    for p in &r.perm {
        if p.perm_type == PermType::Read as i32 || p.perm_type == PermType::Readwrite as i32 {
            line(&mut s, &p.key, &p.range_end);
        }
    }
    s.push_str("KV Write:\n");
    for p in &r.perm {
        if p.perm_type == PermType::Write as i32 || p.perm_type == PermType::Readwrite as i32 {
            line(&mut s, &p.key, &p.range_end);
        }
    }
    out.write_all(s.as_bytes()).map_err(io_err)
}

/// Runs `role <subcommand>`.
pub(super) async fn role(g: &GlobalArgs, c: RoleCommand, out: &mut dyn Write) -> Result<()> {
    match c {
        RoleCommand::Add { args } => {
            let [name] = args.as_slice() else {
                return Err(bad("role add command requires role name as its argument"));
            };
            connect(g)?.role_add(name).await.map_err(call_err)?;
            writeln!(out, "Role {name} created").map_err(io_err)
        }
        RoleCommand::Delete { args } => {
            let [name] = args.as_slice() else {
                return Err(bad(
                    "role delete command requires role name as its argument",
                ));
            };
            connect(g)?.role_delete(name).await.map_err(call_err)?;
            writeln!(out, "Role {name} deleted").map_err(io_err)
        }
        RoleCommand::Get { args } => {
            let [name] = args.as_slice() else {
                return Err(bad("role get command requires role name as its argument"));
            };
            let r = connect(g)?.role_get(name).await.map_err(call_err)?;
            print_role(out, name, &r)
        }
        RoleCommand::List { args } => {
            if !args.is_empty() {
                return Err(bad("role list command requires no arguments"));
            }
            let r = connect(g)?.role_list().await.map_err(call_err)?;
            for role in r.roles {
                out.write_all(&role).map_err(io_err)?;
                writeln!(out).map_err(io_err)?;
            }
            Ok(())
        }
        RoleCommand::GrantPermission(a) => {
            if a.args.len() < 3 {
                return Err(bad("role grant command requires role name, permission type, and key [endkey] as its argument"));
            }
            let perm = match a.args[1].to_uppercase().as_str() {
                "READ" => PermType::Read,
                "WRITE" => PermType::Write,
                "READWRITE" => PermType::Readwrite,
                _ => return Err(bad(&format!("invalid permission type: {}", a.args[1]))),
            };
            let (key, end) = perm_range(&a.args[2..], a.prefix, a.from_key)?;
            connect(g)?
                .role_grant_permission(&a.args[0], &key, &end, perm as i32)
                .await
                .map_err(call_err)?;
            writeln!(out, "Role {} updated", a.args[0]).map_err(io_err)
        }
        RoleCommand::RevokePermission(a) => {
            if a.args.len() < 2 {
                return Err(bad("role revoke-permission command requires role name and key [endkey] as its argument"));
            }
            let (key, end) = perm_range(&a.args[1..], a.prefix, a.from_key)?;
            connect(g)?
                .role_revoke_permission(&a.args[0], &key, &end)
                .await
                .map_err(call_err)?;
            let (role, k) = (&a.args[0], &a.args[1]);
            let msg = match KeyRange::new(&key[..], &end[..]) {
                KeyRange::Single(_) => format!("Permission of key {k} is revoked from role {role}"),
                KeyRange::Range(_, e) => format!(
                    "Permission of range [{k}, {}) is revoked from role {role}",
                    String::from_utf8_lossy(e)
                ),
                KeyRange::From(_) => {
                    format!("Permission of range [{k}, <open ended> is revoked from role {role}")
                }
            };
            writeln!(out, "{msg}").map_err(io_err)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn permission_ranges_follow_etcdctl() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            perm_range(&s(&["a"]), false, false).unwrap(),
            (b"a".to_vec(), vec![])
        );
        assert_eq!(
            perm_range(&s(&["a"]), true, false).unwrap(),
            (b"a".to_vec(), b"b".to_vec())
        );
        assert_eq!(
            perm_range(&s(&["a"]), false, true).unwrap(),
            (b"a".to_vec(), vec![0])
        );
        assert_eq!(
            perm_range(&s(&["a", "c"]), false, false).unwrap(),
            (b"a".to_vec(), b"c".to_vec())
        );
        assert_eq!(
            perm_range(&s(&[""]), true, false).unwrap(),
            (vec![0], vec![0])
        );
        assert_eq!(
            perm_range(&s(&[""]), false, false).unwrap(),
            (vec![0], vec![])
        );
        assert!(perm_range(&s(&["a", "c"]), true, false).is_err());
        assert!(perm_range(&s(&["a"]), true, true).is_err());
    }
}
