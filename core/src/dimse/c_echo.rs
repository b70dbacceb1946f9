//! C-ECHO (PS3.7 §9.1.5), one row of the operation table: the SCP answers it itself, the
//! SCU sends it on the Verification context.

use super::command::{CEchoRq, Command, CommandField, Status};
use super::exchange::{bare_response, Disposition, Pending, RequestContext};
use super::link::{ApiError, TxMessage};
use crate::service::{self, code};

/// The SOP Class and Instance UIDs a request names, echoed in its response.
pub(crate) fn named_uids<'c>(cmd: &Command<'c>) -> (Option<&'c str>, Option<&'c str>) {
    (cmd.affected_sop_class_uid, cmd.affected_sop_instance_uid)
}

/// Success when the context serves the Affected SOP Class (PS3.7 §9.1.5.1).
pub(crate) fn received(cmd: &Command<'_>, rc: &RequestContext<'_>) -> Disposition {
    Disposition::Answer(match (cmd.affected_sop_class_uid, cmd.malformed) {
        (Some(c), None) if rc.serves_on(c) => code::SUCCESS,
        (Some(_), None) => code::SOP_CLASS_NOT_SUPPORTED,
        _ => code::MISTYPED_ARGUMENT,
    })
}

/// Writes a C-ECHO-RQ into `tx` and returns its length.
pub(crate) fn emit_request(tx: &mut [u8], message_id: u16) -> Result<usize, ApiError> {
    CEchoRq {
        message_id,
        affected_sop_class_uid: service::VERIFICATION,
    }
    .emit(tx)
    .map_err(|_| ApiError::TooLarge)
}

/// Lays out a C-ECHO-RSP to `p` in `tx` (no data set). The core answers C-ECHO itself, so
/// this serves only the table's completeness: a C-ECHO never waits for the application.
pub(crate) fn lay_out_response(
    tx: &mut [u8],
    p: &Pending,
    status: &Status<'_>,
) -> Result<(TxMessage, u16), u16> {
    let class = Some(p.class.as_str());
    let field = CommandField::C_ECHO_RSP;
    bare_response(tx, field, p.message_id, p.context_id, class, None, *status)
        .map(|m| (m, status.code))
        .map_err(|_| code::RESOURCE_LIMITATION)
}
