//! One association task: accept on the port, move bytes and time between the socket and the
//! core, answer N-GETs through the [`Handler`], close, accept again. The only I/O code of the
//! crate; every protocol decision stays in dimse-core.

use dimse_core::assoc::AcceptorPolicy;
use dimse_core::connection::ApiError;
use dimse_core::dimse::Operation;
use dimse_core::dimse::{CommandField, INVALID_STATUS_COMMENT};
use dimse_core::pdu::MAX_UNIT_LEN;
use dimse_core::ul::State as UlState;
use dimse_core::{Connection, Event, Output, Storage};
use embassy_futures::select::{select, Either};
use embassy_net::tcp::{State as TcpState, TcpSocket};
use embassy_net::Stack;
use embassy_time::{Duration, Instant, Timer, WithTimeout};

use crate::buffers::AssociationBuffers;
use crate::handler::{End, Handler, Summary, TransportEnd};
use crate::trace::TraceRecorder;

/// How long the close handshake may take once the core has said the transport is done (our
/// FIN acknowledged, the peer's FIN received); past it the connection is reset.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Pause before listening again after the socket refused to listen.
const RETRY_DELAY: Duration = Duration::from_millis(100);

/// Serves associations on `port`, one at a time, forever.
///
/// Spawn it once per association the device serves at the same time, each with its own
/// [`AssociationBuffers`]: every task listens on the same port with its own socket (an
/// embassy-net socket has no backlog; while every task is busy a new peer's SYN is refused).
/// Embassy tasks cannot be generic, so the application wraps this in its own task:
///
/// ```
/// use dimse_core::assoc::AcceptorPolicy;
/// use dimse_embassy::{serve_association, AssociationBuffers, Handler};
/// # use dimse_embassy::{Failure, Reply};
/// # use dimse_core::dimse::NGetRequest;
/// # struct Device;
/// # impl Handler for Device {
/// #     async fn n_get(&self, _: &NGetRequest<'_>) -> Result<Reply<'_>, Failure<'_>> {
/// #         Ok(Reply::success(&dimse_core::service::display::DEMO))
/// #     }
/// # }
/// # static DEVICE: Device = Device;
///
/// const ASSOCIATIONS: usize = 2;
///
/// #[embassy_executor::task(pool_size = ASSOCIATIONS)]
/// async fn dicom(
///     stack: embassy_net::Stack<'static>,
///     buffers: &'static mut AssociationBuffers,
///     policy: &'static AcceptorPolicy<'static>,
/// ) -> ! {
///     serve_association(stack, 11112, buffers, policy, &DEVICE).await
/// }
/// ```
///
/// For each connection, dimse-core's drain contract: the socket's bytes go into
/// [`Connection::handle_input`] (straight from its receive ring), then
/// [`Connection::poll_output`] is drained until it is idle: its PDUs go straight into the
/// socket's transmit ring, its N-GETs to `handler`, and the task sleeps until the socket has
/// bytes or the core's deadline passes. C-ECHO and everything the core refuses are answered
/// by the core. When the core is idle and closed ([`Connection::is_closed`]), the socket is
/// flushed and closed (reset if the close handshake takes longer than [`CLOSE_TIMEOUT`]),
/// [`Handler::association_ended`] is called, and the task accepts the next connection.
pub async fn serve_association<
    H: Handler,
    const RX: usize,
    const TX: usize,
    const SOCKET_RX: usize,
    const SOCKET_TX: usize,
>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut AssociationBuffers<RX, TX, SOCKET_RX, SOCKET_TX>,
    policy: &AcceptorPolicy<'_>,
    handler: &H,
) -> ! {
    serve::<H, false, RX, TX, SOCKET_RX, SOCKET_TX>(stack, port, buffers, policy, handler, None)
        .await
}

/// [`serve_association`], recording each association's inputs into `trace` in the format of
/// [`dimse_core::trace`] (with a [`TraceRecorder`]), which `dimse replay FILE` reads. When
/// the association is over the trace goes to
/// [`Handler::association_recorded`], then the buffer is reused for the next one. A buffer
/// too small for the whole association keeps its beginning (and says so); one too small for
/// even the header records nothing.
pub async fn serve_association_recording<
    H: Handler,
    const RX: usize,
    const TX: usize,
    const SOCKET_RX: usize,
    const SOCKET_TX: usize,
