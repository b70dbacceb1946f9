//! An independent check of `dimse_core::ul::transition` against Table 9-10.
//!
//! `TABLE` holds the rows of PS3.8 Table 9-10 (§9.2.3) as a markdown table, with events
//! numbered Evt1–Evt19 as pynetdicom 3.0.4's `fsm.py` numbers them. The crate's `match` was
//! typed separately, so a transcription slip in either copy shows up as a mismatch here.

use dimse_core::ul::{transition, Action, ProtocolEvent, Role, State};

const TABLE: &str = "
| Evt1 A-ASSOCIATE request (local user) | AE-1 |  |  |  |  |  |  |  |  |  |  |  |  |
| Evt2 Transport connect confirmation (local transport service) |  |  |  | AE-2 |  |  |  |  |  |  |  |  |  |
| Evt3 A-ASSOCIATE-AC PDU (received on transport connection) |  | AA-1 | AA-8 |  | AE-3 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-6 |
| Evt4 A-ASSOCIATE-RJ PDU (received on transport connection) |  | AA-1 | AA-8 |  | AE-4 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-6 |
| Evt5 Transport connection indication (local transport service) | AE-5 |  |  |  |  |  |  |  |  |  |  |  |  |
| Evt6 A-ASSOCIATE-RQ PDU (on transport connection) |  | AE-6 | AA-8 |  | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-7 |
| Evt7 A-ASSOCIATE response primitive (accept) |  |  | AE-7 |  |  |  |  |  |  |  |  |  |  |
| Evt8 A-ASSOCIATE response primitive (reject) |  |  | AE-8 |  |  |  |  |  |  |  |  |  |  |
| Evt9 P-DATA request primitive |  |  |  |  |  | DT-1 |  | AR-7 |  |  |  |  |  |
| Evt10 P-DATA-TF PDU (on transport connection) |  | AA-1 | AA-8 |  | AA-8 | DT-2 | AR-6 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-6 |
| Evt11 A-RELEASE request primitive |  |  |  |  |  | AR-1 |  |  |  |  |  |  |  |
| Evt12 A-RELEASE-RQ PDU (on transport) |  | AA-1 | AA-8 |  | AA-8 | AR-2 | AR-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-6 |
| Evt13 A-RELEASE-RP PDU (on transport) |  | AA-1 | AA-8 |  | AA-8 | AA-8 | AR-3 | AA-8 | AA-8 | AR-10 | AR-3 | AA-8 | AA-6 |
| Evt14 A-RELEASE response primitive |  |  |  |  |  |  |  | AR-4 | AR-9 |  |  | AR-4 |  |
| Evt15 A-ABORT request primitive |  |  | AA-1 | AA-2 | AA-1 | AA-1 | AA-1 | AA-1 | AA-1 | AA-1 | AA-1 | AA-1 |  |
| Evt16 A-ABORT PDU (on transport) |  | AA-2 | AA-3 |  | AA-3 | AA-3 | AA-3 | AA-3 | AA-3 | AA-3 | AA-3 | AA-3 | AA-2 |
| Evt17 Transport connection closed indication (local transport service) |  | AA-5 | AA-4 | AA-4 | AA-4 | AA-4 | AA-4 | AA-4 | AA-4 | AA-4 | AA-4 | AA-4 | AR-5 |
| Evt18 ARTIM timer expired (Association reject/release timer) |  | AA-2 |  |  |  |  |  |  |  |  |  |  | AA-2 |
| Evt19 Unrecognized or invalid PDU received |  | AA-1 | AA-8 |  | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-8 | AA-7 |
";

