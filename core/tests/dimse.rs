//! DIMSE over the in-memory pair: N-GET and C-ECHO, SCU core against SCP core.

mod common;

use common::*;
use dimse_core::assoc::RequestorConfig;
use dimse_core::dataset::{Attribute, Tag, Value, Vr};
use dimse_core::dimse::{CommandField, Status};
use dimse_core::{Duration, Event, Instant};

const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);
const SERIAL: Tag = Tag::new(0x0018, 0x1000);
const INSTANCE: &str = "1.2.840.10008.5.1.1.40.1";

static DISPLAY: [Attribute<'static>; 2] = [
    Attribute::new(MANUFACTURER, Value::Str(Vr::LO, "ACME")),
    Attribute::new(SERIAL, Value::Str(Vr::LO, "SN-1")),
];

#[test]
fn n_get_success_and_c_echo() {
    let mut p = Pair::associated(7);
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    let ev = *p.acc.events.last().unwrap();
    assert_eq!(
        ev,
        Event::NGet {
            message_id: id,
            context_id: 1
        }
    );
    let rq = p.acc.conn.n_get_request().unwrap();
    assert_eq!(rq.sop_instance_uid, INSTANCE);
    assert_eq!(rq.requested_len(), 0);
    assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0x0000);
    let r = p.req.responses.last().unwrap();
    assert_eq!(r.status, 0);
    assert!(r.data_set.as_ref().unwrap().len() > 8);

    let echo = p.req.conn.send_c_echo(p.now).unwrap();
    p.run();
    assert!(p.acc.events.contains(&Event::Answered {
        message_id: echo,
        context_id: 3,
        command_field: CommandField::C_ECHO_RQ,
        status: 0
    }));
    assert!(matches!(
        p.req.events.last(),
        Some(Event::CEchoResponse { status: 0, .. })
    ));
}

#[test]
fn missing_attributes_give_0107_with_the_list() {
    let mut p = Pair::associated(100_000);
    let asked = [MANUFACTURER, Tag::new(0x0028, 0x7008)];
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, Some(&asked))
        .unwrap();
    p.run();
    assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0x0107);
    let r = p.req.responses.last().unwrap();
    assert_eq!(r.status, 0x0107);
    assert_eq!(r.attribute_list, vec![Tag::new(0x0028, 0x7008)]);
    assert!(r.data_set.is_some());
}

/// PS3.8 §7.2.2: after an A-RELEASE indication the acceptor of the release may still issue
/// P-DATA requests, and only then the A-RELEASE response (Sta8, AR-7 before AR-4). An SCU that
/// sends its N-GET-RQ and at once its A-RELEASE-RQ must still get its answer: the release
/// response waits until the application has answered the request.
#[test]
fn release_rq_behind_an_n_get_waits_for_the_answer() {
    for chunk in [1, 7, 100_000] {
        let mut p = Pair::associated(chunk);
        let id = p
            .req
            .conn
            .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
            .unwrap();
        // Both go out before any answer: the SCP sees the request, then the release.
        p.req.conn.release(p.now).unwrap();
        p.run();
        assert!(
            p.acc.events.contains(&Event::NGet {
                message_id: id,
                context_id: 1
            }),
            "{:?}",
            p.acc.events
        );
        assert!(
            !p.acc.events.contains(&Event::Released),
            "{:?}",
            p.acc.events
        );
        assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta8);
        // The application answers; then, and only then, the release is answered.
        assert_eq!(p.respond(Status::SUCCESS, Some(&DISPLAY)), 0x0000);
        assert_eq!(
            p.req.events[p.req.events.len() - 3..],
            [
                Event::NGetResponse {
                    message_id: id,
                    status: 0,
                    data_set_len: p.req.responses[0].data_set.as_ref().map(Vec::len)
                },
                Event::Released,
                Event::Closed
            ]
        );
        assert!(p.req.responses[0].data_set.is_some());
        let types: Vec<u8> = p.acc.sent.iter().map(|pdu| pdu[0]).collect();
        assert_eq!(
            types[types.len() - 3..],
            [0x04, 0x04, 0x06],
            "RSP, data set, RP"
        );
        assert!(p.acc.events.ends_with(&[Event::Released]));
    }
}

