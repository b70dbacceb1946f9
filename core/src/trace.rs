//! The trace format: an association's inputs, recorded so that a fresh core can be given
//! them again. The core is deterministic given its inputs, so a replay gives the same events
//! and the same output bytes as the association that was recorded (with the same policy and
//! the same data set answering the N-GETs).
//!
//! A trace is postcard (its 1.x wire format), in this order:
//!
//! 1. a [`Header`]: the format's [`VERSION`], the AE title the association was served as,
//!    and the peer as text (its address, for the reader);
//! 2. the number of records, as postcard encodes a sequence's length (a varint);
//! 3. the [`Record`]s, in the order the core was given them.
//!
//! Each record holds the time at which the core got it, in milliseconds since the connection
//! was accepted (the `now` of [`Connection::acceptor`] is 0). A record is what one call
//! handed the core: the bytes one read delivered ([`Record::Input`], taken by
//! [`Connection::handle_input`] in as many calls as the drain contract needs), a timer
//! firing, the transport closing, a local abort, or the application's answer to a request.
//! What the core sent is not recorded: it follows from the rest.
//!
//! The types borrow: a recorder serializes records that point into its own buffers, and a
//! reader deserializes them pointing into the trace's bytes (postcard reads `&[u8]` and
//! `&str` without copying), so neither side needs an allocator. This module has no
//! serializer of its own: the adapters bring postcard (dimse-embassy's `TraceRecorder`
//! writes into a buffer it is lent, dimse-tokio records to files and replays them).
//! [`apply`] is the replay's protocol step, for any runtime.
//!
//! Postcard writes neither names nor types: struct fields go in order, enum variants as
//! their position. Any change to these types (a field, a variant, their order) is therefore
//! a new format and changes [`VERSION`]; a new variant goes at the end, so that the records
//! of the old format still read alike.

use serde::{Deserialize, Serialize};

use crate::connection::ApiError;
use crate::dataset::DataSetSource;
use crate::dimse::Status;
use crate::{Connection, Instant};

/// The format's version, the first field of every [`Header`]; a reader refuses another.
pub const VERSION: u16 = 1;

/// What a trace starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header<'a> {
    /// [`VERSION`] when written by this build.
    pub version: u16,
    /// The AE title the association was served as: a replay needs a policy by this name.
    pub ae_title: &'a str,
    /// The peer, for the reader (an address as text); the core never saw it.
    pub peer: &'a str,
}

impl<'a> Header<'a> {
    /// The header of a trace in this build's format ([`VERSION`]).
    pub const fn new(ae_title: &'a str, peer: &'a str) -> Self {
        Header {
            version: VERSION,
            ae_title,
            peer,
        }
    }
}

/// One input of an association. `at` is when the core got it, in milliseconds since the
/// connection was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Record<'a> {
    /// Bytes one read delivered from the peer ([`Connection::handle_input`]); never empty.
    Input {
        /// When.
        at: u64,
        /// What.
        bytes: &'a [u8],
    },
    /// A deadline passed ([`Connection::handle_timeout`]).
    Timeout {
        /// When.
        at: u64,
    },
    /// The transport closed ([`Connection::handle_transport_closed`]).
    TransportClosed {
        /// When.
        at: u64,
    },
    /// The local side aborted the association ([`Connection::abort`]): a server shutting
    /// down.
    Abort {
        /// When.
        at: u64,
    },
    /// The application answered a request ([`Connection::respond_n_get`], or
    /// [`Connection::fail_n_get`] as 0110H with its comment). What the core was asked to
    /// send: where it replaced a status PS3.7 Annex C does not allow, its own 0110H answer.
    Answer {
        /// When.
        at: u64,
        /// The request's Message ID.
        message_id: u16,
        /// The status code.
        status: u16,
        /// The Error Comment (0000,0902), if any.
        #[serde(borrow)]
        error_comment: Option<&'a str>,
    },
}

impl Record<'_> {
    /// When the core got it.
    pub const fn at(&self) -> Instant {
        match *self {
            Record::Input { at, .. }
            | Record::Timeout { at }
            | Record::TransportClosed { at }
            | Record::Abort { at }
            | Record::Answer { at, .. } => Instant::from_millis(at),
        }
    }
}

