//! DIMSE over the in-memory pair: N-GET and C-ECHO, SCU core against SCP core.

mod common;

use common::*;
use dimse_core::assoc::RequestorConfig;
use dimse_core::dataset::{Attribute, Encoding, Tag, Value, Vr};
use dimse_core::dimse::Operation;
use dimse_core::dimse::{CommandField, Status};
use dimse_core::{Duration, Event, Instant};

const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);
const SERIAL: Tag = Tag::new(0x0018, 0x1000);
const INSTANCE: &str = "1.2.840.10008.5.1.1.40.1";

static DISPLAY: [Attribute<'static>; 2] = [
    Attribute::new(MANUFACTURER, Value::Str(Vr::LO, "ACME")),
    Attribute::new(SERIAL, Value::Str(Vr::LO, "SN-1")),
];

#[test]
fn n_get_success_and_c_echo() {
    let mut p = Pair::associated(7);
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    let ev = *p.acc.events.last().unwrap();
    assert_eq!(
        ev,
        Event::Request {
            op: Operation::NGet,
            message_id: id,
            context_id: 1
        }
    );
    let rq = p.acc.conn.n_get_request().unwrap();
    assert_eq!(rq.sop_instance_uid, INSTANCE);
    assert_eq!(rq.requested_len(), 0);
    assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0x0000);
    let r = p.req.responses.last().unwrap();
    assert_eq!(r.status, 0);
    assert!(r.data_set.as_ref().unwrap().len() > 8);

    let echo = p.req.conn.send_c_echo(p.now).unwrap();
    p.run();
    assert!(p.acc.events.contains(&Event::Answered {
        message_id: echo,
        context_id: 3,
        command_field: CommandField::C_ECHO_RQ,
        status: 0
    }));
    assert!(matches!(
        p.req.events.last(),
        Some(Event::Response {
            op: Operation::CEcho,
            status: 0,
            ..
        })
    ));
}

#[test]
fn missing_attributes_give_0107_with_the_list() {
    let mut p = Pair::associated(100_000);
    let asked = [MANUFACTURER, Tag::new(0x0028, 0x7008)];
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, Some(&asked))
        .unwrap();
    p.run();
    assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0x0107);
    let r = p.req.responses.last().unwrap();
    assert_eq!(r.status, 0x0107);
    assert_eq!(r.attribute_list, vec![Tag::new(0x0028, 0x7008)]);
    assert!(r.data_set.is_some());
}

// ---------------------------------------------------------------- raw requests to the SCP

use dimse_core::connection::{AbortOrigin, ApiError};
use dimse_core::dimse::{CEchoRq, Command, NGetRq, INVALID_STATUS_COMMENT};
use dimse_core::pdu::{Abort, AbortReason, AbortSource, MessageControlHeader, PDataTf, Pdv};
use dimse_testkit::hostile::raw_command;

/// One P-DATA-TF with one PDV.
fn pdv(context_id: u8, command: bool, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; data.len() + 12];
    let n = PDataTf {
        pdvs: &[Pdv {
            context_id,
            control: MessageControlHeader::new(command, true),
            data,
        }],
    }
    .emit(&mut out)
    .unwrap();
    out.truncate(n);
    out
}

fn n_get(message_id: u16, class: &str, instance: &str, list: Option<&[Tag]>) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let n = NGetRq {
        message_id,
        requested_sop_class_uid: class,
        requested_sop_instance_uid: instance,
        attribute_identifier_list: list,
    }
    .emit(&mut buf)
    .unwrap();
    buf.truncate(n);
    buf
}

/// The responses (command sets) in the acceptor's output.
fn responses(out: &[u8]) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let mut rest = out;
    while rest.len() >= 6 {
        let len = u32::from_be_bytes(rest[2..6].try_into().unwrap()) as usize;
        if rest[0] == 4 && rest[11] & 1 == 1 {
            v.push(rest[12..6 + len].to_vec());
        }
        rest = &rest[6 + len..];
    }
    v
}

/// Feeds raw bytes to the associated acceptor; returns the command sets it answered.
fn send(p: &mut Pair, bytes: &[u8]) -> Vec<Vec<u8>> {
    let out = p.acc.feed(p.now, bytes, 5);
    responses(&out)
}

fn answered(p: &Pair) -> Vec<(u16, u16)> {
    p.acc
        .events
        .iter()
        .filter_map(|e| match *e {
            Event::Answered {
                message_id, status, ..
            } => Some((message_id, status)),
            _ => None,
        })
        .collect()
}

#[test]
fn refusals_before_the_application() {
    let mut p = Pair::associated(1000);
    let wrong_instance = "1.2.840.10008.5.1.1.40.2";
    let cases: Vec<(Vec<u8>, u8, u16, &str)> = vec![
        // A class nobody negotiated: no such SOP class.
        (
            n_get(10, "1.2.840.10008.5.1.1.16", INSTANCE, None),
            1,
            0x0118,
            "0118",
        ),
        // Served (Verification) but not on the Display System context.
        (n_get(11, VERIFICATION, INSTANCE, None), 1, 0x0122, "0122"),
        // Not the well-known instance.
        (
            n_get(12, DISPLAY_SYSTEM, wrong_instance, None),
            1,
            0x0112,
            "0112",
        ),
        // N-GET of Verification on its own context: not an operation it has.
        (
            n_get(13, VERIFICATION, INSTANCE, None),
            3,
            0x0211,
            "0211 n-get verification",
        ),
    ];
    for (command, ctx, status, what) in cases {
        let rsp = send(&mut p, &pdv(ctx, true, &command));
        assert_eq!(rsp.len(), 1, "{what}");
        let c = Command::parse(&rsp[0]);
        assert_eq!(c.status, Some(status), "{what}");
        assert_eq!(c.command_field, Some(CommandField::N_GET_RSP));
        assert!(!c.has_data_set(), "{what}");
    }
    // The affected UIDs come from the request.
    let rsp = send(
        &mut p,
        &pdv(1, true, &n_get(14, DISPLAY_SYSTEM, wrong_instance, None)),
    );
    let c = Command::parse(&rsp[0]);
    assert_eq!(c.affected_sop_instance_uid, Some(wrong_instance));
    assert_eq!(c.message_id_being_responded_to, Some(14));
    assert_eq!(
        answered(&p),
        vec![
            (10, 0x0118),
            (11, 0x0122),
            (12, 0x0112),
            (13, 0x0211),
            (14, 0x0112)
        ]
    );
    assert!(p.acc.conn.is_established());
}

