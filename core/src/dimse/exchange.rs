//! Requests and responses in flight on a [`Connection`]: what arrives as complete command and
//! data sets becomes N-GET indications, automatic answers and responses; what the
//! application answers becomes an N-GET-RSP laid out in the transmit buffer.

use heapless::Vec;

use super::command::{
    CEchoRq, Command, CommandField, NGetRq, Response, Status, MAX_ERROR_COMMENT_LEN,
};
use crate::assoc::{PresentationContext, Syntaxes};
use crate::connection::{
    AbortOrigin, ApiError, Connection, Event, ResourceLimit, Timer, TxMessage,
};
use crate::dataset::{
    AttributeFilter, DataSetSource, Encoding, FilterError, Produced, Tag, WriteError, Writer,
    MAX_REQUESTED,
};
use crate::pdu::{AbortReason, AeTitle, Uid};
use crate::service::{self, code, StatusCategory};
use crate::time::Instant;
use crate::ul::State;

/// An N-GET-RQ handed to the application and not answered yet.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    message_id: u16,
    context_id: u8,
    class: Uid,
    instance: Uid,
    /// The raw Attribute Identifier List, copied so that the receive buffer can take the
    /// next command (a duplicate Message ID must be seen while this one waits).
    list: Vec<u8, { 4 * MAX_REQUESTED }>,
    received_at: Instant,
    deadline: Instant,
}

/// A request we sent and whose response has not arrived.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outstanding {
    message_id: u16,
    response: CommandField,
    context_id: u8,
    deadline: Instant,
    /// The response's status, once its command set arrived.
    status: Option<u16>,
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
    pub(crate) expect: Expect,
    next_message_id: u16,
    /// The received response's command set is `storage.rx[..response_command_len]`, its data
    /// set follows it.
    pub(crate) response_command_len: usize,
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

    /// The association is over: nothing is in flight any more.
    pub(crate) fn clear(&mut self) {
        self.pending = None;
        self.outstanding = None;
        self.expect = Expect::Nothing;
    }
}

/// An N-GET request waiting for the application's answer: the equivalent of pynetdicom's
/// `EVT_N_GET` event. Borrowed from the [`Connection`] ([`Connection::n_get_request`]).
#[derive(Debug, Clone)]
pub struct NGetRequest<'c> {
    /// Message ID (0000,0110).
    pub message_id: u16,
    /// The presentation context the request came on.
    pub context: PresentationContext<'c>,
    /// Requested SOP Class UID (0000,0003).
    pub sop_class_uid: &'c str,
    /// Requested SOP Instance UID (0000,1001).
    pub sop_instance_uid: &'c str,
    /// The Attribute Identifier List as received (4 bytes per tag); empty means every
    /// attribute, whether the element was absent or had zero length.
    pub attribute_identifier_list: &'c [u8],
    /// The requestor's AE title.
    pub calling_ae: AeTitle,
    /// The AE title the requestor called.
    pub called_ae: AeTitle,
    /// When the request's last fragment arrived (the `now` of that `handle_input`).
    pub received_at: Instant,
}

impl NGetRequest<'_> {
    /// The event's name, as pynetdicom names it.
    pub const NAME: &'static str = "N-GET";

    /// The requested tags, in request order (none: every attribute).
    pub fn requested_tags(&self) -> impl Iterator<Item = Tag> + '_ {
        self.attribute_identifier_list
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok().map(Tag::from_le_bytes))
    }

    /// The number of requested tags (0: every attribute).
    pub fn requested_len(&self) -> usize {
        self.attribute_identifier_list.len() / 4
    }
}

impl core::fmt::Display for NGetRequest<'_> {
    /// One line for logs: `N-GET #3 1.2.840.10008.5.1.1.40 / 1.2.840.10008.5.1.1.40.1, 2 attributes, PC 1, from QA_SERVER`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        NGetSummary {
            message_id: self.message_id,
            sop_class_uid: self.sop_class_uid,
            sop_instance_uid: self.sop_instance_uid,
            attributes: self.requested_len(),
            context_id: self.context.id,
            calling_ae: self.calling_ae.as_str().unwrap_or("?"),
        }
        .fmt(f)
    }
}

