//! Model-based test of one `Connection` against PS3.8 Table 9-10.
//!
//! The reference model is the testkit's transcription of Table 9-10 (`dimse_testkit::model`,
//! PS3.8 §9.2.3, independent of `dimse_core::ul::transition`) and of the §9.2.2 actions'
//! next states; this file adds, per action, which PDU the `Connection` sends, whether it
//! starts ARTIM, and what the user is told. A test "peer" drives one `Connection`
//! (acceptor or requestor) with PDUs, local calls, a closed transport and time, and after
//! every step the connection's state, the PDUs it transmitted, its events and its ARTIM
//! deadline are compared with the model.
//!
//! How the `Connection` plays the standard's "local user" is modelled as composite steps:
//! an acceptable A-ASSOCIATE-RQ is answered at once (AE-6 → Sta3 → AE-7), a user-rejected
//! one too (AE-6 → Sta3 → AE-8), an A-RELEASE-RQ in Sta6 is answered at once (AR-2 → Sta8
//! → AR-4) unless a request still waits for an answer (see below), and in a release
//! collision the requestor answers at once (AR-8 → Sta9 → AR-9) and the acceptor after AR-10
//! (Sta12 → AR-4).
//!
//! P-DATA carries real DIMSE messages, since the connection interprets every command set:
//! the peer's P-DATA is a C-ECHO-RQ, which the core answers at once (DT-2, then DT-1 with the
//! C-ECHO-RSP; in Sta7 it is received but, after our A-RELEASE-RQ, not answered), and the
//! local P-DATA is `send_c_echo` answered by the peer's C-ECHO-RSP (DT-1, then DT-2). An
//! A-RELEASE-RQ behind an N-GET-RQ leaves the connection waiting in Sta8 for the
//! application's answer, where the local P-DATA is `respond_n_get` (AR-7, then AR-4).

mod common;

use std::collections::BTreeSet;

use common::*;
use dimse_core::assoc::AcceptorPolicy;
use dimse_core::assoc::RequestorConfig;
use dimse_core::connection::{AbortOrigin, ApiError};
use dimse_core::dataset::Tag;
use dimse_core::dimse::Operation;
use dimse_core::dimse::{CEchoRq, Command, CommandField, NGetRq, Response, Status};
use dimse_core::pdu::{
    Abort, AbortReason, AssociateAc, AssociateFixed, AssociateRj, AssociateRq,
    MessageControlHeader, PDataTf, Pdv, PresentationContextAc, ReleaseRp, ReleaseRq,
    UserInformation, APPLICATION_CONTEXT_NAME,
};
use dimse_core::ul::{Role, State};
use dimse_core::{Connection, Event, Instant};
use dimse_testkit::model;
use proptest::prelude::*;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};

// ------------------------------------------------------------------------------------------
// The reference: PS3.8 Table 9-10 and the §9.2.2 actions, as the testkit transcribes them
// (`dimse_testkit::model`, independent of `dimse_core::ul::transition`).

/// The cell for event `evt` (1..=19) in state `sta` (1..=13); `None` for a blank cell.
fn cell(evt: u8, sta: u8) -> Option<&'static str> {
    let e = model::Event::from_number(evt).expect("Evt1..Evt19");
    let s = model::State::from_number(sta).expect("Sta1..Sta13");
    model::action(e, s).map(model::Action::label)
}

/// The state an action leads to (PS3.8 §9.2.2); AE-6 and AR-8 are conditional.
fn next_state(action: &str, role: Role, rq_acceptable: bool) -> u8 {
    let a = model::Action::from_label(action).unwrap_or_else(|| panic!("unknown action {action}"));
    let role = match role {
        Role::Requestor => model::Role::Requestor,
        Role::Acceptor => model::Role::Acceptor,
    };
    a.next_state(role, rq_acceptable).number()
}

fn state_number(s: State) -> u8 {
    // The labels are "Sta1".."Sta13".
    s.label()[3..].parse().unwrap()
}

// ------------------------------------------------------------------------------------------
// Inputs.

/// What the test peer (or the local user, or the clock) does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tr {
    /// A valid, acceptable A-ASSOCIATE-RQ (Evt6).
    PeerRq,
    /// An A-ASSOCIATE-RQ the acceptor's user rejects (wrong called AE title): Evt6, then
    /// Evt8 in Sta3.
    PeerRqUserReject,
    /// An A-ASSOCIATE-RQ the service provider cannot accept (protocol version bit 0 clear).
    PeerRqProviderReject,
    /// A valid A-ASSOCIATE-AC answering the requestor's proposal (Evt3).
    PeerAc,
    /// An A-ASSOCIATE-RJ (Evt4).
    PeerRj,
    /// A P-DATA-TF carrying a C-ECHO-RQ (one command PDV on context 3, Verification) with
    /// this Message ID (Evt10). In Sta6 the core answers it at once with a C-ECHO-RSP (DT-1).
    ///
    /// This replaced a PDV of arbitrary bytes: the DIMSE layer now reads every command set,
    /// and arbitrary bytes (or a data set nobody announced) are a protocol error it aborts
    /// on, which would test Evt19's path instead of Evt10's. A C-ECHO-RQ keeps the model
    /// simple: it is answered at once, so no request stays pending.
    PeerPData { message_id: u16 },
    /// A-RELEASE-RQ (Evt12).
    PeerReleaseRq,
    /// A-RELEASE-RP (Evt13).
    PeerReleaseRp,
    /// A-ABORT, service-user or service-provider source (Evt16).
    PeerAbort { user: bool },
    /// An unrecognized PDU: type 09H with a 4-byte body (Evt19).
    PeerInvalid,
    /// `release()` (Evt11).
    LocalRelease,
    /// `abort()` (Evt15).
    LocalAbort,
    /// A local P-DATA request (Evt9), replacing `send_pdata()` of arbitrary bytes, which is
    /// gone. In Sta6: `send_c_echo()` (DT-1), and the peer answers with the C-ECHO-RSP at
    /// once (DT-2), so that no request stays outstanding (a second one would be refused with
    /// `Busy`, the asynchronous operations window being 1). In Sta8:
    /// `respond_n_get()` to the request waiting there (AR-7), after which the release is
    /// answered (AR-4). Elsewhere `send_c_echo()`, refused.
    LocalPData,
    /// `handle_transport_closed()` (Evt17).
    TransportClosed,
    /// Time jumps to `poll_timeout()` and `handle_timeout` runs: ARTIM (Evt18) in Sta2 and
    /// Sta13; in Sta8 the DIMSE timeout of the waiting N-GET, which the core answers with
    /// 0110H (Evt9, AR-7) before the release (AR-4); otherwise the ACSE or network timer,
    /// which aborts like the local user (Evt15).
    Timeout,
    /// Some time passes, less than any running timer (a spurious `handle_timeout`).
    Idle { ms: u16 },
    /// `send_c_echo()` and, before the P-DATA-TF is drained, an A-RELEASE-RQ arrives: the
    /// release response waits for the P-DATA (AR-2 → Sta8, DT-1's PDU, then AR-4). Outside
    /// Sta6 only the A-RELEASE-RQ.
    PDataThenPeerReleaseRq,
    /// In Sta6, an N-GET-RQ (handed to the application, `Event::Request`) and right behind it an
    /// A-RELEASE-RQ: AR-2, and the connection rests in Sta8 until the N-GET is answered
    /// (PS3.8 §7.2.2). Outside Sta6 only the A-RELEASE-RQ.
    PeerNGetThenReleaseRq,
}

