//! The connection in caller-owned memory, and the drive functions of the drain loop.

use core::ffi::{c_char, c_int, c_void};
use core::ptr::{addr_of, addr_of_mut};

use dimse_core::connection::{AbortOrigin, Timer};
use dimse_core::dimse::Operation as CoreOperation;
use dimse_core::pdu::{AeTitle, AssociateRj};
use dimse_core::Storage;
use dimse_core::{Connection as CoreConnection, Event as CoreEvent, Instant, Output as CoreOutput};

use crate::boundary::{bytes_mut, code, fill_c_chars, put, slice, Span};
use crate::policy::{AcceptorPolicy, Checked, Kind, RequestorConfig, Store};
use crate::{
    DIMSE_E_ALIGN, DIMSE_E_CONFIG, DIMSE_E_NOT_INITIALISED, DIMSE_E_NULL, DIMSE_E_REENTRANT,
    DIMSE_E_SIZE, DIMSE_E_STATE,
};

/// "DIMS": written last by init, so that memory no init completed is refused.
const MAGIC: u32 = 0x4449_4D53;

/// One association in caller-owned memory (C: `dimse_connection`, opaque). Its size and
/// alignment are [`dimse_connection_size`] and [`dimse_connection_align`].
pub struct Connection {
    magic: u32,
    /// Set while a call runs on the connection: a callback that calls back in is refused
    /// instead of aliasing the connection the outer call holds. A `u8` (0 or 1), not a
    /// `bool`: memory no init completed may hold any byte here, and every byte is a `u8`.
    busy: u8,
    /// The connection memory, the receive storage and the transmit storage: what input,
    /// output and data set buffers must not overlap.
    pub(crate) spans: [Span; 3],
    /// The configuration the core borrows (never moved, never written after init).
    store: Store,
    pub(crate) core: CoreConnection<'static>,
}

/// Upper bounds of `dimse_connection_size()` for 32-bit and 64-bit targets, for a static
/// buffer (`DIMSE_CONNECTION_SIZE` picks the one of the target). Checked when the crate is
/// built for a target of that width.
pub const DIMSE_CONNECTION_SIZE_32: usize = 2304;
/// See [`DIMSE_CONNECTION_SIZE_32`].
pub const DIMSE_CONNECTION_SIZE_64: usize = 2688;
/// An alignment that satisfies [`dimse_connection_align`] on every target.
pub const DIMSE_CONNECTION_ALIGN: usize = 8;

#[cfg(target_pointer_width = "32")]
const _: () = assert!(core::mem::size_of::<Connection>() <= DIMSE_CONNECTION_SIZE_32);
#[cfg(target_pointer_width = "64")]
const _: () = assert!(core::mem::size_of::<Connection>() <= DIMSE_CONNECTION_SIZE_64);
const _: () = assert!(core::mem::align_of::<Connection>() <= DIMSE_CONNECTION_ALIGN);

/// The bytes a connection needs (`mem_len` of the init functions).
#[no_mangle]
pub extern "C" fn dimse_connection_size() -> usize {
    core::mem::size_of::<Connection>()
}

/// The alignment the connection memory needs.
#[no_mangle]
pub extern "C" fn dimse_connection_align() -> usize {
    core::mem::align_of::<Connection>()
}

/// The connection at `c`, after the checks every call makes: not NULL, aligned, initialised,
/// not inside one of its own callbacks.
///
/// # Safety
/// `c` is NULL or points to memory of at least `dimse_connection_size()` bytes (the
/// caller's contract). The magic number is a best-effort check of the rest.
unsafe fn enter(c: *const Connection) -> Result<(), c_int> {
    if c.is_null() {
        return Err(DIMSE_E_NULL);
    }
    if !c.is_aligned() {
        return Err(DIMSE_E_ALIGN);
    }
    // SAFETY: aligned, non-null, and as large as a connection (contract). Only the two
    // header fields are read, through raw pointers: an outer call may hold a `&mut` to the
    // core connection, a different field.
    let (magic, busy) = unsafe { (addr_of!((*c).magic).read(), addr_of!((*c).busy).read()) };
    if magic != MAGIC {
        return Err(DIMSE_E_NOT_INITIALISED);
    }
    if busy != 0 {
        return Err(DIMSE_E_REENTRANT);
    }
    Ok(())
}

