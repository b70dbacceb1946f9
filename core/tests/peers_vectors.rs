//! Our cores against bytes pynetdicom 3.0.4 emits (core/tests/vectors, scripts/gen-vectors.py).

mod common;

use common::vectors::vector;
use common::*;
use dimse_core::assoc::{RequestorConfig, UserIdentityCheck};
use dimse_core::dataset::Tag;
use dimse_core::dimse::Operation;
use dimse_core::pdu::{
    AssociateRj, Item, ItemIter, PresentationContextRq, SubItem, UserIdentityRq,
};
use dimse_core::ul::State;
use dimse_core::{Connection, Event, Instant};

fn ac_items(ac: &[u8]) -> Vec<String> {
    assert_eq!(ac[0], 2, "not an A-ASSOCIATE-AC: {ac:02x?}");
    let mut out = Vec::new();
    for item in ItemIter::new(&ac[74..]) {
        match item.unwrap() {
            Item::PresentationContextAc(id, result, subs) => {
                let ts: Vec<_> = subs.map(|s| format!("{:?}", s.unwrap())).collect();
                out.push(format!("pc {id} {result} {}", ts.join(",")));
            }
            Item::UserInformation(subs) => {
                for s in subs {
                    match s.unwrap() {
                        SubItem::ImplementationClassUid(_)
                        | SubItem::ImplementationVersionName(_) => {}
                        other => out.push(format!("{other:?}")),
                    }
                }
            }
            Item::ApplicationContext(a) => out.push(format!("{a:?}")),
            other => out.push(format!("{other:?}")),
        }
    }
    out
}

#[test]
fn pynetdicom_rq_is_accepted_with_explicit_vr_preferred() {
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    let out = acc.feed(Instant::ZERO, &vector("a-associate-rq-display"), 7);
    assert_eq!(acc.conn.state(), State::Sta6);
    // The AE fields echo the RQ's (PS3.8 §9.3.3).
    let rq = vector("a-associate-rq-display");
    assert_eq!(out[10..74], rq[10..74]);
    assert_eq!(
        ac_items(&out),
        vec![
            "ApplicationContext(\"1.2.840.10008.3.1.1.1\")",
            "pc 1 0 TransferSyntax(\"1.2.840.10008.1.2.1\")",
            "pc 3 0 TransferSyntax(\"1.2.840.10008.1.2\")",
            "MaximumLength(16382)",
        ]
    );
    assert!(matches!(
        acc.events[0],
        Event::Established {
            peer_max_pdu_length: 16382,
            ..
        }
    ));
}

#[test]
fn role_selection_and_async_window_are_answered() {
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    let out = acc.feed(Instant::ZERO, &vector("a-associate-rq-role-async"), 1);
    assert_eq!(acc.conn.state(), State::Sta6);
    let items = ac_items(&out);
    assert!(
        items.contains(&"AsynchronousOperationsWindow(1, 1)".to_string()),
        "{items:?}"
    );
    assert!(
        items.contains(
            &"RoleSelection(RoleSelection { sop_class_uid: \"1.2.840.10008.5.1.1.40\", scu_role: true, scp_role: false })"
                .to_string()
        ),
        "{items:?}"
    );
}

struct Alice;
impl UserIdentityCheck for Alice {
    fn check(&self, id: &UserIdentityRq<'_>) -> bool {
        id.primary_field == b"alice" && id.secondary_field == b"secret"
    }
}
struct Nobody;
impl UserIdentityCheck for Nobody {
    fn check(&self, _: &UserIdentityRq<'_>) -> bool {
        false
    }
}

