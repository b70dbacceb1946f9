//! The adapter on a host, end to end, without root or a TAP device.
//!
//! Two embassy-net stacks run on embassy's std executor, each on an
//! `embassy-net-driver-channel` device (Ethernet frames, ARP included); two `wire` tasks move
//! the frames between the channels. The server stack runs two [`serve_association`] tasks
//! (the adapter under test, as firmware spawns them); the client stack runs a small DICOM
//! client: the core's requestor `Connection` on an embassy `TcpSocket`. Each scenario checks
//! what the client saw and the server's [`Summary`] of the association.
//!
//! Its own test binary with `harness = false`: embassy's task pools are statics, and the
//! executor owns the thread. It prints libtest-like lines and exits non-zero on any failure;
//! a watchdog thread ends it if it hangs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use dimse_core::assoc::{
    AcceptorPolicy, RequestorConfig, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};
use dimse_core::connection::AbortOrigin;
use dimse_core::dataset::{AttributeFilter, Writer};
use dimse_core::dimse::NGetRequest;
use dimse_core::dimse::Operation;
use dimse_core::pdu::{Abort, AbortReason, AbortSource, AeTitle, PresentationContextRq};
use dimse_core::service::display::{tags, DEMO};
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, VERIFICATION};
use dimse_core::{Connection, Event, Output, Storage};
use dimse_embassy::{
    serve_association, serve_association_recording, AssociationBuffers, AssociationPool, End,
    Failure, Handler, Reply, Summary, TransportEnd,
};
use embassy_executor::{Executor, Spawner};
use embassy_net::tcp::{ConnectError, TcpSocket};
use embassy_net::{Config, Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as channel;
use embassy_net_driver_channel::driver::{HardwareAddress, LinkState};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embassy_time::{Duration, Instant, Timer, WithTimeout};
use static_cell::StaticCell;

const MTU: usize = 1514;
const PORT: u16 = 11112;
const ASSOCIATIONS: usize = 2;
// TEST-NET-1 (RFC 5737): these addresses exist only inside this process.
const SERVER_IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const CLIENT_IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
/// How long any one step may take before the scenario fails.
const STEP: Duration = Duration::from_secs(5);
/// ARTIM of the server's policy: short, so that the idle-connection scenario is quick.
const ARTIM_MS: u64 = 400;
/// The PDU timeout of the server's policy: short, so that the trickling peer is quick.
const PDU_MS: u64 = 300;

type Device = channel::Device<'static, MTU>;
type Result<T = ()> = std::result::Result<T, String>;

// ---------------------------------------------------------------- the device under test

static POOL: AssociationPool<ASSOCIATIONS> = AssociationPool::new();
static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
static POLICY: StaticCell<AcceptorPolicy<'static>> = StaticCell::new();
static DEVICE: TestDevice = TestDevice;
/// The server's summaries, in the order its associations ended.
static ENDINGS: Channel<CriticalSectionRawMutex, Summary, 8> = Channel::new();
/// Makes the next N-GET fail in the handler, as a device whose sensor is offline.
static FAIL_NEXT: AtomicBool = AtomicBool::new(false);
/// Makes the next N-GET's handler take 300 ms, as a device reading a slow sensor.
static SLOW_NEXT: AtomicBool = AtomicBool::new(false);

struct TestDevice;

impl Handler for TestDevice {
    async fn n_get(
        &self,
        request: &NGetRequest<'_>,
    ) -> std::result::Result<Reply<'_>, Failure<'_>> {
        assert_eq!(request.sop_instance_uid, DISPLAY_SYSTEM_INSTANCE);
        // A device reads a sensor here: the task gives way to the others meanwhile.
        Timer::after_millis(2).await;
        if SLOW_NEXT.swap(false, Ordering::SeqCst) {
            Timer::after_millis(300).await;
        }
        if FAIL_NEXT.swap(false, Ordering::SeqCst) {
            return Err(Failure::new("Light sensor not responding"));
        }
        Ok(Reply::success(&DEMO))
    }

    fn association_ended(&self, summary: &Summary) {
        if ENDINGS.try_send(*summary).is_err() {
            panic!("more association summaries than the test collects");
        }
    }

    fn association_recorded(&self, trace: &[u8], complete: bool) {
        *TRACE.lock().unwrap() = Some((trace.to_vec(), complete));
    }
}

/// The last trace the recording server handed over, and whether it is complete.
static TRACE: std::sync::Mutex<Option<(Vec<u8>, bool)>> = std::sync::Mutex::new(None);

/// A server that records each association into a static buffer.
const RECORDING_PORT: u16 = 11115;

#[embassy_executor::task]
async fn dicom_recording(
    stack: Stack<'static>,
    buffers: &'static mut AssociationBuffers,
    policy: &'static AcceptorPolicy<'static>,
    trace: &'static mut [u8],
) -> ! {
    serve_association_recording(stack, RECORDING_PORT, buffers, policy, &DEVICE, trace).await
}

#[embassy_executor::task(pool_size = ASSOCIATIONS)]
async fn dicom(
    stack: Stack<'static>,
    buffers: &'static mut AssociationBuffers,
    policy: &'static AcceptorPolicy<'static>,
) -> ! {
    serve_association(stack, PORT, buffers, policy, &DEVICE).await
}

/// A server whose socket transmit ring (255 bytes) is far smaller than a response: P-DATA is
/// cut to the ring's contiguous room. The odd size is deliberate: after the 126-byte command
/// PDU of an N-GET-RSP, 129 bytes remain, the even-length fragment leaves 1 byte at the end,
/// and the next PDU must wait for the ring to empty and start over.
const SMALL_RING_PORT: u16 = 11113;
type SmallRing = AssociationBuffers<1280, 4096, 1024, 255>;

#[embassy_executor::task]
async fn dicom_small_ring(
    stack: Stack<'static>,
    buffers: &'static mut SmallRing,
    policy: &'static AcceptorPolicy<'static>,
) -> ! {
    serve_association(stack, SMALL_RING_PORT, buffers, policy, &DEVICE).await
}

/// A server whose transmit ring (128 bytes) cannot hold the A-ASSOCIATE-AC at all (its
/// transmit storage can).
const TINY_RING_PORT: u16 = 11114;
type TinyRing = AssociationBuffers<1280, 4096, 1024, 128>;

#[embassy_executor::task]
async fn dicom_tiny_ring(
    stack: Stack<'static>,
    buffers: &'static mut TinyRing,
    policy: &'static AcceptorPolicy<'static>,
) -> ! {
    serve_association(stack, TINY_RING_PORT, buffers, policy, &DEVICE).await
}

/// A server whose transmit ring and transmit storage (128 bytes each) are both smaller than
/// the A-ASSOCIATE-AC.
const TINY_RING_AND_STORAGE_PORT: u16 = 11116;
type TinyRingAndStorage = AssociationBuffers<1280, 128, 1024, 128>;

#[embassy_executor::task]
async fn dicom_tiny_ring_and_storage(
    stack: Stack<'static>,
    buffers: &'static mut TinyRingAndStorage,
    policy: &'static AcceptorPolicy<'static>,
) -> ! {
    serve_association(stack, TINY_RING_AND_STORAGE_PORT, buffers, policy, &DEVICE).await
}

// ---------------------------------------------------------------- the two stacks and the wire

#[embassy_executor::task(pool_size = 2)]
async fn net(mut runner: embassy_net::Runner<'static, Device>) -> ! {
    runner.run().await
}

/// Moves every frame one device transmits to the other device's receive queue.
#[embassy_executor::task(pool_size = 2)]
async fn wire(
    mut from: channel::TxRunner<'static, MTU>,
    mut to: channel::RxRunner<'static, MTU>,
) -> ! {
    loop {
        let frame = from.tx_buf().await;
        let slot = to.rx_buf().await;
        let n = frame.len();
        slot[..n].copy_from_slice(frame);
        to.rx_done(n);
        from.tx_done();
    }
}

fn static_ip(ip: Ipv4Address) -> Config {
    Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(ip, 24),
        gateway: None,
        dns_servers: Default::default(),
    })
}