/// Runs `f` on the connection at `c` with the re-entry guard set.
///
/// # Safety
/// As [`enter`], and `c` is writable.
pub(crate) unsafe fn with_connection(
    c: *mut Connection,
    f: impl FnOnce(&mut CoreConnection<'static>, &[Span; 3]) -> Result<(), c_int>,
) -> c_int {
    // SAFETY: the caller's contract.
    if let Err(e) = unsafe { enter(c) } {
        return e;
    }
    // SAFETY: `enter` checked the pointer and the magic; the guard makes this the only call
    // using the core connection, so the `&mut` to that field is unique. The store, which
    // the core connection borrows, is not touched.
    let result = unsafe {
        addr_of_mut!((*c).busy).write(1);
        let spans = &*addr_of!((*c).spans);
        f(&mut *addr_of_mut!((*c).core), spans)
    };
    // SAFETY: as above; the `&mut` is gone.
    unsafe { addr_of_mut!((*c).busy).write(0) };
    code(result)
}

/// Runs `f` on a shared view of the connection at `c`.
///
/// # Safety
/// As [`enter`].
pub(crate) unsafe fn read_connection(
    c: *const Connection,
    f: impl FnOnce(&CoreConnection<'static>) -> Result<(), c_int>,
) -> c_int {
    // SAFETY: the caller's contract.
    if let Err(e) = unsafe { enter(c) } {
        return e;
    }
    // SAFETY: checked by `enter`; not busy, so no `&mut` to it exists.
    code(f(unsafe { &*addr_of!((*c).core) }))
}

/// The memory and storage checks shared by both inits.
///
/// # Safety
/// As the init functions say.
unsafe fn init(
    mem: *mut c_void,
    mem_len: usize,
    rx: *mut u8,
    rx_len: usize,
    tx: *mut u8,
    tx_len: usize,
    out: *mut *mut Connection,
    checked: impl FnOnce() -> Result<Checked, c_int>,
    make: impl FnOnce(&'static Kind, Storage<'static>) -> Result<CoreConnection<'static>, c_int>,
) -> Result<(), c_int> {
    if out.is_null() || mem.is_null() {
        return Err(DIMSE_E_NULL);
    }
    if !out.is_aligned() {
        return Err(DIMSE_E_ALIGN);
    }
    let block = mem.cast::<Connection>();
    if !block.is_aligned() {
        return Err(DIMSE_E_ALIGN);
    }
    if mem_len < core::mem::size_of::<Connection>() {
        return Err(DIMSE_E_SIZE);
    }
    let spans = [
        Span::of(mem.cast_const().cast::<u8>(), mem_len)?,
        Span::of(rx.cast_const(), rx_len)?,
        Span::of(tx.cast_const(), tx_len)?,
    ];
    let [m, r, t] = spans;
    m.disjoint_from(&[r, t])?;
    r.disjoint_from(&[t])?;
    // Re-initialising a connection from inside its own callback would pull its memory away
    // from the call running on it.
    // SAFETY: `block` is non-null, aligned and large enough (checked).
    if let Err(DIMSE_E_REENTRANT) = unsafe { enter(block) } {
        return Err(DIMSE_E_REENTRANT);
    }
    let checked = checked()?;
    // SAFETY: the storage is the caller's, exclusive to this connection for as long as it
    // is used (contract), disjoint from each other and from `mem` (checked).
    let (rx, tx) = unsafe { (bytes_mut(rx, rx_len)?, bytes_mut(tx, tx_len)?) };
    // SAFETY: `block` is valid for writes of a `Connection` (checked: aligned, large
    // enough; the caller gives it to this connection). The magic is cleared first, so a
    // failure below leaves memory that every call refuses.
    unsafe {
        addr_of_mut!((*block).magic).write(0);
        addr_of_mut!((*block).busy).write(0);
        addr_of_mut!((*block).spans).write(spans);
    }
    // SAFETY: the store's place in the block: written once here, never moved (the caller
    // does not move initialised connection memory) and never written again.
    let store = unsafe { checked.place(addr_of_mut!((*block).store)) };
    let core = make(&store.kind, Storage { rx, tx })?;
    // SAFETY: as for the header above.
    unsafe {
        addr_of_mut!((*block).core).write(core);
        addr_of_mut!((*block).magic).write(MAGIC);
        out.write(block);
    }
    Ok(())
}

/// Makes an acceptor in `mem` on a transport connection that has just been accepted.
///
/// `mem`: at least `dimse_connection_size()` bytes aligned to `dimse_connection_align()`;
/// `rx`/`tx`: the receive storage (one command or data set, at least
/// `DIMSE_MAX_N_GET_RQ_LEN` bytes to read every N-GET-RQ whole) and the transmit storage
/// (one response: the largest data set plus about 200 bytes). All three stay the
/// connection's, unmoved, until the caller stops using it, and must not overlap. The policy
/// is copied (see `dimse_acceptor_policy`). On success `*out` is the connection (`mem`).
///
/// # Safety
/// The pointers must be valid for the lengths given, as above.
#[no_mangle]
pub unsafe extern "C" fn dimse_acceptor_init(
    mem: *mut c_void,
    mem_len: usize,
    policy: *const AcceptorPolicy,
    rx: *mut u8,
    rx_len: usize,
    tx: *mut u8,
    tx_len: usize,
    now_ms: u64,
    out: *mut *mut Connection,
) -> c_int {
    let now = Instant::from_millis(now_ms);
    // SAFETY: the caller's contract, passed on.
    code(unsafe {
        init(
            mem,
            mem_len,
            rx,
            rx_len,
            tx,
            tx_len,
            out,
            || {
                let p = slice(policy, 1)?.first().ok_or(DIMSE_E_NULL)?;
                Checked::acceptor(p)
            },
            |kind, storage| match kind {
                Kind::Acceptor(p) => Ok(CoreConnection::acceptor(p, storage, now)),
                Kind::Requestor(_) => Err(DIMSE_E_STATE),
            },
        )
    })
}

/// Makes a requestor in `mem` on a transport connection that has just been established:
/// its A-ASSOCIATE-RQ is the first output. Memory and storage as for
/// `dimse_acceptor_init`; the configuration is copied.
///
/// # Safety
/// As `dimse_acceptor_init`.
#[no_mangle]
pub unsafe extern "C" fn dimse_requestor_init(
    mem: *mut c_void,
    mem_len: usize,
    config: *const RequestorConfig,
    rx: *mut u8,
    rx_len: usize,
    tx: *mut u8,
    tx_len: usize,
    now_ms: u64,
    out: *mut *mut Connection,
) -> c_int {
    let now = Instant::from_millis(now_ms);
    // SAFETY: the caller's contract, passed on.
    code(unsafe {
        init(
            mem,
            mem_len,
            rx,
            rx_len,
            tx,
            tx_len,
            out,
            || {
                let p = slice(config, 1)?.first().ok_or(DIMSE_E_NULL)?;
                Checked::requestor(p)
            },
            |kind, storage| match kind {
                Kind::Requestor(c) => {
                    CoreConnection::requestor(c, storage, now).map_err(|_| DIMSE_E_CONFIG)
                }
                Kind::Acceptor(_) => Err(DIMSE_E_STATE),
            },
        )
    })
}

/// Makes an acceptor answer the coming A-ASSOCIATE-RQ with A-ASSOCIATE-RJ (rejected
/// transient, service-provider presentation, local limit exceeded): for a server at its
/// association limit. The request is still read whole.
///
/// # Safety
/// `c` is NULL or a connection's memory.
#[no_mangle]
pub unsafe extern "C" fn dimse_refuse_local_limit(c: *mut Connection) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            conn.refuse(AssociateRj::LOCAL_LIMIT_EXCEEDED);
            Ok(())
        })
    }
}

