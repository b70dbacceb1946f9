//! Association negotiation (PS3.7 Annex D, PS3.8 §7.1): what the acceptor accepts and what the
//! requestor proposes.
//!
//! The acceptor side is fed an A-ASSOCIATE-RQ one unit at a time by the connection (its
//! negotiation state is internal to the crate) and keeps only its decisions: one 4-byte
//! [`ContextRecord`] per proposed presentation context, pointing into the policy's own lists,
//! so no UID from the peer is copied. The requestor side does the same with the
//! A-ASSOCIATE-AC.
//!
//! Defaults follow what users of pynetdicom and DCMTK expect: any called and calling AE title
//! is accepted unless configured otherwise, max PDU 16382, ARTIM/ACSE/DIMSE 30 s, network
//! 60 s, Implicit VR Little Endian always accepted and Explicit VR Little Endian preferred.

mod identity;
pub use identity::Passcode;

use crate::dataset::Encoding;
use crate::pdu::{
    AeTitle, AssociateFixed, AssociateRj, PresentationContextRq, RoleSelection, SubItem,
    UserIdentityRq, UserIdentityType, APPLICATION_CONTEXT_NAME,
};
use crate::time::Duration;
use crate::ul::Role;

/// Implicit VR Little Endian, the default transfer syntax (PS3.5 §10.1): the UID of
/// [`Encoding::ImplicitVrLittleEndian`].
pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = Encoding::ImplicitVrLittleEndian.transfer_syntax_uid();
/// Explicit VR Little Endian (PS3.5 §A.2): the UID of [`Encoding::ExplicitVrLittleEndian`].
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = Encoding::ExplicitVrLittleEndian.transfer_syntax_uid();
/// This implementation's class UID (a UUID-derived UID under 2.25, PS3.5 §B.2).
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.247122487620129845327617474160712356103";
/// This implementation's version name.
pub const IMPLEMENTATION_VERSION_NAME: &str = "DIMSE_RS_010";

/// The most presentation contexts an association can carry: IDs are odd numbers 1 to 255.
pub const MAX_PRESENTATION_CONTEXTS: usize = 128;
/// The most role-selection answers kept.
pub const MAX_ROLE_SELECTIONS: usize = 16;

/// Sizes and timeouts. Every buffer the core uses is bounded by these or by a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Limits {
    /// Maximum-length-received we advertise (51H): the largest P-DATA-TF PDU-length we
    /// accept. Larger P-DATA PDUs are aborted. 0 means "no limit" (PS3.8 §D.1): P-DATA of
    /// any length is taken (the receive side streams PDVs, so this bounds no memory).
    pub max_pdu_length: u32,
    /// The largest A-ASSOCIATE-RQ/AC PDU-length accepted (it is streamed, so this bounds
    /// time, not memory).
    pub max_associate_length: u32,
    /// The most presentation contexts accepted; further ones are answered with result 2
    /// (no-reason) rather than failing the association.
    pub max_presentation_contexts: u8,
    /// The smallest peer Maximum-length-received we agree to send within; below it a P-DATA
    /// cannot carry a 2-byte fragment. 0 (no limit) is always fine.
    pub min_peer_max_pdu_length: u32,
    /// ARTIM (PS3.8 §9.1.5): waiting for an A-ASSOCIATE-RQ after connect, and for the peer
    /// to close after a reject, release or abort.
    pub artim_timeout: Duration,
    /// Waiting for an A-ASSOCIATE-AC/RJ or A-RELEASE-RP (requestor side).
    pub acse_timeout: Duration,
    /// No bytes from the peer for this long on an established association: abort.
    pub network_timeout: Duration,
    /// DIMSE timeout: how long the application may take to answer a request (SCP: then the
    /// core answers 0110H itself), and how long a response may take (SCU: then the
    /// association is aborted, as pynetdicom does).
    pub dimse_timeout: Duration,
    /// A PDU must be complete within this long of its first byte, however steadily its
    /// bytes come: otherwise the association is aborted
    /// ([`Timer::Pdu`](crate::connection::Timer::Pdu)). Without it a peer sending one byte
    /// every few seconds would hold an association, and a server's slot, open for ever (the
    /// network timeout restarts with every byte). Not serialized, so that configurations
    /// stored before it existed still read (it comes back as the default).
    #[cfg_attr(feature = "serde", serde(skip, default = "default_pdu_timeout"))]
    pub pdu_timeout: Duration,
}

