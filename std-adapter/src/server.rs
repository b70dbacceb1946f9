//! The N-GET server: a task per association, each driving one acceptor [`Connection`].

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use dimse_core::assoc::AcceptorPolicy;
use dimse_core::dataset::{
    CheckedEncoded, DataSetSource, Encoded, EncodedExtent, Encoding, Tag, WriteError, Writer,
};
use dimse_core::dimse::Operation;
use dimse_core::dimse::{Status, INVALID_STATUS_COMMENT};
use dimse_core::pdu::{AeTitle, AssociateRj};
use dimse_core::service::code::UNRECOGNIZED_OPERATION;
use dimse_core::service::display::{validate, DisplaySystem};
use dimse_core::ul::State;
use dimse_core::{Closing, Connection, Event, Storage};
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::driver::{output_buffer_len, Driver, Transport};
use crate::shared::SharedStr;
use crate::timer::{self, Timer};
use crate::trace::{self, Header, Record};

/// An N-GET request as the handler receives it: an owned copy of the core's
/// [`NGetRequest`](dimse_core::dimse::NGetRequest), with the peer's address and a wall-clock
/// timestamp (pynetdicom's `EVT_N_GET` event carries the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NGetRequest {
    /// Message ID.
    pub message_id: u16,
    /// The presentation context: ID, abstract syntax, transfer syntax.
    pub context_id: u8,
    /// The context's abstract syntax.
    pub abstract_syntax: SharedStr,
    /// The context's transfer syntax, in which the data set will be encoded.
    pub transfer_syntax: SharedStr,
    /// Requested SOP Class UID (shared with the association's earlier requests for it).
    pub sop_class_uid: SharedStr,
    /// Requested SOP Instance UID (shared likewise).
    pub sop_instance_uid: SharedStr,
    /// The Attribute Identifier List; empty means every attribute.
    pub attributes: Vec<Tag>,
    /// The requestor's AE title.
    pub calling_ae: SharedStr,
    /// The AE title it called.
    pub called_ae: SharedStr,
    /// The peer's address.
    pub peer: SocketAddr,
    /// When the request arrived (its last fragment): the wall clock at the association's
    /// start plus the monotonic time since.
    pub timestamp: SystemTime,
}

impl fmt::Display for NGetRequest {
    /// One line for logs, as the core describes a request
    /// ([`dimse_core::dimse::NGetSummary`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        dimse_core::dimse::NGetSummary {
            message_id: self.message_id,
            sop_class_uid: &self.sop_class_uid,
            sop_instance_uid: &self.sop_instance_uid,
            attributes: self.attributes.len(),
            context_id: self.context_id,
            calling_ae: &self.calling_ae,
        }
        .fmt(f)
    }
}

/// A data set the handler answers with: anything that writes itself, shared so that a
/// server can answer every request from the same value.
pub type SharedDataSet = Arc<dyn DataSetSource + Send + Sync>;

/// A data set encoded once, in both encodings, and copied into every response (the
/// Attribute Identifier List still applies): the owned form of
/// [`dimse_core::dataset::Encoded`], for a data set that does not change while the server
/// runs. An N-GET then costs a copy instead of an encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedDataSet {
    explicit: Vec<u8>,
    implicit: Vec<u8>,
    /// Both checked once: a response for every attribute is then one copy.
    extents: [EncodedExtent; 2],
}

impl EncodedDataSet {
    /// The largest data set it encodes: 64 MiB.
    pub const MAX_LEN: usize = 64 << 20;

    /// Encodes `source` in Explicit and in Implicit VR Little Endian.
    pub fn new(source: &dyn DataSetSource) -> Result<Self, WriteError> {
        let explicit = encode(source, Encoding::ExplicitVrLittleEndian)?;
        let implicit = encode(source, Encoding::ImplicitVrLittleEndian)?;
        let extents = [
            EncodedExtent::check(&explicit, Encoding::ExplicitVrLittleEndian)?,
            EncodedExtent::check(&implicit, Encoding::ImplicitVrLittleEndian)?,
        ];
        Ok(EncodedDataSet {
            explicit,
            implicit,
            extents,
        })
    }

    /// A Display System (PS3.3 A.82), checked against its IOD's rules
    /// ([`validate`](dimse_core::service::display::validate())) and then encoded: an invalid
    /// description is refused when the server is set up, not found out by a QA server reading
    /// it.
    pub fn display_system(display: &DisplaySystem<'_>) -> Result<Self, DisplaySystemError> {
        validate(display).map_err(|e| DisplaySystemError::Invalid(e.to_string()))?;
        EncodedDataSet::new(display).map_err(DisplaySystemError::Write)
    }

    /// The borrowed view the core writes from.
    pub fn view(&self) -> Encoded<'_> {
        Encoded {
            explicit_vr_little_endian: &self.explicit,
            implicit_vr_little_endian: &self.implicit,
        }
    }
}

impl DataSetSource for EncodedDataSet {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        let checked = CheckedEncoded {
            encoded: self.view(),
            extents: self.extents,
        };
        checked.write_to(w)
    }
}

/// Why [`EncodedDataSet::display_system`] refused a Display System.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplaySystemError {
    /// A field breaks a rule of the IOD: the field and the rule, in words.
    Invalid(String),
    /// The writer refused a value.
    Write(WriteError),
}

impl fmt::Display for DisplaySystemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisplaySystemError::Invalid(e) => write!(f, "invalid Display System: {e}"),
            DisplaySystemError::Write(e) => {
                write!(f, "the Display System cannot be encoded: {e}")
            }
        }
    }
}

impl std::error::Error for DisplaySystemError {}

/// `source` in `encoding`, in a buffer doubled until it fits (up to
/// [`EncodedDataSet::MAX_LEN`]).
fn encode(source: &dyn DataSetSource, encoding: Encoding) -> Result<Vec<u8>, WriteError> {
    let mut buf = vec![0u8; 4096];
    loop {
        let mut w = Writer::new(&mut buf, encoding);
        match w.write(source) {
            Ok(()) => {
                let n = w.written();
                buf.truncate(n);
                return Ok(buf);
            }
            Err(WriteError::BufferFull) if buf.len() < EncodedDataSet::MAX_LEN => {
                buf.resize(buf.len() * 2, 0);
            }
            Err(e) => return Err(e),
        }
    }
}

