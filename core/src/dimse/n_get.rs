//! N-GET (PS3.7 §10.1.2), one row of the operation table: the SCP's checks of a request
//! before the application sees it, the response laid out in the transmit buffer, and the
//! request an SCU sends.

use super::command::{Command, CommandField, NGetRq, Response, Status};
use super::exchange::{
    bare_response, requested_uids, Disposition, Pending, PendingClass, RequestContext,
};
use super::link::{ApiError, TxMessage};
use super::Operation;
use crate::assoc::PresentationContext;
use crate::dataset::{
    AttributeFilter, DataSetSource, Encoding, FilterError, Produced, Tag, WriteError, Writer,
};
use crate::pdu::{AeTitle, Uid};
use crate::service::{code, StatusCategory};
use crate::time::Instant;

/// The longest N-GET-RQ command set the core can answer other than 0213H: Command Group
/// Length, Requested SOP Class and Instance UIDs of 64 characters, Command Field, Message ID,
/// Command Data Set Type, and an Attribute Identifier List of
/// [`MAX_REQUESTED`](crate::dataset::MAX_REQUESTED) tags (PS3.7 Table 10.1-2). Receive storage
/// ([`Storage::rx`](crate::Storage)) of this many bytes reads every such request whole; with
/// less, a request whose command set does not fit is answered 0213H.
pub const MAX_N_GET_RQ_LEN: usize =
    12 + 2 * (8 + crate::pdu::MAX_UID_LEN) + 3 * (8 + 2) + 8 + 4 * crate::dataset::MAX_REQUESTED;

/// The SOP Class and Instance UIDs a request names, echoed in its response as the Affected
/// ones (PS3.7 Table 10.1-3).
pub(crate) fn named_uids<'c>(cmd: &Command<'c>) -> (Option<&'c str>, Option<&'c str>) {
    (cmd.requested_sop_class_uid, cmd.requested_sop_instance_uid)
}

/// The service checks of an N-GET-RQ (PS3.7 §10.1.2.1, PS3.4 for well-known instances):
/// the refusal's status, or the request for the application, written into `pending`.
pub(crate) fn received(
    cmd: &Command<'_>,
    rc: &RequestContext<'_>,
    pending: &mut Option<Pending>,
) -> Disposition {
    let (class, instance) = match requested_uids(cmd) {
        Ok(uids) => uids,
        Err(status) => return Disposition::Answer(status),
    };
    let list = cmd.attribute_identifier_list.unwrap_or(&[]);
    match AttributeFilter::new(list) {
        Ok(_) => {}
        Err(FilterError::BadLength) => return Disposition::Answer(code::MISTYPED_ARGUMENT),
        Err(FilterError::TooManyTags) => return Disposition::Answer(code::RESOURCE_LIMITATION),
    }
    let known = match rc.check_class(class, Operation::NGet) {
        Err(status) => return Disposition::Answer(status),
        Ok(Some(known)) if known.well_known_instance.is_some_and(|wk| wk != instance) => {
            return Disposition::Answer(code::NO_SUCH_SOP_INSTANCE);
        }
        Ok(known) => known,
    };
    let Some(class) = PendingClass::new(known, class) else {
        return Disposition::Answer(code::MISTYPED_ARGUMENT);
    };
    // The list stays in the receive storage (see `Pending::list`): where it lies there.
    let Some(at) = offset_in(rc.command, list) else {
        return Disposition::Answer(code::PROCESSING_FAILURE);
    };
    let p = pending.insert(Pending {
        op: Operation::NGet,
        message_id: rc.message_id,
        context_id: rc.context_id,
        class,
        instance: Uid::EMPTY,
        list: at..at + list.len(),
        received_at: rc.now,
        deadline: rc.deadline,
    });
    // The instance's UID copied straight into its slot.
    if !p.instance.set_checked(instance) {
        *pending = None;
        return Disposition::Answer(code::MISTYPED_ARGUMENT);
    }
    Disposition::Delivered
}

/// Where `part` starts in `whole`: 0 for an empty `part`, `None` when it is not a piece of
/// `whole` (a list is parsed out of the command set, so it always is).
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    if part.is_empty() {
        return Some(0);
    }
    let at = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (at + part.len() <= whole.len()).then_some(at)
}