/// The same when the application never answers: the core answers 0110H at the DIMSE timeout,
/// then the release.
#[test]
fn release_rq_behind_an_unanswered_n_get_waits_for_the_dimse_timeout() {
    // The SCP's DIMSE timeout (10 s) runs out well before the SCU's ACSE timer (30 s).
    let mut pol = policy();
    pol.limits.dimse_timeout = Duration::from_secs(10);
    let config = RequestorConfig::new(ae("QA_SCU"), ae("DISPLAY"), leak(contexts()));
    let mut p = Pair::new(leak(pol), leak(config), 100_000);
    p.run();
    let id = p
        .req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.req.conn.release(p.now).unwrap();
    p.run();
    assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta8);
    assert_eq!(
        p.acc.conn.poll_timeout(),
        Some(Instant::from_millis(10_000))
    );
    p.advance(10_000);
    assert_eq!(
        p.acc.events[p.acc.events.len() - 2..],
        [
            Event::Answered {
                message_id: id,
                context_id: 1,
                command_field: CommandField::N_GET_RQ,
                status: 0x0110
            },
            Event::Released
        ]
    );
    assert_eq!(p.req.responses.last().unwrap().status, 0x0110);
    assert!(p.req.conn.is_closed());
}

/// PS3.8 §7.2.2 and Table 9-10 (Evt9 in Sta7 is blank): once we have sent an A-RELEASE-RQ we
/// may receive P-DATA but must not send any. A request that arrives then is not answered,
/// neither by the core (C-ECHO, refusals) nor at the DIMSE timeout.
#[test]
fn no_pdata_after_our_release_rq() {
    for chunk in [3, 100_000] {
        // The SCP releases while the SCU's C-ECHO-RQ is on its way.
        let mut p = Pair::associated(chunk);
        p.req.conn.send_c_echo(p.now).unwrap();
        p.acc.conn.release(p.now).unwrap();
        p.run();
        let types: Vec<u8> = p.acc.sent.iter().map(|pdu| pdu[0]).collect();
        let rq = types.iter().position(|&t| t == 0x05).unwrap();
        assert!(
            !types[rq..].contains(&0x04),
            "P-DATA-TF sent after our A-RELEASE-RQ: {types:02x?}"
        );
        assert!(
            !p.acc
                .events
                .iter()
                .any(|e| matches!(e, Event::Answered { .. })),
            "{:?}",
            p.acc.events
        );
        assert!(p.acc.events.contains(&Event::Released));
    }
}

/// An N-GET the application still holds when it releases: no 0110H in Sta7 at the DIMSE
/// timeout (PS3.8 §7.2.2), and no timer left in the past.
#[test]
fn no_dimse_timeout_answer_after_our_release_rq() {
    let mut p = Pair::associated(100_000);
    p.req
        .conn
        .send_n_get(p.now, DISPLAY_SYSTEM, INSTANCE, None)
        .unwrap();
    p.run();
    assert!(p.acc.conn.n_get_request().is_some());
    // The request arrived at 0 s (DIMSE deadline 30 s); the release at 10 s (ACSE 40 s).
    p.now = Instant::from_millis(10_000);
    p.acc.conn.release(p.now).unwrap();
    // The release request goes out; the requestor stays silent (as if slow).
    let out = p.acc.drain();
    assert_eq!(out[0], 0x05);
    assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta7);
    p.now = Instant::from_millis(30_000);
    p.acc.conn.handle_timeout(p.now);
    let out = p.acc.drain();
    assert!(out.is_empty(), "{out:02x?}");
    assert_eq!(p.acc.conn.state(), dimse_core::ul::State::Sta7);
    assert!(p.acc.conn.poll_timeout().is_some_and(|t| t > p.now));
}