#[test]
fn user_identity_accepted_gets_a_positive_response() {
    let mut pol = policy();
    pol.user_identity = Some(&Alice);
    let mut acc = Side::new(Connection::acceptor(
        leak(pol),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    let out = acc.feed(Instant::ZERO, &vector("a-associate-rq-userid"), 13);
    assert_eq!(acc.conn.state(), State::Sta6);
    assert!(ac_items(&out)
        .contains(&"UserIdentityAc(UserIdentityAc { server_response: [] })".to_string()));
    // Without a check configured the identity is ignored and no 59H is sent.
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    let out = acc.feed(Instant::ZERO, &vector("a-associate-rq-userid"), 13);
    assert!(!ac_items(&out)
        .iter()
        .any(|s| s.starts_with("UserIdentityAc")));
}

#[test]
fn user_identity_refused_is_rejected() {
    let mut pol = policy();
    pol.user_identity = Some(&Nobody);
    let mut acc = Side::new(Connection::acceptor(
        leak(pol),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    let out = acc.feed(Instant::ZERO, &vector("a-associate-rq-userid"), 13);
    assert_eq!(out, vec![3, 0, 0, 0, 0, 4, 0, 1, 2, 1]);
    assert_eq!(
        acc.events,
        vec![Event::Rejected(AssociateRj::PROVIDER_NO_REASON)]
    );
    assert_eq!(acc.conn.state(), State::Sta13);
}

#[test]
fn our_rejections_match_pynetdicoms_bytes() {
    let mut pol = policy();
    pol.check_called_ae = true;
    pol.ae_title = ae("NOT_THIS_ONE");
    let mut acc = Side::new(Connection::acceptor(
        leak(pol),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    let out = acc.feed(Instant::ZERO, &vector("a-associate-rq-display"), 64);
    assert_eq!(out, vector("a-associate-rj-1-1-7"));
    let mut buf = [0u8; 10];
    for (rj, name) in [
        (
            AssociateRj::CALLING_AE_NOT_RECOGNIZED,
            "a-associate-rj-1-1-3",
        ),
        (
            AssociateRj::PROTOCOL_VERSION_NOT_SUPPORTED,
            "a-associate-rj-1-2-2",
        ),
        (AssociateRj::LOCAL_LIMIT_EXCEEDED, "a-associate-rj-2-3-2"),
    ] {
        let n = rj.emit(&mut buf).unwrap();
        assert_eq!(buf[..n], vector(name)[..], "{name}");
    }
}

#[test]
fn protocol_version_without_bit_0_is_rejected_1_2_2() {
    let mut rq = vector("a-associate-rq-display");
    rq[7] = 0x02;
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    let out = acc.feed(Instant::ZERO, &rq, 100);
    assert_eq!(out, vector("a-associate-rj-1-2-2"));
    // Only bit 0 is tested: 0x0003 is fine.
    rq[7] = 0x03;
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    acc.feed(Instant::ZERO, &rq, 100);
    assert_eq!(acc.conn.state(), State::Sta6);
}

static EXPL_IMPL: [&str; 2] = [EXPLICIT, IMPLICIT];
static IMPL: [&str; 1] = [IMPLICIT];

fn pynetdicom_like_config() -> &'static RequestorConfig<'static> {
    leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY_SCP"),
        leak([
            PresentationContextRq {
                id: 1,
                abstract_syntax: DISPLAY_SYSTEM,
                transfer_syntaxes: &EXPL_IMPL,
            },
            PresentationContextRq {
                id: 3,
                abstract_syntax: VERIFICATION,
                transfer_syntaxes: &IMPL,
            },
        ]),
    ))
}

#[test]
fn our_requestor_accepts_pynetdicoms_ac() {
    let mut req = Side::new(
        Connection::requestor(pynetdicom_like_config(), storage(1024, 1024), Instant::ZERO)
            .unwrap(),
    );
    let rq = req.drain();
    // Same proposal as pynetdicom's, but our implementation UID and version name.
    let theirs = vector("a-associate-rq-display");
    assert_eq!(rq[0], 1);
    assert_eq!(
        rq[6..74],
        theirs[6..74],
        "version, AE titles and reserved bytes"
    );
    req.feed(Instant::ZERO, &vector("a-associate-ac-display"), 5);
    assert_eq!(req.conn.state(), State::Sta6);
    assert_eq!(
        req.conn.presentation_context(1).unwrap().transfer_syntax,
        EXPLICIT
    );
    assert_eq!(
        req.conn.presentation_context(3).unwrap().transfer_syntax,
        IMPLICIT
    );

    let mut req = Side::new(
        Connection::requestor(pynetdicom_like_config(), storage(1024, 1024), Instant::ZERO)
            .unwrap(),
    );
    req.drain();
    req.feed(Instant::ZERO, &vector("a-associate-ac-rejected-pc3"), 5);
    assert_eq!(req.conn.state(), State::Sta6);
    assert!(req.conn.presentation_context(3).is_none());

    let mut req = Side::new(
        Connection::requestor(pynetdicom_like_config(), storage(1024, 1024), Instant::ZERO)
            .unwrap(),
    );
    req.drain();
    req.feed(Instant::ZERO, &vector("a-associate-rj-1-1-7"), 3);
    assert_eq!(
        req.events,
        vec![
            Event::Rejected(AssociateRj::CALLED_AE_NOT_RECOGNIZED),
            Event::Closed
        ]
    );
}

#[test]
fn pynetdicom_pdata_is_reassembled() {
    // pynetdicom's N-GET-RQ, fed 3 bytes at a time to our SCP.
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(4096, 1024),
        Instant::ZERO,
    ));
    acc.feed(Instant::ZERO, &vector("a-associate-rq-display"), 1000);
    acc.feed(Instant::ZERO, &vector("n-get-rq-attr-list"), 3);
    assert_eq!(
        acc.events.last(),
        Some(&Event::Request {
            op: Operation::NGet,
            message_id: 1,
            context_id: 1
        })
    );
    let rq = acc.conn.n_get_request().unwrap();
    assert_eq!(rq.sop_class_uid, DISPLAY_SYSTEM);
    assert_eq!(rq.sop_instance_uid, DISPLAY_INSTANCE);
    assert_eq!(
        rq.requested_tags().collect::<Vec<_>>(),
        [Tag::new(0x0008, 0x0070), Tag::new(0x0028, 0x7023)]
    );
    // The list as received: the command set's last 8 bytes.
    let bytes = vector("n-get-rq-attr-list");
    assert_eq!(rq.attribute_identifier_list, &bytes[bytes.len() - 8..]);

    // pynetdicom's N-GET-RSP cut at a max PDU of 256 (four PDUs, fragment boundaries inside
    // elements), fed 17 bytes at a time to our SCU that asked for it: one data set.
    let mut req = Side::new(
        Connection::requestor(pynetdicom_like_config(), storage(4096, 1024), Instant::ZERO)
            .unwrap(),
    );
    req.drain();
    req.feed(Instant::ZERO, &vector("a-associate-ac-display"), 1000);
    let id = req
        .conn
        .send_n_get(Instant::ZERO, DISPLAY_SYSTEM, DISPLAY_INSTANCE, None)
        .unwrap();
    assert_eq!(id, 1, "the vector answers Message ID 1");
    req.drain();
    req.feed(
        Instant::ZERO,
        &vector("n-get-rsp-success-fragmented-256"),
        17,
    );
    assert_eq!(
        req.events.last(),
        Some(&Event::Response {
            op: Operation::NGet,
            message_id: 1,
            status: 0,
            related_fields: false,
            data_set_len: Some(648)
        })
    );
    let data = req.responses[0].data_set.as_ref().unwrap();
    assert_eq!(data.len(), 648);
    // It starts with (0008,0070) LO "ACME" in Explicit VR LE.
    assert_eq!(data[..12], *b"\x08\x00\x70\x00LO\x04\x00ACME");
    assert_eq!(req.responses[0].status, 0);
    assert!(req.conn.is_established());
}

#[test]
fn release_and_abort_vectors() {
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    acc.feed(Instant::ZERO, &vector("a-associate-rq-display"), 1000);
    let out = acc.feed(Instant::ZERO, &vector("a-release-rq"), 1);
    assert_eq!(out, vector("a-release-rp"));
    let mut acc = Side::new(Connection::acceptor(
        leak(policy()),
        storage(1024, 1024),
        Instant::ZERO,
    ));
    acc.feed(Instant::ZERO, &vector("a-associate-rq-display"), 1000);
    acc.feed(Instant::ZERO, &vector("a-abort-provider-6"), 1);
    assert!(acc.conn.is_closed());
}
