//! The N-GET client: one association, driven by a task that owns the requestor
//! [`Connection`]; the [`Client`] handle sends it requests.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
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
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

use crate::dataset::{DataSetView, MalformedDataSet};
use crate::driver::Driver;
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

/// An N-GET response as the client returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NGetResponse {
    /// Status (0000,0900).
    pub status: u16,
    /// Error Comment (0000,0902), if any.
    pub error_comment: Option<String>,
    /// Error ID (0000,0903), if any.
    pub error_id: Option<u16>,
    /// Attribute Identifier List (0000,1005) of the response (with 0107H: the tags the peer
    /// did not recognise).
    pub attribute_identifier_list: Vec<Tag>,
    /// The data set, if one came.
    pub data_set: Option<Vec<u8>>,
    /// The data set's encoding (the context's transfer syntax).
    pub encoding: Encoding,
}

impl NGetResponse {
    /// The data set read into a [`DataSetView`]: `Ok(None)` when no data set came, an error
    /// when the one that came is malformed.
    ///
    /// ```
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
    ///     attribute_identifier_list: Vec::new(),
    ///     data_set: Some(buf[..n].to_vec()),
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

enum Request {
    NGet {
        class: String,
        instance: String,
        attributes: Option<Vec<Tag>>,
        reply: oneshot::Sender<Result<NGetResponse, ClientError>>,
    },
    Echo {
        reply: oneshot::Sender<Result<u16, ClientError>>,
    },
    Release {
        reply: oneshot::Sender<Result<(), ClientError>>,
    },
    Abort,
}

/// One association with an N-GET SCP. Requests are answered one at a time (asynchronous
/// operations window 1).
pub struct Client {
    requests: mpsc::Sender<Request>,
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
        let (tx, rx) = mpsc::channel(4);
        let (ready_tx, ready_rx) = oneshot::channel();
        #[cfg(feature = "tls")]
        if let Some(tls) = config.tls.clone() {
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(tls.server_name)
                .map_err(|_| ClientError::Config("TLS server name"))?;
            let connector = tokio_rustls::TlsConnector::from(tls.config);
            let stream = timer::timeout(config.connect_timeout, connector.connect(name, stream))
                .await
                .ok_or(ClientError::Timeout("the TLS handshake"))??;
            tokio::spawn(run(stream, config, calling, called, rx, ready_tx));
            ready_rx.await.map_err(|_| ClientError::Closed)??;
            return Ok(Client { requests: tx, peer });
        }
        tokio::spawn(run(stream, config, calling, called, rx, ready_tx));
        ready_rx.await.map_err(|_| ClientError::Closed)??;
        Ok(Client { requests: tx, peer })
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// N-GET of `instance` of `class`; `attributes: None` asks for all of them.
    pub async fn n_get(
        &self,
        class: &str,
        instance: &str,
        attributes: Option<&[Tag]>,
    ) -> Result<NGetResponse, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::NGet {
            class: class.into(),
            instance: instance.into(),
            attributes: attributes.map(<[Tag]>::to_vec),
            reply,
        })
        .await?;
        answer.await.map_err(|_| ClientError::Closed)?
    }

    /// C-ECHO; returns the status.
    pub async fn c_echo(&self) -> Result<u16, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Echo { reply }).await?;
        answer.await.map_err(|_| ClientError::Closed)?
    }

    /// Releases the association (A-RELEASE) and closes the connection.
    pub async fn release(self) -> Result<(), ClientError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Release { reply }).await?;
        answer.await.map_err(|_| ClientError::Closed)?
    }

    /// Aborts the association (A-ABORT) and closes the connection.
    pub async fn abort(self) {
        let _ = self.requests.send(Request::Abort).await;
    }

    async fn send(&self, r: Request) -> Result<(), ClientError> {
        self.requests.send(r).await.map_err(|_| ClientError::Closed)
    }
}

/// What the association task is waiting for.
enum Waiting {
    Nothing,
    Established(oneshot::Sender<Result<(), ClientError>>),
    NGet(oneshot::Sender<Result<NGetResponse, ClientError>>),
    Echo(oneshot::Sender<Result<u16, ClientError>>),
    Release(oneshot::Sender<Result<(), ClientError>>),
}

