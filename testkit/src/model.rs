//! The reference model of the Upper Layer protocol: the state transition table of PS3.8
//! Table 9-10 and the actions of §9.2.2, transcribed here independently of dimse-core's own
//! state machine, and an [`Observer`] that grades what an acceptor under test does, seen
//! from the wire, against it.
//!
//! # The table
//!
//! PS3.8 §9.2 describes one association end as a state machine: 13 states ([`State`],
//! Sta1 "idle" to Sta13 "awaiting transport close"), 19 events ([`Event`]: PDUs received,
//! requests of the local user, the transport and the ARTIM timer) and the actions
//! ([`Action`]: AE-1..AE-8 for establishment, DT-1/DT-2 for data, AR-1..AR-10 for release,
//! AA-1..AA-8 for aborts). Table 9-10 says, for every event in every state, which action is
//! taken; [`action`] reads it, [`Action::outcomes`] says what the action sends and which
//! state follows (§9.2.2). A blank cell is `None`: the event cannot happen there (a local
//! request the user may not make, or a PDU with no transport to arrive on).
//!
//! dimse-core's tests compare its `Connection` with this table step by step
//! (`core/tests/ul_model.rs`); the transcription lives here, apart from the core's own
//! (`dimse_core::ul::transition`), so that a mistake in one shows up against the other.
//!
//! # The observer
//!
//! An [`Observer`] follows an association-acceptor from the outside. The test tells it what
//! the acceptor received ([`Observer::received`], or the raw bytes with
//! [`Observer::received_bytes`]) and what it sent ([`Observer::sent`],
//! [`Observer::sent_bytes`]), in the order the test saw them; for every reaction the
//! observer returns a [`Verdict`]: [`Verdict::Allowed`] if Table 9-10 allows it from the
//! state it tracks, otherwise [`Verdict::NotAllowed`] with the state, the event and what the
//! table allowed instead. [`Observer::settled`] (the acceptor has processed all it was
//! given) and [`Observer::finish`] check that nothing the table requires is missing (an
//! A-ABORT that Evt19 requires, the close after ARTIM, ...).
//!
//! What the acceptor's local user does is not on the wire, so the observer allows each
//! choice the standard leaves it: to accept an A-ASSOCIATE-RQ (AE-7) or reject it (AE-6's
//! provider rejection, AE-8), to send P-DATA (DT-1, AR-7), to release (AR-1) or to abort
//! (AA-1, Evt15) where the table has a cell for it, and any Table 9-26 reason in a
//! service-provider A-ABORT. It allows nothing else: the acceptor may close the transport
//! only where an action closes it (AA-2 on ARTIM or an A-ABORT in Sta2/Sta13, AA-3, AR-3),
//! never instead of an A-ABORT the table requires.
//!
//! Which event a PDU is depends on whether it is valid (its own event, or Evt19). The
//! observer checks the framing of every PDU and the fields of the fixed-length ones
//! ([`classify`]); where it does not look (the content of an A-ASSOCIATE-RQ/AC or
//! P-DATA-TF, a field value the standard does not define) it allows the reactions to both
//! readings ([`Received::Unchecked`]). It also allows an acceptor to act on a PDU before
//! the whole of it is in, where what has arrived already decides the cell
//! ([`Received::Partial`]).
//!
//! A test that hands over several PDUs at once and reads the answers afterwards cannot say
//! which answer followed which PDU, nor, for a peer behind a socket, whether the peer had
//! read the bytes before it sent something; the observer then allows any order in which
//! the acceptor could have processed them (each action's PDU still comes before anything
//! the next event causes, as §9.2.2's actions are taken whole) until
//! [`Observer::settled`] says it has processed them all.
//!
//! [`grade`] plays a case of the hostile catalogue ([`crate::hostile`]) against a
//! [`Peer`] with an observer watching, and says whether the table allows all of it;
//! [`judge`] does the same for a transcript already recorded (a socket run's, or a case's
//! own expectation).
//!
//! ```
//! use dimse_testkit::model::{Event, Observer, PduType, Received, Sent, State, Verdict};
//!
//! // An acceptor that answers a P-DATA-TF before any A-ASSOCIATE-RQ with an
//! // A-ASSOCIATE-AC: Table 9-10, Evt10 in Sta2, is AA-1 (an A-ABORT), so it is wrong.
//! let mut o = Observer::acceptor();
//! o.received(Received::Pdu(PduType::PData));
//! match o.sent(Sent::Pdu(PduType::AssociateAc)) {
//!     Verdict::NotAllowed { state, event, allowed, .. } => {
//!         assert_eq!((state, event), (State::Sta2, Some(Event::Evt10)));
//!         assert_eq!(allowed[0].to_string(), "A-ABORT (service-user) by AA-1 (Evt10 in Sta2)");
//!     }
//!     Verdict::Allowed => unreachable!(),
//! }
//! ```

use std::fmt;

use dimse_core::Instant;

use crate::hostile::{self, Case, Reply, Step, Transcript};
use crate::pair::Peer;

// ---------------------------------------------------------------- states, events, actions

/// A state of PS3.8 §9.2.1 (Tables 9-1 to 9-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Sta1: Idle.
    Sta1,
    /// Sta2: Transport connection open (awaiting A-ASSOCIATE-RQ PDU).
    Sta2,
    /// Sta3: Awaiting local A-ASSOCIATE response primitive.
    Sta3,
    /// Sta4: Awaiting transport connection opening to complete.
    Sta4,
    /// Sta5: Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU.
    Sta5,
    /// Sta6: Association established and ready for data transfer.
    Sta6,
    /// Sta7: Awaiting A-RELEASE-RP PDU.
    Sta7,
    /// Sta8: Awaiting local A-RELEASE response primitive.
    Sta8,
    /// Sta9: Release collision requestor side; awaiting A-RELEASE response.
    Sta9,
    /// Sta10: Release collision acceptor side; awaiting A-RELEASE-RP PDU.
    Sta10,
    /// Sta11: Release collision requestor side; awaiting A-RELEASE-RP PDU.
    Sta11,
    /// Sta12: Release collision acceptor side; awaiting A-RELEASE response.
    Sta12,
    /// Sta13: Awaiting Transport Connection Close Indication.
    Sta13,
}

impl State {
    /// Sta1..Sta13, in order.
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

    /// The state's number, 1..=13.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The state numbered `n` (1..=13).
    pub fn from_number(n: u8) -> Option<State> {
        State::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// What the end of the association is doing in this state (PS3.8 §9.2.1, Tables 9-1 to
    /// 9-5).
    pub fn description(self) -> &'static str {
        match self {
            State::Sta1 => "Idle",
            State::Sta2 => "Transport connection open (awaiting A-ASSOCIATE-RQ PDU)",
            State::Sta3 => "Awaiting local A-ASSOCIATE response primitive",
            State::Sta4 => "Awaiting transport connection opening to complete",
            State::Sta5 => "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
            State::Sta6 => "Association established and ready for data transfer",
            State::Sta7 => "Awaiting A-RELEASE-RP PDU",
            State::Sta8 => "Awaiting local A-RELEASE response primitive",
            State::Sta9 => "Release collision requestor side; awaiting A-RELEASE response",
            State::Sta10 => "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
            State::Sta11 => "Release collision requestor side; awaiting A-RELEASE-RP PDU",
            State::Sta12 => "Release collision acceptor side; awaiting A-RELEASE response",
            State::Sta13 => "Awaiting Transport Connection Close Indication",
        }
    }

    /// Whether the ARTIM timer runs in this state. Every action that enters Sta13 starts it
    /// (AA-1, AA-8, AE-6's rejection, AE-8, AR-4) and none in Sta13 stops it but AA-2 and
    /// AR-5, which leave; AE-5 starts it for Sta2 and AE-6 stops it on leaving (§9.2.2).
    pub fn artim_running(self) -> bool {
        matches!(self, State::Sta2 | State::Sta13)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sta{}", self.number())
    }
}

