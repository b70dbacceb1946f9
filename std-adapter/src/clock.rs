//! The core's time on the standard clock.

use std::time::Duration;

/// The bridge between [`std::time::Instant`] and the core's [`dimse_core::Instant`],
/// milliseconds since an epoch the caller chooses: here the moment the clock was started.
///
/// One per connection keeps the core's numbers small and makes a recorded trace start at
/// zero. Conversions to the core truncate to the millisecond and saturate at the epoch;
/// conversions back are exact for what came from [`Clock::to_core`] up to that truncation.
///
/// ```
/// use std::time::Duration;
/// use dimse_tokio::Clock;
///
/// let clock = Clock::start();
/// let deadline = dimse_core::Instant::from_millis(1500);
/// let at = clock.to_std(deadline);
/// assert_eq!(at - clock.epoch(), Duration::from_millis(1500));
/// assert_eq!(clock.to_core(at), deadline);
/// // Before the epoch is the epoch.
/// assert_eq!(clock.to_core(clock.epoch() - Duration::from_millis(10)), dimse_core::Instant::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    epoch: std::time::Instant,
}

/// Added to the epoch when a core instant lies beyond what [`std::time::Instant`] holds:
/// about 136 years, a deadline that never comes.
const FAR: Duration = Duration::from_secs(u32::MAX as u64);

impl Clock {
    /// A clock whose epoch is now.
    pub fn start() -> Clock {
        Clock::with_epoch(std::time::Instant::now())
    }

    /// A clock whose epoch is `epoch`.
    pub const fn with_epoch(epoch: std::time::Instant) -> Clock {
        Clock { epoch }
    }

    /// The epoch: [`dimse_core::Instant::ZERO`] on this clock.
    pub const fn epoch(&self) -> std::time::Instant {
        self.epoch
    }

    /// The current time for the core (one read of the monotonic clock).
    #[inline]
    pub fn now(&self) -> dimse_core::Instant {
        self.to_core(std::time::Instant::now())
    }

    /// `at` for the core: whole milliseconds since the epoch, zero before it.
    // Inline across crates too: the driver reads the clock once per message, and this is
    // the arithmetic it used to write out by hand.
    #[inline]
    pub fn to_core(&self, at: std::time::Instant) -> dimse_core::Instant {
        Clock::core_time(at.saturating_duration_since(self.epoch))
    }

    /// The core's time `since` the epoch: whole milliseconds (a caller that has the
    /// duration already, for the wall clock too, subtracts once).
    #[inline]
    pub fn core_time(since: Duration) -> dimse_core::Instant {
        // Without `as_millis`'s u128 arithmetic; u64 milliseconds are 584 million years.
        let ms = since
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(since.subsec_millis()));
        dimse_core::Instant::from_millis(ms)
    }

    /// The core's `at` on the standard clock (a deadline to sleep until, say).
    #[inline]
    pub fn to_std(&self, at: dimse_core::Instant) -> std::time::Instant {
        let ms = Duration::from_millis(at.as_millis());
        self.epoch
            .checked_add(ms)
            .or_else(|| self.epoch.checked_add(FAR))
            .unwrap_or(self.epoch)
    }
}

/// A reading of the monotonic clock, for the driver's one clock read per step.
///
/// Where std's [`std::time::Instant`] reads `CLOCK_MONOTONIC` (Linux and Android, per its
/// documentation), the clock is read with rustix (through the C library, so the vDSO) and
/// the time since an earlier reading worked out in plain integers: std's subtraction of two
/// `Instant`s is a call with checks and normalising, about as costly as the read itself,
/// on every message. Elsewhere this is std's `Instant`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Monotonic(
    #[cfg(any(target_os = "linux", target_os = "android"))] rustix::time::Timespec,
    #[cfg(not(any(target_os = "linux", target_os = "android")))] std::time::Instant,
);

impl Monotonic {
    #[inline]
    pub(crate) fn now() -> Monotonic {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return Monotonic(rustix::time::clock_gettime(
            rustix::time::ClockId::Monotonic,
        ));
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        return Monotonic(std::time::Instant::now());
    }

    /// The time from `earlier` to this reading; zero if `earlier` is later.
    #[inline]
    pub(crate) fn since(self, earlier: Monotonic) -> Duration {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let (now, then) = (self.0, earlier.0);
            // Seconds and nanoseconds of the kernel's normalised timespecs: no overflow in
            // i64 nanoseconds for 292 years of difference.
            // `tv_nsec` is a C `long`: 32 bits on 32-bit targets.
            #[allow(clippy::useless_conversion)]
            let ns = (now.tv_sec - then.tv_sec)
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(now.tv_nsec - then.tv_nsec));
            Duration::from_nanos(u64::try_from(ns).unwrap_or(0))
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        self.0.saturating_duration_since(earlier.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dimse_core::Instant;

    #[test]
    fn round_trip_in_whole_milliseconds() {
        let clock = Clock::start();
        for ms in [0, 1, 999, 1000, 60_000, 86_400_000] {
            let core = Instant::from_millis(ms);
            assert_eq!(clock.to_core(clock.to_std(core)), core);
        }
        // Below a millisecond is cut, not rounded.
        let at = clock.epoch() + Duration::from_micros(2_999);
        assert_eq!(clock.to_core(at), Instant::from_millis(2));
        assert!(clock.to_std(clock.to_core(at)) <= at);
    }

    /// The driver's clock reads the clock std's `Instant` reads: each of its readings lies
    /// between the std readings taken just before and just after it, so the time between
    /// two of them lies between the std times those brackets allow, however the test is
    /// scheduled; and it never goes back.
    #[test]
    fn the_drivers_clock_is_stds() {
        let bracket = || {
            let before = std::time::Instant::now();
            let ours = Monotonic::now();
            (before, ours, std::time::Instant::now())
        };
        let (b0, m0, a0) = bracket();
        std::thread::sleep(Duration::from_millis(30));
        let (b1, m1, a1) = bracket();
        let ours = m1.since(m0);
        // A microsecond for the two clocks' rounding of the same moment.
        let slack = Duration::from_micros(1);
        assert!(ours >= Duration::from_millis(30), "{ours:?}");
        assert!(ours + slack >= b1 - a0, "{ours:?} < {:?}", b1 - a0);
        assert!(ours <= (a1 - b0) + slack, "{ours:?} > {:?}", a1 - b0);
        assert_eq!(m0.since(m1), Duration::ZERO);
        let mut last = Monotonic::now();
        for _ in 0..1000 {
            let now = Monotonic::now();
            assert!(now.since(m0) >= last.since(m0));
            last = now;
        }
    }

    #[test]
    fn monotonic() {
        let clock = Clock::start();
        let mut last = clock.now();
        for _ in 0..1000 {
            let now = clock.now();
            assert!(now >= last);
            last = now;
        }
        std::thread::sleep(Duration::from_millis(5));
        assert!(clock.now() >= Instant::from_millis(5));
    }

    #[test]
    fn saturates_before_the_epoch_and_far_beyond() {
        let later = std::time::Instant::now() + Duration::from_secs(10);
        let clock = Clock::with_epoch(later);
        assert_eq!(clock.now(), Instant::ZERO);
        assert_eq!(clock.to_core(clock.epoch()), Instant::ZERO);
        // No panic on a deadline beyond what the standard clock holds.
        let far = clock.to_std(Instant::from_millis(u64::MAX));
        assert!(far > clock.epoch());
    }
}