/// What [`apply`] did with a record, and what it leaves to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Applied<'a> {
    /// Bytes from the peer, for the caller to feed: behind the bytes the connection has not
    /// taken yet, as the drain contract's step 1 says. The core took a live read in as many
    /// calls as its queues allowed; a replay must let it do the same, so `apply` cannot feed
    /// them itself.
    Input(&'a [u8]),
    /// The recorded answer was given: what [`Connection::respond_n_get`] returned (the
    /// status sent, or why nothing was).
    Answered {
        /// The request's Message ID.
        message_id: u16,
        /// The status sent.
        sent: Result<u16, ApiError>,
    },
    /// The connection was given the record (a deadline, the transport closing, an abort).
    Given,
}

/// Gives `record` to `conn` at the record's time, the way the recording adapter did:
/// the replay step of every runtime. A recorded answer goes to
/// [`Connection::respond_n_get`] with `data_set` (a Failure never carries one, so an
/// answer recorded from [`Connection::fail_n_get`] gives the same bytes). Drain
/// [`Connection::poll_output`] after each record, at [`Record::at`], as the adapter did.
pub fn apply<'a>(
    conn: &mut Connection<'_>,
    record: &Record<'a>,
    data_set: Option<&dyn DataSetSource>,
) -> Applied<'a> {
    let now = record.at();
    match *record {
        Record::Input { bytes, .. } => return Applied::Input(bytes),
        Record::Timeout { .. } => conn.handle_timeout(now),
        Record::TransportClosed { .. } => conn.handle_transport_closed(now),
        Record::Abort { .. } => {
            // Refused only where the live call was refused too: nothing to replay.
            let _ = conn.abort(now);
        }
        Record::Answer {
            message_id,
            status,
            error_comment,
            ..
        } => {
            let status = Status {
                error_comment,
                ..Status::new(status)
            };
            let sent = conn.respond_n_get(now, message_id, status, data_set);
            return Applied::Answered { message_id, sent };
        }
    }
    Applied::Given
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assoc::AcceptorPolicy;
    use crate::pdu::AeTitle;
    use crate::service::{display, DISPLAY_SYSTEM};
    use crate::{Output, Storage};

    #[test]
    fn records_know_their_time() {
        let records = [
            Record::Input { at: 1, bytes: &[1] },
            Record::Timeout { at: 2 },
            Record::TransportClosed { at: 3 },
            Record::Abort { at: 4 },
            Record::Answer {
                at: 5,
                message_id: 1,
                status: 0,
                error_comment: None,
            },
        ];
        for (k, r) in records.iter().enumerate() {
            assert_eq!(r.at(), Instant::from_millis(k as u64 + 1));
        }
        assert_eq!(Header::new("A", "p").version, VERSION);
    }

    #[test]
    fn apply_gives_each_record_to_the_connection() {
        static SERVED: [&str; 1] = [DISPLAY_SYSTEM];
        let policy = AcceptorPolicy::new(AeTitle::new("DISPLAY").unwrap(), &SERVED);
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 4096]);
        let storage = Storage {
            rx: &mut rx,
            tx: &mut tx,
        };
        let mut conn = Connection::acceptor(&policy, storage, Instant::ZERO);
        let bytes = [0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0];
        let input = Record::Input {
            at: 0,
            bytes: &bytes,
        };
        assert_eq!(
            apply(&mut conn, &input, None),
            Applied::Input(&bytes[..]),
            "input is the caller's to feed"
        );
        assert!(!conn.is_closed());
        // No request is pending: the answer is refused, as it would have been live.
        let answer = Record::Answer {
            at: 1,
            message_id: 9,
            status: 0,
            error_comment: Some("x"),
        };
        assert_eq!(
            apply(&mut conn, &answer, Some(&display::DEMO)),
            Applied::Answered {
                message_id: 9,
                sent: Err(ApiError::InvalidState)
            }
        );
        let closed = Record::TransportClosed { at: 2 };
        assert_eq!(apply(&mut conn, &closed, None), Applied::Given);
        let mut out = [0u8; 1024];
        while !matches!(conn.poll_output(&mut out), Ok(Output::Idle { .. })) {}
        assert!(conn.is_closed());
    }
}
