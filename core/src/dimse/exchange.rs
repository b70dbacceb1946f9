//! Requests and responses in flight on a [`Connection`](crate::Connection): what arrives as complete command and
//! data sets is checked generically (Message ID, state, the one-request window) and handed
//! to its operation's file (the operation table, [`Operation`]), which answers it or
//! delivers it to the application; answers and responses are laid out in the transmit
//! buffer by the operation's file too.

use core::ops::Range;

use super::command::{Command, CommandField, Response, Status};
use super::link::{Acted, ApiError, Fault, Link, Parts, Start, TxMessage};
use super::n_get::{self, NGetRequest};
use super::{c_echo, Operation};
use crate::assoc::Syntaxes;
use crate::dataset::{DataSetSource, Encoding, Tag};
use crate::pdu::{AbortReason, Uid};
use crate::service::{self, code};
use crate::time::Instant;
use crate::ul::State;

/// A request handed to the application and not answered yet.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) op: Operation,
    pub(crate) message_id: u16,
    pub(crate) context_id: u8,
    pub(crate) class: PendingClass,
    pub(crate) instance: Uid,
    /// Where the raw Attribute Identifier List lies in the receive storage. Not copied into
    /// the connection (it may be 1 KiB, which every association would carry): its command
    /// set's bytes are free once the request is announced, and [`Exchange::settle_list`]
    /// moves the list to the storage's tail, which the next values then leave alone (the
    /// storage must take the next command while this one waits: a duplicate Message ID is
    /// answered at once).
    pub(crate) list: Range<usize>,
    pub(crate) received_at: Instant,
    pub(crate) deadline: Instant,
}

impl Pending {
    /// Its Attribute Identifier List, in `rx` (the receive storage).
    pub(crate) fn list_in<'r>(&self, rx: &'r [u8]) -> &'r [u8] {
        rx.get(self.list.clone()).unwrap_or(&[])
    }
}

/// The SOP class a pending request names: the table's entry when the class has one (no
/// copy of its UID, and no second search of the table for the response's status category),
/// else a copy of its UID.
#[derive(Debug, Clone)]
pub(crate) enum PendingClass {
    Known(&'static service::SopClass),
    Other(Uid),
}

impl PendingClass {
    /// The class of a request that passed [`RequestContext::check_class`], which found its
    /// table entry (`known`) or not; `None` if its UID is not one (it was checked when the
    /// command set was decoded, so this does not happen).
    pub(crate) fn new(known: Option<&'static service::SopClass>, uid: &str) -> Option<Self> {
        match known {
            Some(c) => Some(PendingClass::Known(c)),
            None => Uid::from_checked(uid).map(PendingClass::Other),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            PendingClass::Known(c) => c.uid,
            PendingClass::Other(u) => u.as_str(),
        }
    }

    /// The table's entry.
    pub(crate) fn entry(&self) -> Option<&'static service::SopClass> {
        match self {
            PendingClass::Known(c) => Some(c),
            PendingClass::Other(_) => None,
        }
    }
}

/// What an operation's file decides about a request that passed the generic checks
/// (Message ID, state, the one-request window): the internal interface of the operation
/// table.
pub(crate) enum Disposition {
    /// The core answers at once with this status (C-ECHO, and every refusal).
    Answer(u16),
    /// The request now waits in the pending slot for the application's answer: announce
    /// it. (Written in place: a pending request holds a whole Attribute Identifier List.)
    Delivered,
}

/// What an operation's checks may know of the association and the request.
pub(crate) struct RequestContext<'x> {
    /// The command set as it lies at the start of the receive storage.
    pub(crate) command: &'x [u8],
    pub(crate) message_id: u16,
    pub(crate) context_id: u8,
    pub(crate) now: Instant,
    /// When the core answers 0110H for the application (the DIMSE timeout).
    pub(crate) deadline: Instant,
    syntaxes: Syntaxes<'x>,
    /// The abstract syntax of the context the request came on.
    abstract_syntax: Option<&'x str>,
}

