//! N-GET from C: the SCP reads the request and answers it, the SCU sends one and reads the
//! response.

use core::ffi::{c_char, c_int, c_void};

use dimse_core::connection::ApiError;
use dimse_core::dataset::{DataSetSource, Encoded as CoreEncoded, Encoding, Tag, MAX_REQUESTED};
use dimse_core::dimse::Status;
use dimse_core::pdu::MAX_UID_LEN;
use dimse_core::{Connection as CoreConnection, Instant};

use crate::boundary::{c_str, fill_c_chars, put, put_optional, slice, Span};
use crate::connection::{read_connection, with_connection, Connection};
use crate::data_set::{CSource, WriteFn};
use crate::{
    encoding_code, DIMSE_E_ARGUMENT, DIMSE_E_BUSY, DIMSE_E_INVALID_UID, DIMSE_E_NOTHING,
    DIMSE_E_NULL, DIMSE_E_STATE, DIMSE_E_TOO_LARGE, DIMSE_E_UNKNOWN_CONTEXT,
    DIMSE_E_UNKNOWN_REQUEST,
};

/// The receive storage that reads every N-GET-RQ the core can answer whole (a smaller one
/// answers a request with a long Attribute Identifier List 0213H).
pub const DIMSE_MAX_N_GET_RQ_LEN: usize = 1218;
/// The most tags an Attribute Identifier List may hold (a longer one is answered 0213H).
pub const DIMSE_MAX_REQUESTED: usize = 256;
/// The most bytes the caller must keep of input not taken: no unit the connection needs
/// whole is longer.
pub const DIMSE_MAX_UNIT_LEN: usize = 512;

// The header states the core's figures as numbers (cbindgen writes literals only).
const _: () = assert!(DIMSE_MAX_N_GET_RQ_LEN == dimse_core::dimse::MAX_N_GET_RQ_LEN);
const _: () = assert!(DIMSE_MAX_REQUESTED == MAX_REQUESTED);
const _: () = assert!(DIMSE_MAX_UNIT_LEN == dimse_core::pdu::MAX_UNIT_LEN);

/// The core's API error as a C code.
pub(crate) fn api_error(e: ApiError) -> c_int {
    match e {
        ApiError::InvalidState => DIMSE_E_STATE,
        ApiError::UnknownContext => DIMSE_E_UNKNOWN_CONTEXT,
        ApiError::Busy => DIMSE_E_BUSY,
        ApiError::TooLarge => DIMSE_E_TOO_LARGE,
        ApiError::UnknownRequest => DIMSE_E_UNKNOWN_REQUEST,
        ApiError::InvalidUid => DIMSE_E_INVALID_UID,
    }
}

/// The N-GET request waiting for an answer, copied for C.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NGetRequest {
    /// Message ID (0000,0110): pass it to `dimse_respond_n_get`.
    pub message_id: u16,
    /// The presentation context it came on.
    pub context_id: u8,
    /// The data set encoding of that context (`DIMSE_EXPLICIT_VR_LITTLE_ENDIAN` or
    /// `DIMSE_IMPLICIT_VR_LITTLE_ENDIAN`).
    pub encoding: u8,
    /// Requested SOP Class UID (0000,0003), NUL-terminated.
    pub sop_class_uid: [c_char; 65],
    /// Requested SOP Instance UID (0000,1001), NUL-terminated.
    pub sop_instance_uid: [c_char; 65],
    /// The number of tags in the Attribute Identifier List (0: every attribute); read
    /// them with `dimse_n_get_request_tag`.
    pub attribute_count: usize,
    /// The requestor's AE title, NUL-terminated.
    pub calling_ae: [c_char; 17],
    /// The AE title it called, NUL-terminated.
    pub called_ae: [c_char; 17],
    /// When its last fragment arrived (the `now_ms` of that `dimse_handle_input`).
    pub received_at_ms: u64,
}

