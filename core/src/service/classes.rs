//! The SOP classes whose instances are commonly read with N-GET, their well-known instances,
//! their service-specific status codes, and the meta SOP classes that can carry them.
//!
//! Every UID here was checked against pydicom 3.0.2's UID registry (PS3.6 Annex A); the test
//! `uids_match_the_pydicom_registry` holds the pairs.

use super::status::StatusCategory;
use super::{Operation, Operations};

/// The operations of a class whose service group includes N-GET (as far as the core goes).
const N_GET: Operations = Operations::NONE.with(Operation::NGet);

/// RT Conventional Machine Verification's operations; in this crate's tests also N-DELETE,
/// the test-only row of the operation table (its service group has N-DELETE, PS3.4 Annex DD).
#[cfg(not(test))]
const RT_MACHINE_VERIFICATION: Operations = N_GET;
#[cfg(test)]
const RT_MACHINE_VERIFICATION: Operations = N_GET.with(Operation::NDelete);

/// Display System SOP Class (PS3.4 EE.2.3).
pub const DISPLAY_SYSTEM: &str = "1.2.840.10008.5.1.1.40";
/// Display System SOP Instance, the well-known instance of [`DISPLAY_SYSTEM`] (PS3.4 EE.2.4).
pub const DISPLAY_SYSTEM_INSTANCE: &str = "1.2.840.10008.5.1.1.40.1";
/// Verification SOP Class (PS3.4 Annex A): C-ECHO only.
pub const VERIFICATION: &str = "1.2.840.10008.1.1";
/// Modality Performed Procedure Step Retrieve SOP Class (PS3.4 Annex F).
pub const MPPS_RETRIEVE: &str = "1.2.840.10008.3.1.2.3.4";
/// Printer SOP Class (PS3.4 H.4.6).
pub const PRINTER: &str = "1.2.840.10008.5.1.1.16";
/// Printer SOP Instance, the well-known instance of [`PRINTER`].
pub const PRINTER_INSTANCE: &str = "1.2.840.10008.5.1.1.17";
/// Printer Configuration Retrieval SOP Class (PS3.4 H.4.11).
pub const PRINTER_CONFIGURATION_RETRIEVAL: &str = "1.2.840.10008.5.1.1.16.376";
/// Printer Configuration Retrieval SOP Instance, the well-known instance of
/// [`PRINTER_CONFIGURATION_RETRIEVAL`].
pub const PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE: &str = "1.2.840.10008.5.1.1.17.376";
/// Print Job SOP Class (PS3.4 H.4.5).
pub const PRINT_JOB: &str = "1.2.840.10008.5.1.1.14";
/// Media Creation Management SOP Class (PS3.4 Annex S).
pub const MEDIA_CREATION_MANAGEMENT: &str = "1.2.840.10008.5.1.1.33";
/// Unified Procedure Step - Push SOP Class (PS3.4 Annex CC).
pub const UPS_PUSH: &str = "1.2.840.10008.5.1.4.34.6.1";
/// Unified Procedure Step - Pull SOP Class (PS3.4 Annex CC).
pub const UPS_PULL: &str = "1.2.840.10008.5.1.4.34.6.3";
/// Unified Procedure Step - Watch SOP Class (PS3.4 Annex CC).
pub const UPS_WATCH: &str = "1.2.840.10008.5.1.4.34.6.2";
/// Unified Procedure Step - Event SOP Class (PS3.4 Annex CC).
pub const UPS_EVENT: &str = "1.2.840.10008.5.1.4.34.6.4";
/// Unified Procedure Step - Query SOP Class (PS3.4 Annex CC).
pub const UPS_QUERY: &str = "1.2.840.10008.5.1.4.34.6.5";
/// RT Conventional Machine Verification SOP Class (PS3.4 Annex DD).
pub const RT_CONVENTIONAL_MACHINE_VERIFICATION: &str = "1.2.840.10008.5.1.4.34.8";
/// RT Ion Machine Verification SOP Class (PS3.4 Annex DD).
pub const RT_ION_MACHINE_VERIFICATION: &str = "1.2.840.10008.5.1.4.34.9";
/// Basic Grayscale Print Management Meta SOP Class (PS3.4 H.3.2.2.1).
pub const BASIC_GRAYSCALE_PRINT_MANAGEMENT_META: &str = "1.2.840.10008.5.1.1.9";
/// Basic Color Print Management Meta SOP Class (PS3.4 H.3.2.2.2).
pub const BASIC_COLOR_PRINT_MANAGEMENT_META: &str = "1.2.840.10008.5.1.1.18";

