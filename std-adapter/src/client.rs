//! The N-GET client: one association, whose requestor [`Connection`] a call drives in the
//! caller's task; a background task keeps it between calls.

use std::borrow::Cow;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use dimse_core::assoc::{
    Limits, RequestorConfig, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};
use dimse_core::connection::{AbortOrigin, ApiError};
use dimse_core::dataset::{Encoding, Tag};
use dimse_core::dimse::Operation;
use dimse_core::pdu::{
    AeTitle, AssociateRj, PresentationContextRq, UserIdentityRq, UserIdentityType,
};
use dimse_core::{Connection, Event, Storage};
use tokio::net::TcpStream;
use tracing::debug;

use crate::dataset::{DataSetView, MalformedDataSet};
use crate::driver::{Driver, Transport};
use crate::timer::{self, Timer};

/// What goes wrong on the client side, in words a user can act on.
#[derive(Debug)]
pub enum ClientError {
    /// The TCP connection failed (refused, unreachable, reset).
    Io(io::Error),
    /// The peer rejected the association.
    Rejected(AssociateRj),
    /// The association was aborted.
    Aborted(AbortOrigin),
    /// No answer in time (connect, association or DIMSE timeout).
    Timeout(&'static str),
    /// The association is over (released, or the client was closed).
    Closed,
    /// The core refused the call (no context for the class, invalid UID, ...).
    Api(ApiError),
    /// A configuration value is not valid (AE title, contexts).
    Config(&'static str),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "connection failed: {e}"),
            ClientError::Rejected(rj) => write!(f, "association rejected: {}", rj.describe()),
            ClientError::Aborted(origin) => write!(f, "association {origin}"),
            ClientError::Timeout(what) => write!(f, "timed out waiting for {what}"),
            ClientError::Closed => write!(f, "the association is closed"),
            ClientError::Api(ApiError::UnknownContext) => {
                write!(
                    f,
                    "the peer accepted no presentation context for this SOP class"
                )
            }
            ClientError::Api(e) => write!(f, "request refused locally: {e:?}"),
            ClientError::Config(what) => write!(f, "invalid configuration: {what}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

/// The presentation contexts and AE titles of a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Our AE title (calling).
    pub calling_ae: String,
    /// The peer's AE title (called).
    pub called_ae: String,
    /// Abstract syntaxes proposed, each with Explicit then Implicit VR LE.
    pub abstract_syntaxes: Vec<String>,
    /// Max PDU and timeouts (ACSE, DIMSE, network).
    pub limits: Limits,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Receive buffer: the largest response (command and data set) accepted.
    pub rx_buffer: usize,
    /// Username and passcode sent as User Identity (type 2, PS3.7 D.3.3.7); in clear unless
    /// over TLS.
    pub credentials: Option<(String, String)>,
    /// DICOM over TLS (PS3.15 Annex B): the rustls configuration (trusted roots, client
    /// certificate) and the server name to verify.
    #[cfg(feature = "tls")]
    pub tls: Option<ClientTls>,
}

/// TLS settings of a client.
#[cfg(feature = "tls")]
#[derive(Clone)]
pub struct ClientTls {
    /// The rustls client configuration.
    pub config: std::sync::Arc<tokio_rustls::rustls::ClientConfig>,
    /// The name the server's certificate must carry (a DNS name or an IP address).
    pub server_name: String,
}

#[cfg(feature = "tls")]
impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            calling_ae: "DIMSE_SCU".into(),
            called_ae: "ANY-SCP".into(),
            abstract_syntaxes: vec![
                dimse_core::service::DISPLAY_SYSTEM.into(),
                dimse_core::service::VERIFICATION.into(),
            ],
            limits: Limits::DEFAULT,
            connect_timeout: Duration::from_secs(10),
            rx_buffer: 1024 * 1024,
            credentials: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// An N-GET response as the client returns it: [`Client::n_get`]'s borrows the client's
/// buffers (kept from one response to the next, so that a response costs no allocation)
/// until the next call; [`NGetResponse::into_owned`] makes one to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NGetResponse<'c> {
    /// Status (0000,0900).
    pub status: u16,
    /// Error Comment (0000,0902), if any.
    pub error_comment: Option<Cow<'c, str>>,
    /// Error ID (0000,0903), if any.
    pub error_id: Option<u16>,
    /// Attribute Identifier List (0000,1005) of the response (with 0107H: the tags the peer
    /// did not recognise).
    pub attribute_identifier_list: Cow<'c, [Tag]>,
    /// The data set, if one came.
    pub data_set: Option<Cow<'c, [u8]>>,
    /// The data set's encoding (the context's transfer syntax).
    pub encoding: Encoding,
}

impl NGetResponse<'_> {
    /// The same response, owning its values.
    pub fn into_owned(self) -> NGetResponse<'static> {
        NGetResponse {
            status: self.status,
            error_comment: self.error_comment.map(|c| Cow::Owned(c.into_owned())),
            error_id: self.error_id,
            attribute_identifier_list: Cow::Owned(self.attribute_identifier_list.into_owned()),
            data_set: self.data_set.map(|d| Cow::Owned(d.into_owned())),
            encoding: self.encoding,
        }
    }