/// Feeds bytes received from the peer; `*taken` says how many the connection took. Keep
/// the rest, in order, in front of what arrives next, and offer them again (after a
/// `DIMSE_OUTPUT_KIND_REOFFER` even with nothing new). `data` may be NULL when `len` is 0.
///
/// # Safety
/// `data` points to `len` readable bytes that do not overlap the connection's memory or
/// storage; `taken` is writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_handle_input(
    c: *mut Connection,
    now_ms: u64,
    data: *const u8,
    len: usize,
    taken: *mut usize,
) -> c_int {
    if taken.is_null() {
        return DIMSE_E_NULL;
    }
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, spans| {
            Span::of(data, len)?.disjoint_from(spans)?;
            let input = slice(data, len)?;
            let n = conn.handle_input(Instant::from_millis(now_ms), input);
            put(taken, n)
        })
    }
}

/// What `dimse_poll_output` asks of the caller next.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// `transmit_len` bytes at the start of `out`: write them to the transport, then poll
    /// again.
    Transmit = 1,
    /// `event` happened: handle it, then poll again.
    Event = 2,
    /// Offer the bytes `dimse_handle_input` did not take again (even none), then poll.
    Reoffer = 3,
    /// Nothing pending: wait for bytes, for the application's answer, or until
    /// `deadline_ms` (then `dimse_handle_timeout`). When `dimse_is_closed`, close instead.
    Idle = 4,
}

