//! The two value types UL items are made of: AE titles and UIDs.

use crate::codec::Writer;
use crate::dataset::Encoding;
use crate::BufferTooSmall;

/// The longest UID the standard allows (PS3.5 §9.1, PS3.8 Annex F).
pub const MAX_UID_LEN: usize = 64;

/// An Application Entity title (PS3.8 Table 9-11): up to 16 characters of ISO 646 G0, with
/// leading and trailing spaces not significant. Stored trimmed; sent padded with spaces.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AeTitle {
    bytes: [u8; 16],
    len: u8,
}

impl AeTitle {
    /// Trims a received 16-byte field. Trailing NULs are trimmed too: some implementations pad
    /// with them, and they are never significant. The result may be empty or hold characters
    /// outside ISO 646 G0; [`AeTitle::is_valid`] says whether it is a usable title.
    pub fn from_field(field: &[u8; 16]) -> AeTitle {
        let is_pad = |b: &u8| *b == b' ' || *b == 0;
        let start = field.iter().position(|b| !is_pad(b)).unwrap_or(16);
        let end = field
            .iter()
            .rposition(|b| !is_pad(b))
            .map_or(start, |i| i + 1);
        let mut bytes = [b' '; 16];
        let src = field.get(start..end).unwrap_or(&[]);
        if let Some(dst) = bytes.get_mut(..src.len()) {
            dst.copy_from_slice(src);
        }
        AeTitle {
            bytes,
            len: src.len() as u8, // invariant: at most 16
        }
    }

    /// A title from configuration: 1 to 16 characters of ISO 646 G0 other than backslash, not
    /// all spaces. Surrounding spaces are trimmed.
    ///
    /// A `const fn`, so that a policy naming its title can be a `static`:
    ///
    /// ```
    /// use dimse_core::pdu::AeTitle;
    /// const TITLE: AeTitle = match AeTitle::new(" DISPLAY ") {
    ///     Some(t) => t,
    ///     None => panic!("not an AE title"), // a compile error, not a run-time panic
    /// };
    /// assert_eq!(TITLE.as_bytes(), b"DISPLAY");
    /// ```
    pub const fn new(title: &str) -> Option<AeTitle> {
        // Slice patterns rather than iterators or indexing: both are unavailable in a const
        // fn, and a pattern cannot go out of bounds.
        let mut rest = title.as_bytes();
        while let [b' ', tail @ ..] = rest {
            rest = tail;
        }
        while let [head @ .., b' '] = rest {
            rest = head;
        }
        // The length is checked before NULs are trimmed, as the 16-byte field holding the
        // space-trimmed title would be by `from_field`.
        if rest.len() > 16 {
            return None;
        }
        while let [b' ' | 0, tail @ ..] = rest {
            rest = tail;
        }
        while let [head @ .., b' ' | 0] = rest {
            rest = head;
        }
        if rest.is_empty() {
            return None;
        }
        let len = rest.len() as u8; // at most 16, checked above
        let mut bytes = [b' '; 16];
        let mut out: &mut [u8] = &mut bytes;
        while let [b, tail @ ..] = rest {
            // The AE value representation (PS3.5 Table 6.2-1), as `is_valid` checks it.
            if *b < 0x20 || *b >= 0x7f || *b == b'\\' {
                return None;
            }
            let [slot, free @ ..] = out else {
                return None;
            };
            *slot = *b;
            out = free;
            rest = tail;
        }
        Some(AeTitle { bytes, len })
    }

    /// Non-empty (not all spaces), and every character printable ISO 646 G0 other than `\`
    /// (the AE value representation, PS3.5 Table 6.2-1).
    pub fn is_valid(&self) -> bool {
        !self.as_bytes().is_empty()
            && self
                .as_bytes()
                .iter()
                .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\')
    }

    /// The trimmed title.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The trimmed title as text, if it is ASCII.
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes())
            .ok()
            .filter(|s| s.is_ascii())
    }

    /// The 16-byte field, space-padded, as sent on the wire.
    pub fn to_field(&self) -> [u8; 16] {
        let mut field = [b' '; 16];
        if let Some(dst) = field.get_mut(..self.as_bytes().len()) {
            dst.copy_from_slice(self.as_bytes());
        }
        field
    }
}

