//! # dimse-tokio
//!
//! The tokio adapter of [`dimse_core`]: an N-GET [`Server`] (a task per association) and a
//! [`Client`]. It moves bytes and time and nothing else: negotiation, the state machine,
//! every DIMSE check and every answer the standard prescribes happen in the core, the same
//! code that runs on firmware.
//!
//! * Every socket has `TCP_NODELAY`, and each burst of PDUs (a response's command and data
//!   set) leaves in one write: a DICOM exchange is request/response, and Nagle plus delayed
//!   ACKs would cost tens of milliseconds per message.
//! * The core's deadlines (ARTIM, ACSE, DIMSE, network) become one deadline per
//!   association, moved only when the next deadline comes earlier, kept by one timer thread
//!   for the process: with no tokio timer pending, the runtime waits in `epoll_wait`
//!   without a timeout, and the kernel arms no timer per message.
//! * A handler that answers at once ([`ServerBuilder::n_get_sync`],
//!   [`Handler::n_get_sync`]) is lent the [`NGetRequest`] and runs without a future; one that
//!   must wait ([`ServerBuilder::n_get`]) gets it owned. What every request of an association
//!   repeats (AE titles, the context's syntaxes, the SOP class and instance asked for again)
//!   is a [`SharedStr`] made once per association and shared.
//! * The server answers beyond [`ServerOptions::max_associations`] with A-ASSOCIATE-RJ
//!   (transient, local limit exceeded) and keeps serving; a slot is free again as soon as
//!   its association ends, while the connection may linger a little longer (capped by
//!   [`ServerOptions::max_lingering`]); a handler that fails or panics is
//!   answered 0110H with an Error Comment; an operation the [`Handler`] leaves out is
//!   answered 0211H (unrecognized operation).
//! * What a [`Client`] receives is read with [`NGetResponse::data_set_view`] into a
//!   [`DataSetView`] (tag, keyword, VR, typed values) and rendered by
//!   [`print`](mod@print) as text or DICOM JSON, with no CLI dependency. [`Clock`] is the
//!   one conversion between [`std::time::Instant`] and the core's [`dimse_core::Instant`].
//! * A Display System answered from [`EncodedDataSet::display_system`] is checked against
//!   its IOD's rules first ([`dimse_core::service::display::validate()`]), then encoded once.
//! * [`Server::serve`] runs until Ctrl-C, caught by [`ctrl_c`]: SIGINT comes through a
//!   socket pair the runtime waits on like any other socket, so this crate does not enable
//!   tokio's signal driver, which every park of every runtime would poll once compiled in
//!   (an application that enables tokio's `signal` feature itself gets it back).
//!
//! ```no_run
//! use std::sync::Arc;
//! use dimse_core::pdu::AeTitle;
//! use dimse_core::service::display::DEMO;
//! use dimse_tokio::{EncodedDataSet, Reply, Server, SharedDataSet};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let display: SharedDataSet = Arc::new(EncodedDataSet::display_system(&DEMO)?);
//! let server = Server::builder(AeTitle::new("DISPLAY").unwrap())
//!     // Answered at once; `.n_get(|request| async move { ... })` for an answer that waits.
//!     .n_get_sync(move |request: &dimse_tokio::NGetRequest| {
//!         println!("{request}");
//!         Ok(Reply::success(display.clone()))
//!     })
//!     .bind("0.0.0.0:11112")
//!     .await?;
//! server.serve().await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod clock;
pub mod dataset;
mod driver;
pub mod print;
mod server;
mod shared;
mod signal;
mod timer;
pub mod trace;

#[cfg(feature = "tls")]
pub use client::ClientTls;
pub use client::{Client, ClientConfig, ClientError, NGetResponse};
pub use clock::Clock;
pub use dataset::DataSetView;
pub use server::{
    DisplaySystemError, EncodedDataSet, Handler, HandlerError, HandlerFuture, NGetFn, NGetRequest,
    NGetSyncFn, Reply, Server, ServerBuilder, ServerOptions, SharedDataSet,
};
pub use shared::SharedStr;
pub use signal::{ctrl_c, CtrlC};
/// The rustls version the `tls` feature uses, for building configurations.
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;