#[test]
fn mistyped_and_oversized_requests() {
    let mut p = Pair::associated(1000);
    let id = 21u16.to_le_bytes();
    let ngetrq = 0x0110u16.to_le_bytes();
    let none = 0x0101u16.to_le_bytes();
    let class = b"1.2.840.10008.5.1.1.40\0\0";
    // Without Requested SOP Instance UID.
    let no_instance = raw_command(&[
        (0x0003, class),
        (0x0100, &ngetrq),
        (0x0110, &id),
        (0x0800, &none),
    ]);
    // An Attribute Identifier List of 6 bytes.
    let odd = raw_command(&[
        (0x0003, class),
        (0x0100, &ngetrq),
        (0x0110, &id),
        (0x0800, &none),
        (0x1001, b"1.2.840.10008.5.1.1.40.1\0\0"),
        (0x1005, &[8, 0, 0x70, 0, 8, 0]),
    ]);
    // A malformed UID.
    let bad_uid = raw_command(&[
        (0x0003, b"1.2.840.10008.5.1.1.4O"),
        (0x0100, &ngetrq),
        (0x0110, &id),
        (0x0800, &none),
        (0x1001, b"1.2.840.10008.5.1.1.40.1\0\0"),
    ]);
    for (what, cmd) in [
        ("no instance", no_instance),
        ("odd list", odd),
        ("bad uid", bad_uid),
    ] {
        let rsp = send(&mut p, &pdv(1, true, &cmd));
        assert_eq!(rsp.len(), 1, "{what}");
        let c = Command::parse(&rsp[0]);
        assert_eq!(c.status, Some(0x0212), "{what}");
        assert_eq!(c.message_id_being_responded_to, Some(21), "{what}");
    }
    // 257 tags: more than the filter holds.
    let many: Vec<Tag> = (1..=257).map(|e| Tag::new(0x0009, e)).collect();
    let rsp = send(
        &mut p,
        &pdv(1, true, &n_get(22, DISPLAY_SYSTEM, INSTANCE, Some(&many))),
    );
    assert_eq!(Command::parse(&rsp[0]).status, Some(0x0213));
    assert!(p.acc.conn.is_established());
}

#[test]
fn other_operations_get_0211_and_their_data_set_is_skipped() {
    let mut p = Pair::associated(1000);
    // N-SET-RQ with a data set (type 0001H) on context 1.
    let cmd = raw_command(&[
        (0x0003, b"1.2.840.10008.5.1.1.40\0\0"),
        (0x0100, &0x0120u16.to_le_bytes()),
        (0x0110, &31u16.to_le_bytes()),
        (0x0800, &1u16.to_le_bytes()),
        (0x1001, b"1.2.840.10008.5.1.1.40.1\0\0"),
    ]);
    let mut bytes = pdv(1, true, &cmd);
    bytes.extend(pdv(1, false, &[0x55; 300]));
    let rsp = send(&mut p, &bytes);
    let c = Command::parse(&rsp[0]);
    assert_eq!(c.command_field, Some(CommandField(0x8120)));
    assert_eq!(c.status, Some(0x0211));
    // The association goes on: a normal N-GET after it.
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    assert!(
        matches!(p.acc.events.last(), Some(Event::Request { op: Operation::NGet, message_id, .. }) if *message_id == id)
    );
    // C-CANCEL has no response.
    let cancel = raw_command(&[
        (0x0100, &0x0FFFu16.to_le_bytes()),
        (0x0120, &1u16.to_le_bytes()),
        (0x0800, &0x0101u16.to_le_bytes()),
    ]);
    assert!(send(&mut p, &pdv(1, true, &cancel)).is_empty());
}

#[test]
fn duplicate_message_id_gets_0210_and_the_next_request_waits() {
    let mut p = Pair::associated(1000);
    let first = n_get(40, DISPLAY_SYSTEM, INSTANCE, None);
    assert!(send(&mut p, &pdv(1, true, &first)).is_empty());
    // The same Message ID while the first is with the application.
    let rsp = send(&mut p, &pdv(1, true, &first));
    let c = Command::parse(&rsp[0]);
    assert_eq!(c.status, Some(0x0210));
    // Another Message ID waits (window 1) until the first is answered.
    assert!(send(
        &mut p,
        &pdv(1, true, &n_get(41, DISPLAY_SYSTEM, INSTANCE, None))
    )
    .is_empty());
    assert_eq!(p.acc.conn.n_get_request().unwrap().message_id, 40);
    p.acc
        .conn
        .respond_n_get(p.now, 40, Status::SUCCESS, Some(&DISPLAY))
        .unwrap();
    let out = p.acc.drain();
    assert_eq!(Command::parse(&responses(&out)[0]).status, Some(0));
    // Now 41 reaches the application.
    let out = p.acc.feed(p.now, &[], 1);
    assert!(out.is_empty());
    assert_eq!(p.acc.conn.n_get_request().unwrap().message_id, 41);
    assert_eq!(
        p.acc
            .events
            .iter()
            .filter(|e| matches!(
                e,
                Event::Request {
                    op: Operation::NGet,
                    ..
                }
            ))
            .count(),
        2
    );
}