    /// The data set read into a [`DataSetView`]: `Ok(None)` when no data set came, an error
    /// when the one that came is malformed.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use dimse_core::dataset::{Encoding, Tag, Writer};
    /// use dimse_tokio::dataset::ElementValue;
    /// use dimse_tokio::NGetResponse;
    ///
    /// // The data set the peer would have sent, encoded by the core's writer.
    /// let encoding = Encoding::ImplicitVrLittleEndian;
    /// let mut buf = [0u8; 64];
    /// let mut w = Writer::new(&mut buf, encoding);
    /// w.u16s(Tag::new(0x0028, 0x7001), &[2])?;
    /// let n = w.written();
    /// let response = NGetResponse {
    ///     status: 0x0000,
    ///     error_comment: None,
    ///     error_id: None,
    ///     attribute_identifier_list: Cow::Borrowed(&[]),
    ///     data_set: Some(Cow::Borrowed(&buf[..n])),
    ///     encoding,
    /// };
    ///
    /// let data_set = response.data_set_view()?.expect("a data set came");
    /// let subsystems = data_set.get(Tag::new(0x0028, 0x7001)).unwrap();
    /// assert_eq!(subsystems.keyword(), "NumberOfDisplaySubsystems");
    /// assert_eq!(subsystems.value(), ElementValue::U16(vec![2]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn data_set_view(&self) -> Result<Option<DataSetView<'_>>, MalformedDataSet> {
        self.data_set
            .as_deref()
            .map(|data| DataSetView::parse(data, self.encoding))
            .transpose()
    }
}

/// The call number of the association's negotiation (`Client::connect`).
const NEGOTIATION: u64 = 0;
/// A call number no answer carries: a call of it drives the association until it is over.
const UNTIL_CLOSED: u64 = u64::MAX;

/// What a call asks of the association. An N-GET's arguments wait in [`State`]'s buffers.
#[derive(Clone, Copy)]
enum Request {
    /// N-GET of `State::class` / `State::instance`, of `State::attributes` when `listed`.
    NGet {
        listed: bool,
    },
    Echo,
    Release,
    Abort,
}

/// What the association answers a call.
enum Answer {
    Established,
    /// An N-GET response; its values are in `State::response`.
    NGet(Received),
    Echo(u16),
    Released,
}

/// An N-GET response's fixed values; the rest is in a [`Buffers`].
#[derive(Clone, Copy)]
struct Received {
    status: u16,
    error_id: Option<u16>,
    has_comment: bool,
    has_data_set: bool,
    encoding: Encoding,
}

/// An N-GET response's values of variable length, in buffers kept across responses: the
/// association fills the shared ones, and the call swaps them with the client's, from
/// which the caller reads.
#[derive(Default)]
struct Buffers {
    comment: String,
    tags: Vec<Tag>,
    data_set: Vec<u8>,
}

