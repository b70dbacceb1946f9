//! Property tests for the PDU codec through its public API: arbitrary valid PDUs are emitted
//! with `emit` and parsed back unit by unit (`PduHeader`, `AssociateFixed`, `ItemIter`,
//! `SubItemIter`, `PdvHeader`, `AssociateRj::parse_body`, `Abort::parse_body`) into the same
//! value; arbitrary bytes never make a parser panic; a buffer one byte short is an error.
//!
//! The case count comes from the environment (`PROPTEST_CASES`; CI sets 256).

use dimse_core::pdu::{
    Abort, AeTitle, AssociateAc, AssociateFixed, AssociateRj, AssociateRq, Item, ItemHeader,
    ItemIter, MessageControlHeader, PDataTf, Parse, ParseError, PduHeader, PduType, Pdv, PdvHeader,
    PresentationContextAc, PresentationContextRq, ReleaseRp, ReleaseRq, RoleSelection,
    SopClassCommonExtended, SopClassExtended, SubItem, SubItemIter, Uid, UserIdentityAc,
    UserIdentityRq, UserInformation, APPLICATION_CONTEXT_NAME, PDU_HEADER_LEN, PDV_HEADER_LEN,
};
use dimse_core::BufferTooSmall;
use dimse_testkit::strategy::*;
use proptest::collection::vec;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Decoding through the public unit parsers
// ---------------------------------------------------------------------------------------------

/// Emits with `emit` into a buffer of exactly `buffer_len()` bytes, and checks that one byte
/// less is `BufferTooSmall` (and no panic).
fn emit_checked(
    len: usize,
    emit: impl Fn(&mut [u8]) -> Result<usize, BufferTooSmall>,
) -> Result<Vec<u8>, TestCaseError> {
    let mut buf = vec![0u8; len];
    prop_assert_eq!(emit(&mut buf), Ok(len));
    let mut short = vec![0u8; len - 1];
    prop_assert_eq!(emit(&mut short), Err(BufferTooSmall));
    prop_assert_eq!(emit(&mut []), Err(BufferTooSmall));
    Ok(buf)
}

/// The PDU header, checked against the buffer; returns the body.
fn pdu_body(buf: &[u8], ty: PduType) -> Result<&[u8], TestCaseError> {
    match PduHeader::parse(buf) {
        Ok(Parse::Complete(h, n)) => {
            prop_assert_eq!(n, PDU_HEADER_LEN);
            prop_assert_eq!(h.pdu_type, ty);
            prop_assert_eq!(h.length as usize, buf.len() - PDU_HEADER_LEN);
            Ok(&buf[n..])
        }
        other => Err(TestCaseError::fail(format!("PDU header: {other:?}"))),
    }
}

/// Everything decoded from an A-ASSOCIATE-RQ/AC, borrowing from the emitted bytes.
#[derive(Default)]
struct Decoded<'a> {
    fixed: Option<AssociateFixed>,
    application_context: Option<&'a str>,
    pc_rq: Vec<(u8, &'a str, Vec<&'a str>)>,
    pc_ac: Vec<(u8, u8, &'a str)>,
    max_length: Option<u32>,
    impl_uid: Option<&'a str>,
    async_ops: Option<(u16, u16)>,
    roles: Vec<RoleSelection<'a>>,
    version: Option<&'a str>,
    extended: Vec<SopClassExtended<'a>>,
    common: Vec<SopClassCommonExtended<'a>>,
    identity_rq: Option<UserIdentityRq<'a>>,
    identity_ac: Option<UserIdentityAc<'a>>,
    user_information_items: usize,
}

