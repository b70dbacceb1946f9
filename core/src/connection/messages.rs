//! The DIMSE calls of a [`Connection`]: requests read and answered (SCP), requests sent and
//! responses read (SCU). What they do is [`crate::dimse`]'s; the connection lends that layer
//! what it needs through [`dimse::Link`], implemented here.

use super::*;
use crate::dataset::{DataSetSource, Encoding, Tag};
use crate::dimse::{Fault, Link, NGetRequest, Parts, ReceivedResponse, Status};

impl<'a> Connection<'a> {
    // ---------------------------------------------------------------- SCP

    /// The N-GET request waiting for an answer (announced by [`Event::Request`]).
    pub fn n_get_request(&self) -> Option<NGetRequest<'_>> {
        dimse::n_get_request(self)
    }

    /// Answers the N-GET request `message_id` and returns the status actually sent.
    ///
    /// The data set is written only when the status is Success or Warning for the SOP
    /// class (a Failure never carries one), in the context's transfer syntax, keeping the
    /// top-level attributes the request listed. The core may change the status:
    /// * 0000H becomes **0107H** with the requested tags the source did not produce in the
    ///   Attribute Identifier List (PS3.7 C.4.2);
    /// * a data set too large for the transmit buffer gives **0213H** without data set;
    /// * a source that fails ([`WriteError`](crate::dataset::WriteError) other than a full buffer) gives **0110H**.
    ///
    /// * a status with an element PS3.7 Annex C does not allow with its code gives **0110H**
    ///   with the Error Comment [`INVALID_STATUS_COMMENT`](crate::dimse::INVALID_STATUS_COMMENT).
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
        dimse::respond(self, now, Operation::NGet, message_id, status, data_set)
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
        let status =
            Status::new(crate::service::code::PROCESSING_FAILURE).with_error_comment(error_comment);
        self.respond_n_get(now, message_id, status, None)
    }

    /// The N-DELETE request waiting for an answer: its Message ID, SOP Class and Instance.
    #[cfg(test)]
    pub(crate) fn n_delete_request(&self) -> Option<(u16, &str, &str)> {
        dimse::n_delete_request(self)
    }

    /// Answers the N-DELETE request `message_id` (no data set).
    #[cfg(test)]
    pub(crate) fn respond_n_delete(
        &mut self,
        now: Instant,
        message_id: u16,
        status: Status<'_>,
    ) -> Result<u16, ApiError> {
        dimse::respond(self, now, Operation::NDelete, message_id, status, None)
    }

    // ---------------------------------------------------------------- SCU

    /// Sends an N-GET-RQ for `sop_instance_uid` of `sop_class_uid` on the first accepted
    /// context of that class and returns its Message ID. `attributes: None` asks for every
    /// attribute. The answer comes as [`Event::Response`]; without one before the DIMSE
    /// timeout the association is aborted.
    pub fn send_n_get(
        &mut self,
        now: Instant,
        sop_class_uid: &str,
        sop_instance_uid: &str,
        attributes: Option<&[Tag]>,
    ) -> Result<u16, ApiError> {
        dimse::send_n_get(self, now, sop_class_uid, sop_instance_uid, attributes)
    }

    /// Sends a C-ECHO-RQ on the Verification context and returns its Message ID; the answer
    /// comes as [`Event::Response`].
    pub fn send_c_echo(&mut self, now: Instant) -> Result<u16, ApiError> {
        dimse::send_c_echo(self, now)
    }

    /// Sends an N-DELETE-RQ and returns its Message ID.
    #[cfg(test)]
    pub(crate) fn send_n_delete(
        &mut self,
        now: Instant,
        sop_class_uid: &str,
        sop_instance_uid: &str,
    ) -> Result<u16, ApiError> {
        dimse::send_n_delete(self, now, sop_class_uid, sop_instance_uid)
    }

    /// The response announced by the last [`Event::Response`], until the next
    /// `handle_input`.
    pub fn received_response(&self) -> Option<ReceivedResponse<'_>> {
        dimse::received_response(self)
    }

    /// The data set of the response announced by the last [`Event::Response`] (`None`
    /// inside when it came without one) and its encoding, until the next `handle_input`;
    /// `None` when no response is readable. What [`Connection::received_response`] gives
    /// without decoding the command set again: enough when the event says the response has
    /// no `related_fields`.
    pub fn received_data_set(&self) -> Option<(Option<&[u8]>, Encoding)> {
        dimse::received_data_set(self)
    }
}