// ---------------------------------------------------------------- a minimal DICOM client

struct ClientBuffers {
    socket_rx: Vec<u8>,
    socket_tx: Vec<u8>,
    rx: Vec<u8>,
    tx: Vec<u8>,
}

impl ClientBuffers {
    fn new() -> Self {
        ClientBuffers {
            socket_rx: vec![0; 8192],
            socket_tx: vec![0; 8192],
            rx: vec![0; 16384],
            tx: vec![0; 4096],
        }
    }
}

fn now() -> dimse_core::Instant {
    dimse_core::Instant::from_millis(Instant::now().as_millis())
}

/// The core's requestor on an embassy `TcpSocket`: the same drain contract as the server's,
/// written the plain way (`read` into a buffer, `write` from one).
struct Client<'a> {
    socket: TcpSocket<'a>,
    conn: Connection<'a>,
    input: Vec<u8>,
    filled: usize,
    out: Vec<u8>,
    eof: bool,
    /// Every byte received from the server, in order.
    received: Vec<u8>,
}

static TRANSFER_SYNTAXES: [&str; 2] = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];
static IMPLICIT_ONLY: [&str; 1] = [IMPLICIT_VR_LITTLE_ENDIAN];
static CONTEXTS: [PresentationContextRq<'static>; 2] = [
    PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &TRANSFER_SYNTAXES,
    },
    PresentationContextRq {
        id: 3,
        abstract_syntax: VERIFICATION,
        transfer_syntaxes: &IMPLICIT_ONLY,
    },
];

fn requestor_config() -> RequestorConfig<'static> {
    RequestorConfig::new(
        AeTitle::new("QA_SERVER").unwrap(),
        AeTitle::new("DISPLAY").unwrap(),
        &CONTEXTS,
    )
}

