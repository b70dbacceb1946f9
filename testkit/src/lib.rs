//! What a test author imports to test a DICOM Upper Layer (PS3.8) / DIMSE (PS3.7)
//! implementation, dimse-core or their own.
//!
//! * [`hostile`]: the hostile-input catalogue, named byte sequences a peer may send an
//!   acceptor, each with the reaction the standard prescribes and where it says so.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod hostile;
pub mod pair;
pub mod strategy;
