//! The DICOM Upper Layer state machine (PS3.8 §9.2), as pure data.
//!
//! This module describes the protocol machine and does nothing else: it sends no PDUs,
//! starts no timers and touches no transport. It answers two questions:
//!
//! 1. *Which action does this event trigger in this state?* [`transition`] is a transcription
//!    of the state transition table, PS3.8 §9.2.3 Table 9-10: thirteen states
//!    ([`State`], PS3.8 §9.2.1) across, nineteen events ([`ProtocolEvent`]) down, and in each cell
//!    an action ([`Action`], PS3.8 §9.2.2) or nothing. Exactly 123 of the 247 cells are
//!    filled. A blank cell ([`None`]) means the event is not valid in that state.
//! 2. *Where does that action lead?* [`Action::next_state`] gives the state the action
//!    ends in. Only two actions need more than the action itself: AE-6 depends on whether
//!    the received A-ASSOCIATE-RQ is acceptable to the service provider, and AR-8 depends on
//!    whether this side is the association requestor or acceptor ([`Role`]).
//!
//! ## How the connection layer uses it
//!
//! For every event (bytes decoded into a PDU, a call from the local user, the transport
//! closing, the ARTIM timer firing), the connection layer:
//!
//! 1. looks up `transition(state, event)`;
//!    * [`None`] means the event is invalid in this state. The standard does not say what
//!      to do then; for an event coming from the local user the natural answer is to refuse
//!      the call and leave the state alone. (PDU events are never blank outside Sta1 and
//!      Sta4, where no PDU can arrive because there is no open transport.)
//! 2. performs the action's side effects: sends the PDU the action names, reports the
//!    primitive to its user, and manages ARTIM and the transport following
//!    [`Action::stops_artim`], [`Action::starts_artim`] and [`Action::closes_transport`]
//!    (stop before start, so that AE-6's "stop, then start on reject" ends with ARTIM
//!    running);
//! 3. moves to `action.next_state(role, rq_acceptable)`.
//!
//! ## What the table leaves to the caller
//!
//! * **A-ABORT source and reason.** AA-1 literally says *service-user source*, even in Sta2
//!   where no user has seen the association yet (a bad PDU before any A-ASSOCIATE-RQ); this
//!   module keeps the literal reading. AA-8 says *service-provider source*. AA-7 names no
//!   source and no reason: the caller picks one (pynetdicom sends source 2, service
//!   provider, with reason 2, unexpected PDU, which is a sensible default).
//! * **AA-3** reports an A-ABORT indication or an A-P-ABORT indication depending on the
//!   source field of the received A-ABORT PDU; the caller reads that field.
//! * **ProtocolEvent numbers.** Table 9-10 labels its rows by description only. The numbers
//!   Evt1..Evt19 used by [`ProtocolEvent::number`] and [`ProtocolEvent::label`] follow the row order, which
//!   is also the numbering used by other implementations (pynetdicom, DCMTK).

use core::fmt;

/// Which side of the association this machine is.
///
/// Only AR-8 (a release collision) depends on it: PS3.8 §9.2.2 sends the association
/// requestor to Sta9 and the association acceptor to Sta10, so that exactly one side answers
/// the collision first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Role {
    /// The side that sent the A-ASSOCIATE-RQ (the SCU, usually).
    Requestor,
    /// The side that received the A-ASSOCIATE-RQ (the SCP, usually).
    Acceptor,
}

/// The states of the Upper Layer protocol machine, PS3.8 §9.2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum State {
    /// Sta1: Idle.
    Sta1,
    /// Sta2: Transport connection open (Awaiting A-ASSOCIATE-RQ PDU).
    Sta2,
    /// Sta3: Awaiting local A-ASSOCIATE response primitive (from local user).
    Sta3,
    /// Sta4: Awaiting transport connection opening to complete (from local transport
    /// service).
    Sta4,
    /// Sta5: Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU.
    Sta5,
    /// Sta6: Association established and ready for data transfer.
    Sta6,
    /// Sta7: Awaiting A-RELEASE-RP PDU.
    Sta7,
    /// Sta8: Awaiting local A-RELEASE response primitive (from local user).
    Sta8,
    /// Sta9: Release collision requestor side; awaiting A-RELEASE response (from local
    /// user).
    Sta9,
    /// Sta10: Release collision acceptor side; awaiting A-RELEASE-RP PDU.
    Sta10,
    /// Sta11: Release collision requestor side; awaiting A-RELEASE-RP PDU.
    Sta11,
    /// Sta12: Release collision acceptor side; awaiting A-RELEASE response primitive (from
    /// local user).
    Sta12,
    /// Sta13: Awaiting Transport Connection Close Indication (Association no longer
    /// exists).
    Sta13,
}

