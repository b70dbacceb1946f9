//! The data set encoder: elements into a caller-provided buffer, in either [`Encoding`].

use super::dictionary;
use super::filter::{AttributeFilter, Missing};
use super::reader::{ReadEvent, Reader};
use super::{Encoding, Tag, Vr, MAX_DEPTH};
use crate::codec::{self, BufferTooSmall};

/// Why a data set could not be written. Whatever was written so far is not a valid data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WriteError {
    /// The buffer is full (the core answers 0213H, resource limitation).
    BufferFull,
    /// A tag not greater than the previous one in the same data set or item (PS3.5 §7.1
    /// requires strictly ascending tags).
    OutOfOrder,
    /// A value that cannot be encoded: odd-length bytes for a word-sized VR, a value too long
    /// for its VR's length field, a NUL in a string, a backslash inside one of several values,
    /// several values for a single-valued VR, a string for a non-string VR, a raw SQ value, or
    /// an (FFFE,xxxx) tag used as an element.
    InvalidValue,
    /// Sequences nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl core::fmt::Display for WriteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WriteError::BufferFull => f.write_str("data set does not fit the buffer"),
            WriteError::OutOfOrder => f.write_str("data element tags not in ascending order"),
            WriteError::InvalidValue => {
                f.write_str("value cannot be encoded with its value representation")
            }
            WriteError::TooDeep => write!(f, "sequences nested deeper than {MAX_DEPTH}"),
        }
    }
}

impl core::error::Error for WriteError {}

impl From<BufferTooSmall> for WriteError {
    fn from(_: BufferTooSmall) -> Self {
        WriteError::BufferFull
    }
}

/// How sequences and items are delimited (PS3.5 §7.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SequenceLength {
    /// Explicit lengths, patched in once the content is written. This is what pydicom and
    /// pynetdicom emit, so the bytes can match theirs exactly.
    #[default]
    Defined,
    /// Length FFFFFFFFH with Item Delimitation and Sequence Delimitation Items, as in the
    /// PS3.17 Annex PPP examples.
    Undefined,
}

/// Anything that can write a data set: the application's Display System model, a static
/// table of [`Attribute`](super::Attribute)s, or a closure.
pub trait DataSetSource {
    /// Writes the data set's elements, in ascending tag order, into `w`.
    ///
    /// Write every attribute you have: the writer drops those the peer did not ask for.
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError>;
}

impl<F> DataSetSource for F
where
    F: Fn(&mut Writer<'_>) -> Result<(), WriteError>,
{
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        self(w)
    }
}

/// A data set encoded ahead of time, in both encodings a response may need: a source that
/// costs a copy instead of an encoding per request, for a data set that does not change
/// between requests (firmware can encode its constants once at start-up, a server its
/// configured display). Encode each with [`Writer`] and no filter; [`Writer::encoded`]
/// applies the order check and the attribute filter when it is written out. Its bytes are
/// the same as the source's own would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded<'a> {
    /// The elements in Explicit VR Little Endian.
    pub explicit_vr_little_endian: &'a [u8],
    /// The same elements in Implicit VR Little Endian.
    pub implicit_vr_little_endian: &'a [u8],
}

impl Encoded<'_> {
    /// The elements in `encoding`.
    pub const fn bytes(&self, encoding: Encoding) -> &[u8] {
        match encoding {
            Encoding::ExplicitVrLittleEndian => self.explicit_vr_little_endian,
            Encoding::ImplicitVrLittleEndian => self.implicit_vr_little_endian,
        }
    }
}

impl<'a> Encoded<'a> {
    /// Checks both runs once ([`EncodedExtent::check`]), so that each response for every
    /// attribute is one order check and one copy instead of a walk over the elements.
    pub fn check(self) -> Result<CheckedEncoded<'a>, WriteError> {
        Ok(CheckedEncoded {
            extents: [
                EncodedExtent::check(
                    self.explicit_vr_little_endian,
                    Encoding::ExplicitVrLittleEndian,
                )?,
                EncodedExtent::check(
                    self.implicit_vr_little_endian,
                    Encoding::ImplicitVrLittleEndian,
                )?,
            ],
            encoded: self,
        })
    }
}

impl DataSetSource for Encoded<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.encoded(self.bytes(w.encoding()))
    }
}

/// An [`Encoded`] data set with both runs checked ([`Encoded::check`]): what a server that
/// answers from constants should hand the core. A response for every attribute is written
/// with [`Writer::encoded_checked`]: one order check and one copy. (Extents that do not
/// describe these bytes are not trusted: the writer then walks the elements as
/// [`Writer::encoded`] does.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedEncoded<'a> {
    /// The two runs.
    pub encoded: Encoded<'a>,
    /// Their extents: Explicit VR Little Endian, then Implicit.
    pub extents: [EncodedExtent; 2],
}

impl DataSetSource for CheckedEncoded<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        let (bytes, extent) = match w.encoding() {
            Encoding::ExplicitVrLittleEndian => {
                (self.encoded.explicit_vr_little_endian, self.extents[0])
            }
            Encoding::ImplicitVrLittleEndian => {
                (self.encoded.implicit_vr_little_endian, self.extents[1])
            }
        };
        w.encoded_checked(bytes, extent)
    }
}

