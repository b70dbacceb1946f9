//! # dimse-core
//!
//! A Sans-IO implementation of the DICOM Upper Layer protocol (PS3.8) and of the DIMSE
//! N-GET service, for display QA devices and display controllers.
//!
//! The crate is `#![no_std]`, never allocates, never blocks, never reads a clock and forbids
//! `unsafe`. Bytes and time go in, events and bytes come out; an adapter (tokio, embassy-net,
//! plain `std::net`, a test harness) moves them.
//!
//! ## Layers, in the order the bytes flow
//!
//! | module | what it is |
//! |---|---|
//! | [`pdu`] | the wire format: PDUs, items and sub-items, incremental parse and emit (PS3.8 §9.3) |
//! | [`ul`] | the Upper Layer state machine: states Sta1..Sta13, events, actions (PS3.8 §9.2) |
//! | [`assoc`] | association negotiation: acceptor policy, requestor configuration (PS3.7 Annex D) |
//! | [`connection`] | [`Connection`]: one association, driven by `handle_*` / `poll_*` calls |
//! | [`time`] | [`Instant`] and [`Duration`], supplied by the caller |
//!
//! ## The drain contract
//!
//! After every call that changes a [`Connection`] (`handle_input`, `handle_timeout`,
//! `handle_transport_closed`, `release`, `abort`, ...), drain [`Connection::poll_transmit`] and
//! [`Connection::poll_event`] until both return nothing, then sleep until
//! [`Connection::poll_timeout`] or until more bytes arrive.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("the `defmt` and `log` features of dimse-core are mutually exclusive");

#[macro_use]
mod fmt;
mod codec;

pub use codec::BufferTooSmall;

pub mod assoc;
pub mod connection;
pub mod dataset;
pub mod pdu;
pub mod service;
pub mod time;
pub mod ul;

pub use connection::{Connection, Event, Storage};
pub use time::{Duration, Instant};