impl State {
    /// Every state, in order Sta1..Sta13 (the columns of Table 9-10).
    pub const ALL: [State; 13] = [
        State::Sta1,
        State::Sta2,
        State::Sta3,
        State::Sta4,
        State::Sta5,
        State::Sta6,
        State::Sta7,
        State::Sta8,
        State::Sta9,
        State::Sta10,
        State::Sta11,
        State::Sta12,
        State::Sta13,
    ];

    /// The state's number, 1 for Sta1 through 13 for Sta13.
    pub const fn number(self) -> u8 {
        match self {
            State::Sta1 => 1,
            State::Sta2 => 2,
            State::Sta3 => 3,
            State::Sta4 => 4,
            State::Sta5 => 5,
            State::Sta6 => 6,
            State::Sta7 => 7,
            State::Sta8 => 8,
            State::Sta9 => 9,
            State::Sta10 => 10,
            State::Sta11 => 11,
            State::Sta12 => 12,
            State::Sta13 => 13,
        }
    }

    /// The standard's name for the state: `"Sta1"` .. `"Sta13"`.
    pub const fn label(self) -> &'static str {
        match self {
            State::Sta1 => "Sta1",
            State::Sta2 => "Sta2",
            State::Sta3 => "Sta3",
            State::Sta4 => "Sta4",
            State::Sta5 => "Sta5",
            State::Sta6 => "Sta6",
            State::Sta7 => "Sta7",
            State::Sta8 => "Sta8",
            State::Sta9 => "Sta9",
            State::Sta10 => "Sta10",
            State::Sta11 => "Sta11",
            State::Sta12 => "Sta12",
            State::Sta13 => "Sta13",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The events of the Upper Layer protocol machine: the rows of PS3.8 §9.2.3 Table 9-10.
///
/// "Received" events come from decoding a PDU; "request", "response" and "accept"/"reject"
/// events come from the local user; the rest come from the local transport service or
/// the ARTIM timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ProtocolEvent {
    /// Evt1: A-ASSOCIATE request (local user).
    AssociateRequest,
    /// Evt2: Transport connect confirmation (local transport service).
    TransportConnectConfirm,
    /// Evt3: A-ASSOCIATE-AC PDU (received on transport connection).
    AssociateAcReceived,
    /// Evt4: A-ASSOCIATE-RJ PDU (received on transport connection).
    AssociateRjReceived,
    /// Evt5: Transport connection indication (local transport service).
    TransportConnectIndication,
    /// Evt6: A-ASSOCIATE-RQ PDU (on transport connection).
    AssociateRqReceived,
    /// Evt7: A-ASSOCIATE response primitive (accept).
    AssociateAccept,
    /// Evt8: A-ASSOCIATE response primitive (reject).
    AssociateReject,
    /// Evt9: P-DATA request primitive.
    PDataRequest,
    /// Evt10: P-DATA-TF PDU (on transport connection).
    PDataReceived,
    /// Evt11: A-RELEASE request primitive.
    ReleaseRequest,
    /// Evt12: A-RELEASE-RQ PDU (on transport).
    ReleaseRqReceived,
    /// Evt13: A-RELEASE-RP PDU (on transport).
    ReleaseRpReceived,
    /// Evt14: A-RELEASE response primitive.
    ReleaseResponse,
    /// Evt15: A-ABORT request primitive.
    AbortRequest,
    /// Evt16: A-ABORT PDU (on transport).
    AbortReceived,
    /// Evt17: Transport connection closed indication (local transport service).
    TransportClosed,
    /// Evt18: ARTIM timer expired (Association reject/release timer).
    ArtimExpired,
    /// Evt19: Unrecognized or invalid PDU received.
    InvalidPdu,
}

impl ProtocolEvent {
    /// Every event, in order Evt1..Evt19 (the rows of Table 9-10).
    pub const ALL: [ProtocolEvent; 19] = [
        ProtocolEvent::AssociateRequest,
        ProtocolEvent::TransportConnectConfirm,
        ProtocolEvent::AssociateAcReceived,
        ProtocolEvent::AssociateRjReceived,
        ProtocolEvent::TransportConnectIndication,
        ProtocolEvent::AssociateRqReceived,
        ProtocolEvent::AssociateAccept,
        ProtocolEvent::AssociateReject,
        ProtocolEvent::PDataRequest,
        ProtocolEvent::PDataReceived,
        ProtocolEvent::ReleaseRequest,
        ProtocolEvent::ReleaseRqReceived,
        ProtocolEvent::ReleaseRpReceived,
        ProtocolEvent::ReleaseResponse,
        ProtocolEvent::AbortRequest,
        ProtocolEvent::AbortReceived,
        ProtocolEvent::TransportClosed,
        ProtocolEvent::ArtimExpired,
        ProtocolEvent::InvalidPdu,
    ];