/// What an event is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The association is established (`calling_ae`, `called_ae`, `peer_max_pdu_length`).
    Established = 1,
    /// The association was rejected (`reject_*`): by us as acceptor, by the peer as
    /// requestor.
    Rejected = 2,
    /// (SCP) A request waits for the application's answer (`operation`, `message_id`,
    /// `context_id`): read it with `dimse_read_n_get_request`, answer it with
    /// `dimse_respond_n_get` before the DIMSE timeout.
    Request = 3,
    /// (SCP) The core answered a request itself (`message_id`, `context_id`,
    /// `command_field`, `status`): a C-ECHO, a refusal, or 0110H after the DIMSE timeout.
    Answered = 4,
    /// (SCU) The response to our request arrived (`operation`, `message_id`, `status`,
    /// `has_data_set`, `data_set_len`): read it with `dimse_received_response` before the
    /// next `dimse_handle_input`.
    Response = 5,
    /// The association was released.
    Released = 6,
    /// The association was aborted (`abort`, `abort_source`, `abort_reason`, `timer`).
    Aborted = 7,
    /// The association is over: once idle, close the transport.
    Closed = 8,
    /// An event this version of the C API does not describe.
    Other = 9,
}

/// A DIMSE operation.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// No operation (the event has none).
    None = 0,
    /// C-ECHO.
    CEcho = 1,
    /// N-GET.
    NGet = 2,
    /// Another operation.
    Other = 3,
}

/// Why an association was aborted.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortKind {
    /// Not aborted.
    None = 0,
    /// The peer sent an A-ABORT (`abort_source`, `abort_reason`).
    Peer = 1,
    /// We sent an A-ABORT because the peer broke the protocol (`abort_source`,
    /// `abort_reason`).
    Protocol = 2,
    /// We sent an A-ABORT because `timer` expired.
    Timeout = 3,
    /// The local user asked for it (`dimse_abort`).
    Local = 4,
    /// A value the peer sent does not fit our storage.
    ResourceLimit = 5,
    /// The transport closed without a release.
    TransportClosed = 6,
    /// Another reason.
    Other = 7,
}

