//! The statistics and the text of etcd's `pkg/report`: every request's latency (or error) is
//! collected, then summarised as `Summary:` (total, slowest, fastest, average, stddev,
//! requests/sec), `Response time histogram:` (11 buckets), `Latency distribution:`
//! (10/25/50/75/90/95/99/99.9 percentiles) and `Error distribution:`, in etcd's exact layout.
//! With `--sample`, a per-second series is appended like etcd's `TimeSeries`.
//!
//! Pure maths and formatting: no I/O, no clock reads except the timestamps handed in.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// etcd's percentiles, in percent.
pub const PERCENTILES: [f64; 8] = [10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9];

/// One finished request: when it started (wall clock, for `--sample`), how long it took and
/// its error message if it failed (failed requests count in the error distribution only,
/// as etcd's).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Wall-clock start of the request.
    pub start: SystemTime,
    /// Latency.
    pub duration: Duration,
    /// The error's message, `None` on success.
    pub error: Option<String>,
}

/// How numbers are printed: etcd's default `%4.4f`, or `%g` with `--precise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `%4.4f`: four decimals.
    Fixed4,
    /// `%g`: the shortest exact representation (`--precise`).
    Precise,
}

impl Precision {
    /// Formats `v` like Go's `fmt.Sprintf(precision, v)`.
    pub fn fmt(self, v: f64) -> String {
        match self {
            Precision::Fixed4 => format!("{v:4.4}"),
            Precision::Precise => go_g(v),
        }
    }
}

