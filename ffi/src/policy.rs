//! The C structs that configure a connection, and their copies inside its memory.

use core::ffi::{c_char, c_int, c_void};

use dimse_core::assoc::{AcceptorPolicy as CorePolicy, Limits as CoreLimits, UserIdentityCheck};
use dimse_core::assoc::{RequestorConfig as CoreConfig, IMPLEMENTATION_CLASS_UID};
use dimse_core::dataset::Encoding;
use dimse_core::pdu::MAX_UID_LEN;
use dimse_core::pdu::{AeTitle, PresentationContextRq, Uid, UserIdentityRq, UserIdentityType};
use dimse_core::Duration;

use crate::boundary::{c_str, slice};
use crate::{encoding_of, DIMSE_E_ARGUMENT, DIMSE_E_CONFIG};

/// The most SOP classes a policy may serve, or a requestor propose (one presentation context
/// each). Display System and Verification are two.
pub const DIMSE_MAX_SOP_CLASSES: usize = 4;
/// The most calling AE titles an acceptor's allow-list may hold.
pub const DIMSE_MAX_CALLING_AE_TITLES: usize = 8;

/// The user identity a requestor sent (User Identity Negotiation, PS3.7 D.3.3.7), as the
/// acceptor's callback sees it. The fields point into the connection's receive path and are
/// valid only during the callback.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UserIdentity {
    /// 1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT (PS3.8 Table D.3-14).
    pub identity_type: u8,
    /// The requestor asked for a positive response.
    pub positive_response_requested: bool,
    /// Username, ticket, assertion or token (not NUL-terminated).
    pub primary_field: *const u8,
    /// Its length.
    pub primary_field_len: usize,
    /// Passcode for type 2 (not NUL-terminated), else empty.
    pub secondary_field: *const u8,
    /// Its length.
    pub secondary_field_len: usize,
}

/// Decides whether a user identity is accepted: non-zero accepts. Called during
/// `dimse_handle_input` with the policy's `user_identity_data`; it must not call back into
/// the connection (such a call returns `DIMSE_E_REENTRANT`). Compare secrets in constant time.
pub type UserIdentityFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, identity: *const UserIdentity) -> c_int>;

/// Sizes and timeouts of a connection, in an acceptor's policy or a requestor's
/// configuration. Zero means the default (as pynetdicom's).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Our Maximum Length: the largest P-DATA-TF PDU accepted (0: 16382).
    pub max_pdu_length: u32,
    /// ARTIM timeout in ms: waiting for the A-ASSOCIATE-RQ, and for the peer to close after
    /// a reject, release or abort (0: 30 s).
    pub artim_timeout_ms: u32,
    /// ACSE timeout in ms: waiting for the A-ASSOCIATE-AC/RJ and the A-RELEASE-RP (0: 30 s).
    pub acse_timeout_ms: u32,
    /// Network timeout in ms: nothing from the peer for this long aborts (0: 60 s).
    pub network_timeout_ms: u32,
    /// DIMSE timeout in ms: an acceptor's application has this long to answer a request
    /// (then the core answers 0110H itself); a requestor waits this long for a response
    /// (then aborts) (0: 30 s).
    pub dimse_timeout_ms: u32,
    /// PDU timeout in ms: a PDU must be complete this long after its first byte (0: 60 s).
    pub pdu_timeout_ms: u32,
}