/// The association: a future that owns the transport and the core's [`Connection`] (which
/// borrows its buffers, so it lives in an `async fn`'s state), polled by the task of the
/// call in progress, or by the client's background task between calls.
type Association = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the client's handle, its background task and the association share.
///
/// Why two pollers: a call polls the association itself, in the caller's task, so that a
/// request and its answer cost no task hop and no channel; between calls nobody awaits the
/// client, but the association must still be read (a peer's A-RELEASE-RQ or A-ABORT) and
/// its deadlines kept, which the background task does. The association is always polled
/// with the one waker of this `Link`, which forwards a wake-up to whichever of the two is
/// in charge: the socket's and the timer's registrations never change hands.
///
/// Four atomics live outside the lock, so that the every-message paths take it less often.
#[derive(Default)]
struct Link {
    state: Mutex<State>,
    /// A request waits in [`State::request`], or the handle is gone: only then does the
    /// association take the lock to look. Written under the lock.
    requested: AtomicBool,
    /// A wake-up came since the association was last polled: a call that ends must hand it
    /// to the background task, or it would be lost. Set before a wake-up takes the lock, so
    /// a call ending under the lock sees it.
    woken: AtomicBool,
    /// The number of wake-ups so far, counted before each is passed on: while it has not
    /// moved, a registration the association made with this link's waker still stands.
    wakes: AtomicU64,
    /// [`State::answer`] holds an answer: a call looks under the lock only then. Written
    /// under the lock.
    answered: AtomicBool,
}

#[derive(Default)]
struct State {
    /// The number of the next call: an answer goes to the call of its number only, so a
    /// call given up (its future dropped) leaves an answer nobody takes for another.
    next_call: u64,
    /// The request waiting to be sent, and its call.
    request: Option<(u64, Request)>,
    /// An N-GET's arguments, copied into buffers kept across calls: no allocation per
    /// request, and the association reads them when it sends (the caller's `&str` cannot
    /// reach a future that outlives the call).
    class: String,
    instance: String,
    attributes: Vec<Tag>,
    /// The last answer, and its call.
    answer: Option<(u64, Result<Answer, ClientError>)>,
    /// The values of the last N-GET response.
    response: Buffers,
    /// The association is over and its future gone: later calls fail with
    /// [`ClientError::Closed`].
    finished: bool,
    /// The handle was dropped: abort rather than leave the peer waiting.
    gone: bool,
    /// A call is in progress: wake-ups go to `caller`, else to `background`.
    calling: bool,
    caller: Option<Waker>,
    background: Option<Waker>,
}

impl State {
    fn take_answer(&mut self, call: u64) -> Option<Result<Answer, ClientError>> {
        match self.answer.take() {
            Some((c, a)) if c == call => Some(a),
            other => {
                self.answer = other;
                None
            }
        }
    }
}

impl Link {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Places a call's request for the association, and makes the call the one in progress
    /// (its task is told apart on its first poll, [`Call`]). Returns the call's number, and
    /// whether the call is in progress (not once the association is over).
    fn place(&self, s: &mut State, request: Request) -> (u64, bool) {
        let call = s.next_call;
        s.next_call += 1;
        s.request = Some((call, request));
        self.requested.store(true, Ordering::Release);
        s.calling = !s.finished;
        (call, s.calling)
    }

    /// The call in progress is over: the association's wake-ups go to the background task.
    fn end_call(&self, s: &mut State) {
        s.calling = false;
        if self.woken.load(Ordering::Acquire) {
            if let Some(w) = &s.background {
                w.wake_by_ref();
            }
        }
    }

    fn answer(&self, call: u64, answer: Result<Answer, ClientError>) {
        let mut s = self.lock();
        s.answer = Some((call, answer));
        self.answered.store(true, Ordering::Release);
    }
}

impl Wake for Link {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::AcqRel);
        self.woken.store(true, Ordering::Release);
        let s = self.lock();
        let to = if s.calling { &s.caller } else { &s.background };
        if let Some(w) = to {
            w.wake_by_ref();
        }
    }
}