    /// The event's number, 1 for Evt1 through 19 for Evt19 (its row in Table 9-10).
    pub const fn number(self) -> u8 {
        match self {
            ProtocolEvent::AssociateRequest => 1,
            ProtocolEvent::TransportConnectConfirm => 2,
            ProtocolEvent::AssociateAcReceived => 3,
            ProtocolEvent::AssociateRjReceived => 4,
            ProtocolEvent::TransportConnectIndication => 5,
            ProtocolEvent::AssociateRqReceived => 6,
            ProtocolEvent::AssociateAccept => 7,
            ProtocolEvent::AssociateReject => 8,
            ProtocolEvent::PDataRequest => 9,
            ProtocolEvent::PDataReceived => 10,
            ProtocolEvent::ReleaseRequest => 11,
            ProtocolEvent::ReleaseRqReceived => 12,
            ProtocolEvent::ReleaseRpReceived => 13,
            ProtocolEvent::ReleaseResponse => 14,
            ProtocolEvent::AbortRequest => 15,
            ProtocolEvent::AbortReceived => 16,
            ProtocolEvent::TransportClosed => 17,
            ProtocolEvent::ArtimExpired => 18,
            ProtocolEvent::InvalidPdu => 19,
        }
    }

    /// The event's conventional name: `"Evt1"` .. `"Evt19"`.
    pub const fn label(self) -> &'static str {
        match self {
            ProtocolEvent::AssociateRequest => "Evt1",
            ProtocolEvent::TransportConnectConfirm => "Evt2",
            ProtocolEvent::AssociateAcReceived => "Evt3",
            ProtocolEvent::AssociateRjReceived => "Evt4",
            ProtocolEvent::TransportConnectIndication => "Evt5",
            ProtocolEvent::AssociateRqReceived => "Evt6",
            ProtocolEvent::AssociateAccept => "Evt7",
            ProtocolEvent::AssociateReject => "Evt8",
            ProtocolEvent::PDataRequest => "Evt9",
            ProtocolEvent::PDataReceived => "Evt10",
            ProtocolEvent::ReleaseRequest => "Evt11",
            ProtocolEvent::ReleaseRqReceived => "Evt12",
            ProtocolEvent::ReleaseRpReceived => "Evt13",
            ProtocolEvent::ReleaseResponse => "Evt14",
            ProtocolEvent::AbortRequest => "Evt15",
            ProtocolEvent::AbortReceived => "Evt16",
            ProtocolEvent::TransportClosed => "Evt17",
            ProtocolEvent::ArtimExpired => "Evt18",
            ProtocolEvent::InvalidPdu => "Evt19",
        }
    }
}

