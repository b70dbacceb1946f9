//! proptest strategies for what a peer sends: PDUs, items and sub-items (valid, built with
//! dimse-core's emitters, and mutated), A-ASSOCIATE-RQ offers, command sets, N-GET requests
//! with attribute lists, Display System data sets ([`display_system`]), and chunkings and
//! timing schedules of a byte stream ([`cuts`], [`schedule`]).
//!
//! The PDU emitters borrow what they write; the strategies produce owned models ([`PcRq`],
//! [`Ui`], [`Offer`], ...) that a test turns into bytes (or into the borrowed emit types, as
//! [`UiParts::view`] does) inside the test body.

use dimse_core::dataset::{dictionary, DataSetSource, Encoding, Tag, Vr, Writer};
use dimse_core::pdu::{
    Abort, AbortReason, AbortSource, AeTitle, AssociateAc, AssociateFixed, AssociateRj,
    AssociateRq, PresentationContextAc, PresentationContextRq, RejectReason, RejectResult,
    RejectSource, RoleSelection, SopClassCommonExtended, SopClassExtended, UserIdentityAc,
    UserIdentityRq, UserIdentityType, UserInformation, APPLICATION_CONTEXT_NAME,
};
use dimse_core::service::display::{
    DisplayFunctionType, DisplaySubsystem, DisplaySystem, SystemStatus,
    TargetLuminanceCharacteristics,
};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::hostile::{
    c_echo_rq, command, emit_rq, n_get_rq, pdata, raw_command, raw_pdu, release_rp, release_rq,
    DISPLAY_SYSTEM, EXPLICIT, IMPLICIT, MANUFACTURER, PRINTER, VERIFICATION,
};

// ---------------------------------------------------------------------------------------------
// Owned models of the borrowed emit types
// ---------------------------------------------------------------------------------------------

/// A presentation context of an A-ASSOCIATE-RQ (item 20H, PS3.8 §9.3.2.2), owned.
#[derive(Debug, Clone)]
pub struct PcRq {
    /// Presentation Context ID.
    pub id: u8,
    /// Abstract Syntax Name.
    pub abstract_syntax: String,
    /// Transfer Syntax Names, in order of preference.
    pub transfer_syntaxes: Vec<String>,
}

/// A presentation context of an A-ASSOCIATE-AC (item 21H, PS3.8 §9.3.3.2), owned.
#[derive(Debug, Clone)]
pub struct PcAc {
    /// Presentation Context ID.
    pub id: u8,
    /// Result/Reason (Table 9-18).
    pub result: u8,
    /// Transfer Syntax Name.
    pub transfer_syntax: String,
}

/// A SOP Class Common Extended Negotiation sub-item (57H, PS3.7 Annex D.3.3.6), owned.
#[derive(Debug, Clone)]
pub struct Common {
    /// SOP Class UID.
    pub sop: String,
    /// Service Class UID.
    pub service: String,
    /// Related General SOP Class UIDs.
    pub related: Vec<String>,
    /// `related`, encoded as the sub-item carries it.
    pub encoded: Vec<u8>,
}

/// A User Identity Negotiation sub-item of an A-ASSOCIATE-RQ (58H, PS3.7 Annex D.3.3.7), owned.
#[derive(Debug, Clone)]
pub struct UserIdRq {
    /// User Identity Type.
    pub identity_type: UserIdentityType,
    /// Positive-response-requested.
    pub positive: bool,
    /// Primary field.
    pub primary: Vec<u8>,
    /// Secondary field (username and passcode only).
    pub secondary: Vec<u8>,
}

/// A User Information item (50H, PS3.8 §9.3.2.3) and its sub-items, owned.
#[derive(Debug, Clone)]
pub struct Ui {
    /// Maximum Length Received (51H).
    pub max_length: u32,
    /// Implementation Class UID (52H).
    pub impl_uid: String,
    /// Asynchronous Operations Window (53H): invoked, performed.
    pub async_ops: Option<(u16, u16)>,
    /// SCP/SCU Role Selections (54H): SOP class, SCU role, SCP role.
    pub roles: Vec<(String, bool, bool)>,
    /// Implementation Version Name (55H).
    pub version: Option<String>,
    /// SOP Class Extended Negotiations (56H): SOP class, application information.
    pub extended: Vec<(String, Vec<u8>)>,
    /// SOP Class Common Extended Negotiations (57H).
    pub common: Vec<Common>,
    /// User Identity Negotiation, request (58H).
    pub identity_rq: Option<UserIdRq>,
    /// User Identity Negotiation, server response (59H).
    pub identity_ac: Option<Vec<u8>>,
}

