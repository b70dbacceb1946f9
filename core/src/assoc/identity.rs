//! A ready-made [`UserIdentityCheck`]: one username and passcode, compared in constant time.

use super::UserIdentityCheck;
use crate::pdu::{UserIdentityRq, UserIdentityType};

/// Accepts a User Identity (58H) of type 2 (username and passcode) that matches these
/// credentials, and nothing else (PS3.7 D.3.3.7, PS3.15 B.4).
///
/// The comparison takes the same time whatever the bytes are, so a peer cannot find the
/// passcode byte by byte by timing the A-ASSOCIATE-RJ. Without TLS the passcode travels in
/// clear (SECURITY.md): use it with TLS.
///
/// ```
/// use dimse_core::assoc::{AcceptorPolicy, Passcode};
/// use dimse_core::pdu::AeTitle;
///
/// static CHECK: Passcode<'static> = Passcode::new(b"qa-station", b"correct horse");
/// static SERVED: [&str; 1] = ["1.2.840.10008.5.1.1.40"];
/// let mut policy = AcceptorPolicy::new(AeTitle::new("DISPLAY").unwrap(), &SERVED);
/// policy.user_identity = Some(&CHECK);
/// policy.require_user_identity = true;
/// ```
#[derive(Clone, Copy)]
pub struct Passcode<'a> {
    username: &'a [u8],
    passcode: &'a [u8],
}

impl<'a> Passcode<'a> {
    /// The credentials to accept.
    pub const fn new(username: &'a [u8], passcode: &'a [u8]) -> Self {
        Passcode { username, passcode }
    }
}

impl core::fmt::Debug for Passcode<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the secret.
        f.debug_struct("Passcode")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl UserIdentityCheck for Passcode<'_> {
    fn check(&self, identity: &UserIdentityRq<'_>) -> bool {
        let user = equal(identity.primary_field, self.username);
        let pass = equal(identity.secondary_field, self.passcode);
        (identity.identity_type == UserIdentityType::UsernamePasscode) & user & pass
    }
}

/// Equality whose running time depends only on the lengths, not on where the bytes differ.
fn equal(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rq<'a>(t: UserIdentityType, user: &'a [u8], pass: &'a [u8]) -> UserIdentityRq<'a> {
        UserIdentityRq {
            identity_type: t,
            positive_response_requested: false,
            primary_field: user,
            secondary_field: pass,
        }
    }

    #[test]
    fn only_the_exact_pair_of_type_2_passes() {
        let c = Passcode::new(b"qa", b"secret");
        assert!(c.check(&rq(UserIdentityType::UsernamePasscode, b"qa", b"secret")));
        for (t, u, p) in [
            (
                UserIdentityType::UsernamePasscode,
                &b"qa"[..],
                &b"secreT"[..],
            ),
            (UserIdentityType::UsernamePasscode, b"qa", b"secret "),
            (UserIdentityType::UsernamePasscode, b"qa", b"secre"),
            (UserIdentityType::UsernamePasscode, b"qb", b"secret"),
            (UserIdentityType::UsernamePasscode, b"", b""),
            (UserIdentityType::Username, b"qa", b"secret"),
            (UserIdentityType::Jwt, b"qa", b"secret"),
        ] {
            assert!(!c.check(&rq(t, u, p)), "{t:?} {u:?} {p:?}");
        }
        let mut shown: heapless::String<128> = heapless::String::new();
        core::fmt::write(&mut shown, format_args!("{c:?}")).unwrap();
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn equal_compares_lengths_and_bytes() {
        assert!(equal(b"", b""));
        assert!(equal(b"abc", b"abc"));
        assert!(!equal(b"abc", b"abd"));
        assert!(!equal(b"abc", b"ab"));
        assert!(!equal(b"ab\0", b"ab"));
    }
}