/// An event of PS3.8 Table 9-10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// Evt1: A-ASSOCIATE Request (local user).
    Evt1,
    /// Evt2: Transport Conn. Confirmation (local transport service).
    Evt2,
    /// Evt3: A-ASSOCIATE-AC PDU (received on transport connection).
    Evt3,
    /// Evt4: A-ASSOCIATE-RJ PDU (received on transport connection).
    Evt4,
    /// Evt5: Transport Connection Indication (local transport service).
    Evt5,
    /// Evt6: A-ASSOCIATE-RQ PDU (received on transport connection).
    Evt6,
    /// Evt7: A-ASSOCIATE response primitive (accept).
    Evt7,
    /// Evt8: A-ASSOCIATE response primitive (reject).
    Evt8,
    /// Evt9: P-DATA request primitive.
    Evt9,
    /// Evt10: P-DATA-TF PDU.
    Evt10,
    /// Evt11: A-RELEASE Request primitive.
    Evt11,
    /// Evt12: A-RELEASE-RQ PDU (received on open transport connection).
    Evt12,
    /// Evt13: A-RELEASE-RP PDU (received on transport connection).
    Evt13,
    /// Evt14: A-RELEASE Response primitive.
    Evt14,
    /// Evt15: A-ABORT Request primitive.
    Evt15,
    /// Evt16: A-ABORT PDU (received on open transport connection).
    Evt16,
    /// Evt17: Transport connection closed indication (local transport service).
    Evt17,
    /// Evt18: ARTIM timer expired (Association reject/release timer).
    Evt18,
    /// Evt19: Unrecognized or invalid PDU received.
    Evt19,
}

impl Event {
    /// Evt1..Evt19, in order.
    pub const ALL: [Event; 19] = [
        Event::Evt1,
        Event::Evt2,
        Event::Evt3,
        Event::Evt4,
        Event::Evt5,
        Event::Evt6,
        Event::Evt7,
        Event::Evt8,
        Event::Evt9,
        Event::Evt10,
        Event::Evt11,
        Event::Evt12,
        Event::Evt13,
        Event::Evt14,
        Event::Evt15,
        Event::Evt16,
        Event::Evt17,
        Event::Evt18,
        Event::Evt19,
    ];

    /// The events a local user causes (requests and responses of the UL service user,
    /// Table 9-10): Evt1, Evt7, Evt8, Evt9, Evt11, Evt14, Evt15. On the wire they show only
    /// by what they send.
    pub const LOCAL: [Event; 7] = [
        Event::Evt1,
        Event::Evt7,
        Event::Evt8,
        Event::Evt9,
        Event::Evt11,
        Event::Evt14,
        Event::Evt15,
    ];

    /// The event's number, 1..=19.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The event numbered `n` (1..=19).
    pub fn from_number(n: u8) -> Option<Event> {
        Event::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The event a received PDU of type `t` is (Evt3, 4, 6, 10, 12, 13, 16), if it is well
    /// formed; an unrecognized or invalid one is Evt19.
    pub fn of_pdu(t: PduType) -> Event {
        match t {
            PduType::AssociateRq => Event::Evt6,
            PduType::AssociateAc => Event::Evt3,
            PduType::AssociateRj => Event::Evt4,
            PduType::PData => Event::Evt10,
            PduType::ReleaseRq => Event::Evt12,
            PduType::ReleaseRp => Event::Evt13,
            PduType::Abort => Event::Evt16,
        }
    }

    /// The event's definition in Table 9-10.
    pub fn description(self) -> &'static str {
        match self {
            Event::Evt1 => "A-ASSOCIATE Request (local user)",
            Event::Evt2 => "Transport Conn. Confirmation (local transport service)",
            Event::Evt3 => "A-ASSOCIATE-AC PDU (received on transport connection)",
            Event::Evt4 => "A-ASSOCIATE-RJ PDU (received on transport connection)",
            Event::Evt5 => "Transport Connection Indication (local transport service)",
            Event::Evt6 => "A-ASSOCIATE-RQ PDU (received on transport connection)",
            Event::Evt7 => "A-ASSOCIATE response primitive (accept)",
            Event::Evt8 => "A-ASSOCIATE response primitive (reject)",
            Event::Evt9 => "P-DATA request primitive",
            Event::Evt10 => "P-DATA-TF PDU",
            Event::Evt11 => "A-RELEASE Request primitive",
            Event::Evt12 => "A-RELEASE-RQ PDU (received on open transport connection)",
            Event::Evt13 => "A-RELEASE-RP PDU (received on transport connection)",
            Event::Evt14 => "A-RELEASE Response primitive",
            Event::Evt15 => "A-ABORT Request primitive",
            Event::Evt16 => "A-ABORT PDU (received on open transport connection)",
            Event::Evt17 => "Transport connection closed indication (local transport service)",
            Event::Evt18 => "ARTIM timer expired (Association reject/release timer)",
            Event::Evt19 => "Unrecognized or invalid PDU received",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Evt{}", self.number())
    }
}

/// An action of PS3.8 §9.2.2 (Tables 9-6 to 9-9 name them AE-n, DT-n, AR-n, AA-n).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// AE-1: Issue TRANSPORT CONNECT request primitive to local transport service.
    Ae1,
    /// AE-2: Send A-ASSOCIATE-RQ-PDU.
    Ae2,
    /// AE-3: Issue A-ASSOCIATE confirmation (accept) primitive.
    Ae3,
    /// AE-4: Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection.
    Ae4,
    /// AE-5: Issue Transport connection response primitive; start ARTIM timer.
    Ae5,
    /// AE-6: Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue
    /// A-ASSOCIATE indication primitive (Sta3); otherwise: issue A-ASSOCIATE-RJ-PDU and start
    /// ARTIM timer (Sta13).
    Ae6,
    /// AE-7: Send A-ASSOCIATE-AC PDU.
    Ae7,
    /// AE-8: Send A-ASSOCIATE-RJ PDU and start ARTIM timer.
    Ae8,
    /// DT-1: Send P-DATA-TF PDU.
    Dt1,
    /// DT-2: Send P-DATA indication primitive.
    Dt2,
    /// AR-1: Send A-RELEASE-RQ PDU.
    Ar1,
    /// AR-2: Issue A-RELEASE indication primitive.
    Ar2,
    /// AR-3: Issue A-RELEASE confirmation primitive, and close transport connection.
    Ar3,
    /// AR-4: Issue A-RELEASE-RP PDU and start ARTIM timer.
    Ar4,
    /// AR-5: Stop ARTIM timer.
    Ar5,
    /// AR-6: Issue P-DATA indication.
    Ar6,
    /// AR-7: Issue P-DATA-TF PDU.
    Ar7,
    /// AR-8: Issue A-RELEASE indication (release collision): Sta9 for the association-
    /// requestor, Sta10 otherwise.
    Ar8,
    /// AR-9: Send A-RELEASE-RP PDU.
    Ar9,
    /// AR-10: Issue A-RELEASE confirmation primitive.
    Ar10,
    /// AA-1: Send A-ABORT PDU (service-user source) and start (or restart if already started)
    /// ARTIM timer.
    Aa1,
    /// AA-2: Stop ARTIM timer if running. Close transport connection.
    Aa2,
    /// AA-3: Issue A-ABORT (service-user initiated) or A-P-ABORT (service-provider initiated)
    /// indication and close transport connection.
    Aa3,
    /// AA-4: Issue A-P-ABORT indication primitive.
    Aa4,
    /// AA-5: Stop ARTIM timer.
    Aa5,
    /// AA-6: Ignore PDU.
    Aa6,
    /// AA-7: Send A-ABORT PDU.
    Aa7,
    /// AA-8: Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and
    /// start ARTIM timer.
    Aa8,
}

/// The two ends of an association: AR-8 (a release collision) leads each to its own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The association-requestor.
    Requestor,
    /// The association-acceptor.
    Acceptor,
}

/// What an action sends on the transport connection, or that it closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    /// A PDU of this type (for an A-ABORT, see [`Need::Abort`]).
    Pdu(PduType),
    /// An A-ABORT PDU from this source (Table 9-26).
    Abort(AbortSource),
    /// The transport connection closed by this end.
    Close,
}

/// The source an A-ABORT PDU must carry (PS3.8 §9.2.2, Table 9-26).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AbortSource {
    /// AA-1: source 0 (DICOM UL service-user), reason sent as 00H.
    User,
    /// AA-8: source 2 (DICOM UL service-provider), a reason of Table 9-26.
    Provider,
    /// AA-7: "Send A-ABORT PDU", source not prescribed: either of the above.
    Any,
}

