//! Received data sets for people and programs: indented text and the DICOM JSON model.
//!
//! An N-GET response arrives as a data set in the negotiated transfer syntax. The core walks
//! it with its streaming [`Reader`]; this module turns that walk into
//!
//! * [`to_text`]: one line per element, indented by nesting, for a terminal;
//! * [`to_json`]: the DICOM JSON model of PS3.18 Annex F.2, for scripts and DICOMweb tools.
//!
//! Both read the whole data set first (into a [`DataSetView`]), so a malformed one gives a
//! [`PrintError`] and no partial output; [`render_text`] and [`render_json`] render a view already read.
//!
//! ## Text
//!
//! ```text
//! (0008,0070) LO Manufacturer  Example Displays
//! (0028,7023) SQ DisplaySubsystemSequence  <2 items>
//!   Item 1
//!     (0028,7003) US DisplaySubsystemID  1
//!     (0028,7004) LO DisplaySubsystemName  LEFT
//! ```
//!
//! Each element is `(gggg,eeee) VR Keyword  value`, indented two spaces per level, where
//! a sequence and each of its items are one level each. Keywords are those of
//! [`Element::keyword`](crate::dataset::Element::keyword). Values are rendered by VR:
//!
//! | VR | rendering |
//! |---|---|
//! | strings (AE … UT) | padding trimmed, values joined by `\` |
//! | US, SS, UL, SL, SV, UV, FL, FD | decimal, values joined by `\` |
//! | AT | `(gggg,eeee)`, values joined by `\` |
//! | OB, OD, OF, OL, OV, OW, UN | `<N bytes>` and the first 16 bytes in hex |
//! | SQ | `<N items>`, then `Item 1`, `Item 2`, … with their elements below |
//! | an empty value | `<empty>` |
//!
//! A value longer than [`TEXT_VALUE_WIDTH`] characters is cut with `…`; control characters
//! are escaped so that an element stays on one line.
//!
//! ## JSON
//!
//! See [`to_json`] for the mapping and the PS3.18 sections it follows.
//!
//! ## Character sets
//!
//! As the [`dataset`](crate::dataset) module decodes them: the default repertoire, UTF-8 and
//! Latin-1, item by item.
//!
//! [`Reader`]: dimse_core::dataset::Reader

use std::fmt;

use dimse_core::dataset::{Encoding, ReadError};

use crate::dataset::{DataSetView, MalformedDataSet};

mod json;
mod text;

#[cfg(test)]
mod tests;

pub use text::TEXT_VALUE_WIDTH;

/// Why a data set could not be printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrintError {
    /// The data set is not well formed: the core's [`Reader`](dimse_core::dataset::Reader)
    /// stopped with `error` at byte `offset`.
    Malformed {
        /// What the reader found.
        error: ReadError,
        /// Where, in bytes from the start of the data set.
        offset: usize,
    },
}

impl fmt::Display for PrintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PrintError::Malformed { error, offset } => MalformedDataSet { error, offset }.fmt(f),
        }
    }
}

impl From<MalformedDataSet> for PrintError {
    fn from(e: MalformedDataSet) -> Self {
        PrintError::Malformed {
            error: e.error,
            offset: e.offset,
        }
    }
}

impl std::error::Error for PrintError {}

/// The data set `data`, encoded in `encoding`, as indented text: one line per element, item
/// header and sequence, each ending in a newline (see the [module documentation](self)).
///
/// ```
/// use dimse_tokio::print::to_text;
/// use dimse_core::dataset::Encoding;
///
/// // (0008,0070) LO "ACME", Implicit VR Little Endian.
/// let data = [0x08, 0x00, 0x70, 0x00, 4, 0, 0, 0, b'A', b'C', b'M', b'E'];
/// let text = to_text(&data, Encoding::ImplicitVrLittleEndian)?;
/// assert_eq!(text, "(0008,0070) LO Manufacturer  ACME\n");
/// # Ok::<(), dimse_tokio::print::PrintError>(())
/// ```
pub fn to_text(data: &[u8], encoding: Encoding) -> Result<String, PrintError> {
    Ok(render_text(&DataSetView::parse(data, encoding)?))
}

/// The data set `data`, encoded in `encoding`, in the DICOM JSON model (PS3.18 §F.2): an
/// object with one member per attribute.
///
/// * **Structure (§F.2.2).** Members are named by the tag as eight uppercase hex digits
///   (`"00080070"`) and come in ascending order; each is an object with `"vr"` and at most
///   one of `"Value"` (an array) or `"InlineBinary"`. Group Length (gggg,0000) elements are
///   left out.
/// * **Types (§F.2.3, Table F.2.3-1).** Strings are JSON strings, multi-valued ones split on
///   `\` (§F.2.4); US, SS, UL, SL, SV, UV, FL, FD are JSON numbers; IS and DS are decoded to
///   JSON numbers (a DS with no fraction or exponent to an integer), or kept as the string
///   when they do not parse or do not fit, which the note to Table F.2.3-1 allows; AT values
///   are eight uppercase hex digits. A non-finite FL or FD has no JSON number and becomes
///   `null`.
/// * **PN (§F.2.2).** Each name is an object with its non-empty component groups as
///   `"Alphabetic"`, `"Ideographic"` and `"Phonetic"` (split on `=`).
/// * **Sequences (§F.2.2).** `"Value"` is an array of DICOM JSON objects, one per item; an
///   empty item is `{}`. An undefined-length UN element, which the core reads as an Implicit
///   VR sequence (PS3.5 §6.2.2), is given as an SQ.
/// * **Binary (§F.2.7).** OB, OD, OF, OL, OV, OW and UN values are `"InlineBinary"`, the
///   value bytes in base64 (RFC 4648 §4, with padding).
/// * **Empty values (§F.2.5).** A zero-length value (or one of padding only, or a sequence
///   with no items) has neither `"Value"` nor `"InlineBinary"`; an empty value among
///   several is `null`.
///
/// ```
/// use dimse_tokio::print::to_json;
/// use dimse_core::dataset::Encoding;
///
/// // (0008,0070) LO "ACME", Implicit VR Little Endian.
/// let data = [0x08, 0x00, 0x70, 0x00, 4, 0, 0, 0, b'A', b'C', b'M', b'E'];
/// let json = to_json(&data, Encoding::ImplicitVrLittleEndian)?;
/// assert_eq!(json.to_string(), r#"{"00080070":{"vr":"LO","Value":["ACME"]}}"#);
/// # Ok::<(), dimse_tokio::print::PrintError>(())
/// ```
pub fn to_json(data: &[u8], encoding: Encoding) -> Result<serde_json::Value, PrintError> {
    Ok(render_json(&DataSetView::parse(data, encoding)?))
}

/// A data set already read, as indented text: what [`to_text`] gives for its bytes.
pub fn render_text(view: &DataSetView<'_>) -> String {
    text::render(view)
}

/// A data set already read, in the DICOM JSON model: what [`to_json`] gives for its bytes.
pub fn render_json(view: &DataSetView<'_>) -> serde_json::Value {
    serde_json::Value::Object(json::render(view))
}
