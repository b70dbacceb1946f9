//! The core's deadlines for every association of the process, kept by one thread.
//!
//! Why not a tokio timer per association: while any tokio timer is pending, every park of
//! the runtime is an `epoll_wait` *with a timeout*, and the kernel arms and cancels a
//! high-resolution timer around each one. An association always has a deadline (ARTIM,
//! DIMSE or network timeout), so that is one timer arm and cancel per message; on a virtual
//! machine each is a trap to the hypervisor (measured paired: up to 1% of an N-GET round
//! trip, on each side that uses it). Here the runtime's `epoll_wait` has no timeout; one
//! thread sleeps until the earliest deadline of all associations and wakes the task whose
//! deadline it is.
//!
//! A [`Timer`] is moved only when the core's next deadline comes *earlier* (the deadline
//! moves later with every message: the timeouts restart): a later one lets it fire early,
//! find nothing due ([`Driver::timer_fired`](crate::driver::Driver::timer_fired)) and be set
//! again, once per timeout period.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// One association's timer as the timer thread sees it.
#[derive(Default)]
struct Slot {
    /// Which arming is current: an entry of an older one is ignored when it comes due.
    generation: AtomicU64,
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// A deadline waiting in the timer thread's heap.
struct Entry {
    at: Instant,
    generation: u64,
    slot: Weak<Slot>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed: the heap's top is the earliest deadline.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other.at.cmp(&self.at)
    }
}

/// The timer thread and its heap of deadlines.
struct Service {
    heap: Mutex<BinaryHeap<Entry>>,
    /// Signalled when a deadline earlier than all others arrives.
    earlier: Condvar,
}