fn sub_items(it: SubItemIter<'_>) -> Result<Vec<SubItem<'_>>, TestCaseError> {
    it.collect::<Result<Vec<_>, _>>()
        .map_err(|e| TestCaseError::fail(format!("sub-item: {e:?}")))
}

fn decode_associate(buf: &[u8], ty: PduType) -> Result<Decoded<'_>, TestCaseError> {
    let body = pdu_body(buf, ty)?;
    let mut d = Decoded::default();
    let Parse::Complete(fixed, n) = AssociateFixed::parse(body) else {
        return Err(TestCaseError::fail("fixed part partial"));
    };
    prop_assert_eq!(n, AssociateFixed::LEN);
    d.fixed = Some(fixed);
    for item in ItemIter::new(&body[n..]) {
        match item.map_err(|e| TestCaseError::fail(format!("item: {e:?}")))? {
            Item::ApplicationContext(SubItem::ApplicationContext(name)) => {
                prop_assert!(d.application_context.replace(name).is_none());
            }
            Item::PresentationContextRq(id, it) => {
                let subs = sub_items(it)?;
                let Some((SubItem::AbstractSyntax(abs), rest)) = subs.split_first() else {
                    return Err(TestCaseError::fail(format!("20H: {subs:?}")));
                };
                let mut ts = Vec::new();
                for s in rest {
                    let SubItem::TransferSyntax(t) = s else {
                        return Err(TestCaseError::fail(format!("20H: {s:?}")));
                    };
                    ts.push(*t);
                }
                d.pc_rq.push((id, abs, ts));
            }
            Item::PresentationContextAc(id, result, it) => {
                let subs = sub_items(it)?;
                let [SubItem::TransferSyntax(ts)] = subs[..] else {
                    return Err(TestCaseError::fail(format!("21H: {subs:?}")));
                };
                d.pc_ac.push((id, result, ts));
            }
            Item::UserInformation(it) => {
                d.user_information_items += 1;
                for s in sub_items(it)? {
                    match s {
                        SubItem::MaximumLength(m) => {
                            prop_assert!(d.max_length.replace(m).is_none())
                        }
                        SubItem::ImplementationClassUid(u) => {
                            prop_assert!(d.impl_uid.replace(u).is_none())
                        }
                        SubItem::AsynchronousOperationsWindow(a, b) => {
                            prop_assert!(d.async_ops.replace((a, b)).is_none())
                        }
                        SubItem::RoleSelection(r) => d.roles.push(r),
                        SubItem::ImplementationVersionName(v) => {
                            prop_assert!(d.version.replace(v).is_none())
                        }
                        SubItem::SopClassExtended(e) => d.extended.push(e),
                        SubItem::SopClassCommonExtended(c) => d.common.push(c),
                        SubItem::UserIdentityRq(u) => {
                            prop_assert!(d.identity_rq.replace(u).is_none())
                        }
                        SubItem::UserIdentityAc(u) => {
                            prop_assert!(d.identity_ac.replace(u).is_none())
                        }
                        other => return Err(TestCaseError::fail(format!("50H: {other:?}"))),
                    }
                }
            }
            other => return Err(TestCaseError::fail(format!("item: {other:?}"))),
        }
    }
    prop_assert_eq!(d.user_information_items, 1);
    Ok(d)
}

