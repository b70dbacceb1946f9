//! Turning what C passes into Rust values, with every check that can be made: the one place
//! where raw pointers become slices and strings.

use core::ffi::{c_char, c_int};
use core::ops::Range;

use crate::{DIMSE_E_ALIGN, DIMSE_E_ARGUMENT, DIMSE_E_NULL, DIMSE_E_OVERLAP, DIMSE_E_SIZE};

/// The address range of `len` values of `T` at `p`, if it neither wraps nor exceeds
/// `isize::MAX` bytes (the limit of a Rust slice).
fn range<T>(p: *const T, len: usize) -> Result<Range<usize>, c_int> {
    let bytes = len
        .checked_mul(core::mem::size_of::<T>())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or(DIMSE_E_SIZE)?;
    let start = p as usize;
    let end = start.checked_add(bytes).ok_or(DIMSE_E_SIZE)?;
    Ok(start..end)
}

/// Checks `p` for NULL and alignment, and `len` values of `T` from it for size.
fn check<T>(p: *const T, len: usize) -> Result<(), c_int> {
    if p.is_null() {
        return Err(DIMSE_E_NULL);
    }
    if !p.is_aligned() {
        return Err(DIMSE_E_ALIGN);
    }
    range(p, len).map(|_| ())
}

/// `len` values at `p` as a slice; `len == 0` is the empty slice whatever `p` is.
///
/// # Safety
/// Unless `len == 0`, `p` must point to `len` initialised values of `T` that nothing
/// writes while the slice lives (the caller's contract with C).
pub(crate) unsafe fn slice<'a, T>(p: *const T, len: usize) -> Result<&'a [T], c_int> {
    if len == 0 {
        return Ok(&[]);
    }
    check(p, len)?;
    // SAFETY: non-null, aligned, not wrapping, at most isize::MAX bytes (checked above); the
    // values and their lifetime are the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// `len` bytes at `p` as a mutable slice, which must be non-empty.
///
/// # Safety
/// `p` must point to `len` writable bytes that nothing else reads or writes while the slice
/// lives.
pub(crate) unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> Result<&'a mut [u8], c_int> {
    if len == 0 {
        return Err(DIMSE_E_SIZE);
    }
    check(p.cast_const(), len)?;
    // SAFETY: as `slice`, and exclusive by the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// A NUL-terminated C string of at most `max` bytes before its NUL, as bytes. Reads at most
/// `max + 1` bytes, so a string without a NUL is refused rather than overrun further.
///
/// # Safety
/// `p` must be NULL or point to a string readable up to its NUL or `max + 1` bytes,
/// whichever comes first.
pub(crate) unsafe fn c_str<'a>(p: *const c_char, max: usize) -> Result<&'a [u8], c_int> {
    if p.is_null() {
        return Err(DIMSE_E_NULL);
    }
    let p = p.cast::<u8>();
    let mut len = 0;
    loop {
        // SAFETY: bytes up to the NUL, at most `max + 1` of them, are readable (contract);
        // `len <= max` here, so `p + len` does not pass them.
        if unsafe { p.add(len).read() } == 0 {
            break;
        }
        if len == max {
            return Err(DIMSE_E_ARGUMENT);
        }
        len = len.saturating_add(1);
    }
    // SAFETY: the `len` bytes before the NUL were just read; u8 has no alignment.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// Writes `value` into `out` NUL-terminated, cut to fit.
pub(crate) fn fill_c_chars(out: &mut [c_char], value: &[u8]) {
    let room = out.len().saturating_sub(1);
    let n = value.len().min(room);
    for (o, &b) in out.iter_mut().zip(value.iter().take(n)) {
        *o = b as c_char;
    }
    for o in out.iter_mut().skip(n) {
        *o = 0;
    }
}

/// An address range that other buffers must not overlap.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// The range of `len` bytes at `p` (empty when `len == 0`).
    pub(crate) fn of<T>(p: *const T, len: usize) -> Result<Span, c_int> {
        let r = range(p, len)?;
        Ok(Span {
            start: r.start,
            end: r.end,
        })
    }

    /// Whether the two share a byte.
    pub(crate) fn overlaps(self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// `Err(DIMSE_E_OVERLAP)` when `self` overlaps any of `others`.
    pub(crate) fn disjoint_from(self, others: &[Span]) -> Result<(), c_int> {
        if others.iter().any(|o| self.overlaps(*o)) {
            return Err(DIMSE_E_OVERLAP);
        }
        Ok(())
    }
}

/// Writes `value` to `out` when `out` is not NULL (an optional out-parameter).
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub(crate) unsafe fn put_optional<T>(out: *mut T, value: T) -> Result<(), c_int> {
    if out.is_null() {
        return Ok(());
    }
    if !out.is_aligned() {
        return Err(DIMSE_E_ALIGN);
    }
    // SAFETY: non-null and aligned (checked); writable by contract. A plain write: the
    // target may be uninitialised, and `T` here has no destructor.
    unsafe { out.write(value) };
    Ok(())
}

/// Writes `value` to `out`, which must not be NULL.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T) -> Result<(), c_int> {
    if out.is_null() {
        return Err(DIMSE_E_NULL);
    }
    // SAFETY: the same contract; NULL was handled.
    unsafe { put_optional(out, value) }
}

/// `Ok` or `Err` as the C API's code.
pub(crate) fn code(r: Result<(), c_int>) -> c_int {
    match r {
        Ok(()) => crate::DIMSE_OK,
        Err(e) => e,
    }
}