// Members of the print meta SOP classes that this crate never serves itself; they are here
// only so that the meta classes' member lists are complete.
const BASIC_FILM_SESSION: &str = "1.2.840.10008.5.1.1.1";
const BASIC_FILM_BOX: &str = "1.2.840.10008.5.1.1.2";
const BASIC_GRAYSCALE_IMAGE_BOX: &str = "1.2.840.10008.5.1.1.4";
const BASIC_COLOR_IMAGE_BOX: &str = "1.2.840.10008.5.1.1.4.1";

/// A status code that a service class defines for itself, on top of PS3.7 Annex C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ServiceStatus {
    /// The code, as sent in Status (0000,0900).
    pub code: u16,
    /// Its class. The service class cannot move a code out of the Annex C range it falls in,
    /// so this always equals [`StatusCategory::of`]; it is kept so that a table row reads
    /// whole.
    pub category: StatusCategory,
    /// The service class's text for it.
    pub meaning: &'static str,
}

/// One SOP class, as the N-GET service sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SopClass {
    /// The SOP Class UID.
    pub uid: &'static str,
    /// The name PS3.6 Annex A gives it.
    pub name: &'static str,
    /// The well-known SOP instance an N-GET on this class names, when the class has one: the
    /// SCU does not discover it, the standard fixes it.
    pub well_known_instance: Option<&'static str>,
    /// The operations of the class's DIMSE service group that the core carries. A request
    /// for another names an operation the class does not define (0211H, Unrecognized
    /// operation).
    pub operations: Operations,
    /// The service-specific status codes the class defines for N-GET.
    pub statuses: &'static [ServiceStatus],
}

impl SopClass {
    /// The category of `code` in this class: the class's own table first, then PS3.7 Annex C.
    pub fn category(&self, code: u16) -> StatusCategory {
        match self.status(code) {
            Some(s) => s.category,
            None => StatusCategory::of(code),
        }
    }

    /// The meaning of `code` in this class: the class's own table first, then PS3.7 Annex C
    /// ([`meaning`](super::meaning)).
    pub fn meaning(&self, code: u16) -> &'static str {
        match self.status(code) {
            Some(s) => s.meaning,
            None => super::status::meaning(code),
        }
    }

    fn status(&self, code: u16) -> Option<&'static ServiceStatus> {
        self.statuses.iter().find(|s| s.code == code)
    }
}

// PS3.4 F (MPPS Retrieve) and S (Media Creation): the SCP does not return every optional
// attribute requested. Codes and texts of this and the next two tables are as pynetdicom 3.0.4
// gives them (`status.py`, and the `_n_get_scp` docstring in `service_class.py`).
const OPTIONAL_ATTRIBUTES_NOT_SUPPORTED: &[ServiceStatus] = &[ServiceStatus {
    code: 0x0001,
    category: StatusCategory::Warning,
    meaning: "Requested optional Attributes are not supported",
}];

// PS3.4 DD: the N-GET names a Machine Verification instance the SCP does not hold.
const MACHINE_VERIFICATION_NOT_FOUND: &[ServiceStatus] = &[ServiceStatus {
    code: 0xC112,
    category: StatusCategory::Failure,
    meaning: "Applicable Machine Verification Instance not found",
}];

// PS3.4 CC: the N-GET names an instance that is not a UPS this SCP manages.
const UPS_NOT_FOUND: &[ServiceStatus] = &[ServiceStatus {
    code: 0xC307,
    category: StatusCategory::Failure,
    meaning:
        "Specified SOP Instance UID doesn't exist or is not a UPS Instance managed by this SCP",
}];