impl fmt::Display for ProtocolEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The actions of the Upper Layer protocol machine, PS3.8 §9.2.2 (Tables 9-6 to 9-9).
///
/// Each doc comment quotes the standard's definition; the state after the arrow is what
/// [`Action::next_state`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Action {
    /// AE-1: Issue TRANSPORT CONNECT request primitive to local transport service → Sta4.
    Ae1,
    /// AE-2: Send A-ASSOCIATE-RQ PDU → Sta5.
    Ae2,
    /// AE-3: Issue A-ASSOCIATE confirmation (accept) primitive → Sta6.
    Ae3,
    /// AE-4: Issue A-ASSOCIATE confirmation (reject) primitive and close transport
    /// connection → Sta1.
    Ae4,
    /// AE-5: Issue Transport connection response primitive; start ARTIM timer → Sta2.
    Ae5,
    /// AE-6: Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue
    /// A-ASSOCIATE indication primitive → Sta3; otherwise: issue A-ASSOCIATE-RJ PDU and
    /// start ARTIM timer → Sta13.
    Ae6,
    /// AE-7: Send A-ASSOCIATE-AC PDU → Sta6.
    Ae7,
    /// AE-8: Send A-ASSOCIATE-RJ PDU and start ARTIM timer → Sta13.
    Ae8,
    /// DT-1: Send P-DATA-TF PDU → Sta6.
    Dt1,
    /// DT-2: Send P-DATA indication primitive → Sta6.
    Dt2,
    /// AR-1: Send A-RELEASE-RQ PDU → Sta7.
    Ar1,
    /// AR-2: Issue A-RELEASE indication primitive → Sta8.
    Ar2,
    /// AR-3: Issue A-RELEASE confirmation primitive, and close transport connection → Sta1.
    Ar3,
    /// AR-4: Issue A-RELEASE-RP PDU and start ARTIM timer → Sta13.
    Ar4,
    /// AR-5: Stop ARTIM timer → Sta1.
    Ar5,
    /// AR-6: Issue P-DATA indication → Sta7.
    Ar6,
    /// AR-7: Issue P-DATA-TF PDU → Sta8.
    Ar7,
    /// AR-8: Issue A-RELEASE indication (release collision): if association-requestor,
    /// next state is Sta9, if not Sta10.
    Ar8,
    /// AR-9: Send A-RELEASE-RP PDU → Sta11.
    Ar9,
    /// AR-10: Issue A-RELEASE confirmation primitive → Sta12.
    Ar10,
    /// AA-1: Send A-ABORT PDU (service-user source) and start (or restart if already
    /// started) ARTIM timer → Sta13.
    Aa1,
    /// AA-2: Stop ARTIM timer if running. Close transport connection → Sta1.
    Aa2,
    /// AA-3: If (service-user initiated abort): issue A-ABORT indication and close transport
    /// connection; otherwise (service-provider initiated abort): issue A-P-ABORT indication
    /// and close transport connection → Sta1.
    Aa3,
    /// AA-4: Issue A-P-ABORT indication primitive → Sta1.
    Aa4,
    /// AA-5: Stop ARTIM timer → Sta1.
    Aa5,
    /// AA-6: Ignore PDU → Sta13.
    Aa6,
    /// AA-7: Send A-ABORT PDU → Sta13.
    ///
    /// The standard names no source or reason for this A-ABORT; the caller chooses
    /// (source 2 service-provider, reason 2 unexpected-PDU is the usual pick).
    Aa7,
    /// AA-8: Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and
    /// start ARTIM timer → Sta13.
    Aa8,
}

impl Action {
    /// Every action, in the order of PS3.8 §9.2.2.
    pub const ALL: [Action; 28] = [
        Action::Ae1,
        Action::Ae2,
        Action::Ae3,
        Action::Ae4,
        Action::Ae5,
        Action::Ae6,
        Action::Ae7,
        Action::Ae8,
        Action::Dt1,
        Action::Dt2,
        Action::Ar1,
        Action::Ar2,
        Action::Ar3,
        Action::Ar4,
        Action::Ar5,
        Action::Ar6,
        Action::Ar7,
        Action::Ar8,
        Action::Ar9,
        Action::Ar10,
        Action::Aa1,
        Action::Aa2,
        Action::Aa3,
        Action::Aa4,
        Action::Aa5,
        Action::Aa6,
        Action::Aa7,
        Action::Aa8,
    ];