#[test]
fn protocol_errors_abort() {
    let no_message_id = raw_command(&[
        (0x0003, b"1.2.840.10008.5.1.1.40\0\0"),
        (0x0100, &0x0110u16.to_le_bytes()),
        (0x0800, &0x0101u16.to_le_bytes()),
    ]);
    let unknown_field = raw_command(&[
        (0x0100, &0x0042u16.to_le_bytes()),
        (0x0110, &1u16.to_le_bytes()),
        (0x0800, &0x0101u16.to_le_bytes()),
    ]);
    let response_to_nothing = raw_command(&[
        (0x0100, &0x8110u16.to_le_bytes()),
        (0x0120, &1u16.to_le_bytes()),
        (0x0800, &0x0101u16.to_le_bytes()),
        (0x0900, &0u16.to_le_bytes()),
    ]);
    let mut echo = vec![0u8; 256];
    let n = CEchoRq {
        message_id: 5,
        affected_sop_class_uid: VERIFICATION,
    }
    .emit(&mut echo)
    .unwrap();
    echo.truncate(n);
    let mut echo_then_data = pdv(3, true, &echo);
    echo_then_data.extend(pdv(3, false, &[0; 8]));
    let cases = [
        ("no message id", pdv(1, true, &no_message_id)),
        ("unknown command field", pdv(1, true, &unknown_field)),
        ("response to nothing", pdv(1, true, &response_to_nothing)),
        ("data set nobody announced", pdv(1, false, &[0; 8])),
        ("data set after a command without one", echo_then_data),
    ];
    for (what, bytes) in cases {
        let mut p = Pair::associated(1000);
        let out = p.acc.feed(p.now, &bytes, 3);
        let abort = Abort::provider(AbortReason::InvalidPduParameterValue);
        let mut expected = vec![0u8; 10];
        abort.emit(&mut expected).unwrap();
        assert!(out.ends_with(&expected), "{what}: {out:02x?}");
        assert_eq!(abort.source, AbortSource::ServiceProvider);
        assert!(
            p.acc
                .events
                .contains(&Event::Aborted(AbortOrigin::Protocol(abort))),
            "{what}: {:?}",
            p.acc.events
        );
    }
}

#[test]
fn unanswered_request_gets_0110_at_the_dimse_timeout() {
    let mut p = Pair::associated(1000);
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    assert!(p.acc.conn.n_get_request().is_some());
    // Deadlines: the SCP's answer is due at 30 s, like the SCU's wait; the SCP fires first
    // when both started at the same instant because the SCU's wait began when it sent.
    let due = p.acc.conn.poll_timeout().unwrap();
    assert_eq!(due, Instant::from_millis(30_000));
    p.now = due;
    p.acc.conn.handle_timeout(p.now);
    p.run();
    assert!(p.acc.events.contains(&Event::Answered {
        message_id: id,
        context_id: 1,
        command_field: CommandField::N_GET_RQ,
        status: 0x0110
    }));
    let r = p.req.responses.last().unwrap();
    assert_eq!(r.status, 0x0110);
    assert!(r.error_comment.as_deref().unwrap().contains("in time"));
    // Answering afterwards is refused.
    assert_eq!(
        p.acc.conn.respond_n_get(p.now, id, Status::SUCCESS, None),
        Err(ApiError::UnknownRequest)
    );
    assert!(p.acc.conn.is_established() && p.req.conn.is_established());
}

#[test]
fn scu_aborts_when_no_response_comes() {
    let mut p = Pair::associated(1000);
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    let _ = p.req.drain(); // the request is lost on the way
    p.advance(30_000);
    assert!(p.req.events.contains(&Event::Aborted(AbortOrigin::Timeout(
        dimse_core::connection::Timer::Dimse
    ))));
}

#[test]
fn response_semantics_like_pynetdicom() {
    let mut p = Pair::associated(100_000);
    let ask = |p: &mut Pair| {
        p.req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
            .unwrap();
        p.run();
    };
    // A failing handler: 0110H with the comment.
    ask(&mut p);
    let id = p.acc.conn.n_get_request().unwrap().message_id;
    p.acc.conn.fail_n_get(p.now, id, "sensor offline").unwrap();
    p.run();
    let r = p.req.responses.last().unwrap().clone();
    assert_eq!(
        (r.status, r.error_comment.as_deref()),
        (0x0110, Some("sensor offline"))
    );
    // A status with extras.
    ask(&mut p);
    let s = Status::new(0x0110)
        .with_error_comment("calibration running")
        .with_error_id(7);
    assert_eq!(p.respond(s, None), 0x0110);
    assert_eq!(
        p.req.responses.last().unwrap().error_comment.as_deref(),
        Some("calibration running")
    );
    // An unknown code is sent as given; its category (failure) drops the data set.
    ask(&mut p);
    assert_eq!(p.respond(Status::new(0x0999), Some(&DISPLAY)), 0x0999);
    assert_eq!(p.req.responses.last().unwrap().data_set, None);
    // A failure with a data set: the data set is dropped.
    ask(&mut p);
    assert_eq!(p.respond(Status::new(0xC001), Some(&DISPLAY)), 0xC001);
    assert_eq!(p.req.responses.last().unwrap().data_set, None);
    // A warning keeps it.
    ask(&mut p);
    assert_eq!(p.respond(Status::new(0x0001), Some(&DISPLAY)), 0x0001);
    assert!(p.req.responses.last().unwrap().data_set.is_some());
    // Empty success: no data set.
    ask(&mut p);
    assert_eq!(p.respond(Status::SUCCESS, None), 0);
    assert_eq!(p.req.responses.last().unwrap().data_set, None);
    // Elements Annex C does not allow with the code: the core answers 0110H, saying why
    // (one place for the rule, whatever the adapter).
    for bad in [
        Status::SUCCESS.with_error_comment("fine"),
        Status::new(0x0112).with_error_id(1),
        Status::SUCCESS.with_attribute_identifier_list(&[MANUFACTURER]),
    ] {
        ask(&mut p);
        assert_eq!(p.respond(bad, Some(&DISPLAY)), 0x0110, "{bad:?}");
        let r = p.req.responses.last().unwrap();
        assert_eq!(r.status, 0x0110);
        assert_eq!(r.error_comment.as_deref(), Some(INVALID_STATUS_COMMENT));
        assert_eq!(r.data_set, None);
    }
    // An Error Comment that is not LO text is made so: at most 64 characters, no backslash,
    // no control character.
    for (comment, sent) in [
        ("x".repeat(65), "x".repeat(64)),
        ("two\\values\r\n".to_string(), "two values".to_string()),
        ("é".repeat(70), "é".repeat(64)),
    ] {
        ask(&mut p);
        let id = p.acc.conn.n_get_request().unwrap().message_id;
        assert_eq!(p.acc.conn.fail_n_get(p.now, id, &comment), Ok(0x0110));
        p.run();
        let r = p.req.responses.last().unwrap();
        assert_eq!(
            r.error_comment.as_deref(),
            Some(sent.as_str()),
            "{comment:?}"
        );
    }
    ask(&mut p);
    assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0);
}

