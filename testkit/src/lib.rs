//! What a test author imports to test a DICOM Upper Layer (PS3.8) / DIMSE (PS3.7)
//! implementation, dimse-core's or their own.
//!
//! * [`hostile`]: the hostile-input catalogue: 940 cases (120 named, the rest generated
//!   truncations), each a [`hostile::Case`] with its name, the bytes and pauses the hostile
//!   peer sends, the replies the standard prescribes and the section that prescribes them;
//!   [`hostile::play`] plays one against a [`Peer`](pair::Peer) and returns a
//!   [`hostile::Transcript`] of what it sent.
//! * [`model`]: PS3.8 Table 9-10 (states, events, the §9.2.2 actions) as a reference
//!   independent of dimse-core's state machine, and an [`Observer`](model::Observer) that
//!   says whether each reaction of an acceptor, seen from the wire, is one the table allows;
//!   [`model::grade`] plays a catalogue case with it, [`model::judge`] reads a transcript.
//! * [`pair`]: the [`Peer`](pair::Peer) trait (bytes in, bytes out, time), dimse-core's
//!   `Connection` as a `Peer` ([`pair::Side`]), and a [`Pair`](pair::Pair) of peers wired
//!   together in memory with a simulated clock.
//! * [`remote`]: the catalogue against an implementation over TCP: [`remote::play_tcp`] plays
//!   a case in real time, [`remote::grade`] compares the reaction with the expectation,
//!   leniently where the standard leaves a reason code open (what `dimse check` runs).
//! * [`strategy`]: proptest strategies for what a peer sends: PDUs and items (valid and
//!   mutated), A-ASSOCIATE-RQ offers, command sets, N-GET requests with attribute lists,
//!   Display System data sets, chunkings and timing schedules of a byte stream.
//!
//! # Testing your implementation
//!
//! Implement [`Peer`](pair::Peer) for your acceptor (six methods: take bytes, give bytes,
//! say when a timer is due, handle it, hear the transport close, say whether it closed).
//! Here dimse-core's acceptor stands in for yours, through [`pair::Side`]: the catalogue's
//! framing cases must get the standard's replies, and mutated PDUs only the replies an
//! acceptor may give before an association (A-ASSOCIATE-AC or -RJ, A-ABORT, a close).
//!
//! ```
//! use dimse_core::{Connection, Instant};
//! use dimse_testkit::hostile::{self, Reply, Transcript};
//! use dimse_testkit::pair::{leak, storage, Peer, Side};
//! use dimse_testkit::strategy::{mutated, pdu};
//! use proptest::test_runner::{Config, TestRunner};
//!
//! let policy = leak(hostile::policy());
//! let new_scp = || Side::new(Connection::acceptor(policy, storage(65536, 65536), Instant::ZERO));
//!
//! for case in hostile::catalogue().iter().filter(|c| c.group() == "pdu") {
//!     let transcript = hostile::play(&mut new_scp(), case);
//!     assert_eq!(transcript.replies, case.expect, "{} ({})", case.name, case.reference);
//! }
//!
//! let mut runner = TestRunner::new(Config::with_cases(64));
//! runner
//!     .run(&mutated(pdu()), |bytes| {
//!         let (mut scp, mut t) = (new_scp(), Transcript::default());
//!         scp.input(Instant::ZERO, &bytes);
//!         t.feed(&scp.output(Instant::ZERO));
//!         let allowed = |r: &Reply| matches!(r, Reply::Ac(_) | Reply::Rj(..) | Reply::Abort(..));
//!         proptest::prop_assert!(t.replies.iter().all(allowed), "{:?}", t.replies);
//!         Ok(())
//!     })
//!     .unwrap(); // on failure: the smallest input that still fails
//! ```
//!
//! `testkit/tests/peer.rs` goes further: the whole catalogue, with an application that
//! answers N-GETs as the catalogue expects, and a proptest of association offers, N-GETs
//! and chunkings.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod hostile;
pub mod model;
pub mod pair;
pub mod remote;
pub mod strategy;
