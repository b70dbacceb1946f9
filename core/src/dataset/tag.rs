//! Attribute tags (PS3.5 §7.1.1).

use core::fmt;

/// A data element tag: group number in the high 16 bits, element number in the low 16 bits.
///
/// Kept as one `u32` so that the numeric order of tags is the order PS3.5 §7.1 requires
/// within a data set, and so that comparisons and dictionary searches are single integer ops.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tag(pub u32);

impl Tag {
    /// Item (FFFE,E000), which opens each item of a sequence (PS3.5 §7.5).
    pub const ITEM: Tag = Tag::new(0xFFFE, 0xE000);
    /// Item Delimitation Item (FFFE,E00D), which closes an undefined-length item.
    pub const ITEM_DELIMITATION: Tag = Tag::new(0xFFFE, 0xE00D);
    /// Sequence Delimitation Item (FFFE,E0DD), which closes an undefined-length sequence.
    pub const SEQUENCE_DELIMITATION: Tag = Tag::new(0xFFFE, 0xE0DD);

    /// The tag `(group,element)`.
    pub const fn new(group: u16, element: u16) -> Tag {
        Tag(((group as u32) << 16) | element as u32)
    }

    /// The group number.
    pub const fn group(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The element number.
    pub const fn element(self) -> u16 {
        self.0 as u16
    }

    /// Whether this tag is private (odd group number, PS3.5 §7.8).
    pub const fn is_private(self) -> bool {
        self.group() & 1 == 1
    }

    /// The wire form used by every Little Endian transfer syntax and by AT values:
    /// group (u16 LE) then element (u16 LE).
    pub const fn to_le_bytes(self) -> [u8; 4] {
        let [g0, g1] = self.group().to_le_bytes();
        let [e0, e1] = self.element().to_le_bytes();
        [g0, g1, e0, e1]
    }

    /// The inverse of [`Tag::to_le_bytes`].
    pub const fn from_le_bytes([g0, g1, e0, e1]: [u8; 4]) -> Tag {
        Tag::new(u16::from_le_bytes([g0, g1]), u16::from_le_bytes([e0, e1]))
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:04X},{:04X})", self.group(), self.element())
    }
}

// Debug prints the same as Display: a `Tag(524400)` in a test failure helps nobody.
impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Tag {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "({=u16:04X},{=u16:04X})", self.group(), self.element())
    }
}

impl From<(u16, u16)> for Tag {
    fn from((group, element): (u16, u16)) -> Tag {
        Tag::new(group, element)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_order() {
        let t = Tag::new(0x0028, 0x7023);
        assert_eq!(t.group(), 0x0028);
        assert_eq!(t.element(), 0x7023);
        assert!(Tag::new(0x0008, 0xFFFF) < Tag::new(0x0009, 0x0000));
        assert!(!t.is_private());
        assert!(Tag::new(0x0009, 0x0010).is_private());
        assert_eq!(Tag::from((0x0028, 0x7023)), t);
    }

    #[test]
    fn display_is_uppercase_hex() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{}", Tag::new(0x0028, 0x700a)), "(0028,700A)");
        assert_eq!(format!("{:?}", Tag::ITEM), "(FFFE,E000)");
    }

    #[test]
    fn le_bytes() {
        let t = Tag::new(0x0008, 0x0070);
        assert_eq!(t.to_le_bytes(), [0x08, 0x00, 0x70, 0x00]);
        assert_eq!(Tag::from_le_bytes(t.to_le_bytes()), t);
    }
}
