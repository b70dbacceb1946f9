//! Value Representations (PS3.5 §6.2) and the two transfer syntaxes the core speaks (PS3.5 §10).

use core::fmt;

/// A Value Representation (PS3.5 Table 6.2-1): how an element's value is encoded.
///
/// The discriminant is one byte, so a table of VRs (the dictionary) costs one byte per entry.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum Vr {
    /// Application Entity
    AE,
    /// Age String
    AS,
    /// Attribute Tag
    AT,
    /// Code String
    CS,
    /// Date
    DA,
    /// Decimal String
    DS,
    /// Date Time
    DT,
    /// Floating Point Double
    FD,
    /// Floating Point Single
    FL,
    /// Integer String
    IS,
    /// Long String
    LO,
    /// Long Text
    LT,
    /// Other Byte
    OB,
    /// Other Double
    OD,
    /// Other Float
    OF,
    /// Other Long
    OL,
    /// Other 64-bit Very Long
    OV,
    /// Other Word
    OW,
    /// Person Name
    PN,
    /// Short String
    SH,
    /// Signed Long
    SL,
    /// Sequence of Items
    SQ,
    /// Signed Short
    SS,
    /// Short Text
    ST,
    /// Signed 64-bit Very Long
    SV,
    /// Time
    TM,
    /// Unlimited Characters
    UC,
    /// Unique Identifier (UID)
    UI,
    /// Unsigned Long
    UL,
    /// Unknown
    UN,
    /// Universal Resource Identifier or Locator
    UR,
    /// Unsigned Short
    US,
    /// Unlimited Text
    UT,
    /// Unsigned 64-bit Very Long
    UV,
}

/// A VR's properties packed in one word ([`Vr::form`]): its two characters as an Explicit VR
/// header holds them (bits 0 to 15), its padding byte (16 to 23), and flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Form(u32);

impl Form {
    const LONG_LENGTH: u32 = 1 << 24;
    const STRING: u32 = 1 << 25;

    const fn of(vr: Vr) -> Form {
        let mut bits = u16::from_le_bytes(*vr.as_bytes()) as u32 | (vr.padding() as u32) << 16;
        if vr.has_long_length() {
            bits |= Form::LONG_LENGTH;
        }
        if vr.is_string() {
            bits |= Form::STRING;
        }
        Form(bits)
    }

    /// The two characters as one little-endian word.
    #[inline(always)]
    pub(crate) const fn wire(self) -> u16 {
        self.0 as u16
    }

    /// [`Vr::padding`].
    #[inline(always)]
    pub(crate) const fn padding(self) -> u8 {
        (self.0 >> 16) as u8
    }

    /// [`Vr::has_long_length`].
    #[inline(always)]
    pub(crate) const fn has_long_length(self) -> bool {
        self.0 & Form::LONG_LENGTH != 0
    }

    /// [`Vr::is_string`].
    #[inline(always)]
    pub(crate) const fn is_string(self) -> bool {
        self.0 & Form::STRING != 0
    }
}

impl Vr {
    /// Every VR, in alphabetical (and discriminant) order.
    pub const ALL: [Vr; 34] = {
        use Vr::*;
        [
            AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ,
            SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV,
        ]
    };

    /// The VR named by two ASCII characters, as they appear in Explicit VR encodings.
    #[inline(always)] // Read per element of every encoded response (`Writer::encoded`).
    pub const fn from_bytes(bytes: &[u8; 2]) -> Option<Vr> {
        use Vr::*;
        Some(match bytes {
            b"AE" => AE,
            b"AS" => AS,
            b"AT" => AT,
            b"CS" => CS,
            b"DA" => DA,
            b"DS" => DS,
            b"DT" => DT,
            b"FD" => FD,
            b"FL" => FL,
            b"IS" => IS,
            b"LO" => LO,
            b"LT" => LT,
            b"OB" => OB,
            b"OD" => OD,
            b"OF" => OF,
            b"OL" => OL,
            b"OV" => OV,
            b"OW" => OW,
            b"PN" => PN,
            b"SH" => SH,
            b"SL" => SL,
            b"SQ" => SQ,
            b"SS" => SS,
            b"ST" => ST,
            b"SV" => SV,
            b"TM" => TM,
            b"UC" => UC,
            b"UI" => UI,
            b"UL" => UL,
            b"UN" => UN,
            b"UR" => UR,
            b"US" => US,
            b"UT" => UT,
            b"UV" => UV,
            _ => return None,
        })
    }