/// The one-line description of an N-GET request, for logs: what [`NGetRequest`]'s
/// `Display` prints, and what an adapter's owned copy of the request prints (the one place
/// for the format). Formatting costs more than answering an N-GET from a pre-encoded data
/// set, so it happens only when a log line is written.
#[derive(Debug, Clone, Copy)]
pub struct NGetSummary<'a> {
    /// Message ID.
    pub message_id: u16,
    /// Requested SOP Class UID.
    pub sop_class_uid: &'a str,
    /// Requested SOP Instance UID.
    pub sop_instance_uid: &'a str,
    /// The number of requested tags (0: every attribute).
    pub attributes: usize,
    /// The presentation context ID.
    pub context_id: u8,
    /// The requestor's AE title.
    pub calling_ae: &'a str,
}

impl core::fmt::Display for NGetSummary<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} #{} {} / {}, ",
            NGetRequest::NAME,
            self.message_id,
            self.sop_class_uid,
            self.sop_instance_uid
        )?;
        match self.attributes {
            0 => f.write_str("all attributes")?,
            n => write!(f, "{n} attributes")?,
        }
        write!(f, ", PC {}, from {}", self.context_id, self.calling_ae)
    }
}

/// A response received on a requestor, readable until the next `handle_input`
/// ([`Connection::received_response`]).
#[derive(Debug, Clone, Copy)]
pub struct ReceivedResponse<'c> {
    /// The response's command set (status, Error Comment, Attribute Identifier List, ...).
    pub command: Command<'c>,
    /// Its data set, when one came.
    pub data_set: Option<&'c [u8]>,
    /// The data set's encoding: the context's transfer syntax.
    pub encoding: Encoding,
}

impl<'a> Connection<'a> {
    // ---------------------------------------------------------------- receive side

    /// A new value starts on `context_id`: whether it is the one expected. `Some(true)`:
    /// read it without keeping it.
    pub(crate) fn value_starts(&mut self, context_id: u8, is_command: bool) -> Option<bool> {
        match (self.dimse.expect, is_command) {
            (Expect::Nothing, true) => {
                self.rx_base = 0;
                Some(false)
            }
            (Expect::Discard { context_id: c }, false) if c == context_id => Some(true),
            (Expect::Response { context_id: c }, false) if c == context_id => {
                self.rx_base = self.dimse.response_command_len;
                Some(false)
            }
            // A data set nobody announced, a command where a data set was due, or a data
            // set on another context than its command.
            _ => None,
        }
    }

    /// A complete data set arrived.
    pub(crate) fn data_set_received(&mut self, now: Instant) {
        let expect = core::mem::replace(&mut self.dimse.expect, Expect::Nothing);
        self.rx_discard = false;
        match expect {
            Expect::Response { .. } => {
                let len = self.rx_len;
                self.finish_response(Some(len));
            }
            _ => {
                self.rx_len = 0;
                // A request's data set was the last thing holding back a timed-out answer.
                self.dimse_timeout(now);
            }
        }
    }

    /// Acts on the complete command set in `storage.rx[..rx_len]`, unless it must wait (for
    /// the transmit buffer, or for the application to answer the request before it).
    pub(crate) fn process_held(&mut self, now: Instant) {
        if !self.rx_held {
            return;
        }
        // Detach the receive buffer so that the command can borrow it while `self` changes.
        let rx = core::mem::take(&mut self.storage.rx);
        let len = self.rx_len;
        let done = self.act_on_command(now, rx.get(..len).unwrap_or(&[]));
        self.storage.rx = rx;
        if done {
            self.rx_held = false;
        }
    }