>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut AssociationBuffers<RX, TX, SOCKET_RX, SOCKET_TX>,
    policy: &AcceptorPolicy<'_>,
    handler: &H,
    trace: &mut [u8],
) -> ! {
    serve::<H, true, RX, TX, SOCKET_RX, SOCKET_TX>(
        stack,
        port,
        buffers,
        policy,
        handler,
        Some(trace),
    )
    .await
}

/// `RECORD` false: every recording call is compiled out (a device that does not record
/// pays no flash for it).
async fn serve<
    H: Handler,
    const RECORD: bool,
    const RX: usize,
    const TX: usize,
    const SOCKET_RX: usize,
    const SOCKET_TX: usize,
>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut AssociationBuffers<RX, TX, SOCKET_RX, SOCKET_TX>,
    policy: &AcceptorPolicy<'_>,
    handler: &H,
    mut trace: Option<&mut [u8]>,
) -> ! {
    let AssociationBuffers {
        rx,
        tx,
        socket_rx,
        socket_tx,
        carry,
    } = buffers;
    let mut socket = TcpSocket::new(stack, socket_rx, socket_tx);
    // smoltcp also counts a silent peer against the socket's timeout (from its last segment,
    // a little before the core was fed it) and then resets the connection: the timeout must
    // outlast the core's network timeout, whose A-ABORT goes first.
    let socket_timeout = Duration::from_millis(
        policy
            .limits
            .network_timeout
            .as_millis()
            .saturating_add(CLOSE_TIMEOUT.as_millis()),
    );
    loop {
        if let Err(e) = socket.accept(port).await {
            // The socket is still closing from the last association: reset it, then retry.
            warn!("cannot listen on port {}: {:?}", port, e);
            reset(&mut socket).await;
            Timer::after(RETRY_DELAY).await;
            continue;
        }
        info!("connection from {:?}", socket.remote_endpoint());
        // Each drain's PDUs go out at once (Nagle would hold a response's last segment until
        // the peer acknowledges the first, and the peer delays its acknowledgements).
        socket.set_nagle_enabled(false);
        // Bounds how long a write may wait for a peer that stopped acknowledging; idle time
        // between requests is the core's network timeout.
        socket.set_timeout(Some(socket_timeout));
        let storage = Storage {
            rx: &mut rx[..],
            tx: &mut tx[..],
        };
        let t0 = now();
        // The core's connection, built where it stays (in this future), not on the stack
        // first: `Connection::acceptor_in`.
        let mut slot = None;
        let conn = Connection::acceptor_in(&mut slot, policy, storage, t0);
        let recording = match trace.as_deref_mut() {
            Some(buf) if RECORD => {
                let mut peer: heapless::String<64> = heapless::String::new();
                if let Some(ep) = socket.remote_endpoint() {
                    let _ = core::fmt::write(&mut peer, format_args!("{ep}"));
                }
                let ae = policy.ae_title.as_str().unwrap_or_default();
                TraceRecorder::new(buf, ae, &peer).map(|trace| Recording { trace, t0 })
            }
            _ => None,
        };
        let mut association = Association::<RECORD> {
            socket: &mut socket,
            conn,
            carry,
            carry_len: 0,
            transport_gone: false,
            recording,
            summary: Summary {
                end: End::NotAssociated,
                transport: TransportEnd::Local,
                n_get: 0,
                answered_by_core: 0,
            },
        };
        let summary = association.run(handler).await;
        if RECORD {
            if let Some(r) = association.recording.take() {
                let complete = r.trace.is_complete();
                handler.association_recorded(r.trace.finish(), complete);
            }
        }
        close(&mut socket).await;
        info!(
            "association over: {:?}, transport {:?}, {} N-GET, {} answered by the core",
            summary.end, summary.transport, summary.n_get, summary.answered_by_core
        );
        handler.association_ended(&summary);
    }
}

