//! The fixed-size PDUs: A-ASSOCIATE-RJ (03H), A-RELEASE-RQ (05H), A-RELEASE-RP (06H) and
//! A-ABORT (07H), each with a PDU-length of 4 (PS3.8 §9.3.4, §9.3.6-§9.3.8).

use super::{ParseError, PduHeader, PduType, PDU_HEADER_LEN};
use crate::codec::Writer;
use crate::BufferTooSmall;

/// PDU-length of every fixed-size PDU.
pub(crate) const FIXED_BODY_LEN: usize = 4;

fn emit_fixed(pdu_type: PduType, body: [u8; 4], buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
    let mut w = Writer::new(buf);
    PduHeader {
        pdu_type,
        length: FIXED_BODY_LEN as u32,
    }
    .write(&mut w)?;
    w.put(&body)?;
    Ok(PDU_HEADER_LEN + FIXED_BODY_LEN)
}

/// A-ASSOCIATE-RJ Result (PS3.8 Table 9-21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RejectResult {
    /// 1: rejected-permanent.
    Permanent,
    /// 2: rejected-transient.
    Transient,
}

/// A-ASSOCIATE-RJ Source (PS3.8 Table 9-21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RejectSource {
    /// 1: DICOM UL service-user.
    ServiceUser,
    /// 2: DICOM UL service-provider (ACSE related function).
    ServiceProviderAcse,
    /// 3: DICOM UL service-provider (Presentation related function).
    ServiceProviderPresentation,
}

/// A-ASSOCIATE-RJ Reason/Diag., whose meaning depends on the source (PS3.8 Table 9-21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RejectReason(pub u8);

impl RejectReason {
    /// 1, any source: no-reason-given.
    pub const NO_REASON_GIVEN: RejectReason = RejectReason(1);
    /// 2, service-user: application-context-name-not-supported.
    pub const APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: RejectReason = RejectReason(2);
    /// 3, service-user: calling-AE-title-not-recognized.
    pub const CALLING_AE_TITLE_NOT_RECOGNIZED: RejectReason = RejectReason(3);
    /// 7, service-user: called-AE-title-not-recognized.
    pub const CALLED_AE_TITLE_NOT_RECOGNIZED: RejectReason = RejectReason(7);
    /// 2, ACSE provider: protocol-version-not-supported.
    pub const PROTOCOL_VERSION_NOT_SUPPORTED: RejectReason = RejectReason(2);
    /// 1, presentation provider: temporary-congestion.
    pub const TEMPORARY_CONGESTION: RejectReason = RejectReason(1);
    /// 2, presentation provider: local-limit-exceeded.
    pub const LOCAL_LIMIT_EXCEEDED: RejectReason = RejectReason(2);
}

/// An A-ASSOCIATE-RJ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AssociateRj {
    /// Permanent or transient.
    pub result: RejectResult,
    /// Who rejected.
    pub source: RejectSource,
    /// Why, in the source's terms.
    pub reason: RejectReason,
}

impl AssociateRj {
    /// 1/1/7: the called AE title is not ours.
    pub const CALLED_AE_NOT_RECOGNIZED: AssociateRj = AssociateRj {
        result: RejectResult::Permanent,
        source: RejectSource::ServiceUser,
        reason: RejectReason::CALLED_AE_TITLE_NOT_RECOGNIZED,
    };
    /// 1/1/3: the calling AE title is not on the allow-list.
    pub const CALLING_AE_NOT_RECOGNIZED: AssociateRj = AssociateRj {
        result: RejectResult::Permanent,
        source: RejectSource::ServiceUser,
        reason: RejectReason::CALLING_AE_TITLE_NOT_RECOGNIZED,
    };
    /// 1/1/2: the application context is not DICOM's.
    pub const APPLICATION_CONTEXT_NOT_SUPPORTED: AssociateRj = AssociateRj {
        result: RejectResult::Permanent,
        source: RejectSource::ServiceUser,
        reason: RejectReason::APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
    };
    /// 1/1/1: the service user rejects without a reason (e.g. user identity not accepted).
    pub const USER_NO_REASON: AssociateRj = AssociateRj {
        result: RejectResult::Permanent,
        source: RejectSource::ServiceUser,
        reason: RejectReason::NO_REASON_GIVEN,
    };
    /// 1/2/2: protocol version 1 is not offered.
    pub const PROTOCOL_VERSION_NOT_SUPPORTED: AssociateRj = AssociateRj {
        result: RejectResult::Permanent,
        source: RejectSource::ServiceProviderAcse,
        reason: RejectReason::PROTOCOL_VERSION_NOT_SUPPORTED,
    };
    /// 1/2/1: the ACSE provider rejects a request it cannot accept (malformed contexts).
    pub const PROVIDER_NO_REASON: AssociateRj = AssociateRj {
        result: RejectResult::Permanent,
        source: RejectSource::ServiceProviderAcse,
        reason: RejectReason::NO_REASON_GIVEN,
    };
    /// 2/3/2: too many associations at once.
    pub const LOCAL_LIMIT_EXCEEDED: AssociateRj = AssociateRj {
        result: RejectResult::Transient,
        source: RejectSource::ServiceProviderPresentation,
        reason: RejectReason::LOCAL_LIMIT_EXCEEDED,
    };