impl RequestContext<'_> {
    /// Whether a SOP class we negotiate with serves `class` (itself or through a meta SOP
    /// class). Otherwise the request gets 0118H.
    pub(crate) fn serves(&self, class: &str) -> bool {
        match self.syntaxes {
            Syntaxes::Acceptor(p) => p
                .abstract_syntaxes
                .iter()
                .any(|a| service::serves_on(class, a)),
            Syntaxes::Requestor(c) => c
                .presentation_contexts
                .iter()
                .any(|pc| service::serves_on(class, pc.abstract_syntax)),
        }
    }

    /// Whether the request's context serves `class`. Otherwise the request gets 0122H.
    pub(crate) fn serves_on(&self, class: &str) -> bool {
        self.abstract_syntax
            .is_some_and(|a| service::serves_on(class, a))
    }

    /// The checks of a requested SOP class that every DIMSE-N operation shares (PS3.7
    /// §10.1): served by the association (else 0118H), on this context (else 0122H), and
    /// `op` in its class's service group (else 0211H). The class's table entry, if it has
    /// one; `Err` with the status to answer.
    #[inline]
    pub(crate) fn check_class(
        &self,
        class: &str,
        op: Operation,
    ) -> Result<Option<&'static service::SopClass>, u16> {
        // The usual case, a class asked for on a context of its own, passes both tests at
        // once: the context's abstract syntax is one the association negotiates with.
        // (The same text, often at the same address: the policy's and the decoder's UIDs
        // are both this crate's constants.)
        let own_context = self
            .abstract_syntax
            .is_some_and(|a| core::ptr::eq(a, class) || a == class);
        if !own_context {
            if !self.serves(class) {
                return Err(code::NO_SUCH_SOP_CLASS);
            }
            if !self.serves_on(class) {
                return Err(code::SOP_CLASS_NOT_SUPPORTED);
            }
        }
        match service::sop_class(class) {
            Some(known) if !known.operations.contains(op) => Err(code::UNRECOGNIZED_OPERATION),
            known => Ok(known),
        }
    }
}

/// The Requested SOP Class and Instance UIDs of a DIMSE-N request whose command set is well
/// formed and announces no data set (N-GET, N-DELETE); `Err` with 0212H (mistyped argument)
/// otherwise.
#[inline]
pub(crate) fn requested_uids<'c>(cmd: &Command<'c>) -> Result<(&'c str, &'c str), u16> {
    match (
        cmd.requested_sop_class_uid,
        cmd.requested_sop_instance_uid,
        cmd.malformed,
        cmd.has_data_set(),
    ) {
        (Some(class), Some(instance), None, false) => Ok((class, instance)),
        _ => Err(code::MISTYPED_ARGUMENT),
    }
}

/// A request we sent and whose response has not arrived.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outstanding {
    message_id: u16,
    op: Operation,
    context_id: u8,
    deadline: Instant,
    /// The response's status, once its command set arrived.
    status: Option<ResponseStatus>,
}

/// What the application learns of a response's command set with its event.
#[derive(Debug, Clone, Copy)]
struct ResponseStatus {
    code: u16,
    /// The command set carries elements beyond the status ([`Event::Response`]'s
    /// `related_fields`).
    ///
    /// [`Event::Response`]: crate::Event::Response
    related_fields: bool,
}

/// What the next data set on the association is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// None may come: the last command said so.
    Nothing,
    /// A request we answer without reading it announced one: read and drop it.
    Discard { context_id: u8 },
    /// The response to our request carries one.
    Response { context_id: u8 },
}

/// The DIMSE state of one association. The asynchronous operations window is 1 (PS3.7
/// D.3.3.3, the default): at most one request of ours outstanding, and at most one of the
/// peer's with the application.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pending: Option<Pending>,
    outstanding: Option<Outstanding>,
    expect: Expect,
    next_message_id: u16,
    /// The received response's command set is `storage.rx[..response_command_len]`, its data
    /// set follows it.
    response_command_len: usize,
    response_data_len: Option<usize>,
}