#[test]
fn a_response_too_large_for_the_buffer_is_0213() {
    let config = leak(dimse_core::assoc::RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut p = Pair::new(leak(policy()), config, 1000);
    // A small transmit buffer on the acceptor.
    p.acc = Side::new(dimse_core::Connection::acceptor(
        leak(policy()),
        storage(4096, 300),
        p.now,
    ));
    p.run();
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    let big = [Attribute::new(
        MANUFACTURER,
        Value::Bytes(Vr::OB, leak([7u8; 400])),
    )];
    assert_eq!(p.respond(Status::SUCCESS, Some(&big)), 0x0213);
    assert_eq!(p.req.responses.last().unwrap().status, 0x0213);
}

#[test]
fn filtered_n_get_in_both_transfer_syntaxes() {
    for implicit in [false, true] {
        let mut pol = policy();
        if implicit {
            pol.transfer_syntaxes = &[Encoding::ImplicitVrLittleEndian];
        }
        let config = leak(dimse_core::assoc::RequestorConfig::new(
            ae("QA_SCU"),
            ae("DISPLAY"),
            leak(contexts()),
        ));
        let mut p = Pair::new(leak(pol), config, 3);
        p.run();
        p.req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, Some(&[SERIAL]))
            .unwrap();
        p.run();
        assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0);
        let data = p.req.responses.last().unwrap().data_set.clone().unwrap();
        let enc = if implicit {
            Encoding::ImplicitVrLittleEndian
        } else {
            Encoding::ExplicitVrLittleEndian
        };
        let tags: Vec<Tag> = dimse_core::dataset::Reader::new(&data, enc)
            .filter_map(|e| match e.unwrap() {
                dimse_core::dataset::ReadEvent::Element { tag, .. } => Some(tag),
                _ => None,
            })
            .collect();
        assert_eq!(tags, vec![SERIAL], "implicit {implicit}");
    }
}

/// A context proposed only in a transfer syntax the core cannot encode is rejected with
/// result 4 (transfer-syntaxes-not-supported, PS3.8 Table 9-18), never accepted.
///
/// The policy's `transfer_syntaxes` are `Encoding`s, so no policy can offer JPEG Baseline:
/// `pol.transfer_syntaxes = &["1.2.840.10008.1.2.4.50"]` no longer compiles. When it did, the
/// context was accepted and an N-GET on it answered Success without its data set. Here the
/// most permissive policy there is, every encoding, still rejects the context.
#[test]
fn unencodable_transfer_syntax_is_not_supported() {
    static JPEG_BASELINE: [&str; 1] = ["1.2.840.10008.1.2.4.50"];
    let mut pol = policy();
    pol.transfer_syntaxes = &Encoding::ALL;
    let pcs = leak([
        dimse_core::pdu::PresentationContextRq {
            id: 1,
            abstract_syntax: DISPLAY_SYSTEM,
            transfer_syntaxes: &JPEG_BASELINE,
        },
        dimse_core::pdu::PresentationContextRq {
            id: 3,
            abstract_syntax: VERIFICATION,
            transfer_syntaxes: &IMPLICIT_ONLY,
        },
    ]);
    let config = leak(RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), pcs));
    let mut p = Pair::new(leak(pol), config, 7);
    p.run();
    assert!(p.req.conn.is_established());
    for side in [&p.req, &p.acc] {
        let n = side.conn.negotiated().unwrap();
        let results: Vec<_> = n
            .contexts
            .iter()
            .map(|c| (c.id, c.result.to_u8()))
            .collect();
        assert_eq!(results, vec![(1, 4), (3, 0)]);
        assert!(side.conn.presentation_context(1).is_none());
    }
    // No context carries the Display System, so there is nothing to send an N-GET on.
    assert_eq!(
        p.req.conn.send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None),
        Err(ApiError::UnknownContext)
    );
}

mod fragmentation {
    use super::*;
    use dimse_core::assoc::RequestorConfig;
    use dimse_core::dataset::{Encoding, Writer};
    use proptest::prelude::*;

    proptest! {
        /// Whatever the peer's maximum PDU length and however the bytes are chunked, the
        /// SCU receives exactly the data set the SCP's source encodes.
        #[test]
        fn any_peer_maximum_reassembles_the_same_message(
            len in 0usize..6000,
            max_pdu in 16u32..20_000,
            chunk in 1usize..700,
            seed in any::<u8>(),
        ) {
            let mut config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
            config.limits.max_pdu_length = max_pdu;
            let mut p = Pair::new(leak(policy()), leak(config), chunk);
            p.run();
            p.req.conn.send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None).unwrap();
            p.run();
            let value: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
            let value = leak(value);
            let source = [Attribute::new(Tag::new(0x0009, 0x0010), Value::Bytes(Vr::OB, value))];
            prop_assert_eq!(p.respond(Status::SUCCESS, Some(&source)), 0);
            let mut expected = vec![0u8; len + 64];
            let mut w = Writer::new(&mut expected, Encoding::ExplicitVrLittleEndian);
            w.write(&source).unwrap();
            let n = w.written();
            let got = p.req.responses.last().unwrap().data_set.clone().unwrap();
            prop_assert_eq!(&got[..], &expected[..n]);
            for pdu in p.acc.sent.iter().filter(|pdu| pdu[0] == 4) {
                let pdu_len = u32::from_be_bytes(pdu[2..6].try_into().unwrap());
                prop_assert!(pdu_len <= max_pdu);
            }
        }
    }
}

