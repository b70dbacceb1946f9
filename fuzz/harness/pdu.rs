//! The `pdu` fuzz target: every PDU, item and sub-item parser on arbitrary bytes.
//!
//! Shared by `fuzz/fuzz_targets/pdu.rs` and `core/tests/fuzz_regressions.rs` (included with
//! `#[path]`); it needs nothing beyond `dimse-core` and `std`.
//!
//! Checked: no panic; `Partial` exactly when the input is too short; `Complete(v, used)` never
//! uses more than the input, and uses what the header says; the iterators end. The input is
//! then walked as a stream of PDUs, and each A-ASSOCIATE-RQ/AC, P-DATA-TF, A-ASSOCIATE-RJ,
//! A-RELEASE-RQ/RP and A-ABORT is re-emitted from what was parsed (as far as the emitters
//! can express it) and parsed again: the same value must come back, and emitting that value
//! again must give the same bytes.

use dimse_core::pdu::{
    Abort, AssociateAc, AssociateFixed, AssociateRj, AssociateRq, Item, ItemHeader, ItemIter,
    MessageControlHeader, PDataTf, Parse, ParseError, PduHeader, PduType, Pdv, PdvHeader,
    PresentationContextAc, PresentationContextRq, ReleaseRp, ReleaseRq, RoleSelection,
    SopClassCommonExtended, SopClassExtended, SubItem, SubItemIter, UserIdentityAc, UserIdentityRq,
    UserInformation, PDU_HEADER_LEN, PDV_HEADER_LEN,
};

pub fn run(data: &[u8]) {
    units(data);
    // A PDU body seen through the unit parsers too.
    if let Some(body) = data.get(PDU_HEADER_LEN..) {
        units(body);
    }
    stream(data);
}

/// Each unit parser on `input` as a prefix.
fn units(input: &[u8]) {
    let len = input.len();

    match PduHeader::parse(input) {
        Ok(Parse::Partial) => assert!(len < PDU_HEADER_LEN),
        Ok(Parse::Complete(h, used)) => {
            assert_eq!(used, PDU_HEADER_LEN);
            assert!(used <= len);
            assert_eq!(h.pdu_type as u8, input[0]);
            assert_eq!(
                h.length,
                u32::from_be_bytes([input[2], input[3], input[4], input[5]])
            );
        }
        Err(e) => {
            assert!(len >= PDU_HEADER_LEN, "error {e:?} before a whole header");
            assert_eq!(e, ParseError::UnrecognizedPdu(input[0]));
            assert!(PduType::from_u8(input[0]).is_none());
        }
    }

    match ItemHeader::parse(input) {
        Parse::Partial => assert!(len < ItemHeader::LEN),
        Parse::Complete(h, used) => {
            assert_eq!(used, ItemHeader::LEN);
            assert!(used <= len);
            assert_eq!(h.item_type, input[0]);
            assert_eq!(h.length, u16::from_be_bytes([input[2], input[3]]));
        }
    }

    match AssociateFixed::parse(input) {
        Parse::Partial => assert!(len < AssociateFixed::LEN),
        Parse::Complete(f, used) => {
            assert_eq!(used, AssociateFixed::LEN);
            assert!(used <= len);
            assert_eq!(f.protocol_version, u16::from_be_bytes([input[0], input[1]]));
            // The AE titles trim without panicking, whatever the bytes.
            let _ = (f.called_ae().as_str(), f.calling_ae().as_str());
        }
    }

    let item_len = (len >= ItemHeader::LEN)
        .then(|| ItemHeader::LEN + usize::from(u16::from_be_bytes([input[2], input[3]])));
    match SubItem::parse(input) {
        Ok(Parse::Partial) => assert!(item_len.is_none_or(|n| n > len)),
        Ok(Parse::Complete(item, used)) => {
            assert_eq!(Some(used), item_len);
            assert!(used <= len);
            // What an emitter would write for it is never longer than what was read (a UID
            // loses its tolerated NUL, nothing grows).
            assert!(
                item.buffer_len() <= used,
                "{item:?}: {} > {used}",
                item.buffer_len()
            );
        }
        Err(e) => {
            assert!(
                item_len.is_some_and(|n| n <= len),
                "error {e:?} on a partial item"
            );
        }
    }

    match PdvHeader::parse(input) {
        Ok(Parse::Partial) => assert!(len < PDV_HEADER_LEN),
        Ok(Parse::Complete(h, used)) => {
            assert_eq!(used, PDV_HEADER_LEN);
            assert!(used <= len);
            assert!(h.length >= 2);
            assert_eq!(h.fragment_len(), h.length - 2);
        }
        Err(e) => {
            assert!(
                len >= PDV_HEADER_LEN,
                "error {e:?} before a whole PDV header"
            );
            assert_eq!(e, ParseError::InvalidLength);
        }
    }

    if let Some(body) = input.first_chunk::<4>() {
        fixed_bodies(*body);
    }

    // The iterators over complete bodies end, and yield at most one item per 4 bytes (plus
    // a final error).
    let bound = len / ItemHeader::LEN + 1;
    let mut n = 0;
    for item in ItemIter::new(input) {
        n += 1;
        assert!(n <= bound, "ItemIter does not end");
        match item {
            Ok(Item::PresentationContextRq(_, subs))
            | Ok(Item::PresentationContextAc(_, _, subs))
            | Ok(Item::UserInformation(subs)) => {
                assert!(subs.count() <= bound, "SubItemIter does not end");
            }
            Ok(Item::ApplicationContext(_)) | Ok(Item::Unknown(_)) => {}
            Err(_) => {}
        }
    }
    assert!(SubItemIter::new(input).count() <= bound);
}

