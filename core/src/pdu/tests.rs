//! Unit tests for the PDU codec: pynetdicom 3.0.4 vectors (the same bytes as files in
//! core/tests/vectors/) decoded field by field and re-encoded byte for byte, every unit's proper prefixes, framing errors, value
//! checks (UIDs, AE titles, version names) and the descriptive strings.

extern crate std;

use std::string::String;
use std::vec;
use std::vec::Vec;

use super::items::{
    ItemHeader, ItemType, PresentationContextAc, PresentationContextRq, RoleSelection,
    SopClassCommonExtended, SopClassExtended, SubItem, SubItemIter, UserIdentityAc, UserIdentityRq,
    UserIdentityType,
};
use super::*;
use crate::codec::Writer;
use crate::BufferTooSmall;

// ---------------------------------------------------------------------------------------------
// Vectors generated with pynetdicom 3.0.4 by scripts/gen-vectors.py; each is found byte for
// byte in a core/tests/vectors/ file: RQ and AC in a-associate-{rq,ac}-userid.hex, the
// rejected PC item in a-associate-ac-rejected-pc3.hex, RJ in a-associate-rj-1-1-7.hex, the
// releases in a-release-{rq,rp}.hex, the aborts in a-abort-user.hex and a-abort-provider-2.hex, the N-GET PDUs in
// n-get-rq-attr-list.hex and n-get-rsp-success-implicit.hex.
// ---------------------------------------------------------------------------------------------

const RQ_HEX: &str = "01000000010200010000444953504c41595f534350202020202051415f53435520202020202020202020000000000000000000000000000000000000000000000000000000000000000010000015312e322e3834302e31303030382e332e312e312e312000004a0100000030000016312e322e3834302e31303030382e352e312e312e343040000013312e322e3834302e31303030382e312e322e3140000011312e322e3834302e31303030382e312e3250000053510000040000400052000020312e322e3832362e302e312e333638303034332e392e333831312e332e302e345500000e50594e45544449434f4d5f3330345800001102010005616c6963650006736563726574";
const AC_HEX: &str = "0200000000be00010000444953504c41595f534350202020202051415f53435520202020202020202020000000000000000000000000000000000000000000000000000000000000000010000015312e322e3834302e31303030382e332e312e312e312100001b0100000040000013312e322e3834302e31303030382e312e322e315000003e510000040000400052000020312e322e3832362e302e312e333638303034332e392e333831312e332e302e345500000e50594e45544449434f4d5f333034";
const REJECTED_PC_HEX: &str = "210000190300030040000011312e322e3834302e31303030382e312e32";
const RJ_HEX: &str = "03000000000400010107";
const RELEASE_RQ_HEX: &str = "05000000000400000000";
const RELEASE_RP_HEX: &str = "06000000000400000000";
const ABORT_USER_HEX: &str = "07000000000400000000";
const ABORT_PROVIDER_HEX: &str = "07000000000400000202";
const NGET_RQ_HEX: &str = "04000000007e0000007a010300000000040000006c0000000000030016000000312e322e3834302e31303030382e352e312e312e34300000000102000000100100001001020000000100000000080200000001010000011018000000312e322e3834302e31303030382e352e312e312e34302e3100000510080000000800700028002370";
const NGET_RSP_CMD_HEX: &str = "0400000000780000007401030000000004000000660000000000020016000000312e322e3834302e31303030382e352e312e312e3430000000010200000010810000200102000000010000000008020000000100000000090200000000000000001018000000312e322e3834302e31303030382e352e312e312e34302e31";
const NGET_RSP_DATA_HEX: &str = "040000000036000000320102080070000400000041434d45280023701c000000feff00e0140000002800037002000000010028000670020000004f4b";

const APP_CTX: &str = "1.2.840.10008.3.1.1.1";
const DISPLAY_SYSTEM: &str = "1.2.840.10008.5.1.1.40";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const PYNETDICOM_UID: &str = "1.2.826.0.1.3680043.9.3811.3.0.4";
const PYNETDICOM_VERSION: &str = "PYNETDICOM_304";

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ae(s: &str) -> AeTitle {
    AeTitle::new(s).unwrap()
}

fn subs(it: SubItemIter<'_>) -> Vec<SubItem<'_>> {
    it.collect::<Result<Vec<_>, _>>().unwrap()
}

/// Emits `f` into a buffer of exactly `len` bytes (it must report `len`); one byte less must be
/// `BufferTooSmall`.
fn emit_exact(len: usize, f: impl Fn(&mut [u8]) -> Result<usize, BufferTooSmall>) -> Vec<u8> {
    let mut buf = vec![0xAAu8; len];
    assert_eq!(f(&mut buf), Ok(len));
    // One byte short never panics and reports BufferTooSmall.
    if len > 0 {
        let mut short = vec![0u8; len - 1];
        assert_eq!(f(&mut short), Err(BufferTooSmall));
    }
    buf
}

/// Writes a sub-item with the crate's writer, checking `buffer_len`.
fn write_sub(s: &SubItem<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; s.buffer_len()];
    let mut w = Writer::new(&mut buf);
    s.write(&mut w).unwrap();
    assert_eq!(w.position(), s.buffer_len());
    buf
}

fn header(buf: &[u8]) -> PduHeader {
    match PduHeader::parse(buf) {
        Ok(Parse::Complete(h, n)) => {
            assert_eq!(n, PDU_HEADER_LEN);
            assert_eq!(h.length as usize + PDU_HEADER_LEN, buf.len());
            h
        }
        other => panic!("header: {other:?}"),
    }
}

fn fixed(buf: &[u8]) -> AssociateFixed {
    match AssociateFixed::parse(&buf[PDU_HEADER_LEN..]) {
        Parse::Complete(f, n) => {
            assert_eq!(n, AssociateFixed::LEN);
            f
        }
        Parse::Partial => panic!("fixed part partial"),
    }
}

const ITEMS_AT: usize = PDU_HEADER_LEN + AssociateFixed::LEN;

fn rq_user_identity() -> UserIdentityRq<'static> {
    UserIdentityRq {
        identity_type: UserIdentityType::UsernamePasscode,
        positive_response_requested: true,
        primary_field: b"alice",
        secondary_field: b"secret",
    }
}

// ---------------------------------------------------------------------------------------------
// A-ASSOCIATE-RQ
// ---------------------------------------------------------------------------------------------

