//! [`Connection`]: one DICOM association, requestor or acceptor, as a Sans-IO state machine.
//!
//! ## The contract
//!
//! One loop drives it, stated once in the [crate documentation](crate#the-drain-contract):
//! feed [`Connection::handle_input`] (keeping what it does not take), drain
//! [`Connection::poll_output`] until [`Output::Idle`] (writing PDUs, handling events, and
//! feeding the kept bytes again on [`Output::Reoffer`]), then wait for bytes, the
//! application's answer or the deadline ([`Connection::handle_timeout`]; a spurious call is
//! a no-op), and report a closed transport with [`Connection::handle_transport_closed`].
//!
//! The core never reads a clock: every call that can start or fire a timer takes `now`.
//! Protocol failures are never `Err`s: they become the A-ABORT or A-ASSOCIATE-RJ the
//! standard prescribes, plus an [`Event`].

use heapless::Deque;

use crate::assoc::{
    AcceptorNegotiation, AcceptorPolicy, ContextResult, Limits, Negotiated, PresentationContext,
    RequestorConfig, RequestorNegotiation, Syntaxes, IMPLICIT_VR_LITTLE_ENDIAN,
    MAX_PRESENTATION_CONTEXTS, MAX_ROLE_SELECTIONS,
};
use crate::codec::Writer;
use crate::dimse::{CommandField, Exchange, Operation};
use crate::pdu::{
    self, Abort, AbortReason, AeTitle, AssociateFixed, AssociateRj, AssociateRq, ItemHeader, Parse,
    ParseError, PduHeader, PduType, Pdv, PdvHeader, PresentationContextAc, RejectSource, ReleaseRp,
    ReleaseRq, RoleSelection, SubItem, UserIdentityAc, UserInformation, APPLICATION_CONTEXT_NAME,
    MAX_UNIT_LEN, PDU_HEADER_LEN, PDV_HEADER_LEN,
};
use crate::time::Instant;
use crate::ul::{self, Action, Role, State};
use crate::BufferTooSmall;

/// Caller-owned buffers of one association.
#[derive(Debug)]
pub struct Storage<'a> {
    /// Receives one complete command set or data set, reassembled from its PDV fragments.
    pub rx: &'a mut [u8],
    /// Holds one outgoing command set or data set until it has been fragmented into
    /// P-DATA-TF PDUs.
    pub tx: &'a mut [u8],
}

/// What the association's user is told. `Debug` prints statuses in hex.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Event {
    /// The association is established (A-ASSOCIATE-AC sent or received). The negotiated
    /// contexts are available from [`Connection::presentation_context`].
    Established {
        /// The requestor's AE title.
        calling_ae: AeTitle,
        /// The acceptor's AE title, as the requestor called it.
        called_ae: AeTitle,
        /// The largest P-DATA-TF PDU-length the peer accepts (0 = no limit).
        peer_max_pdu_length: u32,
    },
    /// The association was rejected: by us (acceptor) or by the peer (requestor).
    Rejected(AssociateRj),
    /// (SCP) A request passed the service checks and waits for the application's answer.
    /// For [`Operation::NGet`]: read it with [`Connection::n_get_request`] and answer it
    /// with [`Connection::respond_n_get`] before the DIMSE timeout, or the core answers
    /// 0110H.
    Request {
        /// The operation asked for.
        op: Operation,
        /// Its Message ID.
        message_id: u16,
        /// The presentation context it arrived on.
        context_id: u8,
    },
    /// (SCP) The core answered a request itself: a C-ECHO (0000H), or a request refused
    /// before it reached the application (0118H, 0122H, 0112H, 0210H, 0211H, 0212H, 0213H),
    /// or a request the application did not answer in time (0110H).
    Answered {
        /// The request's Message ID.
        message_id: u16,
        /// The presentation context it arrived on.
        context_id: u8,
        /// The request's Command Field (any request PS3.7 defines, carried or not).
        command_field: CommandField,
        /// The status sent.
        status: u16,
    },
    /// (SCU) The response to a request we sent ([`Connection::send_n_get`],
    /// [`Connection::send_c_echo`]) arrived; read its command elements and data set with
    /// [`Connection::received_response`] before the next `handle_input`.
    Response {
        /// The operation of the request.
        op: Operation,
        /// The request's Message ID.
        message_id: u16,
        /// Status (0000,0900).
        status: u16,
        /// The data set's length, when one came.
        data_set_len: Option<usize>,
    },
    /// The association was released in an orderly way.
    Released,
    /// The association was aborted.
    Aborted(AbortOrigin),
    /// The association is over: once [`Connection::poll_output`] is idle (every PDU it had
    /// to send handed out), close the transport (or it has been closed).
    Closed,
}

impl core::fmt::Debug for Event {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        /// A status as PS3.7 writes it: four hex digits.
        struct Hex(u16);
        impl core::fmt::Debug for Hex {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{:04X}H", self.0)
            }
        }
        match self {
            Event::Established {
                calling_ae,
                called_ae,
                peer_max_pdu_length,
            } => f
                .debug_struct("Established")
                .field("calling_ae", calling_ae)
                .field("called_ae", called_ae)
                .field("peer_max_pdu_length", peer_max_pdu_length)
                .finish(),
            Event::Rejected(rj) => f.debug_tuple("Rejected").field(rj).finish(),
            Event::Request {
                op,
                message_id,
                context_id,
            } => f
                .debug_struct("Request")
                .field("op", op)
                .field("message_id", message_id)
                .field("context_id", context_id)
                .finish(),
            Event::Answered {
                message_id,
                context_id,
                command_field,
                status,
            } => f
                .debug_struct("Answered")
                .field("message_id", message_id)
                .field("context_id", context_id)
                .field("command_field", command_field)
                .field("status", &Hex(*status))
                .finish(),
            Event::Response {
                op,
                message_id,
                status,
                data_set_len,
            } => f
                .debug_struct("Response")
                .field("op", op)
                .field("message_id", message_id)
                .field("status", &Hex(*status))
                .field("data_set_len", data_set_len)
                .finish(),
            Event::Released => f.write_str("Released"),
            Event::Aborted(o) => f.debug_tuple("Aborted").field(o).finish(),
            Event::Closed => f.write_str("Closed"),
        }
    }
}

/// What [`Connection::poll_output`] asks of the caller next: the one pull point of the
/// drain contract (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use = "every output is an instruction: write, handle, re-offer or wait"]
pub enum Output {
    /// A PDU of this many bytes is at the start of the buffer given to `poll_output`: write
    /// it to the transport, in order, then poll again.
    Transmit(usize),
    /// Something happened: handle it (an N-GET to answer, a response to read, ...), then
    /// poll again.
    Event(Event),
    /// Input that [`Connection::handle_input`] left unconsumed can be taken now: offer the
    /// unconsumed bytes again (even none, when nothing is left), then poll again. Comes only
    /// after the connection held input back, once what held it is gone.
    Reoffer,
    /// Nothing is pending: wait for more bytes from the transport, for the application's
    /// answer to a request, or until `until`, then call [`Connection::handle_timeout`]. When
    /// [`Connection::is_closed`] is true, close the transport instead (everything it must
    /// carry has been handed out as `Transmit`).
    Idle {
        /// The earliest deadline ([`Connection::poll_timeout`]).
        until: Option<Instant>,
    },
}

/// Who or what ended an association abruptly. `Display` says it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AbortOrigin {
    /// The peer sent this A-ABORT.
    Peer(Abort),
    /// We sent this A-ABORT because of a protocol error by the peer (an A-P-ABORT).
    Protocol(Abort),
    /// We sent an A-ABORT because this timer expired.
    Timeout(Timer),
    /// The local user asked for it ([`Connection::abort`]).
    Local,
    /// We sent an A-ABORT because a value the peer sent does not fit our storage, and no
    /// DIMSE answer could say so.
    ResourceLimit(ResourceLimit),
    /// The transport closed without a release (an A-P-ABORT).
    TransportClosed,
}

/// The timers whose expiry aborts an association (ARTIM's only closes the transport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Timer {
    /// No A-ASSOCIATE-AC/RJ or A-RELEASE-RP in time ([`Limits::acse_timeout`]).
    Acse,
    /// No bytes from the peer for [`Limits::network_timeout`].
    Network,
    /// A PDU not complete within [`Limits::pdu_timeout`] of its first byte: a peer that
    /// trickles bytes cannot hold an association open.
    Pdu,
    /// No response to our request within [`Limits::dimse_timeout`].
    Dimse,
}

