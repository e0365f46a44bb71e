//! The member's clock, where the server reads time for the things that expire: lease deadlines
//! and the lessor's quorum gate (`server::lease`, [`crate::lease::lessor`]), simple auth tokens'
//! TTL, JWT `exp` claims ([`crate::auth::token`]), and the wall time stamped on proposals and v2
//! TTLs. Request deadlines, retry pacing and Raft's own timers are not on this clock: they are
//! not what a skewed clock changes in etcd either (raft ticks are counted, not read).
//!
//! Two readings, as in etcd (Go's `time.Now()` carries both):
//! - [`now`]: the monotonic clock (an [`Instant`]); etcd's lessor and simple-token keeper
//!   compare Go's monotonic readings, so only this one decides when a lease or a simple token
//!   expires;
//! - [`wall`]: the wall clock (a [`SystemTime`]); etcd's JWT `exp` claim is signed and checked
//!   against it.
//!
//! In a normal build both are plain `Instant::now()` / `SystemTime::now()` (inlined, nothing
//! else). In the `failpoints` build (robustness tests only) each member's clock can be skewed
//! at run time, per process:
//! - `wall=<±duration>`: the wall clock's offset from the real one (Go duration syntax with an
//!   optional sign: `wall=+2h`, `wall=-90m`, `wall=0`);
//! - `jump=<duration>`: the monotonic clock jumps forward by that much (it never goes back);
//! - `rate=<factor>`: the monotonic clock runs at `factor` times real time from now on
//!   (`rate=1.05` fast, `rate=0.9` slow; 0.01 to 100);
//! - `reset`: wall offset 0 and rate 1 (a jump already made stays: monotonic time does not go
//!   back).
//!
//! Settings are separated by `;` or whitespace. Drivers, like the failpoints': the
//! [`CLOCK_ENV`] environment variable at start, and `PUT /debug/clock` on the client port with
//! the settings as the body (`GET /debug/clock` shows the state). The skew is process-wide
//! state (one clock per member process), the one static besides the failpoints' registry, and
//! only in that build.
//!
//! Depends on: `go_text` (duration syntax) in the failpoints build; a leaf any layer may use.

use std::time::{Instant, SystemTime};

/// The monotonic clock: what lease and simple-token deadlines are measured on.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn now() -> Instant {
    Instant::now()
}

/// The wall clock: what JWT `exp` claims and proposal timestamps are read from.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn wall() -> SystemTime {
    SystemTime::now()
}

#[cfg(feature = "failpoints")]
pub use skew::{configure, describe, setup, CLOCK_ENV};

/// The monotonic clock: what lease and simple-token deadlines are measured on (skewed as
/// configured in this build).
#[cfg(feature = "failpoints")]
pub fn now() -> Instant {
    skew::now()
}

/// The wall clock: what JWT `exp` claims and proposal timestamps are read from (offset as
/// configured in this build).
#[cfg(feature = "failpoints")]
pub fn wall() -> SystemTime {
    skew::wall()
}