/// The handler's answer: a status (with the optional elements PS3.7 Annex C allows for it)
/// and, for Success or Warning, a data set.
#[derive(Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Error Comment (0000,0902), at most 64 characters.
    pub error_comment: Option<String>,
    /// Error ID (0000,0903), with 0110H only.
    pub error_id: Option<u16>,
    /// Attribute Identifier List (0000,1005).
    pub attribute_identifier_list: Option<Vec<Tag>>,
    /// Offending Element (0000,0901).
    pub offending_element: Option<Vec<Tag>>,
    /// The data set; sent only when the status is Success or Warning.
    pub data_set: Option<SharedDataSet>,
}

impl core::fmt::Debug for Reply {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &format_args!("{:04X}H", self.status))
            .field("error_comment", &self.error_comment)
            .field("data_set", &self.data_set.is_some())
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// Success (0000H) with a data set. The core turns it into 0107H when requested
    /// attributes are missing from it.
    pub fn success(data_set: SharedDataSet) -> Self {
        Reply {
            data_set: Some(data_set),
            ..Reply::status(0x0000)
        }
    }

    /// A bare status.
    pub fn status(code: u16) -> Self {
        Reply {
            status: code,
            error_comment: None,
            error_id: None,
            attribute_identifier_list: None,
            offending_element: None,
            data_set: None,
        }
    }

    /// With an Error Comment.
    pub fn with_error_comment(mut self, comment: impl Into<String>) -> Self {
        self.error_comment = Some(comment.into());
        self
    }

    /// With an Error ID.
    pub fn with_error_id(mut self, id: u16) -> Self {
        self.error_id = Some(id);
        self
    }

    /// With a data set.
    pub fn with_data_set(mut self, data_set: SharedDataSet) -> Self {
        self.data_set = Some(data_set);
        self
    }
}

/// What a handler may fail with: the request is answered 0110H with this error as comment.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// The future a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, HandlerError>> + Send>>;

/// The application's side of a server: one method per DIMSE operation the core hands to the
/// application (today N-GET; C-ECHO the core answers itself). Every method has a default that
/// answers 0211H (unrecognized operation, PS3.7 Annex C): implement the operations the device
/// supports and leave out the rest.
///
/// Each method runs in the association's task (a method that must block should hand the work
/// to `spawn_blocking`). An `Err`, or a panic (caught), is answered 0110H (processing failure)
/// with the error as Error Comment.
///
/// A closure answering N-GET is bound with [`ServerBuilder::n_get`], which wraps it in
/// [`NGetFn`], or, when it answers without waiting, with [`ServerBuilder::n_get_sync`]
/// ([`NGetSyncFn`]).
pub trait Handler: Send + Sync + 'static {
    /// Answers one N-GET that passed the core's checks (SOP class served on its context, the
    /// well-known instance).
    fn n_get(&self, request: NGetRequest) -> HandlerFuture {
        let _ = request;
        unrecognized_operation()
    }

    /// Answers one N-GET at once, without a future, when it can: `Some` is the answer, and
    /// [`Handler::n_get`] is not called; `None` (the default) hands the request to
    /// [`Handler::n_get`]. Asked first, for every N-GET. For an answer that needs no waiting
    /// (pynetdicom's handlers are plain functions): the request is lent, not copied, and no
    /// future is boxed, which is most of what a handler costs per request.
    fn n_get_sync(&self, request: &NGetRequest) -> Option<Result<Reply, HandlerError>> {
        let _ = request;
        None
    }
}

/// What an operation a handler leaves out is answered: 0211H.
fn unrecognized_operation() -> HandlerFuture {
    Box::pin(std::future::ready(Ok(Reply::status(
        UNRECOGNIZED_OPERATION,
    ))))
}

/// A [`Handler`] whose N-GET is a closure `Fn(NGetRequest) -> impl Future<Output =
/// Result<Reply, HandlerError>>`; every other operation is answered 0211H.
pub struct NGetFn<F>(pub F);

impl<F, Fut> Handler for NGetFn<F>
where
    F: Fn(NGetRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, HandlerError>> + Send + 'static,
{
    fn n_get(&self, request: NGetRequest) -> HandlerFuture {
        Box::pin((self.0)(request))
    }
}

/// A [`Handler`] whose N-GET is a closure `Fn(&NGetRequest) -> Result<Reply,
/// HandlerError>`, answering at once ([`Handler::n_get_sync`]); every other operation is
/// answered 0211H.
pub struct NGetSyncFn<F>(pub F);

impl<F> Handler for NGetSyncFn<F>
where
    F: Fn(&NGetRequest) -> Result<Reply, HandlerError> + Send + Sync + 'static,
{
    fn n_get_sync(&self, request: &NGetRequest) -> Option<Result<Reply, HandlerError>> {
        Some((self.0)(request))
    }
}

/// The handler of a server built without one: every operation answered 0211H.
struct NoHandler;

impl Handler for NoHandler {}

/// Sizes and limits of a server, with pynetdicom-like defaults.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Associations served at once (default 32); beyond it, A-ASSOCIATE-RJ (transient,
    /// service-provider presentation, local limit exceeded). A slot is taken when the
    /// connection is accepted and given back when the association ends: A-RELEASE-RP or
    /// A-ABORT sent, or A-ABORT received (PS3.8 §9.2, Sta13 or Sta1), not when the peer
    /// closes the connection, so that a peer that releases and at once associates again
    /// finds its old slot free.
    pub max_associations: usize,
    /// Connections kept open after their association ended (Sta13: the peer is to close
    /// the connection, or ARTIM closes it), rejected ones included (default 32). They hold
    /// no slot and give back every buffer of the association: the core's receive and
    /// transmit storage (what is left is a `dimse_core::Closing`, a few dozen bytes) and the
    /// transport's, but a 512-byte read buffer; beyond this many, the one lingering longest
    /// is closed.
    pub max_lingering: usize,
    /// Receive buffer per association: the largest command set, or response command and
    /// data set, it can hold (default 64 KiB).
    ///
    /// An association's buffers (these two, and the transport's: a 4 KiB read buffer and a
    /// write buffer of one maximum PDU) are kept for the next association once it ends, at
    /// most about one set per slot ([`ServerOptions::max_associations`]); only the pages an
    /// association has used are resident (an N-GET's few KiB, not the 340 KiB reserved,
    /// with a C library that maps blocks this large afresh, as glibc does).
    pub rx_buffer: usize,
    /// Transmit buffer per association: the largest N-GET response (data set + command
    /// set) it can send; larger ones are answered 0213H (default 256 KiB).
    pub tx_buffer: usize,
    /// How long open associations may take to finish their current message after a
    /// shutdown request before they are aborted (default 5 s).
    pub shutdown_grace: Duration,
    /// Record every association's inputs as a trace file in this directory
    /// ([`crate::trace`]); `dimse replay FILE` runs one again.
    pub record: Option<std::path::PathBuf>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_associations: 32,
            max_lingering: 32,
            rx_buffer: 64 * 1024,
            tx_buffer: 256 * 1024,
            shutdown_grace: Duration::from_secs(5),
            record: None,
        }
    }
}

