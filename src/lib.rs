//! # dimse
//!
//! The facade of the project. It re-exports, and carries the `dimse` command-line tool:
//!
//! * [`core`]: [`dimse_core`], the Sans-IO DICOM Upper Layer and DIMSE N-GET core;
//! * [`dimse_tokio`]: the tokio adapter (N-GET `Server` and `Client`, the data set view, the
//!   printer), under its own name so that paths read the same through the facade as in its
//!   documentation;
//! * [`print`](mod@print): [`dimse_tokio::print`], which renders a received data set as
//!   indented text or in the DICOM JSON model, where it was before it moved to the adapter.
//!
//! The embassy adapter (`dimse-embassy`) is not re-exported: it runs on firmware, which
//! depends on it and on the core directly.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use dimse_core as core;
// Not `as tokio`: a `use dimse::tokio;` would shadow the tokio crate in the user's module.
pub use dimse_tokio;
pub use dimse_tokio::print;

pub mod config;