    /// `false` when the command must wait.
    fn act_on_command(&mut self, now: Instant, bytes: &[u8]) -> bool {
        let cmd = Command::parse(bytes);
        if let Some(received) = self.rx_overflow {
            return self.command_overflowed(now, &cmd, received);
        }
        let context_id = self.rx_context;
        let field = match cmd.command_field {
            Some(f) if f.is_known_response() => {
                self.rx_held = false;
                self.response_received(now, &cmd, f, bytes.len());
                return true;
            }
            Some(f) if f.is_known_request() => f,
            // PS3.7 gives no response for a command it does not define.
            _ => {
                warn!("unknown or missing Command Field");
                self.protocol_abort(now, AbortReason::InvalidPduParameterValue);
                return true;
            }
        };
        let Some(message_id) = cmd.message_id else {
            // Nothing to answer with: no response can name this request.
            warn!("request without a Message ID");
            self.protocol_abort(now, AbortReason::InvalidPduParameterValue);
            return true;
        };
        if !matches!(self.state(), State::Sta6 | State::Sta8) {
            // We sent an A-RELEASE-RQ (Sta7, or a release collision): from then on we may
            // receive P-DATA but send none (PS3.8 §7.2.2; Evt9 is blank in Sta7), so the
            // request cannot be answered. Drop it, and its data set.
            warn!("request after our A-RELEASE-RQ: not answered");
            if cmd.has_data_set() {
                self.dimse.expect = Expect::Discard { context_id };
            }
            return true;
        }
        if self.tx_busy()
            || self
                .dimse
                .pending
                .as_ref()
                .is_some_and(|p| p.message_id != message_id)
        {
            return false;
        }
        if cmd.has_data_set() {
            self.dimse.expect = Expect::Discard { context_id };
        }
        self.request_received(now, &cmd, field, message_id, context_id);
        true
    }

    /// A request whose command set outgrew the receive storage (what fitted is in `cmd`): an
    /// N-GET-RQ whose long Attribute Identifier List did not fit is answered 0213H
    /// (resource limitation, PS3.7 §10.1.2.1.9); anything else cannot be answered, and the
    /// association is aborted with the reason. `false` when the answer must wait.
    fn command_overflowed(&mut self, now: Instant, cmd: &Command<'_>, received: usize) -> bool {
        let n_get = cmd.command_field == Some(CommandField::N_GET_RQ);
        let (true, Some(message_id), State::Sta6 | State::Sta8) =
            (n_get, cmd.message_id, self.state())
        else {
            self.rx_overflow = None;
            // What fitted filled the storage: its length is the storage's (which is detached
            // while a command is acted on).
            let limit = ResourceLimit {
                command_set: true,
                received,
                capacity: self.rx_len,
            };
            warn!("command set larger than the receive storage");
            self.local_abort(now, AbortOrigin::ResourceLimit(limit));
            return true;
        };
        if self.tx_busy() || self.dimse.pending.is_some() {
            return false;
        }
        self.rx_overflow = None;
        if cmd.has_data_set() {
            self.dimse.expect = Expect::Discard {
                context_id: self.rx_context,
            };
        }
        self.answer(
            now,
            CommandField::N_GET_RQ,
            message_id,
            self.rx_context,
            code::RESOURCE_LIMITATION,
            cmd.requested_sop_class_uid,
            cmd.requested_sop_instance_uid,
        );
        true
    }