impl Limits {
    /// pynetdicom-like defaults.
    pub const DEFAULT: Limits = Limits {
        max_pdu_length: 16382,
        max_associate_length: 65536,
        max_presentation_contexts: 128,
        min_peer_max_pdu_length: 8,
        artim_timeout: Duration::from_secs(30),
        acse_timeout: Duration::from_secs(30),
        network_timeout: Duration::from_secs(60),
        dimse_timeout: Duration::from_secs(30),
        pdu_timeout: Duration::from_secs(60),
    };
}

#[cfg(feature = "serde")]
fn default_pdu_timeout() -> Duration {
    Limits::DEFAULT.pdu_timeout
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Decides whether a User Identity (58H) is accepted (PS3.7 D.3.3.7). Implementations should
/// compare secrets in constant time. `Sync`, because one policy serves every association of a
/// server, on whatever thread or task runs it.
pub trait UserIdentityCheck: Sync {
    /// `true` to accept the identity.
    fn check(&self, identity: &UserIdentityRq<'_>) -> bool;
}

/// What an acceptor accepts.
#[derive(Clone, Copy)]
pub struct AcceptorPolicy<'a> {
    /// Our AE title, sent back in the A-ASSOCIATE-AC's fields only as an echo; checked against
    /// the called AE title when `check_called_ae` is set.
    pub ae_title: AeTitle,
    /// Reject (1/1/7) an A-ASSOCIATE-RQ whose called AE title is not `ae_title`.
    pub check_called_ae: bool,
    /// When set, only these calling AE titles are accepted (others: 1/1/3).
    pub calling_ae_allow_list: Option<&'a [AeTitle]>,
    /// Abstract syntaxes (SOP classes) served. At most 255.
    pub abstract_syntaxes: &'a [&'a str],
    /// Transfer syntaxes accepted, most preferred first. At most 255.
    ///
    /// [`Encoding`]s rather than UIDs: a context is accepted only in a transfer syntax whose
    /// data sets the core can write, so an N-GET on it can always be answered with its data
    /// set. A proposal naming none of these gets result 4, transfer-syntaxes-not-supported
    /// (PS3.8 Table 9-18). A transfer syntax without an encoding cannot be offered at all:
    ///
    /// ```compile_fail
    /// # use dimse_core::assoc::AcceptorPolicy;
    /// # use dimse_core::pdu::AeTitle;
    /// # let title = AeTitle::new("DISPLAY").unwrap();
    /// let mut policy = AcceptorPolicy::new(title, &[]);
    /// policy.transfer_syntaxes = &["1.2.840.10008.1.2.4.50"]; // JPEG Baseline: not an Encoding
    /// ```
    pub transfer_syntaxes: &'a [Encoding],
    /// Sent in 52H.
    pub implementation_class_uid: &'a str,
    /// Sent in 55H.
    pub implementation_version_name: Option<&'a str>,
    /// Checks user identities; `None` ignores them (no 59H is sent).
    pub user_identity: Option<&'a dyn UserIdentityCheck>,
    /// Reject (1/2/1) requests that carry no user identity.
    pub require_user_identity: bool,
    /// Sizes and timeouts.
    pub limits: Limits,
}