/// The timer that expired.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// No timer.
    None = 0,
    /// ACSE: no A-ASSOCIATE-AC/RJ or A-RELEASE-RP in time.
    Acse = 1,
    /// Network: nothing from the peer.
    Network = 2,
    /// PDU: a PDU not complete in time after its first byte.
    Pdu = 3,
    /// DIMSE: no response to our request.
    Dimse = 4,
}

/// An event, with the fields its kind names filled in (the others zero).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Established: the requestor's AE title, NUL-terminated.
    pub calling_ae: [c_char; 17],
    /// Established: the acceptor's AE title as called, NUL-terminated.
    pub called_ae: [c_char; 17],
    /// Established: the peer's maximum P-DATA-TF PDU length (0: no limit).
    pub peer_max_pdu_length: u32,
    /// Rejected: Result (1 permanent, 2 transient), PS3.8 Table 9-21.
    pub reject_result: u8,
    /// Rejected: Source (1 service-user, 2 ACSE, 3 presentation).
    pub reject_source: u8,
    /// Rejected: Reason/Diag.
    pub reject_reason: u8,
    /// Request, Response: the operation.
    pub operation: Operation,
    /// Request, Answered, Response: the request's Message ID.
    pub message_id: u16,
    /// Request, Answered: the presentation context ID.
    pub context_id: u8,
    /// Answered: the request's Command Field.
    pub command_field: u16,
    /// Answered, Response: the status.
    pub status: u16,
    /// Response: whether a data set came.
    pub has_data_set: bool,
    /// Response: its length.
    pub data_set_len: usize,
    /// Response: whether its command set carries more than the status: an Error Comment,
    /// Error ID, Offending Element or Attribute Identifier List (PS3.7 Annex C). Only then
    /// does `dimse_received_response` have more to say than this event;
    /// `dimse_received_data_set` reads the data set without decoding the command set again.
    pub related_fields: bool,
    /// Aborted: why.
    pub abort: AbortKind,
    /// Aborted by the peer or for a protocol error: the A-ABORT's Source (PS3.8 Table 9-26).
    pub abort_source: u8,
    /// Aborted by the peer or for a protocol error: the A-ABORT's Reason/Diag.
    pub abort_reason: u8,
    /// Aborted for a timeout: which timer.
    pub timer: TimerKind,
}

/// What `dimse_poll_output` returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// What to do.
    pub kind: OutputKind,
    /// Transmit: the PDU's length, at the start of `out`.
    pub transmit_len: usize,
    /// Idle: whether there is a deadline.
    pub has_deadline: bool,
    /// Idle: the deadline, on the caller's `now_ms` clock.
    pub deadline_ms: u64,
    /// Event: the event.
    pub event: Event,
}

const NO_EVENT: Event = Event {
    kind: EventKind::Other,
    calling_ae: [0; 17],
    called_ae: [0; 17],
    peer_max_pdu_length: 0,
    reject_result: 0,
    reject_source: 0,
    reject_reason: 0,
    operation: Operation::None,
    message_id: 0,
    context_id: 0,
    command_field: 0,
    status: 0,
    has_data_set: false,
    data_set_len: 0,
    related_fields: false,
    abort: AbortKind::None,
    abort_source: 0,
    abort_reason: 0,
    timer: TimerKind::None,
};

pub(crate) fn operation(op: CoreOperation) -> Operation {
    match op {
        CoreOperation::CEcho => Operation::CEcho,
        CoreOperation::NGet => Operation::NGet,
        _ => Operation::Other,
    }
}

fn ae(out: &mut [c_char; 17], title: &AeTitle) {
    fill_c_chars(out, title.as_bytes());
}

/// The body bytes of a 10-byte A-ASSOCIATE-RJ or A-ABORT PDU as the core emits them: the
/// core's one mapping of its values to the wire.
fn wire_body(emit: impl FnOnce(&mut [u8]) -> Result<usize, dimse_core::BufferTooSmall>) -> [u8; 3] {
    let mut pdu = [0u8; 10];
    match emit(&mut pdu) {
        Ok(10) => {
            let [_, _, _, _, _, _, _, a, b, c] = pdu;
            [a, b, c]
        }
        _ => [0; 3],
    }
}