    fn request_received(
        &mut self,
        now: Instant,
        cmd: &Command<'_>,
        field: CommandField,
        message_id: u16,
        context_id: u8,
    ) {
        let class = cmd.requested_sop_class_uid.or(cmd.affected_sop_class_uid);
        let instance = cmd
            .requested_sop_instance_uid
            .or(cmd.affected_sop_instance_uid);
        let answer = |c: &mut Self, status: u16| {
            c.answer(now, field, message_id, context_id, status, class, instance);
        };
        if field == CommandField::C_CANCEL_RQ {
            // C-CANCEL has no response, and there is no C-FIND/C-GET/C-MOVE to cancel.
            return;
        }
        if self.dimse.pending.is_some() {
            // `act_on_command` let through only a request reusing the pending Message ID.
            return answer(self, code::DUPLICATE_INVOCATION);
        }
        match field {
            CommandField::N_GET_RQ => self.n_get_received(now, cmd, message_id, context_id),
            CommandField::C_ECHO_RQ => {
                let status = match (cmd.affected_sop_class_uid, cmd.malformed) {
                    (Some(c), None) if self.serves_on(c, context_id) => code::SUCCESS,
                    (Some(_), None) => code::SOP_CLASS_NOT_SUPPORTED,
                    _ => code::MISTYPED_ARGUMENT,
                };
                answer(self, status);
            }
            _ => answer(self, code::UNRECOGNIZED_OPERATION),
        }
    }

    /// The service checks of an N-GET-RQ, then the event (or the refusal).
    fn n_get_received(&mut self, now: Instant, cmd: &Command<'_>, message_id: u16, ctx: u8) {
        let field = CommandField::N_GET_RQ;
        let class = cmd.requested_sop_class_uid;
        let instance = cmd.requested_sop_instance_uid;
        let answer = |c: &mut Self, status: u16| {
            c.answer(now, field, message_id, ctx, status, class, instance);
        };
        let (Some(class), Some(instance), None, false) =
            (class, instance, cmd.malformed, cmd.has_data_set())
        else {
            return answer(self, code::MISTYPED_ARGUMENT);
        };
        let list = cmd.attribute_identifier_list.unwrap_or(&[]);
        match AttributeFilter::new(list) {
            Ok(_) => {}
            Err(FilterError::BadLength) => return answer(self, code::MISTYPED_ARGUMENT),
            Err(FilterError::TooManyTags) => return answer(self, code::RESOURCE_LIMITATION),
        }
        if !self.serves(class) {
            return answer(self, code::NO_SUCH_SOP_CLASS);
        }
        if !self.serves_on(class, ctx) {
            return answer(self, code::SOP_CLASS_NOT_SUPPORTED);
        }
        if let Some(known) = service::sop_class(class) {
            if !known.n_get {
                return answer(self, code::UNRECOGNIZED_OPERATION);
            }
            if known.well_known_instance.is_some_and(|wk| wk != instance) {
                return answer(self, code::NO_SUCH_SOP_INSTANCE);
            }
        }
        let (Some(class_uid), Some(instance_uid), Ok(list)) = (
            Uid::from_checked(class),
            Uid::from_checked(instance),
            Vec::from_slice(list),
        ) else {
            return answer(self, code::MISTYPED_ARGUMENT);
        };
        self.dimse.pending = Some(Pending {
            message_id,
            context_id: ctx,
            class: class_uid,
            instance: instance_uid,
            list,
            received_at: now,
            deadline: now + self.limits.dimse_timeout,
        });
        self.push_event(Event::NGet {
            message_id,
            context_id: ctx,
        });
    }

    /// Whether any SOP class we negotiate with serves `class` (itself or through a meta SOP
    /// class). Otherwise the request gets 0118H.
    fn serves(&self, class: &str) -> bool {
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

    /// Whether context `ctx` serves `class`. Otherwise the request gets 0122H.
    fn serves_on(&self, class: &str, ctx: u8) -> bool {
        self.presentation_context(ctx)
            .is_some_and(|pc| service::serves_on(class, pc.abstract_syntax))
    }

    /// Sends a response without data set for a request the core answers itself.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &mut self,
        now: Instant,
        request: CommandField,
        message_id: u16,
        context_id: u8,
        status: u16,
        class: Option<&str>,
        instance: Option<&str>,
    ) {
        let Some(command_field) = request.response() else {
            return;
        };
        let rsp = Response {
            command_field,
            message_id_being_responded_to: message_id,
            affected_sop_class_uid: class,
            affected_sop_instance_uid: instance,
            has_data_set: false,
            status: Status::new(status),
        };
        debug!("answering a request itself");
        match rsp.emit(self.storage.tx, None::<core::iter::Empty<Tag>>) {
            Ok(n) => self.queue_message(
                now,
                TxMessage {
                    context_id,
                    command: (0, n),
                    data: (0, 0),
                    sent: 0,
                },
            ),
            // A transmit buffer smaller than a bare response is a configuration error.
            Err(_) => return self.local_abort(now, AbortOrigin::Local),
        }
        self.push_event(Event::Answered {
            message_id,
            context_id,
            command_field: request,
            status,
        });
    }