impl core::fmt::Debug for AcceptorPolicy<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AcceptorPolicy")
            .field("ae_title", &self.ae_title)
            .field("check_called_ae", &self.check_called_ae)
            .field("calling_ae_allow_list", &self.calling_ae_allow_list)
            .field("abstract_syntaxes", &self.abstract_syntaxes)
            .field("transfer_syntaxes", &self.transfer_syntaxes)
            .field("user_identity", &self.user_identity.is_some())
            .field("require_user_identity", &self.require_user_identity)
            .field("limits", &self.limits)
            .finish()
    }
}

/// The transfer syntaxes an acceptor offers by default, most preferred first.
pub const DEFAULT_TRANSFER_SYNTAXES: &[Encoding] = &[
    Encoding::ExplicitVrLittleEndian,
    Encoding::ImplicitVrLittleEndian,
];

impl<'a> AcceptorPolicy<'a> {
    /// A policy serving `abstract_syntaxes` as `ae_title`, accepting any called and calling AE
    /// title, with the default transfer syntaxes and limits.
    ///
    /// A `const fn`, so that a server's policy can be a `static`:
    ///
    /// ```
    /// use dimse_core::assoc::AcceptorPolicy;
    /// use dimse_core::pdu::AeTitle;
    /// use dimse_core::service::DISPLAY_SYSTEM;
    ///
    /// static SERVED: [&str; 1] = [DISPLAY_SYSTEM];
    /// static POLICY: AcceptorPolicy<'static> = AcceptorPolicy::new(
    ///     match AeTitle::new("DISPLAY") {
    ///         Some(t) => t,
    ///         None => panic!(), // in a static's initializer, a compile error
    ///     },
    ///     &SERVED,
    /// );
    /// assert_eq!(POLICY.ae_title.as_bytes(), b"DISPLAY");
    /// ```
    pub const fn new(ae_title: AeTitle, abstract_syntaxes: &'a [&'a str]) -> Self {
        AcceptorPolicy {
            ae_title,
            check_called_ae: false,
            calling_ae_allow_list: None,
            abstract_syntaxes,
            transfer_syntaxes: DEFAULT_TRANSFER_SYNTAXES,
            implementation_class_uid: IMPLEMENTATION_CLASS_UID,
            implementation_version_name: Some(IMPLEMENTATION_VERSION_NAME),
            user_identity: None,
            require_user_identity: false,
            limits: Limits::DEFAULT,
        }
    }
}

/// What a requestor proposes.
#[derive(Debug, Clone, Copy)]
pub struct RequestorConfig<'a> {
    /// The peer's AE title.
    pub called_ae: AeTitle,
    /// Ours.
    pub calling_ae: AeTitle,
    /// Proposed contexts, with odd, distinct IDs.
    pub presentation_contexts: &'a [PresentationContextRq<'a>],
    /// Proposed roles (54H).
    pub role_selections: &'a [RoleSelection<'a>],
    /// 53H, if any.
    pub async_ops_window: Option<(u16, u16)>,
    /// 58H, if any.
    pub user_identity: Option<UserIdentityRq<'a>>,
    /// Sent in 52H.
    pub implementation_class_uid: &'a str,
    /// Sent in 55H.
    pub implementation_version_name: Option<&'a str>,
    /// Sizes and timeouts.
    pub limits: Limits,
}

impl<'a> RequestorConfig<'a> {
    /// A configuration proposing `presentation_contexts` from `calling_ae` to `called_ae`,
    /// with default limits and no extended negotiation.
    /// A `const fn`, so that a fixed configuration can be a `static`.
    pub const fn new(
        calling_ae: AeTitle,
        called_ae: AeTitle,
        presentation_contexts: &'a [PresentationContextRq<'a>],
    ) -> Self {
        RequestorConfig {
            called_ae,
            calling_ae,
            presentation_contexts,
            role_selections: &[],
            async_ops_window: None,
            user_identity: None,
            implementation_class_uid: IMPLEMENTATION_CLASS_UID,
            implementation_version_name: Some(IMPLEMENTATION_VERSION_NAME),
            limits: Limits::DEFAULT,
        }
    }
}

