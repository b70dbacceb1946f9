//! N-DELETE (PS3.7 §10.1.6), the test-only row of the operation table: built in this crate's
//! own tests only, to walk the checklist in [`crate::dimse`]'s docs for adding an operation
//! and prove it complete (`dimse::tests`, the last test of this file). Every place it touches
//! carries `#[cfg(test)]`: `grep -rn NDelete core/src` lists them.
//!
//! The SCP checks an N-DELETE-RQ as it checks an N-GET-RQ (class served on the context,
//! operation in the class's service group) and hands it to the application, which answers
//! it with a status; neither request nor response carries a data set (PS3.7 Tables 10.3-11
//! and 10.3-12).

use super::command::{Command, NDeleteRq, Status};
use super::exchange::{
    bare_response, requested_uids, Disposition, Pending, PendingClass, RequestContext,
};
use super::link::{ApiError, TxMessage};
use super::Operation;
use crate::pdu::Uid;
use crate::service::code;

/// The Requested SOP Class and Instance UIDs, echoed as the Affected ones.
pub(crate) fn named_uids<'c>(cmd: &Command<'c>) -> (Option<&'c str>, Option<&'c str>) {
    (cmd.requested_sop_class_uid, cmd.requested_sop_instance_uid)
}

/// The service checks of an N-DELETE-RQ (PS3.7 §10.1.6.1).
pub(crate) fn received(
    cmd: &Command<'_>,
    rc: &RequestContext<'_>,
    pending: &mut Option<Pending>,
) -> Disposition {
    let (class, instance) = match requested_uids(cmd) {
        Ok(uids) => uids,
        Err(status) => return Disposition::Answer(status),
    };
    let known = match rc.check_class(class, Operation::NDelete) {
        Ok(known) => known,
        Err(status) => return Disposition::Answer(status),
    };
    let (Some(class), Some(instance)) =
        (PendingClass::new(known, class), Uid::from_checked(instance))
    else {
        return Disposition::Answer(code::MISTYPED_ARGUMENT);
    };
    *pending = Some(Pending {
        op: Operation::NDelete,
        message_id: rc.message_id,
        context_id: rc.context_id,
        class,
        instance,
        list: 0..0,
        received_at: rc.now,
        deadline: rc.deadline,
    });
    Disposition::Delivered
}

/// Lays out the N-DELETE-RSP to `p` (no data set).
pub(crate) fn lay_out_response(
    tx: &mut [u8],
    p: &Pending,
    status: Status<'_>,
) -> Result<(TxMessage, u16), u16> {
    let (class, instance) = (Some(p.class.as_str()), Some(p.instance.as_str()));
    let field = Operation::NDelete.response();
    bare_response(
        tx,
        field,
        p.message_id,
        p.context_id,
        class,
        instance,
        status,
    )
    .map(|m| (m, status.code))
    .map_err(|_| code::RESOURCE_LIMITATION)
}

/// Writes an N-DELETE-RQ into `tx` and returns its length.
pub(crate) fn emit_request(
    tx: &mut [u8],
    message_id: u16,
    sop_class_uid: &str,
    sop_instance_uid: &str,
) -> Result<usize, ApiError> {
    if super::command::check_uid(sop_instance_uid.as_bytes()).is_none() {
        return Err(ApiError::InvalidUid);
    }
    NDeleteRq {
        message_id,
        requested_sop_class_uid: sop_class_uid,
        requested_sop_instance_uid: sop_instance_uid,
    }
    .emit(tx)
    .map_err(|_| ApiError::TooLarge)
}

/// The walk's proof: an SCU and an SCP built from the public constructors carry N-DELETE end
/// to end through the table, and the rules every operation shares hold for it.
mod tests {
    use crate::assoc::{AcceptorPolicy, RequestorConfig};
    use crate::dimse::{Command, Operation, Status};
    use crate::pdu::AeTitle;
    use crate::pdu::PresentationContextRq;
    use crate::service::{code, DISPLAY_SYSTEM, RT_CONVENTIONAL_MACHINE_VERIFICATION};
    use crate::{Connection, Event, Instant, Output, Storage};

    type Events = heapless::Vec<Event, 8>;