    fn response_received(
        &mut self,
        now: Instant,
        cmd: &Command<'_>,
        field: CommandField,
        len: usize,
    ) {
        let expected = self.dimse.outstanding.filter(|o| {
            o.response == field
                && cmd.message_id_being_responded_to == Some(o.message_id)
                && o.context_id == self.rx_context
                && o.status.is_none()
        });
        let (Some(mut o), Some(status)) = (expected, cmd.status) else {
            // A response to nothing we asked, or without a status.
            warn!("unexpected DIMSE response");
            return self.protocol_abort(now, AbortReason::InvalidPduParameterValue);
        };
        o.status = Some(status);
        self.dimse.outstanding = Some(o);
        self.dimse.response_command_len = len;
        if cmd.has_data_set() {
            self.dimse.expect = Expect::Response {
                context_id: o.context_id,
            };
        } else {
            self.finish_response(None);
        }
    }

    fn finish_response(&mut self, data_len: Option<usize>) {
        let Some(o) = self.dimse.outstanding.take() else {
            return;
        };
        self.dimse.response_data_len = data_len;
        self.rx_pending = true;
        let status = o.status.unwrap_or(code::PROCESSING_FAILURE);
        let ev = if o.response == CommandField::C_ECHO_RSP {
            Event::CEchoResponse {
                message_id: o.message_id,
                status,
            }
        } else {
            Event::NGetResponse {
                message_id: o.message_id,
                status,
                data_set_len: data_len,
            }
        };
        self.push_event(ev);
    }

    /// Answers an overdue request with 0110H, or aborts when our own request is overdue.
    pub(crate) fn dimse_timeout(&mut self, now: Instant) {
        if self.dimse.outstanding.is_some_and(|o| o.deadline <= now) {
            self.dimse.outstanding = None;
            warn!("DIMSE timeout waiting for a response");
            self.local_abort(now, AbortOrigin::Timeout(Timer::Dimse));
            return;
        }
        let overdue = self
            .dimse
            .pending
            .as_ref()
            .is_some_and(|p| p.deadline <= now);
        if !overdue || self.tx_busy() {
            // An answer still being sent delays this one; it is retried when it is out.
            return;
        }
        if !matches!(self.state(), State::Sta6 | State::Sta8) {
            // The application released without answering: no P-DATA may follow our
            // A-RELEASE-RQ (PS3.8 §7.2.2), so the request is dropped.
            warn!("DIMSE timeout after our A-RELEASE-RQ: request dropped");
            self.dimse.pending = None;
            return;
        }
        if let Some(p) = self.dimse.pending.take() {
            let status = Status::new(code::PROCESSING_FAILURE)
                .with_error_comment("No answer from the application in time");
            let (message_id, context_id) = (p.message_id, p.context_id);
            let sent = self.send_n_get_response(now, &p, status, None);
            self.push_event(Event::Answered {
                message_id,
                context_id,
                command_field: CommandField::N_GET_RQ,
                status: sent,
            });
        }
    }

    // ---------------------------------------------------------------- SCP API