    /// Parses the 4-byte body. Byte 7 is reserved and not tested; unknown result or source
    /// values are invalid parameters.
    pub fn parse_body(body: [u8; 4]) -> Result<AssociateRj, ParseError> {
        let [_, result, source, reason] = body;
        let result = match result {
            1 => RejectResult::Permanent,
            2 => RejectResult::Transient,
            _ => return Err(ParseError::InvalidValue),
        };
        let source = match source {
            1 => RejectSource::ServiceUser,
            2 => RejectSource::ServiceProviderAcse,
            3 => RejectSource::ServiceProviderPresentation,
            _ => return Err(ParseError::InvalidValue),
        };
        Ok(AssociateRj {
            result,
            source,
            reason: RejectReason(reason),
        })
    }

    /// Bytes the PDU takes.
    pub const fn buffer_len(&self) -> usize {
        PDU_HEADER_LEN + FIXED_BODY_LEN
    }

    /// Emits the PDU.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let result = match self.result {
            RejectResult::Permanent => 1,
            RejectResult::Transient => 2,
        };
        let source = match self.source {
            RejectSource::ServiceUser => 1,
            RejectSource::ServiceProviderAcse => 2,
            RejectSource::ServiceProviderPresentation => 3,
        };
        emit_fixed(
            PduType::AssociateRj,
            [0, result, source, self.reason.0],
            buf,
        )
    }

    /// The reason in the standard's words.
    pub const fn describe(&self) -> &'static str {
        match (self.source, self.reason.0) {
            (RejectSource::ServiceUser, 1) => "no reason given (service user)",
            (RejectSource::ServiceUser, 2) => "application context name not supported",
            (RejectSource::ServiceUser, 3) => "calling AE title not recognized",
            (RejectSource::ServiceUser, 7) => "called AE title not recognized",
            (RejectSource::ServiceProviderAcse, 1) => "no reason given (service provider)",
            (RejectSource::ServiceProviderAcse, 2) => "protocol version not supported",
            (RejectSource::ServiceProviderPresentation, 1) => "temporary congestion",
            (RejectSource::ServiceProviderPresentation, 2) => "local limit exceeded",
            _ => "reserved reason",
        }
    }
}

/// A-RELEASE-RQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReleaseRq;

impl ReleaseRq {
    /// Bytes the PDU takes.
    pub const fn buffer_len(&self) -> usize {
        PDU_HEADER_LEN + FIXED_BODY_LEN
    }
    /// Emits the PDU.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        emit_fixed(PduType::ReleaseRq, [0; 4], buf)
    }
}

/// A-RELEASE-RP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReleaseRp;

impl ReleaseRp {
    /// Bytes the PDU takes.
    pub const fn buffer_len(&self) -> usize {
        PDU_HEADER_LEN + FIXED_BODY_LEN
    }
    /// Emits the PDU.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        emit_fixed(PduType::ReleaseRp, [0; 4], buf)
    }
}

/// A-ABORT Source (PS3.8 Table 9-26).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AbortSource {
    /// 0: DICOM UL service-user (initiated abort).
    ServiceUser,
    /// 1: reserved.
    Reserved,
    /// 2: DICOM UL service-provider (initiated abort).
    ServiceProvider,
    /// Any other value, kept as received (an abort is never refused).
    Other(u8),
}