/// The "done means": an SCU core and an SCP core complete association, Display
/// System N-GET (full, filtered, fragmented at max PDU 256), C-ECHO and release, in both
/// transfer syntaxes, serving the demo Display System.
#[test]
fn display_system_end_to_end() {
    use dimse_core::assoc::RequestorConfig;
    use dimse_core::dataset::{Encoding, Reader, Writer};
    use dimse_core::service::display::{tags, DEMO};
    use dimse_core::ul::State;

    for (implicit, max_pdu, chunk) in [
        (false, 16382, 100_000),
        (true, 16382, 9),
        (false, 256, 50),
        (true, 256, 1),
    ] {
        let mut pol = policy();
        if implicit {
            pol.transfer_syntaxes = &[Encoding::ImplicitVrLittleEndian];
        }
        let mut config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
        config.limits.max_pdu_length = max_pdu;
        let mut p = Pair::new(leak(pol), leak(config), chunk);
        p.run();
        let what = format!("implicit {implicit}, max PDU {max_pdu}");
        let encoding = if implicit {
            Encoding::ImplicitVrLittleEndian
        } else {
            Encoding::ExplicitVrLittleEndian
        };
        let mut whole = vec![0u8; 8192];
        let mut w = Writer::new(&mut whole, encoding);
        w.write(&DEMO).unwrap();
        let n = w.written();
        whole.truncate(n);

        // Full.
        p.req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
            .unwrap();
        p.run();
        assert_eq!(p.respond(Status::SUCCESS, Some(&DEMO)), 0, "{what}");
        let got = p.req.responses.last().unwrap().data_set.clone().unwrap();
        assert_eq!(got, whole, "{what}");
        if max_pdu == 256 {
            let pdata: Vec<_> = p.acc.sent.iter().filter(|s| s[0] == 4).collect();
            assert!(pdata.len() > n / 250, "{what}: {} PDUs", pdata.len());
        }

        // Filtered: a top-level attribute and the subsystem sequence, whole.
        let asked = [tags::MANUFACTURER, tags::DISPLAY_SUBSYSTEM_SEQUENCE];
        p.req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, Some(&asked))
            .unwrap();
        p.run();
        assert_eq!(p.respond(Status::SUCCESS, Some(&DEMO)), 0, "{what}");
        let got = p.req.responses.last().unwrap().data_set.clone().unwrap();
        let top: Vec<Tag> = top_level_tags(&got, encoding);
        assert_eq!(top, asked, "{what}");
        let _ = Reader::new(&got, encoding).count();

        // C-ECHO and release.
        p.req.conn.send_c_echo(p.now).unwrap();
        p.run();
        assert!(matches!(
            p.req.events.last(),
            Some(Event::Response {
                op: Operation::CEcho,
                status: 0,
                ..
            })
        ));
        p.req.conn.release(p.now).unwrap();
        p.run();
        assert_eq!(p.req.conn.state(), State::Sta1, "{what}");
        assert!(p.acc.events.contains(&Event::Released));
    }
}

fn top_level_tags(data: &[u8], encoding: dimse_core::dataset::Encoding) -> Vec<Tag> {
    use dimse_core::dataset::{ReadEvent as E, Reader};
    let mut depth = 0;
    let mut out = Vec::new();
    for e in Reader::new(data, encoding) {
        match e.unwrap() {
            E::Element { tag, .. } if depth == 0 => out.push(tag),
            E::SequenceStart { tag, .. } => {
                if depth == 0 {
                    out.push(tag);
                }
                depth += 1;
            }
            E::SequenceEnd { .. } => depth -= 1,
            _ => {}
        }
    }
    out
}

/// PS3.8 §7.2.2: after an A-RELEASE indication the acceptor of the release may still issue
/// P-DATA requests, and only then the A-RELEASE response (Sta8, AR-7 before AR-4). An SCU that
/// sends its N-GET-RQ and at once its A-RELEASE-RQ must still get its answer: the release
/// response waits until the application has answered the request.
#[test]
fn release_rq_behind_an_n_get_waits_for_the_answer() {
    for chunk in [1, 7, 100_000] {
        let mut p = Pair::associated(chunk);
        let id = p
            .req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
            .unwrap();
        // Both go out before any answer: the SCP sees the request, then the release.
        p.req.conn.release(p.now).unwrap();
        p.run();
        assert!(
            p.acc.events.contains(&Event::Request {
                op: Operation::NGet,
                message_id: id,
                context_id: 1
            }),
            "{:?}",
            p.acc.events
        );
        assert!(
            !p.acc.events.contains(&Event::Released),
            "{:?}",
            p.acc.events
        );
        assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta8);
        // The application answers; then, and only then, the release is answered.
        assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0x0000);
        assert_eq!(
            p.req.events[p.req.events.len() - 3..],
            [
                Event::Response {
                    op: Operation::NGet,
                    message_id: id,
                    status: 0,
                    related_fields: false,
                    data_set_len: p.req.responses[0].data_set.as_ref().map(Vec::len)
                },
                Event::Released,
                Event::Closed
            ]
        );
        assert!(p.req.responses[0].data_set.is_some());
        let types: Vec<u8> = p.acc.sent.iter().map(|pdu| pdu[0]).collect();
        assert_eq!(
            types[types.len() - 3..],
            [0x04, 0x04, 0x06],
            "RSP, data set, RP"
        );
        assert!(p.acc.events.ends_with(&[Event::Released]));
    }
}