/// What [`EncodedExtent::check`] found of a run of encoded elements: their encoding, length
/// and first and last top-level tags. With it, [`Writer::encoded_checked`] copies the run
/// in one piece when every attribute is requested, instead of reading each element's header
/// again per response (an owner of encoded bytes that do not change checks them once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedExtent {
    encoding: Encoding,
    len: usize,
    /// First and last top-level tags; `None` for no elements.
    tags: Option<(Tag, Tag)>,
}

impl EncodedExtent {
    /// Checks `elements` as [`Writer::encoded`] does (whole elements, top-level tags
    /// ascending and not item tags), without writing them.
    pub fn check(elements: &[u8], encoding: Encoding) -> Result<EncodedExtent, WriteError> {
        let mut tags: Option<(Tag, Tag)> = None;
        for element in top_level(elements, encoding) {
            let (tag, _) = element?;
            follows(tags.map(|(_, last)| last), tag)?;
            tags = Some((tags.map_or(tag, |(first, _)| first), tag));
        }
        Ok(EncodedExtent {
            encoding,
            len: elements.len(),
            tags,
        })
    }
}

/// Encodes a data set into a borrowed buffer.
///
/// Every element goes through a method that knows its VR, checks that tags ascend, and
/// writes header and value in one go; nothing is buffered, nothing is allocated. Sequences
/// and items are written through closures ([`Writer::sequence`], [`Sequence::item`]) so that
/// their lengths can be patched in, or their delimiters appended, when the closure returns.
///
/// With an [`AttributeFilter`], top-level elements that were not requested are skipped (a
/// skipped sequence's closure is not even called) and [`Writer::missing`] lists the requested
/// tags that never came. Values of skipped elements are still checked, so a source fails the
/// same way whatever the peer asks for.
///
/// ```
/// use dimse_core::dataset::{Encoding, Tag, Vr, Writer};
///
/// let mut buf = [0u8; 128];
/// let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian);
/// w.string(Tag::new(0x0008, 0x0070), Vr::LO, "ACME")?;
/// w.sequence(Tag::new(0x0028, 0x7023), |seq| {
///     seq.item(|item| {
///         item.u16(Tag::new(0x0028, 0x7003), 1)?;
///         item.string(Tag::new(0x0028, 0x7006), Vr::CS, "OK")
///     })
/// })?;
/// assert_eq!(w.written(), 48);
/// # Ok::<(), dimse_core::dataset::WriteError>(())
/// ```
#[derive(Debug)]
pub struct Writer<'a> {
    out: codec::Writer<'a>,
    encoding: Encoding,
    lengths: SequenceLength,
    filter: AttributeFilter<'a>,
    /// Open sequences around the element being written.
    depth: usize,
    /// The last tag written (or skipped) in the current data set or item.
    last: Option<Tag>,
    /// Whether elements go through `filter`: at the top level, when it lists attributes.
    /// Kept, not worked out per element: it changes only with `depth` and the filter.
    filtering: bool,
}

impl<'a> Writer<'a> {
    /// A writer of `encoding` into `buf`, with defined-length sequences and no filter.
    pub fn new(buf: &'a mut [u8], encoding: Encoding) -> Self {
        Writer {
            out: codec::Writer::new(buf),
            encoding,
            lengths: SequenceLength::Defined,
            filter: AttributeFilter::all(),
            depth: 0,
            last: None,
            filtering: false,
        }
    }

    /// Writes only the top-level attributes `filter` lets through.
    pub fn with_filter(mut self, filter: AttributeFilter<'a>) -> Self {
        self.set_filter(filter);
        self
    }

    /// [`Writer::with_filter`] in place: the writer is not moved (it is large, and this
    /// runs per response).
    pub(crate) fn set_filter(&mut self, filter: AttributeFilter<'a>) {
        self.filter = filter;
        self.set_depth(self.depth);
    }

    /// Chooses how sequences and items are delimited.
    pub fn with_sequence_length(mut self, lengths: SequenceLength) -> Self {
        self.lengths = lengths;
        self
    }

    /// The encoding being written.
    pub const fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Bytes written so far; after a successful write, the data set's length.
    pub const fn written(&self) -> usize {
        self.out.position()
    }

    /// Sequences open around the next element (0 at the top level).
    pub const fn depth(&self) -> usize {
        self.depth
    }

