//! Server configurations that follow their files (certificate rotation without a restart):
//! see the `tls` module docs.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::{server_config, TlsError, TlsInfo, TlsParams};

/// What identifies a file's version: modification time, size and (on Unix) inode.
type Stamp = Vec<Option<(SystemTime, u64, u64)>>;

fn stamp(info: &TlsInfo) -> Stamp {
    [
        &info.cert_file,
        &info.key_file,
        &info.trusted_ca_file,
        &info.crl_file,
    ]
    .into_iter()
    .map(|p| {
        let m = std::fs::metadata(p.as_ref()?).ok()?;
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let ino = 0;
        Some((m.modified().ok()?, m.len(), ino))
    })
    .collect()
}

/// A server configuration that follows its files: see the module docs.
#[derive(Debug)]
pub struct ReloadingServerConfig {
    info: TlsInfo,
    params: TlsParams,
    state: Mutex<(Stamp, Arc<rustls::ServerConfig>)>,
}

impl ReloadingServerConfig {
    /// Loads the files once.
    ///
    /// # Errors
    /// As [`server_config`].
    pub fn new(info: TlsInfo, params: TlsParams) -> Result<ReloadingServerConfig, TlsError> {
        let st = stamp(&info);
        let cfg = Arc::new(server_config(&info, &params)?);
        Ok(ReloadingServerConfig {
            info,
            params,
            state: Mutex::new((st, cfg)),
        })
    }

    /// The TLS files this configuration follows.
    pub fn info(&self) -> &TlsInfo {
        &self.info
    }

    /// The configuration for a new connection, rebuilt first if a file changed since the
    /// last build (a failing rebuild keeps the previous configuration and logs a warning).
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        let now = stamp(&self.info);
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if guard.0 != now {
            match server_config(&self.info, &self.params) {
                Ok(cfg) => {
                    tracing::info!(cert_file = ?self.info.cert_file, "reloaded TLS certificates");
                    *guard = (now, Arc::new(cfg));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "failed to reload TLS certificates; keeping the previous ones");
                    guard.0 = now;
                }
            }
        }
        guard.1.clone()
    }
}
