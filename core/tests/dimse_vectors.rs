//! The SCP core answers pynetdicom 3.0.4's requests with pynetdicom's own bytes
//! (core/tests/vectors, scripts/gen-vectors.py): N-GET-RSP in both transfer syntaxes,
//! fragmented at max PDU 256, with 0107H/0110H/0112H, and C-ECHO-RSP.

mod common;

use common::vectors::vector;
use common::*;
use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
use dimse_core::dataset::{Attribute, Encoding, Tag, Value, Vr};
use dimse_core::dimse::Operation;
use dimse_core::dimse::{Command, CommandField, NGetRq, Status};
use dimse_core::pdu::{MessageControlHeader, PDataTf, Pdv};
use dimse_core::{Connection, Event, Instant, Output};

const INSTANCE: &str = "1.2.840.10008.5.1.1.40.1";

static SUBSYSTEM: &[Attribute<'static>] = &[
    Attribute::new(Tag::new(0x0028, 0x7003), Value::Us(&[1])),
    Attribute::new(Tag::new(0x0028, 0x7006), Value::Str(Vr::CS, "OK")),
];
/// The data set of the n-get-rsp-success-* and 0107 vectors.
static SMALL: &[Attribute<'static>] = &[
    Attribute::new(Tag::new(0x0008, 0x0070), Value::Str(Vr::LO, "ACME")),
    Attribute::new(Tag::new(0x0028, 0x7023), Value::Sequence(&[SUBSYSTEM])),
];

fn item(
    id: u16,
    name: &'static str,
    desc: &'static str,
    status: &'static str,
    comment: &'static str,
) -> [Attribute<'static>; 5] {
    [
        Attribute::new(Tag::new(0x0028, 0x7003), Value::Us(leak([id]))),
        Attribute::new(Tag::new(0x0028, 0x7004), Value::Str(Vr::SH, name)),
        Attribute::new(Tag::new(0x0028, 0x7005), Value::Str(Vr::LO, desc)),
        Attribute::new(Tag::new(0x0028, 0x7006), Value::Str(Vr::CS, status)),
        Attribute::new(Tag::new(0x0028, 0x7007), Value::Str(Vr::LO, comment)),
    ]
}

/// The 648-byte data set of n-get-rsp-success-fragmented-256.
fn large() -> &'static [Attribute<'static>] {
    let items: &'static [&'static [Attribute<'static>]] = leak([
        &leak(item(
            1,
            "Left Diagnostic",
            "Left primary diagnostic monitor, 3 megapixel",
            "OK",
            "Calibrated to GSDF, last QC passed",
        ))[..],
        &leak(item(
            2,
            "Right Diagnostic",
            "Right primary diagnostic monitor, 3 megapixel",
            "OK",
            "Calibrated to GSDF, last QC passed",
        ))[..],
        &leak(item(
            3,
            "Worklist",
            "Colour worklist monitor for the reading room",
            "WARNING",
            "Luminance below target, recalibrate",
        ))[..],
    ]);
    leak([
        Attribute::new(Tag::new(0x0008, 0x0070), Value::Str(Vr::LO, "ACME")),
        Attribute::new(
            Tag::new(0x0008, 0x0080),
            Value::Str(Vr::LO, "General Hospital Radiology"),
        ),
        Attribute::new(
            Tag::new(0x0008, 0x0081),
            Value::Str(Vr::ST, "1 Example Street, Springfield, 12345, Nowhere"),
        ),
        Attribute::new(
            Tag::new(0x0008, 0x1010),
            Value::Str(Vr::SH, "READING-ROOM-2"),
        ),
        Attribute::new(
            Tag::new(0x0008, 0x1090),
            Value::Str(Vr::LO, "ACME DiagView 3MP"),
        ),
        Attribute::new(
            Tag::new(0x0018, 0x1000),
            Value::Str(Vr::LO, "SN-0001-2024-XYZ"),
        ),
        Attribute::new(
            Tag::new(0x0018, 0x1020),
            Value::Strs(Vr::LO, leak(["3.1.4", "FW 2024.06"])),
        ),
        Attribute::new(Tag::new(0x0028, 0x7023), Value::Sequence(items)),
    ])
}

/// An acceptor associated by pynetdicom's A-ASSOCIATE-RQ (PC 1 Display System, PC 3
/// Verification).
fn scp(policy: AcceptorPolicy<'static>) -> Side {
    let mut acc = Side::new(Connection::acceptor(
        leak(policy),
        storage(4096, 4096),
        Instant::ZERO,
    ));
    acc.feed(Instant::ZERO, &vector("a-associate-rq-display"), 100_000);
    assert!(acc.conn.is_established(), "{:?}", acc.events);
    acc.sent.clear();
    acc
}

/// An acceptor associated by our requestor advertising `max_pdu` (for the fragmented
/// vector: what the SCP sends depends only on the peer's maximum).
fn scp_for_peer_max(max_pdu: u32) -> Side {
    let mut config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
    config.limits.max_pdu_length = max_pdu;
    let mut scu = Connection::requestor(leak(config), storage(4096, 4096), Instant::ZERO).unwrap();
    let mut rq = vec![0u8; 4096];
    let Ok(Output::Transmit(n)) = scu.poll_output(&mut rq) else {
        panic!("an A-ASSOCIATE-RQ");
    };
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(4096, 4096),
        Instant::ZERO,
    ));
    acc.feed(Instant::ZERO, &rq[..n], 100_000);
    assert!(acc.conn.is_established());
    acc.sent.clear();
    acc
}