/// The same when the application never answers: the core answers 0110H at the DIMSE timeout,
/// then the release.
#[test]
fn release_rq_behind_an_unanswered_n_get_waits_for_the_dimse_timeout() {
    // The SCP's DIMSE timeout (10 s) runs out well before the SCU's ACSE timer (30 s).
    let mut pol = policy();
    pol.limits.dimse_timeout = Duration::from_secs(10);
    let config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
    let mut p = Pair::new(leak(pol), leak(config), 100_000);
    p.run();
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.req.conn.release(p.now).unwrap();
    p.run();
    assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta8);
    assert_eq!(
        p.acc.conn.poll_timeout(),
        Some(Instant::from_millis(10_000))
    );
    p.advance(10_000);
    assert_eq!(
        p.acc.events[p.acc.events.len() - 2..],
        [
            Event::Answered {
                message_id: id,
                context_id: 1,
                command_field: CommandField::N_GET_RQ,
                status: 0x0110
            },
            Event::Released
        ]
    );
    assert_eq!(p.req.responses.last().unwrap().status, 0x0110);
    assert!(p.req.conn.is_closed());
}

/// PS3.8 §7.2.2 and Table 9-10 (Evt9 in Sta7 is blank): once we have sent an A-RELEASE-RQ we
/// may receive P-DATA but must not send any. A request that arrives then is not answered,
/// neither by the core (C-ECHO, refusals) nor at the DIMSE timeout.
#[test]
fn no_pdata_after_our_release_rq() {
    for chunk in [3, 100_000] {
        // The SCP releases while the SCU's C-ECHO-RQ is on its way.
        let mut p = Pair::associated(chunk);
        p.req.conn.send_c_echo(p.now).unwrap();
        p.acc.conn.release(p.now).unwrap();
        p.run();
        let types: Vec<u8> = p.acc.sent.iter().map(|pdu| pdu[0]).collect();
        let rq = types.iter().position(|&t| t == 0x05).unwrap();
        assert!(
            !types[rq..].contains(&0x04),
            "P-DATA-TF sent after our A-RELEASE-RQ: {types:02x?}"
        );
        assert!(
            !p.acc
                .events
                .iter()
                .any(|e| matches!(e, Event::Answered { .. })),
            "{:?}",
            p.acc.events
        );
        assert!(p.acc.events.contains(&Event::Released));
    }
}

/// An N-GET the application still holds when it releases: no 0110H in Sta7 at the DIMSE
/// timeout (PS3.8 §7.2.2), and no timer left in the past.
#[test]
fn no_dimse_timeout_answer_after_our_release_rq() {
    let mut p = Pair::associated(100_000);
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    assert!(p.acc.conn.n_get_request().is_some());
    // The request arrived at 0 s (DIMSE deadline 30 s); the release at 10 s (ACSE 40 s).
    p.now = Instant::from_millis(10_000);
    p.acc.conn.release(p.now).unwrap();
    // The release request goes out; the requestor stays silent (as if slow).
    let out = p.acc.drain();
    assert_eq!(out[0], 0x05);
    assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta7);
    p.now = Instant::from_millis(30_000);
    p.acc.conn.handle_timeout(p.now);
    let out = p.acc.drain();
    assert!(out.is_empty(), "{out:02x?}");
    assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta7);
    assert!(p.acc.conn.poll_timeout().is_some_and(|t| t > p.now));
}

/// An acceptor with `rx` bytes of receive storage, associated by a requestor core.
fn associated_with_rx(rx: usize) -> Pair {
    let now = Pair::associated(1000).now;
    associated_with(dimse_core::Connection::acceptor(
        leak(policy()),
        storage(rx, 4096),
        now,
    ))
}

/// An established pair whose acceptor is `acc` (made at `Pair::associated(1000).now`).
fn associated_with(acc: dimse_core::Connection<'static>) -> Pair {
    let config = leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ));
    let mut p = Pair::associated(1000);
    p.acc = Side::new(acc);
    p.req =
        Side::new(dimse_core::Connection::requestor(config, storage(65536, 4096), p.now).unwrap());
    p.run();
    assert!(p.acc.conn.is_established());
    p
}

#[test]
fn an_acceptor_built_in_place_serves_like_one_built_by_value() {
    // `acceptor_in` writes the connection into the caller's slot (what a firmware task
    // does to keep it off its stack); it is the same acceptor as `acceptor` returns.
    let now = Pair::associated(1000).now;
    let mut slot = None;
    let conn =
        dimse_core::Connection::acceptor_in(&mut slot, leak(policy()), storage(4096, 4096), now);
    let by_value = dimse_core::Connection::acceptor(leak(policy()), storage(4096, 4096), now);
    assert_eq!(format!("{conn:?}"), format!("{by_value:?}"));
    assert_eq!(conn.poll_timeout(), by_value.poll_timeout());
    let mut p = associated_with(slot.take().unwrap());
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    assert_eq!(p.acc.conn.n_get_request().unwrap().message_id, id);
    assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0);
}

#[test]
fn a_command_set_larger_than_the_receive_storage_is_answered_0213() {
    // 1 KiB of receive storage, as the README suggests for firmware: an N-GET-RQ listing
    // 229 tags (1,126 bytes of command set) does not fit. It is answered 0213H, and the
    // association goes on.
    let mut p = associated_with_rx(1024);
    let many: Vec<Tag> = (1..=229).map(|e| Tag::new(0x0009, e)).collect();
    let command = n_get(30, DISPLAY_SYSTEM, INSTANCE, Some(&many));
    assert!(command.len() > 1024, "{}", command.len());
    let rsp = send(&mut p, &pdv(1, true, &command));
    assert_eq!(rsp.len(), 1);
    let c = Command::parse(&rsp[0]);
    assert_eq!(c.status, Some(0x0213));
    assert_eq!(c.message_id_being_responded_to, Some(30));
    assert_eq!(c.affected_sop_instance_uid, Some(INSTANCE));
    assert!(p.acc.conn.is_established());
    // The largest list that fits is still served: the storage is free again.
    let few: Vec<Tag> = (1..=200).map(|e| Tag::new(0x0009, e)).collect();
    send(
        &mut p,
        &pdv(1, true, &n_get(31, DISPLAY_SYSTEM, INSTANCE, Some(&few))),
    );
    assert!(matches!(
        p.acc.events.last(),
        Some(Event::Request {
            op: Operation::NGet,
            message_id: 31,
            ..
        })
    ));
    assert_eq!(p.acc.conn.n_get_request().unwrap().requested_len(), 200);
}

