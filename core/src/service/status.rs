//! DIMSE status codes (PS3.7 Annex C): their category, their name, and which optional command
//! elements may go with each in a response.

/// The class of a status code (PS3.7 Annex C, the table of status classes).
///
/// The category decides whether a data set may follow the response: only with
/// [`Success`](StatusCategory::Success) or [`Warning`](StatusCategory::Warning), a warning
/// being a success with reservations (PS3.7 §10.1.2.1.8: the Attribute List "shall be
/// included in the success response/confirmation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum StatusCategory {
    /// 0000H.
    Success,
    /// 0001H, Bxxx, 0107H and 0116H.
    Warning,
    /// Axxx, Cxxx, 01xx and 02xx except the warnings, and any code outside the table.
    Failure,
    /// FE00H: the operation was cancelled at the requestor's request.
    Cancel,
    /// FF00H and FF01H: more responses follow (C-FIND, C-GET, C-MOVE).
    Pending,
}

impl StatusCategory {
    /// The category PS3.7 Annex C gives `code`.
    ///
    /// Codes the table does not list are failures. Annex C says "Implementations shall not use
    /// Status Codes with values not listed in the table", so such a code is a broken or newer
    /// peer; reading it as a failure is the one choice that never makes a receiver trust a
    /// data set or a result the sender did not vouch for.
    pub const fn of(code: u16) -> Self {
        match code {
            0x0000 => StatusCategory::Success,
            0x0001 | 0x0107 | 0x0116 | 0xB000..=0xBFFF => StatusCategory::Warning,
            0xFE00 => StatusCategory::Cancel,
            0xFF00 | 0xFF01 => StatusCategory::Pending,
            _ => StatusCategory::Failure,
        }
    }

    /// Whether a response with this status may carry a data set (the N-GET Attribute List is
    /// conditional on success, PS3.7 §10.1.2.1.8; warnings are partial successes).
    pub const fn is_success_or_warning(self) -> bool {
        matches!(self, StatusCategory::Success | StatusCategory::Warning)
    }
}

/// The status codes PS3.7 Annex C defines for every service, by name.
///
/// 01xx and 02xx are "reserved for assignment by DICOM Standard" and no service class may
/// redefine them, so these meanings hold whatever the SOP class.
pub mod code {
    /// Success (C.1.1).
    pub const SUCCESS: u16 = 0x0000;
    /// No such attribute (C.5.17): failure.
    pub const NO_SUCH_ATTRIBUTE: u16 = 0x0105;
    /// Invalid attribute value (C.5.11): failure.
    pub const INVALID_ATTRIBUTE_VALUE: u16 = 0x0106;
    /// Attribute list error (C.4.2): warning; one or more requested attributes were not
    /// recognized, the others are returned.
    pub const ATTRIBUTE_LIST_ERROR: u16 = 0x0107;
    /// Processing failure (C.5.21): failure.
    pub const PROCESSING_FAILURE: u16 = 0x0110;
    /// Duplicate SOP instance (C.5.8): failure.
    pub const DUPLICATE_SOP_INSTANCE: u16 = 0x0111;
    /// No such SOP instance (C.5.19): failure.
    pub const NO_SUCH_SOP_INSTANCE: u16 = 0x0112;
    /// No such event type (C.5.18): failure.
    pub const NO_SUCH_EVENT_TYPE: u16 = 0x0113;
    /// No such argument (C.5.16): failure.
    pub const NO_SUCH_ARGUMENT: u16 = 0x0114;
    /// Invalid argument value (C.5.10): failure.
    pub const INVALID_ARGUMENT_VALUE: u16 = 0x0115;
    /// Attribute value out of range (C.4.3): warning.
    pub const ATTRIBUTE_VALUE_OUT_OF_RANGE: u16 = 0x0116;
    /// Invalid SOP instance (C.5.12): failure; the UID breaks the UID construction rules.
    pub const INVALID_SOP_INSTANCE: u16 = 0x0117;
    /// No such SOP class (C.5.20): failure.
    pub const NO_SUCH_SOP_CLASS: u16 = 0x0118;
    /// Class-instance conflict (C.5.7): failure.
    pub const CLASS_INSTANCE_CONFLICT: u16 = 0x0119;
    /// Missing attribute (C.5.13): failure.
    pub const MISSING_ATTRIBUTE: u16 = 0x0120;
    /// Missing attribute value (C.5.14): failure.
    pub const MISSING_ATTRIBUTE_VALUE: u16 = 0x0121;
    /// Refused: SOP class not supported (C.5.6): failure.
    pub const SOP_CLASS_NOT_SUPPORTED: u16 = 0x0122;
    /// No such action type (C.5.24): failure.
    pub const NO_SUCH_ACTION_TYPE: u16 = 0x0123;
    /// Refused: not authorized (C.5.25): failure.
    pub const NOT_AUTHORIZED: u16 = 0x0124;
    /// Duplicate invocation (C.5.9): failure; the Message ID is already outstanding.
    pub const DUPLICATE_INVOCATION: u16 = 0x0210;
    /// Unrecognized operation (C.5.23): failure.
    pub const UNRECOGNIZED_OPERATION: u16 = 0x0211;
    /// Mistyped argument (C.5.15): failure.
    pub const MISTYPED_ARGUMENT: u16 = 0x0212;
    /// Resource limitation (C.5.22): failure.
    pub const RESOURCE_LIMITATION: u16 = 0x0213;
    /// Cancel (C.3.1).
    pub const CANCEL: u16 = 0xFE00;
    /// Pending (C.2.1).
    pub const PENDING: u16 = 0xFF00;
    /// Pending, with a warning (C.2.1; in C-FIND, "optional keys were not supported").
    pub const PENDING_WARNING: u16 = 0xFF01;
}

