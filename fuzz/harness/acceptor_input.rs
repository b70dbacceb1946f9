//! The input format of the `acceptor` fuzz target (see `acceptor.rs` beside this file):
//! decoding for the harness, encoding for the seeds. Std only, so that `fuzz/seed.rs` builds
//! with plain `rustc`.
//!
//! | bytes | meaning |
//! |---|---|
//! | 0 | flags, see [`Flags`] |
//! | 1 | `n`: how many schedule entries follow (taken modulo 33) |
//! | 3 × `n` | schedule entries: stream position (u16 LE, modulo the stream length + 1), code |
//! | the rest | the byte stream from the peer |
//!
//! An entry's code holds a clock advance (bits 0-2, see [`ADVANCE_MS`]) and a local action
//! (bits 3-5: 0-4 none, 5 release, 6 abort, 7 transport closed). An entry with an advance or
//! an action is a *boundary*: the clock moves there, `handle_timeout` is called, the
//! application answers what it owes and the action is taken. Any other entry is a *cut*: the
//! stream is split there, at the same instant.

/// The smallest `poll_output` buffer the contract allows (`dimse_core::pdu::MAX_UNIT_LEN`).
const MAX_UNIT_LEN: usize = 512;

/// Clock advances an entry code can ask for (bits 0-2), in milliseconds. They straddle the
/// default timeouts: ARTIM, ACSE and DIMSE 30 s, network 60 s.
pub const ADVANCE_MS: [u64; 8] = [0, 1, 100, 1_000, 29_999, 30_000, 60_000, 600_000];

/// What the application does with an N-GET (flags bits 0-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Success with the harness's small data set (three attributes, one a sequence).
    Small,
    /// Success with a 20 000-byte data set, larger than any transmit buffer: the core
    /// answers 0213H.
    Big,
    /// Never: the core answers 0110H at the DIMSE timeout.
    Never,
    /// `fail_n_get`: 0110H with an Error Comment.
    Fail,
}

/// The first input byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// Bits 0-1.
    pub answer: Answer,
    /// Bits 2-3: the `poll_output` buffer, 512, 1024, 4096 or 65536 bytes.
    pub out_len: usize,
    /// Bit 4: the chunked run feeds byte by byte (the cuts are then not needed).
    pub bytewise: bool,
    /// Bit 5: small limits and buffers (max PDU 256, rx 512, tx 1024) instead of the defaults
    /// (max PDU 16382, rx and tx 16 KiB).
    pub small: bool,
    /// Bit 6: the application answers inside the drain, not at boundaries (and the whole and
    /// chunked runs are not compared).
    pub immediate: bool,
}

impl Flags {
    pub fn from_byte(b: u8) -> Flags {
        Flags {
            answer: match b & 3 {
                0 => Answer::Small,
                1 => Answer::Big,
                2 => Answer::Never,
                _ => Answer::Fail,
            },
            out_len: [MAX_UNIT_LEN, 1024, 4096, 65536][usize::from((b >> 2) & 3)],
            bytewise: b & 0x10 != 0,
            small: b & 0x20 != 0,
            immediate: b & 0x40 != 0,
        }
    }

    pub fn to_byte(self) -> u8 {
        let answer = match self.answer {
            Answer::Small => 0,
            Answer::Big => 1,
            Answer::Never => 2,
            Answer::Fail => 3,
        };
        let out = match self.out_len {
            MAX_UNIT_LEN => 0,
            1024 => 1,
            4096 => 2,
            _ => 3,
        };
        answer
            | (out << 2)
            | (u8::from(self.bytewise) << 4)
            | (u8::from(self.small) << 5)
            | (u8::from(self.immediate) << 6)
    }
}

/// A local action at a boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    Release,
    Abort,
    TransportClosed,
}

/// One schedule entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Position in the stream (already reduced modulo its length + 1).
    pub pos: usize,
    /// Milliseconds the clock advances here.
    pub advance_ms: u64,
    pub action: Action,
}

impl Entry {
    fn from_code(pos: usize, code: u8) -> Entry {
        Entry {
            pos,
            advance_ms: ADVANCE_MS[usize::from(code & 7)],
            action: match (code >> 3) & 7 {
                5 => Action::Release,
                6 => Action::Abort,
                7 => Action::TransportClosed,
                _ => Action::None,
            },
        }
    }

    pub fn is_boundary(&self) -> bool {
        self.advance_ms > 0 || self.action != Action::None
    }
}

/// A decoded input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input<'a> {
    pub flags: Flags,
    /// Sorted by position (stable: entries at one position keep their order).
    pub schedule: Vec<Entry>,
    pub stream: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn decode(data: &'a [u8]) -> Input<'a> {
        let flags = Flags::from_byte(data.first().copied().unwrap_or(0));
        let n = usize::from(data.get(1).copied().unwrap_or(0)) % 33;
        let table_end = (2 + 3 * n).min(data.len());
        let table = data.get(2.min(data.len())..table_end).unwrap_or(&[]);
        let stream = data.get(table_end..).unwrap_or(&[]);
        let mut schedule: Vec<Entry> = table
            .chunks_exact(3)
            .map(|e| {
                let pos = usize::from(u16::from_le_bytes([e[0], e[1]])) % (stream.len() + 1);
                Entry::from_code(pos, e[2])
            })
            .collect();
        schedule.sort_by_key(|e| e.pos);
        Input {
            flags,
            schedule,
            stream,
        }
    }
}

/// Encodes an input for [`run`]: `entries` are (position, code) pairs.
pub fn encode(flags: Flags, entries: &[(u16, u8)], stream: &[u8]) -> Vec<u8> {
    assert!(entries.len() <= 32);
    let mut out = vec![flags.to_byte(), entries.len() as u8];
    for &(pos, code) in entries {
        out.extend_from_slice(&pos.to_le_bytes());
        out.push(code);
    }
    out.extend_from_slice(stream);
    out
}

/// An entry code: advance index (0-7) and action number (0-7, see the module docs).
pub const fn code(advance: u8, action: u8) -> u8 {
    (advance & 7) | ((action & 7) << 3)
}