/// Borrowed sub-item lists built from a [`Ui`], so that a `UserInformation` can point at them.
pub struct UiParts<'a> {
    ui: &'a Ui,
    roles: Vec<RoleSelection<'a>>,
    extended: Vec<SopClassExtended<'a>>,
    common: Vec<SopClassCommonExtended<'a>>,
}

impl<'a> UiParts<'a> {
    /// The sub-item lists of `ui`.
    pub fn new(ui: &'a Ui) -> Self {
        UiParts {
            ui,
            roles: ui
                .roles
                .iter()
                .map(|(uid, scu, scp)| RoleSelection {
                    sop_class_uid: uid,
                    scu_role: *scu,
                    scp_role: *scp,
                })
                .collect(),
            extended: ui
                .extended
                .iter()
                .map(|(uid, info)| SopClassExtended {
                    sop_class_uid: uid,
                    application_information: info,
                })
                .collect(),
            common: ui
                .common
                .iter()
                .map(|c| SopClassCommonExtended {
                    sop_class_uid: &c.sop,
                    service_class_uid: &c.service,
                    related_encoded: &c.encoded,
                })
                .collect(),
        }
    }

    /// The `UserInformation` that points at them.
    pub fn view(&self) -> UserInformation<'_> {
        UserInformation {
            max_length: self.ui.max_length,
            implementation_class_uid: &self.ui.impl_uid,
            async_ops_window: self.ui.async_ops,
            role_selections: &self.roles,
            implementation_version_name: self.ui.version.as_deref(),
            sop_class_extended: &self.extended,
            sop_class_common_extended: &self.common,
            user_identity_rq: self.ui.identity_rq.as_ref().map(|u| UserIdentityRq {
                identity_type: u.identity_type,
                positive_response_requested: u.positive,
                primary_field: &u.primary,
                secondary_field: &u.secondary,
            }),
            user_identity_ac: self
                .ui
                .identity_ac
                .as_ref()
                .map(|r| UserIdentityAc { server_response: r }),
        }
    }
}

impl PcAc {
    /// The borrowed item the emitter takes.
    pub fn view(&self) -> PresentationContextAc<'_> {
        PresentationContextAc {
            id: self.id,
            result: self.result,
            transfer_syntax: &self.transfer_syntax,
        }
    }
}

/// Borrowed transfer syntax lists built from [`PcRq`]s, so that `PresentationContextRq`s can
/// point at them.
pub struct PcRqParts<'a> {
    pcs: &'a [PcRq],
    transfer_syntaxes: Vec<Vec<&'a str>>,
}

impl<'a> PcRqParts<'a> {
    /// The transfer syntax lists of `pcs`.
    pub fn new(pcs: &'a [PcRq]) -> Self {
        PcRqParts {
            pcs,
            transfer_syntaxes: pcs
                .iter()
                .map(|pc| pc.transfer_syntaxes.iter().map(String::as_str).collect())
                .collect(),
        }
    }