    /// The state the action leads to (PS3.8 §9.2.2).
    ///
    /// `rq_acceptable` matters only for AE-6: Sta3 if the received A-ASSOCIATE-RQ is
    /// acceptable to the service provider, otherwise Sta13 (after sending an
    /// A-ASSOCIATE-RJ). `role` matters only for AR-8: Sta9 for the association requestor,
    /// Sta10 for the acceptor. Every other action has a single next state.
    pub const fn next_state(self, role: Role, rq_acceptable: bool) -> State {
        match self {
            Action::Ae1 => State::Sta4,
            Action::Ae2 => State::Sta5,
            Action::Ae3 => State::Sta6,
            Action::Ae4 => State::Sta1,
            Action::Ae5 => State::Sta2,
            Action::Ae6 => {
                if rq_acceptable {
                    State::Sta3
                } else {
                    State::Sta13
                }
            }
            Action::Ae7 => State::Sta6,
            Action::Ae8 => State::Sta13,
            Action::Dt1 | Action::Dt2 => State::Sta6,
            Action::Ar1 => State::Sta7,
            Action::Ar2 => State::Sta8,
            Action::Ar3 => State::Sta1,
            Action::Ar4 => State::Sta13,
            Action::Ar5 => State::Sta1,
            Action::Ar6 => State::Sta7,
            Action::Ar7 => State::Sta8,
            Action::Ar8 => match role {
                Role::Requestor => State::Sta9,
                Role::Acceptor => State::Sta10,
            },
            Action::Ar9 => State::Sta11,
            Action::Ar10 => State::Sta12,
            Action::Aa1 => State::Sta13,
            Action::Aa2 | Action::Aa3 | Action::Aa4 | Action::Aa5 => State::Sta1,
            Action::Aa6 | Action::Aa7 | Action::Aa8 => State::Sta13,
        }
    }

