//! Moving bytes and time between a tokio stream and a [`Connection`]: the only I/O code of
//! the adapter. Every protocol decision stays in the core.

use dimse_core::{BufferTooSmall, Closing, Connection, Event, Instant, Output};
use std::io;
use std::ops::{ControlFlow, DerefMut};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::clock::{Clock, Monotonic};

/// A transport the driver reads and writes: a TCP stream, or TLS over one.
pub(crate) trait Transport: AsyncRead + AsyncWrite + Unpin {
    /// Writes what the transport takes at once, without waiting and without an error (one
    /// that happens is `write_all`'s to report): the bytes taken, 0 when it cannot tell.
    ///
    /// Why: a socket with room takes a drain's PDUs whole, and `write_all` through
    /// `AsyncWrite` costs about a hundred instructions more per message than a plain
    /// non-blocking write (its future, the cooperative budget, the readiness poll).
    fn send_now(&mut self, _buf: &[u8]) -> usize {
        0
    }
}

impl Transport for tokio::net::TcpStream {
    fn send_now(&mut self, buf: &[u8]) -> usize {
        self.try_write(buf).unwrap_or(0)
    }
}

#[cfg(feature = "tls")]
impl<S: AsyncRead + AsyncWrite + Unpin> Transport for tokio_rustls::server::TlsStream<S> {}

#[cfg(feature = "tls")]
impl<S: AsyncRead + AsyncWrite + Unpin> Transport for tokio_rustls::client::TlsStream<S> {}

/// What [`Driver::settle`] drives: a [`Connection`], or the [`Closing`] left of it once its
/// association has ended (the same calls: the drain contract is written once).
pub(crate) trait Driven {
    fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize;
    fn poll_output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_timeout(&mut self, now: Instant);
    fn handle_transport_closed(&mut self, now: Instant);
    fn is_closed(&self) -> bool;
    /// Ends the association because the next PDU outgrew the output room; `false` when even
    /// that is refused.
    fn abort_for_room(&mut self, now: Instant) -> bool;
}

impl Driven for Connection<'_> {
    fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize {
        Connection::handle_input(self, now, input)
    }
    fn poll_output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall> {
        Connection::poll_output(self, out)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Connection::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Connection::handle_timeout(self, now)
    }
    fn handle_transport_closed(&mut self, now: Instant) {
        Connection::handle_transport_closed(self, now)
    }
    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
    fn abort_for_room(&mut self, now: Instant) -> bool {
        self.abort(now).is_ok()
    }
}

impl Driven for Closing {
    fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize {
        Closing::handle_input(self, now, input)
    }
    fn poll_output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall> {
        Closing::poll_output(self, out)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Closing::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Closing::handle_timeout(self, now)
    }
    fn handle_transport_closed(&mut self, now: Instant) {
        Closing::handle_transport_closed(self, now)
    }
    fn is_closed(&self) -> bool {
        Closing::is_closed(self)
    }
    fn abort_for_room(&mut self, _: Instant) -> bool {
        // Its only PDU is a 10-byte A-ABORT: no room for that is no room for anything.
        false
    }
}

/// The bytes of one association's transport, with a clock whose zero is the connection's
/// start (the core's [`Instant`] is milliseconds since an epoch the caller chooses).
///
/// The write buffer `W` is the driver's own (`Vec<u8>`), or lent by the caller for one
/// association (`&mut [u8]`, see [`Driver::into_lingering`]).
pub(crate) struct Driver<S, W = Vec<u8>> {
    pub(crate) stream: S,
    clock: Clock,
    /// The wall-clock time at the clock's epoch: wall-clock times derive from the monotonic
    /// clock's reading, one clock read per step.
    wall_epoch: std::time::SystemTime,
    /// The time of the input being handled: every core call of one step uses it, so that a
    /// recorded trace replays with the same times.
    current: Instant,
    /// The same reading at full resolution, as the time since the clock's epoch.
    since_epoch: std::time::Duration,
    /// The monotonic clock's reading at the epoch, taken just before `clock`'s: the core's
    /// time is never behind `clock`'s for the same moment, so a timer armed on `clock`
    /// finds the core's deadline due when it fires.
    epoch: Monotonic,
    /// Received bytes the core has not consumed yet: `inbuf[..filled]`.
    inbuf: Vec<u8>,
    filled: usize,
    /// The PDUs of one drain, written with one call: a response's command PDU and its first
    /// data set PDU leave together. The core writes each PDU straight into it, behind the
    /// ones before; when the room left is less than `out_len`, what is there is written
    /// first. Allocated zeroed ([`Driver::reserve_output`]), so the pages no PDU has
    /// reached are not resident (a buffer grown with `resize` is written whole).
    wbuf: W,
    /// The room `poll_output` is given for one PDU (see [`Driver::reserve_output`]).
    out_len: usize,
    /// The core's next deadline, from the `Idle` that ended the last drain: a drain to
    /// `Idle` follows every change to the connection before a wait, so asking the core again
    /// would give the same.
    until: Option<Instant>,
}