impl Need {
    /// Whether `sent` is what this asks for.
    pub fn matches(self, sent: Sent) -> bool {
        match (self, sent) {
            (Need::Pdu(t), Sent::Pdu(u)) => t == u && t != PduType::Abort,
            (Need::Abort(src), Sent::Abort { source, reason }) => {
                // Table 9-26: a service-user abort sends reason 00H; a service-provider one
                // one of 0, 1, 2, 4, 5, 6 (3 is reserved). Source 1 is reserved.
                let user = source == 0 && reason == 0;
                let provider = source == 2 && matches!(reason, 0 | 1 | 2 | 4 | 5 | 6);
                match src {
                    AbortSource::User => user,
                    AbortSource::Provider => provider,
                    AbortSource::Any => user || provider,
                }
            }
            (Need::Close, Sent::Closed) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Need::Pdu(t) => write!(f, "{t}"),
            Need::Abort(AbortSource::User) => write!(f, "A-ABORT (service-user)"),
            Need::Abort(AbortSource::Provider) => write!(f, "A-ABORT (service-provider)"),
            Need::Abort(AbortSource::Any) => write!(f, "A-ABORT"),
            Need::Close => write!(f, "transport close"),
        }
    }
}

/// One way an action ends (PS3.8 §9.2.2): the next state, and what it sends, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The next state.
    pub next: State,
    /// What the action sends or whether it closes the transport; `None` if neither (it may
    /// still issue a primitive to the local user, which the wire does not show).
    pub sends: Option<Need>,
}

impl Action {
    /// Every action, in the order of §9.2.2.
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

    /// The standard's name: "AE-1", "DT-2", "AR-10", "AA-8", ...
    pub fn label(self) -> &'static str {
        const LABELS: [&str; 28] = [
            "AE-1", "AE-2", "AE-3", "AE-4", "AE-5", "AE-6", "AE-7", "AE-8", "DT-1", "DT-2", "AR-1",
            "AR-2", "AR-3", "AR-4", "AR-5", "AR-6", "AR-7", "AR-8", "AR-9", "AR-10", "AA-1",
            "AA-2", "AA-3", "AA-4", "AA-5", "AA-6", "AA-7", "AA-8",
        ];
        LABELS[self as usize]
    }

    /// The action named `label` ("AE-1", ...).
    pub fn from_label(label: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.label() == label)
    }

    /// The action's definition in PS3.8 §9.2.2 (Tables 9-6 to 9-9), without its "Next
    /// state" (see [`Action::outcomes`]); AE-6, AR-8 and AA-3 condensed to one line.
    pub fn description(self) -> &'static str {
        match self {
            Action::Ae1 => "Issue TRANSPORT CONNECT request primitive to local transport service",
            Action::Ae2 => "Send A-ASSOCIATE-RQ-PDU",
            Action::Ae3 => "Issue A-ASSOCIATE confirmation (accept) primitive",
            Action::Ae4 => "Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection",
            Action::Ae5 => "Issue Transport connection response primitive; start ARTIM timer",
            Action::Ae6 => "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue A-ASSOCIATE indication primitive (Sta3); otherwise: issue A-ASSOCIATE-RJ-PDU and start ARTIM timer (Sta13)",
            Action::Ae7 => "Send A-ASSOCIATE-AC PDU",
            Action::Ae8 => "Send A-ASSOCIATE-RJ PDU and start ARTIM timer",
            Action::Dt1 => "Send P-DATA-TF PDU",
            Action::Dt2 => "Send P-DATA indication primitive",
            Action::Ar1 => "Send A-RELEASE-RQ PDU",
            Action::Ar2 => "Issue A-RELEASE indication primitive",
            Action::Ar3 => "Issue A-RELEASE confirmation primitive, and close transport connection",
            Action::Ar4 => "Issue A-RELEASE-RP PDU and start ARTIM timer",
            Action::Ar5 => "Stop ARTIM timer",
            Action::Ar6 => "Issue P-DATA indication",
            Action::Ar7 => "Issue P-DATA-TF PDU",
            Action::Ar8 => "Issue A-RELEASE indication (release collision): Sta9 for the association-requestor, Sta10 otherwise",
            Action::Ar9 => "Send A-RELEASE-RP PDU",
            Action::Ar10 => "Issue A-RELEASE confirmation primitive",
            Action::Aa1 => "Send A-ABORT PDU (service-user source) and start (or restart if already started) ARTIM timer",
            Action::Aa2 => "Stop ARTIM timer if running. Close transport connection",
            Action::Aa3 => "Issue A-ABORT (service-user initiated) or A-P-ABORT (service-provider initiated) indication and close transport connection",
            Action::Aa4 => "Issue A-P-ABORT indication primitive",
            Action::Aa5 => "Stop ARTIM timer",
            Action::Aa6 => "Ignore PDU",
            Action::Aa7 => "Send A-ABORT PDU",
            Action::Aa8 => "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and start ARTIM timer",
        }
    }

    /// How the action may end for an association end in `role` (PS3.8 §9.2.2). One outcome,
    /// except AE-6: Sta3 if the service provider finds the A-ASSOCIATE-RQ acceptable,
    /// otherwise an A-ASSOCIATE-RJ and Sta13 (the first outcome is the acceptable one).
    pub fn outcomes(self, role: Role) -> Vec<Outcome> {
        use PduType::*;
        use State::*;
        let o = |next: State, sends: Option<Need>| Outcome { next, sends };
        let pdu = |t: PduType| Some(Need::Pdu(t));
        let one = match self {
            Action::Ae1 => o(Sta4, None),
            Action::Ae2 => o(Sta5, pdu(AssociateRq)),
            Action::Ae3 => o(Sta6, None),
            Action::Ae4 => o(Sta1, Some(Need::Close)),
            Action::Ae5 => o(Sta2, None),
            Action::Ae6 => {
                return vec![o(Sta3, None), o(Sta13, pdu(AssociateRj))];
            }
            Action::Ae7 => o(Sta6, pdu(AssociateAc)),
            Action::Ae8 => o(Sta13, pdu(AssociateRj)),
            Action::Dt1 => o(Sta6, pdu(PData)),
            Action::Dt2 => o(Sta6, None),
            Action::Ar1 => o(Sta7, pdu(ReleaseRq)),
            Action::Ar2 => o(Sta8, None),
            Action::Ar3 => o(Sta1, Some(Need::Close)),
            Action::Ar4 => o(Sta13, pdu(ReleaseRp)),
            Action::Ar5 => o(Sta1, None),
            Action::Ar6 => o(Sta7, None),
            Action::Ar7 => o(Sta8, pdu(PData)),
            Action::Ar8 => match role {
                Role::Requestor => o(Sta9, None),
                Role::Acceptor => o(Sta10, None),
            },
            Action::Ar9 => o(Sta11, pdu(ReleaseRp)),
            Action::Ar10 => o(Sta12, None),
            Action::Aa1 => o(Sta13, Some(Need::Abort(AbortSource::User))),
            Action::Aa2 => o(Sta1, Some(Need::Close)),
            Action::Aa3 => o(Sta1, Some(Need::Close)),
            Action::Aa4 => o(Sta1, None),
            Action::Aa5 => o(Sta1, None),
            Action::Aa6 => o(Sta13, None),
            Action::Aa7 => o(Sta13, Some(Need::Abort(AbortSource::Any))),
            Action::Aa8 => o(Sta13, Some(Need::Abort(AbortSource::Provider))),
        };
        vec![one]
    }

    /// The state the action leads to (PS3.8 §9.2.2); for AE-6, `acceptable` says whether
    /// the service provider accepts the A-ASSOCIATE-RQ.
    pub fn next_state(self, role: Role, acceptable: bool) -> State {
        let outcomes = self.outcomes(role);
        if self == Action::Ae6 && !acceptable {
            outcomes[1].next
        } else {
            outcomes[0].next
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// PS3.8 Table 9-10: for each event Evt1..Evt19, the action in each state Sta1..Sta13
/// (`None` for a blank cell). Transcribed from the standard, row by row.
#[rustfmt::skip]
pub const TABLE: [[Option<Action>; 13]; 19] = {
    use Action::*;
    const N: Option<Action> = None;
    const fn s(a: Action) -> Option<Action> { Some(a) }
    [
        /* Evt1  */ [s(Ae1), N, N, N, N, N, N, N, N, N, N, N, N],
        /* Evt2  */ [N, N, N, s(Ae2), N, N, N, N, N, N, N, N, N],
        /* Evt3  */ [N, s(Aa1), s(Aa8), N, s(Ae3), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa6)],
        /* Evt4  */ [N, s(Aa1), s(Aa8), N, s(Ae4), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa6)],
        /* Evt5  */ [s(Ae5), N, N, N, N, N, N, N, N, N, N, N, N],
        /* Evt6  */ [N, s(Ae6), s(Aa8), N, s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa7)],
        /* Evt7  */ [N, N, s(Ae7), N, N, N, N, N, N, N, N, N, N],
        /* Evt8  */ [N, N, s(Ae8), N, N, N, N, N, N, N, N, N, N],
        /* Evt9  */ [N, N, N, N, N, s(Dt1), N, s(Ar7), N, N, N, N, N],
        /* Evt10 */ [N, s(Aa1), s(Aa8), N, s(Aa8), s(Dt2), s(Ar6), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa6)],
        /* Evt11 */ [N, N, N, N, N, s(Ar1), N, N, N, N, N, N, N],
        /* Evt12 */ [N, s(Aa1), s(Aa8), N, s(Aa8), s(Ar2), s(Ar8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa6)],
        /* Evt13 */ [N, s(Aa1), s(Aa8), N, s(Aa8), s(Aa8), s(Ar3), s(Aa8), s(Aa8), s(Ar10), s(Ar3), s(Aa8), s(Aa6)],
        /* Evt14 */ [N, N, N, N, N, N, N, s(Ar4), s(Ar9), N, N, s(Ar4), N],
        /* Evt15 */ [N, N, s(Aa1), s(Aa2), s(Aa1), s(Aa1), s(Aa1), s(Aa1), s(Aa1), s(Aa1), s(Aa1), s(Aa1), N],
        /* Evt16 */ [N, s(Aa2), s(Aa3), N, s(Aa3), s(Aa3), s(Aa3), s(Aa3), s(Aa3), s(Aa3), s(Aa3), s(Aa3), s(Aa2)],
        /* Evt17 */ [N, s(Aa5), s(Aa4), s(Aa4), s(Aa4), s(Aa4), s(Aa4), s(Aa4), s(Aa4), s(Aa4), s(Aa4), s(Aa4), s(Ar5)],
        /* Evt18 */ [N, s(Aa2), N, N, N, N, N, N, N, N, N, N, s(Aa2)],
        /* Evt19 */ [N, s(Aa1), s(Aa8), N, s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa8), s(Aa7)],
    ]
};