fn pdata(context_id: u8, command: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; command.len() + 12];
    let n = PDataTf {
        pdvs: &[Pdv {
            context_id,
            control: MessageControlHeader::new(true, true),
            data: command,
        }],
    }
    .emit(&mut out)
    .unwrap();
    out.truncate(n);
    out
}

fn n_get_rq(attributes: Option<&[Tag]>) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = NGetRq {
        message_id: 1,
        requested_sop_class_uid: DISPLAY_SYSTEM,
        requested_sop_instance_uid: INSTANCE,
        attribute_identifier_list: attributes,
    }
    .emit(&mut buf)
    .unwrap();
    pdata(1, &buf[..n])
}

/// Feeds an N-GET-RQ and checks the event the application gets.
fn request(acc: &mut Side, rq: &[u8]) {
    acc.feed(Instant::ZERO, rq, 13);
    assert_eq!(
        acc.events.last(),
        Some(&Event::Request {
            op: Operation::NGet,
            message_id: 1,
            context_id: 1
        })
    );
}

fn answer(acc: &mut Side, status: Status<'_>, data: Option<&[Attribute<'_>]>) -> Vec<u8> {
    let data = data.as_ref();
    acc.conn
        .respond_n_get(Instant::ZERO, 1, status, data.map(|d| d as _))
        .unwrap();
    acc.drain()
}

fn check(name: &str, out: &[u8]) {
    let expected = vector(name);
    let first = out.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        out == &expected[..],
        "{name}: {} bytes vs pynetdicom's {}, first difference at {first:?}",
        out.len(),
        expected.len()
    );
}

#[test]
fn requests_from_pynetdicom_decode() {
    for (name, tags) in [
        ("n-get-rq-attr-list", 2),
        ("n-get-rq-empty-list", 0),
        ("n-get-rq-no-list", 0),
    ] {
        let mut acc = scp(policy());
        request(&mut acc, &vector(name));
        let rq = acc.conn.n_get_request().unwrap();
        assert_eq!(rq.sop_class_uid, DISPLAY_SYSTEM, "{name}");
        assert_eq!(rq.sop_instance_uid, INSTANCE, "{name}");
        assert_eq!(rq.requested_len(), tags, "{name}");
        assert_eq!(rq.calling_ae.as_str(), Some("QA_SCU"));
        assert!(rq
            .to_string()
            .starts_with("N-GET #1 1.2.840.10008.5.1.1.40 / "));
    }
    // Our encoder gives pynetdicom's bytes back.
    let listed = [Tag::new(0x0008, 0x0070), Tag::new(0x0028, 0x7023)];
    assert_eq!(n_get_rq(Some(&listed)), vector("n-get-rq-attr-list"));
    assert_eq!(n_get_rq(None), vector("n-get-rq-no-list"));
    assert_eq!(n_get_rq(Some(&[])), vector("n-get-rq-empty-list"));
}

#[test]
fn success_explicit_and_implicit() {
    let mut acc = scp(policy());
    request(&mut acc, &vector("n-get-rq-no-list"));
    check(
        "n-get-rsp-success-explicit",
        &answer(&mut acc, Status::SUCCESS, Some(SMALL)),
    );

    let mut pol = policy();
    pol.transfer_syntaxes = &[Encoding::ImplicitVrLittleEndian];
    let mut acc = scp(pol);
    request(&mut acc, &vector("n-get-rq-no-list"));
    check(
        "n-get-rsp-success-implicit",
        &answer(&mut acc, Status::SUCCESS, Some(SMALL)),
    );
}

#[test]
fn success_fragmented_at_256() {
    let mut acc = scp_for_peer_max(256);
    request(&mut acc, &n_get_rq(None));
    check(
        "n-get-rsp-success-fragmented-256",
        &answer(&mut acc, Status::SUCCESS, Some(large())),
    );
}

#[test]
fn attribute_list_error_0107() {
    let mut acc = scp(policy());
    let asked = [
        Tag::new(0x0008, 0x0070),
        Tag::new(0x0028, 0x7008),
        Tag::new(0x0028, 0x7023),
    ];
    request(&mut acc, &n_get_rq(Some(&asked)));
    check(
        "n-get-rsp-0107",
        &answer(&mut acc, Status::SUCCESS, Some(SMALL)),
    );
}

#[test]
fn processing_failure_0110_with_comment() {
    let mut acc = scp(policy());
    request(&mut acc, &vector("n-get-rq-no-list"));
    acc.conn
        .fail_n_get(Instant::ZERO, 1, "Handler failed")
        .unwrap();
    check("n-get-rsp-0110", &acc.drain());
}

#[test]
fn no_such_instance_0112_from_the_application() {
    let mut acc = scp(policy());
    request(&mut acc, &vector("n-get-rq-no-list"));
    // A failure never carries the data set, even when one is given.
    check(
        "n-get-rsp-0112",
        &answer(&mut acc, Status::new(0x0112), Some(SMALL)),
    );
}

#[test]
fn c_echo() {
    let mut acc = scp(policy());
    let out = acc.feed(Instant::ZERO, &vector("c-echo-rq"), 5);
    check("c-echo-rsp", &out);
    assert_eq!(
        acc.events.last(),
        Some(&Event::Answered {
            message_id: 7,
            context_id: 3,
            command_field: CommandField::C_ECHO_RQ,
            status: 0
        })
    );
    // And the requestor side reads pynetdicom's response.
    let rsp = vector("c-echo-rsp");
    let cmd = Command::parse(&rsp[12..]);
    assert_eq!(cmd.command_field, Some(CommandField::C_ECHO_RSP));
    assert_eq!(cmd.message_id_being_responded_to, Some(7));
    assert_eq!(cmd.status, Some(0));
}