/// The Result/Reason of a presentation context (PS3.8 Table 9-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ContextResult {
    /// 0: acceptance.
    Acceptance,
    /// 1: user-rejection.
    UserRejection,
    /// 2: no-reason (provider rejection).
    NoReason,
    /// 3: abstract-syntax-not-supported (provider rejection).
    AbstractSyntaxNotSupported,
    /// 4: transfer-syntaxes-not-supported (provider rejection).
    TransferSyntaxesNotSupported,
}

impl ContextResult {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            ContextResult::Acceptance => 0,
            ContextResult::UserRejection => 1,
            ContextResult::NoReason => 2,
            ContextResult::AbstractSyntaxNotSupported => 3,
            ContextResult::TransferSyntaxesNotSupported => 4,
        }
    }

    /// From the wire byte; unknown values read as a provider rejection without reason.
    pub const fn from_u8(b: u8) -> Self {
        match b {
            0 => ContextResult::Acceptance,
            1 => ContextResult::UserRejection,
            3 => ContextResult::AbstractSyntaxNotSupported,
            4 => ContextResult::TransferSyntaxesNotSupported,
            _ => ContextResult::NoReason,
        }
    }
}

/// Index value meaning "none" in a [`ContextRecord`].
const NONE: u8 = u8::MAX;

/// One presentation context as negotiated: four bytes, the syntaxes kept as indices into the
/// policy's (acceptor) or the configuration's (requestor) own lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ContextRecord {
    /// Presentation-context-ID.
    pub id: u8,
    /// The result.
    pub result: ContextResult,
    abstract_index: u8,
    transfer_index: u8,
}

/// An accepted presentation context, with its syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PresentationContext<'a> {
    /// Presentation-context-ID.
    pub id: u8,
    /// Abstract syntax (SOP class) UID.
    pub abstract_syntax: &'a str,
    /// The negotiated transfer syntax UID.
    pub transfer_syntax: &'a str,
}

/// The outcome of a negotiation, kept for the life of the association.
#[derive(Debug, Clone)]
pub struct Negotiated {
    /// Our role.
    pub role: Role,
    /// Calling AE title (the requestor's).
    pub calling_ae: AeTitle,
    /// Called AE title (the acceptor's, as the requestor named it).
    pub called_ae: AeTitle,
    /// The peer's Maximum-length-received: the largest P-DATA-TF PDU-length we may send; 0 =
    /// no limit.
    pub peer_max_pdu_length: u32,
    /// The fixed part of the A-ASSOCIATE-RQ, echoed in the AC.
    pub(crate) fixed: AssociateFixed,
    /// Every context proposed, with its result.
    pub contexts: heapless::Vec<ContextRecord, MAX_PRESENTATION_CONTEXTS>,
    /// Role-selection answers: (abstract syntax index, SCU role accepted, SCP role accepted).
    pub(crate) roles: heapless::Vec<(u8, bool, bool), MAX_ROLE_SELECTIONS>,
    /// The requestor proposed an asynchronous operations window.
    pub(crate) async_ops_proposed: bool,
    /// A positive user-identity response (59H) is owed.
    pub(crate) user_identity_response: bool,
}

impl Negotiated {
    // Inlined, as the negotiations' `new`: see `Neg::start`.
    #[inline(always)]
    fn new(role: Role, fixed: AssociateFixed) -> Self {
        Negotiated {
            role,
            calling_ae: fixed.calling_ae(),
            called_ae: fixed.called_ae(),
            peer_max_pdu_length: 0,
            fixed,
            contexts: heapless::Vec::new(),
            roles: heapless::Vec::new(),
            async_ops_proposed: false,
            user_identity_response: false,
        }
    }

