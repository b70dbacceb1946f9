//! Moving bytes and time between a tokio stream and a [`Connection`]: the only I/O code of
//! the adapter. Every protocol decision stays in the core.

use std::io;
use std::time::Duration;

use dimse_core::{Connection, Event, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The bytes of one association's transport, with a clock whose zero is the connection's
/// start (the core's [`Instant`] is milliseconds since an epoch the caller chooses).
pub(crate) struct Driver<S> {
    pub(crate) stream: S,
    epoch: tokio::time::Instant,
    /// The wall-clock time at `epoch`: wall-clock times derive from the monotonic clock's
    /// reading, one clock read per step.
    wall_epoch: std::time::SystemTime,
    /// The time of the input being handled: every core call of one step uses it, so that a
    /// recorded trace replays with the same times.
    current: Instant,
    /// The same reading at full resolution.
    current_at: tokio::time::Instant,
    /// Received bytes the core has not consumed yet: `inbuf[..filled]`.
    inbuf: Vec<u8>,
    filled: usize,
    /// Everything `poll_transmit` had, written with one call: a response's command and data
    /// set PDUs leave together (two writes would cost a round trip with Nagle and delayed
    /// ACKs on the peer). The core writes each PDU straight into it, behind the ones before;
    /// it grows to the largest message sent and stays that size.
    wbuf: Vec<u8>,
    /// The room `poll_transmit` is given for one PDU (see [`Driver::new`]).
    out_len: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// `out_len` must hold the largest PDU the core emits whole: the A-ASSOCIATE-AC/RQ with
    /// all its contexts (P-DATA is cut to fit).
    pub(crate) fn new(stream: S, in_len: usize, out_len: usize) -> Self {
        let epoch = tokio::time::Instant::now();
        Driver {
            stream,
            epoch,
            wall_epoch: std::time::SystemTime::now(),
            current: Instant::ZERO,
            current_at: epoch,
            inbuf: vec![0; in_len.max(dimse_core::pdu::MAX_UNIT_LEN)],
            filled: 0,
            wbuf: vec![0; out_len],
            out_len,
        }
    }

    /// Reads the clock for the next step and returns it.
    pub(crate) fn tick(&mut self) -> Instant {
        self.current_at = tokio::time::Instant::now();
        let since = self.current_at.saturating_duration_since(self.epoch);
        self.current = Instant::from_millis(since.as_millis() as u64);
        self.current
    }

    /// The time of the step being handled (the last [`Driver::tick`]).
    pub(crate) fn current(&self) -> Instant {
        self.current
    }

    /// The wall-clock time of the step being handled: the connection's start on the wall
    /// clock plus the monotonic time since (a wall clock stepped meanwhile is not followed).
    pub(crate) fn wall_clock(&self) -> std::time::SystemTime {
        self.wall_epoch + self.current_at.saturating_duration_since(self.epoch)
    }

    /// The bytes the last `read` returned (`n` of them).
    pub(crate) fn last_read(&self, n: usize) -> &[u8] {
        &self.inbuf[self.filled.saturating_sub(n)..self.filled]
    }

    /// The core's next deadline on the monotonic clock.
    pub(crate) fn deadline(&self, conn: &Connection<'_>) -> Option<std::time::Instant> {
        conn.poll_timeout()
            .map(|t| self.epoch.into_std() + Duration::from_millis(t.as_millis()))
    }

    /// Whether there is room to read more (the core may be holding input back while the
    /// application answers a request).
    pub(crate) fn can_read(&self) -> bool {
        self.filled < self.inbuf.len()
    }

    /// Reads what the socket has; `Ok(0)` is an orderly close by the peer.
    pub(crate) async fn read(&mut self) -> io::Result<usize> {
        let n = self.stream.read(&mut self.inbuf[self.filled..]).await?;
        self.filled += n;
        Ok(n)
    }

    /// Feeds input, writes output and hands events to `on_event` until the core is quiet
    /// (the drain contract of dimse-core). Returns whether the transport should close.
    pub(crate) async fn settle<F>(
        &mut self,
        conn: &mut Connection<'_>,
        mut on_event: F,
    ) -> io::Result<bool>
    where
        F: FnMut(&mut Connection<'_>, Event, Instant),
    {
        let mut closed = false;
        let now = self.current;
        loop {
            let used = if self.filled > 0 {
                conn.handle_input(now, &self.inbuf[..self.filled])
            } else {
                0
            };
            if used > 0 {
                self.inbuf.copy_within(used..self.filled, 0);
                self.filled -= used;
            }
            let mut progressed = used > 0;
            while let Some(ev) = conn.poll_event() {
                progressed = true;
                if ev == Event::Closed {
                    closed = true;
                }
                on_event(conn, ev, now);
            }
            let mut len = 0;
            loop {
                // Room for the largest PDU behind what is there; P-DATA is cut to the
                // peer's maximum, never to less, so the PDUs are those of a lone buffer.
                if self.wbuf.len() < len + self.out_len {
                    self.wbuf.resize(len + self.out_len, 0);
                }
                match conn.poll_transmit(&mut self.wbuf[len..]) {
                    Ok(Some(n)) => len += n,
                    Ok(None) => break,
                    Err(_) => {
                        // Only an A-ASSOCIATE-AC can outgrow `out_len`; it is sized for
                        // the policy's contexts, so this is a local fault: abort.
                        tracing::error!("transmit buffer too small for the next PDU");
                        let _ = conn.abort(now);
                        break;
                    }
                }
            }
            if len > 0 {
                progressed = true;
                self.stream.write_all(&self.wbuf[..len]).await?;
            }
            if !progressed {
                return Ok(closed || conn.is_closed());
            }
        }
    }

    /// Closes the write side after the last PDU.
    pub(crate) async fn shutdown(&mut self) {
        let _ = self.stream.flush().await;
        let _ = self.stream.shutdown().await;
    }
}

/// An abort in words, for errors and logs (the core's `Display`: one place for the words).
pub(crate) fn describe_abort(origin: &dimse_core::connection::AbortOrigin) -> String {
    origin.to_string()
}

/// Sleeps until `deadline`, or forever without one (a `select!` branch that never fires).
pub(crate) async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