    /// The two ASCII characters of this VR.
    pub const fn as_bytes(self) -> &'static [u8; 2] {
        use Vr::*;
        match self {
            AE => b"AE",
            AS => b"AS",
            AT => b"AT",
            CS => b"CS",
            DA => b"DA",
            DS => b"DS",
            DT => b"DT",
            FD => b"FD",
            FL => b"FL",
            IS => b"IS",
            LO => b"LO",
            LT => b"LT",
            OB => b"OB",
            OD => b"OD",
            OF => b"OF",
            OL => b"OL",
            OV => b"OV",
            OW => b"OW",
            PN => b"PN",
            SH => b"SH",
            SL => b"SL",
            SQ => b"SQ",
            SS => b"SS",
            ST => b"ST",
            SV => b"SV",
            TM => b"TM",
            UC => b"UC",
            UI => b"UI",
            UL => b"UL",
            UN => b"UN",
            UR => b"UR",
            US => b"US",
            UT => b"UT",
            UV => b"UV",
        }
    }

    /// What the writer needs of this VR for each element, from one table entry: a lookup
    /// where the methods above are a test or a branch each.
    #[inline(always)] // Per element written.
    pub(crate) fn form(self) -> Form {
        // Evaluated by the compiler: an index out of bounds fails the build, never a run.
        #[allow(clippy::indexing_slicing)]
        const FORMS: [Form; Vr::ALL.len()] = {
            let mut forms = [Form(0); Vr::ALL.len()];
            let mut i = 0;
            while i < forms.len() {
                forms[i] = Form::of(Vr::ALL[i]);
                i += 1;
            }
            forms
        };
        // `ALL` is in discriminant order (checked in the tests), so this is the VR's entry.
        match FORMS.get(self as usize) {
            Some(&form) => form,
            None => Form(0),
        }
    }

    /// The VR's name as a string (`"CS"`).
    pub const fn as_str(self) -> &'static str {
        match core::str::from_utf8(self.as_bytes()) {
            Ok(s) => s,
            // Unreachable: every name above is ASCII. A constant keeps this panic-free.
            Err(_) => "??",
        }
    }

    /// Whether Explicit VR encodings give this VR two reserved bytes and a 32-bit length
    /// (PS3.5 §7.1.2) rather than a 16-bit length.
    pub const fn has_long_length(self) -> bool {
        use Vr::*;
        matches!(
            self,
            OB | OD | OF | OL | OV | OW | SQ | SV | UC | UN | UR | UT | UV
        )
    }

    /// The largest value length this VR's length field can carry in Explicit VR: 0xFFFF for
    /// the 16-bit form, 0xFFFF_FFFE for the 32-bit form (0xFFFF_FFFF means "undefined").
    pub const fn max_length(self) -> u32 {
        if self.has_long_length() {
            0xFFFF_FFFE
        } else {
            0xFFFF
        }
    }

    /// Whether the value is character data (PS3.5 §6.1.2): multiple values are separated by
    /// a backslash and the value is padded with [`Vr::padding`].
    pub const fn is_string(self) -> bool {
        use Vr::*;
        matches!(
            self,
            AE | AS | CS | DA | DS | DT | IS | LO | LT | PN | SH | ST | TM | UC | UI | UR | UT
        )
    }

    /// Whether a string VR may hold several backslash-separated values. LT, ST, UT and UR
    /// always have one value, so a backslash in them is an ordinary character.
    pub const fn is_multi_valued_string(self) -> bool {
        use Vr::*;
        self.is_string() && !matches!(self, LT | ST | UT | UR)
    }

    /// The byte that pads a value to even length: NUL for UI and the byte VRs (OB, UN),
    /// a space for character data (PS3.5 §6.2). Other binary VRs always have even sizes;
    /// they get NUL so the answer is total.
    pub const fn padding(self) -> u8 {
        if self.is_string() && !matches!(self, Vr::UI) {
            b' '
        } else {
            0
        }
    }

    /// The size of one value of a fixed-size binary VR, or `None` for the others.
    pub const fn value_size(self) -> Option<usize> {
        use Vr::*;
        match self {
            SS | US | OW => Some(2),
            AT | FL | OF | OL | SL | UL => Some(4),
            FD | OD | OV | SV | UV => Some(8),
            _ => None,
        }
    }
}

impl fmt::Display for Vr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transfer syntaxes a data set can be encoded in here (PS3.5 §10, Annex A).
///
/// Both are little endian; they differ in whether each element carries its VR.
/// Command sets are always [`Encoding::ImplicitVrLittleEndian`] (PS3.7 §6.3).
///
/// This is also what an acceptor offers
/// ([`AcceptorPolicy::transfer_syntaxes`](crate::assoc::AcceptorPolicy::transfer_syntaxes)):
/// a transfer syntax is accepted only if its data sets can be written, so a policy cannot
/// name one the core would then answer without a data set. Each UID is written once, in
/// [`Encoding::transfer_syntax_uid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Encoding {
    /// Implicit VR Little Endian, `1.2.840.10008.1.2`: the default transfer syntax; VRs come
    /// from the data dictionary.
    ImplicitVrLittleEndian,
    /// Explicit VR Little Endian, `1.2.840.10008.1.2.1`.
    ExplicitVrLittleEndian,
}