/// The action Table 9-10 takes for `event` in `state`, or `None` for a blank cell.
pub fn action(event: Event, state: State) -> Option<Action> {
    TABLE[event as usize][state as usize]
}

// ---------------------------------------------------------------- what crosses the wire

/// The PDU types of PS3.8 §9.3 (Table 9-10's events name them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PduType {
    /// 01H.
    AssociateRq = 1,
    /// 02H.
    AssociateAc,
    /// 03H.
    AssociateRj,
    /// 04H.
    PData,
    /// 05H.
    ReleaseRq,
    /// 06H.
    ReleaseRp,
    /// 07H.
    Abort,
}

impl PduType {
    /// The type of PDU-type byte `b`, if PS3.8 §9.3 defines it.
    pub fn from_byte(b: u8) -> Option<PduType> {
        use PduType::*;
        [
            AssociateRq,
            AssociateAc,
            AssociateRj,
            PData,
            ReleaseRq,
            ReleaseRp,
            Abort,
        ]
        .get(usize::from(b).checked_sub(1)?)
        .copied()
    }
}

impl fmt::Display for PduType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PduType::AssociateRq => "A-ASSOCIATE-RQ",
            PduType::AssociateAc => "A-ASSOCIATE-AC",
            PduType::AssociateRj => "A-ASSOCIATE-RJ",
            PduType::PData => "P-DATA-TF",
            PduType::ReleaseRq => "A-RELEASE-RQ",
            PduType::ReleaseRp => "A-RELEASE-RP",
            PduType::Abort => "A-ABORT",
        })
    }
}

/// What happened to the acceptor under test: a PDU arrived, the transport closed, time
/// passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// A well-formed PDU of this type: its event (Evt3, 4, 6, 10, 12, 13, 16).
    Pdu(PduType),
    /// An unrecognized or invalid PDU: Evt19.
    Invalid,
    /// A PDU whose framing is valid but whose content the test has not checked (a
    /// P-DATA-TF's presentation context and command set, say): the acceptor may take it as
    /// the PDU's event or as invalid (Evt19), and the observer allows the reactions to both.
    Unchecked(PduType),
    /// The start of a PDU of type byte `pdu_type` has arrived (at least its header), and its
    /// PDU-length says more is to come; `invalid`: what has arrived already makes it invalid
    /// whatever follows (an unknown type, a wrong fixed length, an item that overruns the
    /// PDU). Table 9-10's events are whole PDUs, and the acceptor may wait for the whole
    /// one, which comes as its own [`Received`]; but it may also act as soon as the cell is
    /// certain: on an invalid start (Evt19), or where the PDU's own event and Evt19 take
    /// the same action in that state (anything but an A-ASSOCIATE-RQ or A-ABORT in Sta2 is
    /// AA-1); and on an `unchecked` start as on an invalid one.
    Partial {
        /// The PDU-type byte.
        pdu_type: u8,
        /// The start already makes the PDU invalid.
        invalid: bool,
        /// The start holds content this module does not check (see
        /// [`Received::Unchecked`]), which may already make it invalid to the acceptor.
        unchecked: bool,
    },
    /// The other side closed the transport connection: Evt17.
    TransportClosed,
    /// Time passed. `artim_expired`: if the ARTIM timer runs (Sta2, Sta13), it has expired
    /// by now (Evt18), which the test knows from the acceptor's ARTIM value (PS3.8 §9.1.5
    /// leaves it to the implementation).
    Elapsed {
        /// ARTIM, if running, has expired.
        artim_expired: bool,
    },
}

/// What the acceptor under test did that the other side sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// A PDU of this type (an A-ABORT is [`Sent::Abort`]).
    Pdu(PduType),
    /// An A-ABORT PDU with its source and reason/diag. fields (Table 9-26).
    Abort {
        /// Source: 0 service-user, 2 service-provider.
        source: u8,
        /// Reason/Diag.
        reason: u8,
    },
    /// A PDU §9.3 does not let it send, with its type byte: an unknown type, broken
    /// framing, or an A-ASSOCIATE-RJ with a value Table 9-21 does not define.
    Other(u8),
    /// The acceptor closed the transport connection.
    Closed,
}

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sent::Pdu(t) => write!(f, "{t}"),
            Sent::Abort { source, reason } => {
                write!(f, "A-ABORT (source {source}, reason {reason})")
            }
            Sent::Other(t) => write!(f, "PDU type {t:02X}H"),
            Sent::Closed => write!(f, "transport close"),
        }
    }
}

/// A reaction Table 9-10 allows: what is sent, and the cell whose action sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reaction {
    /// What is sent (or the close).
    pub sends: Need,
    /// The event.
    pub event: Event,
    /// The state the event came in.
    pub state: State,
    /// The action Table 9-10 takes.
    pub action: Action,
}

impl fmt::Display for Reaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} by {} ({} in {})",
            self.sends, self.action, self.event, self.state
        )
    }
}

/// The observer's answer for one reaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Table 9-10 allows it.
    Allowed,
    /// Table 9-10 does not allow it.
    NotAllowed {
        /// The state the acceptor was in: where the event came in if an action still owed
        /// something, otherwise the state it rested in.
        state: State,
        /// The event that led there, if any.
        event: Option<Event>,
        /// What the table allowed instead (empty: nothing may be sent; the only thing left
        /// is to wait).
        allowed: Vec<Reaction>,
        /// What the acceptor did; `None` for [`Observer::settled`] and
        /// [`Observer::finish`]: nothing more.
        got: Option<Sent>,
    },
}