impl Service {
    /// The process's service; the thread starts with the first timer armed.
    fn get() -> &'static Service {
        static SERVICE: Service = Service {
            heap: Mutex::new(BinaryHeap::new()),
            earlier: Condvar::new(),
        };
        static START: Once = Once::new();
        START.call_once(|| {
            // Without the thread no timeout would ever fire: that is no state to go on in.
            std::thread::Builder::new()
                .name("dimse-timers".into())
                .spawn(|| SERVICE.run())
                .expect("cannot start the dimse timer thread");
        });
        &SERVICE
    }

    fn add(&self, entry: Entry) {
        let mut heap = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        let earliest = heap.peek().is_none_or(|top| entry.at < top.at);
        heap.push(entry);
        drop(heap);
        if earliest {
            self.earlier.notify_one();
        }
    }

    fn run(&self) {
        let mut heap = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while heap.peek().is_some_and(|top| top.at <= now) {
                if let Some(entry) = heap.pop() {
                    due.push(entry);
                }
            }
            if !due.is_empty() {
                // Woken outside the lock: a waker may run code of its own.
                drop(heap);
                for entry in due {
                    entry.fire();
                }
                heap = self.heap.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            heap = match heap.peek().map(|top| top.at - now) {
                Some(wait) => {
                    self.earlier
                        .wait_timeout(heap, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.earlier.wait(heap).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }
}

impl Entry {
    fn fire(self) {
        // A dropped timer (the association ended) leaves nothing to wake.
        let Some(slot) = self.slot.upgrade() else {
            return;
        };
        if slot.generation.load(Ordering::Acquire) != self.generation {
            return;
        }
        slot.fired.store(true, Ordering::Release);
        let waker = slot.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The core's timers as one deadline for the whole association (see the module docs).
pub(crate) struct Timer {
    slot: Arc<Slot>,
    armed: Option<Instant>,
    /// The core deadline ([`Timer::arm_core`]) the timer fires at or before; `None` once it
    /// has fired (and before any core deadline).
    armed_core: Option<dimse_core::Instant>,
    /// The waker last stored in the slot: a task polls with the same waker every time, and
    /// comparing with this copy spares the slot's lock on each poll (two per message).
    stored: Option<Waker>,
}

impl Timer {
    pub(crate) fn new() -> Self {
        Timer {
            slot: Arc::default(),
            armed: None,
            armed_core: None,
            stored: None,
        }
    }

    /// Makes sure the timer fires at or before `deadline`.
    pub(crate) fn arm(&mut self, deadline: Option<Instant>) {
        let Some(at) = deadline else { return };
        if self.armed.is_some_and(|armed| armed <= at) {
            return;
        }
        self.armed = Some(at);
        let generation = self.slot.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.slot.fired.store(false, Ordering::Release);
        // A firing just forgotten may have taken the stored waker: store it again.
        self.stored = None;
        Service::get().add(Entry {
            at,
            generation,
            slot: Arc::downgrade(&self.slot),
        });
    }

    /// [`Timer::arm`] for a deadline of the core, on `clock`: compared in the core's
    /// milliseconds first, as converting costs more than comparing (an association arms once
    /// or twice per message, almost always for a later deadline).
    pub(crate) fn arm_core(&mut self, at: dimse_core::Instant, clock: &crate::Clock) {
        if self.armed_core.is_some_and(|armed| armed <= at) {
            return;
        }
        // Armed at the earlier of the two: at or before `at` from now on.
        self.arm(Some(clock.to_std(at)));
        self.armed_core = Some(at);
    }

    /// Whether [`Timer::fired`] can complete (a guard before polling it).
    pub(crate) fn is_armed(&self) -> bool {
        self.armed.is_some()
    }

    /// Waits for the armed deadline; disarms.
    pub(crate) async fn fired(&mut self) {
        poll_fn(|cx| self.poll_fired(cx)).await
    }

    /// [`Timer::fired`] as a poll, for a task that polls its wake-ups by hand: `Ready` once
    /// the armed deadline has passed, and then disarmed.
    #[inline(always)]
    pub(crate) fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // The slot's waker is taken only when the timer fires, which sets `fired`: while it
        // is unset, the waker stored last is still there. This is the poll of every message
        // (inlined: the call cost as much as the check); the rest is out of line.
        if !self.slot.fired.load(Ordering::Acquire)
            && self
                .stored
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        self.store_or_fire(cx)
    }

    /// [`Timer::poll_fired`] when the timer has fired or the task's waker is not stored.
    #[inline(never)]
    fn store_or_fire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.slot.fired.load(Ordering::Acquire) {
            let waker = cx.waker().clone();
            *self.slot.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker.clone());
            self.stored = Some(waker);
            // Fired while the waker was being stored: the thread may have found none.
            if !self.slot.fired.load(Ordering::Acquire) {
                return Poll::Pending;
            }
        }
        // The thread took the stored waker (or will find the slot's generation moved).
        self.stored = None;
        self.slot.fired.store(false, Ordering::Release);
        self.armed = None;
        self.armed_core = None;
        Poll::Ready(())
    }
}

/// Sleeps until `at`, on the timer thread: the adapter's other waits (a shutdown's grace, a
/// handshake's limit) do not need tokio's time driver either, so a runtime may run without
/// it (with it, every park scans its timer wheel and reads the clock: about 450
/// instructions per message on each side).
pub(crate) async fn sleep_until(at: Instant) {
    let mut timer = Timer::new();
    timer.arm(Some(at));
    timer.fired().await;
}

/// `fut`'s output, or `None` when it takes longer than `limit`.
pub(crate) async fn timeout<F: std::future::Future>(limit: Duration, fut: F) -> Option<F::Output> {
    let Some(at) = Instant::now().checked_add(limit) else {
        return Some(fut.await);
    };
    tokio::select! {
        biased;
        out = fut => Some(out),
        () = sleep_until(at) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_at_the_earliest_deadline_armed() {
        let start = Instant::now();
        let mut t = Timer::new();
        assert!(!t.is_armed());
        t.arm(Some(start + Duration::from_secs(3600)));
        // An earlier deadline moves it; a later one does not.
        t.arm(Some(start + Duration::from_millis(30)));
        t.arm(Some(start + Duration::from_secs(60)));
        assert!(t.is_armed());
        tokio::time::timeout(Duration::from_secs(5), t.fired())
            .await
            .expect("the timer fired");
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(30), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert!(!t.is_armed());
    }

    #[tokio::test]
    async fn a_core_deadline_arms_it_at_or_before_that_deadline() {
        let clock = crate::Clock::start();
        let ms = dimse_core::Instant::from_millis;
        let mut t = Timer::new();
        t.arm_core(ms(3_600_000), &clock);
        // Earlier moves it; later does not.
        t.arm_core(ms(30), &clock);
        t.arm_core(ms(60_000), &clock);
        tokio::time::timeout(Duration::from_secs(5), t.fired())
            .await
            .expect("fired at the earlier deadline");
        assert!(clock.now() >= ms(30));
        assert!(!t.is_armed());
        // Fired, it arms again for a deadline later than the one it fired for.
        let next = dimse_core::Instant::from_millis(clock.now().as_millis() + 20);
        t.arm_core(next, &clock);
        assert!(t.is_armed());
        tokio::time::timeout(Duration::from_secs(5), t.fired())
            .await
            .expect("fired again");
        assert!(clock.now() >= next);
    }

    #[tokio::test]
    async fn many_timers_each_fire_once_in_order() {
        let start = Instant::now();
        let mut timers: Vec<(Duration, Timer)> = [50u64, 10, 30, 20, 40]
            .iter()
            .map(|&ms| {
                let mut t = Timer::new();
                t.arm(Some(start + Duration::from_millis(ms)));
                (Duration::from_millis(ms), t)
            })
            .collect();
        for (after, t) in &mut timers {
            t.fired().await;
            assert!(start.elapsed() >= *after);
        }
        // Re-armed after firing, it fires again.
        let (_, t) = &mut timers[0];
        t.arm(Some(Instant::now() + Duration::from_millis(5)));
        tokio::time::timeout(Duration::from_secs(5), t.fired())
            .await
            .expect("fired again");
    }

    #[tokio::test]
    async fn a_dropped_timer_is_skipped() {
        let now = Instant::now();
        let mut gone = Timer::new();
        gone.arm(Some(now + Duration::from_millis(5)));
        drop(gone);
        let mut t = Timer::new();
        t.arm(Some(now + Duration::from_millis(20)));
        tokio::time::timeout(Duration::from_secs(5), t.fired())
            .await
            .expect("fired");
    }

    #[test]
    fn sleeps_and_times_out_without_tokio_time() {
        // A runtime without the time driver: `tokio::time` would panic here.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(sleeps_and_times_out());
    }

    async fn sleeps_and_times_out() {
        let start = Instant::now();
        sleep_until(start + Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Some(7));
        let start = Instant::now();
        let never = std::future::pending::<()>();
        assert_eq!(timeout(Duration::from_millis(20), never).await, None);
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