    /// The `PresentationContextRq`s that point at them.
    pub fn view(&self) -> Vec<PresentationContextRq<'_>> {
        self.pcs
            .iter()
            .zip(&self.transfer_syntaxes)
            .map(|(pc, ts)| PresentationContextRq {
                id: pc.id,
                abstract_syntax: &pc.abstract_syntax,
                transfer_syntaxes: ts,
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// A valid UID: 1 to 64 characters of digits and dots, no empty component.
pub fn uid() -> impl Strategy<Value = String> {
    vec((0u8..10, prop::bool::weighted(0.25)), 1..=64).prop_map(|chars| {
        let n = chars.len();
        let mut s = String::with_capacity(n);
        for (i, (digit, dot)) in chars.into_iter().enumerate() {
            let can_dot = i > 0 && i + 1 < n && !s.ends_with('.');
            if dot && can_dot {
                s.push('.');
            } else {
                s.push(char::from(b'0' + digit));
            }
        }
        s
    })
}

/// A valid AE title: 1 to 16 characters of ISO 646 G0 other than backslash, not all spaces.
pub fn ae_title() -> impl Strategy<Value = AeTitle> {
    "[ -\\[\\]-~]{1,16}".prop_filter_map("all spaces", |s| AeTitle::new(&s))
}

/// A presentation context of an A-ASSOCIATE-RQ: odd ID, 1 to 4 transfer syntaxes.
pub fn pc_rq() -> impl Strategy<Value = PcRq> {
    (0u8..128, uid(), vec(uid(), 1..=4)).prop_map(|(i, abstract_syntax, transfer_syntaxes)| PcRq {
        id: i * 2 + 1,
        abstract_syntax,
        transfer_syntaxes,
    })
}

/// A presentation context of an A-ASSOCIATE-AC, any result 0 to 4 (Table 9-18).
pub fn pc_ac() -> impl Strategy<Value = PcAc> {
    (0u8..128, 0u8..=4, uid()).prop_map(|(i, result, transfer_syntax)| PcAc {
        id: i * 2 + 1,
        result,
        transfer_syntax,
    })
}

/// A user identity type: the named ones and the rest (PS3.7 Annex D.3.3.7.1).
pub fn identity_type() -> impl Strategy<Value = UserIdentityType> {
    prop_oneof![
        Just(UserIdentityType::Username),
        Just(UserIdentityType::UsernamePasscode),
        Just(UserIdentityType::Kerberos),
        Just(UserIdentityType::Saml),
        Just(UserIdentityType::Jwt),
        // Values 1..=5 are the named types: `Other` holds the rest.
        prop_oneof![Just(0u8), 6u8..=255].prop_map(UserIdentityType::Other),
    ]
}

/// A user identity request.
pub fn identity_rq() -> impl Strategy<Value = UserIdRq> {
    (
        identity_type(),
        any::<bool>(),
        vec(any::<u8>(), 0..48),
        vec(any::<u8>(), 0..24),
    )
        .prop_map(|(identity_type, positive, primary, secondary)| UserIdRq {
            identity_type,
            positive,
            // Only username-and-passcode carries a secondary field.
            secondary: if identity_type == UserIdentityType::UsernamePasscode {
                secondary
            } else {
                Vec::new()
            },
            primary,
        })
}

/// A SOP Class Common Extended Negotiation sub-item with 0 to 3 related classes.
pub fn common_ext() -> impl Strategy<Value = Common> {
    (uid(), uid(), vec(uid(), 0..=3)).prop_map(|(sop, service, related)| {
        let mut buf = vec![0u8; 512];
        let refs: Vec<&str> = related.iter().map(String::as_str).collect();
        let encoded = SopClassCommonExtended::encode_related(&refs, &mut buf)
            .unwrap()
            .to_vec();
        Common {
            sop,
            service,
            related,
            encoded,
        }
    })
}

/// User information for an RQ (`rq`) or an AC; every sub-item but 51H and 52H is optional.
pub fn user_info(rq: bool) -> impl Strategy<Value = Ui> {
    let common = if rq { 0..=3usize } else { 0..=0 };
    (
        (
            any::<u32>(),
            uid(),
            proptest::option::of((any::<u16>(), any::<u16>())),
            vec((uid(), any::<bool>(), any::<bool>()), 0..=3),
            proptest::option::of("[ -~]{1,16}"),
        ),
        (
            vec((uid(), vec(any::<u8>(), 0..32)), 0..=3),
            vec(common_ext(), common),
            proptest::option::of(identity_rq()),
            proptest::option::of(vec(any::<u8>(), 0..48)),
        ),
    )
        .prop_map(
            move |(
                (max_length, impl_uid, async_ops, roles, version),
                (extended, common, identity_rq, identity_ac),
            )| Ui {
                max_length,
                impl_uid,
                async_ops,
                roles,
                version,
                extended,
                common,
                identity_rq: if rq { identity_rq } else { None },
                identity_ac: if rq { None } else { identity_ac },
            },
        )
}

/// The 32 reserved bytes of an A-ASSOCIATE fixed part: zero, or anything (which a
/// receiver shall not test, PS3.8 §9.3.1).
pub fn reserved() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![Just([0u8; 32]), any::<[u8; 32]>()]
}

/// The fixed part of an A-ASSOCIATE-RQ/AC: AE titles and reserved bytes.
pub fn fixed_part() -> impl Strategy<Value = AssociateFixed> {
    (ae_title(), ae_title(), reserved()).prop_map(|(called, calling, reserved)| AssociateFixed {
        reserved,
        ..AssociateFixed::new(called, calling)
    })
}

/// A PDV of a P-DATA-TF: (context ID, Message Control Header, fragment), any bytes.
pub fn pdv() -> impl Strategy<Value = (u8, u8, Vec<u8>)> {
    (any::<u8>(), any::<u8>(), vec(any::<u8>(), 0..96))
}

/// An A-ASSOCIATE-RJ: any result and source, any reason byte.
pub fn reject() -> impl Strategy<Value = AssociateRj> {
    (
        prop_oneof![Just(RejectResult::Permanent), Just(RejectResult::Transient)],
        prop_oneof![
            Just(RejectSource::ServiceUser),
            Just(RejectSource::ServiceProviderAcse),
            Just(RejectSource::ServiceProviderPresentation),
        ],
        any::<u8>(),
    )
        .prop_map(|(result, source, reason)| AssociateRj {
            result,
            source,
            reason: RejectReason(reason),
        })
}

/// An A-ABORT: any source and reason byte (named and other).
pub fn abort() -> impl Strategy<Value = Abort> {
    (
        prop_oneof![
            Just(AbortSource::ServiceUser),
            Just(AbortSource::Reserved),
            Just(AbortSource::ServiceProvider),
            (3u8..=255).prop_map(AbortSource::Other),
        ],
        prop_oneof![
            Just(AbortReason::NotSpecified),
            Just(AbortReason::UnrecognizedPdu),
            Just(AbortReason::UnexpectedPdu),
            Just(AbortReason::UnrecognizedPduParameter),
            Just(AbortReason::UnexpectedPduParameter),
            Just(AbortReason::InvalidPduParameterValue),
            prop_oneof![Just(3u8), 7u8..=255].prop_map(AbortReason::Other),
        ],
    )
        .prop_map(|(source, reason)| Abort { source, reason })
}

/// A data element's tag: anywhere (standard or private, known or not), and often where the
/// dictionary has entries; never a sequence (SQ).
pub fn element_tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        // Anywhere, standard or private, known or not...
        (0u16..0xFFFE, any::<u16>()).prop_map(|(g, e)| Tag::new(g, e)),
        // ...and often where the dictionary has entries, so Implicit VR exercises it.
        (0x0008u16..=0x0028, 0u16..0x8000).prop_map(|(g, e)| Tag::new(g & !1, e)),
    ]
    .prop_filter("an element, not a sequence", |t| {
        dictionary::vr(*t) != Some(Vr::SQ)
    })
}