impl Exchange {
    pub(crate) const fn new() -> Self {
        Exchange {
            pending: None,
            outstanding: None,
            expect: Expect::Nothing,
            next_message_id: 1,
            response_command_len: 0,
            response_data_len: None,
        }
    }

    /// The earliest DIMSE deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let a = self.pending.as_ref().map(|p| p.deadline);
        let b = self.outstanding.map(|o| o.deadline);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A request of the peer's waits for the application's answer.
    pub(crate) fn owes_answer(&self) -> bool {
        self.pending.is_some()
    }

    /// The user has read the received response: its command set no longer occupies the
    /// receive storage.
    pub(crate) fn response_read(&mut self) {
        self.response_command_len = 0;
    }

    /// Bytes at the receive storage's tail that the pending request's Attribute Identifier
    /// List holds: no received value may use them.
    pub(crate) fn reserved(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| p.list.len())
    }

    /// Moves the Attribute Identifier List of a request just announced from its command set
    /// to the tail of `rx` (the receive storage), where [`Exchange::reserved`] keeps it.
    pub(crate) fn settle_list(&mut self, rx: &mut [u8]) {
        let Some(p) = self.pending.as_mut().filter(|p| !p.list.is_empty()) else {
            return;
        };
        let Some(tail) = rx.len().checked_sub(p.list.len()) else {
            return;
        };
        if p.list.start != tail && p.list.end <= rx.len() {
            rx.copy_within(p.list.clone(), tail);
            p.list = tail..rx.len();
        }
    }

    /// The association is over: nothing is in flight any more.
    pub(crate) fn clear(&mut self) {
        self.pending = None;
        self.outstanding = None;
        self.expect = Expect::Nothing;
    }
}

/// A response received on a requestor, readable until the next `handle_input`
/// ([`Connection::received_response`](crate::Connection::received_response)).
#[derive(Debug, Clone, Copy)]
pub struct ReceivedResponse<'c> {
    /// The response's command set (status, Error Comment, Attribute Identifier List, ...).
    pub command: Command<'c>,
    /// Its data set, when one came.
    pub data_set: Option<&'c [u8]>,
    /// The data set's encoding: the context's transfer syntax.
    pub encoding: Encoding,
}

impl Exchange {
    /// A new value starts on `context_id`: where it goes, if it is the one expected.
    pub(crate) fn value_starts(&self, context_id: u8, is_command: bool) -> Option<Start> {
        match (self.expect, is_command) {
            (Expect::Nothing, true) => Some(Start::Store { base: 0 }),
            (Expect::Discard { context_id: c }, false) if c == context_id => Some(Start::Discard),
            (Expect::Response { context_id: c }, false) if c == context_id => Some(Start::Store {
                base: self.response_command_len,
            }),
            // A data set nobody announced, a command where a data set was due, or a data
            // set on another context than its command.
            _ => None,
        }
    }
}

// ---------------------------------------------------------------- receive side

/// A complete data set of `len` bytes arrived.
pub(crate) fn data_set_received<'a>(link: &mut impl Link<'a>, now: Instant, len: usize) -> Acted {
    let expect = core::mem::replace(&mut link.exchange_mut().expect, Expect::Nothing);
    match expect {
        Expect::Response { .. } => finish_response(link, Some(len)),
        _ => {
            // A request's data set was the last thing holding back a timed-out answer.
            dimse_timeout(link, now);
            Acted::Done
        }
    }
}