    /// Everything `from` transmits, fed to `to`: the events `from` gives as it drains, and
    /// those `to` gives before its own next transmit (it drains the rest as a sender).
    fn carry(from: &mut Connection<'_>, to: &mut Connection<'_>) -> (Events, Events) {
        let mut out = [0u8; 4096];
        let (mut own, mut events) = (Events::new(), Events::new());
        loop {
            match from.poll_output(&mut out) {
                Ok(Output::Transmit(n)) => {
                    let mut bytes = &out[..n];
                    while !bytes.is_empty() {
                        let used = to.handle_input(Instant::ZERO, bytes);
                        bytes = &bytes[used..];
                        while let Ok(Output::Event(ev)) = to.poll_output(&mut []) {
                            events.push(ev).unwrap();
                        }
                    }
                }
                Ok(Output::Event(ev)) => own.push(ev).unwrap(),
                Ok(Output::Reoffer) => {}
                Ok(Output::Idle { .. }) => return (own, events),
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn n_delete_walks_the_table_end_to_end() {
        let now = Instant::ZERO;
        let title = |s| AeTitle::new(s).unwrap();
        let served = [RT_CONVENTIONAL_MACHINE_VERIFICATION, DISPLAY_SYSTEM];
        let policy = AcceptorPolicy::new(title("MACHINE"), &served);
        let ts = ["1.2.840.10008.1.2"];
        let contexts = [
            PresentationContextRq {
                id: 1,
                abstract_syntax: RT_CONVENTIONAL_MACHINE_VERIFICATION,
                transfer_syntaxes: &ts,
            },
            PresentationContextRq {
                id: 3,
                abstract_syntax: DISPLAY_SYSTEM,
                transfer_syntaxes: &ts,
            },
        ];
        let config = RequestorConfig::new(title("QA"), title("MACHINE"), &contexts);
        let (mut rx, mut tx, mut rx2, mut tx2) = ([0; 1024], [0; 1024], [0; 1024], [0; 1024]);
        let mut scp = Connection::acceptor(
            &policy,
            Storage {
                rx: &mut rx,
                tx: &mut tx,
            },
            now,
        );
        let storage = Storage {
            rx: &mut rx2,
            tx: &mut tx2,
        };
        let mut scu = Connection::requestor(&config, storage, now).unwrap();
        carry(&mut scu, &mut scp);
        carry(&mut scp, &mut scu);
        assert!(scu.is_established() && scp.is_established());

        // 1-5: the request goes out, passes the checks and reaches the application.
        let instance = "1.2.3.4.5";
        let sent = scu
            .send_n_delete(now, RT_CONVENTIONAL_MACHINE_VERIFICATION, instance)
            .unwrap();
        let (_, events) = carry(&mut scu, &mut scp);
        assert!(
            matches!(events[..], [Event::Request { op: Operation::NDelete, message_id, context_id: 1 }] if message_id == sent),
            "{events:?}"
        );
        // Its own accessor reads it; N-GET's does not, nor does N-GET's answer fit it.
        let (id, class, named) = scp.n_delete_request().unwrap();
        assert_eq!(
            (id, class, named),
            (sent, RT_CONVENTIONAL_MACHINE_VERIFICATION, instance)
        );
        assert!(scp.n_get_request().is_none());
        assert!(scp.respond_n_get(now, id, Status::SUCCESS, None).is_err());
        // The shared status rules apply: an Error Comment with 0000H becomes 0110H.
        let bad = Status::SUCCESS.with_error_comment("not allowed with Success");
        assert_eq!(
            scp.respond_n_delete(now, id, bad),
            Ok(code::PROCESSING_FAILURE)
        );

        // The response comes back as the general event (with a related field: the Error
        // Comment of 0110H), its command set as PS3.7 Table 10.3-12 lays it out.
        let (_, events) = carry(&mut scp, &mut scu);
        assert!(
            matches!(events[..], [Event::Response { op: Operation::NDelete, message_id, status: code::PROCESSING_FAILURE, related_fields: true, data_set_len: None }] if message_id == sent),
            "{events:?}"
        );
        let rsp = scu.received_response().unwrap();
        let Command {
            command_field,
            message_id_being_responded_to,
            affected_sop_class_uid,
            affected_sop_instance_uid,
            ..
        } = rsp.command;
        assert_eq!(command_field, Some(Operation::NDelete.response()));
        assert_eq!(message_id_being_responded_to, Some(sent));
        assert_eq!(
            affected_sop_class_uid,
            Some(RT_CONVENTIONAL_MACHINE_VERIFICATION)
        );
        assert_eq!(affected_sop_instance_uid, Some(instance));

        // A class whose service group has no N-DELETE: the core answers 0211H itself.
        let sent = scu.send_n_delete(now, DISPLAY_SYSTEM, instance).unwrap();
        carry(&mut scu, &mut scp);
        let (answered, events) = carry(&mut scp, &mut scu);
        assert!(
            matches!(answered[..], [Event::Answered { message_id, status: code::UNRECOGNIZED_OPERATION, .. }] if message_id == sent),
            "{answered:?}"
        );
        assert!(matches!(
            events[..],
            [Event::Response {
                op: Operation::NDelete,
                status: code::UNRECOGNIZED_OPERATION,
                ..
            }]
        ));
    }
}
