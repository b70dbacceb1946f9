//! DIMSE messages (PS3.7): command sets, and the requests and responses an association
//! carries.
//!
//! ## Where this sits
//!
//! [`Connection`](crate::Connection) reassembles P-DATA fragments into whole command sets and
//! data sets (PS3.8 Annex E) and cuts outgoing ones into P-DATA-TF PDUs no longer than the
//! peer's maximum. This layer gives those values their meaning:
//!
//! * a **command set** is group 0000 in Implicit VR Little Endian, whatever the context's
//!   transfer syntax ([`Command`] decodes one, [`NGetRq`], [`CEchoRq`] and [`Response`]
//!   encode them);
//! * on the **SCP** side, an N-GET-RQ passes the service checks (SOP class served, on this
//!   context, well-known instance) and becomes [`Event::Request`](crate::Event::Request); the
//!   application reads it with [`Connection::n_get_request`](crate::Connection::n_get_request)
//!   and answers with [`Connection::respond_n_get`](crate::Connection::respond_n_get) and a
//!   [`Status`]. C-ECHO, malformed requests, duplicates and operations we do not perform are
//!   answered by the core itself ([`Event::Answered`](crate::Event::Answered)). No request
//!   goes unanswered: one the application never answers gets 0110H at the DIMSE timeout, and
//!   a peer's A-RELEASE-RQ is answered only once every request before it has been (Sta8,
//!   PS3.8 §7.2.2). The one exception: after our own A-RELEASE-RQ no P-DATA may be sent, so
//!   a request that arrives then, or that the application still holds, is dropped.
//! * on the **SCU** side, [`Connection::send_n_get`](crate::Connection::send_n_get) and
//!   [`Connection::send_c_echo`](crate::Connection::send_c_echo) send requests, and the
//!   matching response arrives as [`Event::Response`](crate::Event::Response).
//!
//! ## What is refused, and how
//!
//! | received | answer |
//! |---|---|
//! | a request without Message ID, an unknown or missing Command Field, a response to nothing we asked | A-ABORT (service-provider, invalid-PDU-parameter value) |
//! | a data set where the command announced none, a command where a data set was due | A-ABORT (service-provider, invalid-PDU-parameter value) |
//! | N-GET-RQ with a missing or malformed Requested SOP Class/Instance UID or Attribute Identifier List | 0212H (mistyped argument) |
//! | N-GET-RQ with more than [`MAX_REQUESTED`](crate::dataset::MAX_REQUESTED) tags | 0213H (resource limitation) |
//! | a SOP class no negotiated abstract syntax serves | 0118H (no such SOP class) |
//! | a SOP class this context does not serve (nor a meta SOP class on it) | 0122H (SOP class not supported) |
//! | another instance than a class's well-known one | 0112H (no such SOP instance) |
//! | a Message ID equal to the one the application still holds | 0210H (duplicate invocation) |
//! | any other request PS3.7 defines (C-STORE, N-SET, ...) | its response with 0211H (unrecognized operation) |
//!
//! The asynchronous operations window is 1: a second request (with another Message ID)
//! waits, unread, until the application has answered the first.
//!
//! ## The operation table, and adding an operation
//!
//! Each operation the core carries is a row of [`Operation`] and a file of its own
//! (`c_echo.rs`, `n_get.rs`) with the same four functions: `named_uids` (the UIDs its
//! response echoes), `received` (the SCP's checks: answer at once, or deliver to the
//! application), `lay_out_response` (the response in the transmit buffer) and
//! `emit_request` (what an SCU sends). `exchange.rs` does what every request shares
//! (Message ID, state, the one-request window, duplicates, timeouts) and dispatches by
//! operation; it reaches the association only through the `Link` trait (`link.rs`), which
//! [`Connection`](crate::Connection) implements. A new DIMSE-N operation, N-SET say,
//! touches:
//!
//! 1. `service/operation.rs`: the variant of [`Operation`], its name and its place in `ALL`;
//!    `dimse/operation.rs`: its Command Field in `request` and in `of_request`;
//! 2. `dimse/command.rs`: an encoder for its request (as [`NGetRq`]) and any command
//!    element [`Command::parse`] does not read yet;
//! 3. `dimse/n_set.rs`: the four functions;
//! 4. `dimse/exchange.rs`: an arm in each `match` on the operation (the UIDs the response
//!    echoes, the checks, the response layout), `n_set_request` (the request as the
//!    application reads it) and `send_n_set`; and `connection/messages.rs`: the public calls
//!    on [`Connection`](crate::Connection) that lend the connection to them:
//!    `n_set_request`, `respond_n_set` (through the shared `dimse::respond`, which applies
//!    the state, Message ID and PS3.7 Annex C status rules) and `send_n_set`;
//! 5. `service/classes.rs`: the operation in [`SopClass::operations`](crate::service::SopClass)
//!    of the classes whose service group defines it;
//! 6. each adapter: its handler trait gets a method whose default answers 0211H, and its
//!    event loop routes [`Event::Request`](crate::Event::Request) with the new `op` to it.
//!
//! An operation whose request carries a data set (N-SET, N-ACTION, N-CREATE,
//! N-EVENT-REPORT) needs one more step: today `exchange.rs` reads and drops a request's data
//! set (`Expect::Discard`); it would store it after the command set, as a response's data set
//! is stored (`Expect::Response`), and hand it to the application with the request.
//!
//! Every `match` on an [`Operation`] inside this crate is exhaustive, so steps 1 to 4 are
//! checked by the compiler: the new variant does not build until each place knows it.
//! Events need nothing: [`Event::Request`](crate::Event::Request) and
//! [`Event::Response`](crate::Event::Response) carry the operation as a field.
//!
//! The crate's own tests walk this list: in them (only) the table has a third row,
//! N-DELETE (PS3.7 §10.1.6), added exactly by steps 1 to 5 (`grep -rni 'n_\?delete' core/src`
//! shows each place) and carried end to end between an SCU and an SCP by the test in
//! `dimse/n_delete.rs`: the request, its checks, the event, the answer with the shared
//! status rules, the response event and its command set, and 0211H from a class without it.

mod c_echo;
mod command;
mod exchange;
mod link;
#[cfg(test)]
mod n_delete;
mod n_get;
mod operation;

pub(crate) use command::CodeDebug;
pub use command::{
    CEchoRq, Command, CommandField, NGetRq, Response, Status, DATA_SET_PRESENT,
    MAX_ERROR_COMMENT_LEN, NO_DATA_SET,
};
pub(crate) use exchange::{
    act_on_command, data_set_received, dimse_timeout, n_get_request, received_data_set,
    received_response, respond, send_c_echo, send_n_get, Exchange,
};
#[cfg(test)]
pub(crate) use exchange::{n_delete_request, send_n_delete};
pub use exchange::{ReceivedResponse, INVALID_STATUS_COMMENT};
pub use link::ApiError;
pub(crate) use link::{Acted, Fault, Link, Parts, Start, TxMessage};
pub use n_get::{NGetRequest, NGetSummary, MAX_N_GET_RQ_LEN};
pub use operation::{Operation, Operations};
