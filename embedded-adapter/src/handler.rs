//! What the device supplies: its answer to an N-GET, and what it learns when an association
//! ends.

use dimse_core::connection::AbortOrigin;
use dimse_core::dataset::DataSetSource;
use dimse_core::dimse::{NGetRequest, Status};
use dimse_core::pdu::AssociateRj;
use dimse_core::service::code;

/// The device's side of the Display System Management service.
///
/// One handler serves every association task, so its methods take `&self`: keep mutable
/// state in `Cell`s, or behind an `embassy_sync` mutex when other tasks write it too.
///
/// `n_get` is `async` so that the device can read a sensor or its flash before it answers.
/// It is given until the core's next deadline (the DIMSE timeout, 30 s by default), after
/// which its future is dropped and the core answers 0110H (processing failure) itself. When
/// the peer sends something while it runs (most often an A-ABORT, or closing the
/// connection), its future is dropped too, the input goes to the core, and `n_get` is called
/// again for the same request if the request still waits: it must not count on running to
/// its end once per request (reading state is what it is for).
///
/// ```
/// use core::cell::Cell;
/// use dimse_core::dataset::{DataSetSource, WriteError, Writer};
/// use dimse_core::dimse::NGetRequest;
/// use dimse_core::service::display::{DisplaySystem, DEMO};
/// use dimse_embassy::{Failure, Handler, Reply};
///
/// struct Device {
///     /// The latest ambient light reading, in lux.
///     lux: Cell<f32>,
/// }
///
/// impl DataSetSource for Device {
///     fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
///         // A real device writes its model here, with the fresh reading in it.
///         let _ = self.lux.get();
///         DEMO.write_to(w)
///     }
/// }
///
/// impl Handler for Device {
///     async fn n_get(&self, _request: &NGetRequest<'_>) -> Result<Reply<'_>, Failure<'_>> {
///         let lux = read_light_sensor().await.ok_or(Failure::new("Light sensor not responding"))?;
///         self.lux.set(lux);
///         Ok(Reply::success(self))
///     }
/// }
///
/// async fn read_light_sensor() -> Option<f32> {
///     Some(12.5)
/// }
/// ```
///
/// Every operation has a default answer, so a handler implements only what the device does
/// (a device that serves no N-GET answers 0211H, unrecognized operation):
///
/// ```
/// struct EchoOnly;
/// impl dimse_embassy::Handler for EchoOnly {}
/// ```
// `async fn` in a public trait: its future carries no `Send` bound, which is what embassy's
// single-threaded executors want (and what a handler holding `Cell`s needs).
#[allow(async_fn_in_trait)]
pub trait Handler {
    /// Answers one N-GET that passed the core's checks (SOP class served on its context,
    /// the well-known instance). The reply's data set is written by the core, keeping only
    /// the attributes the request lists; `Err` becomes 0110H (processing failure) with the
    /// failure's Error Comment. By default the device does not implement N-GET: 0211H
    /// (unrecognized operation), as for every operation a handler leaves out.
    async fn n_get(&self, request: &NGetRequest<'_>) -> Result<Reply<'_>, Failure<'_>> {
        let _ = request;
        Ok(Reply::new(Status::new(code::UNRECOGNIZED_OPERATION), None))
    }

    /// Called once the association's transport is closed, before its task accepts again.
    /// Nothing by default.
    fn association_ended(&self, summary: &Summary) {
        let _ = summary;
    }

    /// With [`serve_association_recording`](crate::serve_association_recording): the trace
    /// of the association that just ended, in the format `dimse replay FILE` reads (see
    /// [`trace`](crate::trace)), before [`Handler::association_ended`]. `complete` is false
    /// when the buffer filled up and the trace stops early. The buffer is reused for the next
    /// association: copy what you keep.
    fn association_recorded(&self, trace: &[u8], complete: bool) {
        let _ = (trace, complete);
    }
}

/// A handler's answer: a status, and for Success or Warning the data set to send.
#[derive(Clone, Copy)]
pub struct Reply<'a> {
    /// The status. The core may change it: 0107H when a requested attribute was not written,
    /// 0213H when the data set does not fit [`AssociationBuffers`](crate::AssociationBuffers)'s
    /// `TX`, 0110H when the source fails.
    pub status: Status<'a>,
    /// The data set (ignored with a Failure status).
    pub data_set: Option<&'a dyn DataSetSource>,
}

impl<'a> Reply<'a> {
    /// Success (0000H) with this data set.
    pub fn success(data_set: &'a dyn DataSetSource) -> Self {
        Reply {
            status: Status::SUCCESS,
            data_set: Some(data_set),
        }
    }

    /// Any status, with or without a data set.
    pub fn new(status: Status<'a>, data_set: Option<&'a dyn DataSetSource>) -> Self {
        Reply { status, data_set }
    }
}

impl core::fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("data_set", &self.data_set.is_some())
            .finish()
    }
}

/// A handler that could not answer: sent as 0110H (processing failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Failure<'a> {
    /// Error Comment (0000,0902): at most 64 characters of text without control characters;
    /// a longer or invalid one is replaced by a generic comment.
    pub error_comment: &'a str,
}

impl<'a> Failure<'a> {
    /// A failure with this Error Comment.
    pub const fn new(error_comment: &'a str) -> Self {
        Failure { error_comment }
    }
}

/// How an association ended, and what it did: given to [`Handler::association_ended`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Summary {
    /// The association's end.
    pub end: End,
    /// How the TCP connection ended.
    pub transport: TransportEnd,
    /// N-GETs given to the handler.
    pub n_get: u16,
    /// Requests the core answered itself: C-ECHO, requests refused before they reached the
    /// handler, N-GETs the handler did not answer in time.
    pub answered_by_core: u16,
}

/// The end of an association, as the core reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum End {
    /// No association was negotiated: the peer closed (or ARTIM expired) before an
    /// A-ASSOCIATE-RQ was answered.
    NotAssociated,
    /// We rejected the A-ASSOCIATE-RQ.
    Rejected(AssociateRj),
    /// Released in an orderly way (A-RELEASE-RQ, A-RELEASE-RP).
    Released,
    /// Aborted: by the peer (A-ABORT), by us (a protocol error, a timer), or because the
    /// transport closed without a release ([`AbortOrigin::TransportClosed`]).
    Aborted(AbortOrigin),
}

/// How the TCP connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TransportEnd {
    /// We closed it first, when the core said so (after an A-ABORT, a reject, or a timer).
    Local,
    /// The peer closed it (FIN) while we were still reading.
    PeerClosed,
    /// It was reset (RST), or it timed out in the TCP stack.
    Reset,
}