impl Verdict {
    /// Whether the verdict is [`Verdict::Allowed`].
    pub fn is_allowed(&self) -> bool {
        *self == Verdict::Allowed
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Allowed => write!(f, "allowed"),
            Verdict::NotAllowed {
                state,
                event,
                allowed,
                got,
            } => {
                match got {
                    Some(s) => write!(f, "{s} not allowed in {state}")?,
                    None => write!(f, "nothing more sent in {state}")?,
                }
                if let Some(e) = event {
                    write!(f, " after {e}")?;
                }
                write!(f, "; Table 9-10 allows ")?;
                if allowed.is_empty() {
                    return write!(f, "nothing to be sent there");
                }
                for (i, r) in allowed.iter().enumerate() {
                    write!(f, "{}{r}", if i > 0 { " or " } else { "" })?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------- the observer

/// One reading of what the acceptor may have done so far.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Config {
    state: State,
    /// How many of the observer's inputs this reading has processed.
    next: usize,
    /// What the last action must still send before anything else happens (§9.2.2's actions
    /// are taken whole).
    owed: Option<Reaction>,
    /// The last event processed.
    last: Option<Event>,
    /// The acceptor acted on the start of the PDU now arriving ([`Received::Partial`]): the
    /// whole PDU, when it comes, is no new event.
    early: bool,
}

/// Follows an association-acceptor through Table 9-10 from what it received and sent; see
/// the module documentation.
///
/// It keeps every reading of the acceptor's state the wire allows (the local user's
/// choices, and in which order several PDUs received at once were processed) and narrows
/// them with each thing the acceptor sends.
#[derive(Debug, Clone)]
pub struct Observer {
    role: Role,
    inputs: Vec<Received>,
    configs: Vec<Config>,
    rx: Framer,
    tx: Framer,
    /// The PDU the acceptor is sending was judged from its start (invalid).
    tx_judged: bool,
    reactions: usize,
}

impl Observer {
    /// An acceptor whose transport connection has just opened: Evt5, AE-5, Sta2 with ARTIM
    /// running.
    pub fn acceptor() -> Observer {
        Observer {
            role: Role::Acceptor,
            inputs: Vec::new(),
            configs: vec![Config {
                state: action(Event::Evt5, State::Sta1)
                    .expect("AE-5")
                    .next_state(Role::Acceptor, true),
                next: 0,
                owed: None,
                last: Some(Event::Evt5),
                early: false,
            }],
            rx: Framer::default(),
            tx: Framer::default(),
            tx_judged: false,
            reactions: 0,
        }
    }

    /// The acceptor received `r` (or time passed, or the transport closed).
    pub fn received(&mut self, r: Received) {
        self.inputs.push(r);
    }

    /// The acceptor received `bytes` (any chunk of the stream): each whole PDU becomes a
    /// [`Received`] as [`classify`] says, and the start of one not whole yet a
    /// [`Received::Partial`] (again when what arrives makes it invalid).
    pub fn received_bytes(&mut self, bytes: &[u8]) {
        for unit in self.rx.feed(bytes) {
            self.inputs.push(match unit {
                Unit::Pdu(pdu) => classify(&pdu),
                Unit::Partial {
                    t,
                    invalid,
                    unchecked,
                } => Received::Partial {
                    pdu_type: t,
                    invalid,
                    unchecked,
                },
            });
        }
    }

    /// The acceptor sent `s`: whether Table 9-10 allows it. After a `NotAllowed` the
    /// observer goes on as if `s` had not happened.
    pub fn sent(&mut self, s: Sent) -> Verdict {
        self.reactions += 1;
        let closure = self.closure();
        let mut after: Vec<Config> = Vec::new();
        for c in &closure {
            for n in self.explain(c, s) {
                if !after.contains(&n) {
                    after.push(n);
                }
            }
        }
        if after.is_empty() {
            return self.not_allowed(&closure, Some(s));
        }
        self.configs = after;
        Verdict::Allowed
    }

    /// The acceptor sent `bytes` (any chunk of its stream): a verdict for each whole PDU.
    pub fn sent_bytes(&mut self, bytes: &[u8]) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        for u in self.tx.feed(bytes) {
            let s = match u {
                // Judged as soon as it cannot be a PDU of §9.3, and only then.
                Unit::Partial {
                    t, invalid: true, ..
                } => {
                    self.tx_judged = true;
                    Sent::Other(t)
                }
                Unit::Partial { .. } => continue,
                Unit::Pdu(_) if std::mem::take(&mut self.tx_judged) => continue,
                Unit::Pdu(p) => match classify(&p) {
                    // Its values are judged against what the action requires.
                    Received::Pdu(PduType::Abort) | Received::Unchecked(PduType::Abort) => {
                        Sent::Abort {
                            source: p[8],
                            reason: p[9],
                        }
                    }
                    // Table 9-21's values are the sender's to get right.
                    Received::Unchecked(PduType::AssociateRj) => Sent::Other(p[0]),
                    Received::Pdu(t) | Received::Unchecked(t) => Sent::Pdu(t),
                    _ => Sent::Other(p[0]),
                },
            };
            verdicts.push(self.sent(s));
        }
        verdicts
    }

    /// The acceptor has processed everything it received and sent everything those events
    /// made it send (a Sans-IO peer whose output has been drained, a socket peer that has
    /// been given time): whether it left nothing undone that the table requires (an A-ABORT,
    /// an A-ASSOCIATE-RJ, the close after ARTIM, ...). From here on only the readings in
    /// which it did so remain.
    pub fn settled(&mut self) -> Verdict {
        let closure = self.closure();
        let done: Vec<Config> = closure
            .iter()
            .filter(|c| c.next == self.inputs.len() && c.owed.is_none())
            .cloned()
            .collect();
        if done.is_empty() {
            // What is missing: the readings that processed everything or stopped at a
            // reaction they owe.
            let stuck: Vec<Config> = closure
                .into_iter()
                .filter(|c| c.next == self.inputs.len() || c.owed.is_some())
                .collect();
            return self.not_allowed(&stuck, None);
        }
        self.configs = done;
        Verdict::Allowed
    }

    /// The end: [`Observer::settled`], counted as one more reaction judged (nothing more
    /// sent).
    pub fn finish(&mut self) -> Verdict {
        self.reactions += 1;
        self.settled()
    }

    /// The states the acceptor may be in once it has processed everything it received and
    /// sent everything that owes (empty if no reading gets there).
    pub fn states(&self) -> Vec<State> {
        let mut v: Vec<State> = self
            .closure()
            .iter()
            .filter(|c| c.next == self.inputs.len() && c.owed.is_none())
            .map(|c| c.state)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// How many reactions (sent PDUs, closes and [`Observer::finish`]) have been judged.
    pub fn reactions(&self) -> usize {
        self.reactions
    }

    /// The readings after processing any number of the inputs not processed yet.
    fn closure(&self) -> Vec<Config> {
        let mut all = self.configs.clone();
        let mut i = 0;
        while i < all.len() {
            let c = all[i].clone();
            i += 1;
            if c.owed.is_some() || c.next >= self.inputs.len() {
                continue;
            }
            for n in self.process(&c, self.inputs[c.next]) {
                if !all.contains(&n) {
                    all.push(n);
                }
            }
        }
        all
    }

    /// The readings after `c` processes input `r`.
    fn process(&self, c: &Config, r: Received) -> Vec<Config> {
        let skip = Config {
            next: c.next + 1,
            ..c.clone()
        };
        if let Received::Partial {
            pdu_type,
            invalid,
            unchecked,
        } = r
        {
            // Waiting for the rest is always a reading; acting now one where the cell is
            // already certain.
            let mut out = vec![skip];
            if !c.early {
                let e19 = action(Event::Evt19, c.state);
                let now = match PduType::from_byte(pdu_type) {
                    Some(t) if !invalid && !unchecked => {
                        let own = action(Event::of_pdu(t), c.state);
                        (own.is_some() && own == e19).then_some((Event::of_pdu(t), own))
                    }
                    _ => Some((Event::Evt19, e19)),
                };
                if let Some((e, a)) = now {
                    out.extend(
                        self.take(c, e, a)
                            .into_iter()
                            .map(|n| Config { early: true, ..n }),
                    );
                }
            }
            return out;
        }
        if c.early
            && matches!(
                r,
                Received::Pdu(_) | Received::Invalid | Received::Unchecked(_)
            )
        {
            return vec![Config {
                early: false,
                ..skip
            }];
        }
        let events: Vec<Event> = match r {
            Received::Pdu(t) => vec![Event::of_pdu(t)],
            Received::Invalid => vec![Event::Evt19],
            Received::Unchecked(t) => vec![Event::of_pdu(t), Event::Evt19],
            Received::TransportClosed => vec![Event::Evt17],
            Received::Elapsed { artim_expired } if artim_expired && c.state.artim_running() => {
                vec![Event::Evt18]
            }
            Received::Elapsed { .. } | Received::Partial { .. } => vec![],
        };
        if events.is_empty() {
            return vec![skip];
        }
        events
            .into_iter()
            .flat_map(|e| self.take(c, e, action(e, c.state)))
            .collect()
    }

    /// The readings after `c` takes event `e`, whose cell is `a`; the input is processed.
    fn take(&self, c: &Config, e: Event, a: Option<Action>) -> Vec<Config> {
        // A blank cell for something the wire brought is an event that cannot happen there:
        // only Sta1 (no transport left to bring it) for an acceptor.
        let Some(a) = a else {
            return vec![Config {
                next: c.next + 1,
                ..c.clone()
            }];
        };
        a.outcomes(self.role)
            .into_iter()
            .map(|o| Config {
                state: o.next,
                next: c.next + 1,
                owed: o.sends.map(|sends| Reaction {
                    sends,
                    event: e,
                    state: c.state,
                    action: a,
                }),
                last: Some(e),
                early: c.early,
            })
            .collect()
    }

    /// The reactions `c` may show next: what it owes, or else what its local user may do.
    fn options(&self, c: &Config) -> Vec<Reaction> {
        if let Some(r) = c.owed {
            return vec![r];
        }
        let mut v = Vec::new();
        for e in Event::LOCAL {
            let Some(a) = action(e, c.state) else {
                continue;
            };
            for o in a.outcomes(self.role) {
                if let Some(sends) = o.sends {
                    v.push(Reaction {
                        sends,
                        event: e,
                        state: c.state,
                        action: a,
                    });
                }
            }
        }
        v
    }

    /// The readings in which `c` sends `s`.
    fn explain(&self, c: &Config, s: Sent) -> Vec<Config> {
        if let Some(r) = c.owed {
            if r.sends.matches(s) {
                return vec![Config {
                    owed: None,
                    ..c.clone()
                }];
            }
            return vec![];
        }
        // Sta1: the transport is closed; saying so again changes nothing.
        if c.state == State::Sta1 && s == Sent::Closed {
            return vec![c.clone()];
        }
        let mut v = Vec::new();
        for r in self.options(c) {
            if r.sends.matches(s) {
                let next = r
                    .action
                    .outcomes(self.role)
                    .into_iter()
                    .find(|o| o.sends == Some(r.sends))
                    .expect("the outcome that sends it")
                    .next;
                v.push(Config {
                    state: next,
                    owed: None,
                    last: Some(r.event),
                    ..c.clone()
                });
            }
        }
        v
    }

    fn not_allowed(&self, closure: &[Config], got: Option<Sent>) -> Verdict {
        // Report the reading that got furthest through the inputs (the first such, which
        // took the PDU's own event before Evt19 for an unchecked one).
        let c = closure
            .iter()
            .rev()
            .max_by_key(|c| (c.next, c.owed.is_some(), std::cmp::Reverse(c.state)))
            .expect("at least one reading");
        let (state, event) = match c.owed {
            Some(r) => (r.state, Some(r.event)),
            None => (c.state, c.last),
        };
        let mut allowed: Vec<Reaction> = closure.iter().flat_map(|c| self.options(c)).collect();
        allowed.sort();
        allowed.dedup();
        Verdict::NotAllowed {
            state,
            event,
            allowed,
            got,
        }
    }
}

// ---------------------------------------------------------------- framing

/// A piece of a byte stream.
#[derive(Debug, Clone)]
enum Unit {
    /// A whole PDU (for one with an invalid header: the header, once the bytes its
    /// PDU-length covers have passed).
    Pdu(Vec<u8>),
    /// The start of a PDU not whole yet; `invalid` if it is invalid whatever follows. Given
    /// once when the header is in, and again if what follows makes it invalid.
    Partial {
        t: u8,
        invalid: bool,
        unchecked: bool,
    },
}

/// Cuts a byte stream into PDUs by their headers (PS3.8 §9.3.1: type, reserved, a 32-bit
/// big-endian PDU-length).
#[derive(Debug, Clone, Default)]
struct Framer {
    buf: Vec<u8>,
    /// A PDU with an invalid header: its header, and how many bytes it still covers.
    skipping: Option<(Vec<u8>, u64)>,
    /// The longest PDU-length of a valid header so far: (type, length).
    longest: Option<(u8, u32)>,
    /// The last [`Unit::Partial`] given for the PDU at the start of `buf`: (invalid,
    /// unchecked).
    announced: Option<(bool, bool)>,
}

impl Framer {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Unit> {
        let mut out = Vec::new();
        let mut input = bytes.to_vec();
        loop {
            if let Some((header, left)) = self.skipping.as_mut() {
                let n = (*left).min(input.len() as u64) as usize;
                *left -= n as u64;
                input.drain(..n);
                if *left > 0 {
                    return out;
                }
                out.push(Unit::Pdu(std::mem::take(header)));
                self.skipping = None;
            }
            self.buf.append(&mut input);
            if self.buf.len() < 6 {
                return out;
            }
            let t = self.buf[0];
            let len = u32::from_be_bytes([self.buf[2], self.buf[3], self.buf[4], self.buf[5]]);
            if !header_valid(t, len) {
                // Judged from the header; its PDU-length still says where the next begins.
                input = self.buf.split_off(6);
                let header = std::mem::take(&mut self.buf);
                if len > 0 {
                    out.push(Unit::Partial {
                        t,
                        invalid: true,
                        unchecked: false,
                    });
                }
                self.skipping = Some((header, u64::from(len)));
                continue;
            }
            if self.longest.is_none_or(|(_, l)| len > l) {
                self.longest = Some((t, len));
            }
            let whole = 6 + len as usize;
            if self.buf.len() < whole {
                let invalid = start_invalid(&self.buf, len);
                let unchecked = unchecked(&self.buf);
                let news = match self.announced {
                    None => true,
                    Some((i, u)) => (invalid && !i) || (unchecked && !u),
                };
                if news {
                    out.push(Unit::Partial {
                        t,
                        invalid,
                        unchecked,
                    });
                    self.announced = Some((invalid, unchecked));
                }
                return out;
            }
            self.announced = None;
            let rest = self.buf.split_off(whole);
            out.push(Unit::Pdu(std::mem::replace(&mut self.buf, rest)));
        }
    }
}

/// Whether `start`, the PDU so far (all of it, or the beginning) of a PDU-length `len` with
/// a valid header, is invalid whatever follows: its items do not tile it (the PDVs of a
/// P-DATA-TF, each at least a context ID and a control header, §9.3.5; the items of an
/// A-ASSOCIATE-RQ/AC and the sub-items of its presentation context and user information
/// items, §9.3.2, §9.3.3).
fn start_invalid(start: &[u8], len: u32) -> bool {
    let end = 6 + len as usize;
    match PduType::from_byte(start[0]) {
        Some(PduType::PData) => {}
        Some(PduType::AssociateRq | PduType::AssociateAc) => {
            return items_invalid(start.get(74..).unwrap_or(&[]), end - 74, true);
        }
        _ => return false,
    }
    let mut at = 6;
    while at < end {
        // A PDV item: a 32-bit length, then at least the context ID and control header.
        if end - at < 4 {
            return true;
        }
        let Some(h) = start.get(at..at + 4) else {
            return false;
        };
        let item = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if item < 2 || at + 4 + item > end {
            return true;
        }
        at += 4 + item;
    }
    false
}

/// Whether a header can begin a valid PDU: a type of §9.3 and a PDU-length it may have
/// (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT are 4 bytes long, §9.3.4, §9.3.6-§9.3.8;
/// an A-ASSOCIATE-RQ/AC has at least its 68 fixed bytes, §9.3.2, §9.3.3; a P-DATA-TF at
/// least one PDV item of a 4-byte length, a context ID and a control header, §9.3.5).
fn header_valid(t: u8, len: u32) -> bool {
    match PduType::from_byte(t) {
        None => false,
        Some(PduType::AssociateRq | PduType::AssociateAc) => len >= 68,
        Some(PduType::PData) => len >= 6,
        Some(_) => len == 4,
    }
}

/// How an acceptor must read a whole PDU (PS3.8 §9.3):
///
/// * [`Received::Invalid`] (Evt19) if its framing is broken: an unknown type; a fixed-length
///   PDU (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT) whose PDU-length is not 4; an
///   A-ASSOCIATE-RQ/AC whose items after the 68 fixed bytes, or the sub-items of its
///   presentation context (20H, 21H) and user information (50H) items, do not tile their
///   parent; a P-DATA-TF without PDV items (each at least a context ID and a control
///   header) tiling it.
/// * [`Received::Unchecked`] if it holds content this module does not check: every
///   A-ASSOCIATE-RQ/AC and P-DATA-TF (AE titles, UIDs, the presentation context of a PDV,
///   the command set, ...), and an A-ASSOCIATE-RJ or A-ABORT with a field value Tables 9-21
///   and 9-26 do not define (which an acceptor may take as invalid or not).
/// * [`Received::Pdu`] otherwise: A-RELEASE-RQ/RP, and A-ASSOCIATE-RJ and A-ABORT with
///   defined values.
pub fn classify(pdu: &[u8]) -> Received {
    if pdu.len() < 6 {
        return Received::Invalid;
    }
    let len = u32::from_be_bytes([pdu[2], pdu[3], pdu[4], pdu[5]]);
    if pdu.len() != 6 + len as usize || !header_valid(pdu[0], len) {
        return Received::Invalid;
    }
    let Some(t) = PduType::from_byte(pdu[0]) else {
        return Received::Invalid;
    };
    if start_invalid(pdu, len) {
        Received::Invalid
    } else if unchecked(pdu) {
        Received::Unchecked(t)
    } else {
        Received::Pdu(t)
    }
}

/// Whether `start`, a PDU or its beginning (with a valid header), holds content this
/// module does not check, which an acceptor may find invalid: anything in an
/// A-ASSOCIATE-RQ/AC beyond its items' framing (protocol version, AE titles, UIDs, ...) and
/// in a P-DATA-TF beyond its PDVs' (presentation context, command set, ...); in an
/// A-ASSOCIATE-RJ or A-ABORT a field value the standard does not define (Table 9-21:
/// result 1-2, source 1-3 and its reasons; Table 9-26: source 0 or 2, a provider's reasons
/// 0-2 and 4-6). A-RELEASE-RQ/RP have no field but reserved ones (not tested, §9.3.1).
fn unchecked(start: &[u8]) -> bool {
    let field = |i: usize| start.get(i).copied();
    match PduType::from_byte(start[0]) {
        Some(PduType::AssociateRq | PduType::AssociateAc | PduType::PData) => true,
        Some(PduType::AssociateRj) => {
            let result = field(7).is_some_and(|r| !matches!(r, 1 | 2));
            let reason = match (field(8), field(9)) {
                (Some(1), Some(r)) => !matches!(r, 1 | 2 | 3 | 7),
                (Some(2 | 3), Some(r)) => !matches!(r, 1 | 2),
                (Some(s), _) => !matches!(s, 1..=3),
                (None, _) => false,
            };
            result || reason
        }
        Some(PduType::Abort) => match (field(8), field(9)) {
            (Some(0), _) | (None, _) => false,
            (Some(2), Some(r)) => !matches!(r, 0 | 1 | 2 | 4 | 5 | 6),
            (Some(2), None) => false,
            (Some(_), _) => true,
        },
        _ => false,
    }
}

/// Whether items of (type, reserved, 16-bit length) that must cover `total` bytes exactly,
/// of which `avail` have arrived, fail to whatever follows: one overruns `total`, or fewer
/// than 4 bytes are left for the next. `nested`: the A-ASSOCIATE-RQ/AC's top-level items,
/// whose presentation context items (20H, 21H: ID, reserved, result, reserved, then
/// sub-items) and user information item (50H) are checked the same way inside.
fn items_invalid(avail: &[u8], total: usize, nested: bool) -> bool {
    let mut at = 0;
    while at < total {
        if total - at < 4 {
            return true;
        }
        let Some(h) = avail.get(at..at + 4) else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        if at + 4 + len > total {
            return true;
        }
        let body = &avail[(at + 4).min(avail.len())..(at + 4 + len).min(avail.len())];
        let inner = match h[0] {
            0x20 | 0x21 if nested => {
                len < 4 || items_invalid(body.get(4..).unwrap_or(&[]), len - 4, false)
            }
            0x50 if nested => items_invalid(body, len, false),
            _ => false,
        };
        if inner {
            return true;
        }
        at += 4 + len;
    }
    false
}

// ---------------------------------------------------------------- grading a catalogue case

/// How [`grade`] or [`judge`] judged a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grade {
    /// Table 9-10 allows everything the peer did; `reactions` were judged.
    Allowed {
        /// How many reactions were judged.
        reactions: usize,
    },
    /// Something the peer did (or left undone) is not allowed.
    NotAllowed {
        /// The index of the step after which it showed (`steps.len()` for the end).
        step: usize,
        /// The observer's verdict.
        verdict: Verdict,
    },
    /// The observer cannot follow this case from the wire; why.
    NotUnderstood(String),
}

impl Grade {
    /// Whether the grade is [`Grade::Allowed`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Grade::Allowed { .. })
    }
}

/// Whether the observer can follow `case` from the wire, and if not, why: its steps must not
/// include [`Step::LocalRelease`] (a local action the wire does not show), and no PDU may
/// announce more bytes than the acceptor takes (the catalogue's [`hostile::limits`]): an
/// acceptor may refuse a longer one from its header alone, before the PDU is whole, by a
/// limit the table does not know.
pub fn understands(case: &Case) -> Result<(), String> {
    let mut rx = Framer::default();
    for s in &case.steps {
        match s {
            Step::Send(b) | Step::SendAwait(b) => {
                rx.feed(b);
            }
            Step::LocalRelease => {
                return Err("a local release request (Evt11), which the wire does not show".into());
            }
            // The core run's checkpoint; `play` passes over it, and so does `grade`.
            Step::State(_) | Step::Pause(_) | Step::Close | Step::Mark => {}
        }
    }
    let l = hostile::limits();
    let limit = l.max_pdu_length.min(l.max_associate_length);
    match rx.longest {
        Some((t, len)) if len > limit => Err(format!(
            "a PDU (type {t:02X}H) of {len} bytes, beyond the acceptor's limit of {limit}"
        )),
        _ => Ok(()),
    }
}

/// Judges `replies`, what an acceptor sent in `case` as a [`Transcript`] records it (from
/// [`hostile::play`], a socket run, or the case's own [`Case::expect`]), without a peer:
/// the steps are received in order, the replies between two [`Reply::Mark`]s are sent
/// after the steps up to the matching [`Step::Mark`] (in any interleaving the observer
/// allows), and at each mark the acceptor has processed everything
/// ([`Observer::settled`]). The transcript does not say when between two marks a reply came,
/// so ARTIM ([`hostile::ARTIM_MS`]) is known to have started between the marks around the
/// reply that (re)started it; where that leaves open whether it had expired at a pause (or
/// a verdict hangs on it), the case is not understood rather than judged.
pub fn judge(case: &Case, replies: &[Reply]) -> Grade {
    if let Err(why) = understands(case) {
        return Grade::NotUnderstood(why);
    }
    let segments: Vec<&[Reply]> = replies.split(|r| *r == Reply::Mark).collect();
    let marks = case.steps.iter().filter(|s| **s == Step::Mark).count();
    if segments.len() != marks + 1 {
        return Grade::NotUnderstood(format!(
            "{} marks in the replies, {marks} in the steps",
            segments.len() - 1
        ));
    }
    let mut j = Judging {
        o: Observer::acceptor(),
        segments,
        segment: 0,
        start: 0,
        now: 0,
        since: Some((0, 0)),
        states: vec![State::Sta2],
    };
    let fail = |step: usize, e: Option<Verdict>| match e {
        Some(verdict) => Grade::NotAllowed { step, verdict },
        None => Grade::NotUnderstood(format!(
            "whether ARTIM had expired by step {step} is not on the transcript (a reply that \
             starts it and a pause with no mark between)"
        )),
    };
    for (i, step) in case.steps.iter().enumerate() {
        match step {
            Step::Send(b) | Step::SendAwait(b) => j.o.received_bytes(b),
            Step::Pause(ms) => {
                j.now += ms;
                let artim_expired = match j.since {
                    None => false,
                    Some((_, latest)) if j.now >= latest + hostile::ARTIM_MS => true,
                    Some((earliest, _)) if j.now < earliest + hostile::ARTIM_MS => false,
                    Some(_) => return fail(i, None),
                };
                j.o.received(Received::Elapsed { artim_expired });
            }
            Step::Close => j.o.received(Received::TransportClosed),
            Step::Mark => {
                if let Err(e) = j.end_segment() {
                    return fail(i, e);
                }
            }
            Step::State(_) | Step::LocalRelease => {}
        }
    }
    if let Err(e) = j.end_segment() {
        return fail(case.steps.len(), e);
    }
    match j.o.finish() {
        Verdict::Allowed => Grade::Allowed {
            reactions: j.o.reactions(),
        },
        verdict => Grade::NotAllowed {
            step: case.steps.len(),
            verdict,
        },
    }
}

/// [`judge`]'s observer, the replies cut at the marks, and the clock.
struct Judging<'a> {
    o: Observer,
    segments: Vec<&'a [Reply]>,
    /// The segment the next mark ends.
    segment: usize,
    /// The time at the last mark.
    start: u64,
    now: u64,
    /// While ARTIM runs: the earliest and latest time it may have last (re)started.
    since: Option<(u64, u64)>,
    /// The states the observer allowed at the last mark.
    states: Vec<State>,
}

