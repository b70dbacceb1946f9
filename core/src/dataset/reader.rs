//! The data set decoder: a streaming walk over a received data set, element by element.

use super::dictionary;
use super::{Encoding, Tag, Vr, MAX_DEPTH};
use crate::codec;

/// One step of the walk over a data set (see [`Reader`]).
///
/// `depth` is the number of sequences open around the event's data set: 0 for top-level
/// elements and for a top-level sequence's start and end, 1 for its items and their
/// elements, and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReadEvent<'a> {
    /// An element that is not a sequence; `value` is its raw value (see [`value`](super::value)
    /// for decoding helpers).
    Element {
        /// The tag.
        tag: Tag,
        /// The VR: read from the wire in Explicit VR, from the dictionary in Implicit VR
        /// (UN for a tag it does not know).
        vr: Vr,
        /// The value bytes, padding included.
        value: &'a [u8],
        /// Sequences open around it.
        depth: usize,
    },
    /// A sequence begins; its items follow, then [`ReadEvent::SequenceEnd`].
    SequenceStart {
        /// The sequence's tag.
        tag: Tag,
        /// SQ, or UN for an undefined-length UN element (PS3.5 §6.2.2), which is read as a
        /// sequence whose content is Implicit VR Little Endian.
        vr: Vr,
        /// Sequences open around it.
        depth: usize,
    },
    /// An item of the innermost open sequence begins.
    ItemStart {
        /// Sequences open around its elements.
        depth: usize,
    },
    /// The item ends.
    ItemEnd {
        /// As for its [`ReadEvent::ItemStart`].
        depth: usize,
    },
    /// The sequence ends.
    SequenceEnd {
        /// The sequence's tag.
        tag: Tag,
        /// As for its [`ReadEvent::SequenceStart`].
        depth: usize,
    },
}

/// Why a data set could not be read. The reader stops at the first error;
/// [`Reader::offset`] tells where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReadError {
    /// The input ends inside an element header, a value, or an open sequence or item.
    Truncated,
    /// A length that does not fit: an element, item or sequence running past the end of the
    /// defined-length item or sequence holding it, or an undefined length on a VR that
    /// cannot have one.
    BadLength,
    /// Sequences nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An Item, Item Delimitation or Sequence Delimitation Item where none can be: outside a
    /// sequence, or closing something of defined length.
    UnexpectedDelimiter,
    /// Something other than an Item or a Sequence Delimitation Item inside a sequence.
    ExpectedItem,
    /// Two bytes that name no VR, in Explicit VR.
    UnknownVr,
}

impl core::fmt::Display for ReadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ReadError::Truncated => {
                f.write_str("data set ends inside an element, item or sequence")
            }
            ReadError::BadLength => {
                f.write_str("value length does not fit the item or sequence holding the element")
            }
            ReadError::TooDeep => write!(f, "sequences nested deeper than {MAX_DEPTH}"),
            ReadError::UnexpectedDelimiter => {
                f.write_str("item or delimitation item where none can be")
            }
            ReadError::ExpectedItem => {
                f.write_str("data element inside a sequence where an item was expected")
            }
            ReadError::UnknownVr => f.write_str("unknown value representation"),
        }
    }
}

impl core::error::Error for ReadError {}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Sequence(Tag),
    Item,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: Kind,
    /// Where the sequence or item ends, if its length is defined.
    end: Option<usize>,
    /// Where the innermost defined-length container around the content ends.
    limit: usize,
    /// The encoding of the content (Implicit VR inside an undefined-length UN).
    encoding: Encoding,
}

const UNDEFINED: u32 = u32::MAX;