impl<'a> Link<'a> for Connection<'a> {
    #[inline(always)]
    fn exchange(&self) -> &Exchange {
        &self.dimse
    }

    #[inline(always)]
    fn exchange_mut(&mut self) -> &mut Exchange {
        &mut self.dimse
    }

    #[inline(always)]
    fn parts(&mut self) -> Parts<'_> {
        Parts {
            exchange: &mut self.dimse,
            rx: self.storage.rx,
            tx: self.storage.tx,
        }
    }

    #[inline(always)]
    fn rx(&self) -> &[u8] {
        self.storage.rx
    }

    #[inline(always)]
    fn tx(&mut self) -> &mut [u8] {
        self.storage.tx
    }

    #[inline(always)]
    fn state(&self) -> State {
        self.state
    }

    #[inline(always)]
    fn limits(&self) -> &'a Limits {
        Connection::limits(self)
    }

    #[inline(always)]
    fn syntaxes(&self) -> Syntaxes<'a> {
        self.syntaxes
    }

    #[inline(always)]
    fn negotiated(&self) -> Option<&Negotiated> {
        Connection::negotiated(self)
    }

    #[inline(always)]
    fn presentation_context(&self, id: u8) -> Option<PresentationContext<'a>> {
        Connection::presentation_context(self, id)
    }

    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn context_encoding(&self, id: u8) -> Option<Encoding> {
        self.syntaxes.accepted_encoding(self.negotiated()?, id)
    }

    fn context_of(&self, abstract_syntax: &str) -> Option<u8> {
        // The records walked once, each resolved in place (`presentation_contexts` looks
        // every record up again by its ID): once per request sent.
        let n = self.negotiated()?;
        n.contexts
            .iter()
            .filter(|r| r.result == ContextResult::Acceptance)
            .find(
                |r| matches!(self.syntaxes.resolve(r), (Some(a), Some(_)) if a == abstract_syntax),
            )
            .map(|r| r.id)
    }

    #[inline(always)]
    fn rx_context(&self) -> u8 {
        Connection::rx_context(self)
    }

    #[inline(always)]
    fn response_readable(&self) -> bool {
        Connection::response_readable(self)
    }

    #[inline(always)]
    fn tx_busy(&self) -> bool {
        Connection::tx_busy(self)
    }

    #[inline(always)]
    fn queue_message(&mut self, now: Instant, m: TxMessage) {
        Connection::queue_message(self, now, m)
    }

    #[inline(always)]
    fn resume_held(&mut self, now: Instant) {
        self.process_held(now)
    }

    #[inline(always)]
    fn protocol_abort(&mut self, now: Instant, reason: AbortReason) {
        Connection::protocol_abort(self, now, reason)
    }

    #[inline(always)]
    fn fault(&mut self, now: Instant, fault: Fault) {
        let origin = match fault {
            Fault::TransmitStorage => AbortOrigin::Local,
            Fault::CommandTooLarge { received, capacity } => {
                AbortOrigin::ResourceLimit(ResourceLimit {
                    command_set: true,
                    received,
                    capacity,
                })
            }
            Fault::DimseTimeout => AbortOrigin::Timeout(Timer::Dimse),
        };
        self.local_abort(now, origin)
    }

    #[inline(always)]
    fn request_arrived(&mut self, op: Operation, message_id: u16, context_id: u8) {
        self.push_event(Event::Request {
            op,
            message_id,
            context_id,
        })
    }

    #[inline(always)]
    fn answered(&mut self, message_id: u16, context_id: u8, request: CommandField, status: u16) {
        self.push_event(Event::Answered {
            message_id,
            context_id,
            command_field: request,
            status,
        })
    }

    #[inline(always)]
    fn response_arrived(
        &mut self,
        op: Operation,
        message_id: u16,
        status: u16,
        related_fields: bool,
        data_set_len: Option<usize>,
    ) {
        self.push_event(Event::Response {
            op,
            message_id,
            status,
            related_fields,
            data_set_len,
        })
    }
}