impl<'a> Decoded<'a> {
    fn user_information(&self) -> Result<UserInformation<'_>, TestCaseError> {
        Ok(UserInformation {
            max_length: self
                .max_length
                .ok_or_else(|| TestCaseError::fail("no 51H"))?,
            implementation_class_uid: self.impl_uid.ok_or_else(|| TestCaseError::fail("no 52H"))?,
            async_ops_window: self.async_ops,
            role_selections: &self.roles,
            implementation_version_name: self.version,
            sop_class_extended: &self.extended,
            sop_class_common_extended: &self.common,
            user_identity_rq: self.identity_rq,
            user_identity_ac: self.identity_ac,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Roundtrips
// ---------------------------------------------------------------------------------------------

proptest! {
    #[test]
    fn associate_rq_roundtrip(
        fixed in fixed_part(),
        called in ae_title(),
        pcs in vec(pc_rq(), 1..=8),
        ui in user_info(true),
    ) {
        let fixed = AssociateFixed { called_ae_field: called.to_field(), ..fixed };
        let pc_parts = PcRqParts::new(&pcs);
        let contexts = pc_parts.view();
        let parts = UiParts::new(&ui);
        let rq = AssociateRq {
            fixed,
            application_context: APPLICATION_CONTEXT_NAME,
            presentation_contexts: &contexts,
            user_information: parts.view(),
        };
        let buf = emit_checked(rq.buffer_len(), |b| rq.emit(b))?;

        let d = decode_associate(&buf, PduType::AssociateRq)?;
        let got_fixed = d.fixed.unwrap();
        prop_assert_eq!(got_fixed.called_ae(), called);
        prop_assert!(got_fixed.supports_version_1());
        let got_ts = d.pc_rq.iter().map(|(_, _, ts)| ts.clone()).collect::<Vec<_>>();
        let got_contexts: Vec<PresentationContextRq<'_>> = d
            .pc_rq
            .iter()
            .zip(&got_ts)
            .map(|((id, abs, _), ts)| PresentationContextRq {
                id: *id,
                abstract_syntax: abs,
                transfer_syntaxes: ts,
            })
            .collect();
        let back = AssociateRq {
            fixed: got_fixed,
            application_context: d.application_context.unwrap_or("<none>"),
            presentation_contexts: &got_contexts,
            user_information: d.user_information()?,
        };
        prop_assert_eq!(back, rq);
        // The related general SOP classes come back as generated.
        for (c, model) in d.common.iter().zip(&ui.common) {
            let related: Vec<&str> = c.related_general_sop_classes().collect();
            prop_assert_eq!(related, model.related.iter().map(String::as_str).collect::<Vec<_>>());
        }
        // Re-emitting the decoded value gives the same bytes.
        let again = emit_checked(back.buffer_len(), |b| back.emit(b))?;
        prop_assert_eq!(again, buf);
    }

    #[test]
    fn associate_ac_roundtrip(
        fixed in fixed_part(),
        pcs in vec(pc_ac(), 1..=8),
        ui in user_info(false),
    ) {
        let contexts: Vec<PresentationContextAc<'_>> = pcs.iter().map(PcAc::view).collect();
        let parts = UiParts::new(&ui);
        let ac = AssociateAc {
            fixed,
            application_context: APPLICATION_CONTEXT_NAME,
            presentation_contexts: &contexts,
            user_information: parts.view(),
        };
        let buf = emit_checked(ac.buffer_len(), |b| ac.emit(b))?;

        let d = decode_associate(&buf, PduType::AssociateAc)?;
        let got_contexts: Vec<PresentationContextAc<'_>> = d
            .pc_ac
            .iter()
            .map(|&(id, result, transfer_syntax)| PresentationContextAc {
                id,
                result,
                transfer_syntax,
            })
            .collect();
        let back = AssociateAc {
            fixed: d.fixed.unwrap(),
            application_context: d.application_context.unwrap_or("<none>"),
            presentation_contexts: &got_contexts,
            user_information: d.user_information()?,
        };
        prop_assert_eq!(back, ac);
    }

    #[test]
    fn associate_rq_fixed_and_items_partial_on_every_prefix(
        fixed in fixed_part(),
        pc in pc_rq(),
        ui in user_info(true),
    ) {
        // Every unit of the PDU: each proper prefix is Partial, the whole unit Complete.
        let ts: Vec<&str> = pc.transfer_syntaxes.iter().map(String::as_str).collect();
        let contexts = [PresentationContextRq {
            id: pc.id,
            abstract_syntax: &pc.abstract_syntax,
            transfer_syntaxes: &ts,
        }];
        let parts = UiParts::new(&ui);
        let rq = AssociateRq {
            fixed,
            application_context: APPLICATION_CONTEXT_NAME,
            presentation_contexts: &contexts,
            user_information: parts.view(),
        };
        let buf = emit_checked(rq.buffer_len(), |b| rq.emit(b))?;
        for k in 0..PDU_HEADER_LEN {
            prop_assert_eq!(PduHeader::parse(&buf[..k]), Ok(Parse::Partial));
        }
        let body = &buf[PDU_HEADER_LEN..];
        for k in 0..AssociateFixed::LEN {
            prop_assert_eq!(AssociateFixed::parse(&body[..k]), Parse::Partial);
        }
        let mut at = AssociateFixed::LEN;
        while at < body.len() {
            let rest = &body[at..];
            for k in 0..ItemHeader::LEN {
                prop_assert_eq!(ItemHeader::parse(&rest[..k]), Parse::Partial);
            }
            let Parse::Complete(h, n) = ItemHeader::parse(rest) else { unreachable!() };
            let (mut inner, end) = match h.item_type {
                0x10 => (at, at + h.total_len()),
                0x20 => (at + n + 4, at + h.total_len()),
                0x50 => (at + n, at + h.total_len()),
                t => return Err(TestCaseError::fail(format!("item {t:#x}"))),
            };
            while inner < end {
                let unit = &body[inner..end];
                let Ok(Parse::Complete(s, used)) = SubItem::parse(unit) else {
                    return Err(TestCaseError::fail("sub-item"));
                };
                for k in 0..used {
                    prop_assert_eq!(SubItem::parse(&unit[..k]), Ok(Parse::Partial));
                }
                prop_assert_eq!(used, s.buffer_len());
                inner += used;
            }
            prop_assert_eq!(inner, end);
            at = end;
        }
    }

    #[test]
    fn pdata_tf_roundtrip(pdvs in vec(pdv(), 1..=6)) {
        let values: Vec<Pdv<'_>> = pdvs
            .iter()
            .map(|(context_id, control, data)| Pdv {
                context_id: *context_id,
                control: MessageControlHeader(*control),
                data,
            })
            .collect();
        let p = PDataTf { pdvs: &values };
        let buf = emit_checked(p.buffer_len(), |b| p.emit(b))?;
        let mut body = pdu_body(&buf, PduType::PDataTf)?;
        let mut back = Vec::new();
        while !body.is_empty() {
            for k in 0..PDV_HEADER_LEN {
                prop_assert_eq!(PdvHeader::parse(&body[..k]), Ok(Parse::Partial));
            }
            let Ok(Parse::Complete(h, n)) = PdvHeader::parse(body) else {
                return Err(TestCaseError::fail("PDV header"));
            };
            prop_assert_eq!(n, PDV_HEADER_LEN);
            let end = n + h.fragment_len() as usize;
            prop_assert!(end <= body.len());
            back.push(Pdv { context_id: h.context_id, control: h.control, data: &body[n..end] });
            body = &body[end..];
        }
        prop_assert_eq!(&back, &values);
        let p2 = PDataTf { pdvs: &back };
        prop_assert_eq!(p2, p);
    }

    #[test]
    fn a_pdv_alone_is_a_pdata_tf_of_one_pdv((context_id, control, data) in pdv()) {
        // `Pdv::emit_alone` lays out the bytes itself (the connection's fast path): the same
        // bytes, and the same refusals, as the general P-DATA-TF emitter.
        let v = Pdv { context_id, control: MessageControlHeader(control), data: &data };
        let pdvs = [v];
        let p = PDataTf { pdvs: &pdvs };
        let alone = emit_checked(p.buffer_len(), |b| v.emit_alone(b))?;
        let general = emit_checked(p.buffer_len(), |b| p.emit(b))?;
        prop_assert_eq!(alone, general);
    }

    #[test]
    fn associate_rj_roundtrip(rj in reject()) {
        let buf = emit_checked(rj.buffer_len(), |b| rj.emit(b))?;
        let body = pdu_body(&buf, PduType::AssociateRj)?;
        let body: [u8; 4] = body.try_into().unwrap();
        prop_assert_eq!(AssociateRj::parse_body(body), Ok(rj));
        prop_assert!(!rj.describe().is_empty());
    }

    #[test]
    fn abort_roundtrip(a in abort()) {
        let buf = emit_checked(a.buffer_len(), |b| a.emit(b))?;
        let body = pdu_body(&buf, PduType::Abort)?;
        prop_assert_eq!(Abort::parse_body(body.try_into().unwrap()), a);
        prop_assert!(!a.reason.describe().is_empty());
    }

    #[test]
    fn release_roundtrip(rq in any::<bool>()) {
        let buf = if rq {
            emit_checked(ReleaseRq.buffer_len(), |b| ReleaseRq.emit(b))?
        } else {
            emit_checked(ReleaseRp.buffer_len(), |b| ReleaseRp.emit(b))?
        };
        let ty = if rq { PduType::ReleaseRq } else { PduType::ReleaseRp };
        prop_assert_eq!(pdu_body(&buf, ty)?, &[0u8; 4][..]);
    }

    #[test]
    fn valid_uids_are_accepted(u in uid()) {
        prop_assert_eq!(Uid::check(u.as_bytes()), Some(u.as_str()));
        let mut nul = u.clone().into_bytes();
        nul.push(0);
        prop_assert_eq!(Uid::check(&nul), Some(u.as_str()));
        prop_assert_eq!(Uid::new(&u).map(|x| x.as_str().to_owned()), Some(u.clone()));
    }

    #[test]
    fn ae_titles_survive_the_field(t in ae_title()) {
        prop_assert!(t.is_valid());
        prop_assert_eq!(AeTitle::from_field(&t.to_field()), t);
        prop_assert_eq!(AeTitle::new(t.as_str().unwrap()), Some(t));
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input never panics
// ---------------------------------------------------------------------------------------------

/// Walks everything `ItemIter` yields, including the nested sub-items.
fn walk_items(bytes: &[u8]) {
    for item in ItemIter::new(bytes) {
        match item {
            Ok(Item::PresentationContextRq(_, it))
            | Ok(Item::PresentationContextAc(_, _, it))
            | Ok(Item::UserInformation(it)) => walk_sub_items(it),
            Ok(Item::ApplicationContext(s)) => {
                let _ = s.buffer_len();
            }
            Ok(Item::Unknown(_)) | Err(_) => {}
        }
    }
}

fn walk_sub_items(it: SubItemIter<'_>) {
    for s in it.flatten() {
        let _ = s.buffer_len();
        if let SubItem::SopClassCommonExtended(c) = s {
            let _ = c.related_general_sop_classes().count();
        }
    }
}

fn complete_len<T>(p: &Parse<T>) -> Option<usize> {
    match p {
        Parse::Complete(_, n) => Some(*n),
        Parse::Partial => None,
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..300), ty in any::<u8>()) {
        if let Ok(p) = PduHeader::parse(&bytes) {
            prop_assert!(complete_len(&p).is_none_or(|n| n <= bytes.len()));
        }
        let p = AssociateFixed::parse(&bytes);
        prop_assert!(complete_len(&p).is_none_or(|n| n <= bytes.len()));
        if let Parse::Complete(f, _) = p {
            let _ = (f.called_ae().is_valid(), f.calling_ae().as_str());
        }
        let p = ItemHeader::parse(&bytes);
        prop_assert!(complete_len(&p).is_none_or(|n| n <= bytes.len()));
        if let Ok(p) = SubItem::parse(&bytes) {
            prop_assert!(complete_len(&p).is_none_or(|n| n <= bytes.len()));
        }
        let _ = SubItem::from_body(ty, &bytes);
        if let Ok(p) = PdvHeader::parse(&bytes) {
            prop_assert!(complete_len(&p).is_none_or(|n| n <= bytes.len()));
        }
        walk_items(&bytes);
        walk_sub_items(SubItemIter::new(&bytes));
        if let Some(body) = bytes.first_chunk::<4>() {
            if let Ok(rj) = AssociateRj::parse_body(*body) {
                let _ = rj.describe();
            }
            let _ = Abort::parse_body(*body).reason.describe();
        }
        let _ = Uid::check(&bytes);
        if let Some(field) = bytes.first_chunk::<16>() {
            let t = AeTitle::from_field(field);
            let _ = (t.is_valid(), t.as_str(), format!("{t} {t:?}"));
        }
    }

    #[test]
    fn arbitrary_sub_items_never_panic(
        ty in prop_oneof![0x10u8..=0x10, 0x20u8..=0x21, 0x30u8..=0x30, 0x40u8..=0x40, 0x50u8..=0x59, any::<u8>()],
        body in vec(any::<u8>(), 0..80),
        extra in vec(any::<u8>(), 0..8),
        lie in any::<i8>(),
    ) {
        // Well-typed items whose length may lie by a few bytes either way.
        let len = (body.len() as i32 + i32::from(lie % 8)).clamp(0, 0xffff) as u16;
        let mut bytes = vec![ty, 0];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&extra);
        match SubItem::parse(&bytes) {
            Ok(Parse::Complete(s, n)) => {
                prop_assert_eq!(n, 4 + usize::from(len));
                prop_assert!(n <= bytes.len());
                // The iterator over exactly this item agrees with the unit parser.
                let walked: Vec<_> = SubItemIter::new(&bytes[..n]).collect();
                prop_assert_eq!(walked, vec![Ok(s)]);
            }
            Ok(Parse::Partial) => prop_assert!(bytes.len() < 4 + usize::from(len)),
            Err(e) => prop_assert!(matches!(e, ParseError::InvalidLength)),
        }
        walk_items(&bytes);
        walk_sub_items(SubItemIter::new(&bytes));
    }

    #[test]
    fn emit_into_any_short_buffer_is_an_error(
        fixed in fixed_part(),
        pcs in vec(pc_ac(), 1..=3),
        ui in user_info(false),
        cut in any::<prop::sample::Index>(),
    ) {
        let contexts: Vec<PresentationContextAc<'_>> = pcs.iter().map(PcAc::view).collect();
        let parts = UiParts::new(&ui);
        let ac = AssociateAc {
            fixed,
            application_context: APPLICATION_CONTEXT_NAME,
            presentation_contexts: &contexts,
            user_information: parts.view(),
        };
        let len = cut.index(ac.buffer_len());
        let mut buf = vec![0u8; len];
        prop_assert_eq!(ac.emit(&mut buf), Err(BufferTooSmall));
    }
}
