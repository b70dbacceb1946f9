//! Record and replay: an association's inputs (time-stamped received bytes, timer firings,
//! the transport closing, the application's answers) as a postcard trace, and a replayer that
//! runs a trace through a fresh core and describes what it did, deterministically.
//!
//! A server records when [`ServerOptions::record`](crate::ServerOptions::record) names a
//! directory: one `.trace` file per association, written when it ends. `dimse replay FILE`
//! prints the replay. The core is deterministic given its inputs, so the same trace always
//! gives the same events and the same output bytes; a replay also reproduces the live
//! association exactly when the replayer's data set is the one the server served.

use std::fmt::Write as _;

use dimse_core::assoc::AcceptorPolicy;
use dimse_core::dataset::DataSetSource;
use dimse_core::dimse::Operation;
use dimse_core::dimse::Status;
use dimse_core::pdu::{AeTitle, PduType};
use dimse_core::{Connection, Event, Instant, Output, Storage};
use serde::{Deserialize, Serialize};

/// The trace format version.
pub const VERSION: u16 = 1;

/// One input of an association, with the time (milliseconds since the connection was
/// accepted) at which the core got it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// Bytes received from the peer.
    Input {
        /// When.
        at: u64,
        /// What.
        bytes: Vec<u8>,
    },
    /// A timer deadline passed (`handle_timeout`).
    Timeout {
        /// When.
        at: u64,
    },
    /// The transport closed (`handle_transport_closed`).
    TransportClosed {
        /// When.
        at: u64,
    },
    /// The server aborted (shutdown).
    Abort {
        /// When.
        at: u64,
    },
    /// The application answered an N-GET.
    Answer {
        /// When.
        at: u64,
        /// The request's Message ID.
        message_id: u16,
        /// The status it gave.
        status: u16,
        /// Its Error Comment, if any.
        error_comment: Option<String>,
    },
}

/// A recorded association.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// [`VERSION`].
    pub version: u16,
    /// The server's AE title.
    pub ae_title: String,
    /// The peer's address, for the reader.
    pub peer: String,
    /// The inputs, in order.
    pub records: Vec<Record>,
}

impl Trace {
    /// The trace as postcard bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// A trace from postcard bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Trace, String> {
        let t: Trace = postcard::from_bytes(bytes).map_err(|e| format!("not a trace: {e}"))?;
        if t.version != VERSION {
            return Err(format!(
                "trace version {} (this build reads {VERSION})",
                t.version
            ));
        }
        Ok(t)
    }
}

/// Runs `trace` through a fresh acceptor with `policy`, answering N-GETs as recorded (with
/// `data_set` for Success and Warning), and returns one line per event and per PDU sent.
pub fn replay(
    trace: &Trace,
    policy: &AcceptorPolicy<'_>,
    data_set: &dyn DataSetSource,
) -> Vec<String> {
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 256 * 1024]);
    let mut conn = Connection::acceptor(
        policy,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        Instant::ZERO,
    );
    // The server's room, so that P-DATA is cut as it was live.
    let pdata = policy.limits.max_pdu_length as usize + 6;
    let mut out = vec![0u8; conn.min_output_len().max(pdata)];
    let mut pending: Vec<u8> = Vec::new();
    let mut lines = Vec::new();
    for record in &trace.records {
        let at = match record {
            Record::Input { at, bytes } => {
                pending.extend_from_slice(bytes);
                *at
            }
            Record::Timeout { at } => {
                conn.handle_timeout(Instant::from_millis(*at));
                *at
            }
            Record::TransportClosed { at } => {
                conn.handle_transport_closed(Instant::from_millis(*at));
                *at
            }
            Record::Abort { at } => {
                let _ = conn.abort(Instant::from_millis(*at));
                *at
            }
            Record::Answer {
                at,
                message_id,
                status,
                error_comment,
            } => {
                let s = Status {
                    error_comment: error_comment.as_deref(),
                    ..Status::new(*status)
                };
                match conn.respond_n_get(Instant::from_millis(*at), *message_id, s, Some(data_set))
                {
                    Ok(sent) => {
                        lines.push(format!("{at:>8} ms  answer #{message_id}: {sent:04X}H"))
                    }
                    Err(e) => {
                        lines.push(format!("{at:>8} ms  answer #{message_id} not sent: {e:?}"))
                    }
                }
                *at
            }
        };
        // The server's drain, at the recorded time.
        let now = Instant::from_millis(at);
        let feed = |conn: &mut Connection<'_>, pending: &mut Vec<u8>| {
            let used = conn.handle_input(now, pending);
            pending.drain(..used);
        };
        if !pending.is_empty() {
            feed(&mut conn, &mut pending);
        }
        loop {
            match conn.poll_output(&mut out) {
                Ok(Output::Transmit(n)) => {
                    lines.push(format!("{at:>8} ms  sent {}", describe_pdu(&out[..n])))
                }
                Ok(Output::Event(ev)) => {
                    lines.push(format!("{at:>8} ms  event {}", describe(&conn, &ev)))
                }
                Ok(Output::Reoffer) => feed(&mut conn, &mut pending),
                Ok(Output::Idle { .. }) => break,
                Err(_) => {
                    lines.push(format!("{at:>8} ms  transmit buffer too small: abort"));
                    if conn.abort(now).is_err() {
                        break;
                    }
                }
            }
        }
    }
    lines
}

fn describe(conn: &Connection<'_>, ev: &Event) -> String {
    match ev {
        Event::Request {
            op: Operation::NGet,
            ..
        } => conn
            .n_get_request()
            .map_or_else(|| format!("{ev:?}"), |r| r.to_string()),
        other => format!("{other:?}"),
    }
}

/// A PDU as its type, length and an FNV-1a digest of its bytes (equal digests, equal bytes).
fn describe_pdu(pdu: &[u8]) -> String {
    let name = pdu
        .first()
        .and_then(|&t| PduType::from_u8(t))
        .map_or("?", PduType::name);
    let digest = pdu.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut s = String::new();
    let _ = write!(s, "{name} ({} bytes, fnv {digest:016x})", pdu.len());
    s
}

/// A policy like the server's default one, named `ae_title`, for replays.
pub fn default_policy(ae_title: &str) -> Option<AcceptorPolicy<'static>> {
    static SERVED: [&str; 2] = [
        dimse_core::service::DISPLAY_SYSTEM,
        dimse_core::service::VERIFICATION,
    ];
    Some(AcceptorPolicy::new(AeTitle::new(ae_title)?, &SERVED))
}