impl<S: Transport> Driver<S> {
    /// The output room is set once the connection exists ([`Driver::reserve_output`]).
    pub(crate) fn new(stream: S, in_len: usize) -> Self {
        let inbuf = vec![0; in_len.max(dimse_core::pdu::MAX_UNIT_LEN)];
        Driver::with_buffers(stream, inbuf, Vec::new(), 0)
    }

    /// Gives every PDU `out_len` bytes of room, growing the write buffer to
    /// [`output_buffer_len`] if it is shorter. It must hold the largest PDU the core emits
    /// whole (at least [`Connection::min_output_len`], unless the connection is known to
    /// send none of those, as a refused one); P-DATA is cut to fit, so beyond that it sets
    /// how few PDUs a message takes.
    pub(crate) fn reserve_output(&mut self, out_len: usize) {
        self.out_len = out_len;
        let len = output_buffer_len(out_len);
        if self.wbuf.len() < len {
            self.wbuf = vec![0; len];
        }
    }
}

impl<S: Transport, W: DerefMut<Target = [u8]>> Driver<S, W> {
    /// A driver reading into `inbuf` (whole: its length is the room to read) and writing
    /// PDUs of up to `out_len` bytes from `wbuf`, which must be [`output_buffer_len`] of
    /// it long. The buffers' contents do not matter (an earlier association's).
    pub(crate) fn with_buffers(stream: S, inbuf: Vec<u8>, wbuf: W, out_len: usize) -> Self {
        let epoch = Monotonic::now();
        let clock = Clock::start();
        Driver {
            stream,
            clock,
            epoch,
            wall_epoch: std::time::SystemTime::now(),
            current: Instant::ZERO,
            since_epoch: std::time::Duration::ZERO,
            inbuf,
            filled: 0,
            wbuf,
            out_len,
            until: None,
        }
    }

    /// Gives every PDU at most `most` bytes of room from now on: once the association is
    /// established, the largest PDU is the peer's maximum P-DATA-TF (PS3.8 §9.3.5) plus
    /// its header. The buffer keeps its size: more PDUs of that length go out per write.
    /// Only between drains.
    pub(crate) fn limit_output(&mut self, most: usize) {
        self.out_len = self.out_len.min(most);
    }

    /// The same transport with buffers of its own once the association has ended: input is
    /// read only to see the peer's close (or to be refused), and a PDU needs `out_len` bytes
    /// of room. Returns it and the read buffer it had; the write buffer lent is free again.
    pub(crate) fn into_lingering(self, out_len: usize) -> (Driver<S>, Vec<u8>) {
        let mut inbuf = vec![0; self.filled.max(dimse_core::pdu::MAX_UNIT_LEN)];
        inbuf[..self.filled].copy_from_slice(&self.inbuf[..self.filled]);
        let mut lingering = Driver {
            stream: self.stream,
            clock: self.clock,
            wall_epoch: self.wall_epoch,
            current: self.current,
            since_epoch: self.since_epoch,
            epoch: self.epoch,
            inbuf,
            filled: self.filled,
            wbuf: Vec::new(),
            out_len: 0,
            until: self.until,
        };
        lingering.reserve_output(out_len);
        (lingering, self.inbuf)
    }

    /// Reads the clock for the next step and returns it.
    pub(crate) fn tick(&mut self) -> Instant {
        // One subtraction serves both clocks: the core's milliseconds and the wall clock's
        // time of this step ([`Driver::wall_clock`]).
        self.since_epoch = Monotonic::now().since(self.epoch);
        self.current = Clock::core_time(self.since_epoch);
        self.current
    }

    /// The time of the step being handled (the last [`Driver::tick`]).
    pub(crate) fn current(&self) -> Instant {
        self.current
    }