/// What was done with the complete command set `bytes` (what fitted of it when it
/// outgrew the storage: `overflow` has the bytes it had).
pub(crate) fn act_on_command<'a>(
    link: &mut impl Link<'a>,
    now: Instant,
    bytes: &[u8],
    overflow: Option<usize>,
) -> Acted {
    // Decoded in place: per request, a copy of the whole struct is measurable.
    let mut cmd = Command::default();
    cmd.decode_all(bytes);
    if let (Some(received), false) = (overflow, cmd.command_field == Some(CommandField::N_GET_RQ)) {
        // Only an N-GET-RQ can be answered from what fitted (its long Attribute
        // Identifier List is its last element): abort, saying why.
        warn!("command set larger than the receive storage");
        let capacity = bytes.len();
        link.fault(now, Fault::CommandTooLarge { received, capacity });
        return Acted::Done;
    }
    let context_id = link.rx_context();
    let field = match cmd.command_field {
        Some(f) if f.is_known_response() => {
            return response_received(link, now, &cmd, f, bytes.len());
        }
        Some(f) if f.is_known_request() => f,
        // PS3.7 gives no response for a command it does not define.
        _ => {
            warn!("unknown or missing Command Field");
            link.protocol_abort(now, AbortReason::InvalidPduParameterValue);
            return Acted::Done;
        }
    };
    let Some(message_id) = cmd.message_id else {
        // Nothing to answer with: no response can name this request.
        warn!("request without a Message ID");
        link.protocol_abort(now, AbortReason::InvalidPduParameterValue);
        return Acted::Done;
    };
    if !matches!(link.state(), State::Sta6 | State::Sta8) {
        // We sent an A-RELEASE-RQ (Sta7, or a release collision): from then on we may
        // receive P-DATA but send none (PS3.8 §7.2.2; Evt9 is blank in Sta7), so the
        // request cannot be answered. Drop it, and its data set.
        warn!("request after our A-RELEASE-RQ: not answered");
        if cmd.has_data_set() {
            link.exchange_mut().expect = Expect::Discard { context_id };
        }
        return Acted::Done;
    }
    if link.tx_busy()
        || link
            .exchange()
            .pending
            .as_ref()
            .is_some_and(|p| p.message_id != message_id)
    {
        return Acted::Wait;
    }
    if cmd.has_data_set() {
        link.exchange_mut().expect = Expect::Discard { context_id };
    }
    let arrived = Arrived {
        now,
        bytes,
        field,
        message_id,
        context_id,
        overflowed: overflow.is_some(),
    };
    request_received(link, &cmd, arrived);
    Acted::Done
}

/// A request that passed the generic checks, as it arrived.
struct Arrived<'b> {
    now: Instant,
    /// Its command set.
    bytes: &'b [u8],
    field: CommandField,
    message_id: u16,
    context_id: u8,
    /// Its command set outgrew the receive storage (an N-GET-RQ: `bytes` has what fitted).
    overflowed: bool,
}

fn request_received<'a>(link: &mut impl Link<'a>, cmd: &Command<'_>, r: Arrived<'_>) {
    let Arrived {
        now,
        bytes,
        field,
        message_id,
        context_id,
        overflowed,
    } = r;
    if field == CommandField::C_CANCEL_RQ {
        // C-CANCEL has no response, and there is no C-FIND/C-GET/C-MOVE to cancel.
        return;
    }
    let op = Operation::of_request(field);
    // Every `match` on an operation in this crate is exhaustive: a new row of the table
    // does not compile until each place that must know it does (see the module docs).
    let (class, instance) = match op {
        Some(Operation::NGet) => n_get::named_uids(cmd),
        Some(Operation::CEcho) => c_echo::named_uids(cmd),
        #[cfg(test)]
        Some(Operation::NDelete) => super::n_delete::named_uids(cmd),
        // An operation the core does not carry: echo what it names.
        None => (
            cmd.requested_sop_class_uid.or(cmd.affected_sop_class_uid),
            cmd.requested_sop_instance_uid
                .or(cmd.affected_sop_instance_uid),
        ),
    };
    let status = if link.exchange().pending.is_some() {
        // `act_on_command` let through only a request reusing the pending Message ID.
        code::DUPLICATE_INVOCATION
    } else {
        let rc = RequestContext {
            command: bytes,
            message_id,
            context_id,
            now,
            deadline: now + link.limits().dimse_timeout,
            syntaxes: link.syntaxes(),
            abstract_syntax: link
                .presentation_context(context_id)
                .map(|pc| pc.abstract_syntax),
        };
        let slot = &mut link.exchange_mut().pending;
        let disposition = match op {
            // An N-GET-RQ whose Attribute Identifier List outgrew the receive storage
            // (the only request that can): 0213H, resource limitation (PS3.7
            // §10.1.2.1.9).
            _ if overflowed => Disposition::Answer(code::RESOURCE_LIMITATION),
            Some(Operation::NGet) => n_get::received(cmd, &rc, slot),
            Some(Operation::CEcho) => c_echo::received(cmd, &rc),
            #[cfg(test)]
            Some(Operation::NDelete) => super::n_delete::received(cmd, &rc, slot),
            None => Disposition::Answer(code::UNRECOGNIZED_OPERATION),
        };
        match disposition {
            Disposition::Answer(status) => status,
            Disposition::Delivered => {
                if let Some(op) = op {
                    link.request_arrived(op, message_id, context_id);
                }
                return;
            }
        }
    };
    answer(link, &r, status, class, instance);
}