impl core::fmt::Debug for AeTitle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.as_str() {
            Some(s) => write!(f, "{s:?}"),
            None => write!(f, "{:?}", self.as_bytes()),
        }
    }
}

impl core::fmt::Display for AeTitle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &b in self.as_bytes() {
            if (0x20..0x7f).contains(&b) {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for AeTitle {
    fn format(&self, f: defmt::Formatter) {
        defmt::write!(f, "{=[u8]:a}", self.as_bytes())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AeTitle {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str().unwrap_or(""))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AeTitle {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <&str>::deserialize(d)?;
        AeTitle::new(s).ok_or_else(|| serde::de::Error::custom("invalid AE title"))
    }
}

/// A UID: 1 to 64 characters, digits and `.`, no empty component (PS3.5 §9.1).
///
/// On receipt one trailing NUL is tolerated (PS3.8 Annex F says UL items carry no padding, but
/// some implementations add the DIMSE-style NUL). Leading zeros in components are not
/// rejected: they are wrong, but harmless to compare, and peers in the field send them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Uid {
    /// Kept as text: reading it back (a response names the request's UIDs) costs no check.
    text: heapless::String<MAX_UID_LEN, u8>,
}

impl Uid {
    /// Checks a received UID value and returns it without the tolerated trailing NUL.
    #[inline]
    pub fn check(value: &[u8]) -> Option<&str> {
        let value = match value.split_last() {
            Some((0, head)) => head,
            _ => value,
        };
        if let Some(known) = well_known(value) {
            return Some(known);
        }
        if value.len() > MAX_UID_LEN {
            return None;
        }
        if !uid_chars_valid(value) {
            return None;
        }
        core::str::from_utf8(value).ok()
    }

    /// A UID from text or received bytes (see [`Uid::check`]).
    pub fn new(value: &str) -> Option<Uid> {
        Uid::from_bytes(value.as_bytes())
    }

    /// A UID from received bytes (see [`Uid::check`]).
    pub fn from_bytes(value: &[u8]) -> Option<Uid> {
        Uid::from_checked(Uid::check(value)?)
    }

    /// A UID from a value [`Uid::check`] has already accepted: copied, not checked again.
    pub(crate) fn from_checked(value: &str) -> Option<Uid> {
        let mut text = heapless::String::new();
        text.push_str(value).ok()?;
        Some(Uid { text })
    }

    /// [`Uid::from_checked`] into `self`, in place (a `Uid` is 65 bytes: built elsewhere,
    /// it would be copied in); `false`, and `self` empty, if `value` does not fit.
    pub(crate) fn set_checked(&mut self, value: &str) -> bool {
        self.text.clear();
        self.text.push_str(value).is_ok()
    }

    /// An empty UID, to be filled in place ([`Uid::set_checked`]).
    pub(crate) const EMPTY: Uid = Uid {
        text: heapless::String::new(),
    };

    /// The UID as text (always ASCII digits and dots).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl core::fmt::Debug for Uid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::fmt::Display for Uid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Uid {
    fn format(&self, f: defmt::Formatter) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

/// Whether `value` is digits and dots with no empty component (no leading, trailing or
/// doubled dot, not empty). Eight bytes at a time, as one word: every command carries two
/// UIDs and an A-ASSOCIATE-RQ one per syntax, and a byte-by-byte loop was the larger part of
/// decoding them. What passes is ASCII.
/// The UIDs most of an A-ASSOCIATE-RQ's are: the application context name and the transfer
/// syntaxes that pynetdicom and DCMTK propose by default for every context (PS3.5 Annex A).
/// A received value equal to one is returned as this text, without the character and UTF-8
/// checks (a comparison costs a fraction of them; a 32-context proposal has 128 of these).
static WELL_KNOWN: [&str; 5] = [
    Encoding::ImplicitVrLittleEndian.transfer_syntax_uid(),
    Encoding::ExplicitVrLittleEndian.transfer_syntax_uid(),
    // Deflated Explicit VR Little Endian and Explicit VR Big Endian (retired): proposed,
    // never accepted (the core encodes neither).
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
    super::APPLICATION_CONTEXT_NAME,
];

#[inline]
fn well_known(value: &[u8]) -> Option<&'static str> {
    WELL_KNOWN.into_iter().find(|u| u.as_bytes() == value)
}

fn uid_chars_valid(value: &[u8]) -> bool {
    let Some(&last) = value.last() else {
        return false;
    };
    if last == b'.' {
        return false;
    }
    // The first byte follows a dot: a leading dot is a doubled one.
    let mut before = FOLLOWS_DOT;
    let mut chunks = value.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            return false;
        };
        match uid_word(u64::from_le_bytes(word), before) {
            Some(dots) => before = dots,
            None => return false,
        }
    }
    let rest = chunks.remainder();
    if rest.is_empty() {
        return true;
    }
    // The tail: the last eight bytes again when there are as many (checking a byte twice
    // changes nothing, and the overlap covers the pair across the boundary), else padded
    // with digits above.
    let (word, before) = match value
        .get(value.len().saturating_sub(8)..)
        .map(<[u8; 8]>::try_from)
    {
        Some(Ok(word)) => (u64::from_le_bytes(word), 0),
        _ => (
            rest.iter()
                .rev()
                .fold(u64::from_le_bytes([b'0'; 8]), |w, &b| {
                    (w << 8) | u64::from(b)
                }),
            before,
        ),
    };
    uid_word(word, before).is_some()
}

