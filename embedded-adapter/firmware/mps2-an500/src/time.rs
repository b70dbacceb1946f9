//! The `embassy-time` driver: SysTick counts time, CMSDK timer0 wakes the tasks.
//!
//! SysTick runs from the core clock (25 MHz on this board) as a free-running 24-bit counter
//! whose wraps its exception counts: [`cycles`] is 25 MHz ticks since reset, and embassy-time
//! gets them in microseconds (its default 1 MHz tick). With `-icount shift=0`, QEMU runs one
//! instruction per nanosecond of virtual time, so a difference of [`cycles`] over work that
//! never sleeps is that work's instruction count in units of 40.
//!
//! timer0 (a 32-bit down-counter, also 25 MHz) is the alarm: armed for the earliest timer of
//! embassy's queue, its interrupt wakes what is due and arms it for the next.

use core::cell::{Cell, RefCell};
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::Waker;

use cortex_m::peripheral::{NVIC, SCB, SYST};
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

use crate::mmio::Registers;
use crate::vectors::Irq;

/// SysTick's and timer0's clock: the core clock of QEMU's mps2-an500.
pub const CLOCK_HZ: u64 = 25_000_000;
/// Clock ticks per embassy-time tick.
const PER_TICK: u64 = CLOCK_HZ / embassy_time_driver::TICK_HZ;
/// SysTick's reload value: the whole 24-bit range.
const SYST_RELOAD: u32 = 0x00FF_FFFF;
/// The longest alarm timer0 is armed for; a later deadline re-arms it when it fires.
const MAX_ALARM: u64 = 1 << 31;

const CTRL: usize = 0x00;
const VALUE: usize = 0x04;
const RELOAD: usize = 0x08;
const INTCLEAR: usize = 0x0C;
const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_INTERRUPT: u32 = 1 << 3;

// SAFETY: CMSDK timer0's registers on mps2-an500 (0x4000_0000), used at their offsets above.
const TIMER0: Registers = unsafe { Registers::new(0x4000_0000) };

/// SysTick wraps counted by its exception.
static WRAPS: AtomicU32 = AtomicU32::new(0);
/// The last value [`cycles`] returned.
static LAST: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Enables SysTick's wrap exception (the reset handler started it: `__pre_init` in main.rs,
/// on the core clock, reload [`SYST_RELOAD`]) and timer0's interrupt.
pub fn init(mut syst: SYST) {
    syst.enable_interrupt();
    TIMER0.write(CTRL, 0);
    TIMER0.write(INTCLEAR, 1);
    NVIC::unpend(Irq::Timer0);
    // SAFETY: its handler (`on_alarm`) shares the queue only inside critical sections.
    unsafe { NVIC::unmask(Irq::Timer0) };
}

/// Clock ticks (25 MHz) since [`init`].
pub fn cycles() -> u64 {
    critical_section::with(|cs| {
        let current = SYST::get_current();
        let wraps = WRAPS.load(Ordering::Relaxed);
        // A wrap whose exception has not run yet (we are in a critical section): count it,
        // and read the counter again, after the wrap for sure.
        let (wraps, current) = if SCB::is_pendst_pending() {
            (wraps + 1, SYST::get_current())
        } else {
            (wraps, current)
        };
        // Before its first reload (`__pre_init` cleared it) the counter reads 0: no time yet.
        let elapsed = if wraps == 0 && current == 0 {
            0
        } else {
            SYST_RELOAD - current
        };
        let mut cycles = (u64::from(wraps) << 24) + u64::from(elapsed);
        // Without `-icount`, QEMU may show the reloaded counter a little before it pends the
        // wrap (a wrap that is not even pending yet: far behind the last reading), and its
        // readings may jitter back by a few ticks. Time never goes back.
        let last = LAST.borrow(cs);
        if cycles < last.get() {
            if last.get() - cycles > 1 << 23 {
                cycles += 1 << 24;
            } else {
                cycles = last.get();
            }
        }
        last.set(cycles);
        cycles
    })
}

#[cortex_m_rt::exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

struct Timers {
    queue: Mutex<RefCell<Queue>>,
}

impl Driver for Timers {
    fn now(&self) -> u64 {
        cycles() / PER_TICK
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                arm(queue.next_expiration(self.now()));
            }
        })
    }
}

embassy_time_driver::time_driver_impl!(static TIMERS: Timers = Timers {
    queue: Mutex::new(RefCell::new(Queue::new())),
});

/// Arms timer0 for embassy tick `at` (`u64::MAX`: nothing to wake); a time already passed
/// raises its interrupt at once.
fn arm(at: u64) {
    TIMER0.write(CTRL, 0);
    if at == u64::MAX {
        return;
    }
    let now = cycles();
    let due = at.saturating_mul(PER_TICK);
    if due <= now {
        NVIC::pend(Irq::Timer0);
        return;
    }
    let wait = (due - now).min(MAX_ALARM) as u32;
    TIMER0.write(RELOAD, wait);
    TIMER0.write(VALUE, wait);
    TIMER0.write(CTRL, CTRL_ENABLE | CTRL_INTERRUPT);
}

/// timer0's interrupt: wakes what is due, arms the alarm for the next.
pub extern "C" fn on_alarm() {
    TIMER0.write(CTRL, 0);
    TIMER0.write(INTCLEAR, 1);
    critical_section::with(|cs| {
        let mut queue = TIMERS.queue.borrow_ref_mut(cs);
        arm(queue.next_expiration(TIMERS.now()));
    });
}