impl<'a> Client<'a> {
    /// A TCP connection to the server, and the A-ASSOCIATE-RQ queued on it.
    async fn connect(
        stack: Stack<'a>,
        port: u16,
        config: &'a RequestorConfig<'a>,
        bufs: &'a mut ClientBuffers,
    ) -> Result<Client<'a>> {
        let socket = connect(stack, port, &mut bufs.socket_rx, &mut bufs.socket_tx).await?;
        let storage = Storage {
            rx: &mut bufs.rx,
            tx: &mut bufs.tx,
        };
        let conn = Connection::requestor(config, storage, now()).map_err(|e| format!("{e:?}"))?;
        Ok(Client {
            socket,
            conn,
            input: vec![0; 4096],
            filled: 0,
            out: vec![0; 16384],
            eof: false,
            received: Vec::new(),
        })
    }

    /// Connects to the main server and waits for the association.
    async fn associate(
        stack: Stack<'a>,
        config: &'a RequestorConfig<'a>,
        bufs: &'a mut ClientBuffers,
    ) -> Result<Client<'a>> {
        Client::associate_on(stack, PORT, config, bufs).await
    }

    /// Connects to `port` and waits for the association.
    async fn associate_on(
        stack: Stack<'a>,
        port: u16,
        config: &'a RequestorConfig<'a>,
        bufs: &'a mut ClientBuffers,
    ) -> Result<Client<'a>> {
        let mut client = Client::connect(stack, port, config, bufs).await?;
        match client.next_event().await? {
            Event::Established { .. } => Ok(client),
            other => Err(format!("expected Established, got {other:?}")),
        }
    }

    /// Offers the core the bytes it has not taken yet.
    fn feed(&mut self) {
        let used = self.conn.handle_input(now(), &self.input[..self.filled]);
        self.input.copy_within(used..self.filled, 0);
        self.filled -= used;
    }

    /// The next event of the client's core: the core's drain contract, moving bytes both
    /// ways until there is one.
    async fn next_event(&mut self) -> Result<Event> {
        loop {
            let output = self
                .conn
                .poll_output(&mut self.out)
                .map_err(|_| "PDU larger than the client's buffer".to_string())?;
            match output {
                Output::Transmit(n) => {
                    let mut at = 0;
                    while at < n {
                        at += self
                            .socket
                            .write(&self.out[at..n])
                            .await
                            .map_err(|e| format!("write: {e:?}"))?;
                    }
                }
                Output::Event(event) => return Ok(event),
                Output::Reoffer => self.feed(),
                Output::Idle { .. } => {
                    if self.eof {
                        return Err("the connection is closed and no event came".into());
                    }
                    match self
                        .socket
                        .read(&mut self.input[self.filled..])
                        .with_timeout(STEP)
                        .await
                    {
                        Err(_) => return Err("no answer from the server in time".into()),
                        Ok(Ok(0)) | Ok(Err(_)) => {
                            self.eof = true;
                            self.conn.handle_transport_closed(now());
                        }
                        Ok(Ok(n)) => {
                            let end = self.filled + n;
                            self.received
                                .extend_from_slice(&self.input[self.filled..end]);
                            self.filled = end;
                            self.feed();
                        }
                    }
                }
            }
        }
    }

    async fn expect(&mut self, what: &str, matches: impl Fn(&Event) -> bool) -> Result<Event> {
        let event = self.next_event().await?;
        if matches(&event) {
            Ok(event)
        } else {
            Err(format!("expected {what}, got {event:?}"))
        }
    }

    /// N-GET of the Display System; returns the status and the data set.
    async fn n_get(
        &mut self,
        attributes: Option<&[dimse_core::dataset::Tag]>,
    ) -> Result<(u16, Option<Vec<u8>>)> {
        self.conn
            .send_n_get(now(), DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, attributes)
            .map_err(|e| format!("send_n_get: {e:?}"))?;
        let event = self
            .expect("NGetResponse", |e| {
                matches!(
                    e,
                    Event::Response {
                        op: Operation::NGet,
                        ..
                    }
                )
            })
            .await?;
        let Event::Response {
            op: Operation::NGet,
            status,
            ..
        } = event
        else {
            unreachable!()
        };
        let response = self.conn.received_response().ok_or("no response to read")?;
        Ok((status, response.data_set.map(<[u8]>::to_vec)))
    }

    async fn c_echo(&mut self) -> Result<u16> {
        self.conn
            .send_c_echo(now())
            .map_err(|e| format!("send_c_echo: {e:?}"))?;
        match self
            .expect("CEchoResponse", |e| {
                matches!(
                    e,
                    Event::Response {
                        op: Operation::CEcho,
                        ..
                    }
                )
            })
            .await?
        {
            Event::Response {
                op: Operation::CEcho,
                status,
                ..
            } => Ok(status),
            _ => unreachable!(),
        }
    }

    /// A-RELEASE, then the core's Released and Closed.
    async fn release(&mut self) -> Result {
        self.conn
            .release(now())
            .map_err(|e| format!("release: {e:?}"))?;
        self.expect("Released", |e| *e == Event::Released).await?;
        self.expect("Closed", |e| *e == Event::Closed).await?;
        Ok(())
    }

    /// Our FIN, then the server's.
    async fn close(mut self) -> Result {
        self.socket.close();
        finish(&mut self.socket).await
    }
}

async fn connect<'a>(
    stack: Stack<'a>,
    port: u16,
    rx: &'a mut [u8],
    tx: &'a mut [u8],
) -> Result<TcpSocket<'a>> {
    let mut socket = TcpSocket::new(stack, rx, tx);
    socket
        .connect((SERVER_IP, port))
        .with_timeout(STEP)
        .await
        .map_err(|_| "connect: timed out".to_string())?
        .map_err(|e| format!("connect: {e:?}"))?;
    Ok(socket)
}

/// Waits for the server's FIN (dropping whatever comes before it) and for our FIN's ACK.
async fn finish(socket: &mut TcpSocket<'_>) -> Result {
    let mut sink = [0u8; 512];
    loop {
        match socket.read(&mut sink).with_timeout(STEP).await {
            Err(_) => return Err("the server did not close the connection".into()),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => {}
        }
    }
    let _ = socket.flush().with_timeout(STEP).await;
    Ok(())
}