/// One association with an N-GET SCP. Requests are answered one at a time (asynchronous
/// operations window 1): a call takes the client by `&mut`.
///
/// A call drives the association in the caller's task; between calls a background task
/// keeps it (answers a peer's A-RELEASE-RQ, sees an A-ABORT, keeps the deadlines). Dropping
/// the client aborts the association.
pub struct Client {
    link: Arc<Link>,
    /// The values of the response returned last, which the caller may be reading.
    response: Buffers,
    association: Arc<Mutex<Option<Association>>>,
    /// The waker the association is polled with, made once (see [`Link`]).
    waker: Waker,
    /// The calling task's waker as stored in the link (`State::caller`) by the last call.
    caller: Option<Waker>,
    peer: SocketAddr,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("peer", &self.peer).finish()
    }
}

impl Client {
    /// Connects to `addr` and negotiates an association.
    pub async fn connect(
        addr: impl tokio::net::ToSocketAddrs,
        config: ClientConfig,
    ) -> Result<Client, ClientError> {
        let calling =
            AeTitle::new(&config.calling_ae).ok_or(ClientError::Config("calling AE title"))?;
        let called =
            AeTitle::new(&config.called_ae).ok_or(ClientError::Config("called AE title"))?;
        if config.abstract_syntaxes.is_empty() || config.abstract_syntaxes.len() > 128 {
            return Err(ClientError::Config("between 1 and 128 abstract syntaxes"));
        }
        let stream = timer::timeout(config.connect_timeout, TcpStream::connect(addr))
            .await
            .ok_or(ClientError::Timeout("the TCP connection"))??;
        let _ = stream.set_nodelay(true);
        let peer = stream.peer_addr()?;
        let link = Arc::new(Link::default());
        link.lock().next_call = NEGOTIATION + 1;
        #[cfg(feature = "tls")]
        if let Some(tls) = config.tls.clone() {
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(tls.server_name)
                .map_err(|_| ClientError::Config("TLS server name"))?;
            let connector = tokio_rustls::TlsConnector::from(tls.config);
            let stream = timer::timeout(config.connect_timeout, connector.connect(name, stream))
                .await
                .ok_or(ClientError::Timeout("the TLS handshake"))??;
            let association = Box::pin(run(stream, config, calling, called, link.clone()));
            return Client::start(link, association, peer).await;
        }
        let association = Box::pin(run(stream, config, calling, called, link.clone()));
        Client::start(link, association, peer).await
    }

    /// Drives the negotiation in this task, then hands the association to the background
    /// task.
    async fn start(
        link: Arc<Link>,
        association: Association,
        peer: SocketAddr,
    ) -> Result<Client, ClientError> {
        let mut client = Client {
            response: Buffers::default(),
            waker: Waker::from(link.clone()),
            caller: None,
            link,
            association: Arc::new(Mutex::new(Some(association))),
            peer,
        };
        match client.call(NEGOTIATION).await? {
            Answer::Established => {}
            _ => return Err(ClientError::Closed),
        }
        tokio::spawn(background(
            client.link.clone(),
            client.association.clone(),
            client.waker.clone(),
        ));
        Ok(client)
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// N-GET of `instance` of `class`; `attributes: None` asks for all of them.
    pub async fn n_get(
        &mut self,
        class: &str,
        instance: &str,
        attributes: Option<&[Tag]>,
    ) -> Result<NGetResponse<'_>, ClientError> {
        let placed = {
            let mut s = self.link.lock();
            s.class.clear();
            s.class.push_str(class);
            s.instance.clear();
            s.instance.push_str(instance);
            s.attributes.clear();
            s.attributes
                .extend_from_slice(attributes.unwrap_or_default());
            let listed = attributes.is_some();
            self.link.place(&mut s, Request::NGet { listed })
        };
        let Answer::NGet(r) = self.placed_call(placed).await? else {
            return Err(ClientError::Closed);
        };
        let b = &self.response;
        Ok(NGetResponse {
            status: r.status,
            error_comment: r.has_comment.then_some(Cow::Borrowed(b.comment.as_str())),
            error_id: r.error_id,
            attribute_identifier_list: Cow::Borrowed(&b.tags),
            data_set: r.has_data_set.then_some(Cow::Borrowed(&b.data_set[..])),
            encoding: r.encoding,
        })
    }