#[test]
fn a_waiting_request_keeps_its_list_while_the_next_commands_arrive() {
    // The list of a request with the application stays in the receive storage (moved to its
    // tail): what arrives meanwhile must not overwrite it. 1 KiB of storage; the first
    // request lists Manufacturer and 149 private tags (600 bytes of list).
    let mut p = associated_with_rx(1024);
    let mut first: Vec<Tag> = vec![MANUFACTURER];
    first.extend((1..=149).map(|e| Tag::new(0x0009, e)));
    let bytes_of = |tags: &[Tag]| -> Vec<u8> {
        tags.iter()
            .flat_map(|t| [t.group().to_le_bytes(), t.element().to_le_bytes()].concat())
            .collect()
    };
    let command = n_get(40, DISPLAY_SYSTEM, INSTANCE, Some(&first));
    assert!(send(&mut p, &pdv(1, true, &command)).is_empty());
    // The same Message ID again (the whole command, 730 bytes, more than what the list
    // leaves), then the next request with a list of its own: both stored over the first
    // command's bytes.
    let dup = send(&mut p, &pdv(1, true, &command));
    assert_eq!(Command::parse(&dup[0]).status, Some(0x0210));
    let next = n_get(41, DISPLAY_SYSTEM, INSTANCE, Some(&[SERIAL]));
    assert!(send(&mut p, &pdv(1, true, &next)).is_empty());
    let req = p.acc.conn.n_get_request().unwrap();
    assert_eq!(req.message_id, 40);
    assert_eq!(req.attribute_identifier_list, bytes_of(&first).as_slice());
    // The answer is filtered by the first list: Manufacturer, and the 149 tags it lacks.
    p.acc
        .conn
        .respond_n_get(p.now, 40, Status::SUCCESS, Some(&DISPLAY))
        .unwrap();
    let out = p.acc.drain();
    let rsp = responses(&out);
    let c = Command::parse(&rsp[0]);
    assert_eq!(c.status, Some(0x0107));
    assert_eq!(c.attribute_identifier_list, Some(&bytes_of(&first)[4..]));
    // The held request comes through with its own list.
    p.acc.feed(p.now, &[], 1);
    let req = p.acc.conn.n_get_request().unwrap();
    assert_eq!(req.message_id, 41);
    assert_eq!(
        req.attribute_identifier_list,
        bytes_of(&[SERIAL]).as_slice()
    );
    p.acc
        .conn
        .respond_n_get(p.now, 41, Status::SUCCESS, Some(&DISPLAY))
        .unwrap();
    let out = p.acc.drain();
    assert_eq!(Command::parse(&responses(&out)[0]).status, Some(0));
    // The bound: a request held behind one whose list holds the tail gets the storage less
    // that list. The first request's 600 bytes leave 424; a second 150-tag request (730
    // bytes) does not fit beside them, and is answered 0213H once the first is.
    let again = n_get(42, DISPLAY_SYSTEM, INSTANCE, Some(&first));
    assert!(send(&mut p, &pdv(1, true, &again)).is_empty());
    let held = n_get(43, DISPLAY_SYSTEM, INSTANCE, Some(&first));
    assert!(send(&mut p, &pdv(1, true, &held)).is_empty());
    p.acc
        .conn
        .respond_n_get(p.now, 42, Status::SUCCESS, Some(&DISPLAY))
        .unwrap();
    let mut out = p.acc.drain();
    out.extend(p.acc.feed(p.now, &[], 1));
    let rsp = responses(&out);
    assert_eq!(rsp.len(), 2, "{:?}", p.acc.events);
    let c = Command::parse(&rsp[1]);
    assert_eq!(
        (c.message_id_being_responded_to, c.status),
        (Some(43), Some(0x0213))
    );
    assert!(p.acc.conn.is_established());
}

#[test]
fn an_oversized_command_that_cannot_be_answered_aborts_with_the_reason() {
    // A C-ECHO-RQ padded with a private group-0000 element to 2 KiB: no N-GET, nothing to
    // answer 0213H with. The abort says why.
    let mut p = associated_with_rx(1024);
    let filler = vec![0u8; 2048];
    let cmd = raw_command(&[
        (0x0002, b"1.2.840.10008.1.1\0"),
        (0x0100, &0x0030u16.to_le_bytes()),
        (0x0110, &5u16.to_le_bytes()),
        (0x0800, &0x0101u16.to_le_bytes()),
        (0x0FF0, &filler),
    ]);
    send(&mut p, &pdv(3, true, &cmd));
    let aborted = p.acc.events.iter().find_map(|e| match e {
        Event::Aborted(o) => Some(*o),
        _ => None,
    });
    let Some(AbortOrigin::ResourceLimit(limit)) = aborted else {
        panic!("{:?}", p.acc.events);
    };
    assert!(limit.command_set);
    assert_eq!(limit.capacity, 1024);
    assert_eq!(limit.received, cmd.len());
    assert_eq!(
        AbortOrigin::ResourceLimit(limit).to_string(),
        format!(
            "aborted: resource limit: command set of more than {} bytes exceeds receive storage of 1024",
            cmd.len()
        )
    );
}

/// An established pair whose acceptor has these limits.
fn associated_with_limits(limits: dimse_core::assoc::Limits) -> Pair {
    let mut pol = policy();
    pol.limits = limits;
    let mut p = Pair::associated(1000);
    p.acc = Side::new(dimse_core::Connection::acceptor(
        leak(pol),
        storage(65536, 65536),
        p.now,
    ));
    p.req = Side::new(
        dimse_core::Connection::requestor(
            leak(RequestorConfig::new(
                ae("QA_SCU"),
                ae("DISPLAY"),
                leak(contexts()),
            )),
            storage(65536, 65536),
            p.now,
        )
        .unwrap(),
    );
    p.run();
    assert!(p.acc.conn.is_established());
    p
}