/// A received value larger than the storage the association was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResourceLimit {
    /// A command set (`true`) or a data set.
    pub command_set: bool,
    /// The bytes received of it when it no longer fitted (it may be longer).
    pub received: usize,
    /// The receive storage available for it ([`Storage::rx`], less a response's command set
    /// for its data set).
    pub capacity: usize,
}

impl core::fmt::Display for AbortOrigin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AbortOrigin::Peer(a) => write!(f, "aborted by the peer ({a})"),
            AbortOrigin::Protocol(a) => {
                write!(f, "aborted because the peer broke the protocol ({a})")
            }
            AbortOrigin::Timeout(t) => write!(f, "aborted: {t}"),
            AbortOrigin::Local => f.write_str("aborted locally"),
            AbortOrigin::ResourceLimit(r) => write!(f, "aborted: {r}"),
            AbortOrigin::TransportClosed => {
                f.write_str("the peer closed the connection without a release")
            }
        }
    }
}

impl core::fmt::Display for Timer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Timer::Acse => "ACSE timeout: no answer to the association or release request",
            Timer::Network => "network timeout: nothing received from the peer",
            Timer::Pdu => "PDU timeout: a PDU was not complete in time after its first byte",
            Timer::Dimse => "DIMSE timeout: no response to our request",
        })
    }
}

impl core::fmt::Display for ResourceLimit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "resource limit: {} of more than {} bytes exceeds receive storage of {}",
            if self.command_set {
                "command set"
            } else {
                "data set"
            },
            self.received,
            self.capacity
        )
    }
}

/// A local request the connection cannot carry out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ApiError {
    /// Not valid in the current state (e.g. a request before the association is
    /// established, or after it ended).
    InvalidState,
    /// No accepted presentation context carries this SOP class.
    UnknownContext,
    /// An outgoing message is still being transmitted (drain `poll_output` first), or
    /// (SCU) a request is still outstanding: the asynchronous operations window is 1.
    Busy,
    /// The request does not fit the transmit buffer.
    TooLarge,
    /// No request with this Message ID waits for an answer (it was answered already, or the
    /// core answered 0110H when the DIMSE timeout expired).
    UnknownRequest,
    /// A UID argument is not a valid UID.
    InvalidUid,
}

/// A requestor configuration that cannot produce a valid A-ASSOCIATE-RQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConfigError {
    /// No presentation context, an even or repeated ID, a context without transfer
    /// syntaxes, or more than 128.
    PresentationContexts,
}

impl core::fmt::Display for ApiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ApiError::InvalidState => "not possible in the association's current state",
            ApiError::UnknownContext => "no accepted presentation context carries this SOP class",
            ApiError::Busy => "a message is still being sent, or a request is outstanding",
            ApiError::TooLarge => "the request does not fit the transmit buffer",
            ApiError::UnknownRequest => "no request with this Message ID waits for an answer",
            ApiError::InvalidUid => "not a valid UID",
        })
    }
}

impl core::error::Error for ApiError {}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ConfigError::PresentationContexts => {
                "presentation contexts: none, an even or repeated ID, an empty transfer syntax \
                 list, or more than 128"
            }
        })
    }
}

impl core::error::Error for ConfigError {}

/// Where the receive side is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rx {
    /// Expecting a PDU header.
    Header,
    /// Expecting the 4-byte body of a fixed-size PDU.
    Fixed(PduType),
    /// Expecting the 68 fixed bytes of an A-ASSOCIATE-RQ (`ac` false) or -AC.
    AssocFixed { ac: bool, left: u32 },
    /// Inside the variable items: `left` bytes of the PDU remain after the current item.
    AssocItems {
        ac: bool,
        left: u32,
        container: Container,
        skip: u32,
    },
    /// Inside a P-DATA-TF, expecting a PDV header (or the end).
    Pdv { left: u32 },
    /// Inside a PDV's fragment.
    PdvData {
        left: u32,
        pdv_left: u32,
        last: bool,
    },
    /// Skipping the rest of a PDU that is ignored or was answered already.
    Ignore { left: u32 },
    /// The stream cannot be framed any more: swallow everything.
    Discard,
}

/// The item being walked inside an A-ASSOCIATE-RQ/AC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Top,
    ContextRq {
        left: u16,
    },
    ContextAc {
        left: u16,
        id: u8,
        result: u8,
        answered: bool,
    },
    UserInfo {
        left: u16,
    },
}

/// The negotiation in progress, or its outcome.
#[derive(Debug, Clone)]
enum Neg {
    None,
    Acceptor(AcceptorNegotiation),
    Requestor(RequestorNegotiation),
    Done(Negotiated),
}

/// A PDU waiting for `poll_transmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outgoing {
    AssociateRq,
    AssociateAc,
    AssociateRj(AssociateRj),
    ReleaseRq,
    ReleaseRp,
    Abort(Abort),
    PData,
}

/// What a PDU (or a local call, or time) means to the state machine, with its data.
enum Input {
    AssociateRq(Result<Negotiated, AssociateRj>),
    AssociateAc(Option<Negotiated>),
    AssociateRj(AssociateRj),
    PData,
    ReleaseRq,
    ReleaseRp,
    Abort(Abort),
    Invalid(AbortReason),
    TransportClosed,
    Artim,
    LocalAbort(AbortOrigin),
    LocalRelease,
    ReleaseResponse,
}

/// The outgoing DIMSE message in `storage.tx`: a command set and an optional data set, each
/// a `(start, len)` range of the buffer (the data set may come first in memory: it is
/// written before the command set that describes it), and how many bytes have been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TxMessage {
    pub(crate) context_id: u8,
    pub(crate) command: (usize, usize),
    pub(crate) data: (usize, usize),
    pub(crate) sent: usize,
}

impl TxMessage {
    pub(crate) const EMPTY: TxMessage = TxMessage {
        context_id: 0,
        command: (0, 0),
        data: (0, 0),
        sent: 0,
    };
}

/// Progress of one receive step.
enum Step {
    Consumed(usize),
    /// The next unit is not complete in the input.
    NeedMore,
    /// The input cannot be taken until the caller drains output or the application answers.
    Blocked,
}

const EVENT_CAPACITY: usize = 8;
/// The most events one receive step can queue; below this much room, input waits.
const EVENT_HEADROOM: usize = 4;
const TXQ_CAPACITY: usize = 8;
/// The most PDUs one receive step can queue (an answer, an A-ABORT, ...); below this much
/// room, input waits. Without it a run of bad PDUs in one read (each an A-ABORT in Sta13)
/// would overflow the queue, and the peer would get fewer PDUs than the same bytes read in
/// pieces give.
const TXQ_HEADROOM: usize = 4;

/// One association. See the [module documentation](self) for the contract.
pub struct Connection<'a> {
    role: Role,
    state: State,
    pub(crate) syntaxes: Syntaxes<'a>,
    pub(crate) limits: Limits,
    pub(crate) storage: Storage<'a>,
    rx: Rx,
    neg: Neg,
    /// Reassembly of the incoming command or data set: `rx_len` bytes so far at
    /// `storage.rx[rx_base..]` (a response's data set goes after its command set), or none
    /// kept at all when `rx_discard`.
    pub(crate) rx_len: usize,
    pub(crate) rx_base: usize,
    pub(crate) rx_discard: bool,
    pub(crate) rx_context: u8,
    rx_command: bool,
    rx_active: bool,
    /// The command set being received outgrew the receive storage: the bytes received of
    /// it so far; what fitted is kept, the rest read and dropped.
    pub(crate) rx_overflow: Option<usize>,
    /// A complete command set sits in `storage.rx[..rx_len]`, not yet acted on (it waits for
    /// the transmit buffer, or for the application to answer the request before it).
    pub(crate) rx_held: bool,
    /// A received response sits in `storage.rx`: its event is unread (`rx_pending`) or was
    /// read during the current drain (`rx_delivered`).
    pub(crate) rx_pending: bool,
    rx_delivered: bool,
    /// The DIMSE layer: requests and responses in flight.
    pub(crate) dimse: Exchange,
    /// The outgoing message in `storage.tx`.
    pub(crate) tx: TxMessage,
    /// A release response waits for outgoing P-DATA to finish (AR-7 before AR-4).
    release_response_pending: bool,
    /// The last `handle_input` stopped for lack of room, not of bytes: once the room is
    /// back, `poll_output` says [`Output::Reoffer`].
    input_blocked: bool,
    /// Set by [`Connection::refuse`]: the A-ASSOCIATE-RQ gets this answer whatever the policy.
    refusal: Option<AssociateRj>,
    txq: Deque<Outgoing, TXQ_CAPACITY>,
    events: Deque<Event, EVENT_CAPACITY>,
    artim: Option<Instant>,
    acse: Option<Instant>,
    network: Option<Instant>,
    /// When the PDU being received must be complete ([`Limits::pdu_timeout`] after the
    /// `handle_input` that left it partial first).
    pdu: Option<Instant>,
    /// The latest `now` any call supplied: `poll_transmit` takes no time, yet the release
    /// answer it may send (AR-4) starts ARTIM, which must run from the present.
    now: Instant,
}

