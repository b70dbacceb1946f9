//! The data set as read (a tree borrowing the input), and what both renderings share:
//! keywords, character sets and the splitting of string values.

use dicom_core::dictionary::DataDictionary;
use dicom_dictionary_std::StandardDataDictionary;
use dimse_core::dataset::{dictionary, Encoding, ReadError, ReadEvent, Reader, Tag, Vr};

use super::PrintError;

/// One element of a data set or item.
#[derive(Debug)]
pub(super) enum Node<'a> {
    /// A non-sequence element and its raw value (padding included).
    Element { tag: Tag, vr: Vr, value: &'a [u8] },
    /// A sequence (SQ, or an undefined-length UN) and its items.
    Sequence {
        tag: Tag,
        vr: Vr,
        items: Vec<Vec<Node<'a>>>,
    },
}

/// Reads the whole data set. The reader bounds the nesting ([`dimse_core::dataset::MAX_DEPTH`]),
/// and so the recursion here.
pub(super) fn parse(data: &[u8], encoding: Encoding) -> Result<Vec<Node<'_>>, PrintError> {
    dataset(&mut Reader::new(data, encoding), false)
}

fn malformed(r: &Reader<'_>, error: ReadError) -> PrintError {
    PrintError::Malformed {
        error,
        offset: r.offset(),
    }
}

/// The elements up to the end of the input (top level) or to the end of the item.
fn dataset<'a>(r: &mut Reader<'a>, in_item: bool) -> Result<Vec<Node<'a>>, PrintError> {
    let mut nodes = Vec::new();
    loop {
        match r.next() {
            None if !in_item => return Ok(nodes),
            // The reader reports an unclosed item as Truncated; this is belt and braces.
            None => return Err(malformed(r, ReadError::Truncated)),
            Some(Err(e)) => return Err(malformed(r, e)),
            Some(Ok(ReadEvent::Element { tag, vr, value, .. })) => {
                nodes.push(Node::Element { tag, vr, value });
            }
            Some(Ok(ReadEvent::SequenceStart { tag, vr, .. })) => {
                let items = sequence(r)?;
                nodes.push(Node::Sequence { tag, vr, items });
            }
            Some(Ok(ReadEvent::ItemEnd { .. })) if in_item => return Ok(nodes),
            // The reader never yields these here; refuse rather than guess.
            Some(Ok(_)) => return Err(malformed(r, ReadError::UnexpectedDelimiter)),
        }
    }
}

/// The items of a sequence whose start has just been read, up to its end.
fn sequence<'a>(r: &mut Reader<'a>) -> Result<Vec<Vec<Node<'a>>>, PrintError> {
    let mut items = Vec::new();
    loop {
        match r.next() {
            None => return Err(malformed(r, ReadError::Truncated)),
            Some(Err(e)) => return Err(malformed(r, e)),
            Some(Ok(ReadEvent::ItemStart { .. })) => items.push(dataset(r, true)?),
            Some(Ok(ReadEvent::SequenceEnd { .. })) => return Ok(items),
            Some(Ok(_)) => return Err(malformed(r, ReadError::ExpectedItem)),
        }
    }
}

/// The keyword of `tag`: `dicom-dictionary-std` first, then the core's table; `Private` or
/// `PrivateCreator` for private tags, `Unknown` for the rest.
pub(super) fn keyword(tag: Tag) -> &'static str {
    if tag.is_private() {
        // Checked first: the standard dictionary's repeating-group rule would otherwise
        // name (6001,3000) "OverlayData".
        return if (0x0010..=0x00FF).contains(&tag.element()) {
            "PrivateCreator"
        } else {
            "Private"
        };
    }
    let std_tag = dicom_core::Tag(tag.group(), tag.element());
    if let Some(entry) = StandardDataDictionary.by_tag(std_tag) {
        return entry.alias;
    }
    dictionary::keyword(tag).unwrap_or("Unknown")
}

/// The character repertoires decoded here (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Charset {
    /// ASCII, UTF-8, and whatever else (lossily).
    #[default]
    Utf8,
    /// ISO 8859-1.
    Latin1,
}

const SPECIFIC_CHARACTER_SET: Tag = Tag::new(0x0008, 0x0005);

impl Charset {
    /// The character set of a data set or item: its own Specific Character Set, else
    /// `inherited`.
    pub(super) fn of(nodes: &[Node<'_>], inherited: Charset) -> Charset {
        let value = nodes.iter().find_map(|n| match n {
            Node::Element { tag, value, .. } if *tag == SPECIFIC_CHARACTER_SET => Some(*value),
            _ => None,
        });
        let Some(value) = value else {
            return inherited;
        };
        let latin1 = components(Vr::CS, value, Charset::Utf8)
            .iter()
            .any(|v| matches!(v.as_deref(), Some("ISO_IR 100" | "ISO 2022 IR 100")));
        if latin1 {
            Charset::Latin1
        } else {
            Charset::Utf8
        }
    }
}

/// The bytes of a string value as text.
fn decode(bytes: &[u8], vr: Vr, charset: Charset) -> String {
    let extended = matches!(
        vr,
        Vr::SH | Vr::LO | Vr::ST | Vr::LT | Vr::PN | Vr::UC | Vr::UT
    );
    if charset == Charset::Latin1 && extended {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Whether leading spaces are padding rather than content (PS3.5 Table 6.2-1): everywhere
/// but the texts (LT, ST, UT, UC), PN and UR.
fn leading_spaces_insignificant(vr: Vr) -> bool {
    !matches!(vr, Vr::LT | Vr::ST | Vr::UT | Vr::UC | Vr::PN | Vr::UR)
}

/// The values of a string element, each without its padding; `None` for an empty one among
/// several. An empty value (or one of padding only) has none. LT, ST, UT and UR have one
/// value whatever backslashes they hold.
pub(super) fn components(vr: Vr, value: &[u8], charset: Charset) -> Vec<Option<String>> {
    let text = decode(value, vr, charset);
    let trim = |s: &str| -> String {
        let s = s.trim_end_matches([' ', '\0']);
        if leading_spaces_insignificant(vr) {
            s.trim_start_matches(' ').to_owned()
        } else {
            s.to_owned()
        }
    };
    if trim(&text).is_empty() {
        return Vec::new();
    }
    if !vr.is_multi_valued_string() {
        return vec![Some(trim(&text))];
    }
    text.split('\\')
        .map(|s| Some(trim(s)).filter(|s| !s.is_empty()))
        .collect()
}

/// The 64-bit values of SV or UV, little endian; a trailing partial value is ignored.
pub(super) fn u64s(value: &[u8]) -> impl Iterator<Item = u64> + '_ {
    value
        .chunks_exact(8)
        .filter_map(|c| <[u8; 8]>::try_from(c).ok())
        .map(u64::from_le_bytes)
}

/// SV values.
pub(super) fn i64s(value: &[u8]) -> impl Iterator<Item = i64> + '_ {
    value
        .chunks_exact(8)
        .filter_map(|c| <[u8; 8]>::try_from(c).ok())
        .map(i64::from_le_bytes)
}

/// Whether a VR's value is bytes to show or encode as such rather than to decode.
pub(super) fn is_binary(vr: Vr) -> bool {
    matches!(
        vr,
        Vr::OB | Vr::OD | Vr::OF | Vr::OL | Vr::OV | Vr::OW | Vr::UN | Vr::SQ
    )
}
