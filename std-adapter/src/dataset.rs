//! A received data set to read: its elements, keywords and typed values.
//!
//! An N-GET response carries its data set as bytes in the negotiated transfer syntax. The
//! core walks such bytes with its streaming [`Reader`]; a [`DataSetView`] is that walk
//! gathered once into a small tree that borrows the bytes, so that a program can look an
//! attribute up, iterate, and decode values without knowing the encoding:
//!
//! * [`DataSetView::parse`] reads the whole data set, so a malformed one is a
//!   [`MalformedDataSet`] before any element is seen;
//! * each [`Element`] has its [`Tag`], [`keyword`](Element::keyword), [`Vr`] and
//!   [`value`](Element::value): strings split on `\` and without padding, the binary numbers
//!   of US, UL, SS, SL, UV, SV, FL, FD and AT, a sequence's items as nested views, and bytes
//!   for the rest;
//! * strings are decoded in the data set's Specific Character Set (0008,0005) for the two
//!   repertoires a display system plausibly uses: the default and `ISO_IR 192` (UTF-8), and
//!   `ISO_IR 100` (Latin-1), which applies to SH, LO, ST, LT, PN, UC and UT (PS3.5
//!   §6.1.2.3). An item's own Specific Character Set applies to that item. Any other
//!   repertoire is read as UTF-8, with U+FFFD for bytes that are not.
//!
//! [`print`](crate::print) renders a view as text or DICOM JSON.
//!
//! ```
//! use dimse_core::dataset::{Encoding, Tag, Writer};
//! use dimse_tokio::dataset::{DataSetView, ElementValue};
//!
//! // A data set as the core's writer encodes it (and a peer would send it).
//! let mut buf = [0u8; 64];
//! let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
//! w.string(Tag::new(0x0008, 0x0070), dimse_core::dataset::Vr::LO, "ACME")?;
//! w.u16s(Tag::new(0x0028, 0x7001), &[2])?;
//! let n = w.written();
//!
//! let view = DataSetView::parse(&buf[..n], Encoding::ExplicitVrLittleEndian)?;
//! let manufacturer = view.get(Tag::new(0x0008, 0x0070)).unwrap();
//! assert_eq!(manufacturer.keyword(), "Manufacturer");
//! assert_eq!(manufacturer.value(), ElementValue::Strings(vec!["ACME".into()]));
//! for element in &view {
//!     println!("{} {} {}", element.tag(), element.vr(), element.keyword());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Reader`]: dimse_core::dataset::Reader

use std::fmt;

use dicom_core::dictionary::DataDictionary;
use dicom_dictionary_std::StandardDataDictionary;
use dimse_core::dataset::{dictionary, value, Encoding, ReadError, ReadEvent, Reader, Tag, Vr};

/// A received data set, read whole: its elements in the order they came (see the
/// [module documentation](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct DataSetView<'a> {
    elements: Vec<Element<'a>>,
}

/// One element of a [`DataSetView`].
#[derive(Debug, Clone, PartialEq)]
pub struct Element<'a> {
    tag: Tag,
    vr: Vr,
    content: Content<'a>,
    /// The repertoire of the data set or item holding it, for its string values.
    charset: Charset,
}

#[derive(Debug, Clone, PartialEq)]
enum Content<'a> {
    /// The raw value, padding included.
    Bytes(&'a [u8]),
    /// A sequence's items.
    Items(Vec<DataSetView<'a>>),
}

/// The value of an [`Element`], decoded by its VR.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ElementValue<'v> {
    /// A string VR (AE … UT): the values split on `\` (except LT, ST, UT and UR, which have
    /// one), each without its padding; an empty value among several is `""`. An empty
    /// element (or one of padding only) has no values.
    Strings(Vec<String>),
    /// US values.
    U16(Vec<u16>),
    /// UL values.
    U32(Vec<u32>),
    /// UV values.
    U64(Vec<u64>),
    /// SS values.
    I16(Vec<i16>),
    /// SL values.
    I32(Vec<i32>),
    /// SV values.
    I64(Vec<i64>),
    /// FL values.
    F32(Vec<f32>),
    /// FD values.
    F64(Vec<f64>),
    /// AT values.
    Tags(Vec<Tag>),
    /// A sequence (SQ, or a UN of undefined length, which PS3.5 §6.2.2 reads as one): its
    /// items, each a data set.
    Items(&'v [DataSetView<'v>]),
    /// OB, OD, OF, OL, OV, OW and UN (of defined length): the raw value.
    Bytes(&'v [u8]),
}