/// What an acceptor accepts. Zero for a number means the default; NULL for an optional
/// pointer means "none". `dimse_acceptor_init` copies everything it needs: the struct and
/// the strings it points to may be freed when it returns (not `user_identity_data`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct AcceptorPolicy {
    /// Our AE title, NUL-terminated (1 to 16 characters).
    pub ae_title: *const c_char,
    /// Non-zero: reject (1/1/7) an association whose called AE title is not `ae_title`.
    pub check_called_ae: u8,
    /// The calling AE titles accepted (others: 1/1/3); NULL or a length of 0: any.
    pub calling_ae_titles: *const *const c_char,
    /// Their number, at most `DIMSE_MAX_CALLING_AE_TITLES`.
    pub calling_ae_titles_len: usize,
    /// The SOP class UIDs served (NUL-terminated), at least one.
    pub sop_classes: *const *const c_char,
    /// Their number, at most `DIMSE_MAX_SOP_CLASSES`.
    pub sop_classes_len: usize,
    /// Transfer syntaxes accepted, most preferred first (`DIMSE_EXPLICIT_VR_LITTLE_ENDIAN`,
    /// `DIMSE_IMPLICIT_VR_LITTLE_ENDIAN`); NULL: both, Explicit VR first.
    pub transfer_syntaxes: *const u8,
    /// Their number (1 or 2).
    pub transfer_syntaxes_len: usize,
    /// Sizes and timeouts.
    pub limits: Limits,
    /// Checks user identities; NULL ignores them.
    pub user_identity: UserIdentityFn,
    /// Passed to `user_identity`; owned by the caller, which keeps it valid while the
    /// connection lives.
    pub user_identity_data: *mut c_void,
    /// Non-zero: reject (1/1/1) requests without a user identity.
    pub require_user_identity: u8,
}

/// What a requestor proposes: one presentation context per SOP class (IDs 1, 3, 5, ...),
/// each with the same transfer syntaxes. Zero means the default, as in
/// [`AcceptorPolicy`]; `dimse_requestor_init` copies what it needs.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RequestorConfig {
    /// Our AE title, NUL-terminated.
    pub calling_ae: *const c_char,
    /// The peer's AE title, NUL-terminated.
    pub called_ae: *const c_char,
    /// The SOP class UIDs to propose (NUL-terminated), at least one.
    pub sop_classes: *const *const c_char,
    /// Their number, at most `DIMSE_MAX_SOP_CLASSES`.
    pub sop_classes_len: usize,
    /// Transfer syntaxes proposed in each context; NULL: Explicit then Implicit VR LE.
    pub transfer_syntaxes: *const u8,
    /// Their number (1 or 2).
    pub transfer_syntaxes_len: usize,
    /// Sizes and timeouts.
    pub limits: Limits,
}

/// The user identity callback, kept in the connection's memory.
#[derive(Debug)]
pub(crate) struct IdentityCallback {
    f: UserIdentityFn,
    data: *mut c_void,
}

// SAFETY: the core wants `Sync` because one Rust policy may serve many threads. This one
// lives inside one connection's memory and is called only from calls on that connection,
// which the C contract (ffi/README.md) makes one thread at a time; `data` is the caller's,
// passed back to the caller's function on that thread.
unsafe impl Sync for IdentityCallback {}

impl UserIdentityCheck for IdentityCallback {
    fn check(&self, identity: &UserIdentityRq<'_>) -> bool {
        let Some(f) = self.f else {
            return false;
        };
        let identity_type = match identity.identity_type {
            UserIdentityType::Username => 1,
            UserIdentityType::UsernamePasscode => 2,
            UserIdentityType::Kerberos => 3,
            UserIdentityType::Saml => 4,
            UserIdentityType::Jwt => 5,
            UserIdentityType::Other(b) => b,
        };
        let c = UserIdentity {
            identity_type,
            positive_response_requested: identity.positive_response_requested,
            primary_field: identity.primary_field.as_ptr(),
            primary_field_len: identity.primary_field.len(),
            secondary_field: identity.secondary_field.as_ptr(),
            secondary_field_len: identity.secondary_field.len(),
        };
        // SAFETY: `f` is the caller's function, given its own `data` and a pointer to a
        // struct valid for the call (the fields point into the identity, which outlives it).
        unsafe { f(self.data, &c) != 0 }
    }
}

/// A UID copied from C, with the room for the longest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UidCopy {
    bytes: [u8; MAX_UID_LEN],
    len: u8,
}