/// Sends a response without data set for a request the core answers itself.
fn answer<'a>(
    link: &mut impl Link<'a>,
    r: &Arrived<'_>,
    status: u16,
    class: Option<&str>,
    instance: Option<&str>,
) {
    let Some(command_field) = r.field.response() else {
        return;
    };
    debug!("answering a request itself");
    let bare = Status::new(status);
    match bare_response(
        link.tx(),
        command_field,
        r.message_id,
        r.context_id,
        class,
        instance,
        bare,
    ) {
        Ok(m) => link.queue_message(r.now, m),
        // A transmit buffer smaller than a bare response is a configuration error.
        Err(_) => return link.fault(r.now, Fault::TransmitStorage),
    }
    link.answered(r.message_id, r.context_id, r.field, status);
}

fn response_received<'a>(
    link: &mut impl Link<'a>,
    now: Instant,
    cmd: &Command<'_>,
    field: CommandField,
    len: usize,
) -> Acted {
    let rx_context = link.rx_context();
    let expected = link.exchange().outstanding.filter(|o| {
        o.op.response() == field
            && cmd.message_id_being_responded_to == Some(o.message_id)
            && o.context_id == rx_context
            && o.status.is_none()
    });
    let (Some(mut o), Some(status)) = (expected, cmd.status) else {
        // A response to nothing we asked, or without a status.
        warn!("unexpected DIMSE response");
        link.protocol_abort(now, AbortReason::InvalidPduParameterValue);
        return Acted::Done;
    };
    // PS3.7 Annex C: the elements a status may come with.
    let related_fields = cmd.error_comment.is_some()
        || cmd.error_id.is_some()
        || cmd.offending_element.is_some()
        || cmd.attribute_identifier_list.is_some();
    o.status = Some(ResponseStatus {
        code: status,
        related_fields,
    });
    let x = link.exchange_mut();
    x.outstanding = Some(o);
    x.response_command_len = len;
    if cmd.has_data_set() {
        x.expect = Expect::Response {
            context_id: o.context_id,
        };
        // The command set stays where it is; the data set is stored after it.
        Acted::Done
    } else {
        finish_response(link, None)
    }
}

/// The response is complete: announce it; it is readable until the next `handle_input`
/// after its event is polled.
fn finish_response<'a>(link: &mut impl Link<'a>, data_len: Option<usize>) -> Acted {
    let x = link.exchange_mut();
    let Some(o) = x.outstanding.take() else {
        return Acted::Done;
    };
    x.response_data_len = data_len;
    let status = o.status.unwrap_or(ResponseStatus {
        code: code::PROCESSING_FAILURE,
        related_fields: false,
    });
    link.response_arrived(
        o.op,
        o.message_id,
        status.code,
        status.related_fields,
        data_len,
    );
    Acted::Readable
}

