//! The DICOM Upper Layer wire format (PS3.8 §9.3): the seven PDU types, their items and the
//! user-information sub-items, with an incremental parser and an emitter.
//!
//! ## Parsing
//!
//! Parsing never needs a buffer the size of a PDU. A PDU is read as a sequence of small
//! *units*, each parsed whole from a prefix of the input, httparse-style: the parser returns
//! [`Parse::Partial`] (consume nothing, read more) or [`Parse::Complete`] with the value and the
//! number of bytes used. The units are the 6-byte PDU header ([`PduHeader`]), the 68-byte fixed
//! part of an A-ASSOCIATE-RQ/AC ([`AssociateFixed`]), item headers ([`ItemHeader`]), the small
//! items and sub-items ([`SubItem`]), and the 6-byte PDV header ([`PdvHeader`]). Containers
//! (the presentation-context and user-information items, P-DATA-TF) are walked unit by unit;
//! values too large to matter (an unknown item, a JWT user identity) are skipped as a stream.
//! No unit is larger than [`MAX_UNIT_LEN`], so a caller that can offer that many bytes always
//! makes progress.
//!
//! For callers that do hold a whole PDU (tests, tools), [`ItemIter`] and [`SubItemIter`] walk a
//! complete A-ASSOCIATE body as typed views over the same unit parsers.
//!
//! ## Emitting
//!
//! [`AssociateRq`], [`AssociateAc`], [`AssociateRj`], [`ReleaseRq`], [`ReleaseRp`], [`Abort`]
//! and [`PDataTf`] are borrowed value types with `buffer_len()` and `emit(&mut [u8])`. What is
//! emitted parses back to the same value.
//!
//! Reserved fields are sent as the standard says and never tested on receipt (§9.3.1).

mod associate;
mod items;
mod pdata;
mod primitives;
mod simple;

pub(crate) use associate::{finish_pdu, start_associate};
pub use associate::{AssociateAc, AssociateFixed, AssociateRq, UserInformation};
pub use items::{
    Item, ItemHeader, ItemIter, ItemType, PresentationContextAc, PresentationContextRq,
    RoleSelection, SopClassCommonExtended, SopClassExtended, SubItem, SubItemIter, UserIdentityAc,
    UserIdentityRq, UserIdentityType, APPLICATION_CONTEXT_NAME,
};
pub use pdata::{MessageControlHeader, PDataTf, Pdv, PdvHeader, PDV_HEADER_LEN};
pub use primitives::{AeTitle, Uid, MAX_UID_LEN};
pub(crate) use simple::FIXED_BODY_LEN;
pub use simple::{
    Abort, AbortReason, AbortSource, AssociateRj, RejectReason, RejectResult, RejectSource,
    ReleaseRp, ReleaseRq,
};

/// Length of the common PDU header: type, reserved, 32-bit length (PS3.8 §9.3.1).
pub const PDU_HEADER_LEN: usize = 6;

/// The largest unit the incremental parser ever needs whole, in bytes. A caller that can offer
/// at least this many unconsumed bytes always makes progress.
pub const MAX_UNIT_LEN: usize = 512;

/// The result of parsing a unit from a prefix of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Parse<T> {
    /// More bytes are needed; nothing was consumed.
    Partial,
    /// The value, and the number of bytes it used.
    Complete(T, usize),
}

/// Why a PDU or an item could not be parsed. Each maps to the A-ABORT reason the state machine
/// sends (PS3.8 Table 9-26).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ParseError {
    /// A PDU type this standard does not define (reason 1, unrecognized-PDU).
    UnrecognizedPdu(u8),
    /// A length field that overruns its container, or a fixed-length PDU or item with another
    /// length (reason 6, invalid-PDU-parameter value).
    InvalidLength,
    /// A field whose value the standard forbids (reason 6).
    InvalidValue,
    /// A PDU longer than our configured limit for its type (reason 6).
    TooLong,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The A-ABORT reason in PS3.8 Table 9-26's words, then what was wrong.
        match self {
            ParseError::UnrecognizedPdu(t) => write!(f, "unrecognized-PDU: PDU type {t:02X}H"),
            ParseError::InvalidLength => {
                f.write_str("invalid-PDU-parameter value: a length overruns its PDU or item")
            }
            ParseError::InvalidValue => f.write_str(
                "invalid-PDU-parameter value: a field holds a value the standard forbids",
            ),
            ParseError::TooLong => {
                f.write_str("invalid-PDU-parameter value: PDU longer than the configured limit")
            }
        }
    }
}

impl core::error::Error for ParseError {}

impl ParseError {
    /// The A-ABORT reason for a PDU that failed to parse this way.
    pub const fn abort_reason(self) -> AbortReason {
        match self {
            ParseError::UnrecognizedPdu(_) => AbortReason::UnrecognizedPdu,
            ParseError::InvalidLength | ParseError::InvalidValue | ParseError::TooLong => {
                AbortReason::InvalidPduParameterValue
            }
        }
    }
}

/// PDU types (PS3.8 §9.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum PduType {
    /// 01H
    AssociateRq = 0x01,
    /// 02H
    AssociateAc = 0x02,
    /// 03H
    AssociateRj = 0x03,
    /// 04H
    PDataTf = 0x04,
    /// 05H
    ReleaseRq = 0x05,
    /// 06H
    ReleaseRp = 0x06,
    /// 07H
    Abort = 0x07,
}

impl PduType {
    /// The type for a PDU-type byte, if the standard defines one.
    pub const fn from_u8(b: u8) -> Option<PduType> {
        Some(match b {
            0x01 => PduType::AssociateRq,
            0x02 => PduType::AssociateAc,
            0x03 => PduType::AssociateRj,
            0x04 => PduType::PDataTf,
            0x05 => PduType::ReleaseRq,
            0x06 => PduType::ReleaseRp,
            0x07 => PduType::Abort,
            _ => return None,
        })
    }

    /// The standard's name, for logs.
    pub const fn name(self) -> &'static str {
        match self {
            PduType::AssociateRq => "A-ASSOCIATE-RQ",
            PduType::AssociateAc => "A-ASSOCIATE-AC",
            PduType::AssociateRj => "A-ASSOCIATE-RJ",
            PduType::PDataTf => "P-DATA-TF",
            PduType::ReleaseRq => "A-RELEASE-RQ",
            PduType::ReleaseRp => "A-RELEASE-RP",
            PduType::Abort => "A-ABORT",
        }
    }
}

/// The 6-byte header every PDU starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PduHeader {
    /// The PDU type.
    pub pdu_type: PduType,
    /// PDU-length: the bytes after this header.
    pub length: u32,
}

impl PduHeader {
    /// Parses the header. An unknown type is an error only once the whole header is there, so
    /// that a split header never changes the outcome.
    pub fn parse(input: &[u8]) -> Result<Parse<PduHeader>, ParseError> {
        let mut r = crate::codec::Reader::new(input);
        let (Some(ty), Some(_reserved), Some(length)) = (r.u8(), r.u8(), r.u32_be()) else {
            return Ok(Parse::Partial);
        };
        let pdu_type = PduType::from_u8(ty).ok_or(ParseError::UnrecognizedPdu(ty))?;
        Ok(Parse::Complete(
            PduHeader { pdu_type, length },
            PDU_HEADER_LEN,
        ))
    }

    /// Writes the header.
    pub(crate) fn write(
        self,
        w: &mut crate::codec::Writer<'_>,
    ) -> Result<(), crate::BufferTooSmall> {
        w.u8(self.pdu_type as u8)?;
        w.u8(0)?;
        w.u32_be(self.length)
    }
}

#[cfg(test)]
mod tests;