#[cfg(feature = "failpoints")]
mod skew {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant, SystemTime};

    /// Environment variable read at start (failpoints build only): the clock settings of
    /// [`configure`], e.g. `FAILPOINTS_CLOCK='wall=-3h;rate=1.1'`.
    pub const CLOCK_ENV: &str = "FAILPOINTS_CLOCK";

    /// The skew of one process's clock.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(super) struct Skew {
        /// Wall offset in nanoseconds (signed).
        pub(super) wall_ns: i128,
        /// The real instant the monotonic line was last re-anchored at.
        pub(super) anchor_real: Instant,
        /// The skewed reading at `anchor_real`.
        pub(super) anchor_skewed: Instant,
        /// Skewed seconds per real second.
        pub(super) rate: f64,
    }

    impl Skew {
        pub(super) fn new(real: Instant) -> Skew {
            Skew {
                wall_ns: 0,
                anchor_real: real,
                anchor_skewed: real,
                rate: 1.0,
            }
        }

        /// The skewed monotonic reading at real instant `real` (never before the anchor).
        pub(super) fn mono(&self, real: Instant) -> Instant {
            let since = real.saturating_duration_since(self.anchor_real);
            let scaled = if self.rate == 1.0 {
                since
            } else {
                since.mul_f64(self.rate)
            };
            self.anchor_skewed + scaled
        }

        /// The skewed wall reading for the real wall time `real`.
        pub(super) fn wall(&self, real: SystemTime) -> SystemTime {
            let off =
                Duration::from_nanos(self.wall_ns.unsigned_abs().min(u64::MAX as u128) as u64);
            let moved = if self.wall_ns >= 0 {
                real.checked_add(off)
            } else {
                real.checked_sub(off)
            };
            moved.unwrap_or(real)
        }

        /// Moves the anchor to `real` (keeping the readings continuous) before a change.
        fn reanchor(&mut self, real: Instant) {
            self.anchor_skewed = self.mono(real);
            self.anchor_real = self.anchor_real.max(real);
        }

        /// Applies one settings string at real instant `real`.
        pub(super) fn apply(&mut self, spec: &str, real: Instant) -> Result<(), String> {
            // Parse everything first: a bad setting changes nothing.
            let mut ops = Vec::new();
            for item in spec.split([';', ' ', '\n', '\t']).filter(|s| !s.is_empty()) {
                ops.push(parse_op(item)?);
            }
            if ops.is_empty() {
                return Err("empty clock setting".into());
            }
            for op in ops {
                match op {
                    Op::Wall(ns) => self.wall_ns = ns,
                    Op::Jump(d) => {
                        self.reanchor(real);
                        self.anchor_skewed += d;
                    }
                    Op::Rate(r) => {
                        self.reanchor(real);
                        self.rate = r;
                    }
                    Op::Reset => {
                        self.reanchor(real);
                        self.rate = 1.0;
                        self.wall_ns = 0;
                    }
                }
            }
            Ok(())
        }

        /// `wall=<offset> rate=<factor> mono_ahead=<skewed - real>` at `real`.
        pub(super) fn describe(&self, real: Instant) -> String {
            let ahead = self.mono(real).saturating_duration_since(real);
            format!(
                "wall={}{:?} rate={} mono_ahead={:?}\n",
                if self.wall_ns < 0 { "-" } else { "+" },
                Duration::from_nanos(self.wall_ns.unsigned_abs().min(u64::MAX as u128) as u64),
                self.rate,
                ahead
            )
        }
    }

    #[derive(Debug, PartialEq)]
    enum Op {
        Wall(i128),
        Jump(Duration),
        Rate(f64),
        Reset,
    }

    fn duration(v: &str) -> Result<Duration, String> {
        crate::go_text::parse_go_duration(v).map_err(|e| format!("clock: {e}"))
    }

    fn parse_op(item: &str) -> Result<Op, String> {
        if item == "reset" {
            return Ok(Op::Reset);
        }
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| format!("clock: {item:?} is not name=value or reset"))?;
        match k {
            "wall" => {
                let (neg, abs) = match v.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, v.strip_prefix('+').unwrap_or(v)),
                };
                let ns = duration(abs)?.as_nanos() as i128;
                Ok(Op::Wall(if neg { -ns } else { ns }))
            }
            "jump" => Ok(Op::Jump(duration(v)?)),
            "rate" => {
                let r: f64 = v
                    .parse()
                    .map_err(|_| format!("clock: rate {v:?} is not a number"))?;
                if !(0.01..=100.0).contains(&r) {
                    return Err(format!("clock: rate {r} outside 0.01..=100"));
                }
                Ok(Op::Rate(r))
            }
            other => Err(format!(
                "clock: unknown setting {other:?} (wall, jump, rate, reset)"
            )),
        }
    }

    /// Set once any skew was configured: until then readings take the plain path.
    static ACTIVE: AtomicBool = AtomicBool::new(false);

    fn state() -> &'static Mutex<Skew> {
        static STATE: OnceLock<Mutex<Skew>> = OnceLock::new();
        STATE.get_or_init(|| Mutex::new(Skew::new(Instant::now())))
    }

    fn with<R>(f: impl FnOnce(&mut Skew) -> R) -> R {
        match state().lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    pub(super) fn now() -> Instant {
        let real = Instant::now();
        if !ACTIVE.load(Ordering::Acquire) {
            return real;
        }
        with(|s| s.mono(real))
    }

    pub(super) fn wall() -> SystemTime {
        let real = SystemTime::now();
        if !ACTIVE.load(Ordering::Acquire) {
            return real;
        }
        with(|s| s.wall(real))
    }

    /// Applies clock settings (see the module docs) to this process's clock.
    ///
    /// # Errors
    /// A message naming the bad setting; nothing is changed then.
    pub fn configure(spec: &str) -> Result<(), String> {
        with(|s| s.apply(spec, Instant::now()))?;
        ACTIVE.store(true, Ordering::Release);
        Ok(())
    }

    /// The clock's state as one line: `wall=±<offset> rate=<factor> mono_ahead=<duration>`.
    pub fn describe() -> String {
        with(|s| s.describe(Instant::now()))
    }

    /// Applies [`CLOCK_ENV`] when set. Call once at process start.
    ///
    /// # Panics
    /// On a malformed [`CLOCK_ENV`], before anything else runs (as a malformed `FAILPOINTS`).
    pub fn setup() {
        if let Ok(spec) = std::env::var(CLOCK_ENV) {
            if let Err(e) = configure(&spec) {
                panic!("{CLOCK_ENV}: {e}");
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const S: Duration = Duration::from_secs(1);

        #[test]
        fn unskewed_clock_reads_real_time() {
            let t0 = Instant::now();
            let s = Skew::new(t0);
            assert_eq!(s.mono(t0 + 5 * S), t0 + 5 * S);
            let w = SystemTime::UNIX_EPOCH + 1000 * S;
            assert_eq!(s.wall(w), w);
        }

        #[test]
        fn wall_offsets_both_ways_leave_the_monotonic_clock_alone() {
            let t0 = Instant::now();
            let mut s = Skew::new(t0);
            let w = SystemTime::UNIX_EPOCH + 100_000 * S;
            s.apply("wall=+2h", t0).expect("setting");
            assert_eq!(s.wall(w), w + 7200 * S);
            s.apply("wall=-90m", t0).expect("setting");
            assert_eq!(s.wall(w), w - 5400 * S);
            assert_eq!(s.mono(t0 + S), t0 + S);
            s.apply("wall=0", t0).expect("setting");
            assert_eq!(s.wall(w), w);
        }

        #[test]
        fn jumps_and_rates_are_continuous_and_never_go_back() {
            let t0 = Instant::now();
            let mut s = Skew::new(t0);
            s.apply("jump=10s", t0 + S).expect("setting");
            assert_eq!(s.mono(t0 + S), t0 + 11 * S);
            assert_eq!(s.mono(t0 + 2 * S), t0 + 12 * S);
            // Twice as fast from 2 s: 4 real seconds later, 8 skewed ones have passed.
            s.apply("rate=2", t0 + 2 * S).expect("setting");
            assert_eq!(s.mono(t0 + 6 * S), t0 + 20 * S);
            // Half speed from 6 s.
            s.apply("rate=0.5", t0 + 6 * S).expect("setting");
            assert_eq!(s.mono(t0 + 8 * S), t0 + 21 * S);
            // A reading taken before a re-anchoring is not earlier than the anchor.
            assert_eq!(s.mono(t0 + 7 * S), t0 + 20 * S + S / 2);
            assert_eq!(s.mono(t0), t0 + 20 * S);
            // reset: rate 1 from here, the jumps made stay.
            s.apply("reset", t0 + 8 * S).expect("setting");
            assert_eq!(s.mono(t0 + 9 * S), t0 + 22 * S);
            assert!(s.describe(t0 + 9 * S).contains("mono_ahead=13s"));
        }

        #[test]
        fn several_settings_at_once_and_bad_ones_change_nothing() {
            let t0 = Instant::now();
            let mut s = Skew::new(t0);
            s.apply("wall=-3h; rate=1.5\njump=1s", t0).expect("setting");
            assert_eq!(s.rate, 1.5);
            assert_eq!(s.wall_ns, -3 * 3600 * 1_000_000_000);
            let before = s;
            for bad in [
                "",
                "rate=0",
                "rate=x",
                "rate=1000",
                "jump=-1s",
                "wall=3",
                "speed=2",
                "rate=2 bogus",
            ] {
                assert!(s.apply(bad, t0 + S).is_err(), "{bad:?} accepted");
                assert_eq!(s, before, "{bad:?} changed the clock");
            }
        }
    }
}