    /// The N-GET request waiting for an answer (announced by [`Event::NGet`]).
    pub fn n_get_request(&self) -> Option<NGetRequest<'_>> {
        let p = self.dimse.pending.as_ref()?;
        let n = self.negotiated()?;
        Some(NGetRequest {
            message_id: p.message_id,
            context: self.presentation_context(p.context_id)?,
            sop_class_uid: p.class.as_str(),
            sop_instance_uid: p.instance.as_str(),
            attribute_identifier_list: &p.list,
            calling_ae: n.calling_ae,
            called_ae: n.called_ae,
            received_at: p.received_at,
        })
    }

    /// Answers the N-GET request `message_id` and returns the status actually sent.
    ///
    /// The data set is written only when the status is Success or Warning for the SOP
    /// class (a Failure never carries one), in the context's transfer syntax, keeping the
    /// top-level attributes the request listed. The core may change the status:
    /// * 0000H becomes **0107H** with the requested tags the source did not produce in the
    ///   Attribute Identifier List (PS3.7 C.4.2);
    /// * a data set too large for the transmit buffer gives **0213H** without data set;
    /// * a source that fails ([`WriteError`] other than a full buffer) gives **0110H**.
    ///
    /// * a status with an element PS3.7 Annex C does not allow with its code gives **0110H**
    ///   with the Error Comment [`INVALID_STATUS_COMMENT`].
    ///
    /// An Error Comment is made LO text: cut to 64 characters, a backslash or a control
    /// character replaced by a space. Message ID Being Responded To and the Affected SOP
    /// Class/Instance UID always come from the request.
    pub fn respond_n_get(
        &mut self,
        now: Instant,
        message_id: u16,
        status: Status<'_>,
        data_set: Option<&dyn DataSetSource>,
    ) -> Result<u16, ApiError> {
        if !matches!(self.state(), State::Sta6 | State::Sta8) {
            return Err(ApiError::InvalidState);
        }
        if self
            .dimse
            .pending
            .as_ref()
            .is_none_or(|p| p.message_id != message_id)
        {
            return Err(ApiError::UnknownRequest);
        }
        if self.tx_busy() {
            return Err(ApiError::Busy);
        }
        let Some(p) = self.dimse.pending.take() else {
            return Err(ApiError::UnknownRequest);
        };
        let comment = status.error_comment.map(ErrorComment::clean);
        let status = Status {
            error_comment: comment.as_ref().map(|c| c.as_str()),
            ..status
        };
        let sent = if status.elements_allowed() {
            self.send_n_get_response(now, &p, status, data_set)
        } else {
            warn!("the application's status carries elements PS3.7 Annex C does not allow");
            let status =
                Status::new(code::PROCESSING_FAILURE).with_error_comment(INVALID_STATUS_COMMENT);
            self.send_n_get_response(now, &p, status, None)
        };
        // The answer frees the application's slot: a request held behind it can go.
        self.process_held(now);
        Ok(sent)
    }

    /// Answers the N-GET request `message_id` with 0110H (Processing failure) and an Error
    /// Comment (any text: it is made LO text as [`Connection::respond_n_get`] says): what an
    /// adapter does when the application's handler fails or panics.
    pub fn fail_n_get(
        &mut self,
        now: Instant,
        message_id: u16,
        error_comment: &str,
    ) -> Result<u16, ApiError> {
        let status = Status::new(code::PROCESSING_FAILURE).with_error_comment(error_comment);
        self.respond_n_get(now, message_id, status, None)
    }

    /// Lays out the N-GET-RSP in `storage.tx` (data set first, its command set after it) and
    /// queues it. Returns the status sent.
    fn send_n_get_response(
        &mut self,
        now: Instant,
        p: &Pending,
        status: Status<'_>,
        data_set: Option<&dyn DataSetSource>,
    ) -> u16 {
        let class = p.class.as_str();
        let encoding = self
            .presentation_context(p.context_id)
            .and_then(|pc| Encoding::from_transfer_syntax(pc.transfer_syntax));
        let category = service::sop_class(class)
            .map_or(StatusCategory::of(status.code), |c| c.category(status.code));
        let mut status = status;
        let mut data: Option<(usize, Produced)> = None;
        if let (true, Some(source), Some(encoding)) =
            (category.is_success_or_warning(), data_set, encoding)
        {
            let filter = AttributeFilter::new(&p.list).unwrap_or_default();
            let mut w = Writer::new(self.storage.tx, encoding).with_filter(filter);
            match w.write(source) {
                Ok(()) => data = Some((w.written(), w.filter().produced())),
                Err(WriteError::BufferFull) => {
                    status = Status::new(code::RESOURCE_LIMITATION);
                }
                Err(_) => {
                    status = Status::new(code::PROCESSING_FAILURE)
                        .with_error_comment("The data set source failed");
                }
            }
        }
        // 0000H with requested attributes never produced: 0107H listing them.
        let missing = data.and_then(|(_, produced)| {
            let f = AttributeFilter::new(&p.list).ok()?.with_produced(produced);
            (status.code == code::SUCCESS && f.missing().next().is_some()).then_some(f)
        });
        if missing.is_some() {
            status = Status::new(code::ATTRIBUTE_LIST_ERROR);
        }
        let data_len = data.map_or(0, |(n, _)| n);
        let rsp = Response {
            command_field: CommandField::N_GET_RSP,
            message_id_being_responded_to: p.message_id,
            affected_sop_class_uid: Some(class),
            affected_sop_instance_uid: Some(p.instance.as_str()),
            has_data_set: data_len > 0,
            status,
        };
        let emitted = match self.storage.tx.get_mut(data_len..) {
            Some(buf) => rsp.emit(buf, missing.as_ref().map(|f| f.missing())),
            None => Err(crate::BufferTooSmall),
        };
        let message = match emitted {
            Ok(n) => TxMessage {
                context_id: p.context_id,
                command: (data_len, n),
                data: (0, data_len),
                sent: 0,
            },
            Err(_) => {
                // The command set does not fit after the data set: drop the data set.
                let rsp = Response {
                    has_data_set: false,
                    status: Status::new(code::RESOURCE_LIMITATION),
                    ..rsp
                };
                status = rsp.status;
                match rsp.emit(self.storage.tx, None::<core::iter::Empty<Tag>>) {
                    Ok(n) => TxMessage {
                        context_id: p.context_id,
                        command: (0, n),
                        data: (0, 0),
                        sent: 0,
                    },
                    Err(_) => {
                        self.local_abort(now, AbortOrigin::Local);
                        return status.code;
                    }
                }
            }
        };
        self.queue_message(now, message);
        status.code
    }

    // ---------------------------------------------------------------- SCU API

    /// Sends an N-GET-RQ for `sop_instance_uid` of `sop_class_uid` on the first accepted
    /// context of that class and returns its Message ID. `attributes: None` asks for every
    /// attribute. The answer comes as [`Event::NGetResponse`]; without one before the DIMSE
    /// timeout the association is aborted.
    pub fn send_n_get(
        &mut self,
        now: Instant,
        sop_class_uid: &str,
        sop_instance_uid: &str,
        attributes: Option<&[Tag]>,
    ) -> Result<u16, ApiError> {
        let (context_id, message_id) = self.prepare_request(sop_class_uid)?;
        if Uid::check(sop_instance_uid.as_bytes()).is_none() {
            return Err(ApiError::InvalidUid);
        }
        let n = NGetRq {
            message_id,
            requested_sop_class_uid: sop_class_uid,
            requested_sop_instance_uid: sop_instance_uid,
            attribute_identifier_list: attributes,
        }
        .emit(self.storage.tx)
        .map_err(|_| ApiError::TooLarge)?;
        self.send_request(now, context_id, message_id, CommandField::N_GET_RSP, n);
        Ok(message_id)
    }

    /// Sends a C-ECHO-RQ on the Verification context and returns its Message ID; the answer
    /// comes as [`Event::CEchoResponse`].
    pub fn send_c_echo(&mut self, now: Instant) -> Result<u16, ApiError> {
        let (context_id, message_id) = self.prepare_request(service::VERIFICATION)?;
        let n = CEchoRq {
            message_id,
            affected_sop_class_uid: service::VERIFICATION,
        }
        .emit(self.storage.tx)
        .map_err(|_| ApiError::TooLarge)?;
        self.send_request(now, context_id, message_id, CommandField::C_ECHO_RSP, n);
        Ok(message_id)
    }

    /// The context for a new request of `class`, and its Message ID.
    fn prepare_request(&mut self, class: &str) -> Result<(u8, u16), ApiError> {
        if self.state() != State::Sta6 {
            return Err(ApiError::InvalidState);
        }
        if self.dimse.outstanding.is_some() || self.tx_busy() {
            return Err(ApiError::Busy);
        }
        if Uid::check(class.as_bytes()).is_none() {
            return Err(ApiError::InvalidUid);
        }
        let context_id = self
            .presentation_contexts()
            .find(|pc| pc.abstract_syntax == class)
            .map(|pc| pc.id)
            .ok_or(ApiError::UnknownContext)?;
        let message_id = self.dimse.next_message_id;
        self.dimse.next_message_id = message_id.wrapping_add(1).max(1);
        Ok((context_id, message_id))
    }

    fn send_request(
        &mut self,
        now: Instant,
        context_id: u8,
        message_id: u16,
        response: CommandField,
        len: usize,
    ) {
        self.queue_message(
            now,
            TxMessage {
                context_id,
                command: (0, len),
                data: (0, 0),
                sent: 0,
            },
        );
        self.dimse.outstanding = Some(Outstanding {
            message_id,
            response,
            context_id,
            deadline: now + self.limits.dimse_timeout,
            status: None,
        });
    }

    /// The response announced by the last [`Event::NGetResponse`] or
    /// [`Event::CEchoResponse`], until the next `handle_input`.
    pub fn received_response(&self) -> Option<ReceivedResponse<'_>> {
        if !self.response_readable() {
            return None;
        }
        let cmd_len = self.dimse.response_command_len;
        let command = Command::parse(self.storage.rx.get(..cmd_len)?);
        let data_set = match self.dimse.response_data_len {
            Some(n) => Some(self.storage.rx.get(cmd_len..cmd_len + n)?),
            None => None,
        };
        let encoding = self
            .presentation_context(self.rx_context)
            .and_then(|pc| Encoding::from_transfer_syntax(pc.transfer_syntax))
            .unwrap_or(Encoding::ImplicitVrLittleEndian);
        Some(ReceivedResponse {
            command,
            data_set,
            encoding,
        })
    }
}

