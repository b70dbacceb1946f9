//! # dimse
//!
//! The facade of the project: it re-exports [`dimse_core`] (the Sans-IO DICOM Upper Layer and
//! DIMSE N-GET core) and carries the `dimse` command-line tool. [`print`](mod@print) renders a received
//! data set as indented text or in the DICOM JSON model.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use dimse_core as core;

pub mod config;
pub mod print;