/// The PS3.7 Annex C name of `code`, or the name of its range for service-specific codes.
///
/// A SOP class may give a service-specific code a more precise meaning;
/// [`SopClass::meaning`](super::SopClass::meaning) looks there first.
pub const fn meaning(code: u16) -> &'static str {
    match code {
        code::SUCCESS => "Success",
        0x0001 => "Warning (service-specific)",
        code::NO_SUCH_ATTRIBUTE => "No such attribute",
        code::INVALID_ATTRIBUTE_VALUE => "Invalid attribute value",
        code::ATTRIBUTE_LIST_ERROR => "Attribute list error",
        code::PROCESSING_FAILURE => "Processing failure",
        code::DUPLICATE_SOP_INSTANCE => "Duplicate SOP instance",
        code::NO_SUCH_SOP_INSTANCE => "No such SOP instance",
        code::NO_SUCH_EVENT_TYPE => "No such event type",
        code::NO_SUCH_ARGUMENT => "No such argument",
        code::INVALID_ARGUMENT_VALUE => "Invalid argument value",
        code::ATTRIBUTE_VALUE_OUT_OF_RANGE => "Attribute value out of range",
        code::INVALID_SOP_INSTANCE => "Invalid SOP instance",
        code::NO_SUCH_SOP_CLASS => "No such SOP class",
        code::CLASS_INSTANCE_CONFLICT => "Class-instance conflict",
        code::MISSING_ATTRIBUTE => "Missing attribute",
        code::MISSING_ATTRIBUTE_VALUE => "Missing attribute value",
        code::SOP_CLASS_NOT_SUPPORTED => "Refused: SOP class not supported",
        code::NO_SUCH_ACTION_TYPE => "No such action type",
        code::NOT_AUTHORIZED => "Refused: not authorized",
        code::DUPLICATE_INVOCATION => "Duplicate invocation",
        code::UNRECOGNIZED_OPERATION => "Unrecognized operation",
        code::MISTYPED_ARGUMENT => "Mistyped argument",
        code::RESOURCE_LIMITATION => "Resource limitation",
        code::CANCEL => "Cancel",
        code::PENDING => "Pending",
        code::PENDING_WARNING => "Pending (warning)",
        0xA000..=0xAFFF => "Error: data set does not match SOP class",
        0xB000..=0xBFFF => "Warning (service-specific)",
        0xC000..=0xCFFF => "Error: cannot understand",
        _ => "Unknown status",
    }
}

/// Which of the optional, status-dependent command elements PS3.7 Annex C allows in a
/// response with a given status.
///
/// Affected SOP Class UID (0000,0002) and Affected SOP Instance UID (0000,1000) are left out:
/// Annex C names them for some statuses, but the N-GET-RSP carries them anyway (PS3.7
/// Table 10.3-4) and they are always copied from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AllowedElements {
    /// Error Comment (0000,0902), LO.
    pub error_comment: bool,
    /// Error ID (0000,0903), US.
    pub error_id: bool,
    /// Attribute Identifier List (0000,1005), AT 1-n.
    pub attribute_identifier_list: bool,
    /// Offending Element (0000,0901), AT 1-n.
    pub offending_element: bool,
}

