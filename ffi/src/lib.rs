//! # dimse-ffi
//!
//! The C ABI over [`dimse_core`]: the same Sans-IO connection, driven from C through
//! `include/dimse.h` (generated from this crate by cbindgen). `ffi/README.md` has the
//! integration loop in C, the buffer sizes, the threading rule and who owns every pointer;
//! this page says how the crate keeps the boundary safe.
//!
//! ## The shape
//!
//! * **Caller-owned memory.** A connection lives in memory the caller gives
//!   ([`dimse_connection_size`] bytes aligned to [`dimse_connection_align`], or a static
//!   buffer of `DIMSE_CONNECTION_SIZE`), with the caller's receive and transmit storage.
//!   [`dimse_acceptor_init`] / [`dimse_requestor_init`] copy what they need of the policy
//!   (AE titles, SOP class UIDs, transfer syntaxes) into that memory, so the policy struct
//!   and its strings may go once init returns. Nothing is allocated.
//! * **The one drain loop** of the core ([`dimse_core`]'s crate documentation): feed
//!   [`dimse_handle_input`] (it says how many bytes it took), drain [`dimse_poll_output`]
//!   until `DIMSE_OUTPUT_KIND_IDLE` (transmit, event, reoffer), wait.
//! * **N-GET**: [`dimse_read_n_get_request`] reads the request announced by a
//!   `DIMSE_EVENT_KIND_REQUEST` event; [`dimse_respond_n_get`] answers it through a
//!   C callback that writes the data set with the writer functions ([`dimse_put_string`],
//!   [`dimse_begin_sequence`], ...), or [`dimse_respond_n_get_encoded`] with bytes encoded
//!   before. The SCU side is [`dimse_send_n_get`] and [`dimse_received_response`].
//!
//! ## Safety at the boundary
//!
//! Every function returns a plain `int` ([`DIMSE_OK`] or a negative code that
//! [`dimse_strerror`] names) and checks what it can: every pointer for NULL and alignment,
//! every length (a slice never exceeds `isize::MAX` bytes nor wraps the address space),
//! buffers that must not overlap, UTF-8 and the DICOM syntax of strings, the connection's
//! magic number (memory that no init filled is refused), and re-entry: a callback that calls
//! back into its own connection gets [`DIMSE_E_REENTRANT`] instead of aliasing it. Calls in
//! the wrong state get the core's error ([`DIMSE_E_STATE`], [`DIMSE_E_BUSY`], ...). What C
//! cannot tell Rust (that a pointer points to as many bytes as it says, that memory is not
//! freed while in use) is the caller's contract, written on each function.
//!
//! `unsafe` is confined to this crate, each block with a `// SAFETY:` comment (the lint
//! `clippy::undocumented_unsafe_blocks` is denied). Nothing here panics: no indexing, no
//! unwrap, checked arithmetic; the C builds use `panic = "abort"` (profile `ffi`), and on a
//! bare-metal target the crate brings its own panic handler, which nothing reaches.
//!
//! ## `no_std`
//!
//! The crate is `#![no_std]` and uses only `core`. On a target with an operating system it
//! links `std` only so that a staticlib has the runtime's panic handler and abort; on
//! `target_os = "none"` (firmware) it links nothing but `core`.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]
// A C function takes its buffers and their lengths as separate arguments.
#![allow(clippy::too_many_arguments)]
#![warn(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[cfg(not(target_os = "none"))]
extern crate std;

/// Firmware has no runtime to print or unwind: halt. Nothing reaches this (see the crate
/// documentation); a debugger finds the core here if something ever does.
#[cfg(all(target_os = "none", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

mod boundary;
mod connection;
mod data_set;
mod n_get;
mod policy;

pub use connection::*;
pub use data_set::*;
pub use n_get::*;
pub use policy::*;

use core::ffi::{c_char, c_int};

/// Success.
pub const DIMSE_OK: c_int = 0;
/// A pointer that must not be NULL is NULL.
pub const DIMSE_E_NULL: c_int = -1;
/// A length is wrong: memory smaller than [`dimse_connection_size`], an output buffer
/// smaller than the next PDU, a length that overflows.
pub const DIMSE_E_SIZE: c_int = -2;
/// A pointer is not aligned for its type.
pub const DIMSE_E_ALIGN: c_int = -3;
/// Not a connection made by `dimse_acceptor_init` or `dimse_requestor_init` (or not a
/// writer handed to a write callback).
pub const DIMSE_E_NOT_INITIALISED: c_int = -4;
/// Called from inside a callback of the same connection.
pub const DIMSE_E_REENTRANT: c_int = -5;
/// An argument is invalid: not an AE title, not a UID, not UTF-8, an unknown encoding or
/// VR, too many entries.
pub const DIMSE_E_ARGUMENT: c_int = -6;
/// Buffers that must be distinct overlap (connection memory, receive and transmit storage,
/// input and output).
pub const DIMSE_E_OVERLAP: c_int = -7;
/// Not possible in the association's current state (or on this side: an N-GET answer on
/// a requestor).
pub const DIMSE_E_STATE: c_int = -8;
/// No accepted presentation context carries this SOP class.
pub const DIMSE_E_UNKNOWN_CONTEXT: c_int = -9;
/// A message is still being sent (drain `dimse_poll_output` first), or a request is
/// outstanding.
pub const DIMSE_E_BUSY: c_int = -10;
/// The request does not fit the transmit storage.
pub const DIMSE_E_TOO_LARGE: c_int = -11;
/// No request with this Message ID waits for an answer.
pub const DIMSE_E_UNKNOWN_REQUEST: c_int = -12;
/// A UID argument is not a valid UID.
pub const DIMSE_E_INVALID_UID: c_int = -13;
/// The requestor's presentation contexts are not valid.
pub const DIMSE_E_CONFIG: c_int = -14;
/// The data set does not fit its buffer.
pub const DIMSE_E_BUFFER_FULL: c_int = -15;
/// A tag not greater than the previous one in the same data set or item.
pub const DIMSE_E_OUT_OF_ORDER: c_int = -16;
/// A value that cannot be encoded with its VR.
pub const DIMSE_E_INVALID_VALUE: c_int = -17;
/// Sequences nested deeper than the core allows.
pub const DIMSE_E_TOO_DEEP: c_int = -18;
/// Sequences and items opened and closed out of order (an element directly in a sequence,
/// an item outside one, an end without its begin, a begin without its end).
pub const DIMSE_E_NESTING: c_int = -19;
/// Nothing to read: no N-GET request waits, or no response is readable.
pub const DIMSE_E_NOTHING: c_int = -20;
/// A callback returned non-zero.
pub const DIMSE_E_CALLBACK: c_int = -21;
/// A received data set is malformed.
pub const DIMSE_E_MALFORMED: c_int = -22;

