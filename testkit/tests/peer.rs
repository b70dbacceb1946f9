//! dimse-core's acceptor tested as an outside user tests their own implementation: only
//! through `dimse_testkit`'s public API, with the core behind the `Peer` trait. The core is
//! constructed in tests/common (as a user constructs theirs); everything else (the bytes, the clock,
//! the chunkings, reading the replies) is the testkit's.

mod common;

use common::Scp;
use dimse_core::dataset::{Encoding, ReadEvent, Reader};
use dimse_core::Instant;
use dimse_testkit::hostile::{self, Reply, Transcript};
use dimse_testkit::pair::{leak, Peer};
use dimse_testkit::strategy::{cuts, display_system, n_get, offer_to, schedule, split};
use proptest::prelude::*;

/// Every case that needs no local action of the acceptor's user gets exactly the reaction
/// the standard prescribes.
#[test]
fn the_catalogue_through_the_peer_trait() {
    let policy = leak(hostile::policy());
    let catalogue = hostile::catalogue();
    let mut played = 0;
    let mut failures = Vec::new();
    for case in catalogue.iter().filter(|c| !c.core_only) {
        played += 1;
        let t = hostile::play(&mut Scp::new(policy), case);
        let extra = case.check.map_or(Ok(()), |c| c(&t, &case.steps));
        if t.replies != case.expect || extra.is_err() {
            failures.push(format!(
                "{} ({}): expected {:?}, got {:?} {:?}",
                case.name, case.reference, case.expect, t.replies, extra
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {played} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let core_only = catalogue.iter().filter(|c| c.core_only).count();
    assert_eq!(played + core_only, catalogue.len());
    assert!(played >= 900, "{played} cases played");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any display-like offer is answered with an A-ASSOCIATE-AC that accepts exactly the
    /// Display System and Verification contexts; an N-GET on an accepted Display System
    /// context, however the bytes are cut, gets its response (0000H with the data set, or
    /// 0107H when it names attributes the data set does not have); the release is answered.
    #[test]
    fn offers_and_n_gets_in_any_chunking(
        offer in offer_to(hostile::ae("DISPLAY")),
        get in n_get(),
        cuts in cuts(),
    ) {
        let policy = leak(dimse_testkit::pair::policy());
        let mut scp = Scp::new(policy);
        let mut t = Transcript::default();
        let now = Instant::ZERO;
        let mut stream = offer.to_bytes();
        let display = offer
            .contexts
            .iter()
            .find(|pc| pc.abstract_syntax == hostile::DISPLAY_SYSTEM)
            .map(|pc| pc.id);
        if let Some(id) = display {
            stream.extend(get.pdu(id));
        }
        stream.extend(hostile::release_rq());
        for piece in split(&stream, &cuts) {
            scp.input(now, piece);
            t.feed(&scp.output(now));
        }

        let Some(Reply::Ac(results)) = t.replies.first() else {
            return Err(TestCaseError::fail(format!("no A-ASSOCIATE-AC: {:?}", t.replies)));
        };
        for (pc, (id, result)) in offer.contexts.iter().zip(results) {
            prop_assert_eq!(pc.id, *id);
            let served = [hostile::DISPLAY_SYSTEM, hostile::VERIFICATION]
                .contains(&pc.abstract_syntax.as_str());
            prop_assert_eq!(*result == 0, served, "context {} of {}", id, pc.abstract_syntax);
        }
        let mut rest = t.replies[1..].to_vec();
        if display.is_some() {
            let Reply::Rsp { command_field, message_id, status, data_set } = rest.remove(0) else {
                return Err(TestCaseError::fail(format!("no N-GET-RSP: {:?}", t.replies)));
            };
            prop_assert_eq!(command_field, 0x8110);
            prop_assert_eq!(message_id, get.message_id);
            prop_assert!(status == 0x0000 || status == 0x0107, "status {:04X}H", status);
            if get.attributes.as_ref().is_none_or(|a| a.is_empty()) {
                prop_assert_eq!(status, 0x0000);
            }
            // Success carries the data set; 0107H carries what could be read, if anything.
            prop_assert!(data_set || status == 0x0107);
        }
        prop_assert_eq!(rest, vec![Reply::ReleaseRp]);
    }

    /// A session paced by a generated timing schedule, every pause below the acceptor's
    /// network timeout: the N-GET is served and the release answered, whatever the cuts
    /// and pauses (the A-ASSOCIATE-RQ goes whole: paced it could outlast ARTIM, which the
    /// catalogue's artim cases test).
    #[test]
    fn a_paced_session_is_served((cuts, pauses) in schedule(hostile::NETWORK_MS - 100)) {
        let policy = leak(hostile::policy());
        let mut steps = vec![hostile::send(hostile::rq())];
        let mut rest = hostile::n_get(1);
        rest.extend(hostile::release_rq());
        for (i, piece) in split(&rest, &cuts).into_iter().enumerate() {
            if i > 0 {
                steps.push(hostile::Step::Pause(pauses[i - 1]));
            }
            steps.push(hostile::send(piece.to_vec()));
        }
        let case = hostile::Case::new("paced", steps, vec![]);
        let t = hostile::play(&mut Scp::new(policy), &case);
        prop_assert_eq!(
            t.replies,
            vec![hostile::ac(), hostile::n_get_rsp(1, 0x0000, true), Reply::ReleaseRp]
        );
    }

    /// A generated Display System data set: valid for its IOD (encode validates it) and
    /// written in both transfer syntaxes, the identity where it belongs.
    #[test]
    fn a_generated_display_system_encodes(d in display_system()) {
        for encoding in [Encoding::ExplicitVrLittleEndian, Encoding::ImplicitVrLittleEndian] {
            let bytes = d.encode(encoding).map_err(TestCaseError::fail)?;
            let mut manufacturer = None;
            for ev in Reader::new(&bytes, encoding) {
                if let Ok(ReadEvent::Element { tag, value, .. }) = ev {
                    if tag == hostile::MANUFACTURER && manufacturer.is_none() {
                        manufacturer = Some(value.to_vec());
                    }
                }
            }
            let mut want = d.manufacturer.clone().into_bytes();
            if want.len() % 2 == 1 {
                want.push(b' ');
            }
            prop_assert_eq!(manufacturer, Some(want));
        }
    }
}