const NONE: AllowedElements = AllowedElements {
    error_comment: false,
    error_id: false,
    attribute_identifier_list: false,
    offending_element: false,
};

const IDENTIFIER_LIST: AllowedElements = AllowedElements {
    attribute_identifier_list: true,
    ..NONE
};

const COMMENT: AllowedElements = AllowedElements {
    error_comment: true,
    ..NONE
};

const COMMENT_AND_OFFENDING: AllowedElements = AllowedElements {
    error_comment: true,
    offending_element: true,
    ..NONE
};

/// The optional command elements PS3.7 Annex C allows with `code`.
///
/// A response builder sends only these, so that a caller cannot attach, say, an Error ID to
/// anything but a processing failure.
pub const fn allowed_elements(code: u16) -> AllowedElements {
    match code {
        // C.1.1 Success, C.3.1 Cancel, C.2.1 Pending: the Status alone.
        code::SUCCESS | code::CANCEL | code::PENDING | code::PENDING_WARNING => NONE,
        // C.5.9, C.5.23, C.5.15, C.5.22: Duplicate invocation, Unrecognized operation,
        // Mistyped argument and Resource limitation carry nothing but the Status.
        code::DUPLICATE_INVOCATION
        | code::UNRECOGNIZED_OPERATION
        | code::MISTYPED_ARGUMENT
        | code::RESOURCE_LIMITATION => NONE,
        // C.5.19, C.5.12, C.5.20, C.5.7, C.5.8: only the Affected SOP Class / Instance UID,
        // which the response carries anyway.
        code::NO_SUCH_SOP_INSTANCE
        | code::INVALID_SOP_INSTANCE
        | code::NO_SUCH_SOP_CLASS
        | code::CLASS_INSTANCE_CONFLICT
        | code::DUPLICATE_SOP_INSTANCE => NONE,
        // C.5.10, C.5.18, C.5.16, C.5.24: the Affected SOP Class / Instance UID plus an Event
        // Type ID or Action Type ID, which belong to N-EVENT-REPORT and N-ACTION responses,
        // not to these four elements.
        code::INVALID_ARGUMENT_VALUE
        | code::NO_SUCH_EVENT_TYPE
        | code::NO_SUCH_ARGUMENT
        | code::NO_SUCH_ACTION_TYPE => NONE,
        // C.4.3, C.5.11, C.5.14: the extra is a Modification List / Attribute List, which is
        // a data set, not a command element.
        code::ATTRIBUTE_VALUE_OUT_OF_RANGE
        | code::INVALID_ATTRIBUTE_VALUE
        | code::MISSING_ATTRIBUTE_VALUE => NONE,
        // C.4.2 Attribute list error: "an Attribute Tag for each Attribute that was not
        // recognized".
        code::ATTRIBUTE_LIST_ERROR => IDENTIFIER_LIST,
        // C.5.17 No such attribute, C.5.13 Missing attribute: the tags concerned.
        code::NO_SUCH_ATTRIBUTE | code::MISSING_ATTRIBUTE => IDENTIFIER_LIST,
        // C.5.21 Processing failure: the only status with an Error ID.
        code::PROCESSING_FAILURE => AllowedElements {
            error_comment: true,
            error_id: true,
            ..NONE
        },
        // C.5.6 Refused: SOP class not supported, C.5.25 Refused: not authorized.
        code::SOP_CLASS_NOT_SUPPORTED | code::NOT_AUTHORIZED => COMMENT,
        // C.4.1 Warning (0001H, Bxxx), C.5.2 Data set does not match SOP class (Axxx),
        // C.5.1 Cannot understand (Cxxx), C.5.3 Failed (any other service-specific code).
        // Service-specific refusals such as C.5.4 / C.5.5 (Move destination unknown, Out of
        // resources) allow only an Error Comment, but they cannot be told apart by code
        // without the service class, so the wider generic set applies.
        _ => COMMENT_AND_OFFENDING,
    }
}

#[cfg(test)]
mod tests {
    use super::code::*;
    use super::*;