/// The error codes and their text, in one table.
const MESSAGES: [(c_int, &core::ffi::CStr); 23] = [
    (DIMSE_OK, c"success"),
    (DIMSE_E_NULL, c"a required pointer is NULL"),
    (
        DIMSE_E_SIZE,
        c"a buffer or length is too small or too large",
    ),
    (DIMSE_E_ALIGN, c"a pointer is not aligned for its type"),
    (
        DIMSE_E_NOT_INITIALISED,
        c"not an initialised dimse connection or writer",
    ),
    (
        DIMSE_E_REENTRANT,
        c"called from inside a callback of the same connection",
    ),
    (DIMSE_E_ARGUMENT, c"an argument is not valid"),
    (DIMSE_E_OVERLAP, c"buffers that must be distinct overlap"),
    (
        DIMSE_E_STATE,
        c"not possible in the association's current state or role",
    ),
    (
        DIMSE_E_UNKNOWN_CONTEXT,
        c"no accepted presentation context carries this SOP class",
    ),
    (
        DIMSE_E_BUSY,
        c"a message is still being sent, or a request is outstanding",
    ),
    (
        DIMSE_E_TOO_LARGE,
        c"the request does not fit the transmit buffer",
    ),
    (
        DIMSE_E_UNKNOWN_REQUEST,
        c"no request with this Message ID waits for an answer",
    ),
    (DIMSE_E_INVALID_UID, c"not a valid UID"),
    (
        DIMSE_E_CONFIG,
        c"presentation contexts: none, or more than the connection holds",
    ),
    (DIMSE_E_BUFFER_FULL, c"the data set does not fit its buffer"),
    (
        DIMSE_E_OUT_OF_ORDER,
        c"data element tags not in ascending order",
    ),
    (
        DIMSE_E_INVALID_VALUE,
        c"value cannot be encoded with its value representation",
    ),
    (DIMSE_E_TOO_DEEP, c"sequences nested too deep"),
    (
        DIMSE_E_NESTING,
        c"sequences and items opened and closed out of order",
    ),
    (DIMSE_E_NOTHING, c"no request or response to read"),
    (DIMSE_E_CALLBACK, c"a callback returned non-zero"),
    (DIMSE_E_MALFORMED, c"the data set is malformed"),
];

/// A static, NUL-terminated description of an error code (never NULL; an unknown code gets
/// "unknown error code").
#[no_mangle]
pub extern "C" fn dimse_strerror(code: c_int) -> *const c_char {
    MESSAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(c"unknown error code".as_ptr(), |(_, m)| m.as_ptr())
}

/// Implicit VR Little Endian (1.2.840.10008.1.2), in the `transfer_syntaxes` of a policy
/// and wherever an encoding is named.
pub const DIMSE_IMPLICIT_VR_LITTLE_ENDIAN: u8 = 1;
/// Explicit VR Little Endian (1.2.840.10008.1.2.1).
pub const DIMSE_EXPLICIT_VR_LITTLE_ENDIAN: u8 = 2;

/// The encoding code of the C API.
fn encoding_code(e: dimse_core::dataset::Encoding) -> u8 {
    match e {
        dimse_core::dataset::Encoding::ImplicitVrLittleEndian => DIMSE_IMPLICIT_VR_LITTLE_ENDIAN,
        dimse_core::dataset::Encoding::ExplicitVrLittleEndian => DIMSE_EXPLICIT_VR_LITTLE_ENDIAN,
    }
}

/// The encoding of a C API code.
fn encoding_of(code: u8) -> Option<dimse_core::dataset::Encoding> {
    match code {
        DIMSE_IMPLICIT_VR_LITTLE_ENDIAN => {
            Some(dimse_core::dataset::Encoding::ImplicitVrLittleEndian)
        }
        DIMSE_EXPLICIT_VR_LITTLE_ENDIAN => {
            Some(dimse_core::dataset::Encoding::ExplicitVrLittleEndian)
        }
        _ => None,
    }
}