/// `before` for a word whose first byte follows a dot (see [`uid_word`]).
const FOLLOWS_DOT: u64 = 1 << 63;

/// One word of [`uid_chars_valid`]: `None` if a byte is neither digit nor dot or two dots are
/// neighbours, also across from the previous word when `before` (what this returned for it)
/// has bit 63 set; else bit 7 of each byte that is a dot.
#[inline(always)]
fn uid_word(x: u64, before: u64) -> Option<u64> {
    const fn repeat(b: u8) -> u64 {
        u64::from_ne_bytes([b; 8])
    }
    // A digit is 0..=9 once '0' is taken off. Adding 0x76 to the low seven bits sets bit 7
    // from 10 up (no carry crosses a byte); a byte that had bit 7 set is no digit either.
    let z = x ^ repeat(b'0');
    let other = (((z & repeat(0x7F)) + repeat(0x76)) | z) & repeat(0x80);
    // Every byte that is not a digit must be a dot: under a mask of those bytes, x is dots.
    let mask = (other >> 7) * 0xFF;
    // Byte i + 1 sits 8 bits above byte i (little-endian): `other >> 8` pairs neighbours, and
    // the previous word's last byte lands on this one's first.
    let bad = ((x ^ repeat(b'.')) & mask) | (other & ((other >> 8) | (before >> 56)));
    (bad == 0).then_some(other)
}

/// Writes an item or sub-item whose body is one UID string: type, reserved, u16 length, UID.
pub(crate) fn write_uid_item(
    w: &mut Writer<'_>,
    item_type: u8,
    uid: &str,
) -> Result<(), BufferTooSmall> {
    w.u8(item_type)?;
    w.u8(0)?;
    w.u16_be(u16::try_from(uid.len()).map_err(|_| BufferTooSmall)?)?;
    w.put(uid.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_uids_are_ones_the_check_accepts() {
        // The shortcut never lets through what the full check refuses, and returns the same
        // text (with the tolerated trailing NUL too).
        for uid in WELL_KNOWN {
            assert!(
                uid.len() <= MAX_UID_LEN && uid_chars_valid(uid.as_bytes()),
                "{uid}"
            );
            assert_eq!(Uid::check(uid.as_bytes()), Some(uid));
            let mut padded = heapless::Vec::<u8, 66>::from_slice(uid.as_bytes()).unwrap();
            padded.push(0).unwrap();
            assert_eq!(Uid::check(&padded), Some(uid));
        }
        // A near miss takes the full check.
        assert_eq!(
            Uid::check(b"1.2.840.10008.1.2.3"),
            Some("1.2.840.10008.1.2.3")
        );
        assert_eq!(Uid::check(b"1.2.840.10008.1.2."), None);
    }
}