    /// The record of context `id`, whatever its result.
    pub fn record(&self, id: u8) -> Option<&ContextRecord> {
        self.contexts.iter().find(|c| c.id == id)
    }
}

/// Where a negotiation's syntaxes come from, to turn records back into UIDs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Syntaxes<'a> {
    Acceptor(&'a AcceptorPolicy<'a>),
    Requestor(&'a RequestorConfig<'a>),
}

impl<'a> Syntaxes<'a> {
    /// The abstract and transfer syntax of a record, if known.
    pub(crate) fn resolve(&self, rec: &ContextRecord) -> (Option<&'a str>, Option<&'a str>) {
        match self {
            Syntaxes::Acceptor(p) => (
                p.abstract_syntaxes
                    .get(usize::from(rec.abstract_index))
                    .copied(),
                p.transfer_syntaxes
                    .get(usize::from(rec.transfer_index))
                    .map(|e| e.transfer_syntax_uid()),
            ),
            Syntaxes::Requestor(c) => {
                let pc = c.presentation_contexts.get(usize::from(rec.abstract_index));
                (
                    pc.map(|pc| pc.abstract_syntax),
                    pc.and_then(|pc| pc.transfer_syntaxes.get(usize::from(rec.transfer_index)))
                        .copied(),
                )
            }
        }
    }

    /// The data set encoding of the accepted context `id`; `None` for a transfer syntax
    /// that is not an [`Encoding`]. An acceptor's policy lists encodings: read there, not
    /// worked out again from the UID for every message.
    #[inline]
    pub(crate) fn accepted_encoding(&self, n: &Negotiated, id: u8) -> Option<Encoding> {
        let rec = n
            .record(id)
            .filter(|r| r.result == ContextResult::Acceptance)?;
        match self {
            Syntaxes::Acceptor(p) => p
                .transfer_syntaxes
                .get(usize::from(rec.transfer_index))
                .copied(),
            Syntaxes::Requestor(_) => Encoding::from_transfer_syntax(self.resolve(rec).1?),
        }
    }

    /// The accepted context `id`.
    #[inline]
    pub(crate) fn accepted(&self, n: &Negotiated, id: u8) -> Option<PresentationContext<'a>> {
        let rec = n
            .record(id)
            .filter(|r| r.result == ContextResult::Acceptance)?;
        match self.resolve(rec) {
            (Some(abstract_syntax), Some(transfer_syntax)) => Some(PresentationContext {
                id,
                abstract_syntax,
                transfer_syntax,
            }),
            _ => None,
        }
    }
}

/// The presentation context being read, between its 20H header and its end.
#[derive(Debug, Clone, Copy)]
struct PendingContext {
    id: u8,
    abstract_index: Option<u8>,
    abstract_seen: bool,
    abstract_valid: bool,
    best_transfer: Option<u8>,
    transfer_seen: bool,
}

/// Accumulates an A-ASSOCIATE-RQ, unit by unit, into a decision (PS3.8 AE-6, then the
/// policy standing in for the local user's AE-7/AE-8).
#[derive(Debug, Clone)]
#[repr(C)] // `n` first: see the connection's `Neg`.
pub(crate) struct AcceptorNegotiation {
    n: Negotiated,
    ids_seen: [u8; 32],
    pending: Option<PendingContext>,
    app_context: Option<bool>,
    max_length_seen: bool,
    identity: IdentityOutcome,
    /// A problem that makes the service provider reject the request (AE-6's "not acceptable").
    provider_reject: Option<AssociateRj>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdentityOutcome {
    Absent,
    Accepted,
    Refused,
    Ignored,
}

impl AcceptorNegotiation {
    /// Starts with the fixed part of the request.
    #[inline(always)]
    pub(crate) fn new(fixed: AssociateFixed) -> Self {
        let provider_reject =
            (!fixed.supports_version_1()).then_some(AssociateRj::PROTOCOL_VERSION_NOT_SUPPORTED);
        AcceptorNegotiation {
            n: Negotiated::new(Role::Acceptor, fixed),
            ids_seen: [0; 32],
            pending: None,
            app_context: None,
            max_length_seen: false,
            identity: IdentityOutcome::Absent,
            provider_reject,
        }
    }