/// Answers an overdue request with 0110H, or aborts when our own request is overdue.
pub(crate) fn dimse_timeout<'a>(link: &mut impl Link<'a>, now: Instant) {
    let x = link.exchange_mut();
    if x.outstanding.is_some_and(|o| o.deadline <= now) {
        x.outstanding = None;
        warn!("DIMSE timeout waiting for a response");
        link.fault(now, Fault::DimseTimeout);
        return;
    }
    let overdue = x.pending.as_ref().is_some_and(|p| p.deadline <= now);
    if !overdue || link.tx_busy() {
        // An answer still being sent delays this one; it is retried when it is out.
        return;
    }
    if !matches!(link.state(), State::Sta6 | State::Sta8) {
        // The application released without answering: no P-DATA may follow our
        // A-RELEASE-RQ (PS3.8 §7.2.2), so the request is dropped.
        warn!("DIMSE timeout after our A-RELEASE-RQ: request dropped");
        link.exchange_mut().pending = None;
        return;
    }
    if let Some(p) = link.exchange().pending.as_ref() {
        let status = Status::new(code::PROCESSING_FAILURE)
            .with_error_comment("No answer from the application in time");
        let (message_id, context_id, op) = (p.message_id, p.context_id, p.op);
        let sent = send_response(link, now, &status, None);
        link.answered(message_id, context_id, op.request(), sent);
    }
}

// ---------------------------------------------------------------- SCP side

/// The N-GET request waiting for an answer ([`Connection::n_get_request`](crate::Connection::n_get_request)).
pub(crate) fn n_get_request<'c, 'a: 'c>(link: &'c impl Link<'a>) -> Option<NGetRequest<'c>> {
    let p = link
        .exchange()
        .pending
        .as_ref()
        .filter(|p| p.op == Operation::NGet)?;
    let n = link.negotiated()?;
    Some(NGetRequest {
        message_id: p.message_id,
        context: link.presentation_context(p.context_id)?,
        sop_class_uid: p.class.as_str(),
        sop_instance_uid: p.instance.as_str(),
        attribute_identifier_list: p.list_in(link.rx()),
        calling_ae: n.calling_ae,
        called_ae: n.called_ae,
        received_at: p.received_at,
    })
}

/// Answers the request `message_id` of `op` the application holds: what every
/// operation's `respond_*` shares (state, Message ID, the status rules of PS3.7 Annex C).
pub(crate) fn respond<'a>(
    link: &mut impl Link<'a>,
    now: Instant,
    op: Operation,
    message_id: u16,
    status: Status<'_>,
    data_set: Option<&dyn DataSetSource>,
) -> Result<u16, ApiError> {
    if !matches!(link.state(), State::Sta6 | State::Sta8) {
        return Err(ApiError::InvalidState);
    }
    if link
        .exchange()
        .pending
        .as_ref()
        .is_none_or(|p| p.message_id != message_id || p.op != op)
    {
        return Err(ApiError::UnknownRequest);
    }
    if link.tx_busy() {
        return Err(ApiError::Busy);
    }
    // The Error Comment is made LO text where it is written (`Response::emit`).
    // Lent on, not copied: a status is several words, and this path is per response.
    let invalid;
    let (status, data_set) = if status.elements_allowed() {
        (&status, data_set)
    } else {
        warn!("the application's status carries elements PS3.7 Annex C does not allow");
        invalid = Status::new(code::PROCESSING_FAILURE).with_error_comment(INVALID_STATUS_COMMENT);
        (&invalid, None)
    };
    let sent = send_response(link, now, status, data_set);
    // The answer frees the application's slot: a request held behind it can go.
    link.resume_held(now);
    Ok(sent)
}