const ALL_TRS: [Tr; 18] = [
    Tr::PeerRq,
    Tr::PeerRqUserReject,
    Tr::PeerRqProviderReject,
    Tr::PeerAc,
    Tr::PeerRj,
    Tr::PeerPData { message_id: 5 },
    Tr::PeerReleaseRq,
    Tr::PeerReleaseRp,
    Tr::PeerAbort { user: true },
    Tr::PeerInvalid,
    Tr::LocalRelease,
    Tr::LocalAbort,
    Tr::LocalPData,
    Tr::TransportClosed,
    Tr::Timeout,
    Tr::Idle { ms: 1000 },
    Tr::PDataThenPeerReleaseRq,
    Tr::PeerNGetThenReleaseRq,
];

/// The Table 9-10 event a transition is in state `sta`, if any.
fn event_of(tr: Tr, sta: u8) -> Option<u8> {
    Some(match tr {
        Tr::PeerRq | Tr::PeerRqUserReject | Tr::PeerRqProviderReject => 6,
        Tr::PeerAc => 3,
        Tr::PeerRj => 4,
        Tr::PeerPData { .. } => 10,
        Tr::PeerReleaseRq | Tr::PDataThenPeerReleaseRq | Tr::PeerNGetThenReleaseRq => 12,
        Tr::PeerReleaseRp => 13,
        Tr::PeerAbort { .. } => 16,
        Tr::PeerInvalid => 19,
        Tr::LocalRelease => 11,
        Tr::LocalAbort => 15,
        Tr::LocalPData => 9,
        Tr::TransportClosed => 17,
        Tr::Timeout if sta == 1 => return None,
        Tr::Timeout if sta == 2 || sta == 13 => 18,
        // The waiting N-GET's DIMSE timeout: the core answers for the application.
        Tr::Timeout if sta == 8 => 9,
        Tr::Timeout => 15,
        Tr::Idle { .. } => return None,
    })
}

// ------------------------------------------------------------------------------------------
// Expectations.

/// A PDU as the model predicts it: its type, and for an A-ABORT its source and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pdu {
    AssociateAc,
    AssociateRj,
    PData,
    ReleaseRq,
    ReleaseRp,
    Abort { source: u8, reason: u8 },
}

impl Pdu {
    fn of(bytes: &[u8]) -> Pdu {
        match bytes[0] {
            0x02 => Pdu::AssociateAc,
            0x03 => Pdu::AssociateRj,
            0x04 => Pdu::PData,
            0x05 => Pdu::ReleaseRq,
            0x06 => Pdu::ReleaseRp,
            0x07 => Pdu::Abort {
                source: bytes[8],
                reason: bytes[9],
            },
            t => panic!("unexpected PDU type {t:#04x} transmitted"),
        }
    }
}

/// A user event as the model predicts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    Established,
    Rejected,
    /// An N-GET-RQ handed to the application.
    NGet,
    /// The core answered a request itself: (the request's Command Field, status).
    Answered(CommandField, u16),
    /// The C-ECHO-RSP to our request, with its status.
    EchoResponse(u16),
    /// An N-GET-RSP (never expected here: the model sends no N-GET).
    NGetResponse,
    Released,
    Aborted(AbortOrigin),
    /// Aborted because a timer expired: which one (ACSE, network, PDU, DIMSE) is below the
    /// table's level of detail.
    TimedOut,
    Closed,
}

impl Ev {
    fn of(e: &Event) -> Ev {
        match *e {
            Event::Established { .. } => Ev::Established,
            Event::Rejected(_) => Ev::Rejected,
            Event::Request {
                op: Operation::NGet,
                ..
            } => Ev::NGet,
            Event::Answered {
                command_field,
                status,
                ..
            } => Ev::Answered(command_field, status),
            Event::Response {
                op: Operation::CEcho,
                status,
                ..
            } => Ev::EchoResponse(status),
            Event::Response {
                op: Operation::NGet,
                ..
            } => Ev::NGetResponse,
            Event::Released => Ev::Released,
            Event::Aborted(AbortOrigin::Timeout(_)) => Ev::TimedOut,
            Event::Aborted(o) => Ev::Aborted(o),
            Event::Closed => Ev::Closed,
            other => panic!("an event the model does not know: {other:?}"),
        }
    }
}