#[test]
fn a_peer_trickling_a_pdu_is_aborted_at_the_pdu_timeout() {
    let mut p = associated_with_limits(dimse_core::assoc::Limits {
        pdu_timeout: Duration::from_secs(10),
        ..dimse_core::assoc::Limits::DEFAULT
    });
    // Whole PDUs 20 s apart are fine: the timer runs only while a PDU is partial.
    for _ in 0..3 {
        p.now = Instant::from_millis(p.now.as_millis() + 20_000);
        p.acc.conn.handle_timeout(p.now);
        p.req.conn.send_c_echo(p.now).unwrap();
        p.run();
        assert!(p.acc.conn.is_established(), "{:?}", p.acc.events);
    }
    // One byte every 2 s: each byte restarts the network timer, not the PDU timer.
    let rq = pdv(1, true, &n_get(40, DISPLAY_SYSTEM, INSTANCE, None));
    let mut at = 0;
    for byte in &rq {
        p.acc.feed(p.now, std::slice::from_ref(byte), 1);
        p.now = Instant::from_millis(p.now.as_millis() + 2_000);
        at += 2_000;
        p.acc.conn.handle_timeout(p.now);
        p.acc.drain();
        if p.acc.conn.is_closed() || !p.acc.conn.is_established() {
            break;
        }
    }
    assert_eq!(at, 10_000, "aborted 10 s after the first byte");
    assert!(
        p.acc.events.contains(&Event::Aborted(AbortOrigin::Timeout(
            dimse_core::connection::Timer::Pdu
        ))),
        "{:?}",
        p.acc.events
    );
    assert_eq!(
        AbortOrigin::Timeout(dimse_core::connection::Timer::Pdu).to_string(),
        "aborted: PDU timeout: a PDU was not complete in time after its first byte"
    );
}

#[test]
fn re_offered_bytes_do_not_keep_a_silent_peer_alive() {
    // A driver that offers its kept bytes again on every pass (after each answer, say):
    // only bytes beyond those are new, so the network timeout runs from the last new one.
    let mut p = associated_with_limits(dimse_core::assoc::Limits {
        network_timeout: Duration::from_secs(5),
        pdu_timeout: Duration::from_secs(60),
        ..dimse_core::assoc::Limits::DEFAULT
    });
    // Three bytes of a PDU header: too few to take, kept by the driver.
    let start = p.now.as_millis();
    let kept = &pdv(1, true, &n_get(40, DISPLAY_SYSTEM, INSTANCE, None))[..3];
    assert_eq!(p.acc.conn.handle_input(p.now, kept), 0);
    for second in 1..=6u64 {
        p.now = Instant::from_millis(start + second * 1_000);
        // Offered again, nothing new: not a sign of life.
        assert_eq!(p.acc.conn.handle_input(p.now, kept), 0);
        p.acc.conn.handle_timeout(p.now);
        p.acc.drain();
        if !p.acc.conn.is_established() {
            assert_eq!(second, 5, "aborted 5 s after the last new byte");
            break;
        }
    }
    assert!(
        p.acc.events.contains(&Event::Aborted(AbortOrigin::Timeout(
            dimse_core::connection::Timer::Network
        ))),
        "{:?}",
        p.acc.events
    );
}

#[test]
fn a_response_data_set_larger_than_the_scu_storage_aborts_with_the_reason() {
    let mut p = associated_with_rx(65536);
    p.req = Side::new(
        dimse_core::Connection::requestor(
            leak(RequestorConfig::new(
                ae("QA_SCU"),
                ae("DISPLAY"),
                leak(contexts()),
            )),
            storage(512, 4096),
            p.now,
        )
        .unwrap(),
    );
    p.acc = Side::new(dimse_core::Connection::acceptor(
        leak(policy()),
        storage(65536, 65536),
        p.now,
    ));
    p.run();
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    p.respond(Status::SUCCESS, Some(&dimse_core::service::display::DEMO));
    let limit = p.req.events.iter().find_map(|e| match e {
        Event::Aborted(AbortOrigin::ResourceLimit(l)) => Some(*l),
        _ => None,
    });
    let limit = limit.unwrap_or_else(|| panic!("{:?}", p.req.events));
    assert!(!limit.command_set);
    assert!(
        limit.capacity < 512 && limit.received > limit.capacity,
        "{limit:?}"
    );
}

#[test]
fn max_n_get_rq_len_is_the_longest_request_answered_in_full() {
    use dimse_core::dataset::MAX_REQUESTED;
    use dimse_core::dimse::MAX_N_GET_RQ_LEN;
    // 64-character UIDs and MAX_REQUESTED tags: exactly MAX_N_GET_RQ_LEN bytes, and with
    // that much receive storage the request reaches the application.
    let class = format!("1.2.840.10008.5.1.1.40.{}", "9".repeat(64 - 23));
    let instance = format!("1.2.3.{}", "4".repeat(64 - 6));
    assert_eq!((class.len(), instance.len()), (64, 64));
    let tags: Vec<Tag> = (1..=MAX_REQUESTED as u16)
        .map(|e| Tag::new(0x0009, e))
        .collect();
    let command = n_get(50, &class, &instance, Some(&tags));
    assert_eq!(command.len(), MAX_N_GET_RQ_LEN);
    let mut p = associated_with_rx(MAX_N_GET_RQ_LEN);
    let rsp = send(&mut p, &pdv(1, true, &command));
    // Not a class we serve: answered 0118H from the whole command, not 0213H.
    assert_eq!(Command::parse(&rsp[0]).status, Some(0x0118));
    // One byte less storage: 0213H.
    let mut p = associated_with_rx(MAX_N_GET_RQ_LEN - 1);
    let rsp = send(&mut p, &pdv(1, true, &command));
    assert_eq!(Command::parse(&rsp[0]).status, Some(0x0213));
}
