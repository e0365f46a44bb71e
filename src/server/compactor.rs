//! etcd's auto compactor (`etcdserver/api/v3compactor`, etcd 3.4), driven by
//! `--auto-compaction-mode` and `--auto-compaction-retention`. It runs on every member but
//! acts only while this member leads (etcd pauses it on followers), and compacts by proposing
//! a `Compaction` through Raft exactly as a client's Compact does (one write path).
//!
//! - `periodic` (retention `P`): every `min(P, 1h)/10` the current revision is recorded in a
//!   sliding window of `P / (min(P, 1h)/10) + 1` samples; once `P` has passed since start (then
//!   every `min(P, 1h)`) it compacts to the oldest sample, the revision of about `P` ago.
//! - `revision` (retention `N`): every 5 minutes, compacts to `current - N` when that is
//!   positive and moved since the last success.
//!
//! A compaction refused as already compacted counts as a success, as in etcd.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Error, EtcdServer};
use crate::apply::ApplyError;
use crate::config::AutoCompaction;
use crate::pb::etcdserverpb::CompactionRequest;

/// etcd's `revInterval`: how often the revision compactor looks.
pub const REVISION_CHECK_INTERVAL: Duration = Duration::from_secs(300);
/// etcd's `retryDivisor`: samples per compaction interval in periodic mode.
const RETRY_DIVISOR: u32 = 10;

/// The periodic compactor's window (etcd's `Periodic`), separated from the clock and the
/// proposal so that it can be tested alone.
#[derive(Debug)]
struct PeriodicWindow {
    period: Duration,
    revs: VecDeque<i64>,
    last_success: Instant,
    base_interval: Duration,
}

impl PeriodicWindow {
    fn new(period: Duration, now: Instant) -> PeriodicWindow {
        PeriodicWindow {
            period,
            revs: VecDeque::new(),
            last_success: now,
            base_interval: period,
        }
    }

    /// `min(period, 1h)`: the interval between compactions once the first one ran.
    fn compact_interval(&self) -> Duration {
        self.period.min(Duration::from_secs(3600))
    }

    /// How often a revision is sampled (and a failed compaction retried).
    fn retry_interval(&self) -> Duration {
        (self.compact_interval() / RETRY_DIVISOR).max(Duration::from_millis(1))
    }

    fn retentions(&self) -> usize {
        (self.period.as_nanos() / self.retry_interval().as_nanos()) as usize + 1
    }

    /// Records the current revision; the oldest sample is the revision of `period` ago.
    fn record(&mut self, rev: i64) {
        self.revs.push_back(rev);
        if self.revs.len() > self.retentions() {
            self.revs.pop_front();
        }
    }

    /// After a sampling interval: the revision to compact to, if it is time.
    fn due(&mut self, now: Instant) -> Option<i64> {
        if now.duration_since(self.last_success) < self.base_interval {
            return None;
        }
        if self.base_interval == self.period {
            self.base_interval = self.compact_interval();
        }
        self.revs.front().copied()
    }
}

impl EtcdServer {
    /// Starts the auto compactor of `--auto-compaction-*` (nothing when it is off).
    pub(super) fn spawn_auto_compactor(self: &Arc<Self>) {
        let Some(mode) = self.cfg.auto_compaction else {
            return;
        };
        tracing::info!(?mode, "enabled auto compaction");
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            match mode {
                AutoCompaction::Periodic(period) => {
                    let mut w = PeriodicWindow::new(period, Instant::now());
                    loop {
                        {
                            let Some(s) = weak.upgrade() else { return };
                            w.record(s.current_revision());
                        }
                        tokio::time::sleep(w.retry_interval()).await;
                        let Some(s) = weak.upgrade() else { return };
                        if !s.leads() {
                            continue;
                        }
                        let Some(rev) = w.due(Instant::now()) else {
                            continue;
                        };
                        tracing::info!(revision = rev, retention = ?period, "starting auto periodic compaction");
                        if s.auto_compact(rev).await {
                            w.last_success = Instant::now();
                        }
                    }
                }
                AutoCompaction::Revision(retention) => {
                    let mut prev = 0;
                    loop {
                        tokio::time::sleep(REVISION_CHECK_INTERVAL).await;
                        let Some(s) = weak.upgrade() else { return };
                        if !s.leads() {
                            continue;
                        }
                        let rev = s.current_revision() - retention;
                        if rev <= 0 || rev == prev {
                            continue;
                        }
                        tracing::info!(
                            revision = rev,
                            revision_compaction_retention = retention,
                            "starting auto revision compaction"
                        );
                        if s.auto_compact(rev).await {
                            prev = rev;
                        }
                    }
                }
            }
        });
    }

    fn leads(&self) -> bool {
        self.leader() == Some(self.member_id)
    }

    /// Proposes a compaction to `rev`; true on success or when already compacted.
    async fn auto_compact(&self, rev: i64) -> bool {
        let r = self
            .compact(CompactionRequest {
                revision: rev,
                physical: false,
            })
            .await;
        match r {
            Ok(_) | Err(Error::Apply(ApplyError::Compacted)) | Err(Error::Compacted) => {
                tracing::info!(revision = rev, "completed auto compaction");
                true
            }
            Err(e) => {
                tracing::warn!(revision = rev, error = %e, "failed auto compaction");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// etcd's periodic example: a 1-hour retention samples every 6 minutes, waits an hour,
    /// then compacts to the revision of an hour ago every hour.
    #[test]
    fn periodic_window_follows_etcd() {
        let start = Instant::now();
        let mut w = PeriodicWindow::new(Duration::from_secs(3600), start);
        assert_eq!(w.retry_interval(), Duration::from_secs(360));
        assert_eq!(w.retentions(), 11);
        let mut now = start;
        for i in 0..9 {
            w.record(100 + i);
            now += w.retry_interval();
            assert_eq!(w.due(now), None, "before the first hour (sample {i})");
        }
        w.record(109);
        now += w.retry_interval();
        // An hour has passed: compact to the first sample.
        assert_eq!(w.due(now), Some(100));
        w.last_success = now;
        w.record(110);
        w.record(111);
        assert_eq!(w.revs.len(), 11);
        assert_eq!(w.revs.front(), Some(&101));
        // A 24-hour retention compacts hourly once a day has passed, keeping 24 h of history.
        let w = PeriodicWindow::new(Duration::from_secs(24 * 3600), start);
        assert_eq!(w.compact_interval(), Duration::from_secs(3600));
        assert_eq!(w.retentions(), 241);
    }
}