/// Lays out the N-GET-RSP to `p` in `tx`: the data set first (in `encoding`, filtered by
/// the request's `list`, only for a Success or Warning status), its command set after it.
/// Returns the message and the status it carries; `Err` with the status when not even a
/// bare response fits.
#[inline]
pub(crate) fn lay_out_response(
    tx: &mut [u8],
    p: &Pending,
    list: &[u8],
    status: &Status<'_>,
    data_set: Option<&dyn DataSetSource>,
    encoding: Option<Encoding>,
) -> Result<(TxMessage, u16), u16> {
    // A status the core puts in place of the application's (never one with a borrowed
    // value: its comments are constants).
    let mut replaced: Option<Status<'static>> = None;
    let class = p.class.as_str();
    let category = p
        .class
        .entry()
        .map_or(StatusCategory::of(status.code), |c| c.category(status.code));
    let mut data: Option<(usize, Produced)> = None;
    if let (true, Some(source), Some(encoding)) =
        (category.is_success_or_warning(), data_set, encoding)
    {
        let mut w = Writer::new(tx, encoding);
        if !list.is_empty() {
            // (Without a list, the new writer's filter lets every attribute through.)
            w.set_filter(AttributeFilter::new(list).unwrap_or_default());
        }
        match w.write(source) {
            Ok(()) => data = Some((w.written(), w.filter().produced())),
            Err(WriteError::BufferFull) => {
                replaced = Some(Status::new(code::RESOURCE_LIMITATION));
            }
            Err(_) => {
                replaced = Some(
                    Status::new(code::PROCESSING_FAILURE)
                        .with_error_comment("The data set source failed"),
                );
            }
        }
    }
    // 0000H with requested attributes never produced: 0107H listing them (PS3.7 C.4.2).
    let missing = data.filter(|_| !list.is_empty()).and_then(|(_, produced)| {
        let f = AttributeFilter::new(list).ok()?.with_produced(produced);
        (status.code == code::SUCCESS && f.missing().next().is_some()).then_some(f)
    });
    if missing.is_some() {
        replaced = Some(Status::new(code::ATTRIBUTE_LIST_ERROR));
    }
    let status = replaced.as_ref().unwrap_or(status);
    let data_len = data.map_or(0, |(n, _)| n);
    let rsp = Response {
        command_field: CommandField::N_GET_RSP,
        message_id_being_responded_to: p.message_id,
        affected_sop_class_uid: Some(class),
        affected_sop_instance_uid: Some(p.instance.as_str()),
        has_data_set: data_len > 0,
        status: *status,
    };
    let emitted = match tx.get_mut(data_len..) {
        Some(buf) => rsp.emit(buf, missing.as_ref().map(|f| f.missing())),
        None => Err(crate::BufferTooSmall),
    };
    if let Ok(n) = emitted {
        let message = TxMessage {
            context_id: p.context_id,
            command: (data_len, n),
            data: (0, data_len),
            sent: 0,
        };
        return Ok((message, status.code));
    }
    // The command set does not fit after the data set: drop the data set.
    let limit = Status::new(code::RESOURCE_LIMITATION);
    let (class, instance) = (Some(class), Some(p.instance.as_str()));
    bare_response(
        tx,
        rsp.command_field,
        p.message_id,
        p.context_id,
        class,
        instance,
        limit,
    )
    .map(|m| (m, code::RESOURCE_LIMITATION))
    .map_err(|_| code::RESOURCE_LIMITATION)
}

/// Writes an N-GET-RQ into `tx` and returns its length.
pub(crate) fn emit_request(
    tx: &mut [u8],
    message_id: u16,
    sop_class_uid: &str,
    sop_instance_uid: &str,
    attributes: Option<&[Tag]>,
) -> Result<usize, ApiError> {
    if super::command::check_uid(sop_instance_uid.as_bytes()).is_none() {
        return Err(ApiError::InvalidUid);
    }
    NGetRq {
        message_id,
        requested_sop_class_uid: sop_class_uid,
        requested_sop_instance_uid: sop_instance_uid,
        attribute_identifier_list: attributes,
    }
    .emit(tx)
    .map_err(|_| ApiError::TooLarge)
}

/// An N-GET request waiting for the application's answer: the equivalent of pynetdicom's
/// `EVT_N_GET` event. Borrowed from the [`Connection`](crate::Connection)
/// ([`Connection::n_get_request`](crate::Connection::n_get_request)).
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