/// A-ASSOCIATE-RJ and A-ABORT bodies: parse, emit, parse gives the same value.
fn fixed_bodies(body: [u8; 4]) {
    if let Ok(rj) = AssociateRj::parse_body(body) {
        let mut buf = [0u8; 10];
        assert_eq!(rj.emit(&mut buf), Ok(rj.buffer_len()));
        assert_eq!(&buf[..6], &[3, 0, 0, 0, 0, 4]);
        let again = AssociateRj::parse_body([buf[6], buf[7], buf[8], buf[9]]);
        assert_eq!(again, Ok(rj));
        let _ = rj.describe();
    }
    let abort = Abort::parse_body(body);
    let mut buf = [0u8; 10];
    assert_eq!(abort.emit(&mut buf), Ok(abort.buffer_len()));
    assert_eq!(&buf[..6], &[7, 0, 0, 0, 0, 4]);
    assert_eq!(
        Abort::parse_body([buf[6], buf[7], buf[8], buf[9]]),
        abort,
        "A-ABORT body {body:?}"
    );
    let _ = abort.reason.describe();
}

/// Walks `data` as a stream of PDUs.
fn stream(data: &[u8]) {
    let mut at = 0;
    while at < data.len() {
        let rest = &data[at..];
        match PduHeader::parse(rest) {
            Ok(Parse::Complete(h, used)) => {
                let body_len = (h.length as usize).min(rest.len() - used);
                let body = &rest[used..used + body_len];
                if body_len == h.length as usize {
                    pdu(h.pdu_type, body);
                }
                at += used + body_len;
            }
            Ok(Parse::Partial) => break,
            Err(_) => {
                // Skipped by its length, as the connection does.
                let length = u32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]);
                at += PDU_HEADER_LEN + (length as usize).min(rest.len() - PDU_HEADER_LEN);
            }
        }
    }
}

/// One whole PDU body.
fn pdu(pdu_type: PduType, body: &[u8]) {
    match pdu_type {
        PduType::AssociateRq | PduType::AssociateAc => {
            let ac = pdu_type == PduType::AssociateAc;
            if let Some(model) = Associate::parse(ac, body) {
                associate_round_trip(&model);
            }
        }
        PduType::PDataTf => pdata_round_trip(body),
        PduType::AssociateRj | PduType::Abort => {
            if let Ok(b) = <[u8; 4]>::try_from(body) {
                fixed_bodies(b);
            }
        }
        PduType::ReleaseRq | PduType::ReleaseRp => {
            let mut buf = [0u8; 10];
            let n = if pdu_type == PduType::ReleaseRq {
                ReleaseRq.emit(&mut buf)
            } else {
                ReleaseRp.emit(&mut buf)
            };
            assert_eq!(n, Ok(10));
            assert_eq!(
                PduHeader::parse(&buf),
                Ok(Parse::Complete(
                    PduHeader {
                        pdu_type,
                        length: 4
                    },
                    PDU_HEADER_LEN
                ))
            );
        }
    }
}