    fn reject_provider(&mut self) {
        self.provider_reject
            .get_or_insert(AssociateRj::PROVIDER_NO_REASON);
    }

    /// The 10H item (or its malformed value).
    pub(crate) fn application_context(&mut self, item: &SubItem<'_>) {
        let ok = matches!(item, SubItem::ApplicationContext(u) if *u == APPLICATION_CONTEXT_NAME);
        // More than one application context item is not a valid request.
        if self.app_context.is_some() {
            self.reject_provider();
        }
        self.app_context = Some(ok);
    }

    /// A 20H item begins.
    pub(crate) fn context_start(&mut self, id: u8) {
        // With correct framing the previous context was closed first; a context left open
        // is dropped so that the state stays bounded.
        self.pending = None;
        let (byte, bit) = (usize::from(id / 8), id % 8);
        let duplicate = self.ids_seen.get(byte).is_some_and(|b| b & (1 << bit) != 0);
        if let Some(b) = self.ids_seen.get_mut(byte) {
            *b |= 1 << bit;
        }
        // PS3.8 §9.3.2.2: odd integers 1 to 255, unique within the association.
        if id % 2 == 0 || duplicate {
            self.reject_provider();
        }
        self.pending = Some(PendingContext {
            id,
            abstract_index: None,
            abstract_seen: false,
            abstract_valid: true,
            best_transfer: None,
            transfer_seen: false,
        });
    }

    /// A sub-item of the current 20H item.
    pub(crate) fn context_sub_item(&mut self, policy: &AcceptorPolicy<'_>, item: &SubItem<'_>) {
        let Some(pc) = self.pending.as_mut() else {
            return;
        };
        match item {
            SubItem::AbstractSyntax(uid) => {
                if pc.abstract_seen {
                    pc.abstract_valid = false;
                }
                pc.abstract_seen = true;
                pc.abstract_index = index(policy.abstract_syntaxes.iter().copied(), uid);
            }
            SubItem::Malformed(0x30) => {
                pc.abstract_seen = true;
                pc.abstract_valid = false;
            }
            SubItem::TransferSyntax(uid) => {
                pc.transfer_seen = true;
                let offered = policy.transfer_syntaxes.iter();
                if let Some(i) = index(offered.map(|e| e.transfer_syntax_uid()), uid) {
                    // The policy's order is the preference: keep the best proposed.
                    if pc.best_transfer.is_none_or(|b| i < b) {
                        pc.best_transfer = Some(i);
                    }
                }
            }
            SubItem::Malformed(0x40) => pc.transfer_seen = true,
            _ => {}
        }
    }

    /// The current 20H item ended.
    pub(crate) fn context_end(&mut self, policy: &AcceptorPolicy<'_>) {
        let accepted = self
            .n
            .contexts
            .iter()
            .filter(|c| c.result == ContextResult::Acceptance)
            .count();
        if let Some(pc) = self.pending.take() {
            let result = match (pc.abstract_index, pc.best_transfer) {
                _ if !pc.abstract_seen || !pc.abstract_valid => {
                    ContextResult::AbstractSyntaxNotSupported
                }
                (None, _) => ContextResult::AbstractSyntaxNotSupported,
                (Some(_), None) => ContextResult::TransferSyntaxesNotSupported,
                (Some(_), Some(_))
                    if accepted >= usize::from(policy.limits.max_presentation_contexts) =>
                {
                    ContextResult::NoReason
                }
                (Some(_), Some(_)) => ContextResult::Acceptance,
            };
            let record = ContextRecord {
                id: pc.id,
                result,
                abstract_index: pc.abstract_index.unwrap_or(NONE),
                transfer_index: pc.best_transfer.unwrap_or(NONE),
            };
            if self.n.contexts.push(record).is_err() {
                // More than 128 contexts means repeated IDs: not a valid request.
                self.reject_provider();
            }
        }
    }