struct Inner {
    policy: AcceptorPolicy<'static>,
    handler: Arc<dyn Handler>,
    options: ServerOptions,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    buffer_lens: BufferLens,
    storage: StoragePool,
}

/// Builds a [`Server`].
pub struct ServerBuilder {
    policy: AcceptorPolicy<'static>,
    handler: Arc<dyn Handler>,
    options: ServerOptions,
    #[cfg(feature = "tls")]
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

/// The abstract syntaxes a default server serves: Display System and Verification.
static DEFAULT_SYNTAXES: [&str; 2] = [
    dimse_core::service::DISPLAY_SYSTEM,
    dimse_core::service::VERIFICATION,
];

impl ServerBuilder {
    /// A Display System SCP (with C-ECHO) named `ae_title`, accepting any calling and called
    /// AE title, Explicit VR LE preferred, Implicit VR LE always.
    pub fn new(ae_title: AeTitle) -> Self {
        ServerBuilder {
            policy: AcceptorPolicy::new(ae_title, &DEFAULT_SYNTAXES),
            handler: Arc::new(NoHandler),
            options: ServerOptions::default(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Serves DICOM over TLS (PS3.15 Annex B, the secure transport connection profiles):
    /// every accepted connection does a TLS handshake first, then the association runs
    /// inside it. rustls negotiates TLS 1.2 or 1.3 only. The DICOM port for TLS is 2762.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Replaces the acceptor policy (syntaxes, AE checks, user identity, limits).
    pub fn policy(mut self, policy: AcceptorPolicy<'static>) -> Self {
        self.policy = policy;
        self
    }

    /// The policy, to adjust a field.
    pub fn policy_mut(&mut self) -> &mut AcceptorPolicy<'static> {
        &mut self.policy
    }

    /// The policy the server will run with (for a description of it, such as a conformance
    /// statement).
    pub fn policy_ref(&self) -> &AcceptorPolicy<'static> {
        &self.policy
    }

    /// The options the server will run with.
    pub fn options_ref(&self) -> &ServerOptions {
        &self.options
    }

    /// Whether the server will serve over TLS only.
    pub fn serves_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        return false;
    }

    /// Binds the application's [`Handler`]. Without one every operation the core hands to
    /// the application is answered 0211H (unrecognized operation).
    pub fn handler(mut self, handler: impl Handler) -> Self {
        self.handler = Arc::new(handler);
        self
    }

    /// Binds a closure as the handler's N-GET ([`NGetFn`]); other operations are answered
    /// 0211H.
    pub fn n_get<F, Fut>(self, n_get: F) -> Self
    where
        F: Fn(NGetRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, HandlerError>> + Send + 'static,
    {
        self.handler(NGetFn(n_get))
    }

    /// Binds a closure that answers N-GET at once as the handler ([`NGetSyncFn`]); other
    /// operations are answered 0211H. It runs in the association's task: it must not block
    /// (use [`ServerBuilder::n_get`] for an answer that has to wait).
    pub fn n_get_sync<F>(self, n_get: F) -> Self
    where
        F: Fn(&NGetRequest) -> Result<Reply, HandlerError> + Send + Sync + 'static,
    {
        self.handler(NGetSyncFn(n_get))
    }

    /// Sizes and limits.
    pub fn options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// Binds the listening socket.
    pub async fn bind(self, addr: impl tokio::net::ToSocketAddrs) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Server {
            listener,
            inner: Arc::new(Inner {
                buffer_lens: BufferLens::new(&self.policy, &self.options),
                policy: self.policy,
                handler: self.handler,
                options: self.options,
                #[cfg(feature = "tls")]
                tls: self.tls.map(tokio_rustls::TlsAcceptor::from),
                storage: StoragePool::default(),
            }),
        })
    }
}

/// A bound N-GET server. [`Server::serve`] runs it.
pub struct Server {
    listener: TcpListener,
    inner: Arc<Inner>,
}

impl Server {
    /// A builder for a Display System SCP named `ae_title`.
    pub fn builder(ae_title: AeTitle) -> ServerBuilder {
        ServerBuilder::new(ae_title)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets open associations finish
    /// their current message for [`ServerOptions::shutdown_grace`] and aborts the rest.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let limit = Arc::new(Semaphore::new(self.inner.options.max_associations));
        let lingering = Arc::new(Lingering::new(self.inner.options.max_lingering));
        let shutdown_requested = Arc::new(Shutdown::default());
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Running out of descriptors must not end the server.
                            warn!(error = %e, "accept failed");
                            timer::sleep_until(std::time::Instant::now() + Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let slot = Slot {
                        permit: limit.clone().try_acquire_owned().ok(),
                        lingering: lingering.clone(),
                    };
                    let inner = self.inner.clone();
                    let stop = shutdown_requested.watch();
                    let span = info_span!(
                        "association",
                        %peer,
                        calling = tracing::field::Empty,
                        called = tracing::field::Empty
                    );
                    // The association's future itself is the task, in its span (no future
                    // around it: each layer is polled at every wake-up of every association).
                    #[cfg(feature = "tls")]
                    if let Some(acceptor) = inner.tls.clone() {
                        tasks.spawn(
                            serve_tls(acceptor, inner, stream, peer, slot, stop).instrument(span),
                        );
                        continue;
                    }
                    tasks.spawn(serve_association(inner, stream, peer, slot, stop).instrument(span));
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                () = &mut shutdown => break,
            }
        }
        info!("shutting down: no new associations");
        shutdown_requested.request();
        while tasks.join_next().await.is_some() {}
        Ok(())
    }

    /// Serves until Ctrl-C ([`crate::ctrl_c`]: SIGINT is caught from the first poll on).
    /// `Err` also when the SIGINT handler cannot be installed.
    pub async fn serve(self) -> io::Result<()> {
        let ctrl_c = crate::signal::ctrl_c()?;
        self.serve_until(async {
            let _ = ctrl_c.await;
        })
        .await
    }
}

