//! Data sets from C: the writer a write callback gets (the core's [`Writer`](CoreWriter),
//! with sequences and items opened and closed by calls instead of closures), the
//! stand-alone encoder, and a reader for received data sets.

use core::ffi::{c_char, c_int, c_void};

use dimse_core::dataset::{
    DataSetSource, OpenItem, OpenSequence, ReadEvent, Reader, Tag, Vr, WriteError,
    Writer as CoreWriter, MAX_DEPTH,
};
use heapless::Vec;

use crate::boundary::{bytes_mut, c_str, code, fill_c_chars, put, slice};
use crate::{
    encoding_of, DIMSE_E_ALIGN, DIMSE_E_ARGUMENT, DIMSE_E_BUFFER_FULL, DIMSE_E_CALLBACK,
    DIMSE_E_INVALID_VALUE, DIMSE_E_MALFORMED, DIMSE_E_NESTING, DIMSE_E_NOT_INITIALISED,
    DIMSE_E_NULL, DIMSE_E_OUT_OF_ORDER, DIMSE_E_TOO_DEEP,
};

/// The data set writer a write callback gets (C: `dimse_writer`, opaque). Valid only during
/// the callback.
pub struct Writer {
    _private: [u8; 0],
}

/// Writes a data set: every attribute the application has, in ascending tag order, through
/// the `dimse_put_*` and `dimse_begin_*`/`dimse_end_*` functions on `writer`. Non-zero
/// fails the write (an N-GET is then answered 0110H). The first writer error is kept: every
/// later call returns it, and the write fails with it whatever the callback returns.
pub type WriteFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, writer: *mut Writer) -> c_int>;

/// A write callback known not to be NULL.
type WriteCallback = unsafe extern "C" fn(*mut c_void, *mut Writer) -> c_int;

/// "WRIT": set while the callback runs.
const WRITER_MAGIC: u32 = 0x5752_4954;

/// An open sequence or item. A top-level sequence the attribute filter drops is "skipped":
/// its content is accepted and dropped, as the core skips a closure it never calls.
#[derive(Debug)]
enum Frame {
    Sequence(OpenSequence),
    Item(OpenItem),
    SkippedSequence,
    SkippedItem,
}

/// A sequence and an item per level, and one more of each to report `TooDeep` from.
const FRAMES: usize = 2 * MAX_DEPTH + 2;

struct CWriter<'w, 'a> {
    magic: u32,
    w: &'w mut CoreWriter<'a>,
    frames: Vec<Frame, FRAMES>,
    /// The first error (a C code), or 0.
    error: c_int,
}

fn write_error(e: WriteError) -> c_int {
    match e {
        WriteError::BufferFull => DIMSE_E_BUFFER_FULL,
        WriteError::OutOfOrder => DIMSE_E_OUT_OF_ORDER,
        WriteError::TooDeep => DIMSE_E_TOO_DEEP,
        _ => DIMSE_E_INVALID_VALUE,
    }
}

/// The core's error for a failed write (a full buffer is 0213H to the N-GET; anything else
/// is the source failing, 0110H).
fn core_error(code: c_int) -> WriteError {
    match code {
        DIMSE_E_BUFFER_FULL => WriteError::BufferFull,
        DIMSE_E_OUT_OF_ORDER => WriteError::OutOfOrder,
        DIMSE_E_TOO_DEEP => WriteError::TooDeep,
        _ => WriteError::InvalidValue,
    }
}

/// Runs the C callback `f` against `w`.
fn run(f: WriteCallback, user_data: *mut c_void, w: &mut CoreWriter<'_>) -> Result<(), c_int> {
    let mut cw = CWriter {
        magic: WRITER_MAGIC,
        w,
        frames: Vec::new(),
        error: 0,
    };
    let handle = core::ptr::addr_of_mut!(cw).cast::<Writer>();
    // SAFETY: the caller's function with its own data, and a writer that lives until the
    // call returns (the C contract: the callback uses it only during the call).
    let rc = unsafe { f(user_data, handle) };
    cw.magic = 0;
    if cw.error != 0 {
        return Err(cw.error);
    }
    if rc != 0 {
        return Err(DIMSE_E_CALLBACK);
    }
    if !cw.frames.is_empty() {
        return Err(DIMSE_E_NESTING);
    }
    Ok(())
}

/// The application's write callback as a data set source for the core.
pub(crate) struct CSource {
    f: WriteCallback,
    user_data: *mut c_void,
}

impl CSource {
    pub(crate) fn new(f: WriteCallback, user_data: *mut c_void) -> CSource {
        CSource { f, user_data }
    }
}

impl DataSetSource for CSource {
    fn write_to(&self, w: &mut CoreWriter<'_>) -> Result<(), WriteError> {
        run(self.f, self.user_data, w).map_err(core_error)
    }
}