    /// The wall-clock time of the step being handled, to work out only when it is needed
    /// (a request's timestamp): handed to the closure a drain runs with each event.
    fn wall_clock(&self) -> WallClock {
        WallClock {
            epoch: self.wall_epoch,
            since_epoch: self.since_epoch,
        }
    }

    /// The bytes the last `read` returned (`n` of them).
    pub(crate) fn last_read(&self, n: usize) -> &[u8] {
        &self.inbuf[self.filled.saturating_sub(n)..self.filled]
    }

    /// Makes sure `timer` fires at or before the core's next deadline, as the last
    /// [`Driver::settle`] left it.
    pub(crate) fn arm(&self, timer: &mut crate::timer::Timer) {
        if let Some(at) = self.until {
            timer.arm_core(at, &self.clock);
        }
    }

    /// Whether there is room to read more (the core may be holding input back while the
    /// application answers a request).
    pub(crate) fn can_read(&self) -> bool {
        self.filled < self.inbuf.len()
    }

    /// Reads what the socket has; `Ok(0)` is an orderly close by the peer.
    pub(crate) async fn read(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read(cx)).await
    }

    /// [`Driver::read`] as a poll, for a task that polls its wake-ups by hand.
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(&mut self.inbuf[self.filled..]);
        ready!(Pin::new(&mut self.stream).poll_read(cx, &mut buf))?;
        let n = buf.filled().len();
        self.filled += n;
        Poll::Ready(Ok(n))
    }

    /// The armed timer fired: hands the core its timeouts at this step's time if one is due
    /// (a timer may fire early, the deadline having moved later since it was armed).
    /// Returns that time when one was.
    pub(crate) fn timer_fired<C: Driven>(&mut self, conn: &mut C) -> Option<Instant> {
        let now = self.tick();
        let due = conn.poll_timeout().is_some_and(|t| t <= now);
        if due {
            conn.handle_timeout(now);
        }
        due.then_some(now)
    }

    /// A read's outcome ([`Driver::poll_read`]) at this step's time: on `Ok(0)` or an error
    /// the core hears that the transport closed (`None`); bytes read wait for the next
    /// [`Driver::settle`], and are returned for a trace.
    pub(crate) fn input_read<C: Driven>(
        &mut self,
        conn: &mut C,
        read: io::Result<usize>,
    ) -> (Instant, Option<&[u8]>) {
        let now = self.tick();
        match read {
            Ok(0) | Err(_) => {
                conn.handle_transport_closed(now);
                (now, None)
            }
            Ok(n) => (now, Some(self.last_read(n))),
        }
    }

    /// Offers the core every byte it has not taken yet, and keeps the rest in front.
    fn feed<C: Driven>(&mut self, conn: &mut C, now: Instant) {
        let used = conn.handle_input(now, &self.inbuf[..self.filled]);
        if used == self.filled {
            // All of it, as most reads (a whole PDU or more): nothing to move.
            self.filled = 0;
        } else if used > 0 {
            self.inbuf.copy_within(used..self.filled, 0);
            self.filled -= used;
        }
    }

    /// Runs the drain contract of dimse-core once: feeds the input, writes the PDUs and
    /// hands the events to `on_event` (with the step's time for the core and on the wall
    /// clock) until the core is idle. Returns whether the transport should close.
    ///
    /// `on_event` may pause the drain with `Break` when the caller handles that event after
    /// this returns (`false` then), as the server answers an N-GET: the next `settle` goes
    /// on where this one stopped, and the `Idle` in between, a poll for nothing, is spared.
    /// The caller must settle again before it waits.
    pub(crate) async fn settle<C, F>(&mut self, conn: &mut C, on_event: &mut F) -> io::Result<bool>
    where
        C: Driven,
        F: FnMut(&mut C, Event, Instant, WallClock) -> ControlFlow<()>,
    {
        let now = self.current;
        if self.filled > 0 {
            // With nothing kept there is nothing to offer: whatever the core held back comes
            // back as `Reoffer` below.
            self.feed(conn, now);
        }
        // The buffer holds `out_len` bytes and more (`output_buffer_len`): room for a PDU.
        let mut len = 0;
        // Writes `wbuf[..len]`: in one system call when the socket takes it all, as it mostly
        // does (no write future is polled then), else waiting for the socket.
        macro_rules! flush {
            () => {
                let sent = self.write_now(len);
                if sent < len {
                    self.write_rest(sent, len).await?;
                }
            };
        }
        loop {
            match conn.poll_output(&mut self.wbuf[len..]) {
                Ok(Output::Transmit(n)) => {
                    len += n;
                    // Room for the largest PDU behind what is there, or write what is there
                    // first: P-DATA is cut to the peer's maximum, never to less, so the PDUs
                    // are those of a lone buffer.
                    if self.wbuf.len() - len < self.out_len {
                        flush!();
                        len = 0;
                    }
                }
                Ok(Output::Event(ev)) => {
                    if on_event(conn, ev, now, self.wall_clock()).is_break() {
                        flush!();
                        return Ok(false);
                    }
                }
                Ok(Output::Reoffer) => self.feed(conn, now),
                Ok(Output::Idle { until }) => {
                    self.until = until;
                    break;
                }
                Err(_) => {
                    // Only an A-ASSOCIATE-AC can outgrow `out_len`, which is sized for the
                    // policy's contexts: a local fault. The abort replaces it in the queue;
                    // were even that refused, nothing more would ever come out.
                    tracing::error!("transmit buffer too small for the next PDU");
                    if !conn.abort_for_room(now) {
                        self.until = conn.poll_timeout();
                        break;
                    }
                }
            }
        }
        // Often nothing is left: the last PDU filled the room and went out in the loop.
        flush!();
        Ok(conn.is_closed())
    }

    /// Writes as much of the drain's PDUs, `wbuf[..len]`, as the socket takes at once
    /// ([`Transport::send_now`], one system call; none for `len` 0) and returns how much:
    /// [`Driver::write_rest`] writes the rest. Two steps so that a drain whose PDUs all go
    /// out at once, as most do, polls no write future.
    fn write_now(&mut self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        self.stream.send_now(&self.wbuf[..len])
    }

    /// Writes `wbuf[sent..len]`, what [`Driver::write_now`] left, waiting for the socket.
    async fn write_rest(&mut self, sent: usize, len: usize) -> io::Result<()> {
        self.stream.write_all(&self.wbuf[sent..len]).await
    }

    /// Closes the write side after the last PDU.
    pub(crate) async fn shutdown(&mut self) {
        let _ = self.stream.flush().await;
        let _ = self.stream.shutdown().await;
    }
}