/// [`serve_association`] over TLS. Boxed: a TLS session's state is several KiB, which every plain
/// association's task would otherwise hold too (a task is as large as its largest state).
/// Made out of line: the box's contents are laid out on the stack first, and a frame that
/// large in the task's poll would be set up at every wake-up of every association.
#[cfg(feature = "tls")]
#[inline(never)]
fn serve_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    inner: Arc<Inner>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    slot: Slot,
    stop: ShutdownWatch,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        // The handshake is bounded like the wait for an A-ASSOCIATE-RQ (ARTIM).
        let artim = Duration::from_millis(inner.policy.limits.artim_timeout.as_millis());
        let accepted = timer::timeout(artim, acceptor.accept(stream))
            .await
            .unwrap_or_else(|| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "TLS handshake timed out",
                ))
            });
        let tls = match accepted {
            Ok(tls) => tls,
            Err(e) => {
                // Logged as `serve_association` logs the errors that end it.
                debug!(error = %e, "transport error");
                return;
            }
        };
        serve_association(inner, tls, peer, slot, stop).await
    })
}

/// Serves one association on any byte stream (TCP, or TLS over TCP); a transport error ends
/// it (logged at debug level).
async fn serve_association<S: Transport>(
    inner: Arc<Inner>,
    stream: S,
    peer: SocketAddr,
    mut slot: Slot,
    mut stop: ShutdownWatch,
) {
    let refuse = slot.permit.is_none();
    if refuse {
        info!("association limit reached: rejecting");
    }
    // A connection refused for the association limit only reads an A-ASSOCIATE-RQ (streamed,
    // unit by unit) and sends a 10-byte A-ASSOCIATE-RJ: it gets minimal buffers, so that a
    // flood of refused connections costs little memory.
    let lens = if refuse {
        // Its only PDU is the 10-byte A-ASSOCIATE-RJ, never the A-ASSOCIATE-AC.
        BufferLens {
            rx: 512,
            tx: 512,
            input: 1024,
            output: 1024,
        }
    } else {
        inner.buffer_lens
    };
    let mut storage = if refuse {
        PooledStorage::unpooled(lens)
    } else {
        inner.storage.take(lens)
    };
    let (rx, rest) = storage.block.split_at_mut(lens.rx);
    let (tx, wbuf) = rest.split_at_mut(lens.tx);
    let mut io = Driver::with_buffers(
        stream,
        std::mem::take(&mut storage.inbuf),
        wbuf,
        lens.output,
    );
    let mut conn = Connection::acceptor(&inner.policy, Storage { rx, tx }, io.tick());
    let mut rec = Recorder::new(&inner, peer);
    if refuse {
        conn.refuse(AssociateRj::LOCAL_LIMIT_EXCEEDED);
    }
    // The handler runs inside this task (no spawn: one association is one task, and a hop
    // to another task per request would cost more than the request); a panic is caught.
    let mut handler: Option<(u16, CatchUnwind)> = None;
    // The end of the shutdown's grace period, once a shutdown is requested.
    let mut grace: Option<std::time::Instant> = None;
    let mut grace_timer = Timer::new();
    let mut timer = Timer::new();
    let mut requests = Requests::default();
    // Whether the write buffer has been sized to the negotiated maximum PDU.
    let mut negotiated = false;
    // `Ok(true)`: the association has ended and the connection lingers (Sta13).
    let result = loop {
        // A request whose handler returned a future, polled once below.
        let mut later: Option<(u16, CatchUnwind)> = None;
        let settled = io
            .settle(&mut conn, &mut |c, ev, now, wall| {
                match ev {
                    Event::Request {
                        op: Operation::NGet,
                        message_id,
                        ..
                    } => {
                        let arrived = c
                            .n_get_request()
                            .map(|r| requests.arrived(&r, peer, wall.time()));
                        if let Some(request) = arrived {
                            // A handler that answers at once is answered here, in the drain
                            // (its response leaves with this drain's write); a future is
                            // polled once after it (`Break`: the next settle goes on).
                            // An answer at once is given within the input's step: the
                            // core gets that step's time (its clock counts milliseconds; a
                            // clock read costs more than the answer).
                            let asked = ask(&inner.handler, message_id, request, |outcome| {
                                answer(c, now, message_id, outcome, &mut rec)
                            });
                            if let Some(fut) = asked {
                                later = Some((message_id, fut));
                                return ControlFlow::Break(());
                            }
                        }
                    }
                    Event::Established {
                        calling_ae,
                        called_ae,
                        ..
                    } => {
                        let span = tracing::Span::current();
                        span.record("calling", calling_ae.as_str().unwrap_or("?"));
                        span.record("called", called_ae.as_str().unwrap_or("?"));
                        info!("association established");
                    }
                    Event::Answered {
                        message_id,
                        command_field,
                        status,
                        ..
                    } => info!(
                        message_id,
                        command = command_field.name(),
                        status = format_args!("{status:04X}H"),
                        "answered by the core"
                    ),
                    Event::Rejected(rj) => info!(reason = rj.describe(), "association rejected"),
                    // The slot is given back here, before this drain's PDUs (the
                    // A-RELEASE-RP, the A-ABORT) are written: a peer that associates again
                    // as soon as it reads them finds the slot free.
                    Event::Aborted(origin) => {
                        slot.permit = None;
                        info!("{origin}");
                    }
                    Event::Released => {
                        slot.permit = None;
                        info!("association released");
                    }
                    _ => {}
                }
                ControlFlow::Continue(())
            })
            .await;
        let closed = match settled {
            Ok(c) => c,
            Err(e) => break Err(e),
        };
        if !negotiated && conn.is_established() {
            // The A-ASSOCIATE-AC is out: from now on no PDU exceeds the peer's maximum.
            negotiated = true;
            match conn.negotiated().map_or(0, |n| n.peer_max_pdu_length) {
                0 => {}
                peer => io.limit_output(peer as usize + 6),
            }
        }
        if let Some((id, mut fut)) = later {
            // Most handlers answer at once: poll once here rather than through a whole round
            // of the wake-up poll below (timer registration and all).
            let first = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut fut).poll(cx))).await;
            match first {
                Poll::Ready(joined) => {
                    let now = io.current();
                    answer(&mut conn, now, id, Outcome::joined(&joined), &mut rec);
                }
                Poll::Pending => handler = Some((id, fut)),
            }
            continue;
        }
        if closed {
            io.shutdown().await;
            break Ok(false);
        }
        if conn.state() == State::Sta13 {
            // The association is over (A-RELEASE-RP, A-ASSOCIATE-RJ or A-ABORT sent); a
            // handler still running has no one to answer.
            break Ok(true);
        }
        if grace.is_some() && handler.is_none() && conn.is_established() {
            // Shutting down and between messages: end the association now.
            let now = io.tick();
            let _ = conn.abort(now);
            rec.push(&Record::Abort {
                at: now.as_millis(),
            });
            continue;
        }
        io.arm(&mut timer);
        // Polled by hand rather than through `select!` (which costs about a hundred
        // instructions a round, and a round runs twice per message). In this order: input
        // last, so that a peer sending without pause cannot hide a timeout, a handler's
        // answer or the shutdown (each is ready rarely; input is what a busy association
        // has most).
        let woken = std::future::poll_fn(|cx| {
            if timer.is_armed() && timer.poll_fired(cx).is_ready() {
                return Poll::Ready(Woken::Timeout);
            }
            if let Some((_, fut)) = &mut handler {
                if let Poll::Ready(joined) = Pin::new(fut).poll(cx) {
                    return Poll::Ready(Woken::Answered(joined));
                }
            }
            if grace.is_none() {
                if stop.poll_requested(cx).is_ready() {
                    return Poll::Ready(Woken::Shutdown);
                }
            } else if grace_timer.poll_fired(cx).is_ready() {
                return Poll::Ready(Woken::GraceOver);
            }
            if io.can_read() {
                if let Poll::Ready(read) = io.poll_read(cx) {
                    return Poll::Ready(Woken::Read(read));
                }
            }
            Poll::Pending
        })
        .await;
        match woken {
            Woken::Timeout => {
                if let Some(now) = io.timer_fired(&mut conn) {
                    rec.push(&Record::Timeout {
                        at: now.as_millis(),
                    });
                }
            }
            Woken::Answered(joined) => {
                let id = handler.take().map_or(0, |(id, _)| id);
                let now = io.tick();
                answer(&mut conn, now, id, Outcome::joined(&joined), &mut rec);
            }
            Woken::Shutdown => {
                grace = Some(std::time::Instant::now() + inner.options.shutdown_grace);
                grace_timer.arm(grace);
            }
            Woken::GraceOver => {
                // The grace period is over: abort whatever is still going on.
                handler = None;
                let now = io.tick();
                if conn.abort(now).is_err() {
                    // Nothing to abort: the A-ASSOCIATE-RQ never came (Sta2, where no
                    // A-ABORT may be sent). The connection closes unanswered, as ARTIM's
                    // expiry would close it (AA-2), rather than at that expiry: recorded
                    // and closed as a transport that closed (the next round's `closed`).
                    conn.handle_transport_closed(now);
                    rec.input(now, None);
                    continue;
                }
                rec.push(&Record::Abort {
                    at: now.as_millis(),
                });
                grace = Some(std::time::Instant::now() + Duration::from_secs(3600));
                grace_timer.arm(grace);
            }
            Woken::Read(read) => {
                let (now, input) = io.input_read(&mut conn, read);
                rec.input(now, input);
            }
        }
    };
    let closing = match result {
        Ok(true) => {
            // Its slot is free for the next association, and its storage goes back: what is
            // left waits for the peer's close, in a few dozen bytes.
            slot.permit = None;
            // Only a requestor can end mid-PDU (`Err`); an acceptor never does.
            conn.into_closing().ok()
        }
        _ => None,
    };
    let (mut io, inbuf) = io.into_lingering(LINGER_OUTPUT_LEN);
    storage.give_back(inbuf);
    let result = match (result, closing) {
        (Ok(true), Some(closing)) => {
            let ticket = slot.lingering.enter();
            let shutting_down = grace.is_some();
            linger(
                closing,
                &mut io,
                &ticket,
                &mut rec,
                &mut stop,
                shutting_down,
            )
            .await
        }
        (Ok(true), None) => {
            io.shutdown().await;
            Ok(())
        }
        (Ok(false), _) => Ok(()),
        (Err(e), _) => Err(e),
    };
    rec.finish();
    if let Err(e) = result {
        debug!(error = %e, "transport error");
    }
}