impl core::fmt::Debug for Connection<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("rx", &self.rx)
            .finish_non_exhaustive()
    }
}

impl<'a> Connection<'a> {
    fn new(role: Role, syntaxes: Syntaxes<'a>, limits: Limits, storage: Storage<'a>) -> Self {
        Connection {
            role,
            state: State::Sta1,
            syntaxes,
            limits,
            storage,
            rx: Rx::Header,
            neg: Neg::None,
            rx_len: 0,
            rx_base: 0,
            rx_discard: false,
            rx_context: 0,
            rx_command: false,
            rx_active: false,
            rx_overflow: None,
            rx_held: false,
            rx_pending: false,
            rx_delivered: false,
            dimse: Exchange::new(),
            tx: TxMessage::EMPTY,
            release_response_pending: false,
            input_blocked: false,
            refusal: None,
            txq: Deque::new(),
            events: Deque::new(),
            artim: None,
            acse: None,
            network: None,
            pdu: None,
            now: Instant::ZERO,
        }
    }

    /// An acceptor on a transport connection that has just been accepted (Evt5, AE-5: ARTIM
    /// starts, waiting for the A-ASSOCIATE-RQ).
    pub fn acceptor(policy: &'a AcceptorPolicy<'a>, storage: Storage<'a>, now: Instant) -> Self {
        let mut c = Self::new(
            Role::Acceptor,
            Syntaxes::Acceptor(policy),
            policy.limits,
            storage,
        );
        c.apply(
            now,
            ul::ProtocolEvent::TransportConnectIndication,
            Input::Artim,
        );
        c
    }

    /// A requestor on a transport connection that has just been established (Evt1 and Evt2:
    /// AE-1, then AE-2 queues the A-ASSOCIATE-RQ).
    pub fn requestor(
        config: &'a RequestorConfig<'a>,
        storage: Storage<'a>,
        now: Instant,
    ) -> Result<Self, ConfigError> {
        let pcs = config.presentation_contexts;
        let mut seen = [false; 256];
        let ids_ok = !pcs.is_empty()
            && pcs.len() <= crate::assoc::MAX_PRESENTATION_CONTEXTS
            && pcs.iter().all(|pc| {
                let fresh = seen
                    .get_mut(usize::from(pc.id))
                    .map(|s| !core::mem::replace(s, true))
                    .unwrap_or(false);
                pc.id % 2 == 1 && fresh && !pc.transfer_syntaxes.is_empty()
            });
        if !ids_ok {
            return Err(ConfigError::PresentationContexts);
        }
        let mut c = Self::new(
            Role::Requestor,
            Syntaxes::Requestor(config),
            config.limits,
            storage,
        );
        c.apply(now, ul::ProtocolEvent::AssociateRequest, Input::Artim);
        c.apply(
            now,
            ul::ProtocolEvent::TransportConnectConfirm,
            Input::Artim,
        );
        Ok(c)
    }