/// Why a data set could not be read: the core's [`Reader`]
/// stopped with `error` at byte `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedDataSet {
    /// What the reader found.
    pub error: ReadError,
    /// Where, in bytes from the start of the data set.
    pub offset: usize,
}

impl fmt::Display for MalformedDataSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.error {
            ReadError::Truncated => "the data ends inside an element, item or sequence",
            ReadError::BadLength => "a length runs past its enclosing item or sequence",
            ReadError::TooDeep => "sequences are nested too deeply",
            ReadError::UnexpectedDelimiter => "a delimiter where none can be",
            ReadError::ExpectedItem => "something other than an item inside a sequence",
            ReadError::UnknownVr => "an unknown VR",
        };
        write!(f, "malformed data set at byte {}: {what}", self.offset)
    }
}

impl std::error::Error for MalformedDataSet {}

impl<'a> DataSetView<'a> {
    /// Reads the data set `data`, encoded in `encoding`. Empty input is an empty data set.
    pub fn parse(data: &'a [u8], encoding: Encoding) -> Result<Self, MalformedDataSet> {
        let mut view = dataset(&mut Reader::new(data, encoding), false)?;
        view.resolve_charset(Charset::default());
        Ok(view)
    }

    /// The elements, in the order they came.
    pub fn elements(&self) -> &[Element<'a>] {
        &self.elements
    }

    /// An iterator over the elements.
    pub fn iter(&self) -> std::slice::Iter<'_, Element<'a>> {
        self.elements.iter()
    }

    /// How many elements there are (not counting those inside sequences).
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The element with `tag` at this level (not inside sequences), if any; the first if a
    /// malformed data set has it twice.
    pub fn get(&self, tag: Tag) -> Option<&Element<'a>> {
        self.elements.iter().find(|e| e.tag == tag)
    }

    /// Sets each element's repertoire, top down: this level's Specific Character Set, else
    /// the enclosing one's. Done after reading because nothing makes (0008,0005) come before
    /// a sequence whose items inherit it.
    fn resolve_charset(&mut self, inherited: Charset) {
        let charset = self.charset(inherited);
        for e in &mut self.elements {
            e.charset = charset;
            if let Content::Items(items) = &mut e.content {
                for item in items {
                    item.resolve_charset(charset);
                }
            }
        }
    }

    /// This level's own Specific Character Set, else `inherited`.
    fn charset(&self, inherited: Charset) -> Charset {
        let value = self.elements.iter().find_map(|e| match e.content {
            Content::Bytes(v) if e.tag == SPECIFIC_CHARACTER_SET => Some(v),
            _ => None,
        });
        let Some(value) = value else {
            return inherited;
        };
        let latin1 = components(Vr::CS, value, Charset::Utf8)
            .iter()
            .any(|v| matches!(v.as_str(), "ISO_IR 100" | "ISO 2022 IR 100"));
        if latin1 {
            Charset::Latin1
        } else {
            Charset::Utf8
        }
    }
}

impl<'v, 'a> IntoIterator for &'v DataSetView<'a> {
    type Item = &'v Element<'a>;
    type IntoIter = std::slice::Iter<'v, Element<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.elements.iter()
    }
}

impl<'a> Element<'a> {
    /// The tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The VR: from the wire in Explicit VR, from the dictionary in Implicit VR (UN for a
    /// tag it does not know).
    pub fn vr(&self) -> Vr {
        self.vr
    }