/// The SOP classes known to the N-GET service.
///
/// N-GET usage follows each class's DIMSE service group in PS3.4 (EE, F, H.4, S, CC, DD), as
/// pynetdicom 3.0.4's service-class documentation summarises it; the service-specific statuses
/// are the ones pynetdicom lists for N-GET.
///
/// Verification, UPS Event and UPS Query are listed so that an N-GET naming them is known to
/// be an unsupported operation rather than an unknown class.
pub static SOP_CLASSES: &[SopClass] = &[
    SopClass {
        uid: DISPLAY_SYSTEM,
        name: "Display System SOP Class",
        well_known_instance: Some(DISPLAY_SYSTEM_INSTANCE),
        operations: N_GET,
        // PS3.4 EE.2.2.1.3 defines no statuses of its own.
        statuses: &[],
    },
    SopClass {
        uid: MPPS_RETRIEVE,
        name: "Modality Performed Procedure Step Retrieve SOP Class",
        well_known_instance: None,
        operations: N_GET,
        statuses: OPTIONAL_ATTRIBUTES_NOT_SUPPORTED,
    },
    SopClass {
        uid: PRINTER,
        name: "Printer SOP Class",
        well_known_instance: Some(PRINTER_INSTANCE),
        operations: N_GET,
        statuses: &[],
    },
    SopClass {
        uid: PRINTER_CONFIGURATION_RETRIEVAL,
        name: "Printer Configuration Retrieval SOP Class",
        well_known_instance: Some(PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE),
        operations: N_GET,
        statuses: &[],
    },
    SopClass {
        uid: PRINT_JOB,
        name: "Print Job SOP Class",
        // Print Job instances are created by the SCP for each print request (N-ACTION on a
        // film session); none is well known.
        well_known_instance: None,
        operations: N_GET,
        statuses: &[],
    },
    SopClass {
        uid: MEDIA_CREATION_MANAGEMENT,
        // PS3.6 and pydicom call it "Media Creation Management SOP Class UID"; the trailing
        // "UID" is a slip in the registry, not part of the name.
        name: "Media Creation Management SOP Class",
        well_known_instance: None,
        operations: N_GET,
        statuses: OPTIONAL_ATTRIBUTES_NOT_SUPPORTED,
    },
    SopClass {
        uid: UPS_PUSH,
        name: "Unified Procedure Step - Push SOP Class",
        well_known_instance: None,
        operations: N_GET,
        statuses: UPS_NOT_FOUND,
    },
    SopClass {
        uid: UPS_PULL,
        name: "Unified Procedure Step - Pull SOP Class",
        well_known_instance: None,
        operations: N_GET,
        statuses: UPS_NOT_FOUND,
    },
    SopClass {
        uid: UPS_WATCH,
        name: "Unified Procedure Step - Watch SOP Class",
        // The UPS Global Subscription instances (1.2.840.10008.5.1.4.34.5 and .5.1) are
        // well-known instances of this class, but only as targets of the N-ACTION that
        // subscribes or unsubscribes; an N-GET always names an actual UPS instance. Listing
        // them here would make an N-GET on them look valid.
        well_known_instance: None,
        operations: N_GET,
        statuses: UPS_NOT_FOUND,
    },
    SopClass {
        uid: UPS_EVENT,
        name: "Unified Procedure Step - Event SOP Class",
        well_known_instance: None,
        operations: Operations::NONE,
        statuses: UPS_NOT_FOUND,
    },
    SopClass {
        uid: UPS_QUERY,
        name: "Unified Procedure Step - Query SOP Class",
        well_known_instance: None,
        operations: Operations::NONE,
        statuses: UPS_NOT_FOUND,
    },
    SopClass {
        uid: RT_CONVENTIONAL_MACHINE_VERIFICATION,
        name: "RT Conventional Machine Verification",
        well_known_instance: None,
        operations: RT_MACHINE_VERIFICATION,
        statuses: MACHINE_VERIFICATION_NOT_FOUND,
    },
    SopClass {
        uid: RT_ION_MACHINE_VERIFICATION,
        name: "RT Ion Machine Verification",
        well_known_instance: None,
        operations: N_GET,
        statuses: MACHINE_VERIFICATION_NOT_FOUND,
    },
    SopClass {
        uid: VERIFICATION,
        name: "Verification SOP Class",
        well_known_instance: None,
        operations: Operations::NONE.with(Operation::CEcho),
        statuses: &[],
    },
];

