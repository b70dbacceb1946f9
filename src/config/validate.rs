//! What the core leaves to the caller, checked once when a configuration is loaded. The
//! rules of the Display System IOD (value representations, required values, unique IDs,
//! references that resolve, the conditions of PS3.3 C.32) are the core's
//! [`validate`](dimse_core::service::display::validate()), run here on the model built from
//! the file so that a mistake is an error at start-up naming the field, not a malformed
//! response to a QA server. What stays here is what only a program that allocates can do:
//! encoding the display once, whatever its size, as a backstop.

use dimse_core::dataset::{Encoding, SequenceLength, WriteError, Writer};
use dimse_core::service::display::{validate, Problem};

use super::display::DisplayConfig;

/// A field that fails a check: its path in the file (`display.display_subsystems[1].name`)
/// and what is wrong.
#[derive(Debug)]
pub(crate) struct Invalid {
    pub(crate) field: String,
    pub(crate) message: String,
}

pub(crate) type Check = Result<(), Invalid>;

pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks a display by the core's rules, then encodes it once as a backstop for anything
/// the checks missed.
pub(crate) fn display(d: &DisplayConfig) -> Check {
    d.with_model(|model| {
        validate(model).map_err(|e| {
            let message = match e.problem {
                // The fix, in the file's words.
                Problem::NotAscii => "holds text beyond ASCII, which is written as UTF-8: set \
                                      display.specific_character_set = [\"ISO_IR 192\"]"
                    .to_owned(),
                problem => problem.to_string(),
            };
            invalid(format!("display.{}", e.path), message)
        })
    })?;
    encodes(d).map_err(|e| {
        invalid(
            "display",
            format!("cannot be encoded as a DICOM data set ({e:?}), although every field passed the checks"),
        )
    })
}

/// Encodes `d` in the largest form (Explicit VR, undefined-length sequences), growing the
/// buffer while it is too small.
fn encodes(d: &DisplayConfig) -> Result<(), WriteError> {
    let mut size = 16 * 1024;
    loop {
        let mut buf = vec![0u8; size];
        let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian)
            .with_sequence_length(SequenceLength::Undefined);
        match w.write(d) {
            Err(WriteError::BufferFull) if size < 1 << 30 => size *= 4,
            other => return other,
        }
    }
}