/// Lays out the response to the pending request in `storage.tx`, queues it and frees
/// the pending slot; returns the status sent. The request is read where it lies: a copy
/// would put a whole Attribute Identifier List on the stack (1 KiB on the firmware).
fn send_response<'a>(
    link: &mut impl Link<'a>,
    now: Instant,
    status: &Status<'_>,
    data_set: Option<&dyn DataSetSource>,
) -> u16 {
    let Some(context_id) = link.exchange().pending.as_ref().map(|p| p.context_id) else {
        return status.code;
    };
    let encoding = link.context_encoding(context_id);
    let Parts { exchange, rx, tx } = link.parts();
    let Some(p) = exchange.pending.as_ref() else {
        return status.code;
    };
    let list = p.list_in(rx);
    let laid_out = match p.op {
        Operation::NGet => n_get::lay_out_response(tx, p, list, status, data_set, encoding),
        Operation::CEcho => c_echo::lay_out_response(tx, p, status),
        #[cfg(test)]
        Operation::NDelete => super::n_delete::lay_out_response(tx, p, *status),
    };
    exchange.pending = None;
    match laid_out {
        Ok((message, sent)) => {
            link.queue_message(now, message);
            sent
        }
        Err(sent) => {
            // Not even a bare response fits the transmit buffer.
            link.fault(now, Fault::TransmitStorage);
            sent
        }
    }
}

// ---------------------------------------------------------------- SCU side

/// Sends an N-GET-RQ ([`Connection::send_n_get`](crate::Connection::send_n_get)).
pub(crate) fn send_n_get<'a>(
    link: &mut impl Link<'a>,
    now: Instant,
    sop_class_uid: &str,
    sop_instance_uid: &str,
    attributes: Option<&[Tag]>,
) -> Result<u16, ApiError> {
    send_request(
        link,
        now,
        Operation::NGet,
        sop_class_uid,
        |tx, message_id| {
            n_get::emit_request(tx, message_id, sop_class_uid, sop_instance_uid, attributes)
        },
    )
}

/// Sends a C-ECHO-RQ on the Verification context ([`Connection::send_c_echo`](crate::Connection::send_c_echo)).
pub(crate) fn send_c_echo<'a>(link: &mut impl Link<'a>, now: Instant) -> Result<u16, ApiError> {
    send_request(
        link,
        now,
        Operation::CEcho,
        service::VERIFICATION,
        c_echo::emit_request,
    )
}

/// Sends an N-DELETE-RQ.
#[cfg(test)]
pub(crate) fn send_n_delete<'a>(
    link: &mut impl Link<'a>,
    now: Instant,
    sop_class_uid: &str,
    sop_instance_uid: &str,
) -> Result<u16, ApiError> {
    send_request(
        link,
        now,
        Operation::NDelete,
        sop_class_uid,
        |tx, message_id| {
            super::n_delete::emit_request(tx, message_id, sop_class_uid, sop_instance_uid)
        },
    )
}

/// The N-DELETE request waiting for an answer: its Message ID, SOP Class and Instance.
#[cfg(test)]
pub(crate) fn n_delete_request<'c, 'a>(link: &'c impl Link<'a>) -> Option<(u16, &'c str, &'c str)> {
    let p = link.exchange().pending.as_ref();
    let p = p.filter(|p| p.op == Operation::NDelete)?;
    Some((p.message_id, p.class.as_str(), p.instance.as_str()))
}

