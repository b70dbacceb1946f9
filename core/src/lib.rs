//! # dimse-core
//!
//! A Sans-IO implementation of the DICOM Upper Layer protocol (PS3.8) and of the DIMSE
//! N-GET service, for display QA devices and display controllers.
//!
//! The crate is `#![no_std]`, never allocates, never blocks, never reads a clock and forbids
//! `unsafe`. Bytes and time go in, events and bytes come out; an adapter (tokio, embassy-net,
//! plain `std::net`, a test harness) moves them.
//!
//! ## Layers
//!
//! Bottom to top: each module imports only from the rows before its own (a test,
//! `tests/layering.rs`, reads the sources and holds every `use` to it):
//!
//! | module | what it is |
//! |---|---|
//! | [`time`] | [`Instant`] and [`Duration`], supplied by the caller |
//! | [`dataset`] | data sets: the bounded writer and reader, the dictionary, the attribute filter (PS3.5) |
//! | [`pdu`] | the wire format: PDUs, items and sub-items, incremental parse and emit (PS3.8 §9.3) |
//! | [`ul`] | the Upper Layer state machine: states Sta1..Sta13, events, actions (PS3.8 §9.2) |
//! | [`assoc`] | association negotiation: acceptor policy, requestor configuration (PS3.7 Annex D) |
//! | [`service`] | the service classes' tables: SOP classes and the operations each carries, well-known instances, status codes (PS3.4, PS3.7 Annex C) |
//! | [`dimse`] | DIMSE messages: command sets, the operation table, requests and responses in flight (PS3.7); what it needs of the association it asks through a narrow interface the connection implements |
//! | [`connection`] | [`Connection`]: one association, driven by `handle_*` / `poll_*` calls; it coordinates the rows before it and owns their state |
//! | `trace` | (feature `serde`) the record/replay format: an association's inputs, and `trace::apply` to give them to a fresh core |
//!
//! ## The drain contract
//!
//! A [`Connection`] is driven by one loop, the same in every runtime (tokio, embassy-net,
//! `std::net`, a C program, a test):
//!
//! 1. **Feed** what the transport delivered, and every byte not taken before, to
//!    [`Connection::handle_input`]; it returns how many it took. Keep the rest, in order,
//!    in front of what arrives next. (A fired deadline goes to
//!    [`Connection::handle_timeout`], a closed transport to
//!    [`Connection::handle_transport_closed`].)
//! 2. **Drain** [`Connection::poll_output`] until it returns [`Output::Idle`]: write each
//!    [`Output::Transmit`] to the transport, handle each [`Output::Event`] (answer an N-GET
//!    with [`Connection::respond_n_get`], read a response), and on [`Output::Reoffer`] go
//!    back to step 1 with the bytes you kept, even if no new ones arrived. Do the same after
//!    any other call that changes the connection (`respond_n_get`, `send_n_get`,
//!    `release`, `abort`).
//! 3. **Wait** for more bytes, for the application's answer, or until `Idle`'s deadline.
//!    When [`Connection::is_closed`] is true at `Idle`, close the transport instead: every
//!    PDU it had to carry was handed out before.
//!
//! The connection takes input only as far as its bounded queues allow, so what a stream
//! causes never depends on how it was cut into reads; `Reoffer` is how it says the room is
//! back. Two sizes come from the connection: the output buffer needs
//! [`Connection::min_output_len`] bytes, and the input the caller keeps must be able to
//! hold [`pdu::MAX_UNIT_LEN`] bytes (no unit the parser needs whole is larger). Offering the
//! kept bytes again is always safe: only bytes beyond them count as news from the peer (the
//! network timeout runs from the last new byte).
//!
//! ## A Display System SCP in a few lines
//!
//! The acceptor below answers N-GETs for the Display System with the demo instance. Its
//! peer is a requestor core, whose bytes reach it first one byte per read, then several
//! PDUs in one read (an N-GET-RQ and the A-RELEASE-RQ right behind it).
//!
//! ```
//! use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
//! use dimse_core::dimse::{Operation, Status};
//! use dimse_core::pdu::{AeTitle, PresentationContextRq};
//! use dimse_core::service::{display, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
//! use dimse_core::{Connection, Event, Instant, Output, Storage};
//!
//! /// The drain contract: feeds `reads` one at a time, answers every N-GET with the demo
//! /// display, returns what the connection transmitted and the events it gave.
//! fn drive(conn: &mut Connection<'_>, reads: &[&[u8]]) -> (Vec<u8>, Vec<Event>) {
//!     let now = Instant::ZERO;
//!     let mut out = vec![0u8; conn.min_output_len().max(16 * 1024)];
//!     let (mut wire, mut events) = (Vec::new(), Vec::new());
//!     let mut kept: Vec<u8> = Vec::new(); // bytes read and not yet taken
//!     let mut reads = reads.iter();
//!     loop {
//!         let used = conn.handle_input(now, &kept); // 1. feed
//!         kept.drain(..used);
//!         loop {
//!             match conn.poll_output(&mut out).unwrap() { // 2. drain
//!                 Output::Transmit(n) => wire.extend_from_slice(&out[..n]),
//!                 Output::Event(ev) => {
//!                     if let Event::Request { op: Operation::NGet, message_id, .. } = ev {
//!                         let status = Status::SUCCESS;
//!                         conn.respond_n_get(now, message_id, status, Some(&display::DEMO)).unwrap();
//!                     }
//!                     events.push(ev);
//!                 }
//!                 Output::Reoffer => break, // back to 1. with the kept bytes
//!                 Output::Idle { .. } => {
//!                     // 3. wait: here, the next read
//!                     match reads.next() {
//!                         Some(bytes) => kept.extend_from_slice(bytes),
//!                         None => return (wire, events),
//!                     }
//!                     break;
//!                 }
//!             }
//!         }
//!     }
//! }
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
//! // The A-ASSOCIATE-RQ reaches the SCP a byte at a time; the A-ASSOCIATE-AC comes back whole.
//! let (rq, _) = drive(&mut scu, &[]);
//! let bytes: Vec<&[u8]> = rq.chunks(1).collect();
//! let (ac, events) = drive(&mut scp, &bytes);
//! assert!(matches!(events[0], Event::Established { .. }));
//! drive(&mut scu, &[&ac]);
//! assert!(scu.is_established() && scp.is_established());
//!
//! // An N-GET-RQ and the A-RELEASE-RQ right behind it, in one read.
//! let wanted = [display::tags::MANUFACTURER, display::tags::DEVICE_SERIAL_NUMBER];
//! scu.send_n_get(now, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&wanted)).unwrap();
//! scu.release(now).unwrap();
//! let (two_pdus, _) = drive(&mut scu, &[]);
//! let (answer, events) = drive(&mut scp, &[&two_pdus]);
//! assert!(matches!(events[..], [Event::Request { op: Operation::NGet, .. }, Event::Released]));
//!
//! // The SCU reads the N-GET-RSP, then the A-RELEASE-RP.
//! let (_, events) = drive(&mut scu, &[&answer]);
//! assert!(matches!(events[..], [Event::Response { op: Operation::NGet, status: 0x0000, data_set_len: Some(_), .. }, Event::Released, Event::Closed]));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
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
#[cfg(feature = "serde")]
pub mod trace;
pub mod ul;

pub use connection::{Closing, Connection, Event, Output, Storage};
pub use time::{Duration, Instant};