/// What the emitters can express of an A-ASSOCIATE-RQ/AC: the first application context,
/// the presentation contexts of the PDU's kind, and the user-information sub-items (the first
/// of each single one, every one of the repeatable ones), all merged into one 50H item.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Associate<'a> {
    ac: bool,
    fixed: AssociateFixed,
    application_context: Option<&'a str>,
    /// (ID, first abstract syntax, transfer syntaxes).
    rq_contexts: Vec<(u8, Option<&'a str>, Vec<&'a str>)>,
    /// (ID, result, first transfer syntax).
    ac_contexts: Vec<(u8, u8, Option<&'a str>)>,
    max_length: Option<u32>,
    implementation_class_uid: Option<&'a str>,
    async_ops_window: Option<(u16, u16)>,
    role_selections: Vec<RoleSelection<'a>>,
    implementation_version_name: Option<&'a str>,
    sop_class_extended: Vec<SopClassExtended<'a>>,
    sop_class_common_extended: Vec<SopClassCommonExtended<'a>>,
    user_identity_rq: Option<UserIdentityRq<'a>>,
    user_identity_ac: Option<UserIdentityAc<'a>>,
}

impl<'a> Associate<'a> {
    /// The model of a whole A-ASSOCIATE-RQ/AC body, as far as it parses.
    fn parse(ac: bool, body: &'a [u8]) -> Option<Associate<'a>> {
        let Parse::Complete(fixed, used) = AssociateFixed::parse(body) else {
            return None;
        };
        let mut m = Associate {
            ac,
            fixed,
            application_context: None,
            rq_contexts: Vec::new(),
            ac_contexts: Vec::new(),
            max_length: None,
            implementation_class_uid: None,
            async_ops_window: None,
            role_selections: Vec::new(),
            implementation_version_name: None,
            sop_class_extended: Vec::new(),
            sop_class_common_extended: Vec::new(),
            user_identity_rq: None,
            user_identity_ac: None,
        };
        let mut app_context_seen = false;
        for item in ItemIter::new(&body[used..]) {
            let Ok(item) = item else { break };
            match item {
                Item::ApplicationContext(sub) if !app_context_seen => {
                    app_context_seen = true;
                    if let SubItem::ApplicationContext(uid) = sub {
                        m.application_context = Some(uid);
                    }
                }
                Item::PresentationContextRq(id, subs) if !ac => {
                    let mut abstract_syntax = None;
                    let mut transfer_syntaxes = Vec::new();
                    for sub in subs {
                        match sub {
                            Ok(SubItem::AbstractSyntax(uid)) => {
                                abstract_syntax.get_or_insert(uid);
                            }
                            Ok(SubItem::TransferSyntax(uid)) => transfer_syntaxes.push(uid),
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                    m.rq_contexts.push((id, abstract_syntax, transfer_syntaxes));
                }
                Item::PresentationContextAc(id, result, subs) if ac => {
                    let mut transfer_syntax = None;
                    for sub in subs {
                        match sub {
                            Ok(SubItem::TransferSyntax(uid)) => {
                                transfer_syntax.get_or_insert(uid);
                            }
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                    m.ac_contexts.push((id, result, transfer_syntax));
                }
                Item::UserInformation(subs) => {
                    for sub in subs {
                        let Ok(sub) = sub else { break };
                        m.user_sub_item(sub);
                    }
                }
                _ => {}
            }
        }
        Some(m)
    }

    fn user_sub_item(&mut self, sub: SubItem<'a>) {
        match sub {
            SubItem::MaximumLength(n) => {
                self.max_length.get_or_insert(n);
            }
            SubItem::ImplementationClassUid(uid) => {
                self.implementation_class_uid.get_or_insert(uid);
            }
            SubItem::AsynchronousOperationsWindow(i, p) => {
                self.async_ops_window.get_or_insert((i, p));
            }
            SubItem::RoleSelection(r) => self.role_selections.push(r),
            SubItem::ImplementationVersionName(v) => {
                self.implementation_version_name.get_or_insert(v);
            }
            SubItem::SopClassExtended(e) => self.sop_class_extended.push(e),
            SubItem::SopClassCommonExtended(c) => self.sop_class_common_extended.push(c),
            SubItem::UserIdentityRq(u) => {
                self.user_identity_rq.get_or_insert(u);
            }
            SubItem::UserIdentityAc(u) => {
                self.user_identity_ac.get_or_insert(u);
            }
            _ => {}
        }
    }

    /// Emits the model, or `None` when the emitters cannot express it (a mandatory part is
    /// missing, or the merged user information overflows its 16-bit length).
    fn emit(&self) -> Option<Vec<u8>> {
        let application_context = self.application_context?;
        let user_information = UserInformation {
            max_length: self.max_length?,
            implementation_class_uid: self.implementation_class_uid?,
            async_ops_window: self.async_ops_window,
            role_selections: &self.role_selections,
            implementation_version_name: self.implementation_version_name,
            sop_class_extended: &self.sop_class_extended,
            sop_class_common_extended: &self.sop_class_common_extended,
            user_identity_rq: self.user_identity_rq,
            user_identity_ac: self.user_identity_ac,
        };
        let user_info_overflows = user_information.buffer_len() - ItemHeader::LEN > 0xFFFF;
        let (need, result, buf) = if self.ac {
            let mut contexts = Vec::new();
            for &(id, result, ts) in &self.ac_contexts {
                contexts.push(PresentationContextAc {
                    id,
                    result,
                    transfer_syntax: ts?,
                });
            }
            let pdu = AssociateAc {
                fixed: self.fixed,
                application_context,
                presentation_contexts: &contexts,
                user_information,
            };
            let need = pdu.buffer_len();
            let mut buf = vec![0u8; need];
            (need, pdu.emit(&mut buf), buf)
        } else {
            let mut contexts = Vec::new();
            for (id, abstract_syntax, transfer_syntaxes) in &self.rq_contexts {
                contexts.push(PresentationContextRq {
                    id: *id,
                    abstract_syntax: (*abstract_syntax)?,
                    transfer_syntaxes,
                });
            }
            let pdu = AssociateRq {
                fixed: self.fixed,
                application_context,
                presentation_contexts: &contexts,
                user_information,
            };
            let need = pdu.buffer_len();
            let mut buf = vec![0u8; need];
            (need, pdu.emit(&mut buf), buf)
        };
        match result {
            Ok(n) => {
                assert_eq!(n, need, "emit wrote {n} bytes, buffer_len said {need}");
                Some(buf)
            }
            Err(_) => {
                assert!(
                    user_info_overflows,
                    "emit failed on a buffer of buffer_len() bytes: {self:?}"
                );
                None
            }
        }
    }
}

fn associate_round_trip(model: &Associate<'_>) {
    let Some(bytes) = model.emit() else { return };
    let pdu_type = if model.ac {
        PduType::AssociateAc
    } else {
        PduType::AssociateRq
    };
    assert_eq!(
        PduHeader::parse(&bytes),
        Ok(Parse::Complete(
            PduHeader {
                pdu_type,
                length: (bytes.len() - PDU_HEADER_LEN) as u32
            },
            PDU_HEADER_LEN
        ))
    );
    let again = Associate::parse(model.ac, &bytes[PDU_HEADER_LEN..])
        .expect("an emitted A-ASSOCIATE parses");
    assert_eq!(&again, model, "A-ASSOCIATE round trip");
    assert_eq!(again.emit().as_deref(), Some(&bytes[..]), "re-emit differs");
}

/// The PDVs of a whole P-DATA-TF body, up to the first malformed one.
fn pdvs(body: &[u8]) -> Vec<Pdv<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let Ok(Parse::Complete(h, used)) = PdvHeader::parse(&body[at..]) else {
            break;
        };
        let start = at + used;
        let Some(data) = start
            .checked_add(h.fragment_len() as usize)
            .and_then(|end| body.get(start..end))
        else {
            break;
        };
        assert_eq!(h.length as usize, data.len() + 2);
        out.push(Pdv {
            context_id: h.context_id,
            control: h.control,
            data,
        });
        at = start + data.len();
    }
    out
}

fn pdata_round_trip(body: &[u8]) {
    let parsed = pdvs(body);
    for p in &parsed {
        let c = p.control;
        assert_eq!(
            MessageControlHeader::new(c.is_command(), c.is_last()).0,
            c.0 & 3
        );
    }
    let pdu = PDataTf { pdvs: &parsed };
    let need = pdu.buffer_len();
    let mut buf = vec![0u8; need];
    assert_eq!(pdu.emit(&mut buf), Ok(need));
    assert_eq!(
        PduHeader::parse(&buf),
        Ok(Parse::Complete(
            PduHeader {
                pdu_type: PduType::PDataTf,
                length: (need - PDU_HEADER_LEN) as u32
            },
            PDU_HEADER_LEN
        ))
    );
    let again = pdvs(&buf[PDU_HEADER_LEN..]);
    assert_eq!(again, parsed, "P-DATA-TF round trip");
    // A buffer one byte short is refused, never overrun.
    if need > 0 {
        let mut short = vec![0u8; need - 1];
        assert!(pdu.emit(&mut short).is_err());
    }
}