    /// The attribute filter, with its record of what was produced.
    pub const fn filter(&self) -> &AttributeFilter<'a> {
        &self.filter
    }

    /// The requested top-level tags not written so far, each once, in request order.
    pub fn missing(&self) -> Missing<'_, 'a> {
        self.filter.missing()
    }

    /// Runs `source` against this writer.
    pub fn write<S: DataSetSource + ?Sized>(&mut self, source: &S) -> Result<(), WriteError> {
        source.write_to(self)
    }

    /// Checks the order, and says whether the element is to be emitted.
    #[inline(always)] // Per element written: a load and a branch when nothing is filtered.
    fn begin(&mut self, tag: Tag) -> Result<bool, WriteError> {
        follows(self.last, tag)?;
        self.last = Some(tag);
        Ok(!self.filtering || self.filter.contains(tag))
    }

    /// Records a written element in the filter's record of what was produced.
    #[inline(always)]
    fn emitted(&mut self, tag: Tag) {
        if self.filtering {
            self.filter.mark(tag);
        }
    }

    /// Enters or leaves a sequence: `depth` sequences open around the next element.
    fn set_depth(&mut self, depth: usize) {
        self.depth = depth;
        self.filtering = depth == 0 && !self.filter.is_all();
    }

    /// An element's header (PS3.5 §7.1): its first eight bytes as one word, and whether an
    /// Explicit VR's 32-bit length follows them (then the word ends with two reserved bytes).
    #[inline(always)] // Per element: a call costs about what the body does.
    fn header_word(&self, tag: Tag, vr: Vr, len: u32) -> Result<(u64, bool), WriteError> {
        // The tag on the wire: group, then element, each little-endian.
        let tag = u64::from(tag.0.rotate_left(16));
        Ok(match self.encoding {
            Encoding::ImplicitVrLittleEndian => (tag | u64::from(len) << 32, false),
            Encoding::ExplicitVrLittleEndian => {
                let form = vr.form();
                let vr_bytes = u64::from(form.wire()) << 32;
                if form.has_long_length() {
                    (tag | vr_bytes, true)
                } else {
                    let len = u16::try_from(len).map_err(|_| WriteError::InvalidValue)?;
                    (tag | vr_bytes | u64::from(len) << 48, false)
                }
            }
        })
    }

    /// An element's header alone (a sequence's, whose value follows item by item).
    fn header(&mut self, tag: Tag, vr: Vr, len: u32) -> Result<(), WriteError> {
        let (word, long) = self.header_word(tag, vr, len)?;
        self.out.array(word.to_le_bytes())?;
        if long {
            self.out.array(len.to_le_bytes())?;
        }
        Ok(())
    }

    /// Writes an element's header and returns the `len` bytes after it, for the caller to
    /// fill with the value (every byte of it): one bounds check for the whole element.
    #[inline(always)] // Per element written.
    fn element_room(&mut self, tag: Tag, vr: Vr, len: u32) -> Result<&mut [u8], WriteError> {
        let (word, long) = self.header_word(tag, vr, len)?;
        let head = if long { 12 } else { 8 };
        let value_len = usize::try_from(len).map_err(|_| WriteError::InvalidValue)?;
        let room = self.out.reserve(head + value_len)?;
        let (header, value) = room
            .split_at_mut_checked(head)
            .ok_or(WriteError::BufferFull)?;
        if let Some((first, rest)) = header.split_first_chunk_mut::<8>() {
            *first = word.to_le_bytes();
            if let Some(long_len) = rest.first_chunk_mut::<4>() {
                *long_len = len.to_le_bytes();
            }
        }
        Ok(value)
    }

    /// A string value with the given VR, padded to even length with the VR's padding.
    /// Backslashes separate values, as on the wire.
    ///
    /// Code size: where the target has an operating system, this (and [`Writer::strings`])
    /// is inlined into every call site, where the site's tag and VR fold into constants
    /// (about a quarter of the work per string, for about 200 bytes of x86-64 code per site); on
    /// bare metal (`target_os = "none"`), where flash is what runs short, it stays out of
    /// line, once.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    pub fn string(&mut self, tag: Tag, vr: Vr, value: &str) -> Result<(), WriteError> {
        // Most strings of a response are short: held in two words, checked and stored as
        // such, without a loop or a call to the general copy.
        // (With a filter to apply, the general path: it calls the filter's record.)
        let short = match ShortValue::load(value.as_bytes()) {
            Some(short) if !self.filtering => short,
            _ => return self.long_string(tag, vr, value),
        };
        let form = vr.form();
        if !form.is_string() || short.has_forbidden_byte(false) {
            return Err(WriteError::InvalidValue);
        }
        if !self.begin(tag)? {
            return Ok(()); // (Not here: without a filter, every element is written.)
        }
        // At most 16 bytes and the padding: every VR's length field holds that.
        let len = value.len();
        let padded = (len + len % 2) as u32;
        let room = self.element_room(tag, vr, padded)?;
        short.store(room);
        if let Some(padding) = room.get_mut(len) {
            *padding = form.padding();
        }
        Ok(())
    }

    /// [`Writer::string`] for a value longer than a [`ShortValue`], or through a filter.
    #[inline(never)] // Kept out of `string`, so that its short path calls nothing.
    fn long_string(&mut self, tag: Tag, vr: Vr, value: &str) -> Result<(), WriteError> {
        if !vr.is_string() || has_forbidden_byte(value.as_bytes(), false) {
            return Err(WriteError::InvalidValue);
        }
        self.string_element(tag, vr, value, &[], value.len())
    }

    /// A multi-valued string, backslash-joined on the fly. A value may not contain a
    /// backslash (unless the VR is single-valued: LT, ST, UT, UR, which then take one value).
    #[cfg_attr(not(target_os = "none"), inline(always))] // As `string` is.
    pub fn strings(&mut self, tag: Tag, vr: Vr, values: &[&str]) -> Result<(), WriteError> {
        if !vr.is_string() || (values.len() > 1 && !vr.is_multi_valued_string()) {
            return Err(WriteError::InvalidValue);
        }
        let mut len = values.len().saturating_sub(1);
        let no_backslash = vr.is_multi_valued_string();
        for v in values {
            if has_forbidden_byte(v.as_bytes(), no_backslash) {
                return Err(WriteError::InvalidValue);
            }
            len = len.checked_add(v.len()).ok_or(WriteError::InvalidValue)?;
        }
        let (first, rest) = values.split_first().map_or(("", &[][..]), |(f, r)| (*f, r));
        self.string_element(tag, vr, first, rest, len)
    }

    /// A string value whose VR is looked up in the [`dictionary`]; an unknown tag or a
    /// non-string VR is [`WriteError::InvalidValue`].
    pub fn text_auto(&mut self, tag: Tag, value: &str) -> Result<(), WriteError> {
        let vr = dictionary::vr(tag).ok_or(WriteError::InvalidValue)?;
        self.string(tag, vr, value)
    }

    /// A string element: `first`, then each of `rest` after a backslash, `len` bytes in all
    /// (checked by the caller), padded to even length with one byte (PS3.5 §6.2). Inlined
    /// into its two callers: per string of every response, a call costs more than it saves.
    #[inline(always)]
    fn string_element(
        &mut self,
        tag: Tag,
        vr: Vr,
        first: &str,
        rest: &[&str],
        len: usize,
    ) -> Result<(), WriteError> {
        let odd = len % 2 == 1;
        let wire_len = checked_length(vr, len + usize::from(odd))?;
        if !self.begin(tag)? {
            return Ok(());
        }
        let value = self.element_room(tag, vr, wire_len)?;
        let mut tail = put_value(value, first.as_bytes())?;
        for v in rest {
            let (separator, after) = tail.split_first_mut().ok_or(WriteError::BufferFull)?;
            *separator = b'\\';
            tail = put_value(after, v.as_bytes())?;
        }
        if let Some(padding) = tail.first_mut() {
            *padding = vr.padding();
        }
        self.emitted(tag);
        Ok(())
    }

    fn numbers<T: Copy, const N: usize>(
        &mut self,
        tag: Tag,
        vr: Vr,
        values: &[T],
        to_le: fn(T) -> [u8; N],
    ) -> Result<(), WriteError> {
        let len = values
            .len()
            .checked_mul(N)
            .ok_or(WriteError::InvalidValue)?;
        let wire_len = checked_length(vr, len)?;
        if !self.begin(tag)? {
            return Ok(());
        }
        // One bounds check for the element, then fixed-size stores.
        let dst = self.element_room(tag, vr, wire_len)?;
        for (d, v) in dst.chunks_exact_mut(N).zip(values) {
            if let Ok(d) = <&mut [u8; N]>::try_from(d) {
                *d = to_le(*v);
            }
        }
        self.emitted(tag);
        Ok(())
    }

    /// One US value.
    pub fn u16(&mut self, tag: Tag, value: u16) -> Result<(), WriteError> {
        self.u16s(tag, &[value])
    }

    /// US values.
    pub fn u16s(&mut self, tag: Tag, values: &[u16]) -> Result<(), WriteError> {
        self.numbers(tag, Vr::US, values, u16::to_le_bytes)
    }

    /// One UL value.
    pub fn u32(&mut self, tag: Tag, value: u32) -> Result<(), WriteError> {
        self.u32s(tag, &[value])
    }

    /// UL values.
    pub fn u32s(&mut self, tag: Tag, values: &[u32]) -> Result<(), WriteError> {
        self.numbers(tag, Vr::UL, values, u32::to_le_bytes)
    }

    /// One SS value.
    pub fn i16(&mut self, tag: Tag, value: i16) -> Result<(), WriteError> {
        self.i16s(tag, &[value])
    }

    /// SS values.
    pub fn i16s(&mut self, tag: Tag, values: &[i16]) -> Result<(), WriteError> {
        self.numbers(tag, Vr::SS, values, i16::to_le_bytes)
    }

    /// One SL value.
    pub fn i32(&mut self, tag: Tag, value: i32) -> Result<(), WriteError> {
        self.i32s(tag, &[value])
    }

    /// SL values.
    pub fn i32s(&mut self, tag: Tag, values: &[i32]) -> Result<(), WriteError> {
        self.numbers(tag, Vr::SL, values, i32::to_le_bytes)
    }

    /// One FL value.
    pub fn f32(&mut self, tag: Tag, value: f32) -> Result<(), WriteError> {
        self.f32s(tag, &[value])
    }

    /// FL values (CIExy White Point is two).
    pub fn f32s(&mut self, tag: Tag, values: &[f32]) -> Result<(), WriteError> {
        self.numbers(tag, Vr::FL, values, f32::to_le_bytes)
    }

    /// One FD value.
    pub fn f64(&mut self, tag: Tag, value: f64) -> Result<(), WriteError> {
        self.f64s(tag, &[value])
    }

    /// FD values.
    pub fn f64s(&mut self, tag: Tag, values: &[f64]) -> Result<(), WriteError> {
        self.numbers(tag, Vr::FD, values, f64::to_le_bytes)
    }

    /// One AT value.
    pub fn tag(&mut self, tag: Tag, value: Tag) -> Result<(), WriteError> {
        self.tags(tag, &[value])
    }

    /// AT values.
    pub fn tags(&mut self, tag: Tag, values: &[Tag]) -> Result<(), WriteError> {
        self.numbers(tag, Vr::AT, values, Tag::to_le_bytes)
    }

    /// A value already in little-endian wire form, with the given VR. An odd length is padded
    /// for string VRs and for OB/UN, and refused for the word-sized VRs, as is a length that
    /// is not a whole number of values (6 bytes of FD).
    pub fn bytes(&mut self, tag: Tag, vr: Vr, value: &[u8]) -> Result<(), WriteError> {
        if vr == Vr::SQ {
            return Err(WriteError::InvalidValue);
        }
        let pad = value.len() % 2;
        if let Some(size) = vr.value_size() {
            if value.len() % size != 0 {
                return Err(WriteError::InvalidValue);
            }
        } else if pad == 1 && !(vr.is_string() || matches!(vr, Vr::OB | Vr::UN)) {
            return Err(WriteError::InvalidValue);
        }
        let padded = value
            .len()
            .checked_add(pad)
            .ok_or(WriteError::InvalidValue)?;
        let wire_len = checked_length(vr, padded)?;
        if !self.begin(tag)? {
            return Ok(());
        }
        let room = self.element_room(tag, vr, wire_len)?;
        if let Some(padding) = put_value(room, value)?.first_mut() {
            *padding = vr.padding();
        }
        self.emitted(tag);
        Ok(())
    }

    /// A value in wire form whose VR is looked up in the [`dictionary`] (UN when the tag is
    /// not in it), as [`Writer::bytes`].
    pub fn element(&mut self, tag: Tag, value: &[u8]) -> Result<(), WriteError> {
        self.bytes(tag, dictionary::vr(tag).unwrap_or(Vr::UN), value)
    }

    /// Elements already encoded in this writer's [`Encoding`] (by a `Writer` earlier, see
    /// [`Encoded`]), copied as they are: each goes through the order check and, at the top
    /// level, the attribute filter, like an element written one by one. Only the elements'
    /// headers are read (and the items of an undefined-length sequence, to find its end);
    /// their values are taken as the writer that made them left them. Bytes that are not a
    /// run of whole elements are [`WriteError::InvalidValue`], whatever the filter lets
    /// through. Out of line: [`Writer::encoded_checked`]'s one-copy path, per response,
    /// then needs no frame for this loop.
    #[inline(never)]
    pub fn encoded(&mut self, elements: &[u8]) -> Result<(), WriteError> {
        // Consecutive elements the filter lets through are copied as one run: a request for
        // every attribute costs one copy, not one per element.
        let mut run = 0..0;
        for element in top_level(elements, self.encoding) {
            let (tag, range) = element?;
            if self.begin(tag)? {
                if run.end != range.start {
                    self.out.put(elements.get(run).unwrap_or_default())?;
                    run = range.start..range.start;
                }
                run.end = range.end;
                self.emitted(tag);
            }
        }
        self.out.put(elements.get(run).unwrap_or_default())?;
        Ok(())
    }

    /// [`Writer::encoded`] for elements checked beforehand: with every attribute requested
    /// and at the top level, one order check and one copy; otherwise (a filter, inside a
    /// sequence, or an `extent` that is not of these bytes in this encoding) element by
    /// element as `encoded` does.
    pub fn encoded_checked(
        &mut self,
        elements: &[u8],
        extent: EncodedExtent,
    ) -> Result<(), WriteError> {
        let whole = self.depth == 0
            && self.filter.is_all()
            && extent.encoding == self.encoding
            && extent.len == elements.len();
        if !whole {
            return self.encoded(elements);
        }
        if let Some((first, last)) = extent.tags {
            follows(self.last, first)?;
            self.out.put(elements)?;
            self.last = Some(last);
        }
        Ok(())
    }

    /// A sequence: `items` adds each item through [`Sequence::item`]. A sequence with no
    /// items is fine (PS3.5 §7.4.6 allows a zero-length Type 2 or 3 sequence).
    pub fn sequence<F>(&mut self, tag: Tag, items: F) -> Result<(), WriteError>
    where
        F: FnOnce(&mut Sequence<'_, 'a>) -> Result<(), WriteError>,
    {
        // The generic part is only the call of `items`: what surrounds it is not
        // monomorphized for every closure. Sized for speed, the compiler inlines the two
        // halves back; sized for flash (opt-level "z"), they stay out of line, once (the
        // firmware's DICOM share shrank by 2.8 KB, BENCHMARKS.md).
        let Some(at) = self.open_sequence(tag)? else {
            return Ok(());
        };
        let result = items(&mut Sequence { w: self });
        self.close_sequence(tag, at, result)
    }

    /// Opens a sequence, for a caller that cannot nest closures (the C API): its items
    /// follow through [`Writer::begin_item`] / [`Writer::end_item`], and
    /// [`Writer::end_sequence`] closes it. [`Writer::sequence`] is the same in one call.
    /// `None`: the attribute filter drops this top-level sequence, so write nothing of it
    /// (no items, no end).
    pub fn begin_sequence(&mut self, tag: Tag) -> Result<Option<OpenSequence>, WriteError> {
        let at = self.open_sequence(tag)?;
        Ok(at.map(|start| OpenSequence { tag, start }))
    }

    /// Closes the sequence `open` (the innermost one: items and sequences close in the
    /// reverse order they were opened).
    pub fn end_sequence(&mut self, open: OpenSequence) -> Result<(), WriteError> {
        if self.depth == 0 {
            return Err(WriteError::InvalidValue);
        }
        self.close_sequence(open.tag, open.start, Ok(()))
    }

    /// Opens an item of the innermost open sequence (see [`Writer::begin_sequence`]); its
    /// elements follow, in ascending order (the order check starts afresh in each item),
    /// then [`Writer::end_item`]. Outside a sequence: [`WriteError::InvalidValue`].
    pub fn begin_item(&mut self) -> Result<OpenItem, WriteError> {
        if self.depth == 0 {
            return Err(WriteError::InvalidValue);
        }
        let (start, outer) = self.open_item()?;
        Ok(OpenItem { start, outer })
    }

    /// Closes the item `open`.
    pub fn end_item(&mut self, open: OpenItem) -> Result<(), WriteError> {
        self.close_item(open.start, open.outer, Ok(()))
    }

    /// Checks and writes a sequence's header; where its value starts, or `None` when the
    /// filter leaves it out.
    // Inlined into each sequence's call site as `string` is; a hint only on bare metal.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    fn open_sequence(&mut self, tag: Tag) -> Result<Option<usize>, WriteError> {
        if self.depth >= MAX_DEPTH {
            return Err(WriteError::TooDeep);
        }
        if !self.begin(tag)? {
            return Ok(None);
        }
        // The length is patched in by `close`, or stays undefined.
        self.header(tag, Vr::SQ, self.open_length())?;
        self.set_depth(self.depth + 1);
        Ok(Some(self.out.position()))
    }

    /// Ends the sequence `open_sequence` began at `at`, once its items are written.
    #[inline]
    fn close_sequence(
        &mut self,
        tag: Tag,
        at: usize,
        items: Result<(), WriteError>,
    ) -> Result<(), WriteError> {
        self.set_depth(self.depth.saturating_sub(1));
        items?;
        self.close(at, Tag::SEQUENCE_DELIMITATION)?;
        self.emitted(tag);
        Ok(())
    }

    /// Writes an item's header; returns where its value starts and the order check's state
    /// outside it.
    #[inline]
    fn open_item(&mut self) -> Result<(usize, Option<Tag>), WriteError> {
        // Item tag and length, in every encoding (PS3.5 §7.5).
        let item = u64::from(Tag::ITEM.0.rotate_left(16)) | u64::from(self.open_length()) << 32;
        self.out.array(item.to_le_bytes())?;
        Ok((self.out.position(), self.last.take()))
    }

    /// Ends the item `open_item` began at `at`, once its elements are written.
    #[inline]
    fn close_item(
        &mut self,
        at: usize,
        outer: Option<Tag>,
        content: Result<(), WriteError>,
    ) -> Result<(), WriteError> {
        self.last = outer;
        content?;
        self.close(at, Tag::ITEM_DELIMITATION)
    }

    /// The length field of a sequence or item being opened: 0 until `close` patches it, or
    /// undefined.
    fn open_length(&self) -> u32 {
        match self.lengths {
            SequenceLength::Defined => 0,
            SequenceLength::Undefined => u32::MAX,
        }
    }

    /// Patches the length of the sequence or item whose value started at `start`, or appends
    /// its delimiter.
    fn close(&mut self, start: usize, delimiter: Tag) -> Result<(), WriteError> {
        match self.lengths {
            SequenceLength::Defined => {
                let len = self
                    .out
                    .position()
                    .checked_sub(start)
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|&n| n != u32::MAX)
                    .ok_or(WriteError::InvalidValue)?;
                let at = start.checked_sub(4).ok_or(WriteError::InvalidValue)?;
                self.out.patch_u32_le(at, len)?;
            }
            SequenceLength::Undefined => {
                self.out.put(&delimiter.to_le_bytes())?;
                self.out.u32_le(0)?;
            }
        }
        Ok(())
    }
}