/// The buffers of associations that have ended, kept for the next ones (about one set per
/// association slot: a set is back before its slot's next association starts). Given back
/// to the allocator, they would come back through `calloc`, which zeroes a reused block by
/// writing every page of it: the whole set (about 340 KiB by default) resident, where a kept set has
/// resident only the pages its associations have used (an N-GET's few KiB). A set is not
/// cleared between associations: the core never reads a byte of its storage it has not
/// written for the message at hand (`storage_contents_do_not_matter` in dimse-core's
/// tests/stream.rs), and the driver reads only what it received or the core wrote.
#[derive(Default)]
struct StoragePool(std::sync::Mutex<Vec<PooledSet>>);

/// A block (the core's receive storage, its transmit storage, the driver's write buffer)
/// and the driver's read buffer.
type PooledSet = (Vec<u8>, Vec<u8>);

/// The lengths of one association's buffers.
#[derive(Clone, Copy)]
struct BufferLens {
    /// The core's receive storage ([`ServerOptions::rx_buffer`]).
    rx: usize,
    /// The core's transmit storage ([`ServerOptions::tx_buffer`]).
    tx: usize,
    /// The driver's read buffer: the core takes PDUs in any pieces, so this sets only how
    /// much one read can take (a few N-GET requests' worth; a larger PDU takes more reads).
    input: usize,
    /// The longest PDU the driver writes (its write buffer is [`output_buffer_len`] of it).
    output: usize,
}

impl BufferLens {
    /// The buffers of an association served under `policy` and `options`: room for the
    /// A-ASSOCIATE-AC, and for P-DATA of the full length we allow (less would cut a large
    /// response into more PDUs than the peer's maximum asks for).
    fn new(policy: &AcceptorPolicy<'_>, options: &ServerOptions) -> Self {
        let pdata = policy.limits.max_pdu_length as usize + 6;
        BufferLens {
            rx: options.rx_buffer,
            tx: options.tx_buffer,
            input: READ_BUFFER_LEN,
            output: Connection::acceptor_min_output_len(policy, options.tx_buffer).max(pdata),
        }
    }

    /// A new set: the block (receive and transmit storage, write buffer) and the read
    /// buffer, zeroed (see [`StoragePool`]).
    fn allocate(self) -> PooledSet {
        let block = self.rx + self.tx + output_buffer_len(self.output);
        (vec![0; block], vec![0; self.input])
    }
}

/// The driver's read buffer of an association (see [`BufferLens::input`]).
const READ_BUFFER_LEN: usize = 4096;