/// Runs `f` on the writer at `w` unless an earlier call failed; keeps `f`'s error.
///
/// # Safety
/// `w` is NULL or the writer handed to the running callback.
unsafe fn with_writer(
    w: *mut Writer,
    f: impl FnOnce(&mut CWriter<'_, '_>) -> Result<(), c_int>,
) -> c_int {
    if w.is_null() {
        return DIMSE_E_NULL;
    }
    let cw = w.cast::<CWriter<'_, '_>>();
    if !cw.is_aligned() {
        return DIMSE_E_ALIGN;
    }
    // SAFETY: the writer handed to the running callback lives on `run`'s stack until the
    // callback returns (contract), and nothing else uses it meanwhile; the magic number is
    // a best-effort check of that.
    let cw = unsafe { &mut *cw };
    if cw.magic != WRITER_MAGIC {
        return DIMSE_E_NOT_INITIALISED;
    }
    if cw.error != 0 {
        return cw.error;
    }
    match f(cw) {
        Ok(()) => crate::DIMSE_OK,
        Err(e) => {
            cw.error = e;
            e
        }
    }
}

/// An element: only at the top level or in an item; dropped inside a skipped sequence.
fn element(
    cw: &mut CWriter<'_, '_>,
    f: impl FnOnce(&mut CoreWriter<'_>) -> Result<(), WriteError>,
) -> Result<(), c_int> {
    match cw.frames.last() {
        Some(Frame::Sequence(_) | Frame::SkippedSequence) => Err(DIMSE_E_NESTING),
        Some(Frame::SkippedItem) => Ok(()),
        _ => f(cw.w).map_err(write_error),
    }
}

/// A two-letter VR ("LO").
///
/// # Safety
/// `vr` is NULL or a NUL-terminated string.
unsafe fn vr(vr: *const c_char) -> Result<Vr, c_int> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { c_str(vr, 2) }?;
    let pair: &[u8; 2] = bytes.try_into().map_err(|_| DIMSE_E_ARGUMENT)?;
    Vr::from_bytes(pair).ok_or(DIMSE_E_ARGUMENT)
}

/// Writes a string value (`len` bytes of UTF-8 at `value`, not NUL-terminated) with `vr`
/// ("LO", "CS", ...), padded to even length; backslashes separate values. Bytes in another
/// character set go through `dimse_put_bytes`.
///
/// # Safety
/// `w` NULL or the callback's writer; `vr` a string; `value` `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_string(
    w: *mut Writer,
    tag: u32,
    vr_name: *const c_char,
    value: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| {
            let vr = vr(vr_name)?;
            let bytes = slice(value.cast::<u8>(), len)?;
            let text = core::str::from_utf8(bytes).map_err(|_| DIMSE_E_ARGUMENT)?;
            element(cw, |w| w.string(Tag(tag), vr, text))
        })
    }
}

/// Writes a string value whose VR the standard dictionary gives.
///
/// # Safety
/// As `dimse_put_string`.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_text(
    w: *mut Writer,
    tag: u32,
    value: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| {
            let bytes = slice(value.cast::<u8>(), len)?;
            let text = core::str::from_utf8(bytes).map_err(|_| DIMSE_E_ARGUMENT)?;
            element(cw, |w| w.text_auto(Tag(tag), text))
        })
    }
}

/// Writes a value already in little-endian wire form with `vr` (an odd length is padded
/// for string VRs, OB and UN, refused for the others).
///
/// # Safety
/// `w` NULL or the callback's writer; `vr` a string; `value` `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_bytes(
    w: *mut Writer,
    tag: u32,
    vr_name: *const c_char,
    value: *const u8,
    len: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| {
            let vr = vr(vr_name)?;
            let bytes = slice(value, len)?;
            element(cw, |w| w.bytes(Tag(tag), vr, bytes))
        })
    }
}

/// The numeric `dimse_put_*`: `count` values at `values` through `method`.
///
/// # Safety
/// As those functions say.
unsafe fn numbers<T>(
    w: *mut Writer,
    tag: u32,
    values: *const T,
    count: usize,
    method: impl FnOnce(&mut CoreWriter<'_>, Tag, &[T]) -> Result<(), WriteError>,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| {
            let v = slice(values, count)?;
            element(cw, |w| method(w, Tag(tag), v))
        })
    }
}

/// Writes US values (`count` of them; NULL and 0: an empty value).
///
/// # Safety
/// `w` NULL or the callback's writer; `values` `count` readable values.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_us(
    w: *mut Writer,
    tag: u32,
    values: *const u16,
    count: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { numbers(w, tag, values, count, |w, t, v| w.u16s(t, v)) }
}

