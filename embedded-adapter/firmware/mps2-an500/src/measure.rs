//! What only a running image can tell, for BENCHMARKS.md: the instructions the executor spends
//! polling tasks, and the stack high-water marks (of the main stack, and of each task's
//! polls), through embassy-executor's `trace` hooks.
//!
//! - **Busy time**: [`time::cycles`] from the start of each executor poll to its idle, summed,
//!   and each task's own polls. Under `-icount shift=0` the CPU never waits inside a poll, so
//!   this is instructions (in units of 40, the 25 MHz clock): the executor, the tasks, and
//!   the interrupts that hit while they run; not the interrupts taken while asleep.
//! - **Stack**: at boot the [`PAINTED`] bytes below the main stack's top are filled with a
//!   pattern; the deepest word no longer holding it is the high-water mark. Every task is
//!   polled on the main stack (an embassy task's state is its future, in a static pool). With
//!   per-task probing on ([`set_probe`]), each poll's end also finds how deep that poll went
//!   and paints the used part again, so that each task gets its own mark; that costs
//!   thousands of instructions per poll, so the instruction counts are taken without it.

use core::cell::{Cell, RefCell};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use critical_section::Mutex;

use crate::time;

/// The bytes of the main stack painted at boot, below its top.
pub const PAINTED: usize = 32 * 1024;
/// The paint.
const PAINT: u32 = 0xA5A5_A5A5;
/// Tasks whose marks are kept, in spawn order.
pub const TASKS: usize = 8;

/// Busy clock ticks (25 MHz) since boot.
static BUSY: Mutex<RefCell<Busy>> = Mutex::new(RefCell::new(Busy { since: 0, total: 0 }));
static PROBE: AtomicBool = AtomicBool::new(false);
/// The deepest stack use seen (bytes below the top).
static HIGH_WATER: AtomicU32 = AtomicU32::new(0);
static TASK: Mutex<RefCell<[Task; TASKS]>> = Mutex::new(RefCell::new(
    [Task {
        id: 0,
        polls: 0,
        busy: 0,
        stack: 0,
    }; TASKS],
));

/// What is measured of one task.
#[derive(Clone, Copy)]
pub struct Task {
    /// embassy's task ID (0: a slot no task took).
    id: u32,
    /// How many times it was polled.
    pub polls: u32,
    /// Clock ticks (25 MHz) spent in its polls.
    pub busy: u64,
    /// Its stack high-water mark (bytes below the main stack's top) while probing.
    pub stack: u32,
}

struct Busy {
    since: u64,
    total: u64,
}

// SAFETY: two symbols cortex-m-rt's linker script defines; only their addresses are taken
// (`stack_bounds`), never their contents.
unsafe extern "C" {
    /// The top of the main stack (cortex-m-rt's linker script).
    static _stack_start: u32;
    /// The end of the statics, where the stack may grow down to.
    static _stack_end: u32;
}

/// The top of the main stack, and the lowest painted word.
fn stack_bounds() -> (usize, usize) {
    // Only the addresses of the linker's symbols, never their contents.
    let (top, end) = (
        core::ptr::addr_of!(_stack_start) as usize,
        core::ptr::addr_of!(_stack_end) as usize,
    );
    (top, (top - PAINTED).max(end.next_multiple_of(4)))
}

/// Fills `[from, to)` with the paint.
fn paint_range(from: usize, to: usize) {
    for addr in (from..to).step_by(4) {
        // SAFETY: callers pass part of the painted window that is below the stack pointer:
        // memory of the main stack that no live frame uses.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
    }
}

/// Paints the stack window below the current frame (with a margin for this call's own).
pub fn paint() {
    let (_, bottom) = stack_bounds();
    let sp = cortex_m::register::msp::read() as usize;
    paint_range(bottom, sp - 256);
}

/// The deepest address whose paint was overwritten, as bytes below the top.
fn depth() -> u32 {
    let (top, bottom) = stack_bounds();
    let mut addr = bottom;
    // SAFETY: reads of the painted window, word-aligned, inside the main stack's RAM.
    while addr < top && unsafe { core::ptr::read_volatile(addr as *const u32) } == PAINT {
        addr += 4;
    }
    (top - addr) as u32
}

/// Per-task stack marks on (costly: see the module's docs) or off.
pub fn set_probe(on: bool) {
    PROBE.store(on, Ordering::Relaxed);
}

/// The busy clock ticks since boot.
pub fn busy() -> u64 {
    critical_section::with(|cs| BUSY.borrow_ref(cs).total)
}

/// The main stack's high-water mark, bytes.
pub fn high_water() -> u32 {
    let d = depth();
    HIGH_WATER.fetch_max(d, Ordering::Relaxed).max(d)
}

/// Each task's figures, in spawn order.
pub fn tasks() -> [Task; TASKS] {
    critical_section::with(|cs| *TASK.borrow_ref(cs))
}

#[no_mangle]
fn _embassy_trace_poll_start(_executor_id: u32) {
    critical_section::with(|cs| BUSY.borrow_ref_mut(cs).since = time::cycles());
}

#[no_mangle]
fn _embassy_trace_executor_idle(_executor_id: u32) {
    critical_section::with(|cs| {
        let mut busy = BUSY.borrow_ref_mut(cs);
        busy.total += time::cycles() - busy.since;
    });
}

#[no_mangle]
fn _embassy_trace_task_new(_executor_id: u32, task_id: u32) {
    critical_section::with(|cs| {
        if let Some(task) = TASK.borrow_ref_mut(cs).iter_mut().find(|t| t.id == 0) {
            task.id = task_id;
        }
    });
}

#[no_mangle]
fn _embassy_trace_task_exec_end(_executor_id: u32, task_id: u32) {
    critical_section::with(|cs| {
        let busy = time::cycles() - TASK_SINCE.borrow(cs).get();
        if let Some(task) = TASK.borrow_ref_mut(cs).iter_mut().find(|t| t.id == task_id) {
            task.busy += busy;
        }
    });
    if !PROBE.load(Ordering::Relaxed) {
        return;
    }
    let d = depth();
    HIGH_WATER.fetch_max(d, Ordering::Relaxed);
    critical_section::with(|cs| {
        if let Some(task) = TASK.borrow_ref_mut(cs).iter_mut().find(|t| t.id == task_id) {
            task.stack = task.stack.max(d);
        }
    });
    // Paint what this poll used again: it is below the current frame (the poll is over).
    let (top, _) = stack_bounds();
    let sp = cortex_m::register::msp::read() as usize;
    paint_range(top - d as usize, sp - 256);
}

#[no_mangle]
fn _embassy_trace_task_end(_executor_id: u32, _task_id: u32) {}
#[no_mangle]
fn _embassy_trace_task_exec_begin(_executor_id: u32, task_id: u32) {
    critical_section::with(|cs| {
        if let Some(task) = TASK.borrow_ref_mut(cs).iter_mut().find(|t| t.id == task_id) {
            task.polls += 1;
        }
        TASK_SINCE.borrow(cs).set(time::cycles());
    });
}

/// When the task being polled was polled.
static TASK_SINCE: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));
#[no_mangle]
fn _embassy_trace_task_ready_begin(_executor_id: u32, _task_id: u32) {}