fn event(ev: CoreEvent) -> Event {
    let mut e = NO_EVENT;
    match ev {
        CoreEvent::Established {
            calling_ae,
            called_ae,
            peer_max_pdu_length,
        } => {
            e.kind = EventKind::Established;
            ae(&mut e.calling_ae, &calling_ae);
            ae(&mut e.called_ae, &called_ae);
            e.peer_max_pdu_length = peer_max_pdu_length;
        }
        CoreEvent::Rejected(rj) => {
            e.kind = EventKind::Rejected;
            [e.reject_result, e.reject_source, e.reject_reason] = wire_body(|b| rj.emit(b));
        }
        CoreEvent::Request {
            op,
            message_id,
            context_id,
        } => {
            e.kind = EventKind::Request;
            e.operation = operation(op);
            e.message_id = message_id;
            e.context_id = context_id;
        }
        CoreEvent::Answered {
            message_id,
            context_id,
            command_field,
            status,
        } => {
            e.kind = EventKind::Answered;
            e.message_id = message_id;
            e.context_id = context_id;
            e.command_field = command_field.0;
            e.status = status;
        }
        CoreEvent::Response {
            op,
            message_id,
            status,
            data_set_len,
            related_fields,
        } => {
            e.kind = EventKind::Response;
            e.operation = operation(op);
            e.message_id = message_id;
            e.status = status;
            e.has_data_set = data_set_len.is_some();
            e.data_set_len = data_set_len.unwrap_or(0);
            e.related_fields = related_fields;
        }
        CoreEvent::Released => e.kind = EventKind::Released,
        CoreEvent::Aborted(origin) => {
            e.kind = EventKind::Aborted;
            let abort = match origin {
                AbortOrigin::Peer(a) => {
                    e.abort = AbortKind::Peer;
                    Some(a)
                }
                AbortOrigin::Protocol(a) => {
                    e.abort = AbortKind::Protocol;
                    Some(a)
                }
                AbortOrigin::Timeout(t) => {
                    e.abort = AbortKind::Timeout;
                    e.timer = match t {
                        Timer::Acse => TimerKind::Acse,
                        Timer::Network => TimerKind::Network,
                        Timer::Pdu => TimerKind::Pdu,
                        Timer::Dimse => TimerKind::Dimse,
                    };
                    None
                }
                AbortOrigin::Local => {
                    e.abort = AbortKind::Local;
                    None
                }
                AbortOrigin::ResourceLimit(_) => {
                    e.abort = AbortKind::ResourceLimit;
                    None
                }
                AbortOrigin::TransportClosed => {
                    e.abort = AbortKind::TransportClosed;
                    None
                }
                _ => {
                    e.abort = AbortKind::Other;
                    None
                }
            };
            if let Some(a) = abort {
                let [_, source, reason] = wire_body(|b| a.emit(b));
                (e.abort_source, e.abort_reason) = (source, reason);
            }
        }
        CoreEvent::Closed => e.kind = EventKind::Closed,
        _ => e.kind = EventKind::Other,
    }
    e
}