// ---------------------------------------------------------------- A-ASSOCIATE-RQ offers

/// An A-ASSOCIATE-RQ as a requestor offers it (PS3.8 §9.3.2), owned.
#[derive(Debug, Clone)]
pub struct Offer {
    /// Called and calling AE titles, reserved bytes.
    pub fixed: AssociateFixed,
    /// The presentation contexts proposed.
    pub contexts: Vec<PcRq>,
    /// The User Information item.
    pub user_information: Ui,
}

impl Offer {
    /// The A-ASSOCIATE-RQ PDU, emitted by dimse-core.
    pub fn to_bytes(&self) -> Vec<u8> {
        let contexts = PcRqParts::new(&self.contexts);
        let parts = UiParts::new(&self.user_information);
        emit_rq(&AssociateRq {
            fixed: self.fixed,
            application_context: APPLICATION_CONTEXT_NAME,
            presentation_contexts: &contexts.view(),
            user_information: parts.view(),
        })
    }
}

/// Any valid A-ASSOCIATE-RQ: any AE titles, 1 to 8 contexts of any UIDs, any user
/// information (roles, extended negotiation, user identity...).
pub fn offer() -> impl Strategy<Value = Offer> {
    (fixed_part(), vec(pc_rq(), 1..=8), user_info(true)).prop_map(
        |(fixed, contexts, user_information)| Offer {
            fixed,
            contexts,
            user_information,
        },
    )
}