impl UidCopy {
    const EMPTY: UidCopy = UidCopy {
        bytes: [0; MAX_UID_LEN],
        len: 0,
    };

    pub(crate) fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

/// The connection's copy of its configuration. The core's policy borrows the arrays beside
/// it, so this never moves once the connection is made (it lives in the caller's memory).
pub(crate) struct Store {
    uids: [UidCopy; DIMSE_MAX_SOP_CLASSES],
    uid_count: usize,
    strs: [&'static str; DIMSE_MAX_SOP_CLASSES],
    encodings: [Encoding; 2],
    transfer_uids: [&'static str; 2],
    encoding_count: usize,
    allow: [AeTitle; DIMSE_MAX_CALLING_AE_TITLES],
    allow_count: usize,
    identity: IdentityCallback,
    contexts: [PresentationContextRq<'static>; DIMSE_MAX_SOP_CLASSES],
    pub(crate) kind: Kind,
}

/// The role's configuration, borrowing the arrays of its [`Store`].
pub(crate) enum Kind {
    Acceptor(CorePolicy<'static>),
    Requestor(CoreConfig<'static>),
}

/// What a C policy says, checked, before it is placed.
pub(crate) struct Checked {
    store: Store,
    ae_title: AeTitle,
    check_called_ae: bool,
    called: AeTitle,
    limits: CoreLimits,
    require_user_identity: bool,
    requestor: bool,
}

fn timeout(ms: u32, default: Duration) -> Duration {
    if ms == 0 {
        default
    } else {
        Duration::from_millis(u64::from(ms))
    }
}

impl Limits {
    /// The core's limits: these, with the defaults for zeros.
    fn to_core(self) -> CoreLimits {
        let d = CoreLimits::DEFAULT;
        CoreLimits {
            max_pdu_length: if self.max_pdu_length == 0 {
                d.max_pdu_length
            } else {
                self.max_pdu_length
            },
            artim_timeout: timeout(self.artim_timeout_ms, d.artim_timeout),
            acse_timeout: timeout(self.acse_timeout_ms, d.acse_timeout),
            network_timeout: timeout(self.network_timeout_ms, d.network_timeout),
            dimse_timeout: timeout(self.dimse_timeout_ms, d.dimse_timeout),
            pdu_timeout: timeout(self.pdu_timeout_ms, d.pdu_timeout),
            ..d
        }
    }
}

/// An AE title from a C string.
///
/// # Safety
/// As [`c_str`].
unsafe fn ae_title(p: *const c_char) -> Result<AeTitle, c_int> {
    // SAFETY: the caller's contract; an AE title has at most 16 characters, and surrounding
    // spaces are allowed, so 64 bytes is room enough for any a user may pass.
    let bytes = unsafe { c_str(p, 64) }?;
    let text = core::str::from_utf8(bytes).map_err(|_| DIMSE_E_ARGUMENT)?;
    AeTitle::new(text).ok_or(DIMSE_E_ARGUMENT)
}

impl Store {
    fn empty() -> Store {
        Store {
            uids: [UidCopy::EMPTY; DIMSE_MAX_SOP_CLASSES],
            uid_count: 0,
            strs: [""; DIMSE_MAX_SOP_CLASSES],
            encodings: [
                Encoding::ExplicitVrLittleEndian,
                Encoding::ImplicitVrLittleEndian,
            ],
            transfer_uids: [""; 2],
            encoding_count: 2,
            allow: [AeTitle::from_field(&[b' '; 16]); DIMSE_MAX_CALLING_AE_TITLES],
            allow_count: 0,
            identity: IdentityCallback {
                f: None,
                data: core::ptr::null_mut(),
            },
            contexts: [PresentationContextRq {
                id: 0,
                abstract_syntax: "",
                transfer_syntaxes: &[],
            }; DIMSE_MAX_SOP_CLASSES],
            kind: Kind::Acceptor(CorePolicy::new(AeTitle::from_field(&[b'?'; 16]), &[])),
        }
    }

    /// Copies the SOP class UIDs.
    ///
    /// # Safety
    /// `p` points to `len` C string pointers (or `len == 0`), each readable as [`c_str`].
    unsafe fn sop_classes(&mut self, p: *const *const c_char, len: usize) -> Result<(), c_int> {
        if len == 0 || len > DIMSE_MAX_SOP_CLASSES {
            return Err(DIMSE_E_CONFIG);
        }
        // SAFETY: the caller's contract.
        let list = unsafe { slice(p, len) }?;
        for (slot, &s) in self.uids.iter_mut().zip(list) {
            // SAFETY: each entry is a C string by contract; a UID has at most 64 bytes.
            let bytes = unsafe { c_str(s, MAX_UID_LEN) }?;
            let uid = Uid::check(bytes).ok_or(crate::DIMSE_E_INVALID_UID)?;
            // Byte by byte: `copy_from_slice` keeps a length-mismatch panic in the image.
            for (d, s) in slot.bytes.iter_mut().zip(uid.as_bytes()) {
                *d = *s;
            }
            slot.len = u8::try_from(uid.len()).map_err(|_| DIMSE_E_ARGUMENT)?;
        }
        self.uid_count = len;
        Ok(())
    }

    /// Copies the transfer syntaxes.
    ///
    /// # Safety
    /// `p` points to `len` bytes, or is NULL.
    unsafe fn transfer_syntaxes(&mut self, p: *const u8, len: usize) -> Result<(), c_int> {
        if p.is_null() {
            return Ok(()); // the default, set by `empty`
        }
        if len == 0 || len > 2 {
            return Err(DIMSE_E_ARGUMENT);
        }
        // SAFETY: the caller's contract.
        let list = unsafe { slice(p, len) }?;
        for (slot, &code) in self.encodings.iter_mut().zip(list) {
            *slot = encoding_of(code).ok_or(DIMSE_E_ARGUMENT)?;
        }
        let [first, second] = self.encodings;
        if len == 2 && first == second {
            return Err(DIMSE_E_ARGUMENT);
        }
        self.encoding_count = len;
        Ok(())
    }
}

impl Checked {
    /// Checks and copies an acceptor policy.
    ///
    /// # Safety
    /// `p` points to a policy whose pointers are valid as its documentation says.
    pub(crate) unsafe fn acceptor(p: &AcceptorPolicy) -> Result<Checked, c_int> {
        let mut store = Store::empty();
        // SAFETY: the policy's pointers, by contract.
        let ae = unsafe { ae_title(p.ae_title) }?;
        // SAFETY: as above.
        unsafe { store.sop_classes(p.sop_classes, p.sop_classes_len) }?;
        // SAFETY: as above.
        unsafe { store.transfer_syntaxes(p.transfer_syntaxes, p.transfer_syntaxes_len) }?;
        if p.calling_ae_titles_len > DIMSE_MAX_CALLING_AE_TITLES {
            return Err(DIMSE_E_ARGUMENT);
        }
        if !p.calling_ae_titles.is_null() {
            // SAFETY: as above.
            let list = unsafe { slice(p.calling_ae_titles, p.calling_ae_titles_len) }?;
            for (slot, &s) in store.allow.iter_mut().zip(list) {
                // SAFETY: each entry is a C string by contract.
                *slot = unsafe { ae_title(s) }?;
            }
            store.allow_count = list.len();
        }
        store.identity = IdentityCallback {
            f: p.user_identity,
            data: p.user_identity_data,
        };
        Ok(Checked {
            store,
            ae_title: ae,
            check_called_ae: p.check_called_ae != 0,
            called: ae,
            limits: p.limits.to_core(),
            require_user_identity: p.require_user_identity != 0,
            requestor: false,
        })
    }

    /// Checks and copies a requestor configuration.
    ///
    /// # Safety
    /// `p` points to a configuration whose pointers are valid as its documentation says.
    pub(crate) unsafe fn requestor(p: &RequestorConfig) -> Result<Checked, c_int> {
        let mut store = Store::empty();
        // SAFETY: the configuration's pointers, by contract.
        let calling = unsafe { ae_title(p.calling_ae) }?;
        // SAFETY: as above.
        let called = unsafe { ae_title(p.called_ae) }?;
        // SAFETY: as above.
        unsafe { store.sop_classes(p.sop_classes, p.sop_classes_len) }?;
        // SAFETY: as above.
        unsafe { store.transfer_syntaxes(p.transfer_syntaxes, p.transfer_syntaxes_len) }?;
        Ok(Checked {
            store,
            ae_title: calling,
            check_called_ae: false,
            called,
            limits: p.limits.to_core(),
            require_user_identity: false,
            requestor: true,
        })
    }

    /// Moves the store to `at` and points the core's configuration at the arrays there.
    /// Returns the placed store, borrowed for as long as the memory stays (the caller's
    /// contract: until it stops using the connection).
    ///
    /// # Safety
    /// `at` is valid for writes of a `Store`, aligned, never moved afterwards, and nothing
    /// else refers to it.
    pub(crate) unsafe fn place(self, at: *mut Store) -> &'static Store {
        // SAFETY: `at` is writable and aligned (contract); the store holds no self-reference
        // yet, so it can move there.
        unsafe { at.write(self.store) };
        // SAFETY: `at` now holds an initialised store that nothing else refers to.
        let store: &'static mut Store = unsafe { &mut *at };
        // The arrays are split into what is referred to ('static shared) and what refers.
        let uids: &'static [UidCopy; DIMSE_MAX_SOP_CLASSES] = &store.uids;
        for (s, u) in store.strs.iter_mut().zip(uids.iter()) {
            *s = u.as_str();
        }
        let encodings = &store.encodings;
        for (t, e) in store.transfer_uids.iter_mut().zip(encodings.iter()) {
            *t = e.transfer_syntax_uid();
        }
        let n = store.uid_count.min(DIMSE_MAX_SOP_CLASSES);
        let e = store.encoding_count.min(2);
        let a = store.allow_count.min(DIMSE_MAX_CALLING_AE_TITLES);
        let strs: &'static [&'static str] = store.strs.get(..n).unwrap_or(&[]);
        let encodings: &'static [Encoding] = store.encodings.get(..e).unwrap_or(&[]);
        let transfer_uids: &'static [&'static str] = store.transfer_uids.get(..e).unwrap_or(&[]);
        let allow: &'static [AeTitle] = store.allow.get(..a).unwrap_or(&[]);
        let identity: &'static IdentityCallback = &store.identity;
        if self.requestor {
            let mut id: u8 = 1;
            for (pc, s) in store.contexts.iter_mut().zip(strs.iter()) {
                *pc = PresentationContextRq {
                    id,
                    abstract_syntax: s,
                    transfer_syntaxes: transfer_uids,
                };
                id = id.saturating_add(2);
            }
            let contexts: &'static [PresentationContextRq<'static>] =
                store.contexts.get(..n).unwrap_or(&[]);
            let mut config = CoreConfig::new(self.ae_title, self.called, contexts);
            config.limits = self.limits;
            config.implementation_class_uid = IMPLEMENTATION_CLASS_UID;
            store.kind = Kind::Requestor(config);
        } else {
            let mut policy = CorePolicy::new(self.ae_title, strs);
            policy.check_called_ae = self.check_called_ae;
            policy.calling_ae_allow_list = (a > 0).then_some(allow);
            policy.transfer_syntaxes = encodings;
            policy.user_identity = identity
                .f
                .is_some()
                .then_some(identity as &dyn UserIdentityCheck);
            policy.require_user_identity = self.require_user_identity;
            policy.limits = self.limits;
            store.kind = Kind::Acceptor(policy);
        }
        store
    }
}