    /// The keyword of the tag (PS3.6), `Private` or `PrivateCreator` for a private one,
    /// `Unknown` for one no dictionary knows.
    pub fn keyword(&self) -> &'static str {
        keyword(self.tag)
    }

    /// The raw value, padding included; `None` for a sequence.
    pub fn raw(&self) -> Option<&'a [u8]> {
        match self.content {
            Content::Bytes(v) => Some(v),
            Content::Items(_) => None,
        }
    }

    /// A sequence's items; `None` for any other element.
    pub fn items(&self) -> Option<&[DataSetView<'a>]> {
        match &self.content {
            Content::Items(items) => Some(items),
            Content::Bytes(_) => None,
        }
    }

    /// The value, decoded by the VR. A trailing partial number (a value whose length is not
    /// a multiple of the VR's size) is left out.
    pub fn value(&self) -> ElementValue<'_> {
        let v = match &self.content {
            Content::Items(items) => return ElementValue::Items(items),
            Content::Bytes(v) => *v,
        };
        if self.vr.is_string() {
            return ElementValue::Strings(components(self.vr, v, self.charset));
        }
        match self.vr {
            Vr::US => ElementValue::U16(value::u16s(v).collect()),
            Vr::UL => ElementValue::U32(value::u32s(v).collect()),
            Vr::UV => ElementValue::U64(numbers(v, u64::from_le_bytes).collect()),
            Vr::SS => ElementValue::I16(value::i16s(v).collect()),
            Vr::SL => ElementValue::I32(value::i32s(v).collect()),
            Vr::SV => ElementValue::I64(numbers(v, i64::from_le_bytes).collect()),
            Vr::FL => ElementValue::F32(value::f32s(v).collect()),
            Vr::FD => ElementValue::F64(value::f64s(v).collect()),
            Vr::AT => ElementValue::Tags(value::tags(v).collect()),
            _ => ElementValue::Bytes(v),
        }
    }
}

/// The elements up to the end of the input (top level) or to the end of the item. The
/// reader bounds the nesting ([`dimse_core::dataset::MAX_DEPTH`]), and so the recursion.
fn dataset<'a>(r: &mut Reader<'a>, in_item: bool) -> Result<DataSetView<'a>, MalformedDataSet> {
    let mut elements = Vec::new();
    let element = |tag, vr, content| Element {
        tag,
        vr,
        content,
        charset: Charset::default(),
    };
    loop {
        match r.next() {
            None if !in_item => return Ok(DataSetView { elements }),
            // The reader reports an unclosed item as Truncated; this is belt and braces.
            None => return Err(malformed(r, ReadError::Truncated)),
            Some(Err(e)) => return Err(malformed(r, e)),
            Some(Ok(ReadEvent::Element { tag, vr, value, .. })) => {
                elements.push(element(tag, vr, Content::Bytes(value)));
            }
            Some(Ok(ReadEvent::SequenceStart { tag, vr, .. })) => {
                let items = sequence(r)?;
                elements.push(element(tag, vr, Content::Items(items)));
            }
            Some(Ok(ReadEvent::ItemEnd { .. })) if in_item => return Ok(DataSetView { elements }),
            // The reader never yields these here; refuse rather than guess.
            Some(Ok(_)) => return Err(malformed(r, ReadError::UnexpectedDelimiter)),
        }
    }
}

/// The items of a sequence whose start has just been read, up to its end.
fn sequence<'a>(r: &mut Reader<'a>) -> Result<Vec<DataSetView<'a>>, MalformedDataSet> {
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

fn malformed(r: &Reader<'_>, error: ReadError) -> MalformedDataSet {
    MalformedDataSet {
        error,
        offset: r.offset(),
    }
}

/// The keyword of `tag`: `dicom-dictionary-std` first, then the core's table; `Private` or
/// `PrivateCreator` for private tags, `Unknown` for the rest.
pub(crate) fn keyword(tag: Tag) -> &'static str {
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
enum Charset {
    /// ASCII, UTF-8, and whatever else (lossily).
    #[default]
    Utf8,
    /// ISO 8859-1.
    Latin1,
}