/// A-ABORT Reason/Diag. (PS3.8 Table 9-26); significant only when the source is the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AbortReason {
    /// 0: reason-not-specified.
    NotSpecified,
    /// 1: unrecognized-PDU.
    UnrecognizedPdu,
    /// 2: unexpected-PDU.
    UnexpectedPdu,
    /// 4: unrecognized-PDU parameter.
    UnrecognizedPduParameter,
    /// 5: unexpected-PDU parameter.
    UnexpectedPduParameter,
    /// 6: invalid-PDU-parameter value.
    InvalidPduParameterValue,
    /// 3 (reserved) or any other value, kept as received.
    Other(u8),
}

impl AbortReason {
    const fn to_u8(self) -> u8 {
        match self {
            AbortReason::NotSpecified => 0,
            AbortReason::UnrecognizedPdu => 1,
            AbortReason::UnexpectedPdu => 2,
            AbortReason::UnrecognizedPduParameter => 4,
            AbortReason::UnexpectedPduParameter => 5,
            AbortReason::InvalidPduParameterValue => 6,
            AbortReason::Other(b) => b,
        }
    }

    const fn from_u8(b: u8) -> Self {
        match b {
            0 => AbortReason::NotSpecified,
            1 => AbortReason::UnrecognizedPdu,
            2 => AbortReason::UnexpectedPdu,
            4 => AbortReason::UnrecognizedPduParameter,
            5 => AbortReason::UnexpectedPduParameter,
            6 => AbortReason::InvalidPduParameterValue,
            other => AbortReason::Other(other),
        }
    }

    /// The standard's words.
    pub const fn describe(self) -> &'static str {
        match self {
            AbortReason::NotSpecified => "reason not specified",
            AbortReason::UnrecognizedPdu => "unrecognized PDU",
            AbortReason::UnexpectedPdu => "unexpected PDU",
            AbortReason::UnrecognizedPduParameter => "unrecognized PDU parameter",
            AbortReason::UnexpectedPduParameter => "unexpected PDU parameter",
            AbortReason::InvalidPduParameterValue => "invalid PDU parameter value",
            AbortReason::Other(_) => "reserved reason",
        }
    }
}

/// An A-ABORT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Abort {
    /// Who aborted.
    pub source: AbortSource,
    /// Why (provider aborts only).
    pub reason: AbortReason,
}

impl core::fmt::Display for Abort {
    /// The source, and for the service provider the reason, in the standard's words
    /// (PS3.8 Table 9-26).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.source {
            AbortSource::ServiceUser => f.write_str("service-user"),
            AbortSource::ServiceProvider => {
                write!(f, "service-provider: {}", self.reason.describe())
            }
            _ => write!(f, "reserved source: {}", self.reason.describe()),
        }
    }
}

impl Abort {
    /// An abort by the service user: reason not significant, sent as 0.
    pub const USER: Abort = Abort {
        source: AbortSource::ServiceUser,
        reason: AbortReason::NotSpecified,
    };

    /// An abort by the service provider for `reason`.
    pub const fn provider(reason: AbortReason) -> Abort {
        Abort {
            source: AbortSource::ServiceProvider,
            reason,
        }
    }

    /// Parses the 4-byte body; bytes 7-8 are reserved and not tested. Never fails: an abort
    /// with odd values is still an abort.
    pub fn parse_body(body: [u8; 4]) -> Abort {
        let [_, _, source, reason] = body;
        let source = match source {
            0 => AbortSource::ServiceUser,
            1 => AbortSource::Reserved,
            2 => AbortSource::ServiceProvider,
            other => AbortSource::Other(other),
        };
        Abort {
            source,
            reason: AbortReason::from_u8(reason),
        }
    }

    /// Bytes the PDU takes.
    pub const fn buffer_len(&self) -> usize {
        PDU_HEADER_LEN + FIXED_BODY_LEN
    }

    /// Emits the PDU.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let source = match self.source {
            AbortSource::ServiceUser => 0,
            AbortSource::Reserved => 1,
            AbortSource::ServiceProvider => 2,
            AbortSource::Other(b) => b,
        };
        emit_fixed(PduType::Abort, [0, 0, source, self.reason.to_u8()], buf)
    }
}