/// The core's clock: milliseconds of embassy-time (since boot).
fn now() -> dimse_core::Instant {
    dimse_core::Instant::from_millis(millis(Instant::now().as_ticks()))
}

/// Ticks per millisecond when the tick rate is a whole number of kHz that fits 16 bits
/// (embassy-time's default, 1 MHz: 1,000), else 0.
const TICKS_PER_MS: u64 = if embassy_time::TICK_HZ % 1000 == 0 && embassy_time::TICK_HZ < 65_536_000
{
    embassy_time::TICK_HZ / 1000
} else {
    0
};

/// `ticks` in whole milliseconds (rounded down), as embassy-time's `as_millis` gives them but
/// without a 64-bit division where the tick rate allows: on a 32-bit MCU that division is a
/// library call of about 190 instructions (a Cortex-M7 counts it every N-GET, BENCHMARKS.md),
/// where the hardware divides 32 bits in one. Long division in 16-bit digits: each partial
/// dividend is below the divisor times 2^16, so fits 32 bits; exact for every tick count.
fn millis(ticks: u64) -> u64 {
    let Ok(d) = u32::try_from(TICKS_PER_MS) else {
        return Instant::from_ticks(ticks).as_millis();
    };
    if d == 0 {
        return Instant::from_ticks(ticks).as_millis();
    }
    let (hi, lo) = ((ticks >> 32) as u32, ticks as u32);
    let (q1, r1) = (hi / d, hi % d);
    let x = (r1 << 16) | (lo >> 16);
    let (q2, r2) = (x / d, x % d);
    let q3 = ((r2 << 16) | (lo & 0xFFFF)) / d;
    (u64::from(q1) << 32) | (u64::from(q2) << 16) | u64::from(q3)
}

/// A core deadline as an embassy instant, never before it (with a tick rate that is not a
/// multiple of 1 kHz, `from_millis` rounds down, and `handle_timeout` would find nothing due).
fn deadline(at: dimse_core::Instant) -> Instant {
    let ms = at.as_millis();
    let t = Instant::from_millis(ms);
    // A whole number of ticks per millisecond: exact, and no 64-bit division to check it.
    if TICKS_PER_MS == 0 && t.as_millis() < ms {
        t + Duration::from_ticks(1)
    } else {
        t
    }
}

/// One association on an accepted socket.
struct Association<'s, 'n, 'c, const RECORD: bool> {
    socket: &'s mut TcpSocket<'n>,
    conn: &'s mut Connection<'c>,
    /// Bytes taken from the socket that the core has not consumed: only when a unit the core
    /// needs whole (a PDU header, an item) was split by the receive ring's wrap, or when the
    /// core held input back. The rest of the input the core did not take stays in the
    /// socket's receive ring.
    carry: &'s mut [u8; MAX_UNIT_LEN],
    carry_len: usize,
    /// The socket can neither read nor write any more.
    transport_gone: bool,
    /// The trace being recorded ([`serve_association_recording`]).
    recording: Option<Recording<'s>>,
    summary: Summary,
}

/// A trace being recorded, and the time the connection was accepted (its zero).
struct Recording<'b> {
    trace: TraceRecorder<'b>,
    t0: dimse_core::Instant,
}

impl Recording<'_> {
    fn at(&self, now: dimse_core::Instant) -> u64 {
        now.as_millis().saturating_sub(self.t0.as_millis())
    }
}