/// The 19 rows of `TABLE`, each as its row title and its 13 cells (blank as `None`).
fn rows() -> Vec<(String, Vec<Option<String>>)> {
    TABLE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            // A leading and a trailing `|` give an empty first and last field.
            assert_eq!(fields.len(), 1 + 1 + 13 + 1, "malformed row: {line}");
            assert!(fields[0].is_empty() && fields[15].is_empty(), "{line}");
            let cells = fields[2..15]
                .iter()
                .map(|c| (!c.is_empty()).then(|| c.to_string()))
                .collect();
            (fields[1].to_string(), cells)
        })
        .collect()
}

#[test]
fn table_has_19_rows_in_event_order() {
    let rows = rows();
    assert_eq!(rows.len(), 19);
    assert_eq!(ProtocolEvent::ALL.len(), 19);
    for (event, (title, _)) in ProtocolEvent::ALL.iter().zip(&rows) {
        let first_word = title.split_whitespace().next().unwrap();
        assert_eq!(first_word, event.label(), "row {title:?}");
        assert_eq!(first_word, format!("Evt{}", event.number()));
    }
}

#[test]
fn every_cell_matches_the_pasted_table() {
    let rows = rows();
    let mut filled = 0;
    let mut mismatches = Vec::new();
    for (event, (_, cells)) in ProtocolEvent::ALL.iter().zip(&rows) {
        for (i, (state, cell)) in State::ALL.iter().zip(cells).enumerate() {
            assert_eq!(usize::from(state.number()), i + 1);
            let got = transition(*state, *event).map(|a| a.label().to_string());
            if got.is_some() {
                filled += 1;
            }
            if got != *cell {
                mismatches.push(format!("{event} {state}: table {cell:?}, code {got:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(filled, 123);
}

#[test]
fn conditional_next_states() {
    for role in [Role::Requestor, Role::Acceptor] {
        assert_eq!(Action::Ae6.next_state(role, true), State::Sta3);
        assert_eq!(Action::Ae6.next_state(role, false), State::Sta13);
    }
    for ok in [true, false] {
        assert_eq!(Action::Ar8.next_state(Role::Requestor, ok), State::Sta9);
        assert_eq!(Action::Ar8.next_state(Role::Acceptor, ok), State::Sta10);
    }
    // The only cells that use them.
    assert_eq!(
        transition(State::Sta2, ProtocolEvent::AssociateRqReceived),
        Some(Action::Ae6)
    );
    assert_eq!(
        transition(State::Sta7, ProtocolEvent::ReleaseRqReceived),
        Some(Action::Ar8)
    );
}

/// A release collision walked from both ends: each side sends A-RELEASE-RQ and then
/// receives the other's; the requestor answers first and both end up closed.
#[test]
fn release_collision_walk() {
    fn step(role: Role, state: State, event: ProtocolEvent) -> State {
        let action = transition(state, event)
            .unwrap_or_else(|| panic!("{role:?}: {event} blank in {state}"));
        action.next_state(role, true)
    }
    // Requestor: AR-1 Sta7, AR-8 Sta9, (local response) AR-9 Sta11, (RP) AR-3 Sta1.
    let mut r = State::Sta6;
    for e in [
        ProtocolEvent::ReleaseRequest,
        ProtocolEvent::ReleaseRqReceived,
        ProtocolEvent::ReleaseResponse,
        ProtocolEvent::ReleaseRpReceived,
    ] {
        r = step(Role::Requestor, r, e);
    }
    assert_eq!(r, State::Sta1);
    // Acceptor: AR-1 Sta7, AR-8 Sta10, (RP) AR-10 Sta12, (local response) AR-4 Sta13.
    let mut a = State::Sta6;
    for e in [
        ProtocolEvent::ReleaseRequest,
        ProtocolEvent::ReleaseRqReceived,
        ProtocolEvent::ReleaseRpReceived,
        ProtocolEvent::ReleaseResponse,
    ] {
        a = step(Role::Acceptor, a, e);
    }
    assert_eq!(a, State::Sta13);
    assert_eq!(
        step(Role::Acceptor, a, ProtocolEvent::TransportClosed),
        State::Sta1
    );
}