/// Copies the N-GET request announced by a `DIMSE_EVENT_KIND_REQUEST` event into `*req`.
/// `DIMSE_E_NOTHING` when none waits (answered, or timed out).
///
/// # Safety
/// `c` is NULL or a connection's memory; `req` is writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_read_n_get_request(
    c: *const Connection,
    req: *mut NGetRequest,
) -> c_int {
    if req.is_null() {
        return DIMSE_E_NULL;
    }
    // SAFETY: the caller's contract.
    unsafe {
        read_connection(c, |conn| {
            let r = conn.n_get_request().ok_or(DIMSE_E_NOTHING)?;
            let encoding =
                Encoding::from_transfer_syntax(r.context.transfer_syntax).map_or(0, encoding_code);
            let mut out = NGetRequest {
                message_id: r.message_id,
                context_id: r.context.id,
                encoding,
                sop_class_uid: [0; 65],
                sop_instance_uid: [0; 65],
                attribute_count: r.requested_len(),
                calling_ae: [0; 17],
                called_ae: [0; 17],
                received_at_ms: r.received_at.as_millis(),
            };
            fill_c_chars(&mut out.sop_class_uid, r.sop_class_uid.as_bytes());
            fill_c_chars(&mut out.sop_instance_uid, r.sop_instance_uid.as_bytes());
            fill_c_chars(&mut out.calling_ae, r.calling_ae.as_bytes());
            fill_c_chars(&mut out.called_ae, r.called_ae.as_bytes());
            put(req, out)
        })
    }
}

/// The `index`th tag of the waiting request's Attribute Identifier List, as
/// `(group << 16) | element`. `DIMSE_E_ARGUMENT` past the end.
///
/// # Safety
/// `c` is NULL or a connection's memory; `tag` is writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_n_get_request_tag(
    c: *const Connection,
    index: usize,
    tag: *mut u32,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        read_connection(c, |conn| {
            let r = conn.n_get_request().ok_or(DIMSE_E_NOTHING)?;
            let t = r.requested_tags().nth(index).ok_or(DIMSE_E_ARGUMENT)?;
            put(tag, t.0)
        })
    }
}

/// The longest Error Comment read from C (the core keeps 64 characters of it).
const MAX_COMMENT_BYTES: usize = 1024;

/// The status to answer with, with its optional Error Comment.
///
/// # Safety
/// `comment` is NULL or a NUL-terminated string.
unsafe fn status<'a>(code: u16, comment: *const c_char) -> Result<Status<'a>, c_int> {
    if comment.is_null() {
        return Ok(Status::new(code));
    }
    // SAFETY: the caller's contract.
    let bytes = unsafe { c_str(comment, MAX_COMMENT_BYTES) }?;
    // Text that is not UTF-8 keeps its valid beginning: a comment is never worth an error.
    let text = match core::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => core::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or(""),
    };
    Ok(Status::new(code).with_error_comment(text))
}

fn respond(
    conn: &mut CoreConnection<'static>,
    now_ms: u64,
    message_id: u16,
    status: Status<'_>,
    source: Option<&dyn DataSetSource>,
    sent: *mut u16,
) -> Result<(), c_int> {
    let code = conn
        .respond_n_get(Instant::from_millis(now_ms), message_id, status, source)
        .map_err(api_error)?;
    // SAFETY: `sent` is NULL or writable (the caller's contract).
    unsafe { put_optional(sent, code) }
}

/// Answers the N-GET request `message_id` with `status` (and an optional Error Comment,
/// NUL-terminated, made LO text) and a data set written by `write(user_data, writer)` (NULL:
/// none). The callback runs inside this call and writes every attribute it has, in
/// ascending tag order, through the `dimse_put_*` and `dimse_begin_*`/`dimse_end_*`
/// functions; the writer keeps the attributes the request listed, in the context's
/// encoding. `*sent` (if not NULL) is the status actually sent: the core makes 0000H 0107H
/// when a requested attribute was not written, 0213H when the data set does not fit the
/// transmit storage, 0110H when the callback returns non-zero or misuses the writer.
///
/// # Safety
/// `c` is NULL or a connection's memory; `error_comment` NULL or a string; `write` a
/// function that uses its writer only during the call; `sent` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_respond_n_get(
    c: *mut Connection,
    now_ms: u64,
    message_id: u16,
    status_code: u16,
    error_comment: *const c_char,
    write: WriteFn,
    user_data: *mut c_void,
    sent: *mut u16,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            let st = status(status_code, error_comment)?;
            match write {
                Some(f) => {
                    let source = CSource::new(f, user_data);
                    respond(conn, now_ms, message_id, st, Some(&source), sent)
                }
                None => respond(conn, now_ms, message_id, st, None, sent),
            }
        })
    }
}

