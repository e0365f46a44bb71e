//! Writing results without leaving anything half-written: every file goes to a temporary name in
//! the target directory and is renamed into place only after all of them were written, with
//! cfssljson's modes (0644 certificates and requests, 0600 keys).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::json::Bundle;
use super::Error;

/// Mode of certificates and requests (cfssljson writes 0644).
pub const CERT_MODE: u32 = 0o644;
/// Mode of private keys (cfssljson writes 0600).
pub const KEY_MODE: u32 = 0o600;

/// Writes all `(path, contents, mode)` or none: temporary files first, then renames.
/// On failure the temporary files are removed and nothing under the final names changes
/// (except when a rename itself fails midway, which needs a failing filesystem).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_all_or_nothing(files: &[(PathBuf, String, u32)]) -> Result<(), Error> {
    let mut temps: Vec<(PathBuf, &Path)> = Vec::new();
    let cleanup = |temps: &[(PathBuf, &Path)]| {
        for (t, _) in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (path, contents, mode) in files {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
        let res = (|| -> std::io::Result<()> {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(*mode);
            }
            let mut f = opts.open(&tmp)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(std::fs::Permissions::from_mode(*mode))?;
            }
            f.write_all(contents.as_bytes())?;
            f.sync_all()
        })();
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            cleanup(&temps);
            return Err(Error::Io {
                path: path.display().to_string(),
                source: e,
            });
        }
        temps.push((tmp, path.as_path()));
    }
    for (i, (tmp, path)) in temps.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, path) {
            cleanup(&temps[i..]);
            return Err(Error::Io {
                path: path.display().to_string(),
                source: e,
            });
        }
    }
    Ok(())
}

/// cfssljson's `-bare NAME`: NAME.pem (cert), NAME-key.pem (key), NAME.csr (request).
/// `NAME` may contain a directory. A bundle without a certificate writes only key and request.
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_bare(name: &str, bundle: &Bundle) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    if let Some(cert) = &bundle.cert {
        files.push((
            PathBuf::from(format!("{name}.pem")),
            cert.clone(),
            CERT_MODE,
        ));
    }
    files.push((
        PathBuf::from(format!("{name}-key.pem")),
        bundle.key.clone(),
        KEY_MODE,
    ));
    files.push((
        PathBuf::from(format!("{name}.csr")),
        bundle.csr.clone(),
        CERT_MODE,
    ));
    write_all_or_nothing(&files)?;
    Ok(files.into_iter().map(|f| f.0).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bare_writes_three_files_with_modes() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("server");
        let b = Bundle {
            cert: Some("C".into()),
            csr: "R".into(),
            key: "K".into(),
        };
        write_bare(name.to_str().unwrap(), &b).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |f: &str| {
                std::fs::metadata(dir.path().join(f))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode("server.pem"), 0o644);
            assert_eq!(mode("server.csr"), 0o644);
            assert_eq!(mode("server-key.pem"), 0o600);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 3);
    }

    #[test]
    fn failure_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            (dir.path().join("a.pem"), "A".to_string(), CERT_MODE),
            (dir.path().join("missing/b.pem"), "B".to_string(), CERT_MODE),
        ];
        let e = write_all_or_nothing(&files).unwrap_err().to_string();
        assert!(e.contains("missing/b.pem"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