/// Copies `value` to the front of `room`; the rest of `room` is returned.
#[inline(always)]
fn put_value<'r>(room: &'r mut [u8], value: &[u8]) -> Result<&'r mut [u8], WriteError> {
    let (dst, rest) = room
        .split_at_mut_checked(value.len())
        .ok_or(WriteError::BufferFull)?;
    dst.copy_from_slice(value);
    Ok(rest)
}

/// The order rule of a data set or item: `tag` may follow `last` (tags ascend) and is not an
/// item or delimiter tag (group FFFE).
#[inline(always)] // Per element written.
fn follows(last: Option<Tag>, tag: Tag) -> Result<(), WriteError> {
    if tag.group() == 0xFFFE {
        return Err(WriteError::InvalidValue);
    }
    if last.is_some_and(|last| tag <= last) {
        return Err(WriteError::OutOfOrder);
    }
    Ok(())
}

/// The top-level elements of encoded bytes, front to back: each one's tag and where it lies.
/// Bytes that are not whole elements end the walk with [`WriteError::InvalidValue`].
fn top_level(elements: &[u8], encoding: Encoding) -> TopLevel<'_> {
    TopLevel {
        elements,
        encoding,
        at: 0,
    }
}

struct TopLevel<'e> {
    elements: &'e [u8],
    encoding: Encoding,
    /// Where the next element starts; past the end after an error.
    at: usize,
}