impl Waiting {
    /// Tells whoever waits that the association ended.
    fn fail(self, e: impl Fn() -> ClientError) {
        match self {
            Waiting::Nothing => {}
            Waiting::Established(r) => {
                let _ = r.send(Err(e()));
            }
            Waiting::NGet(r) => {
                let _ = r.send(Err(e()));
            }
            Waiting::Echo(r) => {
                let _ = r.send(Err(e()));
            }
            Waiting::Release(r) => {
                let _ = r.send(Err(e()));
            }
        }
    }
}

async fn run<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: S,
    config: ClientConfig,
    calling: AeTitle,
    called: AeTitle,
    mut requests: mpsc::Receiver<Request>,
    ready: oneshot::Sender<Result<(), ClientError>>,
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
            let _ = ready.send(Err(ClientError::Config("presentation contexts")));
            return;
        }
    };
    // Room for the A-ASSOCIATE-RQ, and for a command in one P-DATA (an N-GET-RQ is under
    // 1 KiB unless it lists hundreds of attributes; a longer one is fragmented to fit).
    io.reserve_output(conn.min_output_len().max(4 * 1024));
    let mut waiting = Waiting::Established(ready);
    let mut ended: Option<ClientError> = None;
    let mut timer = Timer::new();
    let mut done: Vec<Event> = Vec::new();
    loop {
        let mut response: Option<NGetResponse> = None;
        let settled = io
            .settle(&mut conn, |c, ev, _| {
                if matches!(
                    ev,
                    Event::Response {
                        op: Operation::NGet,
                        ..
                    }
                ) {
                    response = c.received_response().map(|r| NGetResponse {
                        status: r.command.status.unwrap_or(0x0110),
                        error_comment: r.command.error_comment.map(str::to_owned),
                        error_id: r.command.error_id,
                        attribute_identifier_list: r.command.attribute_tags().collect(),
                        data_set: r.data_set.map(<[u8]>::to_vec),
                        encoding: r.encoding,
                    });
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
                (Event::Established { .. }, Waiting::Established(r)) => {
                    let _ = r.send(Ok(()));
                    Waiting::Nothing
                }
                (
                    Event::Response {
                        op: Operation::NGet,
                        ..
                    },
                    Waiting::NGet(r),
                ) => {
                    let _ = r.send(response.take().ok_or(ClientError::Closed));
                    Waiting::Nothing
                }
                (
                    Event::Response {
                        op: Operation::CEcho,
                        status,
                        ..
                    },
                    Waiting::Echo(r),
                ) => {
                    let _ = r.send(Ok(status));
                    Waiting::Nothing
                }
                (Event::Released, Waiting::Release(r)) => {
                    let _ = r.send(Ok(()));
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
            waiting.fail(|| match &ended {
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
        timer.arm(io.deadline());
        tokio::select! {
            read = io.read(), if io.can_read() => match read {
                Ok(0) | Err(_) => conn.handle_transport_closed(io.tick()),
                Ok(_) => {
                    io.tick();
                }
            },
            () = timer.fired(), if timer.is_armed() => {
                let now = io.tick();
                if Timer::due(&conn, now) {
                    conn.handle_timeout(now);
                }
            }
            request = requests.recv(), if idle => {
                let now = io.tick();
                waiting = match request {
                    Some(Request::NGet { class, instance, attributes, reply }) => {
                        match conn.send_n_get(now, &class, &instance, attributes.as_deref()) {
                            Ok(_) => Waiting::NGet(reply),
                            Err(e) => {
                                let _ = reply.send(Err(ClientError::Api(e)));
                                Waiting::Nothing
                            }
                        }
                    }
                    Some(Request::Echo { reply }) => match conn.send_c_echo(now) {
                        Ok(_) => Waiting::Echo(reply),
                        Err(e) => {
                            let _ = reply.send(Err(ClientError::Api(e)));
                            Waiting::Nothing
                        }
                    },
                    Some(Request::Release { reply }) => match conn.release(now) {
                        Ok(()) => Waiting::Release(reply),
                        Err(e) => {
                            let _ = reply.send(Err(ClientError::Api(e)));
                            Waiting::Nothing
                        }
                    },
                    Some(Request::Abort) | None => {
                        // The handle is gone: abort rather than leave the peer waiting.
                        let _ = conn.abort(now);
                        Waiting::Nothing
                    }
                };
            }
        }
    }
}