/// A streaming reader over a data set held in one slice: an iterator of
/// `Result<`[`ReadEvent`]`, `[`ReadError`]`>`.
///
/// Handles both encodings, defined and undefined lengths, and sequences nested up to
/// [`MAX_DEPTH`], in a fixed amount of state (a small stack of open sequences and items).
/// It never panics, whatever the input, and yields nothing more after an error. Tag order,
/// odd lengths and value contents are not checked: that is the application's business.
///
/// ```
/// use dimse_core::dataset::{value, Encoding, ReadEvent, Reader, Tag};
///
/// // (0008,0070) LO "ACME", Implicit VR Little Endian.
/// let data = [0x08, 0x00, 0x70, 0x00, 4, 0, 0, 0, b'A', b'C', b'M', b'E'];
/// let mut r = Reader::new(&data, Encoding::ImplicitVrLittleEndian);
/// let first = r.next();
/// assert!(matches!(first, Some(Ok(ReadEvent::Element { .. }))), "{first:?}");
/// if let Some(Ok(ReadEvent::Element { tag, value, .. })) = first {
///     assert_eq!(tag, Tag::new(0x0008, 0x0070));
///     assert_eq!(value::string(value), Some("ACME"));
/// }
/// assert!(r.next().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: codec::Reader<'a>,
    total: usize,
    encoding: Encoding,
    stack: heapless::Vec<Frame, { 2 * MAX_DEPTH }>,
    sequences: usize,
    failed: bool,
}

impl<'a> Reader<'a> {
    /// A reader over the whole of `data`, encoded in `encoding`.
    pub const fn new(data: &'a [u8], encoding: Encoding) -> Self {
        Reader {
            input: codec::Reader::new(data),
            total: data.len(),
            encoding,
            stack: heapless::Vec::new(),
            sequences: 0,
            failed: false,
        }
    }

    /// How many bytes have been consumed; after an error, where it was found (the start of
    /// the offending header or value, give or take the bytes of it already read).
    pub const fn offset(&self) -> usize {
        self.total - self.input.remaining()
    }

    /// Sequences open at the current position.
    pub const fn depth(&self) -> usize {
        self.sequences
    }