/// Records into the trace, if there is one (and never when `RECORD` is false), at `now`: the
/// time the core was given for the same input, so that a replay gives the core the same times.
fn record<const RECORD: bool>(
    recording: &mut Option<Recording<'_>>,
    now: dimse_core::Instant,
    f: impl FnOnce(&mut TraceRecorder<'_>, u64),
) {
    if !RECORD {
        return;
    }
    if let Some(r) = recording {
        let at = r.at(now);
        f(&mut r.trace, at);
    }
}

impl<const RECORD: bool> Association<'_, '_, '_, RECORD> {
    /// The drain contract (dimse-core's crate documentation): drain the core until it is
    /// idle, then wait for the socket's bytes (fed to the core as they are read) or for the
    /// deadline, until the core is closed or the socket gone.
    async fn run<H: Handler>(&mut self, handler: &H) -> Summary {
        loop {
            let until = self.drain(handler).await;
            if self.conn.is_closed() || self.transport_gone {
                return self.summary;
            }
            self.wait(until).await;
        }
    }

    /// Drains [`Connection::poll_output`] until [`Output::Idle`], and returns its deadline:
    /// PDUs go straight into the socket's transmit ring, N-GETs to the handler, the other
    /// events into the log and the summary, and [`Output::Reoffer`] feeds the carried bytes
    /// again (the rest of the input the core left waits in the socket's receive ring, read
    /// at once by [`Association::wait`]).
    async fn drain<H: Handler>(&mut self, handler: &H) -> Option<dimse_core::Instant> {
        let mut flushed = false;
        loop {
            let output = if self.conn.has_transmit() && !self.transport_gone {
                // A PDU waits: wait for room in the transmit ring, and let the core write it
                // there. Any other output leaves the closure unwritten, to be handled here.
                let conn = &mut self.conn;
                let written = self
                    .socket
                    .write_with(|ring| match conn.poll_output(ring) {
                        Ok(Output::Transmit(n)) => (n, Ok(Output::Transmit(n))),
                        other => (0, other),
                    })
                    .await;
                match written {
                    Ok(output) => output,
                    Err(_) => {
                        self.transport_lost();
                        continue;
                    }
                }
            } else {
                // No PDU waits, and `poll_output` writes nothing into the carry. Or the
                // transport is gone, yet the events behind the PDUs still queued (how the
                // association ended) count: the PDUs go into the carry, which holds no input
                // worth keeping now, and are dropped.
                if self.transport_gone {
                    self.carry_len = 0;
                }
                self.conn.poll_output(&mut self.carry[..])
            };
            match output {
                Ok(Output::Transmit(_)) => flushed = false,
                Ok(Output::Event(Event::Request {
                    op: Operation::NGet,
                    message_id,
                    ..
                })) => {
                    self.answer(message_id, handler).await;
                }
                Ok(Output::Event(event)) => self.event(event),
                Ok(Output::Reoffer) => self.feed_carry(),
                Ok(Output::Idle { until }) => return until,
                // An A-ASSOCIATE-AC larger than the carry, for a transport that is gone: what
                // was queued behind it no longer matters.
                Err(_) if self.transport_gone => return None,
                Err(_) if !flushed && self.socket.send_queue() > 0 => {
                    // The ring's contiguous free space (up to its end) cannot hold the next
                    // PDU (P-DATA is cut to fit down to 14 bytes, an A-ASSOCIATE-AC comes in
                    // pieces, the other PDUs need their 10 bytes whole). Once everything is
                    // acknowledged the ring starts over at its beginning.
                    if self.socket.flush().await.is_err() {
                        self.transport_lost();
                    }
                    flushed = true;
                }
                Err(_) => {
                    // Even the empty ring is too small, and the core's transmit storage too:
                    // an A-ASSOCIATE-AC with more contexts than TX can hold. A local resource
                    // limit: abort.
                    error!(
                        "the next PDU does not fit the socket's transmit buffer ({} bytes)",
                        self.socket.send_capacity()
                    );
                    if self.abort().is_err() {
                        self.transport_gone = true;
                    }
                    flushed = false;
                }
            }
        }
    }

    /// [`Output::Reoffer`]: the core can take input it held back. Offers the carried bytes
    /// again (also when there are none: a completion at the end of a PDV or PDU needs no
    /// more bytes); the socket's are offered by the next read, which finds them at once.
    fn feed_carry(&mut self) {
        let len = self.carry_len;
        let used = self.conn.handle_input(now(), &self.carry[..len]);
        self.carry.copy_within(used..len, 0);
        self.carry_len = len - used;
    }

    /// An event other than an N-GET: into the log and the summary.
    fn event(&mut self, event: Event) {
        match event {
            Event::Established {
                calling_ae,
                called_ae,
                peer_max_pdu_length,
            } => info!(
                "association {} -> {} established (peer max PDU {})",
                calling_ae, called_ae, peer_max_pdu_length
            ),
            Event::Rejected(rj) => {
                info!("association rejected: {:?}", rj);
                self.summary.end = End::Rejected(rj);
            }
            Event::Answered {
                message_id,
                command_field,
                status,
                ..
            } => {
                self.summary.answered_by_core = self.summary.answered_by_core.saturating_add(1);
                if command_field == CommandField::C_ECHO_RQ {
                    debug!("C-ECHO #{} answered {:X}H", message_id, status);
                } else {
                    info!(
                        "request #{} (command field {:X}H) answered by the core: {:X}H",
                        message_id, command_field.0, status
                    );
                }
            }
            Event::Released => {
                info!("association released");
                self.summary.end = End::Released;
            }
            Event::Aborted(origin) => {
                info!("association aborted: {:?}", origin);
                self.summary.end = End::Aborted(origin);
            }
            // N-GETs are answered in `drain`; the transport is closed when the core is idle
            // and closed; responses never reach an acceptor; later events are only logged.
            Event::Request { .. } | Event::Closed | Event::Response { .. } => {}
            other => debug!("event {:?}", other),
        }
    }

    /// Runs the handler for the N-GET `message_id`, bounded by the core's next deadline, and
    /// gives its answer to the core.
    ///
    /// The peer may go on while the handler works (an A-ABORT, a close, PDUs after the
    /// request), and the core must see that before it answers: a request of an association
    /// that was aborted meanwhile gets no response (PS3.8 Table 9-10: AA-3 in Sta6 and Sta8).
    /// The handler holds the request, which lies in the connection, so the core cannot be fed
    /// while it runs; the socket is watched instead, and input that arrives stops the handler,
    /// goes to the core, and the handler starts again if the request still waits. Input the
    /// core does not take then (a command held behind this one) is left for after the answer.
    async fn answer<H: Handler>(&mut self, message_id: u16, handler: &H) {
        let mut watch = true;
        let mut counted = false;
        let outcome = loop {
            let due = self.conn.poll_timeout();
            let run = {
                let Some(request) = self.conn.n_get_request() else {
                    // The core answered it already (its DIMSE timeout), or the association
                    // ended while the handler ran.
                    return;
                };
                if request.message_id != message_id {
                    return;
                }
                if !counted {
                    counted = true;
                    debug!(
                        "N-GET #{}: {} attributes requested",
                        message_id,
                        request.requested_len()
                    );
                    self.summary.n_get = self.summary.n_get.saturating_add(1);
                }
                let reply = async {
                    let reply = handler.n_get(&request);
                    match due {
                        Some(at) => reply.with_deadline(deadline(at)).await.ok(),
                        None => Some(reply.await),
                    }
                };
                let input = async {
                    if watch && !self.transport_gone {
                        // Bytes to read, or the peer's FIN (`wait_read_ready` waits for
                        // bytes only; a state change wakes it too).
                        let socket = &*self.socket;
                        let mut bytes = core::pin::pin!(socket.wait_read_ready());
                        core::future::poll_fn(|cx| {
                            if socket.may_recv() {
                                core::future::Future::poll(bytes.as_mut(), cx)
                            } else {
                                core::task::Poll::Ready(())
                            }
                        })
                        .await
                    } else {
                        core::future::pending().await
                    }
                };
                match select(reply, input).await {
                    Either::First(outcome) => Some(outcome),
                    Either::Second(()) => None,
                }
            };
            match run {
                Some(outcome) => break outcome,
                None => {
                    let read = read_into::<RECORD>(
                        self.socket,
                        self.conn,
                        self.carry,
                        &mut self.carry_len,
                        &mut self.recording,
                    )
                    .await;
                    match read {
                        Ok(true) => debug!("N-GET #{}: input while the handler ran", message_id),
                        // Held back behind this request: it waits for the answer.
                        Ok(false) => watch = false,
                        Err(_) => self.peer_closed(),
                    }
                }
            }
        };
        let now = now();
        // What the core was asked to send, for the trace: the status and Error Comment (the
        // core's own answer where it replaces a status Annex C does not allow).
        let (sent, asked, comment) = match outcome {
            None => {
                warn!("N-GET #{}: the handler did not answer in time", message_id);
                // The deadline has passed: the core answers 0110H (or aborts, for another
                // timer).
                self.timeout();
                return;
            }
            Some(Ok(reply)) => {
                let sent = self
                    .conn
                    .respond_n_get(now, message_id, reply.status, reply.data_set);
                if reply.status.elements_allowed() {
                    (sent, reply.status.code, reply.status.error_comment)
                } else {
                    (sent, 0x0110, Some(INVALID_STATUS_COMMENT))
                }
            }
            Some(Err(failure)) => {
                warn!("N-GET #{}: the handler failed", message_id);
                let sent = self.conn.fail_n_get(now, message_id, failure.error_comment);
                (sent, 0x0110, Some(failure.error_comment))
            }
        };
        record::<RECORD>(&mut self.recording, now, |t, at| {
            t.answer(at, message_id, asked, comment)
        });
        match sent {
            Ok(status) => debug!("N-GET #{} answered {:X}H", message_id, status),
            Err(e) => debug!("N-GET #{} not answered: {:?}", message_id, e),
        }
    }

    /// Sleeps until the socket has bytes (and feeds them to the core) or `until` (the core's
    /// deadline) passes, and fires the core's timers then.
    async fn wait(&mut self, until: Option<dimse_core::Instant>) {
        if until.is_some_and(|at| at <= now()) {
            self.timeout();
            return;
        }
        let read = read_into::<RECORD>(
            self.socket,
            self.conn,
            self.carry,
            &mut self.carry_len,
            &mut self.recording,
        );
        let result = match until {
            Some(at) => read.with_deadline(deadline(at)).await,
            None => Ok(read.await),
        };
        match result {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                // The core took nothing of a whole unit while idle. It holds input back only
                // for what a drain clears (its queues; a command behind the transmit buffer
                // or behind an unanswered N-GET, and N-GETs are answered in the drain), and
                // says `Reoffer` when that is gone: a drain that ended idle left nothing to
                // wait for, no timer is owed one, and reading again would find the same
                // bytes at once. Abort rather than spin (a defence: the core keeping its
                // contract never gets here).
                error!("the core consumes no input while idle: aborting");
                if self.abort().is_err() {
                    self.transport_gone = true;
                }
            }
            Ok(Err(_)) => self.peer_closed(),
            Err(_timeout) => self.timeout(),
        }
    }

    /// `read_with` found the receive half closed. embassy-net says `ConnectionReset` both for
    /// an orderly FIN and for a reset; the socket's state tells them apart, and the core's
    /// state says whether it matters: once the association has been released (or rejected,
    /// or aborted: Sta13, waiting for this very close) the close is the orderly end; before
    /// that (Sta6, a request in progress) it is an A-P-ABORT, whatever TCP called it.
    fn peer_closed(&mut self) {
        self.transport_gone = true;
        self.summary.transport = match self.socket.state() {
            // RST, or smoltcp's own timeout.
            TcpState::Closed => TransportEnd::Reset,
            _ => TransportEnd::PeerClosed,
        };
        if matches!(self.conn.state(), UlState::Sta13 | UlState::Sta1) {
            debug!("peer closed the connection after the association ended");
        } else {
            info!(
                "peer closed the connection ({:?}) without releasing the association",
                self.summary.transport
            );
        }
        // Evt17: in Sta13 the core just closes (AR-5/AA-5); in Sta2..Sta12 it reports
        // `Aborted(TransportClosed)` (AA-4).
        self.transport_closed();
    }

    /// A deadline passed: the core's `handle_timeout`, recorded.
    fn timeout(&mut self) {
        let now = now();
        record::<RECORD>(&mut self.recording, now, |t, at| t.timeout(at));
        self.conn.handle_timeout(now);
    }

    /// The transport is gone: the core's `handle_transport_closed`, recorded.
    fn transport_closed(&mut self) {
        let now = now();
        record::<RECORD>(&mut self.recording, now, |t, at| t.transport_closed(at));
        self.conn.handle_transport_closed(now);
    }

    /// A local abort (a resource limit of this adapter), recorded.
    fn abort(&mut self) -> Result<(), ApiError> {
        let now = now();
        record::<RECORD>(&mut self.recording, now, |t, at| t.abort(at));
        self.conn.abort(now)
    }

    /// A write failed: the peer reset the connection (or stopped acknowledging).
    fn transport_lost(&mut self) {
        self.transport_gone = true;
        self.summary.transport = TransportEnd::Reset;
        self.transport_closed();
    }
}