async fn server_summary() -> Result<Summary> {
    ENDINGS
        .receive()
        .with_timeout(STEP)
        .await
        .map_err(|_| "the server reported no end of association".to_string())
}

fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn summary(end: End, transport: TransportEnd, n_get: u16, answered_by_core: u16) -> Summary {
    Summary {
        end,
        transport,
        n_get,
        answered_by_core,
    }
}

// ---------------------------------------------------------------- the scenarios

/// Association, a full N-GET (its data set byte for byte), an N-GET of two attributes,
/// C-ECHO, release, FIN.
async fn nget_echo_release(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    let pc = client
        .conn
        .presentation_context(1)
        .ok_or("context 1 not accepted")?;
    check(
        "transfer syntax",
        pc.transfer_syntax,
        EXPLICIT_VR_LITTLE_ENDIAN,
    )?;

    let (status, data_set) = client.n_get(None).await?;
    check("N-GET status", status, 0x0000)?;
    let mut expected = vec![0u8; 8192];
    let mut w = Writer::new(
        &mut expected,
        dimse_core::dataset::Encoding::ExplicitVrLittleEndian,
    );
    w.write(&DEMO).map_err(|e| format!("{e:?}"))?;
    let n = w.written();
    check("data set", data_set.as_deref(), Some(&expected[..n]))?;

    let wanted = [tags::MANUFACTURER, tags::DEVICE_SERIAL_NUMBER];
    let (status, data_set) = client.n_get(Some(&wanted)).await?;
    check("N-GET (2 attributes) status", status, 0x0000)?;
    let len = data_set.map_or(0, |d| d.len());
    if len == 0 || len >= n {
        return Err(format!("the 2-attribute data set has {len} bytes"));
    }

    check("C-ECHO status", client.c_echo().await?, 0x0000)?;
    client.release().await?;
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(End::Released, TransportEnd::PeerClosed, 2, 1),
    )
}

/// Many requests of different sizes on one association, so that requests and responses
/// wrap the sockets' rings at many offsets: PDU headers split by the receive ring's end take
/// the carry, and PDUs that do not fit the transmit ring's end wait for it to start over.
/// Every data set is checked byte for byte.
async fn many_requests_wrap_the_rings(stack: Stack<'static>) -> Result {
    const TAGS: [dimse_core::dataset::Tag; 6] = [
        tags::MANUFACTURER,
        tags::INSTITUTION_NAME,
        tags::INSTITUTION_ADDRESS,
        tags::STATION_NAME,
        tags::MANUFACTURER_MODEL_NAME,
        tags::DEVICE_SERIAL_NUMBER,
    ];
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    let (mut n_get, mut echo) = (0, 0);
    for round in 0..60usize {
        if round % 7 == 3 {
            check("C-ECHO status", client.c_echo().await?, 0x0000)?;
            echo += 1;
        }
        let list = &TAGS[..round % TAGS.len() + 1];
        let full = round % 5 == 0;
        let (status, data_set) = client.n_get((!full).then_some(list)).await?;
        n_get += 1;
        check("N-GET status", status, 0x0000)?;
        let raw: Vec<u8> = list.iter().flat_map(|t| t.to_le_bytes()).collect();
        let mut expected = vec![0u8; 8192];
        let mut w = Writer::new(
            &mut expected,
            dimse_core::dataset::Encoding::ExplicitVrLittleEndian,
        );
        if !full {
            w = w.with_filter(AttributeFilter::new(&raw).map_err(|e| format!("{e:?}"))?);
        }
        w.write(&DEMO).map_err(|e| format!("{e:?}"))?;
        let n = w.written();
        check(
            &format!("data set of round {round}"),
            data_set.as_deref(),
            Some(&expected[..n]),
        )?;
    }
    client.release().await?;
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(End::Released, TransportEnd::PeerClosed, n_get, echo),
    )
}

/// A transmit ring far smaller than the response: the data set still arrives whole.
async fn small_transmit_ring(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    // A small receive window on the client too: the server's ring empties in odd steps.
    bufs.socket_rx.truncate(300);
    let mut client = Client::associate_on(stack, SMALL_RING_PORT, &config, &mut bufs).await?;
    let (status, data_set) = client.n_get(None).await?;
    check("N-GET status", status, 0x0000)?;
    let mut expected = vec![0u8; 8192];
    let mut w = Writer::new(
        &mut expected,
        dimse_core::dataset::Encoding::ExplicitVrLittleEndian,
    );
    w.write(&DEMO).map_err(|e| format!("{e:?}"))?;
    let n = w.written();
    check("data set", data_set.as_deref(), Some(&expected[..n]))?;
    check("C-ECHO status", client.c_echo().await?, 0x0000)?;
    client.release().await?;
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(End::Released, TransportEnd::PeerClosed, 1, 1),
    )
}

/// An A-ASSOCIATE-AC larger than the whole transmit ring goes out in pieces (the core lays
/// it out in its transmit storage): the association works.
async fn associate_ac_larger_than_the_ring(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate_on(stack, TINY_RING_PORT, &config, &mut bufs).await?;
    check("C-ECHO status", client.c_echo().await?, 0x0000)?;
    client.release().await?;
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(End::Released, TransportEnd::PeerClosed, 0, 1),
    )
}