impl StoragePool {
    fn take(&self, lens: BufferLens) -> PooledStorage<'_> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let (block, inbuf) = kept.unwrap_or_else(|| lens.allocate());
        PooledStorage {
            block,
            inbuf,
            pool: Some(self),
        }
    }
}

/// One association's buffers, from a pool or of its own.
struct PooledStorage<'p> {
    /// The core's receive storage, its transmit storage, the driver's write buffer: one
    /// block, which the C library maps afresh (its untouched pages are not resident) where
    /// three would come from its heap and be written whole by `calloc`.
    block: Vec<u8>,
    inbuf: Vec<u8>,
    pool: Option<&'p StoragePool>,
}

impl PooledStorage<'_> {
    /// Buffers of its own, freed when dropped (a refused connection's few KiB).
    fn unpooled(lens: BufferLens) -> Self {
        let (block, inbuf) = lens.allocate();
        PooledStorage {
            block,
            inbuf,
            pool: None,
        }
    }

    /// Returns the set to its pool, with the driver's read buffer (taken at the start).
    fn give_back(self, inbuf: Vec<u8>) {
        if let Some(pool) = self.pool {
            pool.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((self.block, inbuf));
        }
    }
}

/// A connection whose association has ended (Sta13), until the peer closes it, ARTIM runs
/// out, a newer lingering connection needs its place, or the server shuts down.
async fn linger<S: Transport>(
    mut closing: Closing,
    io: &mut Driver<S>,
    ticket: &LingerTicket,
    rec: &mut Recorder,
    stop: &mut ShutdownWatch,
    shutting_down: bool,
) -> io::Result<()> {
    let mut timer = Timer::new();
    loop {
        let closed = io
            .settle(&mut closing, &mut |_, _, _, _| ControlFlow::Continue(()))
            .await?;
        if closed || shutting_down {
            // Shutting down: a connection whose association is over has nothing to finish.
            io.shutdown().await;
            return Ok(());
        }
        io.arm(&mut timer);
        tokio::select! {
            biased;
            () = timer.fired(), if timer.is_armed() => {
                if let Some(now) = io.timer_fired(&mut closing) {
                    rec.push(&Record::Timeout { at: now.as_millis() });
                }
            }
            () = ticket.closed() => {
                // More connections linger than allowed, and this one longest.
                debug!("closing a lingering connection to make room");
                io.shutdown().await;
                return Ok(());
            }
            () = std::future::poll_fn(|cx| stop.poll_requested(cx)) => {
                io.shutdown().await;
                return Ok(());
            }
            read = io.read(), if io.can_read() => {
                let (now, input) = io.input_read(&mut closing, read);
                rec.input(now, input);
            }
        }
    }
}

/// A shutdown requested of the server, as its associations wait for it. (A
/// `tokio::sync::watch` would do, but an association polls it at every wait, twice per
/// message, and a poll of a watch's `changed()` takes its waiter lock: about 260 instructions
/// per message. Here a poll is an atomic load while the task's waker is the one registered.)
#[derive(Default)]
struct Shutdown {
    requested: AtomicBool,
    /// The waker of each association task that waits, by its [`ShutdownWatch::id`].
    waiting: std::sync::Mutex<std::collections::HashMap<u64, std::task::Waker>>,
    next: AtomicU64,
}

impl Shutdown {
    /// Requests the shutdown and wakes every association.
    fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        let waiting = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|p| p.into_inner()));
        for waker in waiting.into_values() {
            waker.wake();
        }
    }

    fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// What one association waits on.
    fn watch(self: &Arc<Self>) -> ShutdownWatch {
        ShutdownWatch {
            shutdown: self.clone(),
            id: self.next.fetch_add(1, Ordering::Relaxed),
            registered: None,
        }
    }
}

/// One association's view of the [`Shutdown`].
struct ShutdownWatch {
    shutdown: Arc<Shutdown>,
    id: u64,
    /// The waker last registered: a task polls with the same one every time.
    registered: Option<std::task::Waker>,
}

impl ShutdownWatch {
    /// Ready once the shutdown is requested.
    #[inline(always)]
    fn poll_requested(&mut self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        // The poll of every message, inlined (the call cost as much as the check).
        if !self.shutdown.is_requested()
            && self
                .registered
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        self.register_or_stop(cx)
    }

    /// [`ShutdownWatch::poll_requested`] when the shutdown is requested or the task's waker
    /// is not registered.
    #[inline(never)]
    fn register_or_stop(&mut self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.shutdown.is_requested() {
            return Poll::Ready(());
        }
        let waker = cx.waker().clone();
        let mut waiting = self
            .shutdown
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        waiting.insert(self.id, waker.clone());
        drop(waiting);
        self.registered = Some(waker);
        // Requested while registering: `request` may have taken the wakers before.
        if self.shutdown.is_requested() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for ShutdownWatch {
    fn drop(&mut self) {
        if self.registered.is_some() {
            let mut waiting = self
                .shutdown
                .waiting
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            waiting.remove(&self.id);
        }
    }
}

/// The room for one PDU once the association has ended: in Sta13 the core sends at most an
/// A-ABORT (10 bytes).
const LINGER_OUTPUT_LEN: usize = 64;

/// What a connection holds of the server's limits: an association slot (none when the
/// association is refused for the limit) and the registry of lingering connections it joins
/// once its association ends.
struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    lingering: Arc<Lingering>,
}

/// The connections lingering after their association ended, oldest first
/// ([`ServerOptions::max_lingering`]).
struct Lingering {
    cap: usize,
    /// Each lingering connection's number and the signal that closes it.
    queue: std::sync::Mutex<std::collections::VecDeque<(u64, Arc<Notify>)>>,
    next: AtomicU64,
}

impl Lingering {
    fn new(cap: usize) -> Self {
        Lingering {
            cap,
            queue: std::sync::Mutex::default(),
            next: AtomicU64::new(0),
        }
    }