    const ALL: [(u16, StatusCategory); 27] = {
        use StatusCategory::*;
        [
            (SUCCESS, Success),
            (NO_SUCH_ATTRIBUTE, Failure),
            (INVALID_ATTRIBUTE_VALUE, Failure),
            (ATTRIBUTE_LIST_ERROR, Warning),
            (PROCESSING_FAILURE, Failure),
            (DUPLICATE_SOP_INSTANCE, Failure),
            (NO_SUCH_SOP_INSTANCE, Failure),
            (NO_SUCH_EVENT_TYPE, Failure),
            (NO_SUCH_ARGUMENT, Failure),
            (INVALID_ARGUMENT_VALUE, Failure),
            (ATTRIBUTE_VALUE_OUT_OF_RANGE, Warning),
            (INVALID_SOP_INSTANCE, Failure),
            (NO_SUCH_SOP_CLASS, Failure),
            (CLASS_INSTANCE_CONFLICT, Failure),
            (MISSING_ATTRIBUTE, Failure),
            (MISSING_ATTRIBUTE_VALUE, Failure),
            (SOP_CLASS_NOT_SUPPORTED, Failure),
            (NO_SUCH_ACTION_TYPE, Failure),
            (NOT_AUTHORIZED, Failure),
            (DUPLICATE_INVOCATION, Failure),
            (UNRECOGNIZED_OPERATION, Failure),
            (MISTYPED_ARGUMENT, Failure),
            (RESOURCE_LIMITATION, Failure),
            (CANCEL, Cancel),
            (PENDING, Pending),
            (PENDING_WARNING, Pending),
            (0x0001, Warning),
        ]
    };

    #[test]
    fn every_constant_has_its_annex_c_category() {
        for (code, category) in ALL {
            assert_eq!(StatusCategory::of(code), category, "{code:04X}");
        }
    }

    #[test]
    fn constants_have_the_annex_c_values() {
        let values = [
            (SUCCESS, 0x0000),
            (NO_SUCH_ATTRIBUTE, 0x0105),
            (INVALID_ATTRIBUTE_VALUE, 0x0106),
            (ATTRIBUTE_LIST_ERROR, 0x0107),
            (PROCESSING_FAILURE, 0x0110),
            (DUPLICATE_SOP_INSTANCE, 0x0111),
            (NO_SUCH_SOP_INSTANCE, 0x0112),
            (NO_SUCH_EVENT_TYPE, 0x0113),
            (NO_SUCH_ARGUMENT, 0x0114),
            (INVALID_ARGUMENT_VALUE, 0x0115),
            (ATTRIBUTE_VALUE_OUT_OF_RANGE, 0x0116),
            (INVALID_SOP_INSTANCE, 0x0117),
            (NO_SUCH_SOP_CLASS, 0x0118),
            (CLASS_INSTANCE_CONFLICT, 0x0119),
            (MISSING_ATTRIBUTE, 0x0120),
            (MISSING_ATTRIBUTE_VALUE, 0x0121),
            (SOP_CLASS_NOT_SUPPORTED, 0x0122),
            (NO_SUCH_ACTION_TYPE, 0x0123),
            (NOT_AUTHORIZED, 0x0124),
            (DUPLICATE_INVOCATION, 0x0210),
            (UNRECOGNIZED_OPERATION, 0x0211),
            (MISTYPED_ARGUMENT, 0x0212),
            (RESOURCE_LIMITATION, 0x0213),
            (CANCEL, 0xFE00),
            (PENDING, 0xFF00),
            (PENDING_WARNING, 0xFF01),
        ];
        for (constant, value) in values {
            assert_eq!(constant, value);
        }
    }

    #[test]
    fn ranges_at_their_edges() {
        use StatusCategory::*;
        let cases = [
            (0x0002, Failure),
            (0x0106, Failure),
            (0x0107, Warning),
            (0x0108, Failure),
            (0x0115, Failure),
            (0x0116, Warning),
            (0x0117, Failure),
            (0x01FF, Failure),
            (0x0200, Failure),
            (0x02FF, Failure),
            (0x9FFF, Failure),
            (0xA000, Failure),
            (0xAFFF, Failure),
            (0xB000, Warning),
            (0xBFFF, Warning),
            (0xC000, Failure),
            (0xCFFF, Failure),
            (0xD000, Failure),
            (0xFDFF, Failure),
            (0xFE00, Cancel),
            (0xFE01, Failure),
            (0xFEFF, Failure),
            (0xFF00, Pending),
            (0xFF01, Pending),
            (0xFF02, Failure),
            (0xFFFF, Failure),
        ];
        for (code, category) in cases {
            assert_eq!(StatusCategory::of(code), category, "{code:04X}");
        }
    }