impl Judging<'_> {
    /// The replies up to the mark are sent and the acceptor has processed everything; `Err`
    /// with the verdict if that is not allowed, or `None` if the transcript cannot say.
    fn end_segment(&mut self) -> Result<(), Option<Verdict>> {
        let sent = self.segments[self.segment];
        self.segment += 1;
        // A reply that (re)starts ARTIM, and long enough after the last mark for it to have
        // expired before this one: the flags given to the pauses may be wrong.
        let unsure = self.now >= self.start + hostile::ARTIM_MS
            && sent
                .iter()
                .any(|r| matches!(r, Reply::Abort(..) | Reply::Rj(..) | Reply::ReleaseRp));
        let verdict = |v: Verdict| if unsure { None } else { Some(v) };
        for r in sent {
            let v = self.o.sent(sent_of(r));
            if !v.is_allowed() {
                return Err(verdict(v));
            }
        }
        let v = self.o.settled();
        if !v.is_allowed() {
            return Err(verdict(v));
        }
        let states = self.o.states();
        let running = !states.is_empty() && states.iter().all(|s| s.artim_running());
        // As in `Watch::listen`: entering Sta13 (re)starts ARTIM, staying leaves it alone;
        // the reply came somewhere between the last mark and this one.
        self.since = match self.since {
            Some(t) if running && states == self.states => Some(t),
            _ if running => Some((self.start, self.now)),
            _ => None,
        };
        self.states = states;
        self.start = self.now;
        Ok(())
    }
}