    fn step(&mut self) -> Result<Option<ReadEvent<'a>>, ReadError> {
        let Some(top) = self.stack.last().copied() else {
            if self.input.is_empty() {
                return Ok(None);
            }
            return self.element(self.encoding, self.total, None).map(Some);
        };
        if top.end == Some(self.offset()) {
            return Ok(Some(self.pop(top)));
        }
        match top.kind {
            Kind::Sequence(_) => self.in_sequence(top).map(Some),
            Kind::Item => self.element(top.encoding, top.limit, Some(top)).map(Some),
        }
    }

    fn pop(&mut self, top: Frame) -> ReadEvent<'a> {
        self.stack.pop();
        match top.kind {
            Kind::Sequence(tag) => {
                self.sequences = self.sequences.saturating_sub(1);
                ReadEvent::SequenceEnd {
                    tag,
                    depth: self.sequences,
                }
            }
            Kind::Item => ReadEvent::ItemEnd {
                depth: self.sequences,
            },
        }
    }

    /// `n` bytes, if they lie before `limit` and in the input.
    fn take(&mut self, n: usize, limit: usize) -> Result<&'a [u8], ReadError> {
        self.end_of(n, limit)?;
        self.input.bytes(n).ok_or(ReadError::Truncated)
    }

    /// Where `n` bytes from here end, if that is within `limit` and the input.
    fn end_of(&self, n: usize, limit: usize) -> Result<usize, ReadError> {
        let end = self.offset().checked_add(n).ok_or(ReadError::BadLength)?;
        if end > self.total {
            Err(ReadError::Truncated)
        } else if end > limit {
            Err(ReadError::BadLength)
        } else {
            Ok(end)
        }
    }

    fn u16(&mut self, limit: usize) -> Result<u16, ReadError> {
        let b = self.take(2, limit)?;
        b.try_into()
            .map(u16::from_le_bytes)
            .map_err(|_| ReadError::Truncated)
    }

    fn u32(&mut self, limit: usize) -> Result<u32, ReadError> {
        let b = self.take(4, limit)?;
        b.try_into()
            .map(u32::from_le_bytes)
            .map_err(|_| ReadError::Truncated)
    }

    fn tag(&mut self, limit: usize) -> Result<Tag, ReadError> {
        let b = self.take(4, limit)?;
        b.try_into()
            .map(Tag::from_le_bytes)
            .map_err(|_| ReadError::Truncated)
    }

    fn push(&mut self, frame: Frame) -> Result<(), ReadError> {
        self.stack.push(frame).map_err(|_| ReadError::TooDeep)
    }

    /// The next element of a data set or item (or the delimiter closing the item).
    fn element(
        &mut self,
        encoding: Encoding,
        limit: usize,
        item: Option<Frame>,
    ) -> Result<ReadEvent<'a>, ReadError> {
        let tag = self.tag(limit)?;
        if tag.group() == 0xFFFE {
            // Delimiters are Implicit VR style in every transfer syntax (PS3.5 §7.5). A
            // non-zero length on one is tolerated and ignored, as pydicom and DCMTK do.
            let _len = self.u32(limit)?;
            return match item {
                Some(top) if tag == Tag::ITEM_DELIMITATION && top.end.is_none() => {
                    Ok(self.pop(top))
                }
                _ => Err(ReadError::UnexpectedDelimiter),
            };
        }
        let (vr, len) = match encoding {
            Encoding::ExplicitVrLittleEndian => {
                let name: [u8; 2] = self
                    .take(2, limit)?
                    .try_into()
                    .map_err(|_| ReadError::Truncated)?;
                let vr = Vr::from_bytes(&name).ok_or(ReadError::UnknownVr)?;
                if vr.has_long_length() {
                    self.take(2, limit)?;
                    (vr, self.u32(limit)?)
                } else {
                    (vr, u32::from(self.u16(limit)?))
                }
            }
            Encoding::ImplicitVrLittleEndian => {
                let len = self.u32(limit)?;
                let vr = match dictionary::vr(tag) {
                    Some(vr) => vr,
                    None if len == UNDEFINED => Vr::SQ,
                    None => Vr::UN,
                };
                (vr, len)
            }
        };
        let depth = self.sequences;
        let content = match (vr, len) {
            (Vr::SQ, _) => Some(encoding),
            (Vr::UN, UNDEFINED) => Some(Encoding::ImplicitVrLittleEndian),
            (_, UNDEFINED) if !encoding.is_explicit() => Some(encoding),
            (_, UNDEFINED) => return Err(ReadError::BadLength),
            _ => None,
        };
        if let Some(content) = content {
            if self.sequences >= MAX_DEPTH {
                return Err(ReadError::TooDeep);
            }
            let end = self.container_end(len, limit)?;
            self.push(Frame {
                kind: Kind::Sequence(tag),
                end,
                limit: end.unwrap_or(limit),
                encoding: content,
            })?;
            self.sequences += 1;
            let vr = if vr == Vr::UN { Vr::UN } else { Vr::SQ };
            return Ok(ReadEvent::SequenceStart { tag, vr, depth });
        }
        let n = usize::try_from(len).map_err(|_| ReadError::BadLength)?;
        let value = self.take(n, limit)?;
        Ok(ReadEvent::Element {
            tag,
            vr,
            value,
            depth,
        })
    }

    /// The end of a sequence or item of length `len` starting here, `None` if undefined.
    fn container_end(&self, len: u32, limit: usize) -> Result<Option<usize>, ReadError> {
        if len == UNDEFINED {
            return Ok(None);
        }
        let n = usize::try_from(len).map_err(|_| ReadError::BadLength)?;
        self.end_of(n, limit).map(Some)
    }

    /// The next item of a sequence (or the delimiter closing the sequence).
    fn in_sequence(&mut self, top: Frame) -> Result<ReadEvent<'a>, ReadError> {
        let tag = self.tag(top.limit)?;
        let len = self.u32(top.limit)?;
        match tag {
            Tag::ITEM => {
                let end = self.container_end(len, top.limit)?;
                self.push(Frame {
                    kind: Kind::Item,
                    end,
                    limit: end.unwrap_or(top.limit),
                    encoding: top.encoding,
                })?;
                Ok(ReadEvent::ItemStart {
                    depth: self.sequences,
                })
            }
            Tag::SEQUENCE_DELIMITATION if top.end.is_none() => Ok(self.pop(top)),
            Tag::SEQUENCE_DELIMITATION | Tag::ITEM_DELIMITATION => {
                Err(ReadError::UnexpectedDelimiter)
            }
            _ => Err(ReadError::ExpectedItem),
        }
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<ReadEvent<'a>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(event) => event.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for Reader<'_> {}