impl Iterator for TopLevel<'_> {
    type Item = Result<(Tag, core::ops::Range<usize>), WriteError>;

    #[inline(always)] // Per element of every response, like `element_extent`.
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        let rest = self.elements.get(start..).filter(|r| !r.is_empty())?;
        let end = element_extent(rest, self.encoding).and_then(|(tag, len)| {
            let end = start
                .checked_add(len)
                .filter(|&e| e <= self.elements.len())
                .ok_or(WriteError::InvalidValue)?;
            Ok((tag, end))
        });
        // After an error, nothing more.
        self.at = end.as_ref().map_or(usize::MAX, |&(_, end)| end);
        Some(end.map(|(tag, end)| (tag, start..end)))
    }
}

/// The tag of the element at the start of `bytes`, and its length with header (for an
/// undefined length, up to and including its Sequence Delimitation Item).
#[inline(always)] // Per element of every response: a call costs more than its body.
fn element_extent(bytes: &[u8], encoding: Encoding) -> Result<(Tag, usize), WriteError> {
    let bad = WriteError::InvalidValue;
    let word = |at: usize| -> Result<u32, WriteError> {
        let b = bytes
            .get(at..)
            .and_then(<[u8]>::first_chunk::<4>)
            .ok_or(bad)?;
        Ok(u32::from_le_bytes(*b))
    };
    let tag = Tag::from_le_bytes(word(0)?.to_le_bytes());
    let (header, len) = match encoding {
        Encoding::ImplicitVrLittleEndian => (8, word(4)?),
        Encoding::ExplicitVrLittleEndian => {
            let name = bytes.get(4..).and_then(<[u8]>::first_chunk::<2>);
            let vr = name.and_then(Vr::from_bytes).ok_or(bad)?;
            if vr.has_long_length() {
                (12, word(8)?)
            } else {
                let b = bytes
                    .get(6..)
                    .and_then(<[u8]>::first_chunk::<2>)
                    .ok_or(bad)?;
                (8, u32::from(u16::from_le_bytes(*b)))
            }
        }
    };
    if len != u32::MAX {
        let total = usize::try_from(len)
            .ok()
            .and_then(|n| n.checked_add(header));
        return Ok((tag, total.ok_or(bad)?));
    }
    // Undefined length: walk its items to the matching delimiter.
    let mut r = Reader::new(bytes, encoding);
    match r.next() {
        Some(Ok(ReadEvent::SequenceStart { .. })) => {}
        _ => return Err(bad),
    }
    loop {
        match r.next() {
            Some(Ok(ReadEvent::SequenceEnd { depth: 0, .. })) => return Ok((tag, r.offset())),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(bad),
        }
    }
}