/// A reply of a transcript as the observer reads it.
fn sent_of(r: &Reply) -> Sent {
    match *r {
        Reply::Ac(_) => Sent::Pdu(PduType::AssociateAc),
        Reply::Rj(result, source, reason) => {
            let rj = [0x03, 0, 0, 0, 0, 4, 0, result, source, reason];
            if unchecked(&rj) {
                Sent::Other(0x03)
            } else {
                Sent::Pdu(PduType::AssociateRj)
            }
        }
        Reply::Abort(source, reason) => Sent::Abort { source, reason },
        Reply::ReleaseRq => Sent::Pdu(PduType::ReleaseRq),
        Reply::ReleaseRp => Sent::Pdu(PduType::ReleaseRp),
        // One DIMSE message, in one P-DATA-TF or more: each is DT-1 (or AR-7), the same
        // reaction again.
        Reply::Rsp { .. } => Sent::Pdu(PduType::PData),
        Reply::Other(_) => Sent::Other(0),
        Reply::Closed => Sent::Closed,
        Reply::Mark => unreachable!("marks split the replies"),
    }
}

/// Plays `case` against `peer` the way [`hostile::play`] does (same clock, same steps)
/// with an [`Observer`] watching: what each step delivers is received, what the peer sends
/// after it is judged, time passes as [`Received::Elapsed`] with ARTIM counted from the
/// reaction that (re)started it ([`hostile::ARTIM_MS`], the catalogue acceptor's value), and
/// at the end [`Observer::finish`]. Like `play`, it takes the peer to have processed all it
/// was given once its output has been read, and says so ([`Observer::settled`]) after each
/// step. Returns the grade and the transcript.
pub fn grade(peer: &mut impl Peer, case: &Case) -> (Grade, Transcript) {
    let mut t = Transcript::default();
    if let Err(why) = understands(case) {
        return (Grade::NotUnderstood(why), t);
    }
    let mut w = Watch {
        o: Observer::acceptor(),
        now: Instant::ZERO,
        artim_since: Some(0),
        states: vec![State::Sta2],
    };
    if let Err(v) = w.listen(peer, &mut t) {
        return (
            Grade::NotAllowed {
                step: 0,
                verdict: v,
            },
            t,
        );
    }
    for (i, step) in case.steps.iter().enumerate() {
        let r = match step {
            Step::Send(b) | Step::SendAwait(b) if !t.closed => {
                peer.input(w.now, b);
                w.o.received_bytes(b);
                w.listen(peer, &mut t)
            }
            Step::Pause(ms) => w.pause(peer, &mut t, *ms),
            Step::Close if !t.closed => {
                peer.transport_closed(w.now);
                w.o.received(Received::TransportClosed);
                let r = w.listen(peer, &mut t);
                t.close();
                r
            }
            Step::Mark => {
                t.mark();
                w.listen(peer, &mut t)
            }
            _ => Ok(()),
        };
        if let Err(verdict) = r {
            return (Grade::NotAllowed { step: i, verdict }, t);
        }
    }
    match w.o.finish() {
        Verdict::Allowed => (
            Grade::Allowed {
                reactions: w.o.reactions(),
            },
            t,
        ),
        verdict => (
            Grade::NotAllowed {
                step: case.steps.len(),
                verdict,
            },
            t,
        ),
    }
}