/// Writes UL values (`count` of them; NULL and 0: an empty value).
///
/// # Safety
/// `w` NULL or the callback's writer; `values` `count` readable values.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_ul(
    w: *mut Writer,
    tag: u32,
    values: *const u32,
    count: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { numbers(w, tag, values, count, |w, t, v| w.u32s(t, v)) }
}

/// Writes SS values (`count` of them; NULL and 0: an empty value).
///
/// # Safety
/// `w` NULL or the callback's writer; `values` `count` readable values.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_ss(
    w: *mut Writer,
    tag: u32,
    values: *const i16,
    count: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { numbers(w, tag, values, count, |w, t, v| w.i16s(t, v)) }
}

/// Writes SL values (`count` of them; NULL and 0: an empty value).
///
/// # Safety
/// `w` NULL or the callback's writer; `values` `count` readable values.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_sl(
    w: *mut Writer,
    tag: u32,
    values: *const i32,
    count: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { numbers(w, tag, values, count, |w, t, v| w.i32s(t, v)) }
}

/// Writes FL values (`count` of them; NULL and 0: an empty value).
///
/// # Safety
/// `w` NULL or the callback's writer; `values` `count` readable values.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_fl(
    w: *mut Writer,
    tag: u32,
    values: *const f32,
    count: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { numbers(w, tag, values, count, |w, t, v| w.f32s(t, v)) }
}

/// Writes FD values (`count` of them; NULL and 0: an empty value).
///
/// # Safety
/// `w` NULL or the callback's writer; `values` `count` readable values.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_fd(
    w: *mut Writer,
    tag: u32,
    values: *const f64,
    count: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { numbers(w, tag, values, count, |w, t, v| w.f64s(t, v)) }
}

/// Writes AT values (`(group << 16) | element`), at most 16 (`DIMSE_E_ARGUMENT` beyond).
///
/// # Safety
/// As the other `dimse_put_*` of numbers.
#[no_mangle]
pub unsafe extern "C" fn dimse_put_at(
    w: *mut Writer,
    tag: u32,
    values: *const u32,
    count: usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| {
            let raw = slice(values, count)?;
            let mut tags = [Tag(0); 16];
            let n = raw.len();
            if n > tags.len() {
                return Err(DIMSE_E_ARGUMENT);
            }
            for (t, &r) in tags.iter_mut().zip(raw) {
                *t = Tag(r);
            }
            let v = tags.get(..n).unwrap_or(&[]);
            element(cw, |w| w.tags(Tag(tag), v))
        })
    }
}

/// Opens a sequence (at the top level or in an item); its items follow, then
/// `dimse_end_sequence`.
///
/// # Safety
/// `w` NULL or the callback's writer.
#[no_mangle]
pub unsafe extern "C" fn dimse_begin_sequence(w: *mut Writer, tag: u32) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| {
            let frame = match cw.frames.last() {
                Some(Frame::Sequence(_) | Frame::SkippedSequence) => return Err(DIMSE_E_NESTING),
                Some(Frame::SkippedItem) => Frame::SkippedSequence,
                _ => match cw.w.begin_sequence(Tag(tag)).map_err(write_error)? {
                    Some(open) => Frame::Sequence(open),
                    None => Frame::SkippedSequence,
                },
            };
            cw.frames.push(frame).map_err(|_| DIMSE_E_TOO_DEEP)
        })
    }
}

/// Closes the innermost open sequence.
///
/// # Safety
/// `w` NULL or the callback's writer.
#[no_mangle]
pub unsafe extern "C" fn dimse_end_sequence(w: *mut Writer) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| match cw.frames.pop() {
            Some(Frame::Sequence(open)) => cw.w.end_sequence(open).map_err(write_error),
            Some(Frame::SkippedSequence) => Ok(()),
            _ => Err(DIMSE_E_NESTING),
        })
    }
}

/// Opens an item of the innermost open sequence; its elements follow (the tag order starts
/// afresh), then `dimse_end_item`.
///
/// # Safety
/// `w` NULL or the callback's writer.
#[no_mangle]
pub unsafe extern "C" fn dimse_begin_item(w: *mut Writer) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| {
            let frame = match cw.frames.last() {
                Some(Frame::Sequence(_)) => Frame::Item(cw.w.begin_item().map_err(write_error)?),
                Some(Frame::SkippedSequence) => Frame::SkippedItem,
                _ => return Err(DIMSE_E_NESTING),
            };
            cw.frames.push(frame).map_err(|_| DIMSE_E_TOO_DEEP)
        })
    }
}

/// Closes the innermost open item.
///
/// # Safety
/// `w` NULL or the callback's writer.
#[no_mangle]
pub unsafe extern "C" fn dimse_end_item(w: *mut Writer) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_writer(w, |cw| match cw.frames.pop() {
            Some(Frame::Item(open)) => cw.w.end_item(open).map_err(write_error),
            Some(Frame::SkippedItem) => Ok(()),
            _ => Err(DIMSE_E_NESTING),
        })
    }
}