/// A valid A-ASSOCIATE-RQ to `called`, as a display QA tool might send it: 1 to 6 contexts
/// (distinct odd IDs) of the Display System, Verification, Printer or a random class, each
/// with Implicit and/or Explicit VR Little Endian (sometimes a random syntax too), any
/// maximum PDU length from 0 (unlimited) up, optional roles and user identity.
pub fn offer_to(called: AeTitle) -> impl Strategy<Value = Offer> {
    let class = prop_oneof![
        3 => Just(DISPLAY_SYSTEM.to_string()),
        2 => Just(VERIFICATION.to_string()),
        1 => Just(PRINTER.to_string()),
        1 => uid(),
    ];
    let syntaxes = (
        prop::sample::subsequence(vec![EXPLICIT, IMPLICIT], 1..=2),
        proptest::option::weighted(0.2, uid()),
    )
        .prop_map(|(known, other)| {
            let mut v: Vec<String> = known.into_iter().map(str::to_owned).collect();
            v.extend(other);
            v
        });
    (
        ae_title(),
        vec((class, syntaxes), 1..=6),
        prop_oneof![Just(0u32), Just(16_384), 16u32..1 << 20],
        user_info(true),
    )
        .prop_map(move |(calling, pcs, max_length, mut ui)| {
            ui.max_length = max_length;
            Offer {
                fixed: AssociateFixed::new(called, calling),
                contexts: pcs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (abstract_syntax, transfer_syntaxes))| PcRq {
                        id: 2 * i as u8 + 1,
                        abstract_syntax,
                        transfer_syntaxes,
                    })
                    .collect(),
                user_information: ui,
            }
        })
}

// ---------------------------------------------------------------- command sets

/// An N-GET-RQ (PS3.7 §10.1.2) of the Display System's well-known instance: a Message ID and
/// an Attribute Identifier List (absent, empty, or tags of any kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NGet {
    /// Message ID (0000,0110).
    pub message_id: u16,
    /// Attribute Identifier List (0000,1005); `None`: absent (all attributes).
    pub attributes: Option<Vec<Tag>>,
}

impl NGet {
    /// The command set (group 0000, Implicit VR Little Endian), emitted by dimse-core.
    pub fn command_set(&self) -> Vec<u8> {
        n_get_rq(self.message_id, self.attributes.as_deref())
    }

    /// The command set in one P-DATA-TF PDV on presentation context `context_id`.
    pub fn pdu(&self, context_id: u8) -> Vec<u8> {
        command(context_id, &self.command_set())
    }
}

/// An Attribute Identifier List: 0 to 16 tags, the Manufacturer the demo data set has and
/// tags of any kind (unrecognized ones are answered 0107H, attribute list error, PS3.7
/// §10.1.2.1.9).
pub fn attribute_list() -> impl Strategy<Value = Vec<Tag>> {
    vec(
        prop_oneof![1 => Just(MANUFACTURER), 3 => element_tag()],
        0..=16,
    )
}

/// An N-GET-RQ with any Message ID and an attribute list that is absent, empty or
/// [`attribute_list`].
pub fn n_get() -> impl Strategy<Value = NGet> {
    (any::<u16>(), proptest::option::of(attribute_list())).prop_map(|(message_id, attributes)| {
        NGet {
            message_id,
            attributes,
        }
    })
}

/// A command set: a valid C-ECHO-RQ or N-GET-RQ, or group-0000 elements of any number and
/// value (what a broken or hostile peer sends).
pub fn command_set() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u16>().prop_map(c_echo_rq),
        n_get().prop_map(|g| g.command_set()),
        vec((any::<u16>(), vec(any::<u8>(), 0..32)), 0..8).prop_map(|elements| {
            let refs: Vec<(u16, &[u8])> =
                elements.iter().map(|(e, v)| (*e, v.as_slice())).collect();
            raw_command(&refs)
        }),
    ]
}

// ---------------------------------------------------------------- whole PDUs

