//! The service layer: what an N-GET may ask for, and how the answer is classified.
//!
//! ## Vocabulary
//!
//! DIMSE (PS3.7) moves *messages* that act on *SOP instances*: objects such as "the display
//! system of this workstation" or "this printer". Every instance belongs to a *SOP class*
//! (PS3.4), which fixes its attributes (an IOD of PS3.3) and the DIMSE operations allowed on
//! it; related SOP classes form a *service class*, such as Display System Management (PS3.4
//! Annex EE) or Print Management (PS3.4 Annex H). Classes and instances are named by UIDs.
//!
//! An N-GET request names a Requested SOP Class UID and a Requested SOP Instance UID and, as
//! an option, the attributes it wants (Attribute Identifier List; none means all). The
//! response carries a Status (0000,0900), perhaps a few optional command elements that
//! explain it, and, for a success or a warning, the attributes as a data set. Some classes
//! have exactly one instance whose UID the standard fixes, a *well-known instance*: a Display
//! System SCP always answers for 1.2.840.10008.5.1.1.40.1.
//!
//! Requests travel on a *presentation context*, negotiated at association time for one
//! *abstract syntax*: a SOP class, or a *meta SOP class* that stands for a fixed set of SOP
//! classes (the Basic Grayscale Print Management Meta SOP Class covers, among others, the
//! Printer SOP class).
//!
//! ## What the tables answer
//!
//! Nothing here sees bytes or keeps state; these are constant tables and pure functions that
//! the N-GET handling consults.
//!
//! | question | item | if not |
//! |---|---|---|
//! | may this SOP class be asked on this presentation context? | [`serves_on`] | 0122H, Refused: SOP class not supported |
//! | which SOP class is it, and does it define N-GET? | [`sop_class`], [`SopClass::operations`] | 0211H, Unrecognized operation, for a class without N-GET |
//! | which instance does an N-GET on it name? | [`SopClass::well_known_instance`] | 0112H, No such SOP instance |
//! | may a data set follow this status? | [`StatusCategory::is_success_or_warning`] | status only |
//! | which optional command elements may go with it? | [`allowed_elements`] | leave them out |
//! | what does a received status mean? | [`SopClass::meaning`], [`meaning`], [`StatusCategory::of`] | |
//!
//! ## Status codes
//!
//! PS3.7 Annex C splits the 16-bit codes into classes by range ([`StatusCategory`]) and gives
//! 01xx and 02xx one meaning for every service ([`code`]). Ranges 0001H, Axxx, Bxxx and Cxxx
//! are left to each service class; [`SopClass::statuses`] holds those that the classes listed
//! here define for N-GET, such as C307H for a UPS that does not exist.
//!
//! ## Pieces
//!
//! | item | what it is |
//! |---|---|
//! | [`StatusCategory`], [`code`], [`meaning`] | PS3.7 Annex C status classes, codes and names |
//! | [`AllowedElements`], [`allowed_elements`] | the optional response elements Annex C allows per status |
//! | [`SopClass`], [`SOP_CLASSES`], [`sop_class`] | the SOP classes commonly read with N-GET, with their well-known instances and own statuses |
//! | [`MetaSopClass`], [`META_SOP_CLASSES`], [`serves_on`] | meta SOP classes and the presentation-context check |
//! | [`DISPLAY_SYSTEM`], [`PRINTER`], ... | SOP Class and SOP Instance UID constants, from [`classes`] |
//! | [`display`] | the Display System IOD as typed, `const`-friendly data that writes its own N-GET data set, and a [`display::DEMO`] instance |
//!
//! The tables are defined in [`classes`] and [`status`] and re-exported here.

pub mod classes;
pub mod display;
mod operation;
pub mod status;

pub(crate) use classes::known_uid;
pub use classes::{
    serves_on, sop_class, MetaSopClass, ServiceStatus, SopClass, BASIC_COLOR_PRINT_MANAGEMENT_META,
    BASIC_GRAYSCALE_PRINT_MANAGEMENT_META, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE,
    MEDIA_CREATION_MANAGEMENT, META_SOP_CLASSES, MPPS_RETRIEVE, PRINTER,
    PRINTER_CONFIGURATION_RETRIEVAL, PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE, PRINTER_INSTANCE,
    PRINT_JOB, RT_CONVENTIONAL_MACHINE_VERIFICATION, RT_ION_MACHINE_VERIFICATION, SOP_CLASSES,
    UPS_EVENT, UPS_PULL, UPS_PUSH, UPS_QUERY, UPS_WATCH, VERIFICATION,
};
pub use operation::{Operation, Operations};
pub use status::{allowed_elements, code, meaning, AllowedElements, StatusCategory};
