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
//!
//! ## One file per job
//!
//! `mod.rs` holds the public API and the coordination; `deframe.rs` reads incoming PDUs
//! and their items, `reassembly.rs` joins PDVs into whole values (one state, `Value`),
//! `fragment.rs` writes outgoing PDUs and cuts messages into P-DATA-TF, `executor.rs`
//! carries out the Upper Layer table's actions, `timers.rs` keeps the deadlines,
//! `closing.rs` is the small machine a closing association becomes, and `messages.rs` has
//! the DIMSE calls and implements the narrow interface through which the
//! [`crate::dimse`] layer reaches the association (that layer imports nothing from
//! here).

mod closing;
mod deframe;
mod executor;
mod fragment;
mod messages;
mod reassembly;
mod ring;
mod timers;

pub use closing::Closing;
use deframe::{Block, Neg, Phase, Rx, Step};
use executor::{Input, Outgoing};
use fragment::{max_associate_ac_len, min_output_len};
use reassembly::{Reassembly, Value};
use ring::Ring;
use timers::Timers;

use crate::assoc::{
    AcceptorNegotiation, AcceptorPolicy, ContextResult, Limits, Negotiated, PresentationContext,
    RequestorConfig, RequestorNegotiation, Syntaxes, IMPLICIT_VR_LITTLE_ENDIAN,
    MAX_PRESENTATION_CONTEXTS, MAX_ROLE_SELECTIONS,
};
use crate::codec::Writer;
pub use crate::dimse::ApiError;
use crate::dimse::{self, Acted, CommandField, Exchange, Operation, Start, TxMessage};
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
    /// While a request waits for the application's answer, its Attribute Identifier List
    /// (4 bytes a tag) is kept at the end of this storage, and what arrives meanwhile has
    /// the rest.
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
        /// Whether the command set carries elements beyond the status: Error Comment, Error
        /// ID, Offending Element or Attribute Identifier List (the related fields of PS3.7
        /// Annex C). Without them, the event and [`Connection::received_data_set`] say all
        /// there is, and [`Connection::received_response`] need not decode the command set.
        related_fields: bool,
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
        use crate::dimse::CodeDebug;
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
                .field("status", &CodeDebug(*status))
                .finish(),
            Event::Response {
                op,
                message_id,
                status,
                related_fields,
                data_set_len,
            } => f
                .debug_struct("Response")
                .field("op", op)
                .field("message_id", message_id)
                .field("status", &CodeDebug(*status))
                .field("related_fields", related_fields)
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

