//! DIMSE over the in-memory pair: N-GET and C-ECHO, SCU core against SCP core.

mod common;

use common::*;
use dimse_core::dataset::{Attribute, Tag, Value, Vr};
use dimse_core::dimse::{CommandField, Status};
use dimse_core::Event;

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