/// The room the write buffer has beyond one PDU of `out_len` (at most `out_len` again): a
/// response's command PDU (an N-GET-RSP's is about 200 bytes, 1 KiB more with an Attribute
/// Identifier List of 256 tags) goes out in the same write as the data set's first PDU.
const COMMAND_ROOM: usize = 2048;

/// The length of a write buffer for PDUs of up to `out_len` bytes.
pub(crate) fn output_buffer_len(out_len: usize) -> usize {
    out_len + COMMAND_ROOM.min(out_len)
}

/// A step's time on the wall clock ([`Driver::wall_clock`]).
#[derive(Clone, Copy)]
pub(crate) struct WallClock {
    epoch: std::time::SystemTime,
    since_epoch: std::time::Duration,
}

impl WallClock {
    /// The connection's start on the wall clock plus the monotonic time since (a wall clock
    /// stepped meanwhile is not followed).
    #[inline]
    pub(crate) fn time(self) -> std::time::SystemTime {
        self.epoch + self.since_epoch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// A drain's write larger than the socket takes at once: what `write_now` does not take
    /// goes through `write_rest`, in order, nothing lost or sent twice.
    #[tokio::test]
    async fn a_write_the_socket_takes_in_part_arrives_whole() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ours = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut peer, _) = listener.accept().await.unwrap();
        // More than loopback's socket buffers hold: the peer reads only later.
        let len = 32 << 20;
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut driver = Driver::with_buffers(ours, vec![0; 16], data.clone(), 0);
        let reader = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let mut got = Vec::new();
            peer.read_to_end(&mut got).await.unwrap();
            got
        });
        let sent = driver.write_now(len);
        assert!(
            sent < len,
            "the socket took all {len} bytes at once: nothing tested"
        );
        driver.write_rest(sent, len).await.unwrap();
        driver.shutdown().await;
        let got = reader.await.unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data, "the bytes arrived out of order or changed");
    }

    /// The premise of the test above: a socket whose peer does not read takes only part of
    /// a large write at once.
    #[tokio::test]
    async fn a_socket_takes_only_part_of_a_large_write_at_once() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut ours = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (_peer, _) = listener.accept().await.unwrap();
        ours.writable().await.unwrap();
        let data = vec![7u8; 32 << 20];
        let sent = ours.send_now(&data);
        assert!(sent < data.len(), "took {sent} of {}", data.len());
    }
}