    /// Registers a connection that starts lingering; beyond the cap, the oldest ones are told
    /// to close.
    fn enter(self: &Arc<Self>) -> LingerTicket {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue.push_back((id, close.clone()));
        while queue.len() > self.cap {
            if let Some((_, oldest)) = queue.pop_front() {
                // Stored if that task is not waiting yet: it sees it at its next wait.
                oldest.notify_one();
            }
        }
        LingerTicket {
            id,
            close,
            registry: self.clone(),
        }
    }
}

/// A lingering connection's place in [`Lingering`]; dropped when the connection closes.
struct LingerTicket {
    id: u64,
    close: Arc<Notify>,
    registry: Arc<Lingering>,
}

impl LingerTicket {
    /// Completes when the connection must close to make room for a newer one.
    async fn closed(&self) {
        self.close.notified().await;
    }
}

impl Drop for LingerTicket {
    fn drop(&mut self) {
        let mut queue = self
            .registry
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(i) = queue.iter().position(|(id, _)| *id == self.id) {
            queue.remove(i);
        }
    }
}

/// Collects an association's inputs when the server records ([`ServerOptions::record`]).
struct Recorder {
    dir: Option<std::path::PathBuf>,
    ae_title: String,
    peer: String,
    trace: trace::Recorder,
}

impl Recorder {
    fn new(inner: &Inner, peer: SocketAddr) -> Self {
        let ae_title = inner.policy.ae_title.as_str().unwrap_or_default();
        Recorder {
            dir: inner.options.record.clone(),
            ae_title: ae_title.to_string(),
            peer: peer.to_string(),
            trace: trace::Recorder::new(),
        }
    }

    /// Whether a trace is being recorded (`--record`).
    fn is_on(&self) -> bool {
        self.dir.is_some()
    }

    fn push(&mut self, r: &Record<'_>) {
        if self.is_on() {
            self.trace.push(r);
        }
    }

    /// A read at `now`: its bytes, or the transport closed (`None`).
    fn input(&mut self, now: dimse_core::Instant, input: Option<&[u8]>) {
        let at = now.as_millis();
        self.push(&match input {
            Some(bytes) => Record::Input { at, bytes },
            None => Record::TransportClosed { at },
        });
    }

    fn answer(
        &mut self,
        now: dimse_core::Instant,
        message_id: u16,
        (status, error_comment): (u16, Option<String>),
    ) {
        self.push(&Record::Answer {
            at: now.as_millis(),
            message_id,
            status,
            error_comment: error_comment.as_deref(),
        });
    }

    /// Writes the trace: `<dir>/<unix ms>-<peer>.trace`.
    fn finish(self) {
        let Some(dir) = self.dir else { return };
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let name = format!("{stamp}-{}.trace", self.peer.replace([':', '[', ']'], "_"));
        let bytes = self.trace.finish(&Header::new(&self.ae_title, &self.peer));
        if let Err(e) = std::fs::write(dir.join(&name), bytes) {
            warn!(error = %e, file = name, "cannot write the trace");
        }
    }
}

/// What woke an association's task, in the order `serve_association` polls for it.
enum Woken {
    /// The core's deadline (or an earlier one that has moved since).
    Timeout,
    /// The handler that was still running has answered (or panicked).
    Answered(Joined),
    /// A shutdown was requested: the grace period starts.
    Shutdown,
    /// The shutdown's grace period is over.
    GraceOver,
    /// The peer sent bytes, closed, or the transport failed.
    Read(io::Result<usize>),
}

/// A handler future's outcome: its answer, or the panic it raised.
type Joined = Result<Result<Reply, HandlerError>, Box<dyn std::any::Any + Send>>;

/// Hands a request to the handler. A closure handler runs its synchronous part here,
/// outside any future: a panic there is caught as one in the future is. An answer given at
/// once (or that panic) goes to `answered`, lent where the handler left it (no copy of it
/// made on the way); a future is returned, to be polled.
fn ask(
    h: &Arc<dyn Handler>,
    id: u16,
    request: &NGetRequest,
    answered: impl FnOnce(Outcome<'_>),
) -> Option<CatchUnwind> {
    info!(message_id = id, "{request}");
    let span = info_span!("n_get", message_id = id, context = request.context_id);
    let entered = span.enter();
    let at_once = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.n_get_sync(request)));
    let later = match &at_once {
        Ok(Some(reply)) => {
            drop(entered);
            answered(Outcome::of(reply));
            return None;
        }
        Ok(None) => {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.n_get(request.clone()))).ok()
        }
        Err(_) => None,
    };
    drop(entered);
    match later {
        Some(fut) => Some(CatchUnwind { fut, span }),
        None => {
            answered(Outcome::Panicked);
            None
        }
    }
}