    /// The standard's name for the action: `"AE-1"`, `"DT-2"`, `"AR-10"`, `"AA-8"`, ...
    pub const fn label(self) -> &'static str {
        match self {
            Action::Ae1 => "AE-1",
            Action::Ae2 => "AE-2",
            Action::Ae3 => "AE-3",
            Action::Ae4 => "AE-4",
            Action::Ae5 => "AE-5",
            Action::Ae6 => "AE-6",
            Action::Ae7 => "AE-7",
            Action::Ae8 => "AE-8",
            Action::Dt1 => "DT-1",
            Action::Dt2 => "DT-2",
            Action::Ar1 => "AR-1",
            Action::Ar2 => "AR-2",
            Action::Ar3 => "AR-3",
            Action::Ar4 => "AR-4",
            Action::Ar5 => "AR-5",
            Action::Ar6 => "AR-6",
            Action::Ar7 => "AR-7",
            Action::Ar8 => "AR-8",
            Action::Ar9 => "AR-9",
            Action::Ar10 => "AR-10",
            Action::Aa1 => "AA-1",
            Action::Aa2 => "AA-2",
            Action::Aa3 => "AA-3",
            Action::Aa4 => "AA-4",
            Action::Aa5 => "AA-5",
            Action::Aa6 => "AA-6",
            Action::Aa7 => "AA-7",
            Action::Aa8 => "AA-8",
        }
    }

    /// Whether the action starts (or restarts) the ARTIM timer.
    ///
    /// True for AE-5, AE-8, AR-4, AA-1 and AA-8, and for AE-6 when it rejects the
    /// association (`rq_acceptable == false`, the same flag given to
    /// [`Action::next_state`]). AE-6 is the only action for which the flag matters: an
    /// accepted A-ASSOCIATE-RQ leaves ARTIM stopped while the local user decides (Sta3 has
    /// no ARTIM-expired transition).
    ///
    /// When an action both stops and starts ARTIM (AE-6 on reject), stop first, then start:
    /// the timer ends up running with a fresh deadline.
    pub const fn starts_artim(self, rq_acceptable: bool) -> bool {
        match self {
            Action::Ae6 => !rq_acceptable,
            Action::Ae5 | Action::Ae8 | Action::Ar4 | Action::Aa1 | Action::Aa8 => true,
            _ => false,
        }
    }

    /// Whether the action stops the ARTIM timer: AE-6, AR-5, AA-2 and AA-5.
    ///
    /// AA-2 says "stop ARTIM timer if running"; stopping a timer that is not running must
    /// therefore be harmless in the connection layer (AA-2 is reached from Sta4, where ARTIM
    /// never runs).
    pub const fn stops_artim(self) -> bool {
        matches!(self, Action::Ae6 | Action::Ar5 | Action::Aa2 | Action::Aa5)
    }

    /// Whether the action ends the transport connection: AE-4, AR-3, AA-2, AA-3 and AA-4.
    ///
    /// AE-4, AR-3, AA-2 and AA-3 close the transport themselves. AA-4 only reports an
    /// A-P-ABORT, because it answers Evt17 (the transport has already closed); it is
    /// included so that the connection layer treats every path to Sta1 with a lost
    /// transport alike, and closing an already closed transport should be a no-op there.
    /// AA-2 from Sta4 means abandoning a transport connection that is still being opened.
    ///
    /// AR-5 and AA-5 are not included: they also answer Evt17 and only stop ARTIM, but they
    /// leave no primitive to report and no transport to close.
    pub const fn closes_transport(self) -> bool {
        matches!(
            self,
            Action::Ae4 | Action::Ar3 | Action::Aa2 | Action::Aa3 | Action::Aa4
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The cell of PS3.8 §9.2.3 Table 9-10 for `state` and `event`.
///
/// [`None`] is a blank cell: the event is not valid in that state. 123 of the 13 × 19 cells
/// are filled.
pub const fn transition(state: State, event: ProtocolEvent) -> Option<Action> {
    use Action::*;
    use ProtocolEvent::*;
    use State::*;

    // Grouped by row (event) so that each arm can be read against one row of Table 9-10.
    // The "every state from Sta5 to Sta12" runs that make up most of the PDU rows are
    // spelled out instead of using `_`, so that a blank cell can never be filled by accident.
    let action = match (event, state) {
        // Evt1
        (AssociateRequest, Sta1) => Ae1,
        // Evt2
        (TransportConnectConfirm, Sta4) => Ae2,
        // Evt3
        (AssociateAcReceived, Sta2) => Aa1,
        (AssociateAcReceived, Sta5) => Ae3,
        (AssociateAcReceived, Sta3 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => Aa8,
        (AssociateAcReceived, Sta13) => Aa6,
        // Evt4
        (AssociateRjReceived, Sta2) => Aa1,
        (AssociateRjReceived, Sta5) => Ae4,
        (AssociateRjReceived, Sta3 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => Aa8,
        (AssociateRjReceived, Sta13) => Aa6,
        // Evt5
        (TransportConnectIndication, Sta1) => Ae5,
        // Evt6
        (AssociateRqReceived, Sta2) => Ae6,
        (AssociateRqReceived, Sta3 | Sta5 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => {
            Aa8
        }
        (AssociateRqReceived, Sta13) => Aa7,
        // Evt7
        (AssociateAccept, Sta3) => Ae7,
        // Evt8
        (AssociateReject, Sta3) => Ae8,
        // Evt9
        (PDataRequest, Sta6) => Dt1,
        (PDataRequest, Sta8) => Ar7,
        // Evt10
        (PDataReceived, Sta2) => Aa1,
        (PDataReceived, Sta6) => Dt2,
        (PDataReceived, Sta7) => Ar6,
        (PDataReceived, Sta3 | Sta5 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => Aa8,
        (PDataReceived, Sta13) => Aa6,
        // Evt11
        (ReleaseRequest, Sta6) => Ar1,
        // Evt12
        (ReleaseRqReceived, Sta2) => Aa1,
        (ReleaseRqReceived, Sta6) => Ar2,
        (ReleaseRqReceived, Sta7) => Ar8,
        (ReleaseRqReceived, Sta3 | Sta5 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => Aa8,
        (ReleaseRqReceived, Sta13) => Aa6,
        // Evt13
        (ReleaseRpReceived, Sta2) => Aa1,
        (ReleaseRpReceived, Sta7 | Sta11) => Ar3,
        (ReleaseRpReceived, Sta10) => Ar10,
        (ReleaseRpReceived, Sta3 | Sta5 | Sta6 | Sta8 | Sta9 | Sta12) => Aa8,
        (ReleaseRpReceived, Sta13) => Aa6,
        // Evt14
        (ReleaseResponse, Sta8 | Sta12) => Ar4,
        (ReleaseResponse, Sta9) => Ar9,
        // Evt15
        (AbortRequest, Sta4) => Aa2,
        (AbortRequest, Sta3 | Sta5 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => Aa1,
        // Evt16
        (AbortReceived, Sta2 | Sta13) => Aa2,
        (AbortReceived, Sta3 | Sta5 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => Aa3,
        // Evt17
        (TransportClosed, Sta2) => Aa5,
        (
            TransportClosed,
            Sta3 | Sta4 | Sta5 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12,
        ) => Aa4,
        (TransportClosed, Sta13) => Ar5,
        // Evt18
        (ArtimExpired, Sta2 | Sta13) => Aa2,
        // Evt19
        (InvalidPdu, Sta2) => Aa1,
        (InvalidPdu, Sta3 | Sta5 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12) => Aa8,
        (InvalidPdu, Sta13) => Aa7,
        _ => return None,
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled_cells() -> usize {
        let mut n = 0;
        for s in State::ALL {
            for e in ProtocolEvent::ALL {
                if transition(s, e).is_some() {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn exactly_123_cells_are_filled() {
        assert_eq!(filled_cells(), 123);
    }

    #[test]
    fn next_state_of_every_action() {
        use Action::*;
        use State::*;
        let expected = [
            (Ae1, Sta4),
            (Ae2, Sta5),
            (Ae3, Sta6),
            (Ae4, Sta1),
            (Ae5, Sta2),
            (Ae7, Sta6),
            (Ae8, Sta13),
            (Dt1, Sta6),
            (Dt2, Sta6),
            (Ar1, Sta7),
            (Ar2, Sta8),
            (Ar3, Sta1),
            (Ar4, Sta13),
            (Ar5, Sta1),
            (Ar6, Sta7),
            (Ar7, Sta8),
            (Ar9, Sta11),
            (Ar10, Sta12),
            (Aa1, Sta13),
            (Aa2, Sta1),
            (Aa3, Sta1),
            (Aa4, Sta1),
            (Aa5, Sta1),
            (Aa6, Sta13),
            (Aa7, Sta13),
            (Aa8, Sta13),
        ];
        // Unconditional actions ignore both inputs.
        for (action, state) in expected {
            for role in [Role::Requestor, Role::Acceptor] {
                for ok in [true, false] {
                    assert_eq!(action.next_state(role, ok), state, "{action}");
                }
            }
        }
        for role in [Role::Requestor, Role::Acceptor] {
            assert_eq!(Ae6.next_state(role, true), Sta3);
            assert_eq!(Ae6.next_state(role, false), Sta13);
        }
        for ok in [true, false] {
            assert_eq!(Ar8.next_state(Role::Requestor, ok), Sta9);
            assert_eq!(Ar8.next_state(Role::Acceptor, ok), Sta10);
        }
        // Every action except the two conditional ones is listed above exactly once.
        assert_eq!(expected.len() + 2, Action::ALL.len());
        for a in Action::ALL {
            let listed = expected.iter().filter(|(x, _)| *x == a).count();
            let conditional = matches!(a, Ae6 | Ar8);
            assert_eq!(listed, usize::from(!conditional), "{a}");
        }
    }

    #[test]
    fn labels_and_numbers() {
        for (i, s) in State::ALL.iter().enumerate() {
            let n = i + 1;
            assert_eq!(usize::from(s.number()), n);
            let mut buf = [0u8; 8];
            let want = format_into(&mut buf, "Sta", n);
            assert_eq!(s.label(), want);
        }
        for (i, e) in ProtocolEvent::ALL.iter().enumerate() {
            let n = i + 1;
            assert_eq!(usize::from(e.number()), n);
            let mut buf = [0u8; 8];
            let want = format_into(&mut buf, "Evt", n);
            assert_eq!(e.label(), want);
        }
        let labels: [&str; 28] = [
            "AE-1", "AE-2", "AE-3", "AE-4", "AE-5", "AE-6", "AE-7", "AE-8", "DT-1", "DT-2", "AR-1",
            "AR-2", "AR-3", "AR-4", "AR-5", "AR-6", "AR-7", "AR-8", "AR-9", "AR-10", "AA-1",
            "AA-2", "AA-3", "AA-4", "AA-5", "AA-6", "AA-7", "AA-8",
        ];
        for (a, l) in Action::ALL.iter().zip(labels) {
            assert_eq!(a.label(), l);
        }
    }

    #[test]
    fn display_uses_labels() {
        use core::fmt::Write;
        struct Buf([u8; 32], usize);
        impl Write for Buf {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                let end = self.1 + s.len();
                self.0[self.1..end].copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let mut b = Buf([0; 32], 0);
        write!(
            b,
            "{}/{}/{}",
            State::Sta12,
            ProtocolEvent::PDataReceived,
            Action::Ar10
        )
        .unwrap();
        assert_eq!(&b.0[..b.1], b"Sta12/Evt10/AR-10");
    }

    #[test]
    fn artim_and_transport_helpers() {
        use Action::*;
        let starts: [Action; 5] = [Ae5, Ae8, Ar4, Aa1, Aa8];
        let stops: [Action; 4] = [Ae6, Ar5, Aa2, Aa5];
        let closes: [Action; 5] = [Ae4, Ar3, Aa2, Aa3, Aa4];
        for a in Action::ALL {
            assert_eq!(a.stops_artim(), stops.contains(&a), "{a}");
            assert_eq!(a.closes_transport(), closes.contains(&a), "{a}");
            if a == Ae6 {
                assert!(a.starts_artim(false));
                assert!(!a.starts_artim(true));
            } else {
                assert_eq!(a.starts_artim(true), starts.contains(&a), "{a}");
                assert_eq!(a.starts_artim(false), starts.contains(&a), "{a}");
            }
        }
    }

    /// Evt18 has a cell only in Sta2 and Sta13, so an action that leaves ARTIM running must
    /// lead to one of them; otherwise an expiry would land on a blank cell.
    #[test]
    fn artim_starts_lead_to_states_that_handle_expiry() {
        for a in Action::ALL {
            for role in [Role::Requestor, Role::Acceptor] {
                for ok in [true, false] {
                    if a.starts_artim(ok) {
                        let next = a.next_state(role, ok);
                        assert!(
                            transition(next, ProtocolEvent::ArtimExpired).is_some(),
                            "{a} starts ARTIM but {next} has no Evt18 cell"
                        );
                    }
                }
            }
        }
    }

    /// No state is a dead end: each has at least one filled cell.
    #[test]
    fn every_reachable_state_has_transitions() {
        for s in State::ALL {
            assert!(
                ProtocolEvent::ALL
                    .iter()
                    .any(|&e| transition(s, e).is_some()),
                "{s}"
            );
        }
    }

    fn format_into<'a>(buf: &'a mut [u8; 8], prefix: &str, n: usize) -> &'a str {
        let p = prefix.len();
        buf[..p].copy_from_slice(prefix.as_bytes());
        let mut len = p;
        if n >= 10 {
            buf[len] = b'0' + (n / 10) as u8;
            len += 1;
        }
        buf[len] = b'0' + (n % 10) as u8;
        len += 1;
        core::str::from_utf8(&buf[..len]).unwrap()
    }
}