/// Encodes a data set into `buf` with `write(user_data, writer)`, in `encoding`, without
/// a filter; `*written` is its length. For a data set that does not change: encode it once
/// in each encoding and answer with `dimse_respond_n_get_encoded`.
///
/// # Safety
/// `buf` points to `buf_len` writable bytes; `write` uses its writer only during the call;
/// `written` is writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_encode(
    buf: *mut u8,
    buf_len: usize,
    encoding: u8,
    write: WriteFn,
    user_data: *mut c_void,
    written: *mut usize,
) -> c_int {
    let (Some(f), false) = (write, written.is_null()) else {
        return DIMSE_E_NULL;
    };
    let Some(encoding) = encoding_of(encoding) else {
        return DIMSE_E_ARGUMENT;
    };
    // SAFETY: the caller's contract.
    let out = match unsafe { bytes_mut(buf, buf_len) } {
        Ok(out) => out,
        Err(e) => return e,
    };
    let mut w = CoreWriter::new(out, encoding);
    code(run(f, user_data, &mut w).and_then(|()| {
        // SAFETY: checked non-null above; writable by contract.
        unsafe { put(written, w.written()) }
    }))
}

/// What a data set element read by `dimse_read_data_set` is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// An element with its value.
    Element = 1,
    /// A sequence begins (its items follow).
    SequenceStart = 2,
    /// An item of the current sequence begins.
    ItemStart = 3,
    /// The item ends.
    ItemEnd = 4,
    /// The sequence ends.
    SequenceEnd = 5,
}

/// One step of a data set, for the visit callback.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Element {
    /// What it is.
    pub kind: ElementKind,
    /// Element, SequenceStart, SequenceEnd: the tag (`(group << 16) | element`).
    pub tag: u32,
    /// Element, SequenceStart: the VR, NUL-terminated (from the dictionary in Implicit VR).
    pub vr: [c_char; 3],
    /// Sequences open around it (0 at the top level).
    pub depth: usize,
    /// Element: the value as received (valid during the callback).
    pub value: *const u8,
    /// Its length.
    pub value_len: usize,
}

/// Visits one step of a data set; non-zero stops the walk.
pub type VisitFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, element: *const Element) -> c_int>;

/// Walks a data set in `encoding`, calling `visit(user_data, step)` for each element,
/// sequence and item, in order. `DIMSE_E_MALFORMED` when the bytes are not a data set
/// (after the steps before the fault), `DIMSE_E_CALLBACK` when `visit` stopped the walk.
///
/// # Safety
/// `data` points to `len` readable bytes; `visit` is a function.
#[no_mangle]
pub unsafe extern "C" fn dimse_read_data_set(
    data: *const u8,
    len: usize,
    encoding: u8,
    visit: VisitFn,
    user_data: *mut c_void,
) -> c_int {
    let Some(visit) = visit else {
        return DIMSE_E_NULL;
    };
    let Some(encoding) = encoding_of(encoding) else {
        return DIMSE_E_ARGUMENT;
    };
    // SAFETY: the caller's contract.
    let bytes = match unsafe { slice(data, len) } {
        Ok(b) => b,
        Err(e) => return e,
    };
    for ev in Reader::new(bytes, encoding) {
        let ev: ReadEvent<'_> = match ev {
            Ok(ev) => ev,
            Err(_) => return DIMSE_E_MALFORMED,
        };
        let mut e = Element {
            kind: ElementKind::Element,
            tag: 0,
            vr: [0; 3],
            depth: 0,
            value: core::ptr::null(),
            value_len: 0,
        };
        match ev {
            ReadEvent::Element {
                tag,
                vr,
                value,
                depth,
            } => {
                (e.tag, e.depth) = (tag.0, depth);
                fill_c_chars(&mut e.vr, vr.as_bytes());
                (e.value, e.value_len) = (value.as_ptr(), value.len());
            }
            ReadEvent::SequenceStart { tag, vr, depth } => {
                (e.kind, e.tag, e.depth) = (ElementKind::SequenceStart, tag.0, depth);
                fill_c_chars(&mut e.vr, vr.as_bytes());
            }
            ReadEvent::ItemStart { depth } => (e.kind, e.depth) = (ElementKind::ItemStart, depth),
            ReadEvent::ItemEnd { depth } => (e.kind, e.depth) = (ElementKind::ItemEnd, depth),
            ReadEvent::SequenceEnd { tag, depth } => {
                (e.kind, e.tag, e.depth) = (ElementKind::SequenceEnd, tag.0, depth);
            }
        }
        // SAFETY: the caller's function with its own data, and a step valid for the call.
        if unsafe { visit(user_data, &e) } != 0 {
            return DIMSE_E_CALLBACK;
        }
    }
    crate::DIMSE_OK
}