/// An A-ASSOCIATE-AC larger than the transmit ring and the transmit storage: a local
/// resource limit, so the server aborts (and the A-ABORT, 10 bytes, fits).
async fn associate_ac_larger_than_ring_and_storage(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::connect(stack, TINY_RING_AND_STORAGE_PORT, &config, &mut bufs).await?;
    client
        .expect("Aborted by the peer", |e| {
            matches!(e, Event::Aborted(AbortOrigin::Peer(_)))
        })
        .await?;
    client.expect("Closed", |e| *e == Event::Closed).await?;
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(
            End::Aborted(AbortOrigin::Local),
            TransportEnd::PeerClosed,
            0,
            0,
        ),
    )
}

/// An A-ABORT that arrives while the handler answers ends the association at once, and the
/// request gets no answer (PS3.8 Table 9-10: AA-3): the server watches the socket while its
/// handler runs, instead of seeing the abort only after the answer.
async fn abort_while_the_handler_runs(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    let after_ac = client.received.len();
    SLOW_NEXT.store(true, Ordering::SeqCst);
    client
        .conn
        .send_n_get(now(), DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .map_err(|e| format!("send_n_get: {e:?}"))?;
    // The N-GET-RQ goes out; the handler starts (it takes 300 ms).
    while let Ok(Output::Transmit(n)) = client.conn.poll_output(&mut client.out) {
        let mut at = 0;
        while at < n {
            at += client
                .socket
                .write(&client.out[at..n])
                .await
                .map_err(|e| format!("write: {e:?}"))?;
        }
    }
    Timer::after_millis(50).await;
    let started = std::time::Instant::now();
    client
        .conn
        .abort(now())
        .map_err(|e| format!("abort: {e:?}"))?;
    client
        .expect("Aborted", |e| *e == Event::Aborted(AbortOrigin::Local))
        .await?;
    client.expect("Closed", |e| *e == Event::Closed).await?;
    // The server closed at once, not after its handler's 300 ms, and sent no response.
    check(
        "server closed within 200 ms",
        started.elapsed() < std::time::Duration::from_millis(200),
        true,
    )?;
    check(
        "bytes after the A-ASSOCIATE-AC",
        &client.received[after_ac..],
        &[][..],
    )?;
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(
            End::Aborted(AbortOrigin::Peer(Abort {
                source: AbortSource::ServiceUser,
                reason: AbortReason::NotSpecified,
            })),
            TransportEnd::Local,
            1,
            0,
        ),
    )
}

/// The peer's FIN while the handler answers is seen at once too: the association ends as
/// aborted (transport closed, PS3.8 AA-4), without waiting for the handler.
async fn close_while_the_handler_runs(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    SLOW_NEXT.store(true, Ordering::SeqCst);
    client
        .conn
        .send_n_get(now(), DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .map_err(|e| format!("send_n_get: {e:?}"))?;
    while let Ok(Output::Transmit(n)) = client.conn.poll_output(&mut client.out) {
        let mut at = 0;
        while at < n {
            at += client
                .socket
                .write(&client.out[at..n])
                .await
                .map_err(|e| format!("write: {e:?}"))?;
        }
    }
    Timer::after_millis(50).await;
    let started = std::time::Instant::now();
    client.socket.close();
    let ended = server_summary().await?;
    check(
        "server ended within 200 ms",
        started.elapsed() < std::time::Duration::from_millis(200),
        true,
    )?;
    finish(&mut client.socket).await?;
    check(
        "server summary",
        ended,
        summary(
            End::Aborted(AbortOrigin::TransportClosed),
            TransportEnd::PeerClosed,
            1,
            0,
        ),
    )
}

/// A handler that fails gives 0110H, and the association goes on.
async fn handler_failure(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    FAIL_NEXT.store(true, Ordering::SeqCst);
    let (status, data_set) = client.n_get(None).await?;
    check("failed N-GET status", status, 0x0110)?;
    check("failed N-GET data set", data_set, None)?;
    let (status, _) = client.n_get(None).await?;
    check("next N-GET status", status, 0x0000)?;
    client.release().await?;
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(End::Released, TransportEnd::PeerClosed, 2, 0),
    )
}

/// The client aborts; the server closes, and serves the next association.
async fn peer_abort_then_new_association(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    {
        let mut bufs = ClientBuffers::new();
        let mut client = Client::associate(stack, &config, &mut bufs).await?;
        client
            .conn
            .abort(now())
            .map_err(|e| format!("abort: {e:?}"))?;
        client
            .expect("Aborted(Local)", |e| {
                *e == Event::Aborted(AbortOrigin::Local)
            })
            .await?;
        // The server closes first; then the client's core sees the transport close.
        client.expect("Closed", |e| *e == Event::Closed).await?;
        client.close().await?;
        check(
            "server summary after the abort",
            server_summary().await?,
            summary(
                End::Aborted(AbortOrigin::Peer(Abort::USER)),
                TransportEnd::Local,
                0,
                0,
            ),
        )?;
    }
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    check("C-ECHO status", client.c_echo().await?, 0x0000)?;
    client.release().await?;
    client.close().await?;
    check(
        "server summary of the next association",
        server_summary().await?,
        summary(End::Released, TransportEnd::PeerClosed, 0, 1),
    )
}

/// The FIN pitfall, one: a FIN without A-RELEASE. `read_with` says `ConnectionReset`; the
/// core is established (Sta6), so it is an abort (A-P-ABORT, transport closed).
async fn fin_without_release(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    client.socket.close();
    finish(&mut client.socket).await?;
    check(
        "server summary",
        server_summary().await?,
        summary(
            End::Aborted(AbortOrigin::TransportClosed),
            TransportEnd::PeerClosed,
            0,
            0,
        ),
    )
}

