//! The narrow interface between the DIMSE layer and the association that carries it.
//!
//! The DIMSE layer imports nothing from [`crate::connection`]: what it needs of the
//! association (its state, the negotiated contexts, the caller's storage, a way to queue a
//! message, to abort, to tell the application something) it asks of a [`Link`], which the
//! [`Connection`](crate::Connection) implements; what it decides it returns as values
//! ([`Start`], [`Acted`], [`TxMessage`]). The connection owns the DIMSE state
//! ([`Exchange`]) and lends it back through the same trait.
//!
//! The trait has one implementation, so every call through it is a direct call the compiler
//! inlines like the method it replaced: the layering costs no instruction (guarded by
//! `scripts/instructions`).

use super::command::CommandField;
use super::exchange::Exchange;
use super::Operation;
use crate::assoc::{Limits, Negotiated, PresentationContext, Syntaxes};
use crate::dataset::Encoding;
use crate::pdu::AbortReason;
use crate::time::Instant;
use crate::ul::State;

/// What the DIMSE layer asks of the association below it.
pub(crate) trait Link<'a> {
    /// The DIMSE state the association keeps for this layer.
    fn exchange(&self) -> &Exchange;
    /// The same, to change it.
    fn exchange_mut(&mut self) -> &mut Exchange;
    /// The DIMSE state, the receive storage and the transmit storage at once: an answer is
    /// laid out in the transmit storage from a request read where it lies in the receive
    /// storage.
    fn parts(&mut self) -> Parts<'_>;
    /// The receive storage.
    fn rx(&self) -> &[u8];
    /// The transmit storage.
    fn tx(&mut self) -> &mut [u8];

    /// The Upper Layer state.
    fn state(&self) -> State;
    /// Sizes and timeouts.
    fn limits(&self) -> &'a Limits;
    /// The policy (acceptor) or the configuration (requestor).
    fn syntaxes(&self) -> Syntaxes<'a>;
    /// The negotiation's outcome, once the association is established.
    fn negotiated(&self) -> Option<&Negotiated>;
    /// The accepted presentation context `id`.
    fn presentation_context(&self, id: u8) -> Option<PresentationContext<'a>>;
    /// The data set encoding of the accepted presentation context `id`.
    fn context_encoding(&self, id: u8) -> Option<Encoding>;
    /// The first accepted presentation context of `abstract_syntax`.
    fn context_of(&self, abstract_syntax: &str) -> Option<u8>;
    /// The presentation context of the value received last.
    fn rx_context(&self) -> u8;
    /// Whether a received response is still readable (its event polled in this drain).
    fn response_readable(&self) -> bool;

    /// Whether an outgoing message still occupies the transmit storage.
    fn tx_busy(&self) -> bool;
    /// Sends the message laid out in the transmit storage (P-DATA, Evt9).
    fn queue_message(&mut self, now: Instant, m: TxMessage);
    /// The pending slot was freed: a command held behind it can be acted on.
    fn resume_held(&mut self, now: Instant);

    /// A DIMSE-level protocol error by the peer: A-ABORT from the service provider.
    fn protocol_abort(&mut self, now: Instant, reason: AbortReason);
    /// A-ABORT from the service user, for `fault`.
    fn fault(&mut self, now: Instant, fault: Fault);

    /// Tells the application: a request waits for its answer.
    fn request_arrived(&mut self, op: Operation, message_id: u16, context_id: u8);
    /// Tells the application: the core answered a request itself.
    fn answered(&mut self, message_id: u16, context_id: u8, request: CommandField, status: u16);
    /// Tells the application: the response to its request arrived.
    fn response_arrived(
        &mut self,
        op: Operation,
        message_id: u16,
        status: u16,
        related_fields: bool,
        data_set_len: Option<usize>,
    );
}

/// The DIMSE state with both storages, borrowed together ([`Link::parts`]).
pub(crate) struct Parts<'c> {
    pub(crate) exchange: &'c mut Exchange,
    pub(crate) rx: &'c [u8],
    pub(crate) tx: &'c mut [u8],
}

/// Why the DIMSE layer aborts the association itself ([`Link::fault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Not even a bare response fits the transmit storage: a configuration error.
    TransmitStorage,
    /// A command set outgrew the receive storage and is not one that can be answered from
    /// what fitted: `received` bytes of it, `capacity` stored.
    CommandTooLarge { received: usize, capacity: usize },
    /// Our request got no response within the DIMSE timeout.
    DimseTimeout,
}

/// Where a new value goes, as the DIMSE layer decides from what the last command announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Stored from `storage.rx[base..]` (a response's data set goes after its command set).
    Store { base: usize },
    /// Read and dropped.
    Discard,
}

/// What the DIMSE layer did with a complete value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acted {
    /// The command waits (for the transmit buffer, or the application's answer).
    Wait,
    /// Done with it: the storage is free.
    Done,
    /// A response to our request is readable in the storage until its event is polled and
    /// the next `handle_input` comes.
    Readable,
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

    /// A message of a command set only (`len` bytes at the start of `storage.tx`), on
    /// `context_id`: a request, or a response without data set.
    pub(crate) const fn command_only(context_id: u8, len: usize) -> TxMessage {
        TxMessage {
            context_id,
            command: (0, len),
            data: (0, 0),
            sent: 0,
        }
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
