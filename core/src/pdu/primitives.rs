//! The two value types UL items are made of: AE titles and UIDs.

use crate::codec::Writer;
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
    pub fn new(title: &str) -> Option<AeTitle> {
        let trimmed = title.trim_matches(' ');
        let mut field = [b' '; 16];
        field
            .get_mut(..trimmed.len())?
            .copy_from_slice(trimmed.as_bytes());
        let ae = AeTitle::from_field(&field);
        ae.is_valid().then_some(ae)
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
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uid {
    bytes: [u8; MAX_UID_LEN],
    len: u8,
}

impl Uid {
    /// Checks a received UID value and returns it without the tolerated trailing NUL.
    pub fn check(value: &[u8]) -> Option<&str> {
        let value = match value.split_last() {
            Some((0, head)) => head,
            _ => value,
        };
        if value.len() > MAX_UID_LEN {
            return None;
        }
        // One pass (every command carries two UIDs): digits and dots, no empty component
        // (no leading, trailing or doubled dot, not empty).
        let mut component_empty = true;
        for &b in value {
            match b {
                b'0'..=b'9' => component_empty = false,
                b'.' if !component_empty => component_empty = true,
                _ => return None,
            }
        }
        if component_empty {
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
        let mut bytes = [0u8; MAX_UID_LEN];
        bytes
            .get_mut(..value.len())?
            .copy_from_slice(value.as_bytes());
        Some(Uid {
            bytes,
            len: value.len() as u8, // invariant: at most 64, checked by `get_mut`
        })
    }

    /// The UID as text (always ASCII digits and dots).
    pub fn as_str(&self) -> &str {
        let b = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
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