/// The FIN pitfall, two: a reset without A-RELEASE is an abort too, told apart from a FIN.
async fn reset_without_release(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    check("C-ECHO status", client.c_echo().await?, 0x0000)?;
    client.socket.abort();
    let _ = client.socket.flush().with_timeout(STEP).await;
    check(
        "server summary",
        server_summary().await?,
        summary(
            End::Aborted(AbortOrigin::TransportClosed),
            TransportEnd::Reset,
            0,
            1,
        ),
    )
}

/// The FIN pitfall, three: after the release, even a reset is the orderly end (the core is
/// in Sta13, waiting for exactly this close): no abort.
async fn release_then_reset(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    client.release().await?;
    client.socket.abort();
    let _ = client.socket.flush().with_timeout(STEP).await;
    check(
        "server summary",
        server_summary().await?,
        summary(End::Released, TransportEnd::Reset, 0, 0),
    )
}

/// Two associations at once (one per task); a third peer finds no listening socket and is
/// refused at once (no backlog); both are served and released.
async fn two_at_once_and_a_third_refused(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let (mut bufs1, mut bufs2) = (ClientBuffers::new(), ClientBuffers::new());
    let mut one = Client::associate(stack, &config, &mut bufs1).await?;
    let mut two = Client::associate(stack, &config, &mut bufs2).await?;
    let mut bufs3 = ClientBuffers::new();
    let mut third = TcpSocket::new(stack, &mut bufs3.socket_rx, &mut bufs3.socket_tx);
    match third.connect((SERVER_IP, PORT)).with_timeout(STEP).await {
        Ok(Err(ConnectError::ConnectionReset)) => {}
        other => return Err(format!("third connection: got {other:?}, want a reset")),
    }
    drop(third);
    // Interleaved: each task answers its own peer.
    let (s1, _) = one.n_get(Some(&[tags::MANUFACTURER])).await?;
    let (s2, _) = two.n_get(Some(&[tags::MANUFACTURER])).await?;
    check("statuses", (s1, s2), (0, 0))?;
    one.release().await?;
    two.release().await?;
    one.close().await?;
    two.close().await?;
    let want = summary(End::Released, TransportEnd::PeerClosed, 1, 0);
    check("first summary", server_summary().await?, want)?;
    check("second summary", server_summary().await?, want)
}

/// A connection that never sends an A-ASSOCIATE-RQ: the core's ARTIM deadline fires through
/// the adapter's timer, and the server closes the connection.
async fn idle_connection_closed_by_artim(stack: Stack<'static>) -> Result {
    let mut bufs = ClientBuffers::new();
    let start = Instant::now();
    let mut socket = connect(stack, PORT, &mut bufs.socket_rx, &mut bufs.socket_tx).await?;
    // The server closes first: wait for its FIN, then close.
    let mut sink = [0u8; 16];
    match socket.read(&mut sink).with_timeout(STEP).await {
        Ok(Ok(0)) => {}
        other => return Err(format!("expected the server's FIN, got {other:?}")),
    }
    let waited = start.elapsed().as_millis();
    if waited + 50 < ARTIM_MS {
        return Err(format!(
            "closed after {waited} ms, before ARTIM ({ARTIM_MS} ms)"
        ));
    }
    socket.close();
    let _ = socket.flush().with_timeout(STEP).await;
    check(
        "server summary",
        server_summary().await?,
        summary(End::NotAssociated, TransportEnd::Local, 0, 0),
    )
}