    #[test]
    fn only_success_and_warning_carry_a_data_set() {
        use StatusCategory::*;
        assert!(Success.is_success_or_warning());
        assert!(Warning.is_success_or_warning());
        assert!(!Failure.is_success_or_warning());
        assert!(!Cancel.is_success_or_warning());
        assert!(!Pending.is_success_or_warning());
    }

    #[test]
    fn meanings() {
        assert_eq!(meaning(SUCCESS), "Success");
        assert_eq!(meaning(ATTRIBUTE_LIST_ERROR), "Attribute list error");
        assert_eq!(meaning(PROCESSING_FAILURE), "Processing failure");
        assert_eq!(
            meaning(SOP_CLASS_NOT_SUPPORTED),
            "Refused: SOP class not supported"
        );
        assert_eq!(meaning(0x0001), "Warning (service-specific)");
        assert_eq!(meaning(0xB000), "Warning (service-specific)");
        assert_eq!(meaning(0xBFFF), "Warning (service-specific)");
        assert_eq!(meaning(0xA000), "Error: data set does not match SOP class");
        assert_eq!(meaning(0xAFFF), "Error: data set does not match SOP class");
        assert_eq!(meaning(0xC000), "Error: cannot understand");
        assert_eq!(meaning(0xCFFF), "Error: cannot understand");
        assert_eq!(meaning(0x0108), "Unknown status");
        assert_eq!(meaning(0xD000), "Unknown status");
        assert_eq!(meaning(0xFF02), "Unknown status");
        // Every Annex C constant has a name of its own.
        for (code, _) in ALL {
            assert_ne!(meaning(code), "Unknown status", "{code:04X}");
        }
    }

    #[test]
    fn allowed_elements_per_annex_c() {
        let identifier_list = AllowedElements {
            attribute_identifier_list: true,
            ..AllowedElements::default()
        };
        let comment = AllowedElements {
            error_comment: true,
            ..AllowedElements::default()
        };
        let comment_and_id = AllowedElements {
            error_comment: true,
            error_id: true,
            ..AllowedElements::default()
        };
        let comment_and_offending = AllowedElements {
            error_comment: true,
            offending_element: true,
            ..AllowedElements::default()
        };
        let none = AllowedElements::default();
        let cases = [
            (SUCCESS, none),
            (DUPLICATE_INVOCATION, none),
            (UNRECOGNIZED_OPERATION, none),
            (MISTYPED_ARGUMENT, none),
            (RESOURCE_LIMITATION, none),
            (NO_SUCH_SOP_INSTANCE, none),
            (INVALID_SOP_INSTANCE, none),
            (NO_SUCH_SOP_CLASS, none),
            (CLASS_INSTANCE_CONFLICT, none),
            (DUPLICATE_SOP_INSTANCE, none),
            (INVALID_ARGUMENT_VALUE, none),
            (NO_SUCH_EVENT_TYPE, none),
            (NO_SUCH_ARGUMENT, none),
            (NO_SUCH_ACTION_TYPE, none),
            (CANCEL, none),
            (PENDING, none),
            (PENDING_WARNING, none),
            (ATTRIBUTE_VALUE_OUT_OF_RANGE, none),
            (INVALID_ATTRIBUTE_VALUE, none),
            (MISSING_ATTRIBUTE_VALUE, none),
            (ATTRIBUTE_LIST_ERROR, identifier_list),
            (NO_SUCH_ATTRIBUTE, identifier_list),
            (MISSING_ATTRIBUTE, identifier_list),
            (PROCESSING_FAILURE, comment_and_id),
            (SOP_CLASS_NOT_SUPPORTED, comment),
            (NOT_AUTHORIZED, comment),
            (0x0001, comment_and_offending),
            (0xB000, comment_and_offending),
            (0xBFFF, comment_and_offending),
            (0xA000, comment_and_offending),
            (0xAFFF, comment_and_offending),
            (0xC000, comment_and_offending),
            (0xC307, comment_and_offending),
            (0xCFFF, comment_and_offending),
            (0x0108, comment_and_offending),
            (0xFF02, comment_and_offending),
        ];
        for (code, allowed) in cases {
            assert_eq!(allowed_elements(code), allowed, "{code:04X}");
        }
    }
}