/// The entry of [`SOP_CLASSES`] for `uid`.
///
/// The comparison is exact: pass the UID without the trailing NUL that pads it to even length
/// on the wire (as [`Uid::check`](crate::pdu::Uid::check) returns it).
pub fn sop_class(uid: &str) -> Option<&'static SopClass> {
    // A received class the command set decoder recognised is the table's own text
    // (`known_uid`): found by its address, before any bytes are compared.
    SOP_CLASSES
        .iter()
        .find(|c| core::ptr::eq(c.uid, uid))
        .or_else(|| SOP_CLASSES.iter().find(|c| c.uid == uid))
}

/// `value` (a received UID, with or without the NUL that pads it to even length) when it is
/// the UID of a class in [`SOP_CLASSES`] or of its well-known instance: returned as the
/// table's text, recognised by comparison instead of the UID rule and a UTF-8 check. The
/// requests an SCP here receives name these (a Display System N-GET names both); a command
/// set decodes its UIDs through this first.
pub(crate) fn known_uid(value: &[u8]) -> Option<&'static str> {
    let value = match value.split_last() {
        Some((0, head)) => head,
        _ => value,
    };
    SOP_CLASSES.iter().find_map(|c| {
        if c.uid.as_bytes() == value {
            Some(c.uid)
        } else {
            c.well_known_instance.filter(|i| i.as_bytes() == value)
        }
    })
}

/// A meta SOP class: a set of SOP classes negotiated as one abstract syntax (PS3.4 H.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MetaSopClass {
    /// The Meta SOP Class UID, proposed as the abstract syntax of a presentation context.
    pub uid: &'static str,
    /// The name PS3.6 Annex A gives it.
    pub name: &'static str,
    /// The SOP classes a context of this abstract syntax may carry.
    pub members: &'static [&'static str],
}

/// The meta SOP classes with a member in [`SOP_CLASSES`].
///
/// Member lists are PS3.4 Tables H.3.2.2.1-1 and H.3.2.2.2-1 (checked against the 2024e and
/// 2014c editions of PS3.4 H.3.2.2 and PS3.2 Annex N.5.2.8, and against pynetdicom 3.0.4's
/// `sop_class.py` comments). Print Job and Printer Configuration Retrieval are not members:
/// they are optional SOP classes negotiated beside a meta class (PS3.4 H.3.3.2), each in a
/// presentation context of its own.
///
/// The retired print meta SOP classes (Referenced Grayscale / Color Print Management,
/// 1.2.840.10008.5.1.1.9.1 / .18.1, and Pull Stored Print Management, 1.2.840.10008.5.1.1.32)
/// are left out: their member lists are only in the PS3.4 1998 and 2004 editions, which could
/// not be checked, and no current SCU proposes them.
pub static META_SOP_CLASSES: &[MetaSopClass] = &[
    MetaSopClass {
        uid: BASIC_GRAYSCALE_PRINT_MANAGEMENT_META,
        name: "Basic Grayscale Print Management Meta SOP Class",
        members: &[
            BASIC_FILM_SESSION,
            BASIC_FILM_BOX,
            BASIC_GRAYSCALE_IMAGE_BOX,
            PRINTER,
        ],
    },
    MetaSopClass {
        uid: BASIC_COLOR_PRINT_MANAGEMENT_META,
        name: "Basic Color Print Management Meta SOP Class",
        members: &[
            BASIC_FILM_SESSION,
            BASIC_FILM_BOX,
            BASIC_COLOR_IMAGE_BOX,
            PRINTER,
        ],
    },
];