/// Whether `bytes` holds a NUL (never in a string value), or with `backslash` a backslash
/// (the value separator, so never inside one of several values). Eight bytes at a time:
/// this runs for every string of every response, most of them shorter than `memchr`'s
/// set-up pays for. A byte may be looked at twice (the pieces overlap): that changes nothing.
#[inline]
fn has_forbidden_byte(bytes: &[u8], backslash: bool) -> bool {
    if let Some(short) = ShortValue::load(bytes) {
        return short.has_forbidden_byte(backslash);
    }
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        match chunk.first_chunk::<8>() {
            Some(w) if !forbidden_in(u64::from_le_bytes(*w), backslash) => {}
            _ => return true,
        }
    }
    // The tail: the last eight bytes again.
    !chunks.remainder().is_empty()
        && bytes
            .last_chunk::<8>()
            .is_none_or(|w| forbidden_in(u64::from_le_bytes(*w), backslash))
}

/// Whether one of the eight bytes of `word` is NUL, or with `backslash` a backslash.
#[inline(always)]
fn forbidden_in(word: u64, backslash: bool) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // Exact for "some byte is zero": a borrow can mark a byte above a zero byte wrongly,
    // never make one appear where there is none.
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH != 0;
    has_zero(word) || (backslash && has_zero(word ^ (ONES * u64::from(b'\\'))))
}