    /// A sub-item of the 50H item.
    pub(crate) fn user_info_sub_item(&mut self, policy: &AcceptorPolicy<'_>, item: &SubItem<'_>) {
        match item {
            SubItem::MaximumLength(m) => {
                self.max_length_seen = true;
                self.n.peer_max_pdu_length = *m;
                if *m != 0 && *m < policy.limits.min_peer_max_pdu_length {
                    self.reject_provider();
                }
            }
            SubItem::AsynchronousOperationsWindow(..) => self.n.async_ops_proposed = true,
            SubItem::RoleSelection(r) => {
                let served = policy.abstract_syntaxes.iter().copied();
                if let Some(i) = index(served, r.sop_class_uid) {
                    // We act as SCP only: the requestor may be the SCU; its request to be
                    // the SCP is refused.
                    if !self.n.roles.iter().any(|(j, ..)| *j == i) {
                        let _ = self.n.roles.push((i, r.scu_role, false));
                    }
                }
            }
            SubItem::UserIdentityRq(u) => {
                self.identity = match policy.user_identity {
                    None => IdentityOutcome::Ignored,
                    Some(check) if check.check(u) => {
                        self.n.user_identity_response = u.positive_response_requested
                            && matches!(
                                u.identity_type,
                                UserIdentityType::Username | UserIdentityType::UsernamePasscode
                            );
                        IdentityOutcome::Accepted
                    }
                    Some(_) => IdentityOutcome::Refused,
                };
            }
            _ => {}
        }
    }

    /// A user identity too large to read (a long token): it cannot be verified.
    pub(crate) fn user_identity_unreadable(&mut self, policy: &AcceptorPolicy<'_>) {
        self.identity = if policy.user_identity.is_some() {
            IdentityOutcome::Refused
        } else {
            IdentityOutcome::Ignored
        };
    }

    /// What has been negotiated so far (all of it once [`finish`](Self::finish) accepted).
    pub(crate) fn negotiated(&self) -> &Negotiated {
        &self.n
    }

    /// The request is complete: accept (the negotiation, finished in place) or reject.
    pub(crate) fn finish(&mut self, policy: &AcceptorPolicy<'_>) -> Result<(), AssociateRj> {
        if self.pending.is_some() {
            self.context_end(policy);
        }
        if let Some(rj) = self.provider_reject {
            return Err(rj);
        }
        if self.app_context != Some(true) {
            return Err(AssociateRj::APPLICATION_CONTEXT_NOT_SUPPORTED);
        }
        if self.n.contexts.is_empty() || !self.max_length_seen {
            return Err(AssociateRj::PROVIDER_NO_REASON);
        }
        if policy.check_called_ae && self.n.called_ae != policy.ae_title {
            return Err(AssociateRj::CALLED_AE_NOT_RECOGNIZED);
        }
        let calling = self.n.calling_ae;
        if !calling.is_valid() || !self.n.called_ae.is_valid() {
            // All spaces "shall not be used" (PS3.8 Table 9-11).
            return Err(if calling.is_valid() {
                AssociateRj::CALLED_AE_NOT_RECOGNIZED
            } else {
                AssociateRj::CALLING_AE_NOT_RECOGNIZED
            });
        }
        if let Some(list) = policy.calling_ae_allow_list {
            if !list.contains(&calling) {
                return Err(AssociateRj::CALLING_AE_NOT_RECOGNIZED);
            }
        }
        match self.identity {
            IdentityOutcome::Refused => return Err(AssociateRj::PROVIDER_NO_REASON),
            IdentityOutcome::Absent if policy.require_user_identity => {
                return Err(AssociateRj::PROVIDER_NO_REASON)
            }
            _ => {}
        }
        // Role answers only for classes with an accepted context.
        let contexts = &self.n.contexts;
        self.n.roles.retain(|(i, ..)| {
            contexts
                .iter()
                .any(|c| c.result == ContextResult::Acceptance && c.abstract_index == *i)
        });
        Ok(())
    }
}

/// Where `uid` is in a policy's list, as a [`ContextRecord`] index.
fn index<'s>(mut list: impl Iterator<Item = &'s str>, uid: &str) -> Option<u8> {
    list.position(|s| s == uid)
        .and_then(|i| u8::try_from(i).ok())
        .filter(|&i| i != NONE)
}