/// What one step must do.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expect {
    /// The table cells taken, in order, as (event, state, action).
    cells: Vec<(u8, u8, &'static str)>,
    /// `Err(InvalidState)` expected from the local call (blank cell).
    refused: bool,
    next: u8,
    pdus: Vec<Pdu>,
    events: Vec<Ev>,
    /// ARTIM (re)started in this step.
    artim_started: bool,
}

/// The model's state.
#[derive(Debug, Clone)]
struct Model {
    role: Role,
    sta: u8,
    /// The expectation for the transition that led here.
    last: Option<Expect>,
}

const SUCCESS: u16 = 0x0000;
const PROCESSING_FAILURE: u16 = 0x0110;
const UNRECOGNIZED_PDU: u8 = 1;
const UNEXPECTED_PDU: u8 = 2;

/// The model: what `tr` does to a connection of `role` in state `sta`.
fn expect(role: Role, sta: u8, tr: Tr) -> Expect {
    let mut x = Expect {
        cells: Vec::new(),
        refused: false,
        next: sta,
        pdus: Vec::new(),
        events: Vec::new(),
        artim_started: false,
    };
    let local = matches!(tr, Tr::LocalRelease | Tr::LocalAbort | Tr::LocalPData);
    if sta == 1 {
        // Finished: local calls are refused (blank cells), everything else is a no-op.
        x.refused = local;
        return x;
    }
    let Some(evt) = event_of(tr, sta) else {
        return x;
    };
    if tr == Tr::PDataThenPeerReleaseRq && sta == 6 {
        // DT-1 queues the P-DATA-TF, then AR-2 waits in Sta8 for it to be sent, then AR-4.
        x.cells.push((9, 6, cell(9, 6).unwrap()));
        x.cells.push((12, 6, cell(12, 6).unwrap()));
        x.cells.push((14, 8, cell(14, 8).unwrap()));
        x.pdus = vec![Pdu::PData, Pdu::ReleaseRp];
        x.events = vec![Ev::Released];
        x.artim_started = true;
        x.next = next_state("AR-4", role, true);
        return x;
    }
    if tr == Tr::PeerNGetThenReleaseRq && sta == 6 {
        // DT-2 hands the N-GET to the application; AR-2, and the release waits in Sta8.
        x.cells.push((10, 6, cell(10, 6).unwrap()));
        x.cells.push((12, 6, cell(12, 6).unwrap()));
        x.events = vec![Ev::NGet];
        x.next = next_state("AR-2", role, true);
        return x;
    }
    let Some(action) = cell(evt, sta) else {
        assert!(
            local,
            "a blank cell for a non-local event: Evt{evt} in Sta{sta}"
        );
        x.refused = true;
        return x;
    };
    x.cells.push((evt, sta, action));
    let acceptable = tr != Tr::PeerRqProviderReject;
    x.next = next_state(action, role, acceptable);
    // The reason of a provider A-ABORT for this input (the implementation's choice).
    let reason = if tr == Tr::PeerInvalid {
        UNRECOGNIZED_PDU
    } else {
        UNEXPECTED_PDU
    };
    match action {
        "AE-3" => x.events.push(Ev::Established),
        "AE-4" => x.events.extend([Ev::Rejected, Ev::Closed]),
        "AE-6" if acceptable => {
            // Sta3: the acceptor's policy is the local user and answers at once.
            let evt = if tr == Tr::PeerRq { 7 } else { 8 };
            let action = cell(evt, 3).unwrap();
            x.cells.push((evt, 3, action));
            x.next = next_state(action, role, true);
            match action {
                "AE-7" => {
                    x.pdus.push(Pdu::AssociateAc);
                    x.events.push(Ev::Established);
                }
                "AE-8" => {
                    x.pdus.push(Pdu::AssociateRj);
                    x.events.push(Ev::Rejected);
                    x.artim_started = true;
                }
                other => panic!("{other}"),
            }
        }
        "AE-6" => {
            x.pdus.push(Pdu::AssociateRj);
            x.events.push(Ev::Rejected);
            x.artim_started = true;
        }
        "DT-1" => {
            // Our C-ECHO-RQ, then the peer's C-ECHO-RSP (DT-2).
            x.pdus.push(Pdu::PData);
            x.cells.push((10, 6, cell(10, 6).unwrap()));
            x.events.push(Ev::EchoResponse(0));
        }
        "DT-2" => {
            // The peer's C-ECHO-RQ, which the core answers at once (DT-1).
            x.cells.push((9, 6, cell(9, 6).unwrap()));
            x.pdus.push(Pdu::PData);
            x.events
                .push(Ev::Answered(CommandField::C_ECHO_RQ, SUCCESS));
        }
        // Received; after our A-RELEASE-RQ nothing may be sent, so it is not answered.
        "AR-6" => {}
        "AR-7" => {
            // The N-GET-RSP (the application's, or the core's 0110H at the DIMSE timeout),
            // then the release response that waited for it (Evt14 → AR-4).
            x.pdus.push(Pdu::PData);
            if tr == Tr::Timeout {
                x.events
                    .push(Ev::Answered(CommandField::N_GET_RQ, PROCESSING_FAILURE));
            }
            x.cells.push((14, 8, cell(14, 8).unwrap()));
            x.next = next_state("AR-4", role, true);
            x.pdus.push(Pdu::ReleaseRp);
            x.events.push(Ev::Released);
            x.artim_started = true;
        }
        "AR-1" => x.pdus.push(Pdu::ReleaseRq),
        "AR-2" | "AR-10" => {
            // Sta8 / Sta12: the connection answers the release at once (Evt14 → AR-4).
            let action = cell(14, x.next).unwrap();
            x.cells.push((14, x.next, action));
            assert_eq!(action, "AR-4");
            x.next = next_state(action, role, true);
            x.pdus.push(Pdu::ReleaseRp);
            x.events.push(Ev::Released);
            x.artim_started = true;
        }
        "AR-3" => x.events.extend([Ev::Released, Ev::Closed]),
        "AR-8" => {
            if x.next == 9 {
                // Sta9: the requestor answers the collision at once (Evt14 → AR-9).
                let action = cell(14, 9).unwrap();
                x.cells.push((14, 9, action));
                x.next = next_state(action, role, true);
                x.pdus.push(Pdu::ReleaseRp);
            }
        }
        "AR-5" | "AA-2" | "AA-5" => x.events.push(Ev::Closed),
        "AA-1" => {
            x.pdus.push(Pdu::Abort {
                source: 0,
                reason: 0,
            });
            x.events.push(match tr {
                Tr::LocalAbort => Ev::Aborted(AbortOrigin::Local),
                Tr::Timeout => Ev::TimedOut,
                // A PDU before any A-ASSOCIATE-RQ: AA-1's literal service-user source.
                _ => Ev::Aborted(AbortOrigin::Protocol(Abort::USER)),
            });
            x.artim_started = true;
        }
        "AA-3" => {
            let Tr::PeerAbort { user } = tr else {
                unreachable!()
            };
            x.events
                .extend([Ev::Aborted(AbortOrigin::Peer(peer_abort(user))), Ev::Closed]);
        }
        // The transport is gone; the connection ends like every other path to Sta1.
        "AA-4" => x
            .events
            .extend([Ev::Aborted(AbortOrigin::TransportClosed), Ev::Closed]),
        "AA-6" => {}
        "AA-7" => x.pdus.push(Pdu::Abort { source: 2, reason }),
        "AA-8" => {
            x.pdus.push(Pdu::Abort { source: 2, reason });
            let r = if reason == UNRECOGNIZED_PDU {
                AbortReason::UnrecognizedPdu
            } else {
                AbortReason::UnexpectedPdu
            };
            x.events
                .push(Ev::Aborted(AbortOrigin::Protocol(Abort::provider(r))));
            x.artim_started = true;
        }
        other => panic!("action {other} cannot be reached through the Connection API"),
    }
    x
}