    /// The Upper Layer state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Makes an acceptor reject the coming A-ASSOCIATE-RQ with `rj`, whatever its policy
    /// says: for a server at its association limit, [`AssociateRj::LOCAL_LIMIT_EXCEEDED`]
    /// (transient, service-provider presentation, local limit exceeded). The request is
    /// still read whole, so the answer comes at the right point of the stream. A source of
    /// service-provider (ACSE or presentation) rejects without the Sta3 detour (AE-6's
    /// "unacceptable" branch); service-user goes through AE-8.
    pub fn refuse(&mut self, rj: AssociateRj) {
        self.refusal = Some(rj);
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The association has ended and the transport should be (or is) closed.
    pub fn is_closed(&self) -> bool {
        self.state == State::Sta1
    }

    /// The association is established and not being released or aborted.
    pub fn is_established(&self) -> bool {
        self.state == State::Sta6
    }

    /// The negotiation's outcome, once the association is established.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        match &self.neg {
            Neg::Done(n) => Some(n),
            _ => None,
        }
    }

    /// The accepted presentation context `id`, with its syntaxes.
    pub fn presentation_context(&self, id: u8) -> Option<PresentationContext<'a>> {
        self.syntaxes.accepted(self.negotiated()?, id)
    }

    /// The accepted presentation contexts.
    pub fn presentation_contexts(&self) -> impl Iterator<Item = PresentationContext<'a>> + '_ {
        self.negotiated()
            .into_iter()
            .flat_map(|n| n.contexts.iter())
            .filter_map(|r| self.presentation_context(r.id))
    }

    /// Whether a received response is still readable (see [`Event::Response`]).
    pub(crate) fn response_readable(&self) -> bool {
        self.rx_pending || self.rx_delivered
    }

    // ---------------------------------------------------------------- input

    /// Consumes bytes received from the peer and returns how many were used.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize {
        if self.rx_delivered {
            // The user had the whole drain to read the response; the buffer is free again.
            self.rx_delivered = false;
            self.rx_len = 0;
            self.rx_base = 0;
            self.dimse.response_command_len = 0;
        }
        self.process_held(now);
        if !input.is_empty() && self.network.is_some() {
            self.network = Some(now + self.limits.network_timeout);
        }
        let mut used = 0;
        self.input_blocked = false;
        loop {
            let rest = input.get(used..).unwrap_or(&[]);
            if rest.is_empty() && !self.completes_without_input() {
                break;
            }
            if self.events.capacity() - self.events.len() < EVENT_HEADROOM
                || self.txq.capacity() - self.txq.len() < TXQ_HEADROOM
            {
                self.input_blocked = true;
                break;
            }
            let mid_pdu = self.rx != Rx::Header;
            let step = self.step(now, rest);
            if mid_pdu && self.rx == Rx::Header {
                self.pdu = None;
            }
            match step {
                Step::Consumed(n) => used += n,
                Step::NeedMore => break,
                Step::Blocked => {
                    self.input_blocked = true;
                    break;
                }
            }
        }
        self.pdu_timer(now, used < input.len());
        used
    }

    /// Starts the PDU timer when a PDU is left partial and the peer owes the rest, and
    /// stops it otherwise. Input held back by us (`input_blocked`) is not the peer's delay.
    fn pdu_timer(&mut self, now: Instant, unconsumed: bool) {
        let partial = self.rx != Rx::Header || unconsumed;
        let watched = !matches!(self.state, State::Sta1 | State::Sta2 | State::Sta13);
        if !partial || !watched || self.input_blocked || self.rx == Rx::Discard {
            self.pdu = None;
        } else if self.pdu.is_none() {
            self.pdu = Some(now + self.limits.pdu_timeout);
        }
    }

    /// The receive side is at the end of an item, a PDV or a PDU: that completion needs no
    /// more bytes, and must not wait for the next PDU to arrive.
    fn completes_without_input(&self) -> bool {
        if self.state == State::Sta1 {
            return false;
        }
        match self.rx {
            Rx::AssocItems {
                skip: 0,
                container: Container::Top,
                left,
                ..
            } => left == 0,
            Rx::AssocItems {
                skip: 0,
                container:
                    Container::ContextRq { left: 0 }
                    | Container::ContextAc { left: 0, .. }
                    | Container::UserInfo { left: 0 },
                ..
            } => true,
            Rx::Pdv { left: 0 } => true,
            Rx::PdvData { pdv_left: 0, .. } => true,
            _ => false,
        }
    }

    /// One unit of receive progress. `Consumed(0)` is allowed when the state changed.
    fn step(&mut self, now: Instant, input: &[u8]) -> Step {
        if matches!(self.state, State::Sta1) {
            // No association and no transport to speak of: nothing can be received.
            return Step::Consumed(input.len());
        }
        match self.rx {
            Rx::Header => self.rx_header(now, input),
            Rx::Fixed(pdu_type) => {
                let Some(body) = input.first_chunk::<4>() else {
                    return Step::NeedMore;
                };
                self.rx = Rx::Header;
                let input_ = match pdu_type {
                    PduType::AssociateRj => match AssociateRj::parse_body(*body) {
                        Ok(rj) => Input::AssociateRj(rj),
                        Err(e) => Input::Invalid(e.abort_reason()),
                    },
                    PduType::ReleaseRq => Input::ReleaseRq,
                    PduType::ReleaseRp => Input::ReleaseRp,
                    _ => Input::Abort(Abort::parse_body(*body)),
                };
                self.dispatch(now, input_);
                Step::Consumed(4)
            }
            Rx::AssocFixed { ac, left } => {
                let Parse::Complete(fixed, n) = AssociateFixed::parse(input) else {
                    return Step::NeedMore;
                };
                self.neg = if ac {
                    Neg::Requestor(RequestorNegotiation::new(fixed))
                } else {
                    Neg::Acceptor(AcceptorNegotiation::new(fixed))
                };
                self.rx = Rx::AssocItems {
                    ac,
                    left: left.saturating_sub(AssociateFixed::LEN as u32),
                    container: Container::Top,
                    skip: 0,
                };
                Step::Consumed(n)
            }
            Rx::AssocItems {
                ac,
                left,
                container,
                skip,
            } => self.rx_assoc_items(now, input, ac, left, container, skip),
            Rx::Pdv { left } => self.rx_pdv(now, input, left),
            Rx::PdvData {
                left,
                pdv_left,
                last,
            } => self.rx_pdv_data(now, input, left, pdv_left, last),
            Rx::Ignore { left } => {
                let n = input.len().min(left as usize);
                let left = left - n as u32;
                self.rx = if left == 0 {
                    Rx::Header
                } else {
                    Rx::Ignore { left }
                };
                Step::Consumed(n)
            }
            Rx::Discard => Step::Consumed(input.len()),
        }
    }

    fn rx_header(&mut self, now: Instant, input: &[u8]) -> Step {
        if (self.rx_held || self.release_response_pending) && !self.txq.is_empty() {
            // What the PDUs read so far caused must happen before the next PDU is read: a
            // command held behind the busy transmit buffer, or an A-RELEASE-RP waiting for
            // that output, goes ahead as soon as the caller drains `poll_output`.
            // Otherwise a protocol error in the next PDU would abort the association first,
            // and what the peer gets would depend on how its bytes were cut into reads. The
            // caller keeps the rest and feeds it again after the drain, as for any
            // unconsumed input. (A wait for the application's answer does not stop input:
            // the peer may still abort, or break the protocol, meanwhile.)
            return Step::Blocked;
        }
        let header = match PduHeader::parse(input) {
            Ok(Parse::Partial) => return Step::NeedMore,
            Ok(Parse::Complete(h, _)) => h,
            Err(e) => {
                // An unknown type still has a length: skip it so the stream stays framed.
                let length = input
                    .get(2..6)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, u32::from_be_bytes);
                self.rx = Rx::Ignore { left: length };
                if length == 0 {
                    self.rx = Rx::Header;
                }
                self.dispatch(now, Input::Invalid(e.abort_reason()));
                return Step::Consumed(PDU_HEADER_LEN);
            }
        };
        let length = header.length;
        let ignore = |length: u32| {
            if length == 0 {
                Rx::Header
            } else {
                Rx::Ignore { left: length }
            }
        };
        match header.pdu_type {
            PduType::AssociateRq | PduType::AssociateAc => {
                let ac = header.pdu_type == PduType::AssociateAc;
                let wanted = if ac {
                    self.state == State::Sta5
                } else {
                    self.state == State::Sta2
                };
                if !wanted {
                    // Unexpected here: the table answers at once; the body is not needed.
                    self.rx = ignore(length);
                    let ev = if ac {
                        Input::AssociateAc(None)
                    } else {
                        Input::AssociateRq(Err(AssociateRj::PROVIDER_NO_REASON))
                    };
                    self.dispatch(now, ev);
                } else if (length as usize) < AssociateFixed::LEN
                    || length > self.limits.max_associate_length
                {
                    self.rx = ignore(length);
                    self.dispatch(now, Input::Invalid(AbortReason::InvalidPduParameterValue));
                } else {
                    self.rx = Rx::AssocFixed { ac, left: length };
                }
            }
            PduType::PDataTf => {
                // PS3.8 §9.3.5: one or more PDV items; an empty P-DATA-TF is invalid.
                if matches!(self.state, State::Sta6 | State::Sta7)
                    && (length > self.limits.max_pdu_length || length == 0)
                {
                    self.rx = ignore(length);
                    self.dispatch(now, Input::Invalid(AbortReason::InvalidPduParameterValue));
                } else {
                    let before = self.state;
                    self.dispatch(now, Input::PData);
                    // DT-2 / AR-6 keep the state: read the PDVs. Anything else answered it.
                    self.rx = if self.state == before && matches!(before, State::Sta6 | State::Sta7)
                    {
                        if length == 0 {
                            Rx::Header
                        } else {
                            Rx::Pdv { left: length }
                        }
                    } else {
                        ignore(length)
                    };
                }
            }
            fixed => {
                if length as usize == pdu::FIXED_BODY_LEN {
                    self.rx = Rx::Fixed(fixed);
                } else {
                    self.rx = ignore(length);
                    self.dispatch(now, Input::Invalid(AbortReason::InvalidPduParameterValue));
                }
            }
        }
        Step::Consumed(PDU_HEADER_LEN)
    }

    /// A framing error inside a PDU: abort as the table says, and skip what the PDU-length
    /// still covers so that a following PDU (in Sta13) is read correctly.
    fn rx_invalid(&mut self, now: Instant, e: ParseError, rest_of_pdu: u32) -> Step {
        self.rx = if rest_of_pdu == 0 {
            Rx::Header
        } else {
            Rx::Ignore { left: rest_of_pdu }
        };
        self.neg = match core::mem::replace(&mut self.neg, Neg::None) {
            Neg::Done(n) => Neg::Done(n),
            _ => Neg::None,
        };
        self.dispatch(now, Input::Invalid(e.abort_reason()));
        Step::Consumed(0)
    }

    fn rx_assoc_items(
        &mut self,
        now: Instant,
        input: &[u8],
        ac: bool,
        left: u32,
        container: Container,
        skip: u32,
    ) -> Step {
        if skip > 0 {
            let n = input.len().min(skip as usize);
            self.rx = Rx::AssocItems {
                ac,
                left,
                container,
                skip: skip - n as u32,
            };
            return Step::Consumed(n);
        }
        let set = |c: &mut Self, left: u32, container: Container, skip: u32| {
            c.rx = Rx::AssocItems {
                ac,
                left,
                container,
                skip,
            };
        };
        match container {
            Container::Top => {
                if left == 0 {
                    self.rx = Rx::Header;
                    self.finish_associate(now, ac);
                    return Step::Consumed(0);
                }
                let Parse::Complete(h, _) = ItemHeader::parse(input) else {
                    if left < ItemHeader::LEN as u32 {
                        return self.rx_invalid(now, ParseError::InvalidLength, left);
                    }
                    return Step::NeedMore;
                };
                let total = h.total_len() as u32;
                if total > left {
                    return self.rx_invalid(now, ParseError::InvalidLength, left);
                }
                let left = left - total;
                match (h.item_type, ac) {
                    (0x10, _) if h.total_len() <= MAX_UNIT_LEN => {
                        let Some(body) = input.get(ItemHeader::LEN..h.total_len()) else {
                            return Step::NeedMore;
                        };
                        let item =
                            SubItem::from_body(0x10, body).unwrap_or(SubItem::Malformed(0x10));
                        match &mut self.neg {
                            Neg::Acceptor(n) => n.application_context(&item),
                            Neg::Requestor(n) => n.application_context(&item),
                            _ => {}
                        }
                        set(self, left, Container::Top, 0);
                        Step::Consumed(h.total_len())
                    }
                    (0x20, false) | (0x21, true) => {
                        // The 4 fixed bytes (ID, reserved, result, reserved) must fit the item.
                        if h.length < 4 {
                            // `left` no longer counts this item, none of which was consumed.
                            return self.rx_invalid(now, ParseError::InvalidLength, left + total);
                        }
                        let Some(&[id, _, result, _]) = input.get(4..8) else {
                            return Step::NeedMore;
                        };
                        let inner = h.length - 4;
                        let container = if ac {
                            Container::ContextAc {
                                left: inner,
                                id,
                                result,
                                answered: false,
                            }
                        } else {
                            if let Neg::Acceptor(n) = &mut self.neg {
                                n.context_start(id);
                            }
                            Container::ContextRq { left: inner }
                        };
                        set(self, left, container, 0);
                        Step::Consumed(8)
                    }
                    (0x50, _) => {
                        set(self, left, Container::UserInfo { left: h.length }, 0);
                        Step::Consumed(ItemHeader::LEN)
                    }
                    (0x10, _) => {
                        // An application context name too long to be a UID.
                        if let Neg::Acceptor(n) = &mut self.neg {
                            n.application_context(&SubItem::Malformed(0x10));
                        }
                        set(self, left, Container::Top, u32::from(h.length));
                        Step::Consumed(ItemHeader::LEN)
                    }
                    _ => {
                        // Unknown items are ignored (PS3.8 §9.3.1).
                        set(self, left, Container::Top, u32::from(h.length));
                        Step::Consumed(ItemHeader::LEN)
                    }
                }
            }
            Container::ContextRq { left: cl }
            | Container::ContextAc { left: cl, .. }
            | Container::UserInfo { left: cl } => {
                if cl == 0 {
                    self.end_container(container);
                    set(self, left, Container::Top, 0);
                    return Step::Consumed(0);
                }
                let Parse::Complete(h, _) = ItemHeader::parse(input) else {
                    if cl < ItemHeader::LEN as u16 {
                        return self.rx_invalid(
                            now,
                            ParseError::InvalidLength,
                            left + u32::from(cl),
                        );
                    }
                    return Step::NeedMore;
                };
                let total = h.total_len();
                if total > usize::from(cl) {
                    return self.rx_invalid(now, ParseError::InvalidLength, left + u32::from(cl));
                }
                let cl_after = cl - total as u16;
                let container_after = match container {
                    Container::ContextRq { .. } => Container::ContextRq { left: cl_after },
                    Container::ContextAc {
                        id,
                        result,
                        answered,
                        ..
                    } => Container::ContextAc {
                        left: cl_after,
                        id,
                        result,
                        answered,
                    },
                    _ => Container::UserInfo { left: cl_after },
                };
                if total > MAX_UNIT_LEN {
                    // Too large to need whole: a UID this long is malformed, a long user
                    // identity (a token) cannot be checked, anything else is skipped.
                    let item = match h.item_type {
                        0x58 => None,
                        t => Some(SubItem::Malformed(t)),
                    };
                    match (item, &mut self.neg) {
                        (None, Neg::Acceptor(n)) => {
                            if let Syntaxes::Acceptor(p) = self.syntaxes {
                                n.user_identity_unreadable(p);
                            }
                        }
                        (Some(item), _) => self.feed_sub_item(container, &item),
                        _ => {}
                    }
                    set(self, left, container_after, u32::from(h.length));
                    return Step::Consumed(ItemHeader::LEN);
                }
                let item = match SubItem::parse(input) {
                    Ok(Parse::Complete(item, _)) => item,
                    Ok(Parse::Partial) => return Step::NeedMore,
                    // Nothing of this sub-item was consumed: skip it and the rest of the PDU.
                    Err(e) => return self.rx_invalid(now, e, left + u32::from(cl)),
                };
                let container_after = match (container_after, item) {
                    (
                        Container::ContextAc {
                            left,
                            id,
                            result,
                            answered: false,
                        },
                        SubItem::TransferSyntax(_) | SubItem::Malformed(0x40),
                    ) => {
                        self.feed_sub_item(container, &item);
                        Container::ContextAc {
                            left,
                            id,
                            result,
                            answered: true,
                        }
                    }
                    (c, _) => {
                        self.feed_sub_item(container, &item);
                        c
                    }
                };
                set(self, left, container_after, 0);
                Step::Consumed(total)
            }
        }
    }

    fn feed_sub_item(&mut self, container: Container, item: &SubItem<'_>) {
        match (&mut self.neg, self.syntaxes, container) {
            (Neg::Acceptor(n), Syntaxes::Acceptor(p), Container::ContextRq { .. }) => {
                n.context_sub_item(p, item)
            }
            (Neg::Acceptor(n), Syntaxes::Acceptor(p), Container::UserInfo { .. }) => {
                n.user_info_sub_item(p, item)
            }
            (
                Neg::Requestor(n),
                Syntaxes::Requestor(c),
                Container::ContextAc {
                    id,
                    result,
                    answered: false,
                    ..
                },
            ) => match item {
                SubItem::TransferSyntax(ts) => n.context(c, id, result, Some(ts)),
                SubItem::Malformed(0x40) => n.context(c, id, result, None),
                _ => {}
            },
            (Neg::Requestor(n), _, Container::UserInfo { .. }) => n.user_info_sub_item(item),
            _ => {}
        }
    }

    fn end_container(&mut self, container: Container) {
        match (&mut self.neg, self.syntaxes, container) {
            (Neg::Acceptor(n), Syntaxes::Acceptor(p), Container::ContextRq { .. }) => {
                n.context_end(p)
            }
            (
                Neg::Requestor(n),
                Syntaxes::Requestor(c),
                Container::ContextAc {
                    id,
                    result,
                    answered: false,
                    ..
                },
            ) => n.context(c, id, result, None),
            _ => {}
        }
    }

    fn finish_associate(&mut self, now: Instant, ac: bool) {
        let neg = core::mem::replace(&mut self.neg, Neg::None);
        let input = match (neg, self.syntaxes, ac) {
            (Neg::Acceptor(n), Syntaxes::Acceptor(p), false) => {
                Input::AssociateRq(match self.refusal {
                    Some(rj) => Err(rj),
                    None => n.finish(p),
                })
            }
            (Neg::Requestor(n), Syntaxes::Requestor(c), true) => Input::AssociateAc(n.finish(c)),
            _ => Input::Invalid(AbortReason::UnexpectedPdu),
        };
        self.dispatch(now, input);
    }

    fn rx_pdv(&mut self, now: Instant, input: &[u8], left: u32) -> Step {
        if left == 0 {
            self.rx = Rx::Header;
            return Step::Consumed(0);
        }
        if self.rx_pending || self.rx_held {
            // The previous value has not been polled, or a command waits to be acted on:
            // the buffer is not free.
            return Step::Blocked;
        }
        let h = match PdvHeader::parse(input) {
            Ok(Parse::Complete(h, _)) => h,
            Ok(Parse::Partial) if left >= PDV_HEADER_LEN as u32 => return Step::NeedMore,
            Ok(Parse::Partial) => return self.rx_invalid(now, ParseError::InvalidLength, left),
            Err(e) => return self.rx_invalid(now, e, left),
        };
        let Some(after) = left.checked_sub(4).and_then(|l| l.checked_sub(h.length)) else {
            return self.rx_invalid(now, ParseError::InvalidLength, left);
        };
        let accepted = self
            .negotiated()
            .and_then(|n| n.record(h.context_id))
            .is_some_and(|r| r.result == ContextResult::Acceptance);
        let continues = !self.rx_active
            || (self.rx_context == h.context_id && self.rx_command == h.control.is_command());
        if !accepted || !continues {
            return self.rx_invalid(now, ParseError::InvalidValue, left);
        }
        if !self.rx_active {
            // A new value: a command set unless the last command announced a data set.
            let Some(discard) = self.value_starts(h.context_id, h.control.is_command()) else {
                return self.rx_invalid(now, ParseError::InvalidValue, left);
            };
            self.rx_active = true;
            self.rx_len = 0;
            self.rx_discard = discard;
            self.rx_context = h.context_id;
            self.rx_command = h.control.is_command();
        }
        self.rx = Rx::PdvData {
            left: after,
            pdv_left: h.fragment_len(),
            last: h.control.is_last(),
        };
        Step::Consumed(PDV_HEADER_LEN)
    }

    fn rx_pdv_data(
        &mut self,
        now: Instant,
        input: &[u8],
        left: u32,
        pdv_left: u32,
        last: bool,
    ) -> Step {
        if pdv_left == 0 {
            self.rx = Rx::Pdv { left };
            if last {
                self.rx_active = false;
                if self.rx_command {
                    self.rx_held = true;
                    self.process_held(now);
                } else {
                    self.data_set_received(now);
                }
            }
            return Step::Consumed(0);
        }
        let n = input.len().min(pdv_left as usize);
        if self.rx_discard {
            if let Some(total) = &mut self.rx_overflow {
                *total += n;
            }
            self.rx = Rx::PdvData {
                left,
                pdv_left: pdv_left - n as u32,
                last,
            };
            return Step::Consumed(n);
        }
        let end = self.rx_len + n;
        let at = self.rx_base + self.rx_len..self.rx_base + end;
        let (Some(dst), Some(src)) = (self.storage.rx.get_mut(at), input.get(..n)) else {
            // The peer's value is larger than our receive storage: a local resource limit,
            // not a protocol error.
            let capacity = self.storage.rx.len().saturating_sub(self.rx_base);
            if self.rx_command {
                // Keep what fits and read the rest without keeping it: every element of a
                // request but a long Attribute Identifier List (the last one) is in what
                // fits, so it can still be answered (0213H, PS3.7 §10.1.2.1.9).
                let fits = capacity.saturating_sub(self.rx_len).min(n);
                let at = self.rx_base + self.rx_len..self.rx_base + self.rx_len + fits;
                let (Some(dst), Some(src)) = (self.storage.rx.get_mut(at), input.get(..fits))
                else {
                    return Step::Consumed(0);
                };
                dst.copy_from_slice(src);
                self.rx_len += fits;
                self.rx_overflow = Some(self.rx_len);
                self.rx_discard = true;
                self.rx = Rx::PdvData {
                    left,
                    pdv_left: pdv_left - fits as u32,
                    last,
                };
                return Step::Consumed(fits);
            }
            // A data set: nothing can answer for it. Abort, saying why, and stop reading.
            self.rx_active = false;
            let limit = ResourceLimit {
                command_set: false,
                received: self.rx_len + n,
                capacity,
            };
            self.dispatch(now, Input::LocalAbort(AbortOrigin::ResourceLimit(limit)));
            self.rx = Rx::Discard;
            return Step::Consumed(0);
        };
        dst.copy_from_slice(src);
        self.rx_len = end;
        self.rx = Rx::PdvData {
            left,
            pdv_left: pdv_left - n as u32,
            last,
        };
        Step::Consumed(n)
    }

    // ---------------------------------------------------------------- local calls and time

    /// The transport connection closed (by the peer, or by us), Evt17.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.dispatch(now, Input::TransportClosed);
    }

    /// Asks for an orderly release (A-RELEASE-RQ, Evt11). Only in an established association.
    pub fn release(&mut self, now: Instant) -> Result<(), ApiError> {
        if self.state != State::Sta6 {
            return Err(ApiError::InvalidState);
        }
        self.dispatch(now, Input::LocalRelease);
        Ok(())
    }

    /// Aborts the association (A-ABORT from the service user, Evt15).
    pub fn abort(&mut self, now: Instant) -> Result<(), ApiError> {
        if ul::transition(self.state, ul::ProtocolEvent::AbortRequest).is_none() {
            return Err(ApiError::InvalidState);
        }
        self.dispatch(now, Input::LocalAbort(AbortOrigin::Local));
        Ok(())
    }

    /// The earliest deadline at which [`Connection::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let earliest = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let ul = earliest(
            earliest(self.artim, self.acse),
            earliest(self.network, self.pdu),
        );
        earliest(ul, self.dimse.deadline())
    }

    /// Fires every timer whose deadline is at or before `now`. Spurious calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.artim.is_some_and(|t| t <= now) {
            self.artim = None;
            self.dispatch(now, Input::Artim);
        }
        if self.acse.is_some_and(|t| t <= now) {
            self.acse = None;
            self.dispatch(now, Input::LocalAbort(AbortOrigin::Timeout(Timer::Acse)));
        }
        if self.network.is_some_and(|t| t <= now) {
            self.network = None;
            self.dispatch(now, Input::LocalAbort(AbortOrigin::Timeout(Timer::Network)));
        }
        if self.pdu.is_some_and(|t| t <= now) {
            self.pdu = None;
            self.dispatch(now, Input::LocalAbort(AbortOrigin::Timeout(Timer::Pdu)));
        }
        self.dimse_timeout(now);
    }

    // ---------------------------------------------------------------- output

    /// What the caller must do next: write a PDU, handle an event, offer held-back input
    /// again, or wait. Call it after every call that changes the connection, until it
    /// returns [`Output::Idle`]; it returns `Idle` only when nothing else is pending, so the
    /// loop ends by construction.
    ///
    /// PDUs come first, in the order the state machine queued them, then events, then
    /// [`Output::Reoffer`]. A PDU is written at the start of `out`: P-DATA is cut to fit both
    /// `out` and the peer's maximum, the other PDUs are written whole. `Err` means `out`
    /// is smaller than the next PDU (only an A-ASSOCIATE-RQ/AC can be); the PDU stays
    /// queued. An `out` of [`Connection::min_output_len`] bytes never fails.
    #[inline]
    pub fn poll_output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall> {
        // The queues are looked at before calling into them: this runs several times per
        // message, and most calls find one of them empty.
        if !self.txq.is_empty() {
            if let Some(n) = self.poll_transmit(out)? {
                return Ok(Output::Transmit(n));
            }
        }
        if !self.events.is_empty() {
            if let Some(ev) = self.poll_event() {
                return Ok(Output::Event(ev));
            }
        }
        if self.input_blocked && !self.rx_held {
            // Everything that held input back is gone: the queues are empty, a polled
            // response frees the receive buffer at the next `handle_input`, and a held
            // command has been acted on. (A command waiting for the application's answer
            // keeps input held until `respond_*`.)
            self.input_blocked = false;
            return Ok(Output::Reoffer);
        }
        Ok(Output::Idle {
            until: self.poll_timeout(),
        })
    }

    /// Whether a PDU waits to be written: for a driver that must wait for room in its
    /// transport's buffer before it can offer `poll_output` one.
    pub fn has_transmit(&self) -> bool {
        !self.txq.is_empty()
    }

    /// The smallest `out` for which [`Connection::poll_output`] never returns `Err` on this
    /// association: room for the largest A-ASSOCIATE-RQ or -AC it can send (the requestor's
    /// exact request; for an acceptor, an answer to the most presentation contexts a request
    /// can carry with the policy's longest syntaxes). Any other PDU is smaller, and P-DATA is
    /// cut to fit; an `out` of the peer's maximum PDU length plus the 6-byte PDU header
    /// sends P-DATA in the fewest PDUs.
    pub fn min_output_len(&self) -> usize {
        let associate = match self.syntaxes {
            Syntaxes::Requestor(_) => self.associate_rq().map_or(0, |rq| rq.buffer_len()),
            Syntaxes::Acceptor(p) => max_associate_ac_len(p),
        };
        associate.max(MIN_PDATA_LEN)
    }

    /// The next event, if any (through [`Connection::poll_output`]).
    fn poll_event(&mut self) -> Option<Event> {
        let ev = self.events.pop_front()?;
        if matches!(ev, Event::Response { .. }) {
            self.rx_pending = false;
            self.rx_delivered = true;
        }
        Some(ev)
    }

    /// Writes the next PDU into `out` and returns its length, or `None` when nothing is
    /// waiting. P-DATA is cut to fit both the peer's maximum and `out`. `Err` means `out`
    /// cannot hold the next PDU (an A-ASSOCIATE-AC needs room for all its contexts; any other
    /// PDU fits in [`MAX_UNIT_LEN`] bytes); the PDU stays queued.
    fn poll_transmit(&mut self, out: &mut [u8]) -> Result<Option<usize>, BufferTooSmall> {
        let Some(&next) = self.txq.front() else {
            return Ok(None);
        };
        let n = match next {
            Outgoing::AssociateRq => self.emit_associate_rq(out)?,
            Outgoing::AssociateAc => self.emit_associate_ac(out)?,
            Outgoing::AssociateRj(rj) => rj.emit(out)?,
            Outgoing::ReleaseRq => ReleaseRq.emit(out)?,
            Outgoing::ReleaseRp => ReleaseRp.emit(out)?,
            Outgoing::Abort(a) => a.emit(out)?,
            Outgoing::PData => {
                let (n, done) = self.emit_pdata(out)?;
                if !done {
                    return Ok(Some(n));
                }
                n
            }
        };
        self.txq.pop_front();
        if next == Outgoing::PData {
            self.tx = TxMessage::EMPTY;
            // The transmit buffer is free: a held command or an overdue answer can go now.
            let now = self.now;
            self.process_held(now);
            self.dimse_timeout(now);
            if self.release_response_pending && !self.release_must_wait() {
                self.release_response_pending = false;
                self.dispatch(now, Input::ReleaseResponse);
            }
        }
        Ok(Some(n))
    }

    fn emit_associate_rq(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        self.associate_rq().ok_or(BufferTooSmall)?.emit(out)
    }

    /// The A-ASSOCIATE-RQ a requestor sends.
    fn associate_rq(&self) -> Option<AssociateRq<'a>> {
        let Syntaxes::Requestor(c) = self.syntaxes else {
            return None;
        };
        Some(AssociateRq {
            fixed: AssociateFixed::new(c.called_ae, c.calling_ae),
            application_context: APPLICATION_CONTEXT_NAME,
            presentation_contexts: c.presentation_contexts,
            user_information: UserInformation {
                max_length: self.limits.max_pdu_length,
                implementation_class_uid: c.implementation_class_uid,
                async_ops_window: c.async_ops_window,
                role_selections: c.role_selections,
                implementation_version_name: c.implementation_version_name,
                user_identity_rq: c.user_identity,
                ..UserInformation::default()
            },
        })
    }

    fn emit_associate_ac(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let (Syntaxes::Acceptor(p), Some(n)) = (self.syntaxes, self.negotiated()) else {
            return Err(BufferTooSmall);
        };
        let mut roles: heapless::Vec<RoleSelection<'_>, MAX_ROLE_SELECTIONS> = heapless::Vec::new();
        for &(i, scu, scp) in &n.roles {
            if let Some(uid) = p.abstract_syntaxes.get(usize::from(i)) {
                let _ = roles.push(RoleSelection {
                    sop_class_uid: uid,
                    scu_role: scu,
                    scp_role: scp,
                });
            }
        }
        let user_information = UserInformation {
            max_length: self.limits.max_pdu_length,
            implementation_class_uid: p.implementation_class_uid,
            async_ops_window: n.async_ops_proposed.then_some((1, 1)),
            role_selections: &roles,
            implementation_version_name: p.implementation_version_name,
            user_identity_ac: n.user_identity_response.then_some(UserIdentityAc {
                server_response: &[],
            }),
            ..UserInformation::default()
        };
        let mut w = Writer::new(out);
        let start = pdu::start_associate(
            &mut w,
            PduType::AssociateAc,
            &n.fixed,
            APPLICATION_CONTEXT_NAME,
        )?;
        for rec in &n.contexts {
            // A rejected context still carries a transfer syntax sub-item, not significant.
            let transfer_syntax = self
                .syntaxes
                .resolve(rec)
                .1
                .filter(|_| rec.result == ContextResult::Acceptance)
                .unwrap_or(IMPLICIT_VR_LITTLE_ENDIAN);
            PresentationContextAc {
                id: rec.id,
                result: rec.result.to_u8(),
                transfer_syntax,
            }
            .write(&mut w)?;
        }
        user_information.write(&mut w)?;
        pdu::finish_pdu(&mut w, start)
    }

    /// One P-DATA-TF with one PDV of the outgoing message (its command set first, then its
    /// data set: never both in one PDV, PS3.7 §6.3.1); `true` when it carried the last
    /// fragment of the message.
    fn emit_pdata(&mut self, out: &mut [u8]) -> Result<(usize, bool), BufferTooSmall> {
        let peer = self.negotiated().map_or(0, |n| n.peer_max_pdu_length);
        let peer = if peer == 0 { usize::MAX } else { peer as usize };
        let room = out.len().saturating_sub(PDU_HEADER_LEN).min(peer);
        let max_fragment = room.saturating_sub(PDV_HEADER_LEN);
        let tx = self.tx;
        let (command, start, len) = if tx.sent < tx.command.1 {
            (true, tx.command.0, tx.command.1)
        } else {
            (false, tx.data.0, tx.data.1)
        };
        let sent = if command {
            tx.sent
        } else {
            tx.sent - tx.command.1
        };
        let remaining = len - sent;
        let (fragment, last) = if remaining <= max_fragment {
            (remaining, true)
        } else {
            // Every fragment but the last has an even length (PS3.8 Annex E.1).
            (max_fragment & !1, false)
        };
        if fragment == 0 && !last {
            return Err(BufferTooSmall);
        }
        let data = self
            .storage
            .tx
            .get(start + sent..start + sent + fragment)
            .ok_or(BufferTooSmall)?;
        let n = pdu::PDataTf {
            pdvs: &[Pdv {
                context_id: tx.context_id,
                control: pdu::MessageControlHeader::new(command, last),
                data,
            }],
        }
        .emit(out)?;
        self.tx.sent += fragment;
        Ok((n, last && (!command || tx.data.1 == 0)))
    }

    // ---------------------------------------------------------------- the state machine

    /// Whether a release response must wait (Sta8): for our outgoing P-DATA, or for the
    /// answer to a request received before the A-RELEASE-RQ (with the application, or held).
    fn release_must_wait(&self) -> bool {
        self.tx_busy() || self.rx_held || self.dimse.owes_answer()
    }

    /// Whether an outgoing message still occupies `storage.tx`.
    pub(crate) fn tx_busy(&self) -> bool {
        self.txq.iter().any(|o| *o == Outgoing::PData)
    }

    /// Queues the message laid out in `storage.tx` (Evt9: DT-1 in Sta6, AR-7 in Sta8).
    pub(crate) fn queue_message(&mut self, now: Instant, m: TxMessage) {
        self.tx = m;
        // DT-1 and AR-7 start no timer, but the clock still moves for `poll_transmit`.
        self.now = self.now.max(now);
        self.queue(Outgoing::PData);
    }

    /// A DIMSE-level protocol error by the peer: A-ABORT (service-provider) as for an
    /// invalid PDU (Evt19).
    pub(crate) fn protocol_abort(&mut self, now: Instant, reason: AbortReason) {
        self.rx_held = false;
        self.dispatch(now, Input::Invalid(reason));
    }

    /// A local resource ran out, or our request timed out: A-ABORT (service-user), as
    /// [`Connection::abort`].
    pub(crate) fn local_abort(&mut self, now: Instant, origin: AbortOrigin) {
        self.rx_held = false;
        self.dispatch(now, Input::LocalAbort(origin));
    }

    pub(crate) fn push_event(&mut self, ev: Event) {
        // EVENT_HEADROOM guarantees room for what one step queues; if that ever failed the
        // oldest information is kept and this one dropped, which is logged.
        if self.events.push_back(ev).is_err() {
            warn!("event queue full");
        }
    }

    fn queue(&mut self, o: Outgoing) {
        if self.txq.push_back(o).is_err() {
            warn!("transmit queue full");
        }
    }

    fn close_transport(&mut self) {
        self.artim = None;
        self.acse = None;
        self.network = None;
        self.pdu = None;
        self.push_event(Event::Closed);
    }

    /// Queues an A-ABORT. A local abort (AA-1: the user's, or a local resource) takes the
    /// place of anything not yet sent: the association is over. A provider abort for the
    /// peer's protocol error (AA-7, AA-8) comes after the PDUs already queued: the table
    /// sent those before this event (an A-ASSOCIATE-AC, an answer), so what the peer
    /// receives must not depend on whether it sent the bad bytes in the same TCP segment.
    fn queue_abort(&mut self, abort: Abort, keep_queued: bool) {
        if !keep_queued {
            self.txq.clear();
        }
        self.release_response_pending = false;
        self.queue(Outgoing::Abort(abort));
    }

    fn dispatch(&mut self, now: Instant, input: Input) {
        let event = match &input {
            Input::AssociateRq(_) => ul::ProtocolEvent::AssociateRqReceived,
            Input::AssociateAc(_) => ul::ProtocolEvent::AssociateAcReceived,
            Input::AssociateRj(_) => ul::ProtocolEvent::AssociateRjReceived,
            Input::PData => ul::ProtocolEvent::PDataReceived,
            Input::ReleaseRq => ul::ProtocolEvent::ReleaseRqReceived,
            Input::ReleaseRp => ul::ProtocolEvent::ReleaseRpReceived,
            Input::Abort(_) => ul::ProtocolEvent::AbortReceived,
            Input::Invalid(_) => ul::ProtocolEvent::InvalidPdu,
            Input::TransportClosed => ul::ProtocolEvent::TransportClosed,
            Input::Artim => ul::ProtocolEvent::ArtimExpired,
            Input::LocalAbort(_) => ul::ProtocolEvent::AbortRequest,
            Input::LocalRelease => ul::ProtocolEvent::ReleaseRequest,
            Input::ReleaseResponse => ul::ProtocolEvent::ReleaseResponse,
        };
        // An A-ASSOCIATE-AC that does not answer what we proposed is an invalid PDU.
        let (event, input) = match input {
            Input::AssociateAc(None) if self.state == State::Sta5 => (
                ul::ProtocolEvent::InvalidPdu,
                Input::Invalid(AbortReason::InvalidPduParameterValue),
            ),
            other => (event, other),
        };
        self.apply(now, event, input);
    }

    fn apply(&mut self, now: Instant, event: ul::ProtocolEvent, input: Input) {
        self.now = self.now.max(now);
        let Some(action) = ul::transition(self.state, event) else {
            debug!("no transition");
            return;
        };
        trace!("UL transition");
        let mut acceptable = true;
        if action.stops_artim() {
            self.artim = None;
        }
        match action {
            Action::Ae1 | Action::Ae5 | Action::Dt1 | Action::Dt2 | Action::Ar6 | Action::Ar7 => {}
            Action::Aa6 => {}
            Action::Ae2 => {
                self.queue(Outgoing::AssociateRq);
                self.acse = Some(now + self.limits.acse_timeout);
            }
            Action::Ae3 => {
                if let Input::AssociateAc(Some(n)) = input {
                    self.established(now, n);
                }
            }
            Action::Ae4 => {
                if let Input::AssociateRj(rj) = input {
                    self.push_event(Event::Rejected(rj));
                }
                self.close_transport();
            }
            Action::Ae6 => {
                if let Input::AssociateRq(outcome) = input {
                    match outcome {
                        Ok(n) => {
                            // Sta3: the policy answers for the local user at once (Evt7).
                            self.state = State::Sta3;
                            self.neg = Neg::Done(n);
                            self.apply(now, ul::ProtocolEvent::AssociateAccept, Input::Artim);
                            return;
                        }
                        Err(rj) if rj.source == RejectSource::ServiceUser => {
                            self.state = State::Sta3;
                            self.apply(
                                now,
                                ul::ProtocolEvent::AssociateReject,
                                Input::AssociateRj(rj),
                            );
                            return;
                        }
                        Err(rj) => {
                            acceptable = false;
                            self.queue(Outgoing::AssociateRj(rj));
                            self.push_event(Event::Rejected(rj));
                        }
                    }
                }
            }
            Action::Ae7 => {
                self.queue(Outgoing::AssociateAc);
                if let Some(n) = self.negotiated() {
                    let ev = Event::Established {
                        calling_ae: n.calling_ae,
                        called_ae: n.called_ae,
                        peer_max_pdu_length: n.peer_max_pdu_length,
                    };
                    self.push_event(ev);
                }
                self.network = Some(now + self.limits.network_timeout);
            }
            Action::Ae8 => {
                if let Input::AssociateRj(rj) = input {
                    self.queue(Outgoing::AssociateRj(rj));
                    self.push_event(Event::Rejected(rj));
                }
            }
            Action::Ar1 => {
                self.queue(Outgoing::ReleaseRq);
                self.acse = Some(now + self.limits.acse_timeout);
            }
            Action::Ar2 => {
                // The release cannot be refused; answer once our outgoing P-DATA is out and
                // every request received before it is answered (AR-7 in Sta8, PS3.8 §7.2.2).
                self.state = State::Sta8;
                if self.release_must_wait() {
                    self.release_response_pending = true;
                } else {
                    self.apply(
                        now,
                        ul::ProtocolEvent::ReleaseResponse,
                        Input::ReleaseResponse,
                    );
                }
                return;
            }
            Action::Ar3 => {
                self.push_event(Event::Released);
                self.close_transport();
            }
            Action::Ar4 => {
                self.queue(Outgoing::ReleaseRp);
                self.push_event(Event::Released);
            }
            Action::Ar5 | Action::Aa5 => self.push_event(Event::Closed),
            Action::Ar8 => {
                self.state = action.next_state(self.role, true);
                if self.role == Role::Requestor {
                    // Sta9: the requestor answers the collision first (AR-9).
                    self.apply(
                        now,
                        ul::ProtocolEvent::ReleaseResponse,
                        Input::ReleaseResponse,
                    );
                }
                return;
            }
            Action::Ar9 => self.queue(Outgoing::ReleaseRp),
            Action::Ar10 => {
                // Sta12: the acceptor now answers the requestor's release (AR-4).
                self.state = State::Sta12;
                self.apply(
                    now,
                    ul::ProtocolEvent::ReleaseResponse,
                    Input::ReleaseResponse,
                );
                return;
            }
            Action::Aa1 => {
                self.queue_abort(Abort::USER, false);
                let origin = match input {
                    Input::LocalAbort(o) => o,
                    // AA-1 in Sta2: garbage before any A-ASSOCIATE-RQ; the standard names
                    // the service-user source.
                    _ => AbortOrigin::Protocol(Abort::USER),
                };
                self.push_event(Event::Aborted(origin));
            }
            Action::Aa2 => self.close_transport(),
            Action::Aa3 => {
                if let Input::Abort(a) = input {
                    self.push_event(Event::Aborted(AbortOrigin::Peer(a)));
                }
                self.close_transport();
            }
            Action::Aa4 => {
                self.push_event(Event::Aborted(AbortOrigin::TransportClosed));
                self.close_transport();
            }
            Action::Aa7 => {
                let reason = match input {
                    Input::Invalid(r) => r,
                    _ => AbortReason::UnexpectedPdu,
                };
                self.queue_abort(Abort::provider(reason), true);
            }
            Action::Aa8 => {
                let reason = match input {
                    Input::Invalid(r) => r,
                    _ => AbortReason::UnexpectedPdu,
                };
                let abort = Abort::provider(reason);
                self.queue_abort(abort, true);
                self.push_event(Event::Aborted(AbortOrigin::Protocol(abort)));
            }
        }
        if action.starts_artim(acceptable) {
            self.artim = Some(now + self.limits.artim_timeout);
        }
        self.state = action.next_state(self.role, acceptable);
        if matches!(self.state, State::Sta13 | State::Sta1) {
            self.acse = None;
            self.network = None;
            self.pdu = None;
            self.rx_active = false;
            self.rx_held = false;
            self.rx_overflow = None;
            self.dimse.clear();
        }
        if self.state == State::Sta13 && matches!(self.rx, Rx::Pdv { .. } | Rx::PdvData { .. }) {
            // The rest of this P-DATA no longer matters.
            self.rx = match self.rx {
                Rx::Pdv { left } => Rx::Ignore { left },
                Rx::PdvData { left, pdv_left, .. } => Rx::Ignore {
                    left: left + pdv_left,
                },
                other => other,
            };
        }
    }

    fn established(&mut self, now: Instant, n: Negotiated) {
        self.acse = None;
        self.network = Some(now + self.limits.network_timeout);
        let ev = Event::Established {
            calling_ae: n.calling_ae,
            called_ae: n.called_ae,
            peer_max_pdu_length: n.peer_max_pdu_length,
        };
        self.neg = Neg::Done(n);
        self.push_event(ev);
    }
}