/// A data set encoded before (with `dimse_encode`, no filter), in both encodings; a
/// pointer may be NULL (with length 0) when its encoding is never needed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Encoded {
    /// The elements in Explicit VR Little Endian.
    pub explicit_vr_little_endian: *const u8,
    /// Their length.
    pub explicit_vr_little_endian_len: usize,
    /// The same elements in Implicit VR Little Endian.
    pub implicit_vr_little_endian: *const u8,
    /// Their length.
    pub implicit_vr_little_endian_len: usize,
}

/// Answers the N-GET request `message_id` as `dimse_respond_n_get` does, with a data set
/// encoded before (`data`; NULL: none). The bytes of the request's encoding must be there
/// (`DIMSE_E_ARGUMENT` otherwise, and the request still waits); they are copied, filtered
/// by the request's list.
///
/// # Safety
/// As `dimse_respond_n_get`; `data` NULL or pointing to valid `dimse_encoded` whose
/// buffers do not overlap the connection's memory or storage.
#[no_mangle]
pub unsafe extern "C" fn dimse_respond_n_get_encoded(
    c: *mut Connection,
    now_ms: u64,
    message_id: u16,
    status_code: u16,
    error_comment: *const c_char,
    data: *const Encoded,
    sent: *mut u16,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, spans| {
            let st = status(status_code, error_comment)?;
            let Some(d) = slice(data, usize::from(!data.is_null()))?.first() else {
                return respond(conn, now_ms, message_id, st, None, sent);
            };
            let (e, e_len) = (d.explicit_vr_little_endian, d.explicit_vr_little_endian_len);
            let (i, i_len) = (d.implicit_vr_little_endian, d.implicit_vr_little_endian_len);
            Span::of(e, e_len)?.disjoint_from(spans)?;
            Span::of(i, i_len)?.disjoint_from(spans)?;
            let encoded = CoreEncoded {
                explicit_vr_little_endian: slice(e, e_len)?,
                implicit_vr_little_endian: slice(i, i_len)?,
            };
            // The request's encoding must have its bytes: an empty slice would be an empty
            // data set, not a missing one.
            if let Some(r) = conn.n_get_request().filter(|r| r.message_id == message_id) {
                let needed = Encoding::from_transfer_syntax(r.context.transfer_syntax);
                let missing = match needed {
                    Some(Encoding::ExplicitVrLittleEndian) => e.is_null(),
                    Some(Encoding::ImplicitVrLittleEndian) => i.is_null(),
                    _ => false,
                };
                if missing {
                    return Err(DIMSE_E_ARGUMENT);
                }
            }
            respond(conn, now_ms, message_id, st, Some(&encoded), sent)
        })
    }
}

/// (SCU) Sends an N-GET-RQ for `sop_instance_uid` of `sop_class_uid` (NUL-terminated) on
/// the first accepted context of that class, asking for `tag_count` tags
/// (`(group << 16) | element`; NULL or 0: every attribute). `*message_id` (if not NULL) is
/// its Message ID; the answer comes as a `DIMSE_EVENT_KIND_RESPONSE` event.
///
/// # Safety
/// `c` NULL or a connection's memory; the strings NUL-terminated; `tags` pointing to
/// `tag_count` values; `message_id` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_send_n_get(
    c: *mut Connection,
    now_ms: u64,
    sop_class_uid: *const c_char,
    sop_instance_uid: *const c_char,
    tags: *const u32,
    tag_count: usize,
    message_id: *mut u16,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            let class = uid_arg(sop_class_uid)?;
            let instance = uid_arg(sop_instance_uid)?;
            if tag_count > MAX_REQUESTED {
                return Err(DIMSE_E_TOO_LARGE);
            }
            let raw = slice(tags, tag_count)?;
            let mut list = [Tag(0); MAX_REQUESTED];
            for (t, &r) in list.iter_mut().zip(raw) {
                *t = Tag(r);
            }
            let attributes = list.get(..raw.len()).filter(|l| !l.is_empty());
            let id = conn
                .send_n_get(Instant::from_millis(now_ms), class, instance, attributes)
                .map_err(api_error)?;
            put_optional(message_id, id)
        })
    }
}