/// A peer that trickles an N-GET-RQ one byte every 100 ms: each byte restarts the network
/// timer, not the PDU timer, and the server aborts PDU_MS after the first byte.
async fn trickled_pdu_aborted_at_the_pdu_timeout(stack: Stack<'static>) -> Result {
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate(stack, &config, &mut bufs).await?;
    client
        .conn
        .send_n_get(now(), DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .map_err(|e| format!("send_n_get: {e}"))?;
    let mut request = Vec::new();
    while let Ok(Output::Transmit(n)) = client.conn.poll_output(&mut client.out) {
        request.extend_from_slice(&client.out[..n]);
    }
    let start = Instant::now();
    let mut answer = [0u8; 64];
    let mut got = 0;
    for byte in &request {
        client
            .socket
            .write(core::slice::from_ref(byte))
            .await
            .map_err(|e| format!("write: {e:?}"))?;
        match client
            .socket
            .read(&mut answer)
            .with_timeout(Duration::from_millis(100))
            .await
        {
            Err(_) => continue,
            Ok(Ok(n)) if n > 0 => {
                got = n;
                break;
            }
            other => return Err(format!("expected an A-ABORT, got {other:?}")),
        }
    }
    let waited = start.elapsed().as_millis();
    check("A-ABORT PDU type", answer.first().copied(), Some(0x07))?;
    if got < 10 || waited + 50 < PDU_MS || waited > 10 * PDU_MS {
        return Err(format!(
            "{got} bytes after {waited} ms (PDU timeout {PDU_MS} ms)"
        ));
    }
    client.socket.close();
    finish(&mut client.socket).await?;
    check(
        "server's end",
        server_summary().await?.end,
        End::Aborted(AbortOrigin::Timeout(dimse_core::connection::Timer::Pdu)),
    )
}

// ---------------------------------------------------------------- the run

/// An association recorded on the device (`serve_association_recording`): its trace reads
/// with dimse-tokio's `Trace::from_bytes` (what `dimse replay FILE` uses), and replayed
/// through a fresh core it sends exactly the PDUs the client received, byte for byte (as
/// digests), twice the same.
async fn recorded_association_replays(stack: Stack<'static>) -> Result {
    *TRACE.lock().unwrap() = None;
    let config = requestor_config();
    let mut bufs = ClientBuffers::new();
    let mut client = Client::associate_on(stack, RECORDING_PORT, &config, &mut bufs).await?;
    let (status, _) = client.n_get(None).await?;
    check("N-GET status", status, 0x0000)?;
    let wanted = [
        tags::MANUFACTURER,
        dimse_core::dataset::Tag::new(0x0018, 0x1020),
    ];
    let (status, _) = client.n_get(Some(&wanted)).await?;
    check("N-GET (one attribute missing) status", status, 0x0107)?;
    check("C-ECHO status", client.c_echo().await?, 0x0000)?;
    client.release().await?;
    let received = client.received.clone();
    client.close().await?;
    check(
        "server summary",
        server_summary().await?,
        summary(End::Released, TransportEnd::PeerClosed, 2, 1),
    )?;
    let (bytes, complete) = TRACE
        .lock()
        .unwrap()
        .take()
        .ok_or("no trace was handed over")?;
    check("trace complete", complete, true)?;
    let trace = dimse_tokio::trace::Trace::from_bytes(&bytes)?;
    check("trace AE title", trace.header.ae_title, "DISPLAY")?;
    let policy = dimse_tokio::trace::default_policy("DISPLAY").ok_or("policy")?;
    let lines = dimse_tokio::trace::replay(&trace, &policy, &DEMO);
    check(
        "a second replay",
        &dimse_tokio::trace::replay(&trace, &policy, &DEMO),
        &lines,
    )?;
    let answers: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once("  answer ").map(|(_, a)| a))
        .collect();
    check(
        "answers in the replay",
        answers,
        vec!["#1: 0000H", "#2: 0107H"],
    )?;
    // What the replay sent against what the client received. The device cuts P-DATA to the
    // room in its socket's transmit ring and the replayer does not, so P-DATA is compared by
    // the message bytes it carries (one PDV per PDU from this core: 12 bytes of headers);
    // every other PDU byte for byte.
    let replayed: Vec<String> = lines
        .iter()
        .filter_map(|l| l.split_once(" sent ").map(|(_, pdu)| pdu.to_string()))
        .collect();
    let (replayed_other, replayed_data) = split_pdata(&replayed);
    let (live_other, live_data) = split_pdata(&pdu_digests(&received));
    check("PDUs other than P-DATA", replayed_other, live_other)?;
    check("P-DATA message bytes", replayed_data, live_data)
}

/// `bytes` cut into PDUs, each described as the replayer describes what it sends.
fn pdu_digests(mut bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while bytes.len() >= 6 {
        let len = 6 + u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize;
        let (pdu, rest) = bytes.split_at(len.min(bytes.len()));
        let name = dimse_core::pdu::PduType::from_u8(pdu[0]).map_or("?", |t| t.name());
        let digest = pdu.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        out.push(format!("{name} ({} bytes, fnv {digest:016x})", pdu.len()));
        bytes = rest;
    }
    out
}

/// The descriptions of PDUs other than P-DATA-TF, and the bytes of message the P-DATA-TF
/// PDUs carry (their lengths less the PDU and PDV headers).
fn split_pdata(pdus: &[String]) -> (Vec<String>, usize) {
    let mut other = Vec::new();
    let mut data = 0;
    for d in pdus {
        match d.strip_prefix("P-DATA-TF (") {
            Some(rest) => {
                let len: usize = rest
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                data += len.saturating_sub(12);
            }
            None => other.push(d.clone()),
        }
    }
    (other, data)
}

static FAILED: AtomicUsize = AtomicUsize::new(0);
static PASSED: AtomicUsize = AtomicUsize::new(0);
static DONE: AtomicBool = AtomicBool::new(false);

