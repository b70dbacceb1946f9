//! Data sets: the bounded element writer and reader (PS3.5), and the N-GET attribute filter.
//!
//! ## Where this sits
//!
//! A DIMSE message is a command set (always Implicit VR Little Endian) optionally followed by
//! a data set in the transfer syntax negotiated for the presentation context. For an N-GET
//! the data set is the response: the attributes of the requested SOP instance (here, the
//! Display System), restricted to those the requestor listed in its Attribute Identifier
//! List (0000,1005). This module turns such data sets into bytes and back; it knows nothing
//! about PDUs, commands or associations.
//!
//! ## Encoding in one paragraph (PS3.5 §7)
//!
//! A data set is a list of elements in strictly ascending tag order. Each element is a tag
//! (group u16, element u16), in Explicit VR a two-letter [`Vr`], a length (16 or 32 bits,
//! depending on the VR in Explicit VR, always 32 in Implicit VR), and a value padded to even
//! length. Implicit VR leaves the VR out, so the reader looks it up in the standard
//! [`dictionary`]. A sequence (VR SQ) holds items, each a nested data set; sequences and
//! items have either a defined length or an undefined one closed by a delimitation item.
//!
//! ## Pieces
//!
//! | item | what it is |
//! |---|---|
//! | [`Tag`], [`Vr`], [`Encoding`] | the vocabulary |
//! | [`dictionary`] | the PS3.6 table (tag → VR, keyword), generated from `dicom-dictionary-std` |
//! | [`Writer`] | encodes into a caller-provided `&mut [u8]`; checks tag order; defined (default) or undefined sequence lengths |
//! | [`AttributeFilter`] | an Attribute Identifier List; the writer drops top-level attributes not in it and reports those never produced |
//! | [`DataSetSource`] | what the application implements to answer an N-GET; a slice of [`Attribute`]s in a `static` is one |
//! | [`Encoded`] | a data set encoded once, in both encodings, and copied into each response (the filter still applies) |
//! | [`CheckedEncoded`] | the same, checked once ([`Encoded::check`]): a response for every attribute is one copy |
//! | [`EncodedExtent`] | encoded elements checked once; [`Writer::encoded_checked`] then copies them in one piece when every attribute is asked for |
//! | [`Reader`] | a streaming iterator of [`ReadEvent`]s over a received data set |
//! | [`value`] | decoders for the raw values the reader yields |
//!
//! ## Memory and failure
//!
//! Nothing here allocates or panics. The writer holds a cursor, a depth counter and the
//! filter's bitset ([`MAX_REQUESTED`] bits); the reader holds a stack of at most
//! 2 × [`MAX_DEPTH`] open sequences and items. A response that does not fit its buffer is
//! [`WriteError::BufferFull`] (the core answers 0213H); a malformed input is a [`ReadError`].

mod attribute;
pub mod dictionary;
mod filter;
mod reader;
mod tag;
pub mod value;
mod vr;
mod writer;

pub use attribute::{Attribute, Value};
pub(crate) use filter::Produced;
pub use filter::{AttributeFilter, FilterError, Missing, MAX_REQUESTED};
pub use reader::{ReadError, ReadEvent, Reader};
pub use tag::Tag;
pub use vr::{Encoding, Vr};
pub use writer::{
    CheckedEncoded, DataSetSource, Encoded, EncodedExtent, OpenItem, OpenSequence, Sequence,
    SequenceLength, WriteError, Writer,
};

/// The deepest nesting of sequences the writer produces and the reader accepts. The Display
/// System IOD needs 6 (QA Results → Display Subsystem QA Results → Configuration QA Results →
/// Visual Evaluation Result → Visual Evaluation Test → Referenced Image); 8 leaves room. The
/// reader's state grows by two small frames per level.
pub const MAX_DEPTH: usize = 8;

#[cfg(test)]
mod tests;