/// Accumulates an A-ASSOCIATE-AC against what was proposed.
#[derive(Debug, Clone)]
#[repr(C)] // `n` first: see the connection's `Neg`.
pub(crate) struct RequestorNegotiation {
    n: Negotiated,
    invalid: bool,
    app_context_ok: bool,
}

impl RequestorNegotiation {
    /// Starts with the fixed part of the AC.
    #[inline(always)]
    pub(crate) fn new(fixed: AssociateFixed) -> Self {
        RequestorNegotiation {
            n: Negotiated::new(Role::Requestor, fixed),
            invalid: false,
            app_context_ok: false,
        }
    }

    /// The 10H item.
    pub(crate) fn application_context(&mut self, item: &SubItem<'_>) {
        self.app_context_ok =
            matches!(item, SubItem::ApplicationContext(u) if *u == APPLICATION_CONTEXT_NAME);
    }

    /// A 21H item, with its transfer syntax sub-item (if valid).
    pub(crate) fn context(
        &mut self,
        config: &RequestorConfig<'_>,
        id: u8,
        result: u8,
        transfer: Option<&str>,
    ) {
        let Some(pi) = config
            .presentation_contexts
            .iter()
            .position(|pc| pc.id == id)
        else {
            // An answer to a context we never proposed.
            self.invalid = true;
            return;
        };
        let mut result = ContextResult::from_u8(result);
        let proposed = config.presentation_contexts.get(pi);
        let ti = transfer.and_then(|t| {
            proposed.and_then(|pc| pc.transfer_syntaxes.iter().position(|s| *s == t))
        });
        if result == ContextResult::Acceptance && ti.is_none() {
            // Accepted with a transfer syntax we did not propose: unusable.
            self.invalid = true;
            result = ContextResult::NoReason;
        }
        let record = ContextRecord {
            id,
            result,
            abstract_index: u8::try_from(pi).unwrap_or(NONE),
            transfer_index: ti.and_then(|t| u8::try_from(t).ok()).unwrap_or(NONE),
        };
        if self.n.record(id).is_some() || self.n.contexts.push(record).is_err() {
            self.invalid = true;
        }
    }

    /// A sub-item of the 50H item.
    pub(crate) fn user_info_sub_item(&mut self, item: &SubItem<'_>) {
        if let SubItem::MaximumLength(m) = item {
            self.n.peer_max_pdu_length = *m;
        }
    }

    /// What has been negotiated so far (all of it once [`finish`](Self::finish) accepted).
    pub(crate) fn negotiated(&self) -> &Negotiated {
        &self.n
    }

    /// The AC is complete: whether it answers what was proposed (else the connection
    /// aborts). The negotiation is finished in place.
    pub(crate) fn finish(&mut self, config: &RequestorConfig<'_>) -> bool {
        let n = &mut self.n;
        // The AC echoes the titles; keep ours, which are what the association is between.
        n.calling_ae = config.calling_ae;
        n.called_ae = config.called_ae;
        let min = config.limits.min_peer_max_pdu_length;
        let max_ok = n.peer_max_pdu_length == 0 || n.peer_max_pdu_length >= min;
        !self.invalid && self.app_context_ok && max_ok
    }
}
