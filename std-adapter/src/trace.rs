//! Record and replay: an association's inputs as a trace in the format of
//! [`dimse_core::trace`] (what it holds, its times, its version and its postcard layout are
//! described there), and a replayer that runs a trace through a fresh core and describes what
//! it did, deterministically.
//!
//! A server records when [`ServerOptions::record`](crate::ServerOptions::record) names a
//! directory: one `.trace` file per association, written when it ends. `dimse replay FILE`
//! prints the replay. A replay reproduces the live association exactly when the replayer's
//! data set is the one the server served.

use std::fmt::Write as _;

use dimse_core::assoc::AcceptorPolicy;
use dimse_core::dataset::DataSetSource;
use dimse_core::dimse::Operation;
use dimse_core::pdu::{AeTitle, PduType};
use dimse_core::trace::{apply, Applied};
use dimse_core::{Connection, Event, Instant, Output, Storage};
use serde::{Deserialize, Serialize};

pub use dimse_core::trace::{Header, Record, VERSION};

/// A recorded association, its records borrowed from the trace's bytes: the core's
/// [`Header`], then its [`Record`]s as one postcard sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace<'a> {
    /// Version, AE title and peer.
    #[serde(borrow)]
    pub header: Header<'a>,
    /// The inputs, in order.
    #[serde(borrow)]
    pub records: Vec<Record<'a>>,
}

impl<'a> Trace<'a> {
    /// The trace as postcard bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// A trace read from postcard bytes, borrowing them.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Trace<'a>, String> {
        // The version first, alone: a trace of another version may not parse as records.
        let (version, _) =
            postcard::take_from_bytes::<u16>(bytes).map_err(|e| format!("not a trace: {e}"))?;
        if version != VERSION {
            return Err(format!(
                "trace version {version} (this build reads {VERSION})"
            ));
        }
        postcard::from_bytes(bytes).map_err(|e| format!("not a trace: {e}"))
    }
}

/// Writes a trace as records come, each serialized when it is recorded (nothing borrowed
/// is kept): what a server does for each association it records.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    records: Vec<u8>,
    count: usize,
}

impl Recorder {
    /// An empty trace.
    pub fn new() -> Self {
        Recorder::default()
    }

    /// Appends `record`.
    pub fn push(&mut self, record: &Record<'_>) {
        // Into a Vec, postcard fails only where serde does: never for these types.
        if let Ok(records) = postcard::to_extend(record, std::mem::take(&mut self.records)) {
            self.records = records;
            self.count += 1;
        }
    }

    /// How many records it holds.
    pub fn records(&self) -> usize {
        self.count
    }

    /// The finished trace, under `header`: the same bytes as [`Trace::to_bytes`] of the
    /// same records.
    pub fn finish(self, header: &Header<'_>) -> Vec<u8> {
        let header = postcard::to_stdvec(header).unwrap_or_default();
        // A sequence's length, as postcard writes it (a varint).
        let mut bytes = postcard::to_extend(&self.count, header).unwrap_or_default();
        bytes.extend_from_slice(&self.records);
        bytes
    }
}

/// Runs `trace` through a fresh acceptor with `policy`, answering N-GETs as recorded (with
/// `data_set` for Success and Warning), and returns one line per event and per PDU sent.
pub fn replay(
    trace: &Trace<'_>,
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
        let at = record.at().as_millis();
        match apply(&mut conn, record, Some(data_set)) {
            Applied::Input(bytes) => pending.extend_from_slice(bytes),
            Applied::Answered {
                message_id,
                sent: Ok(sent),
            } => lines.push(format!("{at:>8} ms  answer #{message_id}: {sent:04X}H")),
            Applied::Answered {
                message_id,
                sent: Err(e),
            } => lines.push(format!("{at:>8} ms  answer #{message_id} not sent: {e:?}")),
            Applied::Given => {}
        }
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