/// A requestor configuration that cannot produce a valid A-ASSOCIATE-RQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConfigError {
    /// No presentation context, an even or repeated ID, a context without transfer
    /// syntaxes, or more than 128.
    PresentationContexts,
}

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
    pub(crate) storage: Storage<'a>,
    rx: Rx,
    neg: Neg,
    /// The receive storage: the value being reassembled, or held, or readable.
    reassembly: Reassembly,
    /// The DIMSE layer: requests and responses in flight.
    pub(crate) dimse: Exchange,
    /// The outgoing message in `storage.tx`.
    pub(crate) tx: TxMessage,
    /// A release response waits for outgoing P-DATA to finish (AR-7 before AR-4).
    release_response_pending: bool,
    /// The last `handle_input` stopped for lack of room, not of bytes: once the room is
    /// back, `poll_output` says [`Output::Reoffer`].
    input_blocked: Option<Block>,
    /// How many bytes the last `handle_input` left unconsumed: the caller offers them again
    /// at the front of its next input, so only input beyond them is new from the peer.
    unconsumed: usize,
    /// Set by [`Connection::refuse`]: the A-ASSOCIATE-RQ gets this answer whatever the policy.
    refusal: Option<AssociateRj>,
    txq: Ring<Outgoing, TXQ_CAPACITY>,
    /// An A-ASSOCIATE-RQ/AC at the front of `txq` that did not fit the caller's `out`: laid
    /// out in `storage.tx` (free before the association is established) and handed out in
    /// pieces; its length and how much of it is out.
    staged: Option<(usize, usize)>,
    events: Ring<Event, EVENT_CAPACITY>,
    timers: Timers,
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
    /// A connection in `state` with `timers` at `now`, nothing else done yet.
    #[inline(always)]
    fn new(
        role: Role,
        syntaxes: Syntaxes<'a>,
        storage: Storage<'a>,
        state: State,
        timers: Timers,
        now: Instant,
    ) -> Self {
        Connection {
            role,
            state,
            syntaxes,
            storage,
            rx: Rx::Header,
            neg: Neg::new(role),
            reassembly: Reassembly::NEW,
            dimse: Exchange::new(),
            tx: TxMessage::EMPTY,
            release_response_pending: false,
            input_blocked: None,
            unconsumed: 0,
            refusal: None,
            txq: Ring::new(),
            staged: None,
            events: Ring::new(),
            timers,
            now,
        }
    }

    /// An acceptor on a transport connection that has just been accepted (Evt5, AE-5: ARTIM
    /// starts, waiting for the A-ASSOCIATE-RQ).
    //
    // Built in one expression, with the table's action (AE-5: start ARTIM, Sta2) applied to
    // its fields rather than through `apply` on a finished connection, and never inlined:
    // either other way the connection is built on the stack and then copied, and a firmware
    // task's stack holds it twice (measured: 5 KB of the association task's stack).
    #[inline(never)]
    pub fn acceptor(policy: &'a AcceptorPolicy<'a>, storage: Storage<'a>, now: Instant) -> Self {
        Self::new_acceptor(policy, storage, now)
    }

    /// [`Connection::acceptor`] written into `slot`, for a caller that keeps the connection in
    /// a place of its own (an embassy task's future): built where it is to stay, not in a
    /// temporary of the caller's stack frame first and copied (on a firmware task's stack,
    /// the connection's whole size while it is built).
    #[inline(never)]
    pub fn acceptor_in<'s>(
        slot: &'s mut Option<Self>,
        policy: &'a AcceptorPolicy<'a>,
        storage: Storage<'a>,
        now: Instant,
    ) -> &'s mut Self {
        slot.insert(Self::new_acceptor(policy, storage, now))
    }

    #[inline(always)]
    fn new_acceptor(policy: &'a AcceptorPolicy<'a>, storage: Storage<'a>, now: Instant) -> Self {
        const AE5: Option<Action> =
            ul::transition(State::Sta1, ul::ProtocolEvent::TransportConnectIndication);
        let (state, artim) = match AE5 {
            Some(a) => (
                a.next_state(Role::Acceptor, true),
                a.starts_artim(true)
                    .then(|| now + policy.limits.artim_timeout),
            ),
            None => (State::Sta1, None),
        };
        Self::new(
            Role::Acceptor,
            Syntaxes::Acceptor(policy),
            storage,
            state,
            Timers {
                artim,
                ..Timers::default()
            },
            now,
        )
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
            storage,
            State::Sta1,
            Timers::default(),
            Instant::ZERO,
        );
        c.apply(now, ul::ProtocolEvent::AssociateRequest, Input::Artim);
        c.apply(
            now,
            ul::ProtocolEvent::TransportConnectConfirm,
            Input::Artim,
        );
        Ok(c)
    }

    /// Sizes and timeouts: the policy's or the configuration's (read from it, not copied: it
    /// lives as long as the connection anyway).
    pub(crate) fn limits(&self) -> &'a Limits {
        match self.syntaxes {
            Syntaxes::Acceptor(p) => &p.limits,
            Syntaxes::Requestor(c) => &c.limits,
        }
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
        self.neg.outcome(Phase::Done)
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
        matches!(self.reassembly.value, Value::Response { .. })
    }

    // ---------------------------------------------------------------- input

    /// Consumes bytes received from the peer and returns how many were used.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize {
        if self.reassembly.value == (Value::Response { unread: false }) {
            // The user had the whole drain to read the response; the storage is free again.
            self.reassembly = Reassembly::NEW;
            self.dimse.response_read();
        }
        self.process_held(now);
        // Only new bytes show that the peer is alive: re-offered ones (what the last call left)
        // do not restart the network timeout, so a driver that offers its kept bytes on every
        // pass cannot keep a silent peer's association open.
        if input.len() > self.unconsumed && self.timers.network.is_some() {
            self.timers.network = Some(now + self.limits().network_timeout);
        }
        let mut used = 0;
        self.input_blocked = None;
        loop {
            let rest = input.get(used..).unwrap_or(&[]);
            if rest.is_empty() && !self.completes_without_input() {
                break;
            }
            if self.events.room() < EVENT_HEADROOM || self.txq.room() < TXQ_HEADROOM {
                self.input_blocked = Some(Block::Output);
                break;
            }
            let mid_pdu = !matches!(self.rx, Rx::Header);
            let step = self.step(now, rest);
            if mid_pdu && matches!(self.rx, Rx::Header) {
                self.timers.pdu = None;
            }
            match step {
                Step::Consumed(n) => used += n,
                Step::NeedMore => break,
                Step::Blocked => break,
            }
        }
        self.pdu_timer(now, used < input.len());
        self.unconsumed = input.len().saturating_sub(used);
        used
    }

    /// Starts the PDU timer when a PDU is left partial and the peer owes the rest, and
    /// stops it otherwise. Input held back by us (`input_blocked`) is not the peer's delay.
    fn pdu_timer(&mut self, now: Instant, unconsumed: bool) {
        let partial = !matches!(self.rx, Rx::Header) || unconsumed;
        let watched = !matches!(self.state, State::Sta1 | State::Sta2 | State::Sta13);
        if !partial || !watched || self.input_blocked.is_some() || matches!(self.rx, Rx::Discard) {
            self.timers.pdu = None;
        } else if self.timers.pdu.is_none() {
            self.timers.pdu = Some(now + self.limits().pdu_timeout);
        }
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
        timers::earliest(self.timers.next(), self.dimse.deadline())
    }

    /// Fires every timer whose deadline is at or before `now`. Spurious calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Each expiry may change the state (and stop other timers), so one at a time, in
        // ARTIM, ACSE, network, PDU order; at most once each, even for a zero timeout that
        // an action restarts at `now`.
        for _ in 0..4 {
            let Some(input) = self.timers.take_due(now) else {
                break;
            };
            self.dispatch(now, input);
        }
        dimse::dimse_timeout(self, now);
    }

    // ---------------------------------------------------------------- output

    /// What the caller must do next: write a PDU, handle an event, offer held-back input
    /// again, or wait. Call it after every call that changes the connection, until it
    /// returns [`Output::Idle`]; it returns `Idle` only when nothing else is pending, so the
    /// loop ends by construction.
    ///
    /// PDUs come first, in the order the state machine queued them, then events, then
    /// [`Output::Reoffer`]. A PDU is written at the start of `out`: P-DATA is cut to fit both
    /// `out` and the peer's maximum, the other PDUs are written whole, except an
    /// A-ASSOCIATE-RQ/AC larger than `out`: that one is laid out in the transmit storage and
    /// handed out in pieces of `out`'s size, one per call (the bytes on the wire are the
    /// same; nothing else goes out before its last piece). `Err` means `out` cannot hold the
    /// next PDU and the transmit storage cannot either (only an A-ASSOCIATE-RQ/AC can be that
    /// large), or `out` is empty; the PDU stays queued. An `out` of
    /// [`Connection::min_output_len`] bytes never fails.
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
        // What held input back is gone: the queues are empty here, so held-back output
        // is; the receive storage is free unless a command still waits for the
        // application's answer (a polled response frees it at the next `handle_input`).
        let unblocked = match self.input_blocked {
            Some(Block::Output) => true,
            Some(Block::Storage) => !matches!(self.reassembly.value, Value::Held { .. }),
            None => false,
        };
        if unblocked {
            self.input_blocked = None;
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
    /// association. The largest A-ASSOCIATE-RQ or -AC it can send (the requestor's exact
    /// request; for an acceptor, an answer to the most presentation contexts a request can
    /// carry with the policy's longest syntaxes) goes out in pieces when the transmit storage
    /// holds it, and then this is the smallest P-DATA-TF (14 bytes); otherwise it is that
    /// PDU's length. Any other PDU is smaller, and P-DATA is cut to fit; an `out` of the
    /// peer's maximum PDU length plus the 6-byte PDU header sends P-DATA in the fewest PDUs.
    pub fn min_output_len(&self) -> usize {
        let associate = match self.syntaxes {
            Syntaxes::Requestor(_) => self.associate_rq().map_or(0, |rq| rq.buffer_len()),
            Syntaxes::Acceptor(p) => max_associate_ac_len(p),
        };
        min_output_len(associate, self.storage.tx.len())
    }

    /// [`Connection::min_output_len`] of an acceptor with `policy` and `tx_len` bytes of
    /// transmit storage, before it exists: a transport can size its buffers, the output
    /// room among them, before it lends them.
    pub fn acceptor_min_output_len(policy: &AcceptorPolicy<'_>, tx_len: usize) -> usize {
        min_output_len(max_associate_ac_len(policy), tx_len)
    }

    /// The next event, if any (through [`Connection::poll_output`]).
    fn poll_event(&mut self) -> Option<Event> {
        let ev = self.events.pop_front()?;
        if matches!(ev, Event::Response { .. }) {
            self.reassembly.value = Value::Response { unread: false };
        }
        Some(ev)
    }

    /// Writes the next PDU (or the next piece of a staged A-ASSOCIATE-RQ/AC) into `out` and
    /// returns its length, or `None` when nothing is waiting. P-DATA is cut to fit both the
    /// peer's maximum and `out`. `Err` means `out` cannot hold the next PDU, nor the
    /// transmit storage (an A-ASSOCIATE-AC needs room for all its contexts; any other PDU
    /// fits in [`MAX_UNIT_LEN`] bytes); the PDU stays queued. Out of line: `poll_output`'s
    /// other answers (an event, idle) then need no large frame.
    #[inline(never)]
    fn poll_transmit(&mut self, out: &mut [u8]) -> Result<Option<usize>, BufferTooSmall> {
        let Some(&next) = self.txq.front() else {
            return Ok(None);
        };
        // Whether the PDU came from the transmit storage (P-DATA, or a staged one).
        let mut from_storage = next == Outgoing::PData || self.staged.is_some();
        let (n, done) = match next {
            Outgoing::AssociateRq | Outgoing::AssociateAc => {
                if self.staged.is_none() {
                    let whole = match next {
                        Outgoing::AssociateRq => self.emit_associate_rq(out),
                        _ => self.emit_associate_ac(out),
                    };
                    match whole {
                        Ok(n) => (n, true),
                        Err(BufferTooSmall) => {
                            self.stage(next)?;
                            from_storage = true;
                            self.hand_out_staged(out)?
                        }
                    }
                } else {
                    self.hand_out_staged(out)?
                }
            }
            Outgoing::AssociateRj(rj) => (rj.emit(out)?, true),
            Outgoing::ReleaseRq => (ReleaseRq.emit(out)?, true),
            Outgoing::ReleaseRp => (ReleaseRp.emit(out)?, true),
            Outgoing::Abort(a) => (a.emit(out)?, true),
            Outgoing::PData => self.emit_pdata(out)?,
        };
        if !done {
            return Ok(Some(n));
        }
        self.txq.pop_front();
        if from_storage {
            if next == Outgoing::PData {
                self.tx = TxMessage::EMPTY;
            }
            // The transmit buffer is free: a held command or an overdue answer can go now.
            let now = self.now;
            self.process_held(now);
            dimse::dimse_timeout(self, now);
            if self.release_response_pending && !self.release_must_wait() {
                self.release_response_pending = false;
                self.dispatch(now, Input::ReleaseResponse);
            }
        }
        Ok(Some(n))
    }
}