/// A UID argument: NUL-terminated, at most 64 characters.
///
/// # Safety
/// As [`c_str`].
unsafe fn uid_arg<'a>(p: *const c_char) -> Result<&'a str, c_int> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { c_str(p, MAX_UID_LEN) }.map_err(|e| {
        if e == DIMSE_E_ARGUMENT {
            DIMSE_E_INVALID_UID
        } else {
            e
        }
    })?;
    core::str::from_utf8(bytes).map_err(|_| DIMSE_E_INVALID_UID)
}

/// (SCU) Sends a C-ECHO-RQ on the Verification context; `*message_id` (if not NULL) is its
/// Message ID.
///
/// # Safety
/// `c` NULL or a connection's memory; `message_id` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_send_c_echo(
    c: *mut Connection,
    now_ms: u64,
    message_id: *mut u16,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        with_connection(c, |conn, _| {
            let id = conn
                .send_c_echo(Instant::from_millis(now_ms))
                .map_err(api_error)?;
            put_optional(message_id, id)
        })
    }
}

/// (SCU) A response, as `dimse_received_response` reads it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Response {
    /// Message ID Being Responded To (0000,0120).
    pub message_id: u16,
    /// Status (0000,0900).
    pub status: u16,
    /// Error Comment (0000,0902), NUL-terminated (empty when absent).
    pub error_comment: [c_char; 257],
    /// The number of tags in its Attribute Identifier List (0000,1005): with 0107H, the
    /// attributes the SCP did not have.
    pub attribute_count: usize,
    /// Whether a data set came.
    pub has_data_set: bool,
    /// The data set: valid until the next `dimse_handle_input` (it lies in the
    /// connection's receive storage).
    pub data_set: *const u8,
    /// Its length.
    pub data_set_len: usize,
    /// Its encoding (`DIMSE_*_VR_LITTLE_ENDIAN`).
    pub encoding: u8,
}

/// (SCU) The data set of the response announced by the last `DIMSE_EVENT_KIND_RESPONSE`
/// event, without decoding its command set again: for a response whose event says
/// `related_fields` is false, the event's status is all the command set holds. `*data` is
/// set to the data set (valid until the next `dimse_handle_input`) and `*len` to its length,
/// or NULL and 0 when none came; `*encoding` to its encoding (`DIMSE_*_VR_LITTLE_ENDIAN`).
/// `DIMSE_E_NOTHING` when no response is readable.
///
/// # Safety
/// `c` NULL or a connection's memory; `data`, `len` and `encoding` writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_received_data_set(
    c: *const Connection,
    data: *mut *const u8,
    len: *mut usize,
    encoding: *mut u8,
) -> c_int {
    if data.is_null() || len.is_null() || encoding.is_null() {
        return DIMSE_E_NULL;
    }
    // SAFETY: the caller's contract.
    unsafe {
        read_connection(c, |conn| {
            let (set, enc) = conn.received_data_set().ok_or(DIMSE_E_NOTHING)?;
            let (p, n) = set.map_or((core::ptr::null(), 0), |d| (d.as_ptr(), d.len()));
            put(data, p)?;
            put(len, n)?;
            put(encoding, encoding_code(enc))
        })
    }
}

/// (SCU) Reads the response announced by the last `DIMSE_EVENT_KIND_RESPONSE` event, until
/// the next `dimse_handle_input`. `DIMSE_E_NOTHING` when none is readable.
///
/// # Safety
/// `c` NULL or a connection's memory; `rsp` writable.
#[no_mangle]
pub unsafe extern "C" fn dimse_received_response(
    c: *const Connection,
    rsp: *mut Response,
) -> c_int {
    if rsp.is_null() {
        return DIMSE_E_NULL;
    }
    // SAFETY: the caller's contract.
    unsafe {
        read_connection(c, |conn| {
            let r = conn.received_response().ok_or(DIMSE_E_NOTHING)?;
            let data = r.data_set.unwrap_or(&[]);
            let mut out = Response {
                message_id: r.command.message_id_being_responded_to.unwrap_or(0),
                status: r.command.status.unwrap_or(0),
                error_comment: [0; 257],
                attribute_count: r
                    .command
                    .attribute_identifier_list
                    .map_or(0, |l| l.len() / 4),
                has_data_set: r.data_set.is_some(),
                data_set: data.as_ptr(),
                data_set_len: data.len(),
                encoding: encoding_code(r.encoding),
            };
            let comment = r.command.error_comment.unwrap_or("");
            fill_c_chars(&mut out.error_comment, comment.as_bytes());
            put(rsp, out)
        })
    }
}