/// Feeds what the socket holds to the core, straight from its receive ring. Returns whether
/// anything moved; `Err` when the receive half is closed (FIN or RST, see
/// [`Association::peer_closed`]).
async fn read_into<const RECORD: bool>(
    socket: &mut TcpSocket<'_>,
    conn: &mut Connection<'_>,
    carry: &mut [u8; MAX_UNIT_LEN],
    carry_len: &mut usize,
    recording: &mut Option<Recording<'_>>,
) -> Result<bool, embassy_net::tcp::Error> {
    socket
        .read_with(|ring| {
            let now = now();
            if *carry_len == 0 {
                let used = conn.handle_input(now, ring);
                if used > 0 {
                    record::<RECORD>(recording, now, |t, at| t.input(at, &ring[..used]));
                    return (used, true);
                }
                if ring.len() < MAX_UNIT_LEN {
                    // The core needs a unit whole and the ring's contiguous bytes end before
                    // it does: carry them, and top up from the ring's start next time.
                    carry[..ring.len()].copy_from_slice(ring);
                    *carry_len = ring.len();
                    record::<RECORD>(recording, now, |t, at| t.input(at, ring));
                    return (ring.len(), true);
                }
                // MAX_UNIT_LEN bytes and nothing taken: the core is holding input back.
                return (0, false);
            }
            let n = (MAX_UNIT_LEN - *carry_len).min(ring.len());
            if n == 0 {
                return (0, false);
            }
            record::<RECORD>(recording, now, |t, at| t.input(at, &ring[..n]));
            carry[*carry_len..*carry_len + n].copy_from_slice(&ring[..n]);
            *carry_len += n;
            let used = conn.handle_input(now, &carry[..*carry_len]);
            carry.copy_within(used..*carry_len, 0);
            *carry_len -= used;
            (n, true)
        })
        .await
}