/// Sends the request laid out by `emit` (which writes it into the transmit storage with
/// the Message ID it is given and returns its length) for `op` on the first accepted
/// context of `class`; returns its Message ID.
fn send_request<'a>(
    link: &mut impl Link<'a>,
    now: Instant,
    op: Operation,
    class: &str,
    emit: impl FnOnce(&mut [u8], u16) -> Result<usize, ApiError>,
) -> Result<u16, ApiError> {
    if link.state() != State::Sta6 {
        return Err(ApiError::InvalidState);
    }
    if link.exchange().outstanding.is_some() || link.tx_busy() {
        return Err(ApiError::Busy);
    }
    if super::command::check_uid(class.as_bytes()).is_none() {
        return Err(ApiError::InvalidUid);
    }
    let context_id = link.context_of(class).ok_or(ApiError::UnknownContext)?;
    let deadline = now + link.limits().dimse_timeout;
    let Parts { exchange, tx, .. } = link.parts();
    let message_id = exchange.next_message_id;
    exchange.next_message_id = message_id.wrapping_add(1).max(1);
    let len = emit(tx, message_id)?;
    exchange.outstanding = Some(Outstanding {
        message_id,
        op,
        context_id,
        deadline,
        status: None,
    });
    link.queue_message(now, TxMessage::command_only(context_id, len));
    Ok(message_id)
}

/// The response announced by the last response event, until the next `handle_input`
/// ([`Connection::received_response`](crate::Connection::received_response)).
pub(crate) fn received_response<'c, 'a>(link: &'c impl Link<'a>) -> Option<ReceivedResponse<'c>> {
    let (data_set, encoding) = received_data_set(link)?;
    let command = Command::parse(link.rx().get(..link.exchange().response_command_len)?);
    Some(ReceivedResponse {
        command,
        data_set,
        encoding,
    })
}

/// The data set of the response announced by the last response event, and its encoding;
/// `None` when no response is readable
/// ([`Connection::received_data_set`](crate::Connection::received_data_set)).
pub(crate) fn received_data_set<'c, 'a>(
    link: &'c impl Link<'a>,
) -> Option<(Option<&'c [u8]>, Encoding)> {
    if !link.response_readable() {
        return None;
    }
    let x = link.exchange();
    let cmd_len = x.response_command_len;
    let data_set = match x.response_data_len {
        Some(n) => Some(link.rx().get(cmd_len..cmd_len.checked_add(n)?)?),
        None => None,
    };
    let encoding = link
        .context_encoding(link.rx_context())
        .unwrap_or(Encoding::ImplicitVrLittleEndian);
    Some((data_set, encoding))
}

/// A response without data set, laid out in `tx`: what the core answers for the application,
/// and the whole of a C-ECHO-RSP.
pub(crate) fn bare_response(
    tx: &mut [u8],
    command_field: CommandField,
    message_id: u16,
    context_id: u8,
    class: Option<&str>,
    instance: Option<&str>,
    status: Status<'_>,
) -> Result<TxMessage, crate::BufferTooSmall> {
    let rsp = Response {
        command_field,
        message_id_being_responded_to: message_id,
        affected_sop_class_uid: class,
        affected_sop_instance_uid: instance,
        has_data_set: false,
        status,
    };
    let n = rsp.emit(tx, None::<core::iter::Empty<Tag>>)?;
    Ok(TxMessage::command_only(context_id, n))
}

/// The Error Comment of a status the application gave with elements its code does not
/// allow: the request is answered 0110H with it.
pub const INVALID_STATUS_COMMENT: &str = "Invalid status from the application";

impl Status<'_> {
    /// Whether each optional element is one PS3.7 Annex C allows with the code. A status
    /// that is not is answered 0110H with [`INVALID_STATUS_COMMENT`] by
    /// [`Connection::respond_n_get`](crate::Connection::respond_n_get).
    #[cfg_attr(not(target_os = "none"), inline(always))]
    pub fn elements_allowed(&self) -> bool {
        // The usual answer carries the code alone: allowed with any code, without the table.
        if self.error_comment.is_none()
            && self.error_id.is_none()
            && self.attribute_identifier_list.is_none()
            && self.offending_element.is_none()
        {
            return true;
        }
        let allowed = service::allowed_elements(self.code);
        (self.error_comment.is_none() || allowed.error_comment)
            && (self.error_id.is_none() || allowed.error_id)
            && (self.attribute_identifier_list.is_none() || allowed.attribute_identifier_list)
            && (self.offending_element.is_none() || allowed.offending_element)
    }
}