/// The smallest P-DATA-TF that carries a fragment: PDU and PDV headers and two bytes (every
/// fragment but the last has an even length, PS3.8 Annex E.1).
const MIN_PDATA_LEN: usize = PDU_HEADER_LEN + PDV_HEADER_LEN + 2;

/// An upper bound of the A-ASSOCIATE-AC an acceptor with `policy` sends (PS3.8 §9.3.3):
/// every presentation context a request can carry answered with the policy's longest
/// transfer syntax, every role selection with its longest abstract syntax, and every
/// user-information sub-item the acceptor writes.
fn max_associate_ac_len(policy: &AcceptorPolicy<'_>) -> usize {
    let longest = |uids: &[&str]| uids.iter().map(|u| u.len()).max().unwrap_or(0);
    let transfer = policy
        .transfer_syntaxes
        .iter()
        .map(|e| e.transfer_syntax_uid().len())
        .max()
        .unwrap_or(0)
        .max(IMPLICIT_VR_LITTLE_ENDIAN.len());
    // Item header, ID/reserved/result/reserved, transfer syntax sub-item.
    let context = ItemHeader::LEN + 4 + ItemHeader::LEN + transfer;
    let role = ItemHeader::LEN + 2 + longest(policy.abstract_syntaxes) + 2;
    let user_information = ItemHeader::LEN
        + (ItemHeader::LEN + 4)
        + (ItemHeader::LEN + policy.implementation_class_uid.len())
        + (ItemHeader::LEN + 4)
        + MAX_ROLE_SELECTIONS * role
        + policy
            .implementation_version_name
            .map_or(0, |v| ItemHeader::LEN + v.len())
        + (ItemHeader::LEN + 2);
    PDU_HEADER_LEN
        + AssociateFixed::LEN
        + (ItemHeader::LEN + APPLICATION_CONTEXT_NAME.len())
        + MAX_PRESENTATION_CONTEXTS * context
        + user_information
}