/// The Error Comment of a status the application gave with elements its code does not
/// allow: the request is answered 0110H with it.
pub const INVALID_STATUS_COMMENT: &str = "Invalid status from the application";

impl Status<'_> {
    /// Whether each optional element is one PS3.7 Annex C allows with the code. A status
    /// that is not is answered 0110H with [`INVALID_STATUS_COMMENT`] by
    /// [`Connection::respond_n_get`].
    pub fn elements_allowed(&self) -> bool {
        let allowed = service::allowed_elements(self.code);
        (self.error_comment.is_none() || allowed.error_comment)
            && (self.error_id.is_none() || allowed.error_id)
            && (self.attribute_identifier_list.is_none() || allowed.attribute_identifier_list)
            && (self.offending_element.is_none() || allowed.offending_element)
    }
}

/// An Error Comment (0000,0902) made LO text (PS3.5 Table 6.2-1): at most 64 characters,
/// a backslash or a control character replaced by a space. Any text an application or a
/// handler's error message offers becomes one, without allocating.
struct ErrorComment(heapless::String<{ 4 * MAX_ERROR_COMMENT_LEN }>);

impl ErrorComment {
    fn clean(text: &str) -> ErrorComment {
        let mut out = heapless::String::new();
        for c in text.chars().take(MAX_ERROR_COMMENT_LEN) {
            let c = if c == '\\' || c.is_control() { ' ' } else { c };
            // 64 characters of at most 4 bytes each always fit.
            let _ = out.push(c);
        }
        ErrorComment(out)
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}
