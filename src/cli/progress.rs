//! Progress bars for the long offline and streaming commands (`snapshot save`, `snapshot
//! restore`, `defrag --data-dir`): bytes done, total, rate and ETA on stderr with indicatif,
//! drawn only when stderr is a terminal; otherwise the bar is hidden and costs nothing, so
//! scripts and tests see etcd's output unchanged.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A byte-counting bar labelled `what` for `total` bytes (0: unknown yet, set it later with
/// `set_length`); hidden unless stderr is a terminal.
pub(crate) fn bytes_bar(what: &str, total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}

/// Follows the size of a file another piece of code is writing (LMDB's compacting copy
/// gives no callback) on `bar`, every 100 ms, until dropped.
pub(crate) struct FileWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileWatcher {
    /// Starts following `file` on `bar` (nothing is started for a hidden bar).
    pub(crate) fn start(bar: &ProgressBar, file: PathBuf) -> FileWatcher {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (!bar.is_hidden()).then(|| {
            let bar = bar.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(m) = std::fs::metadata(&file) {
                        bar.set_position(m.len().min(bar.length().unwrap_or(u64::MAX)));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        });
        FileWatcher { stop, thread }
    }
}

impl Drop for FileWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under `cargo test` stderr is captured (not a terminal): the bar is hidden and the
    /// watcher starts no thread.
    #[test]
    fn hidden_when_stderr_is_not_a_terminal() {
        if std::io::stderr().is_terminal() {
            return;
        }
        let bar = bytes_bar("x", 10);
        assert!(bar.is_hidden());
        let w = FileWatcher::start(&bar, PathBuf::from("/nonexistent"));
        assert!(w.thread.is_none());
    }
}