/// Whether a request for SOP class `requested` may be served on a presentation context whose
/// abstract syntax is `abstract_syntax`: the two are equal, or `abstract_syntax` is a meta SOP
/// class with `requested` among its members.
///
/// When this is false the request does not match its presentation context and the answer is
/// 0122H, Refused: SOP class not supported (PS3.7 C.5.6). Both UIDs are compared exactly, as
/// in [`sop_class`].
pub fn serves_on(requested: &str, abstract_syntax: &str) -> bool {
    requested == abstract_syntax
        || META_SOP_CLASSES
            .iter()
            .any(|m| m.uid == abstract_syntax && m.members.contains(&requested))
}

#[cfg(test)]
mod tests {

    #[test]
    fn known_uids_are_what_the_uid_rule_accepts() {
        use crate::pdu::Uid;
        let uids = SOP_CLASSES
            .iter()
            .flat_map(|c| core::iter::once(c.uid).chain(c.well_known_instance));
        for uid in uids {
            // Recognised, as the same text the UID rule gives, padded or not.
            assert_eq!(known_uid(uid.as_bytes()), Some(uid));
            assert_eq!(Uid::check(uid.as_bytes()), Some(uid), "{uid}");
            let mut padded = heapless::Vec::<u8, 66>::from_slice(uid.as_bytes()).unwrap();
            padded.push(0).unwrap();
            assert_eq!(known_uid(&padded), Some(uid));
        }
        // Anything else is left to the UID rule.
        assert_eq!(known_uid(b"1.2.840.10008.5.1.1.40.2"), None);
        assert_eq!(known_uid(b"1.2.840.10008.5.1.1.40\0\0"), None);
    }
    use super::*;
    use crate::service::status::code;

    /// (UID, name) pairs as pydicom 3.0.2's UID registry (`pydicom/_uid_dict.py`, PS3.6
    /// Annex A) gives them, checked with `pydicom.uid.UID(uid).name` on 3.0.2.
    const REGISTRY: &[(&str, &str)] = &[
        ("1.2.840.10008.5.1.1.40", "Display System SOP Class"),
        ("1.2.840.10008.5.1.1.40.1", "Display System SOP Instance"),
        ("1.2.840.10008.1.1", "Verification SOP Class"),
        (
            "1.2.840.10008.3.1.2.3.4",
            "Modality Performed Procedure Step Retrieve SOP Class",
        ),
        ("1.2.840.10008.5.1.1.16", "Printer SOP Class"),
        ("1.2.840.10008.5.1.1.17", "Printer SOP Instance"),
        (
            "1.2.840.10008.5.1.1.16.376",
            "Printer Configuration Retrieval SOP Class",
        ),
        (
            "1.2.840.10008.5.1.1.17.376",
            "Printer Configuration Retrieval SOP Instance",
        ),
        ("1.2.840.10008.5.1.1.14", "Print Job SOP Class"),
        (
            "1.2.840.10008.5.1.1.33",
            "Media Creation Management SOP Class UID",
        ),
        (
            "1.2.840.10008.5.1.4.34.6.1",
            "Unified Procedure Step - Push SOP Class",
        ),
        (
            "1.2.840.10008.5.1.4.34.6.3",
            "Unified Procedure Step - Pull SOP Class",
        ),
        (
            "1.2.840.10008.5.1.4.34.6.2",
            "Unified Procedure Step - Watch SOP Class",
        ),
        (
            "1.2.840.10008.5.1.4.34.6.4",
            "Unified Procedure Step - Event SOP Class",
        ),
        (
            "1.2.840.10008.5.1.4.34.6.5",
            "Unified Procedure Step - Query SOP Class",
        ),
        (
            "1.2.840.10008.5.1.4.34.8",
            "RT Conventional Machine Verification",
        ),
        ("1.2.840.10008.5.1.4.34.9", "RT Ion Machine Verification"),
        (
            "1.2.840.10008.5.1.1.9",
            "Basic Grayscale Print Management Meta SOP Class",
        ),
        (
            "1.2.840.10008.5.1.1.18",
            "Basic Color Print Management Meta SOP Class",
        ),
        ("1.2.840.10008.5.1.1.1", "Basic Film Session SOP Class"),
        ("1.2.840.10008.5.1.1.2", "Basic Film Box SOP Class"),
        (
            "1.2.840.10008.5.1.1.4",
            "Basic Grayscale Image Box SOP Class",
        ),
        ("1.2.840.10008.5.1.1.4.1", "Basic Color Image Box SOP Class"),
    ];

