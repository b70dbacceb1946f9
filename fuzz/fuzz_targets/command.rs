//! `dimse::Command::parse` on arbitrary bytes, and parse → re-encode → parse stability of
//! N-GET-RQ command sets: those parsed from the input, and those built by `NGetRq::emit` from
//! arbitrary fields.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use dimse_core::dataset::Tag;
use dimse_core::dimse::{Command, CommandField, NGetRq};
use dimse_core::pdu::Uid;
use libfuzzer_sys::fuzz_target;

/// The fields of an N-GET-RQ. UIDs are either made of digits and dots (`Dotted`, mostly
/// valid) or any text (mostly invalid).
#[derive(Debug, Arbitrary)]
struct NGetFields {
    message_id: u16,
    class: UidText,
    instance: UidText,
    list: Option<Vec<u32>>,
}

#[derive(Debug, Arbitrary)]
enum UidText {
    Dotted(Vec<u8>),
    Text(String),
}

impl UidText {
    fn text(&self) -> String {
        match self {
            // Each byte picks a digit or a dot: "1.2.840.10008" and its malformed cousins.
            UidText::Dotted(b) => b
                .iter()
                .take(70)
                .map(|&c| match c % 11 {
                    10 => '.',
                    d => char::from(b'0' + d),
                })
                .collect(),
            UidText::Text(s) => s.clone(),
        }
    }
}

/// The N-GET-RQ a command set describes, if it has every field one needs.
fn as_n_get<'a>(c: &Command<'a>, list: &'a [Tag]) -> Option<NGetRq<'a>> {
    (c.command_field? == CommandField::N_GET_RQ).then_some(())?;
    Some(NGetRq {
        message_id: c.message_id?,
        requested_sop_class_uid: c.requested_sop_class_uid?,
        requested_sop_instance_uid: c.requested_sop_instance_uid?,
        attribute_identifier_list: c.attribute_identifier_list.map(|_| list),
    })
}

fn emit(rq: &NGetRq<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; 256 + 4 * rq.attribute_identifier_list.map_or(0, <[Tag]>::len)];
    let n = rq.emit(&mut buf).expect("the buffer is large enough");
    buf.truncate(n);
    buf
}

/// parse → emit → parse → emit: the N-GET fields survive and the bytes settle.
fn stable(bytes: &[u8]) {
    let first = Command::parse(bytes);
    let list: Vec<Tag> = first.attribute_tags().collect();
    let Some(rq) = as_n_get(&first, &list) else {
        return;
    };
    let emitted = emit(&rq);
    let second = Command::parse(&emitted);
    assert_eq!(second.malformed, None, "{rq:?} re-encoded is malformed");
    let list2: Vec<Tag> = second.attribute_tags().collect();
    assert_eq!(list2, list);
    let rq2 = as_n_get(&second, &list2).expect("an N-GET-RQ again");
    assert_eq!(rq2, rq);
    assert!(!second.has_data_set());
    assert_eq!(emit(&rq2), emitted, "re-encoding is not stable");
}

fuzz_target!(|data: &[u8]| {
    // Arbitrary bytes: never a panic; the attribute list is whole tags.
    let c = Command::parse(data);
    if let Some(list) = c.attribute_identifier_list {
        assert_eq!(list.len() % 4, 0);
        assert_eq!(c.attribute_tags().count(), list.len() / 4);
    }
    let _ = c.has_data_set();
    let _ = c
        .command_field
        .map(|f| (f.name(), f.response(), f.is_known_request()));
    stable(data);

    // An N-GET-RQ from arbitrary fields.
    let Ok(fields) = NGetFields::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let class = fields.class.text();
    let instance = fields.instance.text();
    let list: Option<Vec<Tag>> = fields
        .list
        .as_ref()
        .map(|l| l.iter().take(1000).map(|&t| Tag(t)).collect());
    let rq = NGetRq {
        message_id: fields.message_id,
        requested_sop_class_uid: &class,
        requested_sop_instance_uid: &instance,
        attribute_identifier_list: list.as_deref(),
    };
    // Group length 12, three US elements 30, two UIDs 8 + padded value each, the list 8 + 4n.
    let need =
        12 + 30 + 2 * 9 + class.len() + instance.len() + 8 + 4 * list.as_ref().map_or(0, Vec::len);
    let mut buf = vec![0u8; need];
    let n = match rq.emit(&mut buf) {
        Ok(n) => n,
        Err(_) => panic!(
            "NGetRq::emit refused a buffer of {} bytes: {rq:?}",
            buf.len()
        ),
    };
    let bytes = &buf[..n];
    let c = Command::parse(bytes);
    // What a receiver makes of a UID value: the emitter pads odd lengths with one NUL, and
    // the parser strips one.
    let expect_uid = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        if v.len() % 2 == 1 {
            v.push(0);
        }
        Uid::check(&v).map(str::to_owned)
    };
    let class_uid = expect_uid(&class);
    let instance_uid = expect_uid(&instance);
    assert_eq!(c.command_field, Some(CommandField::N_GET_RQ));
    assert_eq!(c.message_id, Some(fields.message_id));
    assert_eq!(c.requested_sop_class_uid.map(str::to_owned), class_uid);
    assert_eq!(
        c.requested_sop_instance_uid.map(str::to_owned),
        instance_uid
    );
    assert_eq!(
        c.attribute_tags().collect::<Vec<_>>(),
        list.clone().unwrap_or_default()
    );
    assert_eq!(c.attribute_identifier_list.is_some(), list.is_some());
    assert!(!c.has_data_set());
    assert_eq!(
        c.malformed.is_none(),
        class_uid.is_some() && instance_uid.is_some(),
        "malformed {:?} for {rq:?}",
        c.malformed
    );
    if c.malformed.is_none() {
        stable(bytes);
    }
});