/// [`grade`]'s observer and clock.
struct Watch {
    o: Observer,
    now: Instant,
    /// When ARTIM last (re)started, while it runs.
    artim_since: Option<u64>,
    /// The states the observer allowed at the last step.
    states: Vec<State>,
}

impl Watch {
    /// What the peer sent by now, judged; then whether ARTIM runs, and since when.
    fn listen(&mut self, peer: &mut impl Peer, t: &mut Transcript) -> Result<(), Verdict> {
        if t.closed {
            return Ok(());
        }
        let out = peer.output(self.now);
        t.feed(&out);
        let mut verdicts = self.o.sent_bytes(&out);
        if peer.is_closed() {
            t.close();
            verdicts.push(self.o.sent(Sent::Closed));
        }
        // A Sans-IO peer has processed all it was given once its output is drained.
        verdicts.push(self.o.settled());
        if let Some(v) = verdicts.into_iter().find(|v| !v.is_allowed()) {
            return Err(v);
        }
        let states = self.o.states();
        let running = !states.is_empty() && states.iter().all(|s| s.artim_running());
        // Every action that enters Sta13 (re)starts ARTIM (AA-1, AA-8, AE-6's rejection,
        // AE-8, AR-4); one that stays in Sta2 or Sta13 (AA-6, AA-7) leaves it alone.
        self.artim_since = match self.artim_since {
            Some(since) if running && states == self.states => Some(since),
            _ if running => Some(self.now.as_millis()),
            _ => None,
        };
        self.states = states;
        Ok(())
    }

    /// Time passes as in [`hostile::play`]: every timer the peer asks for up to the end.
    fn pause(&mut self, peer: &mut impl Peer, t: &mut Transcript, ms: u64) -> Result<(), Verdict> {
        let end = Instant::from_millis(self.now.as_millis() + ms);
        for _ in 0..1000 {
            match peer.poll_timeout() {
                Some(at) if at <= end => {
                    self.now = self.now.max(at);
                    peer.handle_timeout(self.now);
                    self.elapsed();
                    self.listen(peer, t)?;
                }
                _ => break,
            }
        }
        self.now = end;
        self.elapsed();
        self.listen(peer, t)
    }

    fn elapsed(&mut self) {
        let artim_expired = self
            .artim_since
            .is_some_and(|since| self.now.as_millis() >= since + hostile::ARTIM_MS);
        self.o.received(Received::Elapsed { artim_expired });
    }
}
