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
//! | [`dimse`] | DIMSE messages: command sets, N-GET and C-ECHO requests and responses (PS3.7) |
//! | [`dataset`] | data sets: the bounded writer and reader, the dictionary, the attribute filter (PS3.5) |
//! | [`connection`] | [`Connection`]: one association, driven by `handle_*` / `poll_*` calls |
//! | [`service`] | the N-GET service classes' tables: SOP classes, well-known instances, status codes (PS3.4, PS3.7 Annex C) |
//! | [`time`] | [`Instant`] and [`Duration`], supplied by the caller |
//!
//! ## The drain contract
//!
//! After every call that changes a [`Connection`] (`handle_input`, `handle_timeout`,
//! `handle_transport_closed`, `release`, `abort`, ...), drain [`Connection::poll_transmit`] and
//! [`Connection::poll_event`] until both return nothing, then sleep until
//! [`Connection::poll_timeout`] or until more bytes arrive.
//!
//! ## A Display System SCP in a few lines
//!
//! The acceptor below answers N-GETs for the Display System with the demo instance. The
//! bytes come from a requestor core here; an adapter would read them from a socket.
//!
//! ```
//! use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
//! use dimse_core::dimse::Status;
//! use dimse_core::pdu::{AeTitle, PresentationContextRq};
//! use dimse_core::service::{display, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
//! use dimse_core::{Connection, Event, Instant, Storage};
//!
//! let title = |s| AeTitle::new(s).unwrap();
//! static SERVED: [&str; 1] = [DISPLAY_SYSTEM];
//! let policy = AcceptorPolicy::new(title("DISPLAY"), &SERVED);
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 4096]);
//! let now = Instant::ZERO;
//! let mut scp = Connection::acceptor(&policy, Storage { rx: &mut rx, tx: &mut tx }, now);
//!
//! // The peer: a requestor asking for two attributes of the Display System instance.
//! static TS: [&str; 1] = ["1.2.840.10008.1.2"];
//! let contexts = [PresentationContextRq { id: 1, abstract_syntax: DISPLAY_SYSTEM, transfer_syntaxes: &TS }];
//! let config = RequestorConfig::new(title("QA"), title("DISPLAY"), &contexts);
//! let (mut rx2, mut tx2) = ([0u8; 4096], [0u8; 1024]);
//! let mut scu = Connection::requestor(&config, Storage { rx: &mut rx2, tx: &mut tx2 }, now).unwrap();
//!
//! // Move bytes both ways until both are quiet; the SCP answers each N-GET it is given.
//! let mut pipe = |scu: &mut Connection<'_>, scp: &mut Connection<'_>| {
//!     let mut out = [0u8; 8192];
//!     loop {
//!         let mut quiet = true;
//!         while let Some(n) = scu.poll_transmit(&mut out).unwrap() {
//!             assert_eq!(scp.handle_input(now, &out[..n]), n);
//!             quiet = false;
//!         }
//!         while let Some(ev) = scp.poll_event() {
//!             if let Event::NGet { message_id, .. } = ev {
//!                 let request = scp.n_get_request().unwrap();
//!                 assert_eq!(request.sop_instance_uid, DISPLAY_SYSTEM_INSTANCE);
//!                 scp.respond_n_get(now, message_id, Status::SUCCESS, Some(&display::DEMO)).unwrap();
//!             }
//!         }
//!         while let Some(n) = scp.poll_transmit(&mut out).unwrap() {
//!             assert_eq!(scu.handle_input(now, &out[..n]), n);
//!             quiet = false;
//!         }
//!         if quiet {
//!             return;
//!         }
//!     }
//! };
//! pipe(&mut scu, &mut scp);
//! assert!(scp.is_established());
//!
//! let wanted = [display::tags::MANUFACTURER, display::tags::DEVICE_SERIAL_NUMBER];
//! scu.send_n_get(now, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&wanted)).unwrap();
//! pipe(&mut scu, &mut scp);
//! let mut status = None;
//! while let Some(ev) = scu.poll_event() {
//!     if let Event::NGetResponse { status: s, data_set_len, .. } = ev {
//!         status = Some(s);
//!         assert!(data_set_len.unwrap() > 0);
//!     }
//! }
//! assert_eq!(status, Some(0x0000));
//! ```
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
pub mod dimse;
pub mod pdu;
pub mod service;
pub mod time;
pub mod ul;

pub use connection::{Connection, Event, Storage};
pub use time::{Duration, Instant};