    /// C-ECHO; returns the status.
    pub async fn c_echo(&mut self) -> Result<u16, ClientError> {
        let placed = self.link.place(&mut self.link.lock(), Request::Echo);
        match self.placed_call(placed).await? {
            Answer::Echo(status) => Ok(status),
            _ => Err(ClientError::Closed),
        }
    }

    /// Releases the association (A-RELEASE) and closes the connection.
    pub async fn release(mut self) -> Result<(), ClientError> {
        let placed = self.link.place(&mut self.link.lock(), Request::Release);
        let released = self.placed_call(placed).await;
        // The connection closes after A-RELEASE-RP: see it closed before returning.
        let _ = self.call(UNTIL_CLOSED).await;
        match released? {
            Answer::Released => Ok(()),
            _ => Err(ClientError::Closed),
        }
    }

    /// Aborts the association (A-ABORT) and closes the connection.
    pub async fn abort(mut self) {
        let placed = self.link.place(&mut self.link.lock(), Request::Abort);
        let _ = self.placed_call(placed).await;
    }

    /// Drives the association in this task until `call` is answered, or the association
    /// is over.
    fn call(&mut self, call: u64) -> Call<'_> {
        Call {
            client: self,
            call,
            registered: false,
            done: false,
        }
    }

    /// [`Client::call`] of a call [`Link::place`] has made the one in progress.
    fn placed_call(&mut self, (call, in_progress): (u64, bool)) -> Call<'_> {
        Call {
            client: self,
            call,
            registered: in_progress,
            done: false,
        }
    }

    /// Polls the association once; whether it is over.
    fn poll_association(&self) -> bool {
        poll_association(&self.association, &self.waker)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let mut s = self.link.lock();
        if !s.finished {
            s.gone = true;
            self.link.requested.store(true, Ordering::Release);
            if let Some(w) = &s.background {
                w.wake_by_ref();
            }
        }
    }
}

fn poll_association(association: &Mutex<Option<Association>>, waker: &Waker) -> bool {
    let mut a = association.lock().unwrap_or_else(|e| e.into_inner());
    let Some(future) = a.as_mut() else {
        return true;
    };
    if future
        .as_mut()
        .poll(&mut Context::from_waker(waker))
        .is_ready()
    {
        *a = None;
        return true;
    }
    false
}

/// A call in progress: polls the association in the caller's task until its answer is
/// there.
struct Call<'a> {
    client: &'a mut Client,
    call: u64,
    /// The call is the one in progress, and the link's `caller` is [`Client::caller`]: a
    /// poll with that waker need not take the lock to say so again.
    registered: bool,
    /// Answered: the call ended where it was answered.
    done: bool,
}

impl Future for Call<'_> {
    type Output = Result<Answer, ClientError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let known = this
            .client
            .caller
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()));
        if !(this.registered && known) {
            let mut s = this.client.link.lock();
            if !s.finished {
                s.calling = true;
                if !s.caller.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    s.caller = Some(cx.waker().clone());
                }
                this.client.caller.clone_from(&s.caller);
                this.registered = true;
            }
        }
        this.client.link.woken.store(false, Ordering::Release);
        let over = this.client.poll_association();
        if !over && !this.client.link.answered.load(Ordering::Acquire) {
            // Not answered yet (the poll that sends a request): no lock to take. The
            // association cannot be finished either: it finishes in a poll that returns
            // `over`, or with the background task, which wakes the call.
            return Poll::Pending;
        }
        let mut s = this.client.link.lock();
        let answer = match s.take_answer(this.call) {
            Some(a) => a,
            None if over || s.finished => Err(ClientError::Closed),
            None => return Poll::Pending,
        };
        if s.answer.is_none() {
            this.client.link.answered.store(false, Ordering::Release);
        }
        if let Ok(Answer::NGet(_)) = answer {
            // The response's values become the caller's to read (under the same lock).
            std::mem::swap(&mut this.client.response, &mut s.response);
        }
        this.done = true;
        this.client.link.end_call(&mut s);
        Poll::Ready(answer)
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Given up: the background task keeps the association from here on.
            let link = &self.client.link;
            link.end_call(&mut link.lock());
        }
    }
}