const SPECIFIC_CHARACTER_SET: Tag = Tag::new(0x0008, 0x0005);

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

/// The values of a string element, each without its padding (`""` for an empty one among
/// several). An empty value (or one of padding only) has none. LT, ST, UT and UR have one
/// value whatever backslashes they hold.
fn components(vr: Vr, value: &[u8], charset: Charset) -> Vec<String> {
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
        return vec![trim(&text)];
    }
    text.split('\\').map(trim).collect()
}

/// The 64-bit values of SV or UV, little endian; a trailing partial value is ignored.
fn numbers<T: 'static>(value: &[u8], from: fn([u8; 8]) -> T) -> impl Iterator<Item = T> + '_ {
    value
        .chunks_exact(8)
        .filter_map(|c| <[u8; 8]>::try_from(c).ok())
        .map(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dimse_core::dataset::{SequenceLength, Writer};
    use dimse_core::service::display::DEMO;

    #[test]
    fn the_demo_as_a_view() {
        let mut buf = vec![0u8; 16 * 1024];
        for encoding in Encoding::ALL {
            let mut w =
                Writer::new(&mut buf, encoding).with_sequence_length(SequenceLength::Undefined);
            w.write(&DEMO).unwrap();
            let n = w.written();
            let view = DataSetView::parse(&buf[..n], encoding).unwrap();
            assert!(!view.is_empty());
            assert_eq!(view.len(), view.iter().count());
            let subsystems = view.get(Tag::new(0x0028, 0x7023)).unwrap();
            assert_eq!(subsystems.keyword(), "DisplaySubsystemSequence");
            assert_eq!(subsystems.vr(), Vr::SQ);
            assert!(subsystems.raw().is_none());
            let ElementValue::Items(items) = subsystems.value() else {
                panic!("{:?}", subsystems.value());
            };
            assert_eq!(items.len(), 2);
            assert_eq!(
                items[1].get(Tag::new(0x0028, 0x7003)).unwrap().value(),
                ElementValue::U16(vec![2])
            );
            assert_eq!(
                items[1].get(Tag::new(0x0028, 0x7006)).unwrap().value(),
                ElementValue::Strings(vec!["WARNING".into()])
            );
            let count = view.get(Tag::new(0x0028, 0x7001)).unwrap();
            assert_eq!(count.value(), ElementValue::U16(vec![2]));
            assert!(count.items().is_none());
        }
    }

    #[test]
    fn values_by_vr() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
        w.string(Tag::new(0x0008, 0x0060), Vr::CS, "A\\\\B ")
            .unwrap();
        w.f32s(Tag::new(0x0028, 0x7018), &[0.5, 0.25]).unwrap();
        w.bytes(Tag::new(0x0029, 0x1010), Vr::OB, &[1, 2]).unwrap();
        w.string(Tag::new(0x0040, 0xA160), Vr::UT, "a\\b").unwrap();
        let n = w.written();
        let view = DataSetView::parse(&buf[..n], Encoding::ExplicitVrLittleEndian).unwrap();
        let values: Vec<ElementValue<'_>> = view.iter().map(Element::value).collect();
        assert_eq!(
            values,
            [
                ElementValue::Strings(vec!["A".into(), "".into(), "B".into()]),
                ElementValue::F32(vec![0.5, 0.25]),
                ElementValue::Bytes(&[1, 2]),
                ElementValue::Strings(vec!["a\\b".into()]),
            ]
        );
        assert_eq!(view.elements()[2].keyword(), "Private");
    }

    #[test]
    fn malformed_is_an_error() {
        let err =
            DataSetView::parse(&[0x08, 0x00, 0x70], Encoding::ImplicitVrLittleEndian).unwrap_err();
        assert_eq!(err.error, ReadError::Truncated);
        assert!(err.to_string().starts_with("malformed data set at byte "));
        assert!(DataSetView::parse(&[], Encoding::ImplicitVrLittleEndian)
            .unwrap()
            .is_empty());
    }
}