/// A value of at most 16 bytes in two words, read in pieces that may overlap (at most two
/// loads, no loop): checked and stored word by word. Bytes that fill a word beyond a value
/// of fewer than eight are spaces (neither NUL nor a backslash) or repeat the value's own.
#[derive(Clone, Copy)]
struct ShortValue {
    len: usize,
    /// Up to 3 bytes: the first, middle, last and first byte, then spaces; 4 to 7: the
    /// first four bytes, then the last four; 8 to 16: the first eight bytes.
    front: u64,
    /// 8 to 16 bytes: the last eight; fewer: `front` again.
    back: u64,
}

impl ShortValue {
    /// `bytes` as a short value, or `None` when they are more than 16.
    #[inline(always)]
    fn load(bytes: &[u8]) -> Option<ShortValue> {
        const SPACES: u64 = u64::from_le_bytes(*b"        ");
        let len = bytes.len();
        let half = |chunk: Option<&[u8; 4]>| chunk.map_or(0, |c| u64::from(u32::from_le_bytes(*c)));
        let word = |chunk: Option<&[u8; 8]>| chunk.map_or(0, |c| u64::from_le_bytes(*c));
        let (front, back) = match len {
            0 => (SPACES, SPACES),
            1..=3 => {
                let byte = |i: usize| bytes.get(i).map_or(0, |&b| u64::from(b));
                let first = byte(0);
                let w = first | byte(len / 2) << 8 | byte(len - 1) << 16 | first << 24;
                let w = w | SPACES << 32;
                (w, w)
            }
            4..=7 => {
                let w = half(bytes.first_chunk()) | half(bytes.last_chunk()) << 32;
                (w, w)
            }
            8..=16 => (word(bytes.first_chunk()), word(bytes.last_chunk())),
            _ => return None,
        };
        Some(ShortValue { len, front, back })
    }