/// Closes the connection in an orderly way: our FIN once everything is sent, then the peer's
/// FIN (whatever data comes before it is dropped); reset if that takes longer than
/// [`CLOSE_TIMEOUT`].
async fn close(socket: &mut TcpSocket<'_>) {
    socket.close();
    let orderly = async {
        socket.flush().await?;
        loop {
            socket.read_with(|ring| (ring.len(), ())).await?;
        }
    };
    let _: Result<Result<(), embassy_net::tcp::Error>, _> =
        orderly.with_timeout(CLOSE_TIMEOUT).await;
    if !matches!(socket.state(), TcpState::Closed | TcpState::TimeWait) {
        debug!("close handshake incomplete ({:?}): reset", socket.state());
        reset(socket).await;
    }
}

/// Resets the connection, and waits (briefly) for the RST to leave.
async fn reset(socket: &mut TcpSocket<'_>) {
    socket.abort();
    let _ = socket.flush().with_timeout(CLOSE_TIMEOUT).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_is_as_millis() {
        let mut ticks = vec![
            0,
            1,
            999,
            1000,
            1001,
            u64::from(u32::MAX),
            1 << 32,
            u64::MAX,
        ];
        ticks.extend((0..64).flat_map(|b| [(1u64 << b) - 1, 1 << b, (1 << b) + 999]));
        ticks.extend((0..1000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        for t in ticks {
            assert_eq!(millis(t), Instant::from_ticks(t).as_millis(), "{t} ticks");
        }
    }
}