/// A handler's outcome as [`answer`] reads it: its reply or its error (lent), or a panic.
#[derive(Clone, Copy)]
enum Outcome<'r> {
    Reply(&'r Reply),
    Failed(&'r HandlerError),
    Panicked,
}

impl<'r> Outcome<'r> {
    fn of(answered: &'r Result<Reply, HandlerError>) -> Outcome<'r> {
        match answered {
            Ok(reply) => Outcome::Reply(reply),
            Err(e) => Outcome::Failed(e),
        }
    }

    /// A handler future's outcome.
    fn joined(joined: &'r Joined) -> Outcome<'r> {
        match joined {
            Ok(answered) => Outcome::of(answered),
            Err(_) => Outcome::Panicked,
        }
    }
}

/// A handler's future, polled with panics caught (a panicking handler is answered 0110H and
/// the association goes on) and inside the request's span.
struct CatchUnwind {
    fut: HandlerFuture,
    span: tracing::Span,
}

impl Future for CatchUnwind {
    type Output = Joined;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = &mut *self;
        let _entered = this.span.enter();
        let fut = &mut this.fut;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(r)) => std::task::Poll::Ready(Ok(r)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}

/// Hands the handler's outcome to the core, and to the trace when one is recorded.
fn answer(
    conn: &mut Connection<'_>,
    now: dimse_core::Instant,
    id: u16,
    outcome: Outcome<'_>,
    rec: &mut Recorder,
) {
    // What the handler asked for, for the trace (the core may change it: `dimse replay`
    // checks that it does so again); not made when no trace is recorded.
    let recording = rec.is_on();
    let mut asked = (0x0110, None);
    let result = match outcome {
        Outcome::Reply(reply) => {
            if recording {
                asked = (reply.status, reply.error_comment.clone());
            }
            let status = Status {
                code: reply.status,
                error_comment: reply.error_comment.as_deref(),
                error_id: reply.error_id,
                attribute_identifier_list: reply.attribute_identifier_list.as_deref(),
                offending_element: reply.offending_element.as_deref(),
            };
            let data_set = reply.data_set.as_deref().map(|d| d as &dyn DataSetSource);
            if !status.elements_allowed() {
                warn!(
                    status = format_args!("{:04X}H", reply.status),
                    "the handler's status carries elements PS3.7 Annex C does not allow"
                );
                // The core answers 0110H with its own comment: record that.
                asked = (0x0110, Some(INVALID_STATUS_COMMENT.to_string()));
            }
            conn.respond_n_get(now, id, status, data_set)
        }
        Outcome::Failed(e) => {
            warn!(error = %e, "N-GET handler failed");
            let c = e.to_string();
            let sent = conn.fail_n_get(now, id, &c);
            asked.1 = Some(c);
            sent
        }
        Outcome::Panicked => {
            const PANICKED: &str = "The N-GET handler panicked";
            warn!("N-GET handler panicked");
            asked.1 = Some(PANICKED.to_string());
            conn.fail_n_get(now, id, PANICKED)
        }
    };
    match result {
        Ok(status) => debug!(
            message_id = id,
            status = format_args!("{status:04X}H"),
            "answered"
        ),
        // The association ended, or the DIMSE timeout answered first.
        Err(e) => debug!(message_id = id, error = ?e, "answer not sent"),
    }
    if recording {
        rec.answer(now, id, asked);
    }
}

/// The association's N-GET requests as the handler sees them: the last one, updated in place
/// for the next (a peer polling a display asks for the same instance on the same context
/// every time: its texts are kept, shared, and its list's room reused), lent to a handler
/// that answers at once and cloned (reference counts, see [`SharedStr`]) for one that
/// returns a future.
#[derive(Default)]
struct Requests {
    /// Per presentation context ID: its abstract and transfer syntaxes.
    contexts: Vec<(u8, SharedStr, SharedStr)>,
    last: Option<NGetRequest>,
}

impl Requests {
    /// Makes the core's request `r` the current one.
    fn arrived(
        &mut self,
        r: &dimse_core::dimse::NGetRequest<'_>,
        peer: SocketAddr,
        timestamp: SystemTime,
    ) -> &NGetRequest {
        let contexts = &mut self.contexts;
        let mut context = || match contexts.iter().position(|c| c.0 == r.context.id) {
            Some(i) => contexts[i].clone(),
            None => {
                let c = (
                    r.context.id,
                    SharedStr::from(r.context.abstract_syntax),
                    SharedStr::from(r.context.transfer_syntax),
                );
                contexts.push(c.clone());
                c
            }
        };
        // The first request of the association makes it; the next ones update it in place.
        let q = self.last.get_or_insert_with(|| {
            let (context_id, abstract_syntax, transfer_syntax) = context();
            let text = |ae: AeTitle| SharedStr::from(ae.as_str().unwrap_or_default());
            NGetRequest {
                message_id: r.message_id,
                context_id,
                abstract_syntax,
                transfer_syntax,
                sop_class_uid: r.sop_class_uid.into(),
                sop_instance_uid: r.sop_instance_uid.into(),
                attributes: Vec::new(),
                // The AE titles and the peer are the association's.
                calling_ae: text(r.calling_ae),
                called_ae: text(r.called_ae),
                peer,
                timestamp,
            }
        });
        q.message_id = r.message_id;
        q.timestamp = timestamp;
        if q.context_id != r.context.id {
            (q.context_id, q.abstract_syntax, q.transfer_syntax) = context();
        }
        if q.sop_class_uid.as_str() != r.sop_class_uid {
            q.sop_class_uid = r.sop_class_uid.into();
        }
        if q.sop_instance_uid.as_str() != r.sop_instance_uid {
            q.sop_instance_uid = r.sop_instance_uid.into();
        }
        q.attributes.clear();
        q.attributes.extend(r.requested_tags());
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dimse_core::assoc::PresentationContext;
    use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, VERIFICATION};

    /// What the handler must see for the core's request `r`: every field from `r`, as an
    /// owned request made afresh would have it.
    fn fresh(
        r: &dimse_core::dimse::NGetRequest<'_>,
        peer: SocketAddr,
        at: SystemTime,
    ) -> NGetRequest {
        NGetRequest {
            message_id: r.message_id,
            context_id: r.context.id,
            abstract_syntax: r.context.abstract_syntax.into(),
            transfer_syntax: r.context.transfer_syntax.into(),
            sop_class_uid: r.sop_class_uid.into(),
            sop_instance_uid: r.sop_instance_uid.into(),
            attributes: r.requested_tags().collect(),
            calling_ae: r.calling_ae.as_str().unwrap_or_default().into(),
            called_ae: r.called_ae.as_str().unwrap_or_default().into(),
            peer,
            timestamp: at,
        }
    }

    #[test]
    fn the_kept_request_is_each_request_as_it_came() {
        // Requests that change one field at a time, then several: the context (and with it
        // both syntaxes), the class, the instance, the list (longer, shorter, none).
        let contexts = [
            PresentationContext {
                id: 1,
                abstract_syntax: DISPLAY_SYSTEM,
                transfer_syntax: "1.2.840.10008.1.2.1",
            },
            PresentationContext {
                id: 3,
                abstract_syntax: VERIFICATION,
                transfer_syntax: "1.2.840.10008.1.2",
            },
        ];
        let lists: [&[u8]; 3] = [
            &[],
            &[0x08, 0, 0x70, 0, 0x08, 0, 0x90, 0x10],
            &[0x08, 0, 0x70, 0],
        ];
        let peer: SocketAddr = "127.0.0.1:104".parse().unwrap();
        let mut requests = Requests::default();
        let steps = [
            (0, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, 0),
            (0, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, 1),
            (1, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, 1),
            (1, VERIFICATION, DISPLAY_SYSTEM_INSTANCE, 2),
            (1, VERIFICATION, "1.2.3.4", 2),
            (0, DISPLAY_SYSTEM, "1.2.3.4", 0),
            (0, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, 2),
            (1, DISPLAY_SYSTEM, "1.2.3", 1),
        ];
        for (i, (context, class, instance, list)) in steps.into_iter().enumerate() {
            let r = dimse_core::dimse::NGetRequest {
                message_id: i as u16 + 1,
                context: contexts[context],
                sop_class_uid: class,
                sop_instance_uid: instance,
                attribute_identifier_list: lists[list],
                calling_ae: AeTitle::new("QA").unwrap(),
                called_ae: AeTitle::new("DISPLAY").unwrap(),
                received_at: dimse_core::Instant::ZERO,
            };
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(i as u64);
            requests.arrived(&r, peer, at);
            assert_eq!(
                requests.last.as_ref(),
                Some(&fresh(&r, peer, at)),
                "step {i}"
            );
        }
        // The context's syntaxes made once per context, whatever the order they come in.
        assert_eq!(requests.contexts.len(), 2);
    }
}