impl Encoding {
    /// Every encoding, Implicit VR Little Endian first.
    pub const ALL: [Encoding; 2] = [
        Encoding::ImplicitVrLittleEndian,
        Encoding::ExplicitVrLittleEndian,
    ];

    /// The encoding of a transfer syntax UID, or `None` for one the core does not speak
    /// (deflated, big endian, compressed pixel data). One trailing NUL, the UID padding of
    /// PS3.5 §9.1, is tolerated.
    pub fn from_transfer_syntax(uid: &str) -> Option<Encoding> {
        let uid = uid.strip_suffix('\0').unwrap_or(uid);
        Encoding::ALL
            .into_iter()
            .find(|e| e.transfer_syntax_uid() == uid)
    }

    /// The transfer syntax UID, unpadded: the one place each UID is written.
    pub const fn transfer_syntax_uid(self) -> &'static str {
        match self {
            Encoding::ImplicitVrLittleEndian => "1.2.840.10008.1.2",
            Encoding::ExplicitVrLittleEndian => "1.2.840.10008.1.2.1",
        }
    }

    /// Whether elements carry their VR.
    pub const fn is_explicit(self) -> bool {
        matches!(self, Encoding::ExplicitVrLittleEndian)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for vr in Vr::ALL {
            assert_eq!(Vr::from_bytes(vr.as_bytes()), Some(vr));
            assert_eq!(vr.as_str().as_bytes(), vr.as_bytes());
            let form = vr.form();
            assert_eq!(form.wire().to_le_bytes(), *vr.as_bytes());
            assert_eq!(form.padding(), vr.padding());
            assert_eq!(form.has_long_length(), vr.has_long_length());
            assert_eq!(form.is_string(), vr.is_string());
        }
        assert_eq!(Vr::from_bytes(b"XX"), None);
        assert_eq!(Vr::from_bytes(b"cs"), None);
        assert!(Vr::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(core::mem::size_of::<Vr>(), 1);
    }

    #[test]
    fn length_forms() {
        let long = [
            Vr::OB,
            Vr::OD,
            Vr::OF,
            Vr::OL,
            Vr::OV,
            Vr::OW,
            Vr::SQ,
            Vr::SV,
            Vr::UC,
            Vr::UN,
            Vr::UR,
            Vr::UT,
            Vr::UV,
        ];
        for vr in Vr::ALL {
            assert_eq!(vr.has_long_length(), long.contains(&vr), "{vr}");
        }
        assert_eq!(Vr::US.max_length(), 0xFFFF);
        assert_eq!(Vr::UT.max_length(), 0xFFFF_FFFE);
    }

    #[test]
    fn padding() {
        assert_eq!(Vr::UI.padding(), 0);
        assert_eq!(Vr::OB.padding(), 0);
        assert_eq!(Vr::UN.padding(), 0);
        for vr in [Vr::AE, Vr::CS, Vr::LO, Vr::PN, Vr::UT, Vr::UR, Vr::DS] {
            assert_eq!(vr.padding(), b' ');
        }
        assert!(Vr::CS.is_multi_valued_string());
        assert!(!Vr::LT.is_multi_valued_string());
        assert!(!Vr::US.is_string());
        assert_eq!(Vr::FD.value_size(), Some(8));
        assert_eq!(Vr::OB.value_size(), None);
    }

    #[test]
    fn transfer_syntaxes() {
        use Encoding::*;
        assert_eq!(
            Encoding::from_transfer_syntax("1.2.840.10008.1.2"),
            Some(ImplicitVrLittleEndian)
        );
        assert_eq!(
            Encoding::from_transfer_syntax("1.2.840.10008.1.2.1\0"),
            Some(ExplicitVrLittleEndian)
        );
        assert_eq!(
            Encoding::from_transfer_syntax("1.2.840.10008.1.2.1\0\0"),
            None
        );
        assert_eq!(Encoding::from_transfer_syntax("1.2.840.10008.1.2.2"), None);
        assert_eq!(
            Encoding::from_transfer_syntax("1.2.840.10008.1.2.1.99"),
            None
        );
        for e in [ImplicitVrLittleEndian, ExplicitVrLittleEndian] {
            assert_eq!(
                Encoding::from_transfer_syntax(e.transfer_syntax_uid()),
                Some(e)
            );
        }
        assert!(ExplicitVrLittleEndian.is_explicit());
    }
}
