//! `etcd completion <shell>` and the generators behind `completions/` and `man/`: one clap
//! tree per tool, rendered by clap_complete and clap_mangen, so help, completions and man
//! pages never drift apart.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use clap_complete::Shell;

/// The tools whose pages and completions are generated: (file stem, clap tree).
pub fn tools() -> Vec<(&'static str, clap::Command)> {
    vec![
        ("etcd", super::server::command()),
        ("etcdctl", super::ctl::command()),
        ("etcd-gateway", super::gateway::command()),
        ("etcd-grpc-proxy", super::grpc_proxy::command()),
        ("etcd-certs", super::certs::command()),
        ("etcdutl", super::util::command()),
    ]
}

/// Writes the completion script for `shell` and `cmd` into `out`.
pub fn write_completion(shell: Shell, mut cmd: clap::Command, out: &mut dyn Write) {
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, out);
}

/// Renders the man page of `cmd` (roff).
///
/// # Errors
/// I/O errors from the writer.
pub fn write_man(cmd: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    clap_mangen::Man::new(cmd).render(out)
}

/// Every generated file: (path relative to the repository root, contents).
///
/// # Errors
/// Rendering errors.
pub fn generated_files() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for (stem, cmd) in tools() {
        for (shell, ext) in [
            (Shell::Bash, "bash"),
            (Shell::Zsh, "zsh"),
            (Shell::Fish, "fish"),
        ] {
            let mut buf = Vec::new();
            write_completion(shell, cmd.clone(), &mut buf);
            files.push((format!("completions/{stem}.{ext}"), buf));
        }
        let mut buf = Vec::new();
        write_man(cmd.clone(), &mut buf)?;
        files.push((format!("man/{stem}.1"), buf));
    }
    Ok(files)
}

/// Writes every generated file under `root`.
///
/// # Errors
/// I/O errors.
pub fn write_all(root: &Path) -> std::io::Result<()> {
    for (rel, bytes) in generated_files()? {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}

/// `etcd completion bash|zsh|fish [etcd|etcdctl|etcdutl]` prints a completion script;
/// `etcd completion generate <dir>` rewrites `completions/` and `man/` under `dir`.
/// `args` exclude the program and `completion`. Returns the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let root = args.get(1).map(String::as_str).unwrap_or(".");
            match write_all(Path::new(root)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("Error: {e}");
                    1
                }
            }
        }
        Some(shell) => {
            let Ok(shell) = shell.parse::<Shell>() else {
                eprintln!("Error: unknown shell {shell:?} (bash, zsh, fish, elvish, powershell)");
                return 1;
            };
            let tool = args.get(1).map(String::as_str).unwrap_or("etcd");
            let Some((_, cmd)) = tools().into_iter().find(|(n, _)| *n == tool) else {
                eprintln!("Error: unknown tool {tool:?} (etcd, etcdctl, etcdutl)");
                return 1;
            };
            write_completion(shell, cmd, &mut std::io::stdout());
            0
        }
        None => {
            eprintln!("Error: usage: etcd completion <bash|zsh|fish> [etcd|etcdctl|etcdutl] | etcd completion generate [dir]");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    /// `completions/` and `man/` are checked in; this fails when they are stale.
    /// Regenerate with `cargo run -- completion generate .`.
    #[test]
    fn checked_in_completions_and_man_pages_are_fresh() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (rel, bytes) in super::generated_files().expect("render") {
            let on_disk = std::fs::read(root.join(&rel)).unwrap_or_default();
            assert!(
                on_disk == bytes,
                "{rel} is stale: run `cargo run -- completion generate .`"
            );
        }
    }
}