    fn registry_name(uid: &str) -> &'static str {
        REGISTRY
            .iter()
            .find(|(u, _)| *u == uid)
            .map(|(_, n)| *n)
            .unwrap_or_else(|| panic!("{uid} is not in the checked registry pairs"))
    }

    #[test]
    fn uids_match_the_pydicom_registry() {
        let constants = [
            (DISPLAY_SYSTEM, "Display System SOP Class"),
            (DISPLAY_SYSTEM_INSTANCE, "Display System SOP Instance"),
            (VERIFICATION, "Verification SOP Class"),
            (
                MPPS_RETRIEVE,
                "Modality Performed Procedure Step Retrieve SOP Class",
            ),
            (PRINTER, "Printer SOP Class"),
            (PRINTER_INSTANCE, "Printer SOP Instance"),
            (
                PRINTER_CONFIGURATION_RETRIEVAL,
                "Printer Configuration Retrieval SOP Class",
            ),
            (
                PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
                "Printer Configuration Retrieval SOP Instance",
            ),
            (PRINT_JOB, "Print Job SOP Class"),
            (
                MEDIA_CREATION_MANAGEMENT,
                "Media Creation Management SOP Class UID",
            ),
            (UPS_PUSH, "Unified Procedure Step - Push SOP Class"),
            (UPS_PULL, "Unified Procedure Step - Pull SOP Class"),
            (UPS_WATCH, "Unified Procedure Step - Watch SOP Class"),
            (UPS_EVENT, "Unified Procedure Step - Event SOP Class"),
            (UPS_QUERY, "Unified Procedure Step - Query SOP Class"),
            (
                RT_CONVENTIONAL_MACHINE_VERIFICATION,
                "RT Conventional Machine Verification",
            ),
            (RT_ION_MACHINE_VERIFICATION, "RT Ion Machine Verification"),
            (
                BASIC_GRAYSCALE_PRINT_MANAGEMENT_META,
                "Basic Grayscale Print Management Meta SOP Class",
            ),
            (
                BASIC_COLOR_PRINT_MANAGEMENT_META,
                "Basic Color Print Management Meta SOP Class",
            ),
            (BASIC_FILM_SESSION, "Basic Film Session SOP Class"),
            (BASIC_FILM_BOX, "Basic Film Box SOP Class"),
            (
                BASIC_GRAYSCALE_IMAGE_BOX,
                "Basic Grayscale Image Box SOP Class",
            ),
            (BASIC_COLOR_IMAGE_BOX, "Basic Color Image Box SOP Class"),
        ];
        assert_eq!(constants.len(), REGISTRY.len());
        for (uid, name) in constants {
            assert_eq!(registry_name(uid), name, "{uid}");
        }
        for c in SOP_CLASSES {
            let registered = registry_name(c.uid);
            let registered = registered.strip_suffix(" UID").unwrap_or(registered);
            assert_eq!(c.name, registered, "{}", c.uid);
            if let Some(instance) = c.well_known_instance {
                assert!(
                    registry_name(instance).ends_with("SOP Instance"),
                    "{instance}"
                );
            }
        }
        for m in META_SOP_CLASSES {
            assert_eq!(m.name, registry_name(m.uid));
            for member in m.members {
                assert!(registry_name(member).ends_with("SOP Class"), "{member}");
            }
        }
    }

    #[test]
    fn lookups() {
        let display = sop_class(DISPLAY_SYSTEM).unwrap();
        assert_eq!(display.name, "Display System SOP Class");
        assert_eq!(display.well_known_instance, Some(DISPLAY_SYSTEM_INSTANCE));
        assert!(display.operations.contains(Operation::NGet));
        assert!(display.statuses.is_empty());
        assert_eq!(sop_class(PRINTER).unwrap().uid, PRINTER);
        assert_eq!(sop_class(UPS_WATCH).unwrap().well_known_instance, None);
        assert_eq!(sop_class("1.2.3"), None);
        assert_eq!(sop_class(""), None);
        // An instance, a meta class and a NUL-padded UID are not SOP classes.
        assert_eq!(sop_class(DISPLAY_SYSTEM_INSTANCE), None);
        assert_eq!(sop_class(BASIC_GRAYSCALE_PRINT_MANAGEMENT_META), None);
        assert_eq!(sop_class("1.2.840.10008.1.1\0"), None);
    }

    #[test]
    fn n_get_usage() {
        let with = [
            DISPLAY_SYSTEM,
            MPPS_RETRIEVE,
            PRINTER,
            PRINTER_CONFIGURATION_RETRIEVAL,
            PRINT_JOB,
            MEDIA_CREATION_MANAGEMENT,
            UPS_PUSH,
            UPS_PULL,
            UPS_WATCH,
            RT_CONVENTIONAL_MACHINE_VERIFICATION,
            RT_ION_MACHINE_VERIFICATION,
        ];
        let without = [UPS_EVENT, UPS_QUERY, VERIFICATION];
        for uid in with {
            assert!(
                sop_class(uid).unwrap().operations.contains(Operation::NGet),
                "{uid}"
            );
        }
        for uid in without {
            assert!(
                !sop_class(uid).unwrap().operations.contains(Operation::NGet),
                "{uid}"
            );
        }
        assert_eq!(SOP_CLASSES.len(), with.len() + without.len());
    }

    #[test]
    fn class_specific_codes_before_generic_ones() {
        let mpps = sop_class(MPPS_RETRIEVE).unwrap();
        assert_eq!(mpps.category(0x0001), StatusCategory::Warning);
        assert_eq!(
            mpps.meaning(0x0001),
            "Requested optional Attributes are not supported"
        );
        let media = sop_class(MEDIA_CREATION_MANAGEMENT).unwrap();
        assert_eq!(media.meaning(0x0001), mpps.meaning(0x0001));

        let ups = sop_class(UPS_PULL).unwrap();
        assert_eq!(ups.category(0xC307), StatusCategory::Failure);
        assert!(ups
            .meaning(0xC307)
            .starts_with("Specified SOP Instance UID"));
        // Another Cxxx code falls back to the Annex C range name.
        assert_eq!(ups.meaning(0xC308), "Error: cannot understand");

        let rt = sop_class(RT_ION_MACHINE_VERIFICATION).unwrap();
        assert_eq!(rt.category(0xC112), StatusCategory::Failure);
        assert_eq!(
            rt.meaning(0xC112),
            "Applicable Machine Verification Instance not found"
        );

        // The Display System defines nothing, so every code reads as in Annex C.
        let display = sop_class(DISPLAY_SYSTEM).unwrap();
        assert_eq!(display.meaning(0x0001), "Warning (service-specific)");
        assert_eq!(display.meaning(0xC307), "Error: cannot understand");
        assert_eq!(
            display.meaning(code::ATTRIBUTE_LIST_ERROR),
            "Attribute list error"
        );
        assert_eq!(
            display.category(code::ATTRIBUTE_LIST_ERROR),
            StatusCategory::Warning
        );
        assert_eq!(
            display.category(code::NO_SUCH_SOP_INSTANCE),
            StatusCategory::Failure
        );

        // A service class cannot move a code out of its Annex C class.
        for c in SOP_CLASSES {
            for s in c.statuses {
                assert_eq!(s.category, StatusCategory::of(s.code), "{}", c.uid);
                assert_eq!(c.category(s.code), s.category);
                assert_eq!(c.meaning(s.code), s.meaning);
            }
        }
    }

    #[test]
    fn serves_on_own_context_and_meta_contexts() {
        assert!(serves_on(DISPLAY_SYSTEM, DISPLAY_SYSTEM));
        assert!(!serves_on(DISPLAY_SYSTEM, VERIFICATION));
        assert!(!serves_on(
            DISPLAY_SYSTEM,
            BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
        ));
        assert!(serves_on(PRINTER, PRINTER));
        assert!(serves_on(PRINTER, BASIC_GRAYSCALE_PRINT_MANAGEMENT_META));
        assert!(serves_on(PRINTER, BASIC_COLOR_PRINT_MANAGEMENT_META));
        // Optional print SOP classes are negotiated in their own contexts (PS3.4 H.3.3.2).
        assert!(!serves_on(PRINT_JOB, BASIC_GRAYSCALE_PRINT_MANAGEMENT_META));
        assert!(!serves_on(
            PRINTER_CONFIGURATION_RETRIEVAL,
            BASIC_COLOR_PRINT_MANAGEMENT_META
        ));
        // Membership goes one way: a meta class is not served on a member's context.
        assert!(!serves_on(BASIC_GRAYSCALE_PRINT_MANAGEMENT_META, PRINTER));
        assert!(serves_on(
            BASIC_COLOR_PRINT_MANAGEMENT_META,
            BASIC_COLOR_PRINT_MANAGEMENT_META
        ));
        assert!(serves_on(
            BASIC_GRAYSCALE_IMAGE_BOX,
            BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
        ));
        assert!(!serves_on(
            BASIC_GRAYSCALE_IMAGE_BOX,
            BASIC_COLOR_PRINT_MANAGEMENT_META
        ));
        // A meta class unknown here (retired) serves only itself.
        assert!(!serves_on(PRINTER, "1.2.840.10008.5.1.1.9.1"));
        // A UID that is a prefix of another is a different UID.
        assert!(!serves_on(
            "1.2.840.10008.5.1.1.4",
            "1.2.840.10008.5.1.1.4.1"
        ));
    }

    #[test]
    fn every_uid_appears_once() {
        let classes = SOP_CLASSES.iter().map(|c| c.uid);
        let instances = SOP_CLASSES.iter().filter_map(|c| c.well_known_instance);
        let metas = META_SOP_CLASSES.iter().map(|m| m.uid);
        let all: heapless::Vec<&str, 64> = classes.chain(instances).chain(metas).collect();
        for (i, a) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(a), "{a} appears twice");
        }
        for m in META_SOP_CLASSES {
            for (i, a) in m.members.iter().enumerate() {
                assert!(!m.members[i + 1..].contains(a), "{a} twice in {}", m.uid);
            }
        }
    }

    #[test]
    fn well_known_instances_extend_their_class_root() {
        // Display System: the class UID plus ".1" (PS3.4 EE.2.4). Print management: the
        // instance takes the class's component 16 to 17 and keeps what follows (PS3.6
        // Annex A lists 5.1.1.16 / 5.1.1.17 and 5.1.1.16.376 / 5.1.1.17.376).
        let expected = [
            (DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE),
            (PRINTER, PRINTER_INSTANCE),
            (
                PRINTER_CONFIGURATION_RETRIEVAL,
                PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
            ),
        ];
        let with_instance = SOP_CLASSES
            .iter()
            .filter(|c| c.well_known_instance.is_some())
            .count();
        assert_eq!(with_instance, expected.len());
        for (class, instance) in expected {
            assert_eq!(
                sop_class(class).unwrap().well_known_instance,
                Some(instance)
            );
        }

        let display_root = DISPLAY_SYSTEM;
        assert_eq!(
            DISPLAY_SYSTEM_INSTANCE.strip_prefix(display_root),
            Some(".1")
        );
        let print_root = "1.2.840.10008.5.1.1.";
        for (class, instance) in [
            (PRINTER, PRINTER_INSTANCE),
            (
                PRINTER_CONFIGURATION_RETRIEVAL,
                PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
            ),
        ] {
            let class_tail = class.strip_prefix(print_root).unwrap();
            let instance_tail = instance.strip_prefix(print_root).unwrap();
            assert_eq!(
                class_tail.strip_prefix("16"),
                instance_tail.strip_prefix("17")
            );
        }
    }
}