/// Keeps the association between calls, until it is over.
async fn background(link: Arc<Link>, association: Arc<Mutex<Option<Association>>>, waker: Waker) {
    /// Should the runtime drop this task first, the association goes with it: nobody would
    /// poll it again.
    struct Finish(Arc<Link>, Arc<Mutex<Option<Association>>>);
    impl Drop for Finish {
        fn drop(&mut self) {
            let gone = self.1.lock().unwrap_or_else(|e| e.into_inner()).take();
            drop(gone);
            let mut s = self.0.lock();
            s.finished = true;
            s.background = None;
            if s.calling {
                if let Some(w) = &s.caller {
                    w.wake_by_ref();
                }
            }
        }
    }
    let _finish = Finish(link.clone(), association.clone());
    poll_fn(|cx| {
        {
            let mut s = link.lock();
            if s.finished {
                return Poll::Ready(());
            }
            if !s
                .background
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                s.background = Some(cx.waker().clone());
            }
            if s.calling {
                return Poll::Pending;
            }
            link.woken.store(false, Ordering::Release);
        }
        if poll_association(&association, &waker) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// What the association waits for: the call to answer.
enum Waiting {
    Nothing,
    Established(u64),
    NGet(u64),
    Echo(u64),
    Release(u64),
}

impl Waiting {
    /// Tells whoever waits that the association ended.
    fn fail(self, link: &Link, e: impl Fn() -> ClientError) {
        match self {
            Waiting::Nothing => {}
            Waiting::Established(call)
            | Waiting::NGet(call)
            | Waiting::Echo(call)
            | Waiting::Release(call) => link.answer(call, Err(e())),
        }
    }
}

/// The next request of a call, `None` once the handle is gone; while not `idle`, only an
/// abort (a call given up may have left a request unanswered, which must not hold it back).
/// No waker to store: the call that places a request polls the association next, and a
/// dropped handle wakes the background task.
#[inline(always)]
fn poll_request(link: &Link, idle: bool) -> Poll<Option<(u64, Request)>> {
    // The check of every poll, inlined; the lock only when something waits.
    if !link.requested.load(Ordering::Acquire) {
        return Poll::Pending;
    }
    take_request(link, idle)
}

/// [`poll_request`] when a request waits or the handle is gone.
#[inline(never)]
fn take_request(link: &Link, idle: bool) -> Poll<Option<(u64, Request)>> {
    let mut s = link.lock();
    let next = match s.request {
        Some((_, Request::Abort)) => Poll::Ready(s.request.take()),
        Some(_) if idle => Poll::Ready(s.request.take()),
        _ if s.gone => Poll::Ready(None),
        _ => Poll::Pending,
    };
    if s.request.is_none() && !s.gone {
        link.requested.store(false, Ordering::Release);
    }
    next
}

/// What woke the association, in the order [`associate`] polls for it.
enum Woken {
    /// A call's request (`None`: the handle is gone).
    Request(Option<(u64, Request)>),
    /// The core's deadline (or an earlier one that has moved since).
    Timeout,
    /// The peer sent bytes, closed, or the transport failed.
    Read(io::Result<usize>),
}

async fn run<S: Transport>(
    stream: S,
    config: ClientConfig,
    calling: AeTitle,
    called: AeTitle,
    link: Arc<Link>,
) {
    associate(stream, config, calling, called, &link).await;
    link.lock().finished = true;
}

async fn associate<S: Transport>(
    stream: S,
    config: ClientConfig,
    calling: AeTitle,
    called: AeTitle,
    link: &Link,
) {
    static TS: [&str; 2] = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];
    let contexts: Vec<PresentationContextRq<'_>> = config
        .abstract_syntaxes
        .iter()
        .enumerate()
        .map(|(i, a)| PresentationContextRq {
            id: (2 * i + 1) as u8,
            abstract_syntax: a,
            transfer_syntaxes: &TS,
        })
        .collect();
    let mut rq = RequestorConfig::new(calling, called, &contexts);
    rq.limits = config.limits;
    rq.user_identity = config
        .credentials
        .as_ref()
        .map(|(user, pass)| UserIdentityRq {
            identity_type: UserIdentityType::UsernamePasscode,
            positive_response_requested: false,
            primary_field: user.as_bytes(),
            secondary_field: pass.as_bytes(),
        });
    let mut rx = vec![0u8; config.rx_buffer];
    let mut tx = vec![0u8; 16 * 1024];
    // Reads of one whole PDU of the largest length we announce; the rest of a long response
    // comes in the next reads. A buffer per association: a poller runs many at once.
    let mut io = Driver::new(stream, config.limits.max_pdu_length as usize + 6);
    let mut conn = match Connection::requestor(
        &rq,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        io.tick(),
    ) {
        Ok(c) => c,
        Err(_) => {
            link.answer(
                NEGOTIATION,
                Err(ClientError::Config("presentation contexts")),
            );
            return;
        }
    };
    // Room for the A-ASSOCIATE-RQ, and for a command in one P-DATA (an N-GET-RQ is under
    // 1 KiB unless it lists hundreds of attributes; a longer one is fragmented to fit).
    io.reserve_output(conn.min_output_len().max(4 * 1024));
    let mut waiting = Waiting::Established(NEGOTIATION);
    let mut ended: Option<ClientError> = None;
    let mut timer = Timer::new();
    let mut done: Vec<Event> = Vec::new();
    let mut aborted = false;
    // The link's wake-up count before the last read that found nothing: that read left the
    // link's waker registered with the socket, and while no wake-up has come since, another
    // read would find nothing too. It spares the read right after a request is sent (about
    // 150 instructions a call: tokio takes the readiness lock to find the same waker there).
    let mut read_waiting: Option<u64> = None;
    loop {
        let settled = io
            .settle(&mut conn, &mut |c, ev, _, _| {
                if let (
                    Event::Response {
                        op: Operation::NGet,
                        status,
                        related_fields,
                        ..
                    },
                    Waiting::NGet(call),
                ) = (&ev, &waiting)
                {
                    debug!(?ev, "client event");
                    // Copied once, into buffers that keep their room (the core's storage
                    // is the next message's), and answered under the same lock.
                    let mut s = link.lock();
                    let b = &mut s.response;
                    b.comment.clear();
                    b.tags.clear();
                    b.data_set.clear();
                    let mut error_id = None;
                    let mut has_comment = false;
                    // The command set is decoded again only when it has more to say than
                    // the event: most responses carry the status alone.
                    let read = if *related_fields {
                        c.received_response().map(|r| {
                            let cmd = &r.command;
                            b.comment.push_str(cmd.error_comment.unwrap_or_default());
                            b.tags.extend(cmd.attribute_tags());
                            error_id = cmd.error_id;
                            has_comment = cmd.error_comment.is_some();
                            (r.data_set, r.encoding)
                        })
                    } else {
                        c.received_data_set()
                    };
                    let answer = read.map(|(data_set, encoding)| {
                        b.data_set.extend_from_slice(data_set.unwrap_or_default());
                        Answer::NGet(Received {
                            status: *status,
                            error_id,
                            has_comment,
                            has_data_set: data_set.is_some(),
                            encoding,
                        })
                    });
                    s.answer = Some((*call, answer.ok_or(ClientError::Closed)));
                    link.answered.store(true, Ordering::Release);
                    waiting = Waiting::Nothing;
                    return ControlFlow::Continue(());
                }
                done.push(ev);
                ControlFlow::Continue(())
            })
            .await;
        let closed = match settled {
            Ok(c) => c,
            Err(e) => {
                ended.get_or_insert(ClientError::Io(e));
                true
            }
        };
        for ev in done.drain(..) {
            debug!(?ev, "client event");
            waiting = match (ev, waiting) {
                (Event::Established { .. }, Waiting::Established(call)) => {
                    link.answer(call, Ok(Answer::Established));
                    Waiting::Nothing
                }
                (
                    Event::Response {
                        op: Operation::CEcho,
                        status,
                        ..
                    },
                    Waiting::Echo(call),
                ) => {
                    link.answer(call, Ok(Answer::Echo(status)));
                    Waiting::Nothing
                }
                (Event::Released, Waiting::Release(call)) => {
                    link.answer(call, Ok(Answer::Released));
                    Waiting::Nothing
                }
                (Event::Rejected(rj), w) => {
                    ended = Some(ClientError::Rejected(rj));
                    w
                }
                (Event::Aborted(o), w) => {
                    ended = Some(ClientError::Aborted(o));
                    w
                }
                (_, w) => w,
            };
        }
        if closed {
            io.shutdown().await;
            waiting.fail(link, || match &ended {
                Some(ClientError::Rejected(rj)) => ClientError::Rejected(*rj),
                Some(ClientError::Aborted(o)) => ClientError::Aborted(*o),
                Some(ClientError::Io(e)) => {
                    ClientError::Io(io::Error::new(e.kind(), e.to_string()))
                }
                _ => ClientError::Closed,
            });
            return;
        }
        let idle = matches!(waiting, Waiting::Nothing) && conn.is_established();
        io.arm(&mut timer);
        // Polled by hand rather than through `select!` (about a hundred instructions a
        // round, two rounds a message): a call's request first, as it is what the caller
        // polls for.
        let woken = poll_fn(|cx| {
            if !aborted {
                if let Poll::Ready(request) = poll_request(link, idle) {
                    return Poll::Ready(Woken::Request(request));
                }
            }
            if timer.is_armed() && timer.poll_fired(cx).is_ready() {
                return Poll::Ready(Woken::Timeout);
            }
            if io.can_read() {
                // Counted before the read: a wake-up during it moves the count.
                let wakes = link.wakes.load(Ordering::Acquire);
                if read_waiting != Some(wakes) {
                    match io.poll_read(cx) {
                        Poll::Ready(read) => {
                            read_waiting = None;
                            return Poll::Ready(Woken::Read(read));
                        }
                        Poll::Pending => read_waiting = Some(wakes),
                    }
                }
            }
            Poll::Pending
        })
        .await;
        match woken {
            Woken::Request(request) => {
                let now = io.tick();
                waiting = match request {
                    Some((call, Request::NGet { listed })) => {
                        let s = link.lock();
                        let attributes = listed.then_some(&s.attributes[..]);
                        let sent = conn.send_n_get(now, &s.class, &s.instance, attributes);
                        drop(s);
                        match sent {
                            Ok(_) => Waiting::NGet(call),
                            Err(e) => {
                                link.answer(call, Err(ClientError::Api(e)));
                                Waiting::Nothing
                            }
                        }
                    }
                    Some((call, Request::Echo)) => match conn.send_c_echo(now) {
                        Ok(_) => Waiting::Echo(call),
                        Err(e) => {
                            link.answer(call, Err(ClientError::Api(e)));
                            Waiting::Nothing
                        }
                    },
                    Some((call, Request::Release)) => match conn.release(now) {
                        Ok(()) => Waiting::Release(call),
                        Err(e) => {
                            link.answer(call, Err(ClientError::Api(e)));
                            Waiting::Nothing
                        }
                    },
                    Some((_, Request::Abort)) | None => {
                        // Asked for, or the handle is gone: abort rather than leave the
                        // peer waiting. Whoever waits hears of it as the association ends.
                        let _ = conn.abort(now);
                        aborted = true;
                        waiting
                    }
                };
            }
            Woken::Timeout => {
                io.timer_fired(&mut conn);
            }
            Woken::Read(read) => {
                io.input_read(&mut conn, read);
            }
        }
    }
}