/// Go's `%g` for a float64: the shortest representation, in exponent form (`1.2e-05`) when
/// the decimal exponent is < -4 or ≥ 21.
pub fn go_g(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let exp = v.abs().log10().floor() as i32;
    if (-4..21).contains(&exp) {
        return format!("{v}");
    }
    // Rust's `{:e}` gives `1.2e-5`; Go writes at least two exponent digits with a sign.
    let s = format!("{v:e}");
    match s.split_once('e') {
        Some((mant, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{mant}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// The summary numbers of one run, in seconds (etcd's `report.Stats`).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Wall time of the whole run.
    pub total: Duration,
    /// Slowest successful request, seconds.
    pub slowest: f64,
    /// Fastest successful request, seconds.
    pub fastest: f64,
    /// Mean latency, seconds.
    pub average: f64,
    /// Population standard deviation of the latencies, seconds.
    pub stddev: f64,
    /// Successful requests per second of wall time.
    pub rps: f64,
    /// Sorted latencies of the successful requests, seconds.
    pub lats: Vec<f64>,
    /// Error message → count.
    pub errors: BTreeMap<String, usize>,
    /// Per-second samples (`--sample`), ordered by second.
    pub series: Vec<SecondPoint>,
}

/// One second of a `--sample` series (etcd's `DataPoint`).
#[derive(Debug, Clone, PartialEq)]
pub struct SecondPoint {
    /// Unix second.
    pub timestamp: u64,
    /// Fastest request started in that second, seconds.
    pub min: f64,
    /// Mean latency, seconds.
    pub avg: f64,
    /// Slowest, seconds.
    pub max: f64,
    /// Requests started in that second.
    pub throughput: u64,
}

impl Stats {
    /// Computes the statistics of `outcomes` over the wall time `total` (etcd's
    /// `processResults`); `sample` also builds the per-second series.
    pub fn compute(outcomes: &[Outcome], total: Duration, sample: bool) -> Stats {
        let mut st = Stats {
            total,
            ..Stats::default()
        };
        let mut sum = 0.0;
        let mut per_sec: HashMap<u64, (f64, f64, f64, u64)> = HashMap::new();
        for o in outcomes {
            if let Some(e) = &o.error {
                *st.errors.entry(e.clone()).or_default() += 1;
                continue;
            }
            let d = o.duration.as_secs_f64();
            st.lats.push(d);
            sum += d;
            if sample {
                let sec = o
                    .start
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let e = per_sec.entry(sec).or_insert((f64::MAX, 0.0, 0.0, 0));
                e.0 = e.0.min(d);
                e.1 += d;
                e.2 = e.2.max(d);
                e.3 += 1;
            }
        }
        let n = st.lats.len() as f64;
        if !st.lats.is_empty() {
            st.average = sum / n;
            st.stddev = (st
                .lats
                .iter()
                .map(|l| (l - st.average) * (l - st.average))
                .sum::<f64>()
                / n)
                .sqrt();
            st.lats.sort_by(f64::total_cmp);
            st.fastest = st.lats[0];
            st.slowest = st.lats[st.lats.len() - 1];
        }
        let secs = total.as_secs_f64();
        st.rps = if secs > 0.0 { n / secs } else { 0.0 };
        let mut series: Vec<SecondPoint> = per_sec
            .into_iter()
            .map(|(timestamp, (min, s, max, c))| SecondPoint {
                timestamp,
                min,
                avg: s / c as f64,
                max,
                throughput: c,
            })
            .collect();
        series.sort_by_key(|p| p.timestamp);
        st.series = series;
        st
    }

    /// The latency at each of [`PERCENTILES`] (etcd's `percentiles`: the first sorted
    /// latency whose rank `i*100/n` reaches the percentile; 0 when there are too few).
    pub fn percentiles(&self) -> [f64; 8] {
        let mut data = [0.0; 8];
        let n = self.lats.len();
        let mut j = 0;
        for (i, lat) in self.lats.iter().enumerate() {
            if j >= PERCENTILES.len() {
                break;
            }
            let current = i as f64 * 100.0 / n as f64;
            if current >= PERCENTILES[j] {
                data[j] = *lat;
                j += 1;
            }
        }
        data
    }

    /// The 11 histogram buckets (upper bounds, seconds) and their counts (etcd's
    /// `histogram`: 10 equal steps from fastest, the last bound is the slowest).
    pub fn histogram(&self) -> (Vec<f64>, Vec<usize>) {
        const BC: usize = 10;
        let mut buckets = vec![0.0; BC + 1];
        let mut counts = vec![0usize; BC + 1];
        let bs = (self.slowest - self.fastest) / BC as f64;
        for (i, b) in buckets.iter_mut().enumerate().take(BC) {
            *b = self.fastest + bs * i as f64;
        }
        buckets[BC] = self.slowest;
        let mut bi = 0;
        let mut i = 0;
        while i < self.lats.len() {
            if self.lats[i] <= buckets[bi] {
                counts[bi] += 1;
                i += 1;
            } else if bi < BC {
                bi += 1;
            } else {
                // Only reachable with NaN latencies; count them in the last bucket.
                counts[BC] += 1;
                i += 1;
            }
        }
        (buckets, counts)
    }

    /// etcd's report text (`report.String`), starting with an empty line.
    pub fn render(&self, p: Precision) -> String {
        let sec = |v: f64| format!("{} secs", p.fmt(v));
        let mut s = String::new();
        if !self.lats.is_empty() {
            s.push_str("\nSummary:\n");
            let _ = writeln!(s, "  Total:\t{}.", sec(self.total.as_secs_f64()));
            let _ = writeln!(s, "  Slowest:\t{}.", sec(self.slowest));
            let _ = writeln!(s, "  Fastest:\t{}.", sec(self.fastest));
            let _ = writeln!(s, "  Average:\t{}.", sec(self.average));
            let _ = writeln!(s, "  Stddev:\t{}.", sec(self.stddev));
            let _ = writeln!(s, "  Requests/sec:\t{}", p.fmt(self.rps));
            s.push_str("\nResponse time histogram:\n");
            let (buckets, counts) = self.histogram();
            let max = counts.iter().copied().max().unwrap_or(0);
            for (b, c) in buckets.iter().zip(&counts) {
                let len = (c * 40).checked_div(max).unwrap_or(0);
                let _ = writeln!(s, "  {} [{c}]\t|{}", p.fmt(*b), "∎".repeat(len));
            }
            s.push_str("\nLatency distribution:\n");
            for (pct, v) in PERCENTILES.iter().zip(self.percentiles()) {
                if v > 0.0 {
                    let _ = writeln!(s, "  {pct}% in {}.", sec(v));
                }
            }
            if !self.series.is_empty() {
                s.push_str("\nSample in one second (unix latency throughput):\n");
                s.push_str(
                    "UNIX-SECOND,MIN-LATENCY-MS,AVG-LATENCY-MS,MAX-LATENCY-MS,AVG-THROUGHPUT\n",
                );
                for pt in &self.series {
                    let _ = writeln!(
                        s,
                        "{},{:.6},{:.6},{:.6},{}",
                        pt.timestamp,
                        pt.min * 1000.0,
                        pt.avg * 1000.0,
                        pt.max * 1000.0,
                        pt.throughput
                    );
                }
                s.push('\n');
            }
        }
        if !self.errors.is_empty() {
            s.push_str("\nError distribution:\n");
            for (e, n) in &self.errors {
                let _ = writeln!(s, "  [{n}]\t{e}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ms: u64) -> Outcome {
        Outcome {
            start: UNIX_EPOCH + Duration::from_secs(1_000),
            duration: Duration::from_millis(ms),
            error: None,
        }
    }

    #[test]
    fn stats_average_stddev_rps() {
        let outs: Vec<Outcome> = [10, 20, 30, 40].into_iter().map(ok).collect();
        let st = Stats::compute(&outs, Duration::from_secs(2), false);
        assert!((st.average - 0.025).abs() < 1e-12);
        // population stddev of 10,20,30,40 ms = sqrt(125) ms
        assert!((st.stddev - 125f64.sqrt() / 1000.0).abs() < 1e-9);
        assert!((st.rps - 2.0).abs() < 1e-12);
        assert_eq!(st.fastest, 0.010);
        assert_eq!(st.slowest, 0.040);
    }

    #[test]
    fn errors_are_counted_apart_from_latencies() {
        let mut outs: Vec<Outcome> = [5, 6].into_iter().map(ok).collect();
        for _ in 0..3 {
            outs.push(Outcome {
                error: Some("context deadline exceeded".into()),
                ..ok(1)
            });
        }
        let st = Stats::compute(&outs, Duration::from_secs(1), false);
        assert_eq!(st.lats.len(), 2);
        assert_eq!(st.errors["context deadline exceeded"], 3);
        let text = st.render(Precision::Fixed4);
        assert!(text.ends_with("\nError distribution:\n  [3]\tcontext deadline exceeded\n"));
    }

    #[test]
    fn percentiles_follow_etcds_rank_rule() {
        let outs: Vec<Outcome> = (1..=100).map(ok).collect();
        let st = Stats::compute(&outs, Duration::from_secs(1), false);
        // i*100/n >= p at i = p (rounded up): the (p+1)-th smallest
        let p = st.percentiles();
        assert_eq!(p[0], 0.011);
        assert_eq!(p[2], 0.051);
        assert_eq!(p[6], 0.100);
        // 99.9 needs i >= 99.9: never reached with 100 samples
        assert_eq!(p[7], 0.0);
    }

    #[test]
    fn histogram_counts_every_latency_once() {
        let outs: Vec<Outcome> = (1..=50).map(ok).collect();
        let st = Stats::compute(&outs, Duration::from_secs(1), false);
        let (b, c) = st.histogram();
        assert_eq!(b.len(), 11);
        assert_eq!(c.iter().sum::<usize>(), 50);
        assert_eq!(b[0], 0.001);
        assert_eq!(b[10], 0.050);
        assert_eq!(c[0], 1);
    }

    #[test]
    fn render_matches_etcds_layout() {
        let outs: Vec<Outcome> = [1, 2, 3, 4].into_iter().map(ok).collect();
        let st = Stats::compute(&outs, Duration::from_millis(500), false);
        let text = st.render(Precision::Fixed4);
        let expected_head = "\nSummary:\n  Total:\t0.5000 secs.\n  Slowest:\t0.0040 secs.\n  \
                             Fastest:\t0.0010 secs.\n  Average:\t0.0025 secs.\n  \
                             Stddev:\t0.0011 secs.\n  Requests/sec:\t8.0000\n\n\
                             Response time histogram:\n  0.0010 [1]\t|∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎\n";
        assert!(text.starts_with(expected_head), "{text}");
        // etcd's rank rule with 4 samples: 10% → the 2nd, 25% → the 3rd, 50% → the 4th, then none
        assert!(text.ends_with(
            "\nLatency distribution:\n  10% in 0.0020 secs.\n  25% in 0.0030 secs.\n  \
             50% in 0.0040 secs.\n"
        ));
        assert!(!text.contains("Error distribution"));
    }

    #[test]
    fn empty_run_prints_nothing() {
        let st = Stats::compute(&[], Duration::from_secs(1), false);
        assert_eq!(st.render(Precision::Fixed4), "");
    }

    #[test]
    fn go_g_formatting() {
        assert_eq!(go_g(0.00012), "0.00012");
        assert_eq!(go_g(0.000012), "1.2e-05");
        assert_eq!(go_g(1234.5), "1234.5");
        assert_eq!(go_g(0.0), "0");
        assert_eq!(Precision::Fixed4.fmt(1.23456), "1.2346");
    }

    #[test]
    fn sample_series_groups_by_second() {
        let outs: Vec<Outcome> = [2, 4].into_iter().map(ok).collect();
        let st = Stats::compute(&outs, Duration::from_secs(1), true);
        assert_eq!(
            st.series,
            vec![SecondPoint {
                timestamp: 1000,
                min: 0.002,
                avg: 0.003,
                max: 0.004,
                throughput: 2
            }]
        );
        assert!(st
            .render(Precision::Fixed4)
            .contains("1000,2.000000,3.000000,4.000000,2\n"));
    }
}