/// The next thing to do: a PDU to transmit (written at the start of `out`), an event, a
/// re-offer of kept input, or idle until a deadline. Call it until it says idle, after
/// every call that changes the connection. An A-ASSOCIATE-RQ/AC larger than `out` comes in
/// pieces of `out`'s size from the transmit storage (one per call, the same bytes).
/// `DIMSE_E_SIZE`: neither `out` nor the transmit storage holds the next PDU (at least
/// `dimse_min_output_len` bytes never fail); the PDU stays queued.
///
/// # Safety
/// `out` points to `out_len` writable bytes, not overlapping the connection's memory or
/// storage; `output` is writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_poll_output(
    c: *mut Connection,
    out: *mut u8,
    out_len: usize,
    output: *mut Output,
) -> c_int {
    if output.is_null() {
        return DIMSE_E_NULL;
    }
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, spans| {
            Span::of(out.cast_const(), out_len)?.disjoint_from(spans)?;
            let buf = bytes_mut(out, out_len)?;
            let mut o = Output {
                kind: OutputKind::Idle,
                transmit_len: 0,
                has_deadline: false,
                deadline_ms: 0,
                event: NO_EVENT,
            };
            match conn.poll_output(buf).map_err(|_| DIMSE_E_SIZE)? {
                CoreOutput::Transmit(n) => {
                    o.kind = OutputKind::Transmit;
                    o.transmit_len = n;
                }
                CoreOutput::Event(ev) => {
                    o.kind = OutputKind::Event;
                    o.event = event(ev);
                }
                CoreOutput::Reoffer => o.kind = OutputKind::Reoffer,
                CoreOutput::Idle { until } => {
                    o.has_deadline = until.is_some();
                    o.deadline_ms = until.map_or(0, Instant::as_millis);
                }
            }
            put(output, o)
        })
    }
}

/// The smallest `out_len` for which `dimse_poll_output` never fails on this connection.
///
/// # Safety
/// `c` is NULL or a connection's memory; `len` is writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_min_output_len(c: *const Connection, len: *mut usize) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { read_connection(c, |conn| put(len, conn.min_output_len())) }
}

/// Fires the timers due at `now_ms`; a call before any deadline does nothing.
///
/// # Safety
/// `c` is NULL or a connection's memory.
#[no_mangle]
pub unsafe extern "C" fn dimse_handle_timeout(c: *mut Connection, now_ms: u64) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            conn.handle_timeout(Instant::from_millis(now_ms));
            Ok(())
        })
    }
}

/// The transport closed (end of file, reset, or closed by us).
///
/// # Safety
/// `c` is NULL or a connection's memory.
#[no_mangle]
pub unsafe extern "C" fn dimse_handle_transport_closed(c: *mut Connection, now_ms: u64) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            conn.handle_transport_closed(Instant::from_millis(now_ms));
            Ok(())
        })
    }
}

/// Asks for an orderly release (A-RELEASE-RQ); only on an established association.
///
/// # Safety
/// `c` is NULL or a connection's memory.
#[no_mangle]
pub unsafe extern "C" fn dimse_release(c: *mut Connection, now_ms: u64) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            conn.release(Instant::from_millis(now_ms))
                .map_err(crate::n_get::api_error)
        })
    }
}

/// Aborts the association (A-ABORT, service-user).
///
/// # Safety
/// `c` is NULL or a connection's memory.
#[no_mangle]
pub unsafe extern "C" fn dimse_abort(c: *mut Connection, now_ms: u64) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            conn.abort(Instant::from_millis(now_ms))
                .map_err(crate::n_get::api_error)
        })
    }
}

/// A yes-or-no question to the connection, as C gets it: 1, 0, or a negative error code.
///
/// # Safety
/// As [`enter`].
unsafe fn ask(c: *const Connection, q: fn(&CoreConnection<'static>) -> bool) -> c_int {
    let mut yes = false;
    // SAFETY: the caller's contract.
    let rc = unsafe {
        read_connection(c, |conn| {
            yes = q(conn);
            Ok(())
        })
    };
    if rc != 0 {
        return rc;
    }
    c_int::from(yes)
}

/// 1 when the association is over and the transport should be closed (once
/// `dimse_poll_output` is idle), 0 when not, or a negative error code.
///
/// # Safety
/// `c` is NULL or a connection's memory.
#[no_mangle]
pub unsafe extern "C" fn dimse_is_closed(c: *const Connection) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { ask(c, CoreConnection::is_closed) }
}

/// 1 when the association is established (and not being released), 0 when not, or a
/// negative error code.
///
/// # Safety
/// `c` is NULL or a connection's memory.
#[no_mangle]
pub unsafe extern "C" fn dimse_is_established(c: *const Connection) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { ask(c, CoreConnection::is_established) }
}