fn peer_abort(user: bool) -> Abort {
    if user {
        Abort::USER
    } else {
        Abort::provider(AbortReason::NotSpecified)
    }
}

// ------------------------------------------------------------------------------------------
// Peer PDUs.

fn acceptor_policy() -> &'static AcceptorPolicy<'static> {
    let mut p = policy();
    p.check_called_ae = true;
    leak(p)
}

fn requestor_config() -> &'static RequestorConfig<'static> {
    leak(RequestorConfig::new(
        ae("QA_SCU"),
        ae("DISPLAY"),
        leak(contexts()),
    ))
}

fn user_information() -> UserInformation<'static> {
    UserInformation {
        max_length: 16382,
        implementation_class_uid: "1.2.826.0.1.3680043.9.9999",
        ..UserInformation::default()
    }
}

fn associate_rq(called: &str, protocol_version: u16) -> Vec<u8> {
    let mut fixed = AssociateFixed::new(ae(called), ae("QA_SCU"));
    fixed.protocol_version = protocol_version;
    let pcs = contexts();
    let rq = AssociateRq {
        fixed,
        application_context: APPLICATION_CONTEXT_NAME,
        presentation_contexts: &pcs,
        user_information: user_information(),
    };
    let mut buf = vec![0u8; rq.buffer_len()];
    let n = rq.emit(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn associate_ac() -> Vec<u8> {
    let pcs = [
        PresentationContextAc {
            id: 1,
            result: 0,
            transfer_syntax: EXPLICIT,
        },
        PresentationContextAc {
            id: 3,
            result: 0,
            transfer_syntax: IMPLICIT,
        },
    ];
    let ac = AssociateAc {
        fixed: AssociateFixed::new(ae("DISPLAY"), ae("QA_SCU")),
        application_context: APPLICATION_CONTEXT_NAME,
        presentation_contexts: &pcs,
        user_information: user_information(),
    };
    let mut buf = vec![0u8; ac.buffer_len()];
    let n = ac.emit(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// A P-DATA-TF carrying one whole command set on `context_id`.
fn pdata(context_id: u8, command: &[u8]) -> Vec<u8> {
    let p = PDataTf {
        pdvs: &[Pdv {
            context_id,
            control: MessageControlHeader::new(true, true),
            data: command,
        }],
    };
    let mut buf = vec![0u8; p.buffer_len()];
    let n = p.emit(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// The command set a closure emits.
fn command(emit: impl FnOnce(&mut [u8]) -> usize) -> Vec<u8> {
    let mut buf = vec![0u8; 512];
    let n = emit(&mut buf);
    buf.truncate(n);
    buf
}

/// The peer's C-ECHO-RQ, on the Verification context.
fn c_echo_rq(message_id: u16) -> Vec<u8> {
    let rq = CEchoRq {
        message_id,
        affected_sop_class_uid: VERIFICATION,
    };
    pdata(3, &command(|b| rq.emit(b).unwrap()))
}

/// The peer's C-ECHO-RSP (Success) to our request `message_id`.
fn c_echo_rsp(message_id: u16) -> Vec<u8> {
    let rsp = Response {
        command_field: CommandField::C_ECHO_RSP,
        message_id_being_responded_to: message_id,
        affected_sop_class_uid: Some(VERIFICATION),
        affected_sop_instance_uid: None,
        has_data_set: false,
        status: Status::SUCCESS,
    };
    pdata(
        3,
        &command(|b| rsp.emit(b, None::<std::iter::Empty<Tag>>).unwrap()),
    )
}

/// The peer's N-GET-RQ for every attribute of the Display System.
fn n_get_rq(message_id: u16) -> Vec<u8> {
    let rq = NGetRq {
        message_id,
        requested_sop_class_uid: DISPLAY_SYSTEM,
        requested_sop_instance_uid: DISPLAY_INSTANCE,
        attribute_identifier_list: None,
    };
    pdata(1, &command(|b| rq.emit(b).unwrap()))
}

/// The Message ID of the N-GET-RQ that `PeerNGetThenReleaseRq` sends.
const PEER_N_GET_ID: u16 = 77;

/// The command set of a P-DATA-TF we sent (one PDV, one whole command: the messages here
/// are far below the peer's maximum).
fn sent_command(pdu: &[u8]) -> Command<'_> {
    assert_eq!(pdu[0], 0x04);
    assert_eq!(pdu[11], 0x03, "one whole command set");
    Command::parse(&pdu[12..])
}

fn fixed_pdu(emit: impl FnOnce(&mut [u8]) -> usize) -> Vec<u8> {
    let mut buf = vec![0u8; 64];
    let n = emit(&mut buf);
    buf.truncate(n);
    buf
}

const PEER_RJ: AssociateRj = AssociateRj::USER_NO_REASON;

fn peer_bytes(tr: Tr) -> Option<Vec<u8>> {
    Some(match tr {
        Tr::PeerRq => associate_rq("DISPLAY", 1),
        Tr::PeerRqUserReject => associate_rq("SOMEONE", 1),
        Tr::PeerRqProviderReject => associate_rq("DISPLAY", 2),
        Tr::PeerAc => associate_ac(),
        Tr::PeerRj => fixed_pdu(|b| PEER_RJ.emit(b).unwrap()),
        Tr::PeerPData { message_id } => c_echo_rq(message_id),
        // Outside Sta6 (the composite steps are handled by `Sut::step`).
        Tr::PeerReleaseRq | Tr::PDataThenPeerReleaseRq | Tr::PeerNGetThenReleaseRq => {
            fixed_pdu(|b| ReleaseRq.emit(b).unwrap())
        }
        Tr::PeerReleaseRp => fixed_pdu(|b| ReleaseRp.emit(b).unwrap()),
        Tr::PeerAbort { user } => fixed_pdu(|b| peer_abort(user).emit(b).unwrap()),
        Tr::PeerInvalid => vec![0x09, 0, 0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef],
        _ => return None,
    })
}

// ------------------------------------------------------------------------------------------
// The system under test.

const ARTIM_MS: u64 = 30_000;

struct Sut {
    side: Side,
    now: Instant,
    chunk: usize,
    /// Cells of Table 9-10 exercised.
    cells: BTreeSet<(u8, u8, &'static str)>,
}

impl Sut {
    fn new(role: Role, chunk: usize) -> Sut {
        let now = Instant::ZERO;
        let conn = match role {
            Role::Acceptor => Connection::acceptor(acceptor_policy(), storage(4096, 4096), now),
            Role::Requestor => {
                Connection::requestor(requestor_config(), storage(4096, 4096), now).unwrap()
            }
        };
        let mut side = Side::new(conn);
        let out = side.drain();
        match role {
            // Evt5 → AE-5: Sta2, ARTIM running, nothing sent.
            Role::Acceptor => {
                assert!(out.is_empty());
                assert_eq!(side.conn.state(), State::Sta2);
                assert_eq!(
                    side.conn.poll_timeout(),
                    Some(Instant::from_millis(ARTIM_MS))
                );
            }
            // Evt1 → AE-1 (Sta4), Evt2 → AE-2: the A-ASSOCIATE-RQ, Sta5.
            Role::Requestor => {
                assert_eq!(out.first(), Some(&0x01));
                assert_eq!(side.sent.len(), 1);
                assert_eq!(side.conn.state(), State::Sta5);
            }
        }
        assert!(side.events.is_empty());
        Sut {
            side,
            now,
            chunk,
            cells: BTreeSet::new(),
        }
    }

    fn state(&self) -> u8 {
        state_number(self.side.conn.state())
    }

    /// Runs `tr` and checks it against `x`, the model's expectation.
    fn step(&mut self, tr: Tr, x: &Expect) {
        let before_state = self.state();
        let before_timeout = self.side.conn.poll_timeout();
        let sent0 = self.side.sent.len();
        let events0 = self.side.events.len();
        let ctx = format!("{tr:?} in Sta{before_state}, expected {x:?}");
        // The DIMSE commands our P-DATA-TF PDUs must carry: (Command Field, Message ID or
        // Message ID Being Responded To, status).
        let mut commands: Vec<(CommandField, u16, Option<u16>)> = Vec::new();
        // The Message ID of the C-ECHO-RQ we sent in this step.
        let mut echo_id = None;
        match tr {
            Tr::LocalRelease => {
                let r = self.side.conn.release(self.now);
                self.check_api(r, x, &ctx);
            }
            Tr::LocalAbort => {
                let r = self.side.conn.abort(self.now);
                self.check_api(r, x, &ctx);
            }
            Tr::LocalPData if before_state == 8 => {
                // Answer the N-GET that keeps the release waiting.
                let rq = self
                    .side
                    .conn
                    .n_get_request()
                    .expect("an N-GET waits in Sta8");
                assert_eq!(rq.message_id, PEER_N_GET_ID, "{ctx}");
                let r =
                    self.side
                        .conn
                        .respond_n_get(self.now, PEER_N_GET_ID, Status::SUCCESS, None);
                assert_eq!(r, Ok(SUCCESS), "{ctx}");
                commands.push((CommandField::N_GET_RSP, PEER_N_GET_ID, Some(SUCCESS)));
            }
            Tr::LocalPData => {
                let r = self.side.conn.send_c_echo(self.now);
                self.check_api(r.map(|_| ()), x, &ctx);
                if let Ok(id) = r {
                    // The request goes out; the peer answers it.
                    self.side.drain();
                    self.side.feed(self.now, &c_echo_rsp(id), self.chunk);
                    commands.push((CommandField::C_ECHO_RQ, id, None));
                    echo_id = Some(id);
                }
            }
            Tr::TransportClosed => self.side.conn.handle_transport_closed(self.now),
            Tr::Timeout => {
                if let Some(t) = self.side.conn.poll_timeout() {
                    self.now = self.now.max(t);
                    self.side.conn.handle_timeout(self.now);
                }
                if before_state == 8 {
                    commands.push((
                        CommandField::N_GET_RSP,
                        PEER_N_GET_ID,
                        Some(PROCESSING_FAILURE),
                    ));
                }
            }
            Tr::Idle { ms } => {
                let mut to = self.now.as_millis() + u64::from(ms);
                if let Some(t) = self.side.conn.poll_timeout() {
                    to = to
                        .min(t.as_millis().saturating_sub(1))
                        .max(self.now.as_millis());
                }
                self.now = Instant::from_millis(to);
                self.side.conn.handle_timeout(self.now);
            }
            Tr::PDataThenPeerReleaseRq if before_state == 6 => {
                let id = self.side.conn.send_c_echo(self.now).unwrap();
                commands.push((CommandField::C_ECHO_RQ, id, None));
                let rq = peer_bytes(tr).unwrap();
                assert_eq!(self.side.conn.handle_input(self.now, &rq), rq.len());
                // AR-2 has been taken, AR-4 waits for the P-DATA-TF to go out.
                assert_eq!(self.side.conn.state(), State::Sta8, "{ctx}");
            }
            Tr::PeerNGetThenReleaseRq if before_state == 6 => {
                let mut bytes = n_get_rq(PEER_N_GET_ID);
                bytes.extend(peer_bytes(tr).unwrap());
                self.side.feed(self.now, &bytes, self.chunk);
            }
            _ => {
                let bytes = peer_bytes(tr).unwrap();
                self.side.feed(self.now, &bytes, self.chunk);
                if let Tr::PeerPData { message_id } = tr {
                    if x.pdus.contains(&Pdu::PData) {
                        commands.push((CommandField::C_ECHO_RSP, message_id, Some(SUCCESS)));
                    }
                }
            }
        }
        self.side.drain();
        for c in &x.cells {
            self.cells.insert(*c);
        }

        assert_eq!(self.state(), x.next, "state after {ctx}");
        let pdus: Vec<Pdu> = self.side.sent[sent0..].iter().map(|p| Pdu::of(p)).collect();
        assert_eq!(pdus, x.pdus, "PDUs sent after {ctx}");
        let events: Vec<Ev> = self.side.events[events0..].iter().map(Ev::of).collect();
        let want = x.events.clone();
        assert_eq!(events, want, "events after {ctx}");
        for e in &self.side.events[events0..] {
            if let Event::Rejected(rj) = e {
                if tr == Tr::PeerRj {
                    assert_eq!(*rj, PEER_RJ, "{ctx}");
                }
            }
        }
        // The DIMSE messages are the ones exchanged: what we sent, and the IDs the events
        // name (the peer's C-ECHO-RQ on context 3, its N-GET-RQ on context 1, our C-ECHO-RQ).
        let sent: Vec<(CommandField, u16, Option<u16>)> = self.side.sent[sent0..]
            .iter()
            .filter(|p| p[0] == 0x04)
            .map(|p| {
                let c = sent_command(p);
                let id = c.message_id.or(c.message_id_being_responded_to).unwrap();
                (c.command_field.unwrap(), id, c.status)
            })
            .collect();
        assert_eq!(sent, commands, "DIMSE commands sent after {ctx}");
        for e in &self.side.events[events0..] {
            match *e {
                Event::Answered {
                    message_id,
                    context_id,
                    command_field,
                    ..
                } => {
                    let want = match tr {
                        Tr::PeerPData { message_id } => (CommandField::C_ECHO_RQ, message_id, 3),
                        _ => (CommandField::N_GET_RQ, PEER_N_GET_ID, 1),
                    };
                    assert_eq!((command_field, message_id, context_id), want, "{ctx}");
                }
                Event::Request {
                    op: Operation::NGet,
                    message_id,
                    context_id,
                } => assert_eq!((message_id, context_id), (PEER_N_GET_ID, 1), "{ctx}"),
                Event::Response {
                    op: Operation::CEcho,
                    message_id,
                    ..
                } => {
                    assert_eq!(Some(message_id), echo_id, "{ctx}")
                }
                _ => {}
            }
        }
        // Nothing comes out of a finished connection, and its timers are all stopped.
        if x.next == 1 {
            assert!(self.side.conn.is_closed());
            assert_eq!(self.side.conn.poll_timeout(), None, "{ctx}");
        }
        // ARTIM: started with a fresh deadline; in Sta13 (where only ARTIM runs) it keeps
        // its deadline while AA-6/AA-7 leave it alone.
        if x.artim_started {
            assert!(matches!(x.next, 2 | 13), "{ctx}");
            assert_eq!(
                self.side.conn.poll_timeout(),
                Some(Instant::from_millis(self.now.as_millis() + ARTIM_MS)),
                "ARTIM deadline after {ctx}"
            );
        } else if x.next == 13 && before_state == 13 {
            assert_eq!(self.side.conn.poll_timeout(), before_timeout, "{ctx}");
        }
        // No timer is ever left in the past.
        if let Some(t) = self.side.conn.poll_timeout() {
            assert!(
                t > self.now,
                "timer at {t:?} <= now {:?} after {ctx}",
                self.now
            );
        }
    }

    fn check_api(&self, r: Result<(), ApiError>, x: &Expect, ctx: &str) {
        if x.refused {
            assert_eq!(r, Err(ApiError::InvalidState), "{ctx}");
        } else {
            assert_eq!(r, Ok(()), "{ctx}");
        }
    }
}

// ------------------------------------------------------------------------------------------
// proptest-state-machine glue.

/// One of `trs`, with fresh parameters.
fn one_of(trs: Vec<Tr>) -> BoxedStrategy<Tr> {
    proptest::sample::select(trs)
        .prop_flat_map(|tr| match tr {
            Tr::PeerPData { .. } => any::<u16>()
                .prop_map(|message_id| Tr::PeerPData { message_id })
                .boxed(),
            Tr::PeerAbort { .. } => any::<bool>()
                .prop_map(|user| Tr::PeerAbort { user })
                .boxed(),
            Tr::Idle { .. } => (1u16..=20_000).prop_map(|ms| Tr::Idle { ms }).boxed(),
            other => Just(other).boxed(),
        })
        .boxed()
}

/// Inputs are weighted by what the model says they do in `sta`, so that sequences get deep
/// (Sta7, Sta10, Sta11, Sta13) before they end: an input that ends the connection (next
/// state Sta1) is least likely, one that aborts, is refused or is ignored more, and one
/// that the table answers with an AE/DT/AR action most.
fn weighted_transitions(role: Role, sta: u8) -> BoxedStrategy<Tr> {
    let (mut ending, mut aborting, mut progress) = (Vec::new(), Vec::new(), Vec::new());
    for tr in ALL_TRS {
        let x = expect(role, sta, tr);
        if x.next == 1 {
            ending.push(tr);
        } else if x.refused || x.cells.is_empty() || x.cells.iter().any(|c| c.2.starts_with("AA")) {
            aborting.push(tr);
        } else {
            progress.push(tr);
        }
    }
    let groups: Vec<(u32, BoxedStrategy<Tr>)> = [(1, ending), (3, aborting), (8, progress)]
        .into_iter()
        .filter(|(_, trs)| !trs.is_empty())
        .map(|(w, trs)| (w, one_of(trs)))
        .collect();
    proptest::strategy::Union::new_weighted(groups).boxed()
}

struct Reference<const REQUESTOR: bool>;

impl<const REQUESTOR: bool> ReferenceStateMachine for Reference<REQUESTOR> {
    /// The model, and the size of the chunks the peer's bytes are cut into.
    type State = (Model, usize);
    type Transition = Tr;

    fn init_state() -> BoxedStrategy<Self::State> {
        let role = if REQUESTOR {
            Role::Requestor
        } else {
            Role::Acceptor
        };
        let sta = if REQUESTOR { 5 } else { 2 };
        prop_oneof![Just(1usize), Just(3), Just(7), Just(100_000)]
            .prop_map(move |chunk| {
                (
                    Model {
                        role,
                        sta,
                        last: None,
                    },
                    chunk,
                )
            })
            .boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Tr> {
        weighted_transitions(state.0.role, state.0.sta)
    }

    fn apply(mut state: Self::State, tr: &Tr) -> Self::State {
        let x = expect(state.0.role, state.0.sta, *tr);
        state.0.sta = x.next;
        state.0.last = Some(x);
        state
    }
}

struct ConnectionTest<const REQUESTOR: bool>;

impl<const REQUESTOR: bool> StateMachineTest for ConnectionTest<REQUESTOR> {
    type SystemUnderTest = Sut;
    type Reference = Reference<REQUESTOR>;

    fn init_test(ref_state: &(Model, usize)) -> Sut {
        let sut = Sut::new(ref_state.0.role, ref_state.1);
        assert_eq!(sut.state(), ref_state.0.sta);
        sut
    }

    fn apply(mut sut: Sut, ref_state: &(Model, usize), tr: Tr) -> Sut {
        let x = ref_state.0.last.as_ref().expect("an expectation");
        sut.step(tr, x);
        sut
    }

    fn check_invariants(sut: &Sut, ref_state: &(Model, usize)) {
        assert_eq!(sut.state(), ref_state.0.sta);
        assert_eq!(sut.side.conn.is_closed(), ref_state.0.sta == 1);
        assert_eq!(sut.side.conn.is_established(), ref_state.0.sta == 6);
        assert_eq!(sut.side.conn.role(), ref_state.0.role);
    }
}

prop_state_machine! {
    #[test]
    fn acceptor_follows_table_9_10(sequential 1..20 => ConnectionTest<false>);

    #[test]
    fn requestor_follows_table_9_10(sequential 1..20 => ConnectionTest<true>);
}

// ------------------------------------------------------------------------------------------
// Plain walks through specific cells.

/// Runs `trs` from a fresh connection, checking each step against the model; returns the
/// cells taken.
fn walk(role: Role, trs: &[Tr]) -> (Sut, BTreeSet<(u8, u8, &'static str)>) {
    let mut sut = Sut::new(role, 100_000);
    let mut sta = sut.state();
    for &tr in trs {
        let x = expect(role, sta, tr);
        sut.step(tr, &x);
        sta = x.next;
    }
    let cells = sut.cells.clone();
    (sut, cells)
}

/// The prefix that leads a connection of `role` to `sta`.
fn path_to(role: Role, sta: u8) -> Vec<Tr> {
    use Tr::*;
    let established = match role {
        Role::Acceptor => vec![PeerRq],
        Role::Requestor => vec![PeerAc],
    };
    match (role, sta) {
        (Role::Acceptor, 2) | (Role::Requestor, 5) => vec![],
        (_, 6) => established,
        (_, 7) => [established, vec![LocalRelease]].concat(),
        // Acceptor collision: Sta10, then AR-10 would pass through Sta12.
        (Role::Acceptor, 10) => [established, vec![LocalRelease, PeerReleaseRq]].concat(),
        // Requestor collision: AR-8 → Sta9 → AR-9 → Sta11.
        (Role::Requestor, 11) => [established, vec![LocalRelease, PeerReleaseRq]].concat(),
        (_, 13) => [established, vec![LocalAbort]].concat(),
        // A release behind a request the application has not answered yet.
        (_, 8) => [established, vec![PeerNGetThenReleaseRq]].concat(),
        _ => panic!("Sta{sta} is not a resting state of the {role:?}"),
    }
}

/// Every input in Sta13 (AA-6, AA-7, AA-2, AR-5) for both roles.
#[test]
fn sta13_rows() {
    for role in [Role::Acceptor, Role::Requestor] {
        let mut taken = BTreeSet::new();
        for tr in ALL_TRS {
            let trs = [path_to(role, 13), vec![tr]].concat();
            let (_, cells) = walk(role, &trs);
            taken.extend(cells.into_iter().filter(|c| c.1 == 13));
        }
        let want: BTreeSet<_> = [
            (3, 13, "AA-6"),
            (4, 13, "AA-6"),
            (6, 13, "AA-7"),
            (10, 13, "AA-6"),
            (12, 13, "AA-6"),
            (13, 13, "AA-6"),
            (16, 13, "AA-2"),
            (17, 13, "AR-5"),
            (18, 13, "AA-2"),
            (19, 13, "AA-7"),
        ]
        .into_iter()
        .collect();
        assert_eq!(taken, want, "{role:?}");
    }
}

/// A stray A-ASSOCIATE-RQ, then an unrecognized PDU, in Sta13: two AA-7 aborts, ARTIM
/// untouched, and then ARTIM still closes the connection (AA-2).
#[test]
fn sta13_stray_pdus_then_artim() {
    use Tr::*;
    // Sta13 through a user-rejected A-ASSOCIATE-RQ (AE-6, AE-8).
    let (sut, _) = walk(
        Role::Acceptor,
        &[
            PeerRqUserReject,
            Idle { ms: 5000 },
            PeerRq,
            PeerInvalid,
            PeerPData { message_id: 3 },
            Timeout,
        ],
    );
    assert!(sut.side.conn.is_closed());
    assert_eq!(sut.now, Instant::from_millis(ARTIM_MS));
}

/// The states a connection rests in between calls (after draining), per role.
const RESTING: [(Role, &[u8]); 2] = [
    (Role::Acceptor, &[2, 6, 7, 8, 10, 13]),
    (Role::Requestor, &[5, 6, 7, 8, 11, 13]),
];

/// Every cell reachable through the `Connection` API, walked deterministically: each
/// resting state of each role, then every input; the cells taken must be exactly the
/// filled cells of the resting states' columns for the events the API can produce, plus
/// the local user's answers the connection gives at once in the transient states.
///
/// Sta8 is a resting state since the DIMSE layer: a peer's A-RELEASE-RQ behind a request the
/// application has not answered waits there (PS3.8 §7.2.2), which makes its whole column
/// reachable, AR-7 included (the answer, or the core's 0110H at the DIMSE timeout): 88 cells,
/// the 77 of the raw P-DATA API plus 11 in Sta8.
///
/// Not reachable: the Sta1 and Sta4 columns and Evt1/Evt2/Evt5 (taken inside the
/// constructors), any event in Sta3, Sta9 or Sta12 other than the immediate answer (the
/// connection never rests there).
#[test]
fn every_reachable_cell_is_exercised() {
    let mut taken = BTreeSet::new();
    for (role, states) in RESTING {
        for &sta in states {
            for tr in ALL_TRS {
                let trs = [path_to(role, sta), vec![tr]].concat();
                let (_, cells) = walk(role, &trs);
                taken.extend(cells);
            }
        }
    }
    let mut want = BTreeSet::new();
    for sta in [2u8, 5, 6, 7, 8, 10, 11, 13] {
        for evt in [3u8, 4, 6, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19] {
            if let Some(c) = cell(evt, sta) {
                want.insert((evt, sta, c));
            }
        }
    }
    for (evt, sta) in [(7u8, 3u8), (8, 3), (14, 8), (14, 9), (14, 12)] {
        want.insert((evt, sta, cell(evt, sta).unwrap()));
    }
    let show = |set: &BTreeSet<(u8, u8, &str)>| -> Vec<String> {
        set.iter()
            .map(|(e, s, a)| format!("Evt{e}/Sta{s}={a}"))
            .collect()
    };
    assert_eq!(
        show(&taken),
        show(&want),
        "taken (left) vs reachable (right)"
    );
    assert_eq!(taken.len(), 88);
    if std::env::var_os("UL_MODEL_PRINT_CELLS").is_some() {
        println!("{} cells exercised: {:?}", taken.len(), show(&taken));
    }
}

/// Regression (found by this model): an A-RELEASE-RQ that arrives while our P-DATA-TF is
/// still queued is answered from `poll_output` once the P-DATA is out (AR-2 → Sta8, then
/// AR-4). AR-4 starts ARTIM, which must run from the present, not from time zero.
#[test]
fn release_rp_after_queued_pdata_starts_artim_from_now() {
    let mut sut = Sut::new(Role::Acceptor, 100_000);
    let x = expect(Role::Acceptor, 2, Tr::PeerRq);
    sut.step(Tr::PeerRq, &x);
    let later = Instant::from_millis(45_000);
    sut.now = later;
    sut.side.conn.send_c_echo(later).unwrap();
    let rq = peer_bytes(Tr::PeerReleaseRq).unwrap();
    assert_eq!(sut.side.conn.handle_input(later, &rq), rq.len());
    sut.side.drain();
    assert_eq!(sut.side.conn.state(), State::Sta13);
    assert_eq!(
        sut.side.conn.poll_timeout(),
        Some(Instant::from_millis(45_000 + ARTIM_MS))
    );
}

/// Regression (found by this model): the transport closing in an association (Evt17 in
/// Sta3..Sta12, AA-4) reports the A-P-ABORT and then `Event::Closed`, like AR-5 and AA-5.
#[test]
fn transport_closed_mid_association_reports_closed() {
    let mut sut = Sut::new(Role::Acceptor, 100_000);
    let x = expect(Role::Acceptor, 2, Tr::PeerRq);
    sut.step(Tr::PeerRq, &x);
    sut.side.conn.handle_transport_closed(sut.now);
    sut.side.drain();
    assert_eq!(sut.side.conn.state(), State::Sta1);
    assert_eq!(
        sut.side.events[1..],
        [Event::Aborted(AbortOrigin::TransportClosed), Event::Closed]
    );
}