    #[inline(always)]
    fn has_forbidden_byte(&self, backslash: bool) -> bool {
        forbidden_in(self.front, backslash) || forbidden_in(self.back, backslash)
    }

    /// Writes the value's bytes at the front of `room` (at least `len` bytes long).
    #[inline(always)]
    fn store(&self, room: &mut [u8]) {
        let len = self.len;
        let Some(room) = room.get_mut(..len) else {
            return;
        };
        match len {
            0 => {}
            1..=3 => {
                let [a, b, c, ..] = self.front.to_le_bytes();
                for (i, byte) in [(0, a), (len / 2, b), (len - 1, c)] {
                    if let Some(dst) = room.get_mut(i) {
                        *dst = byte;
                    }
                }
            }
            4..=7 => {
                let [a, b, c, d, e, f, g, h] = self.front.to_le_bytes();
                if let Some(dst) = room.first_chunk_mut::<4>() {
                    *dst = [a, b, c, d];
                }
                if let Some(dst) = room.last_chunk_mut::<4>() {
                    *dst = [e, f, g, h];
                }
            }
            _ => {
                if let Some(dst) = room.first_chunk_mut::<8>() {
                    *dst = self.front.to_le_bytes();
                }
                if let Some(dst) = room.last_chunk_mut::<8>() {
                    *dst = self.back.to_le_bytes();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_forbidden_byte;

    proptest::proptest! {
        #[test]
        fn forbidden_bytes_are_found_wherever_they_are(
            bytes in proptest::collection::vec(proptest::sample::select(&[0u8, b'\\', b'A', 0xFF, 0x5B, 0x01][..]), 0..40),
            backslash: bool,
        ) {
            let expected = bytes.contains(&0) || (backslash && bytes.contains(&b'\\'));
            proptest::prop_assert_eq!(has_forbidden_byte(&bytes, backslash), expected);
        }
    }
}

/// The length field of a value of `len` bytes, if the VR's field can hold it. The 16-bit
/// limit applies in Implicit VR too, so that a source behaves the same in both encodings.
#[inline(always)] // Per element written.
fn checked_length(vr: Vr, len: usize) -> Result<u32, WriteError> {
    match u32::try_from(len) {
        Ok(n) if n <= vr.max_length() => Ok(n),
        _ => Err(WriteError::InvalidValue),
    }
}

/// The inside of a sequence being written: a list of items (see [`Writer::sequence`]).
#[derive(Debug)]
pub struct Sequence<'w, 'a> {
    w: &'w mut Writer<'a>,
}

impl<'a> Sequence<'_, 'a> {
    /// Adds an item; `content` writes its elements, in ascending order, through the same
    /// writer (the order check starts afresh in each item).
    pub fn item<F>(&mut self, content: F) -> Result<(), WriteError>
    where
        F: FnOnce(&mut Writer<'a>) -> Result<(), WriteError>,
    {
        // Split as `Writer::sequence` is, for the same reason.
        let (at, outer) = self.w.open_item()?;
        let result = content(self.w);
        self.w.close_item(at, outer, result)
    }
}

/// A sequence opened by [`Writer::begin_sequence`], to close with [`Writer::end_sequence`].
#[derive(Debug)]
#[must_use = "close it with Writer::end_sequence"]
pub struct OpenSequence {
    tag: Tag,
    /// Where its value starts.
    start: usize,
}

/// An item opened by [`Writer::begin_item`], to close with [`Writer::end_item`].
#[derive(Debug)]
#[must_use = "close it with Writer::end_item"]
pub struct OpenItem {
    /// Where its value starts.
    start: usize,
    /// The last tag written around the item's sequence, restored when the item closes.
    outer: Option<Tag>,
}