#[test]
fn associate_rq_vector_decodes_field_by_field() {
    let v = hex(RQ_HEX);
    assert_eq!(v.len(), 264);
    let h = header(&v);
    assert_eq!(h.pdu_type, PduType::AssociateRq);
    assert_eq!(h.length, 258);

    let f = fixed(&v);
    assert_eq!(f.protocol_version, 1);
    assert!(f.supports_version_1());
    assert_eq!(&f.called_ae_field, b"DISPLAY_SCP     ");
    assert_eq!(&f.calling_ae_field, b"QA_SCU          ");
    assert_eq!(f.called_ae(), ae("DISPLAY_SCP"));
    assert_eq!(f.calling_ae().as_str(), Some("QA_SCU"));
    assert_eq!(f.reserved, [0; 32]);
    assert_eq!(f, AssociateFixed::new(ae("DISPLAY_SCP"), ae("QA_SCU")));

    let mut items = ItemIter::new(&v[ITEMS_AT..]);
    match items.next() {
        Some(Ok(Item::ApplicationContext(s))) => {
            assert_eq!(s, SubItem::ApplicationContext(APP_CTX));
        }
        other => panic!("{other:?}"),
    }
    match items.next() {
        Some(Ok(Item::PresentationContextRq(id, it))) => {
            assert_eq!(id, 1);
            assert_eq!(
                subs(it),
                [
                    SubItem::AbstractSyntax(DISPLAY_SYSTEM),
                    SubItem::TransferSyntax(EXPLICIT_LE),
                    SubItem::TransferSyntax(IMPLICIT_LE),
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    match items.next() {
        Some(Ok(Item::UserInformation(it))) => {
            assert_eq!(
                subs(it),
                [
                    SubItem::MaximumLength(16384),
                    SubItem::ImplementationClassUid(PYNETDICOM_UID),
                    SubItem::ImplementationVersionName(PYNETDICOM_VERSION),
                    SubItem::UserIdentityRq(rq_user_identity()),
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(items.next().is_none());
}

#[test]
fn associate_rq_vector_walks_unit_by_unit() {
    // The incremental path: item headers, then each sub-item parsed whole from a prefix.
    let v = hex(RQ_HEX);
    let mut at = ITEMS_AT;
    let mut seen = Vec::new();
    while at < v.len() {
        let Parse::Complete(ih, n) = ItemHeader::parse(&v[at..]) else {
            panic!("item header at {at}");
        };
        assert_eq!(n, ItemHeader::LEN);
        assert_eq!(ih.reserved, 0);
        seen.push(ih.item_type);
        match ih.item_type {
            0x10 => {
                let Ok(Parse::Complete(s, used)) = SubItem::parse(&v[at..]) else {
                    panic!()
                };
                assert_eq!(s, SubItem::ApplicationContext(APP_CTX));
                assert_eq!(used, ih.total_len());
                at += used;
            }
            0x20 | 0x50 => {
                let end = at + ih.total_len();
                at += ItemHeader::LEN;
                if ih.item_type == 0x20 {
                    assert_eq!(&v[at..at + 4], &[1, 0, 0, 0]);
                    at += 4;
                }
                while at < end {
                    let Ok(Parse::Complete(s, used)) = SubItem::parse(&v[at..end]) else {
                        panic!("sub-item at {at}");
                    };
                    assert_ne!(s.buffer_len(), 0, "{s:?}");
                    assert_eq!(used, s.buffer_len());
                    at += used;
                }
                assert_eq!(at, end);
            }
            t => panic!("unexpected item {t:#x}"),
        }
    }
    assert_eq!(at, v.len());
    assert_eq!(seen, [0x10, 0x20, 0x50]);
}

#[test]
fn associate_rq_vector_reencodes_byte_for_byte() {
    let v = hex(RQ_HEX);
    let ts = [EXPLICIT_LE, IMPLICIT_LE];
    let pcs = [PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &ts,
    }];
    let rq = AssociateRq {
        fixed: AssociateFixed::new(ae("DISPLAY_SCP"), ae("QA_SCU")),
        application_context: APPLICATION_CONTEXT_NAME,
        presentation_contexts: &pcs,
        user_information: UserInformation {
            max_length: 16384,
            implementation_class_uid: PYNETDICOM_UID,
            implementation_version_name: Some(PYNETDICOM_VERSION),
            user_identity_rq: Some(rq_user_identity()),
            ..UserInformation::default()
        },
    };
    assert_eq!(rq.buffer_len(), v.len());
    assert_eq!(rq.user_information.buffer_len(), 4 + 0x53);
    let out = emit_exact(rq.buffer_len(), |b| rq.emit(b));
    assert_eq!(out, v);
    // A larger buffer: the same bytes, the rest untouched.
    let mut big = vec![0xEEu8; v.len() + 10];
    assert_eq!(rq.emit(&mut big), Ok(v.len()));
    assert_eq!(&big[..v.len()], &v[..]);
    assert!(big[v.len()..].iter().all(|&b| b == 0xEE));
}

// ---------------------------------------------------------------------------------------------
// A-ASSOCIATE-AC and the rejected presentation context item
// ---------------------------------------------------------------------------------------------

#[test]
fn associate_ac_vector_decodes_field_by_field() {
    let v = hex(AC_HEX);
    assert_eq!(v.len(), 196);
    let h = header(&v);
    assert_eq!(h.pdu_type, PduType::AssociateAc);
    assert_eq!(h.length, 0xbe);
    let f = fixed(&v);
    assert_eq!(f, AssociateFixed::new(ae("DISPLAY_SCP"), ae("QA_SCU")));

    let items: Vec<_> = ItemIter::new(&v[ITEMS_AT..])
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(items.len(), 3);
    let Item::ApplicationContext(SubItem::ApplicationContext(name)) = &items[0] else {
        panic!("{:?}", items[0]);
    };
    assert_eq!(*name, APP_CTX);
    let Item::PresentationContextAc(id, result, it) = &items[1] else {
        panic!("{:?}", items[1]);
    };
    assert_eq!((*id, *result), (1, 0));
    assert_eq!(subs(it.clone()), [SubItem::TransferSyntax(EXPLICIT_LE)]);
    let Item::UserInformation(it) = &items[2] else {
        panic!("{:?}", items[2]);
    };
    assert_eq!(
        subs(it.clone()),
        [
            SubItem::MaximumLength(16384),
            SubItem::ImplementationClassUid(PYNETDICOM_UID),
            SubItem::ImplementationVersionName(PYNETDICOM_VERSION),
        ]
    );
}

#[test]
fn associate_ac_vector_reencodes_byte_for_byte() {
    let v = hex(AC_HEX);
    let pcs = [PresentationContextAc {
        id: 1,
        result: 0,
        transfer_syntax: EXPLICIT_LE,
    }];
    let ac = AssociateAc {
        // The AC echoes the RQ's fixed fields: take them from the parsed RQ.
        fixed: fixed(&hex(RQ_HEX)),
        application_context: APPLICATION_CONTEXT_NAME,
        presentation_contexts: &pcs,
        user_information: UserInformation {
            max_length: 16384,
            implementation_class_uid: PYNETDICOM_UID,
            implementation_version_name: Some(PYNETDICOM_VERSION),
            ..UserInformation::default()
        },
    };
    assert_eq!(ac.buffer_len(), v.len());
    assert_eq!(emit_exact(ac.buffer_len(), |b| ac.emit(b)), v);
}

#[test]
fn rejected_presentation_context_item() {
    let v = hex(REJECTED_PC_HEX);
    let mut items = ItemIter::new(&v);
    let Some(Ok(Item::PresentationContextAc(3, 3, it))) = items.next() else {
        panic!();
    };
    assert_eq!(subs(it), [SubItem::TransferSyntax(IMPLICIT_LE)]);
    assert!(items.next().is_none());

    let pc = PresentationContextAc {
        id: 3,
        result: 3,
        transfer_syntax: IMPLICIT_LE,
    };
    assert_eq!(ItemHeader::LEN + pc.body_len(), v.len());
    let mut buf = vec![0u8; v.len()];
    let mut w = Writer::new(&mut buf);
    pc.write(&mut w).unwrap();
    assert_eq!(w.position(), v.len());
    assert_eq!(buf, v);
    let mut short = vec![0u8; v.len() - 1];
    assert_eq!(pc.write(&mut Writer::new(&mut short)), Err(BufferTooSmall));
}

#[test]
fn presentation_context_rq_item_roundtrip() {
    let ts = [EXPLICIT_LE, IMPLICIT_LE, "1.2.840.10008.1.2.2"];
    let pc = PresentationContextRq {
        id: 255,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &ts,
    };
    let len = ItemHeader::LEN + pc.body_len();
    let mut buf = vec![0u8; len];
    let mut w = Writer::new(&mut buf);
    pc.write(&mut w).unwrap();
    assert_eq!(w.position(), len);
    assert_eq!(&buf[..4], &[0x20, 0, 0, (len - 4) as u8]);
    let Some(Ok(Item::PresentationContextRq(255, it))) = ItemIter::new(&buf).next() else {
        panic!();
    };
    let got = subs(it);
    assert_eq!(got[0], SubItem::AbstractSyntax(DISPLAY_SYSTEM));
    let got_ts: Vec<_> = got[1..]
        .iter()
        .map(|s| match s {
            SubItem::TransferSyntax(t) => *t,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got_ts, ts);
}

// ---------------------------------------------------------------------------------------------
// Fixed-size PDUs
// ---------------------------------------------------------------------------------------------

fn fixed_body(v: &[u8]) -> [u8; 4] {
    v[PDU_HEADER_LEN..].try_into().unwrap()
}

#[test]
fn associate_rj_vector() {
    let v = hex(RJ_HEX);
    let h = header(&v);
    assert_eq!((h.pdu_type, h.length), (PduType::AssociateRj, 4));
    let rj = AssociateRj::parse_body(fixed_body(&v)).unwrap();
    assert_eq!(rj, AssociateRj::CALLED_AE_NOT_RECOGNIZED);
    assert_eq!(rj.result, RejectResult::Permanent);
    assert_eq!(rj.source, RejectSource::ServiceUser);
    assert_eq!(rj.reason, RejectReason::CALLED_AE_TITLE_NOT_RECOGNIZED);
    assert_eq!(rj.buffer_len(), 10);
    assert_eq!(emit_exact(rj.buffer_len(), |b| rj.emit(b)), v);
    // Byte 7 is reserved and not tested.
    assert_eq!(AssociateRj::parse_body([0xff, 1, 1, 7]), Ok(rj));
}

#[test]
fn associate_rj_every_constant_roundtrips() {
    for rj in [
        AssociateRj::CALLED_AE_NOT_RECOGNIZED,
        AssociateRj::CALLING_AE_NOT_RECOGNIZED,
        AssociateRj::APPLICATION_CONTEXT_NOT_SUPPORTED,
        AssociateRj::USER_NO_REASON,
        AssociateRj::PROTOCOL_VERSION_NOT_SUPPORTED,
        AssociateRj::PROVIDER_NO_REASON,
        AssociateRj::LOCAL_LIMIT_EXCEEDED,
    ] {
        let out = emit_exact(rj.buffer_len(), |b| rj.emit(b));
        assert_eq!(header(&out).pdu_type, PduType::AssociateRj);
        assert_eq!(AssociateRj::parse_body(fixed_body(&out)), Ok(rj));
    }
}

#[test]
fn associate_rj_invalid_result_or_source() {
    for r in [0u8, 3, 0xff] {
        assert_eq!(
            AssociateRj::parse_body([0, r, 1, 1]),
            Err(ParseError::InvalidValue)
        );
    }
    for s in [0u8, 4, 0xff] {
        assert_eq!(
            AssociateRj::parse_body([0, 1, s, 1]),
            Err(ParseError::InvalidValue)
        );
    }
    // Reasons are kept as received.
    assert_eq!(
        AssociateRj::parse_body([0, 2, 3, 0xee]).unwrap().reason,
        RejectReason(0xee)
    );
}

#[test]
fn release_vectors() {
    let rq = hex(RELEASE_RQ_HEX);
    let h = header(&rq);
    assert_eq!((h.pdu_type, h.length), (PduType::ReleaseRq, 4));
    assert_eq!(ReleaseRq.buffer_len(), 10);
    assert_eq!(emit_exact(10, |b| ReleaseRq.emit(b)), rq);

    let rp = hex(RELEASE_RP_HEX);
    let h = header(&rp);
    assert_eq!((h.pdu_type, h.length), (PduType::ReleaseRp, 4));
    assert_eq!(ReleaseRp.buffer_len(), 10);
    assert_eq!(emit_exact(10, |b| ReleaseRp.emit(b)), rp);
}

#[test]
fn abort_vectors() {
    let user = hex(ABORT_USER_HEX);
    let h = header(&user);
    assert_eq!((h.pdu_type, h.length), (PduType::Abort, 4));
    assert_eq!(Abort::parse_body(fixed_body(&user)), Abort::USER);
    assert_eq!(
        emit_exact(Abort::USER.buffer_len(), |b| Abort::USER.emit(b)),
        user
    );

    let provider = hex(ABORT_PROVIDER_HEX);
    let a = Abort::provider(AbortReason::UnexpectedPdu);
    assert_eq!(header(&provider).pdu_type, PduType::Abort);
    assert_eq!(Abort::parse_body(fixed_body(&provider)), a);
    assert_eq!(a.source, AbortSource::ServiceProvider);
    assert_eq!(emit_exact(a.buffer_len(), |b| a.emit(b)), provider);
}

#[test]
fn abort_every_code_roundtrips_and_odd_values_are_kept() {
    for source in 0u8..=255 {
        for reason in [0u8, 1, 2, 3, 4, 5, 6, 7, 0xff] {
            let a = Abort::parse_body([0xaa, 0xbb, source, reason]);
            let out = emit_exact(a.buffer_len(), |b| a.emit(b));
            assert_eq!(out, [7, 0, 0, 0, 0, 4, 0, 0, source, reason]);
            assert_eq!(Abort::parse_body(fixed_body(&out)), a);
        }
    }
    assert_eq!(
        Abort::parse_body([0, 0, 1, 3]),
        Abort {
            source: AbortSource::Reserved,
            reason: AbortReason::Other(3)
        }
    );
    assert_eq!(
        Abort::parse_body([0, 0, 9, 6]),
        Abort {
            source: AbortSource::Other(9),
            reason: AbortReason::InvalidPduParameterValue
        }
    );
}

// ---------------------------------------------------------------------------------------------
// P-DATA-TF
// ---------------------------------------------------------------------------------------------

fn pdv_header(buf: &[u8]) -> PdvHeader {
    match PdvHeader::parse(buf) {
        Ok(Parse::Complete(h, n)) => {
            assert_eq!(n, PDV_HEADER_LEN);
            h
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pdata_nget_rq_vector() {
    let v = hex(NGET_RQ_HEX);
    let h = header(&v);
    assert_eq!((h.pdu_type, h.length), (PduType::PDataTf, 126));
    let ph = pdv_header(&v[PDU_HEADER_LEN..]);
    assert_eq!(ph.length, 122);
    assert_eq!(ph.context_id, 1);
    assert_eq!(ph.control, MessageControlHeader(0x03));
    assert!(ph.control.is_command() && ph.control.is_last());
    assert_eq!(ph.fragment_len(), 120);
    let frag = &v[PDU_HEADER_LEN + PDV_HEADER_LEN..];
    assert_eq!(frag.len(), 120);
    // (0000,0000) UL 4 = 108: the command set's group length.
    assert_eq!(&frag[..8], &[0, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(u32::from_le_bytes(frag[8..12].try_into().unwrap()), 108);

    let got: Vec<_> = pdata::pdvs(&v[PDU_HEADER_LEN..])
        .collect::<Result<_, _>>()
        .unwrap();
    let pdvs = [Pdv {
        context_id: 1,
        control: MessageControlHeader::new(true, true),
        data: frag,
    }];
    assert_eq!(got, pdvs);
    let p = PDataTf { pdvs: &pdvs };
    assert_eq!(p.buffer_len(), v.len());
    assert_eq!(emit_exact(p.buffer_len(), |b| p.emit(b)), v);
}

#[test]
fn pdata_nget_rsp_vectors() {
    let cmd = hex(NGET_RSP_CMD_HEX);
    let data = hex(NGET_RSP_DATA_HEX);
    for (v, control) in [(&cmd, 0x03u8), (&data, 0x02)] {
        let h = header(v);
        assert_eq!(h.pdu_type, PduType::PDataTf);
        let ph = pdv_header(&v[PDU_HEADER_LEN..]);
        assert_eq!(ph.context_id, 1);
        assert_eq!(ph.control.0, control);
        assert_eq!(ph.length as usize + 4, h.length as usize);
        let frag = &v[PDU_HEADER_LEN + PDV_HEADER_LEN..];
        let pdvs = [Pdv {
            context_id: 1,
            control: MessageControlHeader(control),
            data: frag,
        }];
        let p = PDataTf { pdvs: &pdvs };
        assert_eq!(emit_exact(p.buffer_len(), |b| p.emit(b)), *v);
    }
    assert!(!MessageControlHeader(0x02).is_command());
    assert!(MessageControlHeader(0x02).is_last());
}

#[test]
fn pdata_several_pdvs_and_empty_fragment() {
    let pdvs = [
        Pdv {
            context_id: 3,
            control: MessageControlHeader::new(true, true),
            data: &[1, 2, 3, 4],
        },
        Pdv {
            context_id: 3,
            control: MessageControlHeader::new(false, false),
            data: &[],
        },
        Pdv {
            context_id: 3,
            control: MessageControlHeader::new(false, true),
            data: &[9, 8],
        },
    ];
    let p = PDataTf { pdvs: &pdvs };
    assert_eq!(p.buffer_len(), 6 + 3 * 6 + 6);
    let out = emit_exact(p.buffer_len(), |b| p.emit(b));
    assert_eq!(header(&out).length as usize, out.len() - 6);
    let got: Vec<_> = pdata::pdvs(&out[6..]).collect::<Result<_, _>>().unwrap();
    assert_eq!(got, pdvs);
    // The empty PDV: Item-length 2.
    assert_eq!(&out[16..22], &[0, 0, 0, 2, 3, 0]);
}

#[test]
fn message_control_header_bits() {
    for (cmd, last, byte) in [
        (false, false, 0u8),
        (true, false, 1),
        (false, true, 2),
        (true, true, 3),
    ] {
        let m = MessageControlHeader::new(cmd, last);
        assert_eq!(m.0, byte);
        assert_eq!((m.is_command(), m.is_last()), (cmd, last));
    }
    // Bits 2-7 are not tested.
    assert!(MessageControlHeader(0xfd).is_command());
    assert!(!MessageControlHeader(0xfd).is_last());
}

#[test]
fn pdvs_iterator_errors() {
    // Fragment overruns the body.
    let mut it = pdata::pdvs(&[0, 0, 0, 9, 1, 3, 0, 0]);
    assert_eq!(it.next(), Some(Err(ParseError::InvalidLength)));
    assert_eq!(it.next(), None);
    // A trailing partial header.
    let mut it = pdata::pdvs(&[0, 0, 0, 2, 1, 3, 0, 0]);
    assert!(matches!(it.next(), Some(Ok(_))));
    assert_eq!(it.next(), Some(Err(ParseError::InvalidLength)));
    assert_eq!(it.next(), None);
    // Item-length below 2.
    let mut it = pdata::pdvs(&[0, 0, 0, 1, 1, 3]);
    assert_eq!(it.next(), Some(Err(ParseError::InvalidLength)));
    assert_eq!(it.next(), None);
}

// ---------------------------------------------------------------------------------------------
// Partial on every proper prefix
// ---------------------------------------------------------------------------------------------

#[test]
fn pdu_header_partial_on_every_prefix() {
    for v in [
        RQ_HEX,
        AC_HEX,
        RJ_HEX,
        RELEASE_RQ_HEX,
        RELEASE_RP_HEX,
        ABORT_USER_HEX,
        NGET_RQ_HEX,
    ]
    .map(hex)
    {
        for n in 0..PDU_HEADER_LEN {
            assert_eq!(PduHeader::parse(&v[..n]), Ok(Parse::Partial), "{n}");
        }
        // Complete with exactly the header, and only the header is used with more.
        for n in [PDU_HEADER_LEN, PDU_HEADER_LEN + 1, v.len()] {
            assert!(matches!(
                PduHeader::parse(&v[..n]),
                Ok(Parse::Complete(_, PDU_HEADER_LEN))
            ));
        }
    }
    // An unknown type is reported only once the header is whole.
    let bad = [0x08, 0, 0, 0, 0, 4];
    for n in 0..PDU_HEADER_LEN {
        assert_eq!(PduHeader::parse(&bad[..n]), Ok(Parse::Partial));
    }
    assert_eq!(PduHeader::parse(&bad), Err(ParseError::UnrecognizedPdu(8)));
}

#[test]
fn associate_fixed_partial_on_every_prefix() {
    let v = hex(RQ_HEX);
    let body = &v[PDU_HEADER_LEN..];
    for n in 0..AssociateFixed::LEN {
        assert_eq!(AssociateFixed::parse(&body[..n]), Parse::Partial, "{n}");
    }
    assert!(matches!(
        AssociateFixed::parse(&body[..AssociateFixed::LEN]),
        Parse::Complete(_, AssociateFixed::LEN)
    ));
    assert!(matches!(
        AssociateFixed::parse(body),
        Parse::Complete(_, AssociateFixed::LEN)
    ));
}

#[test]
fn item_header_partial_on_every_prefix() {
    let v = hex(REJECTED_PC_HEX);
    for n in 0..ItemHeader::LEN {
        assert_eq!(ItemHeader::parse(&v[..n]), Parse::Partial);
    }
    assert_eq!(
        ItemHeader::parse(&v),
        Parse::Complete(
            ItemHeader {
                item_type: 0x21,
                reserved: 0,
                length: 0x19
            },
            4
        )
    );
    assert_eq!(
        ItemHeader {
            item_type: 0,
            reserved: 0,
            length: 0xffff
        }
        .total_len(),
        0x10003
    );
}

/// Every sub-item of every type, encoded, for the prefix and roundtrip tests.
fn every_sub_item(related: &[u8]) -> Vec<SubItem<'_>> {
    vec![
        SubItem::ApplicationContext(APP_CTX),
        SubItem::AbstractSyntax(DISPLAY_SYSTEM),
        SubItem::TransferSyntax(EXPLICIT_LE),
        SubItem::MaximumLength(0),
        SubItem::MaximumLength(u32::MAX),
        SubItem::ImplementationClassUid(PYNETDICOM_UID),
        SubItem::AsynchronousOperationsWindow(0, 0xffff),
        SubItem::RoleSelection(RoleSelection {
            sop_class_uid: DISPLAY_SYSTEM,
            scu_role: false,
            scp_role: true,
        }),
        SubItem::RoleSelection(RoleSelection {
            sop_class_uid: "1.2",
            scu_role: true,
            scp_role: false,
        }),
        SubItem::ImplementationVersionName(PYNETDICOM_VERSION),
        SubItem::ImplementationVersionName("A"),
        SubItem::ImplementationVersionName("0123456789ABCDE "),
        SubItem::SopClassExtended(SopClassExtended {
            sop_class_uid: DISPLAY_SYSTEM,
            application_information: &[1, 0, 1, 0],
        }),
        SubItem::SopClassExtended(SopClassExtended {
            sop_class_uid: DISPLAY_SYSTEM,
            application_information: &[],
        }),
        SubItem::SopClassCommonExtended(SopClassCommonExtended {
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.4",
            service_class_uid: "1.2.840.10008.4.2",
            related_encoded: related,
        }),
        SubItem::SopClassCommonExtended(SopClassCommonExtended {
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.4",
            service_class_uid: "1.2.840.10008.4.2",
            related_encoded: &[],
        }),
        SubItem::UserIdentityRq(rq_user_identity()),
        SubItem::UserIdentityRq(UserIdentityRq {
            identity_type: UserIdentityType::Username,
            positive_response_requested: false,
            primary_field: b"bob",
            secondary_field: b"",
        }),
        SubItem::UserIdentityRq(UserIdentityRq {
            identity_type: UserIdentityType::Jwt,
            positive_response_requested: true,
            primary_field: b"eyJ.x.y",
            secondary_field: b"",
        }),
        SubItem::UserIdentityAc(UserIdentityAc {
            server_response: b"",
        }),
        SubItem::UserIdentityAc(UserIdentityAc {
            server_response: b"ticket",
        }),
    ]
}

fn related_buf() -> ([u8; 128], usize) {
    let mut buf = [0u8; 128];
    let n = SopClassCommonExtended::encode_related(
        &["1.2.840.10008.5.1.4.1.1.88.22", "1.2.3"],
        &mut buf,
    )
    .unwrap()
    .len();
    (buf, n)
}

#[test]
fn sub_items_partial_on_every_prefix_and_complete_when_whole() {
    let (rel, n) = related_buf();
    for s in every_sub_item(&rel[..n]) {
        let bytes = write_sub(&s);
        for k in 0..bytes.len() {
            assert_eq!(SubItem::parse(&bytes[..k]), Ok(Parse::Partial), "{s:?} {k}");
        }
        assert_eq!(SubItem::parse(&bytes), Ok(Parse::Complete(s, bytes.len())));
        // Trailing bytes are not consumed.
        let mut more = bytes.clone();
        more.extend_from_slice(&[0x51, 0, 0]);
        assert_eq!(SubItem::parse(&more), Ok(Parse::Complete(s, bytes.len())));
    }
}

#[test]
fn pdv_header_partial_on_every_prefix() {
    let v = hex(NGET_RQ_HEX);
    let pdv = &v[PDU_HEADER_LEN..];
    for n in 0..PDV_HEADER_LEN {
        assert_eq!(PdvHeader::parse(&pdv[..n]), Ok(Parse::Partial));
    }
    // Even a too-short Item-length is only an error once the header is whole.
    let bad = [0, 0, 0, 1, 1, 3];
    for n in 0..PDV_HEADER_LEN {
        assert_eq!(PdvHeader::parse(&bad[..n]), Ok(Parse::Partial));
    }
    assert!(matches!(
        PdvHeader::parse(pdv),
        Ok(Parse::Complete(_, PDV_HEADER_LEN))
    ));
}

// ---------------------------------------------------------------------------------------------
// Every item and sub-item type: emit and parse back
// ---------------------------------------------------------------------------------------------

#[test]
fn every_sub_item_roundtrips() {
    let (rel, n) = related_buf();
    for s in every_sub_item(&rel[..n]) {
        let bytes = write_sub(&s);
        let Parse::Complete(h, _) = ItemHeader::parse(&bytes) else {
            panic!()
        };
        assert_eq!(h.total_len(), bytes.len(), "{s:?}");
        assert_eq!(h.reserved, 0, "{s:?}");
        assert_eq!(SubItem::from_body(h.item_type, &bytes[4..]), Ok(s));
        // Through SubItemIter as well.
        let mut it = SubItemIter::new(&bytes);
        assert_eq!(it.next(), Some(Ok(s)));
        assert_eq!(it.next(), None);
        // One byte short.
        let mut short = vec![0u8; bytes.len() - 1];
        assert_eq!(s.write(&mut Writer::new(&mut short)), Err(BufferTooSmall));
    }
}

#[test]
fn sub_item_exact_encodings() {
    assert_eq!(
        write_sub(&SubItem::MaximumLength(16384)),
        [0x51, 0, 0, 4, 0, 0, 0x40, 0]
    );
    assert_eq!(
        write_sub(&SubItem::AsynchronousOperationsWindow(1, 2)),
        [0x53, 0, 0, 4, 0, 1, 0, 2]
    );
    assert_eq!(
        write_sub(&SubItem::RoleSelection(RoleSelection {
            sop_class_uid: "1.2",
            scu_role: true,
            scp_role: false
        })),
        [0x54, 0, 0, 7, 0, 3, b'1', b'.', b'2', 1, 0]
    );
    assert_eq!(
        write_sub(&SubItem::ImplementationVersionName("V1")),
        [0x55, 0, 0, 2, b'V', b'1']
    );
    assert_eq!(
        write_sub(&SubItem::SopClassExtended(SopClassExtended {
            sop_class_uid: "1.2",
            application_information: &[7, 8]
        })),
        [0x56, 0, 0, 7, 0, 3, b'1', b'.', b'2', 7, 8]
    );
    assert_eq!(
        write_sub(&SubItem::UserIdentityRq(UserIdentityRq {
            identity_type: UserIdentityType::Username,
            positive_response_requested: false,
            primary_field: b"u",
            secondary_field: b"",
        })),
        [0x58, 0, 0, 7, 1, 0, 0, 1, b'u', 0, 0]
    );
    assert_eq!(
        write_sub(&SubItem::UserIdentityAc(UserIdentityAc {
            server_response: b"ok"
        })),
        [0x59, 0, 0, 4, 0, 2, b'o', b'k']
    );
    // Malformed and Unknown carry nothing and emit nothing.
    assert_eq!(SubItem::Malformed(0x30).buffer_len(), 0);
    assert_eq!(SubItem::Unknown(0x77).buffer_len(), 0);
    assert!(write_sub(&SubItem::Unknown(0x77)).is_empty());
}

#[test]
fn sop_class_common_extended_layout_matches_ps3_7_table_d_3_12() {
    // Version 0: SOP class, service class and the related list, each with a u16 length; the
    // trailing Reserved field is zero-length (no bytes). pynetdicom and dcm4che encode the
    // same: Item-length = 6 + the three values.
    let mut rel = [0u8; 16];
    let rel = SopClassCommonExtended::encode_related(&["1.3"], &mut rel).unwrap();
    assert_eq!(rel, [0, 3, b'1', b'.', b'3']);
    let s = SubItem::SopClassCommonExtended(SopClassCommonExtended {
        sop_class_uid: "1.2",
        service_class_uid: "4.5",
        related_encoded: rel,
    });
    let expected = [
        0x57, 0, 0, 17, // type, version 0, length 6 + 3 + 3 + 5
        0, 3, b'1', b'.', b'2', //
        0, 3, b'4', b'.', b'5', //
        0, 5, 0, 3, b'1', b'.', b'3',
    ];
    assert_eq!(s.buffer_len(), expected.len());
    assert_eq!(write_sub(&s), expected);
    let Ok(Parse::Complete(SubItem::SopClassCommonExtended(c), 21)) = SubItem::parse(&expected)
    else {
        panic!()
    };
    assert_eq!(c.related_general_sop_classes().collect::<Vec<_>>(), ["1.3"]);
    // A later version may append fields: ignored.
    let mut v1 = expected.to_vec();
    v1[1] = 1;
    v1[3] += 3;
    v1.extend_from_slice(&[0, 1, 9]);
    assert_eq!(
        SubItem::parse(&v1),
        Ok(Parse::Complete(
            SubItem::SopClassCommonExtended(c),
            v1.len()
        ))
    );
}

#[test]
fn related_general_sop_classes_walk() {
    let uids = ["1.2.840.10008.5.1.4.1.1.88.22", "1.2.3", "9"];
    let mut buf = [0u8; 64];
    let enc = SopClassCommonExtended::encode_related(&uids, &mut buf).unwrap();
    let c = SopClassCommonExtended {
        sop_class_uid: "1",
        service_class_uid: "2",
        related_encoded: enc,
    };
    assert_eq!(c.related_general_sop_classes().collect::<Vec<_>>(), uids);
    // Stops at the first malformed entry (bad UID, or a length that overruns).
    let bad = [0, 1, b'1', 0, 2, b'x', b'y', 0, 1, b'2'];
    let c = SopClassCommonExtended {
        related_encoded: &bad,
        ..c
    };
    assert_eq!(c.related_general_sop_classes().collect::<Vec<_>>(), ["1"]);
    let overrun = [0, 1, b'1', 0, 9, b'2'];
    let c = SopClassCommonExtended {
        related_encoded: &overrun,
        ..c
    };
    assert_eq!(c.related_general_sop_classes().collect::<Vec<_>>(), ["1"]);
    // The encoder reports a short buffer.
    assert_eq!(
        SopClassCommonExtended::encode_related(&uids, &mut [0u8; 10]),
        Err(BufferTooSmall)
    );
}

#[test]
fn user_identity_types() {
    for (t, b) in [
        (UserIdentityType::Username, 1u8),
        (UserIdentityType::UsernamePasscode, 2),
        (UserIdentityType::Kerberos, 3),
        (UserIdentityType::Saml, 4),
        (UserIdentityType::Jwt, 5),
        (UserIdentityType::Other(0), 0),
        (UserIdentityType::Other(6), 6),
        (UserIdentityType::Other(255), 255),
    ] {
        assert_eq!(t.to_u8(), b);
        assert_eq!(UserIdentityType::from_u8(b), t);
    }
    // Positive-response-requested: only 1 means yes.
    let body = [1, 2, 0, 0, 0, 0];
    let Ok(SubItem::UserIdentityRq(u)) = SubItem::from_body(0x58, &body) else {
        panic!()
    };
    assert!(!u.positive_response_requested);
}

#[test]
fn unknown_items_and_sub_items_are_skipped() {
    // An unknown sub-item among known ones in a user-information body.
    let body = [
        0x51, 0, 0, 4, 0, 0, 1, 0, //
        0x7f, 0, 0, 3, 1, 2, 3, //
        0x53, 0, 0, 4, 0, 1, 0, 1,
    ];
    assert_eq!(
        subs(SubItemIter::new(&body)),
        [
            SubItem::MaximumLength(256),
            SubItem::Unknown(0x7f),
            SubItem::AsynchronousOperationsWindow(1, 1),
        ]
    );
    // An unknown top-level item.
    let items = [0x60, 0, 0, 2, 9, 9, 0x50, 0, 0, 0];
    let mut it = ItemIter::new(&items);
    assert!(matches!(it.next(), Some(Ok(Item::Unknown(0x60)))));
    let Some(Ok(Item::UserInformation(u))) = it.next() else {
        panic!()
    };
    assert_eq!(u.count(), 0);
    assert!(it.next().is_none());
    // Sub-item types this crate has as items are Unknown when met as sub-items.
    assert_eq!(SubItem::from_body(0x20, &[]), Ok(SubItem::Unknown(0x20)));
    assert_eq!(SubItem::from_body(0x50, &[]), Ok(SubItem::Unknown(0x50)));
}

#[test]
fn item_type_codes() {
    let all = [
        (ItemType::ApplicationContext, 0x10u8),
        (ItemType::PresentationContextRq, 0x20),
        (ItemType::PresentationContextAc, 0x21),
        (ItemType::AbstractSyntax, 0x30),
        (ItemType::TransferSyntax, 0x40),
        (ItemType::UserInformation, 0x50),
        (ItemType::MaximumLength, 0x51),
        (ItemType::ImplementationClassUid, 0x52),
        (ItemType::AsynchronousOperationsWindow, 0x53),
        (ItemType::RoleSelection, 0x54),
        (ItemType::ImplementationVersionName, 0x55),
        (ItemType::SopClassExtendedNegotiation, 0x56),
        (ItemType::SopClassCommonExtendedNegotiation, 0x57),
        (ItemType::UserIdentityRq, 0x58),
        (ItemType::UserIdentityAc, 0x59),
    ];
    for (t, b) in all {
        assert_eq!(t as u8, b);
    }
}

#[test]
fn pdu_type_codes_and_names() {
    let all = [
        (PduType::AssociateRq, 1u8, "A-ASSOCIATE-RQ"),
        (PduType::AssociateAc, 2, "A-ASSOCIATE-AC"),
        (PduType::AssociateRj, 3, "A-ASSOCIATE-RJ"),
        (PduType::PDataTf, 4, "P-DATA-TF"),
        (PduType::ReleaseRq, 5, "A-RELEASE-RQ"),
        (PduType::ReleaseRp, 6, "A-RELEASE-RP"),
        (PduType::Abort, 7, "A-ABORT"),
    ];
    for (t, b, name) in all {
        assert_eq!(t as u8, b);
        assert_eq!(PduType::from_u8(b), Some(t));
        assert_eq!(t.name(), name);
        let mut buf = [0u8; 6];
        PduHeader {
            pdu_type: t,
            length: 0x0102_0304,
        }
        .write(&mut Writer::new(&mut buf))
        .unwrap();
        assert_eq!(buf, [b, 0, 1, 2, 3, 4]);
        assert_eq!(
            PduHeader::parse(&buf),
            Ok(Parse::Complete(
                PduHeader {
                    pdu_type: t,
                    length: 0x0102_0304
                },
                6
            ))
        );
    }
    // Reserved byte 2 is not tested.
    assert!(matches!(
        PduHeader::parse(&[5, 0xff, 0, 0, 0, 4]),
        Ok(Parse::Complete(_, 6))
    ));
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn unrecognized_pdu_types() {
    for t in (0u8..=255).filter(|t| !(1..=7).contains(t)) {
        assert_eq!(
            PduHeader::parse(&[t, 0, 0, 0, 0, 4]),
            Err(ParseError::UnrecognizedPdu(t))
        );
        assert_eq!(PduType::from_u8(t), None);
    }
}

#[test]
fn parse_error_abort_reasons() {
    assert_eq!(
        ParseError::UnrecognizedPdu(9).abort_reason(),
        AbortReason::UnrecognizedPdu
    );
    for e in [
        ParseError::InvalidLength,
        ParseError::InvalidValue,
        ParseError::TooLong,
    ] {
        assert_eq!(e.abort_reason(), AbortReason::InvalidPduParameterValue);
    }
}

#[test]
fn pdv_length_below_two() {
    for len in [0u8, 1] {
        assert_eq!(
            PdvHeader::parse(&[0, 0, 0, len, 1, 3]),
            Err(ParseError::InvalidLength)
        );
    }
    let h = pdv_header(&[0, 0, 0, 2, 1, 3]);
    assert_eq!(h.fragment_len(), 0);
    let h = pdv_header(&[0xff, 0xff, 0xff, 0xff, 0xfd, 0xff]);
    assert_eq!(h.length, u32::MAX);
    assert_eq!(h.fragment_len(), u32::MAX - 2);
    assert_eq!(h.context_id, 0xfd);
}

/// Builds a sub-item: type, reserved 0, u16 length, body.
fn raw_sub(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![ty, 0];
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

#[test]
fn fixed_length_sub_items_with_another_length() {
    for ty in [0x51u8, 0x53] {
        for len in [0usize, 1, 3, 5, 8] {
            let body = vec![0u8; len];
            assert_eq!(
                SubItem::from_body(ty, &body),
                Err(ParseError::InvalidLength),
                "{ty:#x} {len}"
            );
            assert_eq!(
                SubItem::parse(&raw_sub(ty, &body)),
                Err(ParseError::InvalidLength)
            );
        }
    }
}

#[test]
fn inner_lengths_overrunning() {
    let err = Err(ParseError::InvalidLength);
    // 54H: UID length overruns; role bytes missing; extra bytes; no UID length at all.
    assert_eq!(SubItem::from_body(0x54, &[0, 9, b'1', 1, 1]), err);
    assert_eq!(SubItem::from_body(0x54, &[0, 1, b'1', 1]), err);
    assert_eq!(SubItem::from_body(0x54, &[0, 1, b'1', 1, 1, 0]), err);
    assert_eq!(SubItem::from_body(0x54, &[0]), err);
    assert_eq!(SubItem::from_body(0x54, &[]), err);
    // 56H.
    assert_eq!(SubItem::from_body(0x56, &[0, 4, b'1', b'.', b'2']), err);
    assert_eq!(SubItem::from_body(0x56, &[0]), err);
    // 57H: each of the three lengths.
    assert_eq!(SubItem::from_body(0x57, &[0, 2, b'1']), err);
    assert_eq!(SubItem::from_body(0x57, &[0, 1, b'1', 0, 2, b'2']), err);
    assert_eq!(
        SubItem::from_body(0x57, &[0, 1, b'1', 0, 1, b'2', 0, 3, 0, 1]),
        err
    );
    assert_eq!(SubItem::from_body(0x57, &[0, 1, b'1', 0, 1, b'2']), err);
    // 58H: primary overruns; secondary overruns; secondary length missing; trailing bytes.
    assert_eq!(SubItem::from_body(0x58, &[1, 0, 0, 5, b'a', 0, 0]), err);
    assert_eq!(
        SubItem::from_body(0x58, &[2, 0, 0, 1, b'a', 0, 5, b'p']),
        err
    );
    assert_eq!(SubItem::from_body(0x58, &[1, 0, 0, 1, b'a']), err);
    assert_eq!(SubItem::from_body(0x58, &[1, 0, 0, 1, b'a', 0, 0, 9]), err);
    assert_eq!(SubItem::from_body(0x58, &[1]), err);
    // 59H.
    assert_eq!(SubItem::from_body(0x59, &[0, 3, b'a']), err);
    assert_eq!(SubItem::from_body(0x59, &[0, 1, b'a', b'b']), err);
    assert_eq!(SubItem::from_body(0x59, &[0]), err);
    // The same through SubItem::parse and SubItemIter.
    let bad = raw_sub(0x59, &[0, 3, b'a']);
    assert_eq!(SubItem::parse(&bad), Err(ParseError::InvalidLength));
    let mut it = SubItemIter::new(&bad);
    assert_eq!(it.next(), Some(Err(ParseError::InvalidLength)));
    assert_eq!(it.next(), None);
}

#[test]
fn sub_item_iter_item_overruns_container() {
    // A 51H claiming 8 bytes in a body that has 4 left.
    let body = [0x52, 0, 0, 1, b'1', 0x51, 0, 0, 8, 0, 0, 1, 0];
    let mut it = SubItemIter::new(&body);
    assert_eq!(it.next(), Some(Ok(SubItem::ImplementationClassUid("1"))));
    assert_eq!(it.next(), Some(Err(ParseError::InvalidLength)));
    assert_eq!(it.next(), None);
    // A trailing partial sub-item header.
    let mut it = SubItemIter::new(&[0x51, 0]);
    assert_eq!(it.next(), Some(Err(ParseError::InvalidLength)));
    assert_eq!(it.next(), None);
}

#[test]
fn item_iter_item_overruns_container() {
    let v = hex(AC_HEX);
    // Cut the user-information item short: its length now overruns the body.
    let cut = &v[ITEMS_AT..v.len() - 1];
    let mut it = ItemIter::new(cut);
    assert!(matches!(it.next(), Some(Ok(Item::ApplicationContext(_)))));
    assert!(matches!(
        it.next(),
        Some(Ok(Item::PresentationContextAc(1, 0, _)))
    ));
    assert!(matches!(it.next(), Some(Err(ParseError::InvalidLength))));
    assert!(it.next().is_none());
    // A trailing partial item header.
    let mut it = ItemIter::new(&[0x10, 0, 0]);
    assert!(matches!(it.next(), Some(Err(ParseError::InvalidLength))));
    assert!(it.next().is_none());
    // Presentation-context items too short for their fixed four bytes.
    for ty in [0x20u8, 0x21] {
        let item = [ty, 0, 0, 3, 1, 0, 0];
        let mut it = ItemIter::new(&item);
        assert!(matches!(it.next(), Some(Err(ParseError::InvalidLength))));
        assert!(it.next().is_none());
    }
    // A 10H whose body is not a UID is Malformed, not an error.
    let item = [0x10, 0, 0, 2, b'a', b'b'];
    assert!(matches!(
        ItemIter::new(&item).next(),
        Some(Ok(Item::ApplicationContext(SubItem::Malformed(0x10))))
    ));
    // A sub-item overrunning its presentation context: the inner iterator reports it.
    let item = [0x21, 0, 0, 8, 1, 0, 0, 0, 0x40, 0, 0, 9];
    let Some(Ok(Item::PresentationContextAc(1, 0, mut inner))) = ItemIter::new(&item).next() else {
        panic!()
    };
    assert_eq!(inner.next(), Some(Err(ParseError::InvalidLength)));
    assert_eq!(inner.next(), None);
}

// ---------------------------------------------------------------------------------------------
// UIDs, version names, AE titles
// ---------------------------------------------------------------------------------------------

fn bad_uids() -> Vec<Vec<u8>> {
    let mut long = String::from("1.");
    while long.len() < 65 {
        long.push('2');
    }
    vec![
        long.into_bytes(),
        b"1.2 .3".to_vec(),
        b" 1.2".to_vec(),
        b"1.2 ".to_vec(),
        b"1.2.a".to_vec(),
        b"1.2.840.10008.1.2.1x".to_vec(),
        b"1..2".to_vec(),
        b".1.2".to_vec(),
        b"1.2.".to_vec(),
        b".".to_vec(),
        b"".to_vec(),
        b"\0".to_vec(),
        b"1.2\0\0".to_vec(),
        b"1.\x002".to_vec(),
        b"1.2-3".to_vec(),
        vec![b'1', 0xc3, 0xa9],
    ]
}

#[test]
fn malformed_uids_in_every_uid_item() {
    for bad in bad_uids() {
        assert_eq!(Uid::check(&bad), None, "{bad:?}");
        assert_eq!(Uid::from_bytes(&bad), None);
        for ty in [0x10u8, 0x30, 0x40, 0x52] {
            assert_eq!(
                SubItem::parse(&raw_sub(ty, &bad)),
                Ok(Parse::Complete(SubItem::Malformed(ty), bad.len() + 4)),
                "{ty:#x} {bad:?}"
            );
        }
        // 54H, 56H: the SOP class UID.
        let mut body = (bad.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(&bad);
        let mut role = body.clone();
        role.extend_from_slice(&[1, 1]);
        assert_eq!(
            SubItem::from_body(0x54, &role),
            Ok(SubItem::Malformed(0x54))
        );
        assert_eq!(
            SubItem::from_body(0x56, &body),
            Ok(SubItem::Malformed(0x56))
        );
        // 57H: either UID.
        let mut common = body.clone();
        common.extend_from_slice(&[0, 1, b'1', 0, 0]);
        assert_eq!(
            SubItem::from_body(0x57, &common),
            Ok(SubItem::Malformed(0x57))
        );
        let mut common = vec![0, 1, b'1'];
        common.extend_from_slice(&body);
        common.extend_from_slice(&[0, 0]);
        assert_eq!(
            SubItem::from_body(0x57, &common),
            Ok(SubItem::Malformed(0x57))
        );
    }
}

/// The rule `Uid::check` applies, one byte at a time (what its word-at-a-time loop must match).
fn uid_reference(value: &[u8]) -> bool {
    let value = match value.split_last() {
        Some((0, head)) => head,
        _ => value,
    };
    value.len() <= 64
        && !value.is_empty()
        && value
            .split(|&b| b == b'.')
            .all(|c| !c.is_empty() && c.iter().all(u8::is_ascii_digit))
}

#[test]
fn uid_check_agrees_with_the_bytewise_rule_on_every_byte_at_every_position() {
    // Every byte value at every position of UIDs of 1 to 24 bytes (three words), the others
    // digits or dots in two patterns, so that dots meet across word boundaries too.
    for len in 1..=24usize {
        for pattern in [b"1.23.456.7890" as &[u8], b"12345678901234567890.1234"] {
            let base: Vec<u8> = pattern.iter().cycle().take(len).copied().collect();
            for pos in 0..len {
                for b in 0..=255u8 {
                    let mut v = base.clone();
                    v[pos] = b;
                    assert_eq!(Uid::check(&v).is_some(), uid_reference(&v), "{v:?}");
                }
            }
        }
    }
    // Two dots anywhere in a run of digits (doubled dots across a word boundary).
    for len in 2..=24usize {
        for i in 0..len {
            for j in 0..len {
                let mut v = vec![b'7'; len];
                v[i] = b'.';
                v[j] = b'.';
                assert_eq!(Uid::check(&v).is_some(), uid_reference(&v), "{v:?}");
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn uid_check_agrees_with_the_bytewise_rule(
        v in proptest::collection::vec(
            proptest::prop_oneof![
                8 => proptest::strategy::Strategy::prop_map(b'0'..=b'9', |b| b),
                3 => proptest::strategy::Just(b'.'),
                1 => proptest::num::u8::ANY,
            ],
            0..70,
        )
    ) {
        proptest::prop_assert_eq!(Uid::check(&v).is_some(), uid_reference(&v));
        if let Some(s) = Uid::check(&v) {
            proptest::prop_assert!(v.starts_with(s.as_bytes()));
        }
    }
}

#[test]
fn valid_uids_and_one_trailing_nul() {
    let mut uid64 = String::from("1");
    for _ in 0..31 {
        uid64.push_str(".1");
    }
    uid64.push('9');
    assert_eq!(uid64.len(), 64);
    for good in [
        "1",
        "0",
        "1.2",
        "1.2.840.10008.1.2.1",
        "01.002",
        uid64.as_str(),
    ] {
        assert_eq!(Uid::check(good.as_bytes()), Some(good));
        assert_eq!(Uid::new(good).unwrap().as_str(), good);
        assert_eq!(
            SubItem::from_body(0x40, good.as_bytes()),
            Ok(SubItem::TransferSyntax(good))
        );
    }
    // One trailing NUL is tolerated and stripped, also on a 64-character UID.
    let mut nul = uid64.clone().into_bytes();
    nul.push(0);
    assert_eq!(Uid::check(&nul), Some(uid64.as_str()));
    assert_eq!(Uid::check(b"1.2.3\0"), Some("1.2.3"));
    assert_eq!(Uid::from_bytes(b"1.2.3\0").unwrap().as_str(), "1.2.3");
    assert_eq!(
        SubItem::parse(&raw_sub(0x30, b"1.2.840.10008.5.1.1.40\0")),
        Ok(Parse::Complete(SubItem::AbstractSyntax(DISPLAY_SYSTEM), 27))
    );
    assert_eq!(
        SubItem::from_body(0x54, &[0, 4, b'1', b'.', b'2', 0, 1, 0]),
        Ok(SubItem::RoleSelection(RoleSelection {
            sop_class_uid: "1.2",
            scu_role: true,
            scp_role: false
        }))
    );
    // Role bytes other than 0 mean "yes".
    assert_eq!(
        SubItem::from_body(0x54, &[0, 1, b'1', 2, 0xff]),
        Ok(SubItem::RoleSelection(RoleSelection {
            sop_class_uid: "1",
            scu_role: true,
            scp_role: true
        }))
    );
    let u = Uid::new("1.2.3").unwrap();
    assert_eq!(std::format!("{u} {u:?}"), "1.2.3 1.2.3");
    assert_eq!(MAX_UID_LEN, 64);
}

#[test]
fn implementation_version_name_checks() {
    assert_eq!(
        SubItem::from_body(0x55, b"0123456789ABCDEF"),
        Ok(SubItem::ImplementationVersionName("0123456789ABCDEF"))
    );
    for bad in [
        &b"0123456789ABCDEFG"[..],
        b"",
        b"V1\0",
        b"V\x7f",
        b"caf\xc3\xa9",
        b"\tV",
    ] {
        assert_eq!(
            SubItem::parse(&raw_sub(0x55, bad)),
            Ok(Parse::Complete(SubItem::Malformed(0x55), bad.len() + 4)),
            "{bad:?}"
        );
    }
    // Spaces are ISO 646 G0 and kept as sent.
    assert_eq!(
        SubItem::from_body(0x55, b" V 1 "),
        Ok(SubItem::ImplementationVersionName(" V 1 "))
    );
}

fn field(s: &[u8]) -> [u8; 16] {
    let mut f = [b' '; 16];
    f[..s.len()].copy_from_slice(s);
    f
}

#[test]
fn ae_title_trimming() {
    let t = AeTitle::from_field(b"  STORE SCP     ");
    assert_eq!(t.as_bytes(), b"STORE SCP");
    assert_eq!(t.as_str(), Some("STORE SCP"));
    assert!(t.is_valid());
    assert_eq!(&t.to_field(), b"STORE SCP       ");

    let t = AeTitle::from_field(b"\0\0 ABC\0\0\0 \0\0\0\0\0\0");
    assert_eq!(t.as_bytes(), b"ABC");
    assert!(t.is_valid());
    assert_eq!(t, AeTitle::new("ABC").unwrap());

    let t = AeTitle::from_field(b"ABCDEFGHIJKLMNOP");
    assert_eq!(t.as_bytes(), b"ABCDEFGHIJKLMNOP");
    assert_eq!(&t.to_field(), b"ABCDEFGHIJKLMNOP");

    for empty in [[b' '; 16], [0u8; 16], field(b"\0 \0 ")] {
        let t = AeTitle::from_field(&empty);
        assert_eq!(t.as_bytes(), b"");
        assert!(!t.is_valid());
        assert_eq!(t.to_field(), [b' '; 16]);
    }

    // Non-ASCII, control characters and backslash are kept but not valid.
    let t = AeTitle::from_field(&field("CAFÉ".as_bytes()));
    assert_eq!(t.as_bytes(), "CAFÉ".as_bytes());
    assert!(!t.is_valid());
    assert_eq!(t.as_str(), None);
    assert_eq!(std::format!("{t}"), "CAF\\xc3\\x89");
    for bad in [&b"A\\B"[..], b"A\x01B", b"A\x7fB", b"A\0B"] {
        let t = AeTitle::from_field(&field(bad));
        assert_eq!(t.as_bytes(), bad);
        assert!(!t.is_valid(), "{bad:?}");
    }

    // Titles from configuration.
    assert_eq!(AeTitle::new("  QA  ").unwrap().as_bytes(), b"QA");
    assert_eq!(
        AeTitle::new("ABCDEFGHIJKLMNOP").unwrap().as_bytes(),
        b"ABCDEFGHIJKLMNOP"
    );
    assert_eq!(AeTitle::new("ABCDEFGHIJKLMNOPQ"), None);
    assert_eq!(AeTitle::new(""), None);
    assert_eq!(AeTitle::new("                "), None);
    assert_eq!(AeTitle::new("A\\B"), None);
    assert_eq!(AeTitle::new("CAFÉ"), None);
    let t = AeTitle::new("QA_SCU").unwrap();
    assert_eq!(std::format!("{t} {t:?}"), "QA_SCU \"QA_SCU\"");
}

/// `AeTitle::new` as it was before it became a `const fn`: the reference the const version
/// must match byte for byte.
fn ae_title_reference(title: &str) -> Option<AeTitle> {
    let trimmed = title.trim_matches(' ');
    let mut field = [b' '; 16];
    field
        .get_mut(..trimmed.len())?
        .copy_from_slice(trimmed.as_bytes());
    let ae = AeTitle::from_field(&field);
    ae.is_valid().then_some(ae)
}

fn assert_ae_title_matches_reference(s: &str) {
    let (new, old) = (AeTitle::new(s), ae_title_reference(s));
    // The derived `PartialEq` compares the whole 16-byte array and the length.
    assert_eq!(new, old, "{s:?}");
    assert_eq!(
        new.map(|t| t.to_field()),
        old.map(|t| t.to_field()),
        "{s:?}"
    );
}

#[test]
fn ae_title_new_matches_reference_exhaustively() {
    // Every string of up to 4 characters over an alphabet holding each case `new` tells
    // apart (padding, NUL, valid, backslash, DEL, control, multi-byte), alone and around a
    // run of letters that puts the length on either side of 16.
    const ALPHABET: [char; 8] = [' ', '\0', 'A', '\\', '\x7f', '\x01', '~', 'É'];
    let mut short = vec![String::new()];
    let mut level = vec![String::new()];
    for _ in 0..4 {
        level = level
            .iter()
            .flat_map(|s| ALPHABET.iter().map(move |c| std::format!("{s}{c}")))
            .collect();
        short.extend(level.iter().cloned());
    }
    assert_eq!(short.len(), 1 + 8 + 64 + 512 + 4096);
    for s in &short {
        assert_ae_title_matches_reference(s);
        for run in [10, 12, 13, 14, 15, 16] {
            let letters = "X".repeat(run);
            assert_ae_title_matches_reference(&std::format!("{s}{letters}"));
            assert_ae_title_matches_reference(&std::format!("{letters}{s}"));
            if let Some(mid) = s.char_indices().nth(s.chars().count() / 2).map(|(i, _)| i) {
                let (a, b) = s.split_at(mid);
                assert_ae_title_matches_reference(&std::format!("{a}{letters}{b}"));
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn ae_title_new_matches_reference(s in "[ \\x00A-Z\\\\\\x7f\\x01é]{0,20}") {
        assert_ae_title_matches_reference(&s);
    }
}

// ---------------------------------------------------------------------------------------------
// Descriptions
// ---------------------------------------------------------------------------------------------

#[test]
fn abort_reason_describe() {
    let all = [
        (0u8, AbortReason::NotSpecified, "reason not specified"),
        (1, AbortReason::UnrecognizedPdu, "unrecognized PDU"),
        (2, AbortReason::UnexpectedPdu, "unexpected PDU"),
        (3, AbortReason::Other(3), "reserved reason"),
        (
            4,
            AbortReason::UnrecognizedPduParameter,
            "unrecognized PDU parameter",
        ),
        (
            5,
            AbortReason::UnexpectedPduParameter,
            "unexpected PDU parameter",
        ),
        (
            6,
            AbortReason::InvalidPduParameterValue,
            "invalid PDU parameter value",
        ),
        (7, AbortReason::Other(7), "reserved reason"),
        (0xff, AbortReason::Other(0xff), "reserved reason"),
    ];
    for (b, reason, text) in all {
        assert_eq!(Abort::parse_body([0, 0, 2, b]).reason, reason);
        assert_eq!(reason.describe(), text);
    }
}

#[test]
fn associate_rj_describe() {
    use RejectSource::*;
    let all = [
        (ServiceUser, 1u8, "no reason given (service user)"),
        (ServiceUser, 2, "application context name not supported"),
        (ServiceUser, 3, "calling AE title not recognized"),
        (ServiceUser, 7, "called AE title not recognized"),
        (ServiceProviderAcse, 1, "no reason given (service provider)"),
        (ServiceProviderAcse, 2, "protocol version not supported"),
        (ServiceProviderPresentation, 1, "temporary congestion"),
        (ServiceProviderPresentation, 2, "local limit exceeded"),
        (ServiceUser, 0, "reserved reason"),
        (ServiceUser, 4, "reserved reason"),
        (ServiceUser, 10, "reserved reason"),
        (ServiceProviderAcse, 3, "reserved reason"),
        (ServiceProviderPresentation, 0, "reserved reason"),
        (ServiceProviderPresentation, 7, "reserved reason"),
    ];
    for (source, reason, text) in all {
        for result in [RejectResult::Permanent, RejectResult::Transient] {
            let rj = AssociateRj {
                result,
                source,
                reason: RejectReason(reason),
            };
            assert_eq!(rj.describe(), text, "{rj:?}");
        }
    }
    assert_eq!(
        AssociateRj::CALLING_AE_NOT_RECOGNIZED.describe(),
        "calling AE title not recognized"
    );
    assert_eq!(
        AssociateRj::LOCAL_LIMIT_EXCEEDED.describe(),
        "local limit exceeded"
    );
}