async fn run(name: &str, scenario: impl core::future::Future<Output = Result>) {
    let start = Instant::now();
    let outcome = scenario
        .with_timeout(Duration::from_secs(20))
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
    let ms = start.elapsed().as_millis();
    match outcome {
        Ok(()) => {
            println!("test {name} ... ok ({ms} ms)");
            PASSED.fetch_add(1, Ordering::SeqCst);
        }
        Err(e) => {
            println!("test {name} ... FAILED ({ms} ms)\n    {e}");
            FAILED.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[embassy_executor::task]
async fn main_task(spawner: Spawner, server: Stack<'static>, client: Stack<'static>) {
    server.wait_config_up().await;
    client.wait_config_up().await;

    let mut policy = AcceptorPolicy::new(AeTitle::new("DISPLAY").unwrap(), &SERVED);
    policy.limits.artim_timeout = dimse_core::Duration::from_millis(ARTIM_MS);
    policy.limits.pdu_timeout = dimse_core::Duration::from_millis(PDU_MS);
    let policy = POLICY.init(policy);
    for buffers in POOL.take_all() {
        spawner.spawn(dicom(server, buffers, policy).unwrap());
    }
    static SMALL: StaticCell<SmallRing> = StaticCell::new();
    static TINY: StaticCell<TinyRing> = StaticCell::new();
    spawner.spawn(dicom_small_ring(server, SMALL.init(SmallRing::new()), policy).unwrap());
    spawner.spawn(dicom_tiny_ring(server, TINY.init(TinyRing::new()), policy).unwrap());
    static TINIER: StaticCell<TinyRingAndStorage> = StaticCell::new();
    spawner.spawn(
        dicom_tiny_ring_and_storage(server, TINIER.init(TinyRingAndStorage::new()), policy)
            .unwrap(),
    );
    static RECORDING: StaticCell<AssociationBuffers> = StaticCell::new();
    static TRACE_BUFFER: StaticCell<[u8; 16384]> = StaticCell::new();
    spawner.spawn(
        dicom_recording(
            server,
            RECORDING.init(AssociationBuffers::new()),
            policy,
            TRACE_BUFFER.init([0; 16384]),
        )
        .unwrap(),
    );

    // What one association costs: its buffers, and its task's future (the core's
    // Connection, the socket handle, the adapter's locals).
    let buffers: &'static mut AssociationBuffers = Box::leak(Box::new(AssociationBuffers::new()));
    let future = serve_association(server, PORT, buffers, policy, &DEVICE);
    println!(
        "memory per association: AssociationBuffers {} bytes + serve_association future {} bytes \
         (Connection alone {} bytes)",
        core::mem::size_of::<AssociationBuffers>(),
        core::mem::size_of_val(&future),
        core::mem::size_of::<Connection<'static>>(),
    );
    drop(future);

    run("nget_echo_release", nget_echo_release(client)).await;
    run(
        "many_requests_wrap_the_rings",
        many_requests_wrap_the_rings(client),
    )
    .await;
    run("small_transmit_ring", small_transmit_ring(client)).await;
    run(
        "associate_ac_larger_than_the_ring",
        associate_ac_larger_than_the_ring(client),
    )
    .await;
    run(
        "associate_ac_larger_than_ring_and_storage",
        associate_ac_larger_than_ring_and_storage(client),
    )
    .await;
    run("handler_failure", handler_failure(client)).await;
    run(
        "abort_while_the_handler_runs",
        abort_while_the_handler_runs(client),
    )
    .await;
    run(
        "close_while_the_handler_runs",
        close_while_the_handler_runs(client),
    )
    .await;
    run(
        "peer_abort_then_new_association",
        peer_abort_then_new_association(client),
    )
    .await;
    run("fin_without_release", fin_without_release(client)).await;
    run("reset_without_release", reset_without_release(client)).await;
    run("release_then_reset", release_then_reset(client)).await;
    run(
        "two_at_once_and_a_third_refused",
        two_at_once_and_a_third_refused(client),
    )
    .await;
    run(
        "idle_connection_closed_by_artim",
        idle_connection_closed_by_artim(client),
    )
    .await;
    run(
        "recorded_association_replays",
        recorded_association_replays(client),
    )
    .await;
    run(
        "trickled_pdu_aborted_at_the_pdu_timeout",
        trickled_pdu_aborted_at_the_pdu_timeout(client),
    )
    .await;
    DONE.store(true, Ordering::SeqCst);
}

fn main() {
    std::thread::spawn(|| {
        std::thread::sleep(StdDuration::from_secs(120));
        eprintln!("host test: still running after 120 s, giving up");
        std::process::exit(2);
    });

    println!("\nrunning 16 tests (dimse-embassy on two embassy-net stacks)");
    let started = std::time::Instant::now();
    static SERVER_CHANNEL: StaticCell<channel::State<MTU, 4, 4>> = StaticCell::new();
    static CLIENT_CHANNEL: StaticCell<channel::State<MTU, 4, 4>> = StaticCell::new();
    static SERVER_RESOURCES: StaticCell<StackResources<{ ASSOCIATIONS + 4 }>> = StaticCell::new();
    static CLIENT_RESOURCES: StaticCell<StackResources<4>> = StaticCell::new();

    let server_mac = HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, 0x01]);
    let client_mac = HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, 0x02]);
    let (server_runner, server_device) =
        channel::new(SERVER_CHANNEL.init(channel::State::new()), server_mac);
    let (client_runner, client_device) =
        channel::new(CLIENT_CHANNEL.init(channel::State::new()), client_mac);
    let (server_state, server_rx, server_tx) = server_runner.split();
    let (client_state, client_rx, client_tx) = client_runner.split();
    server_state.set_link_state(LinkState::Up);
    client_state.set_link_state(LinkState::Up);

    let (server, server_net) = embassy_net::new(
        server_device,
        static_ip(SERVER_IP),
        SERVER_RESOURCES.init(StackResources::new()),
        0x5eed_0001,
    );
    let (client, client_net) = embassy_net::new(
        client_device,
        static_ip(CLIENT_IP),
        CLIENT_RESOURCES.init(StackResources::new()),
        0x5eed_0002,
    );

    let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
    executor.run_until(
        |spawner| {
            spawner.spawn(net(server_net).unwrap());
            spawner.spawn(net(client_net).unwrap());
            spawner.spawn(wire(server_tx, client_rx).unwrap());
            spawner.spawn(wire(client_tx, server_rx).unwrap());
            spawner.spawn(main_task(spawner, server, client).unwrap());
        },
        || DONE.load(Ordering::SeqCst),
    );

    let (passed, failed) = (PASSED.load(Ordering::SeqCst), FAILED.load(Ordering::SeqCst));
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