/// A valid PDU of any type (PS3.8 §9.3), emitted by dimse-core: A-ASSOCIATE-RQ, -AC, -RJ,
/// P-DATA-TF, A-RELEASE-RQ, -RP, A-ABORT.
pub fn pdu() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        offer().prop_map(|o| o.to_bytes()),
        (fixed_part(), vec(pc_ac(), 1..=4), user_info(false)).prop_map(|(fixed, pcs, ui)| {
            let contexts: Vec<PresentationContextAc<'_>> = pcs.iter().map(PcAc::view).collect();
            let parts = UiParts::new(&ui);
            let ac = AssociateAc {
                fixed,
                application_context: APPLICATION_CONTEXT_NAME,
                presentation_contexts: &contexts,
                user_information: parts.view(),
            };
            let mut b = vec![0; ac.buffer_len()];
            let n = ac.emit(&mut b).expect("buffer_len is enough");
            b.truncate(n);
            b
        }),
        reject().prop_map(|rj| emit_simple(|b| rj.emit(b))),
        vec(pdv(), 1..=4).prop_map(|pdvs| {
            let refs: Vec<(u8, u8, &[u8])> = pdvs
                .iter()
                .map(|(c, m, d)| (*c, *m, d.as_slice()))
                .collect();
            pdata(&refs)
        }),
        Just(release_rq()),
        Just(release_rp()),
        abort().prop_map(|a| emit_simple(|b| a.emit(b))),
    ]
}

/// A 10-byte PDU (A-ASSOCIATE-RJ, A-ABORT) from its emitter.
fn emit_simple(emit: impl Fn(&mut [u8]) -> Result<usize, dimse_core::BufferTooSmall>) -> Vec<u8> {
    let mut b = vec![0; 10];
    let n = emit(&mut b).expect("10 bytes");
    b.truncate(n);
    b
}

/// What `valid` produces, damaged: 1 to 3 bytes overwritten, and sometimes cut short or
/// followed by junk. A peer must answer each as the standard says for what it has become
/// (usually an A-ABORT, PS3.8 Table 9-10 Evt19), and keep serving others.
pub fn mutated(valid: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        valid,
        vec((any::<prop::sample::Index>(), any::<u8>()), 1..=3),
        proptest::option::weighted(0.3, any::<prop::sample::Index>()),
        vec(any::<u8>(), 0..8),
    )
        .prop_map(|(mut bytes, damage, cut, junk)| {
            if !bytes.is_empty() {
                for (at, value) in damage {
                    let i = at.index(bytes.len());
                    bytes[i] = value;
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            bytes.extend(junk);
            bytes
        })
}

/// A PDU header of any type and length followed by any body: mostly not a PDU at all.
pub fn raw() -> impl Strategy<Value = Vec<u8>> {
    (any::<u8>(), any::<u32>(), vec(any::<u8>(), 0..64))
        .prop_map(|(ty, len, body)| raw_pdu(ty, len, &body))
}

// ---------------------------------------------------------------- chunkings

/// Where to cut a byte stream: up to 40 positions, any value ([`split_points`] brings them
/// into the stream). Shrinks towards fewer cuts.
pub fn cuts() -> impl Strategy<Value = Vec<usize>> {
    vec(any::<usize>(), 0..40)
}

/// The positions `cuts` picks in a stream of `len` bytes, sorted, and the end.
pub fn split_points(cuts: &[usize], len: usize) -> Vec<usize> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    points.sort_unstable();
    points.push(len);
    points
}

/// `bytes` cut at `cuts` (see [`split_points`]), without empty pieces.
pub fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut start = 0;
    let mut pieces = Vec::new();
    for end in split_points(cuts, bytes.len()) {
        if end > start {
            pieces.push(&bytes[start..end]);
            start = end;
        }
    }
    pieces
}

// ---------------------------------------------------------------------------------------------
// Display System data sets
// ---------------------------------------------------------------------------------------------

/// A Display System (PS3.4 Annex EE, PS3.3 C.32) as owned values: the identity strings, the
/// target curves (GSDF or gamma) and the subsystems with their status. [`DisplayDesc::encode`]
/// writes it with dimse-core's typed model, so the data set is one a Display System SCP may
/// return (it passes `dimse_core::service::display::validate`).
#[derive(Debug, Clone)]
pub struct DisplayDesc {
    /// Manufacturer (0008,0070).
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090).
    pub model: String,
    /// Device Serial Number (0018,1000).
    pub serial: String,
    /// Institution Name (0008,0080).
    pub institution: String,
    /// Institution Address (0008,0081).
    pub address: String,
    /// Station Name (0008,1010).
    pub station: String,
    /// Target curves: (minimum, maximum luminance in cd/m², gamma if a gamma curve); their
    /// IDs are 1, 2, ...
    pub targets: Vec<(f32, f32, Option<f32>)>,
    /// Display subsystems: (name, status); their IDs are 1, 2, ...
    pub subsystems: Vec<(String, SystemStatus)>,
}

