//! Recording an association's inputs on the device, into a buffer you lend, in the trace
//! format of [`dimse_core::trace`] (what it holds, its times, its version and its postcard
//! layout are described there), which `dimse replay FILE` reads.
//!
//! Use [`serve_association_recording`](crate::serve_association_recording); the finished
//! trace reaches [`Handler::association_recorded`](crate::Handler::association_recorded),
//! which can keep it in flash or send it out.
//!
//! When the buffer fills up, recording stops at the last record that fit and the trace says
//! so ([`TraceRecorder::is_complete`]): it is still a valid trace of the association's start.

use dimse_core::trace::{Header, Record};

/// The trace format version: [`dimse_core::trace::VERSION`].
pub const TRACE_VERSION: u16 = dimse_core::trace::VERSION;

/// Room kept at the end of the buffer for the record count, inserted when the trace is
/// finished (a postcard varint of a `u32`).
const COUNT_ROOM: usize = 5;

/// Writes a trace into a caller-provided buffer, record by record; nothing is allocated.
#[derive(Debug)]
pub struct TraceRecorder<'b> {
    buf: &'b mut [u8],
    /// Where the records start (after the header).
    records_at: usize,
    len: usize,
    count: u32,
    complete: bool,
}

impl<'b> TraceRecorder<'b> {
    /// Starts a trace of an association served as `ae_title`, with a peer described as
    /// `peer` (its address, for the reader). `None` when `buf` cannot even hold the header.
    pub fn new(buf: &'b mut [u8], ae_title: &str, peer: &str) -> Option<Self> {
        let cap = buf.len().checked_sub(COUNT_ROOM)?;
        let header = Header::new(ae_title, peer);
        let used = postcard::to_slice(&header, buf.get_mut(..cap)?).ok()?.len();
        Some(TraceRecorder {
            buf,
            records_at: used,
            len: used,
            count: 0,
            complete: true,
        })
    }

    /// Bytes received from the peer, as the core took them.
    pub fn input(&mut self, at: u64, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.push(&Record::Input { at, bytes });
        }
    }

    /// A deadline passed (`handle_timeout`).
    pub fn timeout(&mut self, at: u64) {
        self.push(&Record::Timeout { at });
    }

    /// The transport closed (`handle_transport_closed`).
    pub fn transport_closed(&mut self, at: u64) {
        self.push(&Record::TransportClosed { at });
    }

    /// The device aborted the association (`abort`).
    pub fn abort(&mut self, at: u64) {
        self.push(&Record::Abort { at });
    }

    /// The application answered N-GET `message_id` with `status` (and an Error Comment).
    pub fn answer(&mut self, at: u64, message_id: u16, status: u16, error_comment: Option<&str>) {
        self.push(&Record::Answer {
            at,
            message_id,
            status,
            error_comment,
        });
    }

    /// Whether every record fitted.
    pub const fn is_complete(&self) -> bool {
        self.complete
    }

    /// How many records it holds.
    pub const fn records(&self) -> u32 {
        self.count
    }

    fn push(&mut self, record: &Record<'_>) {
        if !self.complete {
            return;
        }
        let cap = self.buf.len().saturating_sub(COUNT_ROOM);
        let fitted = self
            .buf
            .get_mut(self.len..cap)
            .and_then(|room| postcard::to_slice(record, room).ok())
            .map(|used| used.len());
        match (fitted, self.count.checked_add(1)) {
            (Some(n), Some(count)) => {
                self.len += n;
                self.count = count;
            }
            // Recording stops here: a trace with a record missing in the middle would not
            // replay what happened.
            _ => self.complete = false,
        }
    }

    /// The finished trace: the record count is put in before the records.
    pub fn finish(self) -> &'b [u8] {
        let mut count = [0u8; COUNT_ROOM];
        let mut k = 0;
        let mut n = self.count;
        loop {
            let byte = (n & 0x7F) as u8;
            n >>= 7;
            if let Some(slot) = count.get_mut(k) {
                *slot = if n == 0 { byte } else { byte | 0x80 };
            }
            k += 1;
            if n == 0 {
                break;
            }
        }
        let buf = self.buf;
        let (at, end) = (self.records_at, self.len);
        // `new` and `push` kept COUNT_ROOM bytes free past `end`, so this always holds.
        if end + k > buf.len() {
            return &[];
        }
        buf.copy_within(at..end, at + k);
        if let (Some(dst), Some(src)) = (buf.get_mut(at..at + k), count.get(..k)) {
            dst.copy_from_slice(src);
        }
        buf.get(..end + k).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trace of `trace_golden` (see there) as bytes, as dimse-tokio's test reads it too.
    const GOLDEN: &str = include_str!("../tests/trace-golden.hex");

    fn hex(s: &str) -> heapless::Vec<u8, 256> {
        let s = s.trim();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn golden(buf: &mut [u8]) -> Option<TraceRecorder<'_>> {
        let mut r = TraceRecorder::new(buf, "DISPLAY", "192.168.69.1:40000")?;
        r.input(0, &[0x01, 0x00, 0x00, 0x00]);
        r.timeout(30_000);
        r.answer(30_001, 7, 0x0110, Some("late"));
        r.answer(30_002, 8, 0x0000, None);
        r.abort(30_003);
        r.transport_closed(30_004);
        Some(r)
    }

    #[test]
    fn trace_golden() {
        let mut buf = [0u8; 256];
        let r = golden(&mut buf).unwrap();
        assert!(r.is_complete());
        assert_eq!(r.records(), 6);
        assert_eq!(r.finish(), &hex(GOLDEN)[..]);
    }

    #[test]
    fn a_full_buffer_keeps_the_records_that_fit() {
        let whole = hex(GOLDEN);
        for size in 0..whole.len() + 8 {
            let mut buf = std::vec![0u8; size];
            let Some(r) = golden(&mut buf) else {
                // Not even the header fits.
                assert!(size < 40, "{size}");
                continue;
            };
            let complete = r.is_complete();
            let records = r.records();
            let t = r.finish();
            assert!(t.len() <= size);
            assert_eq!(complete, records == 6);
            if complete {
                assert_eq!(t, &whole[..]);
            } else {
                // The header, the count and the records that fitted, in order.
                assert_eq!(t.first(), whole.first());
            }
        }
    }

    #[test]
    fn counts_of_several_bytes() {
        let mut buf = std::vec![0u8; 4096];
        let mut r = TraceRecorder::new(&mut buf, "D", "p").unwrap();
        for i in 0..300u64 {
            r.timeout(i);
        }
        assert!(r.is_complete());
        let t = r.finish();
        // version 1, "D", "p", then 300 as a varint (AC 02) and the first record.
        assert_eq!(&t[..8], &[1, 1, b'D', 1, b'p', 0xAC, 0x02, 1]);
    }
}