impl DisplayDesc {
    /// The data set in `encoding`, after `dimse_core::service::display::validate` passed
    /// (`Err` with what is invalid, or with the writer's error if it does not fit 64 KiB,
    /// which these sizes never reach).
    pub fn encode(&self, encoding: Encoding) -> Result<Vec<u8>, String> {
        let targets: Vec<TargetLuminanceCharacteristics<'_>> = self
            .targets
            .iter()
            .zip(1u16..)
            .map(|(&(min, max, gamma), id)| TargetLuminanceCharacteristics {
                id,
                display_function_type: if gamma.is_some() {
                    DisplayFunctionType::Gamma
                } else {
                    DisplayFunctionType::Gsdf
                },
                target_minimum_luminance: min,
                target_maximum_luminance: max,
                gamma_value: gamma,
                luminance_response: &[],
                luminance_response_description: None,
                cie_xy_white_point: None,
                ambient_light: None,
            })
            .collect();
        let subsystems: Vec<DisplaySubsystem<'_>> = self
            .subsystems
            .iter()
            .zip(1u16..)
            .map(|((name, status), id)| DisplaySubsystem {
                id,
                name,
                system_status: *status,
                ..DisplaySubsystem::EMPTY
            })
            .collect();
        let system = DisplaySystem {
            manufacturer: &self.manufacturer,
            manufacturer_model_name: &self.model,
            device_serial_number: &self.serial,
            institution_name: &self.institution,
            institution_address: &self.address,
            station_name: &self.station,
            target_luminance_characteristics: &targets,
            display_subsystems: &subsystems,
            ..DisplaySystem::EMPTY
        };
        dimse_core::service::display::validate(&system).map_err(|e| format!("{e:?}"))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut w = Writer::new(&mut buf, encoding);
        system.write_to(&mut w).map_err(|e| format!("{e:?}"))?;
        let n = w.written();
        buf.truncate(n);
        Ok(buf)
    }
}

/// A value of VR LO (PS3.5 §6.2: up to 64 characters, no backslash or control character);
/// at least one character, not all spaces.
fn lo() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 ._/-]{0,30}".prop_map(|s| s.trim_end().to_string())
}

/// A value of VR SH (up to 16 characters).
fn sh() -> impl Strategy<Value = String> {
    "[A-Z0-9][A-Z0-9_]{0,15}"
}

/// A Display System: 1..3 target curves (a minimum below the maximum), 1..4 subsystems.
pub fn display_system() -> impl Strategy<Value = DisplayDesc> {
    let target = (
        0.01f32..5.0,
        100.0f32..2000.0,
        proptest::option::of(1.5f32..3.0),
    );
    let status = prop_oneof![
        Just(SystemStatus::Ok),
        Just(SystemStatus::Warning),
        Just(SystemStatus::Failed)
    ];
    (
        (lo(), lo(), lo(), lo(), lo()),
        sh(),
        vec(target, 1..3),
        vec((sh(), status), 1..4),
    )
        .prop_map(
            |(
                (manufacturer, model, serial, institution, address),
                station,
                targets,
                subsystems,
            )| DisplayDesc {
                manufacturer,
                model,
                serial,
                institution,
                address,
                station,
                targets,
                subsystems,
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Timing schedules
// ---------------------------------------------------------------------------------------------

/// A timing schedule for a byte stream: where it is cut ([`cuts`], applied with [`split`])
/// and pauses in milliseconds, one for each cut: the `i`-th is taken before piece `i + 1`
/// (those past the last piece go unused). Pauses stay below `max_pause_ms`, so a
/// test can keep them under (or, with a larger bound, take them past) a timer of the
/// implementation under test.
pub fn schedule(max_pause_ms: u64) -> impl Strategy<Value = (Vec<usize>, Vec<u64>)> {
    cuts().prop_flat_map(move |cuts| {
        let n = cuts.len();
        (Just(cuts), vec(0..max_pause_ms.max(1), n..=n))
    })
}
