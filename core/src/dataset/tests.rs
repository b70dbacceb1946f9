//! Writer and reader together: pydicom 3.0.2 vectors (from core/tests/vectors/, made by
//! scripts/gen-vectors.py), and unit tests of each method.

extern crate std;
use std::vec::Vec;

use super::*;

const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);
const SUBSYSTEMS: Tag = Tag::new(0x0028, 0x7023);
const SUBSYSTEM_ID: Tag = Tag::new(0x0028, 0x7003);
const SYSTEM_STATUS: Tag = Tag::new(0x0028, 0x7006);
const SERIAL: Tag = Tag::new(0x0018, 0x1000);

/// The data set PDV of core/tests/vectors/n-get-rsp-success-implicit.hex (after the MCH byte
/// 02), as pydicom 3.0.2 wrote it: defined-length sequence and item.
const PYDICOM_IMPLICIT: &str = "080070000400000041434d45280023701c000000feff00e0140000002800037002000000010028000670020000004f4b";
/// The same data set in Explicit VR Little Endian (n-get-rsp-success-explicit.hex).
const PYDICOM_EXPLICIT: &str = "080070004c4f040041434d4528002370535100001c000000feff00e0140000002800037055530200010028000670435302004f4b";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn display(w: &mut Writer<'_>) -> Result<(), WriteError> {
    w.string(MANUFACTURER, Vr::LO, "ACME")?;
    w.sequence(SUBSYSTEMS, |seq| {
        seq.item(|item| {
            item.u16(SUBSYSTEM_ID, 1)?;
            item.string(SYSTEM_STATUS, Vr::CS, "OK")
        })
    })
}

static SUBSYSTEM: &[Attribute] = &[
    Attribute::new(SUBSYSTEM_ID, Value::Us(&[1])),
    Attribute::new(SYSTEM_STATUS, Value::Str(Vr::CS, "OK")),
];
static DISPLAY: &[Attribute] = &[
    Attribute::new(MANUFACTURER, Value::Str(Vr::LO, "ACME")),
    Attribute::new(SUBSYSTEMS, Value::Sequence(&[SUBSYSTEM])),
];

fn write_with<S: DataSetSource + ?Sized>(
    encoding: Encoding,
    lengths: SequenceLength,
    source: &S,
) -> Result<Vec<u8>, WriteError> {
    let mut buf = [0u8; 512];
    let mut w = Writer::new(&mut buf, encoding).with_sequence_length(lengths);
    w.write(source)?;
    let n = w.written();
    Ok(buf[..n].to_vec())
}

fn write<S: DataSetSource + ?Sized>(encoding: Encoding, source: &S) -> Result<Vec<u8>, WriteError> {
    write_with(encoding, SequenceLength::Defined, source)
}

fn read(data: &[u8], encoding: Encoding) -> Vec<Result<ReadEvent<'_>, ReadError>> {
    Reader::new(data, encoding).collect()
}

fn expected_display_events() -> Vec<Result<ReadEvent<'static>, ReadError>> {
    std::vec![
        Ok(ReadEvent::Element {
            tag: MANUFACTURER,
            vr: Vr::LO,
            value: b"ACME",
            depth: 0
        }),
        Ok(ReadEvent::SequenceStart {
            tag: SUBSYSTEMS,
            vr: Vr::SQ,
            depth: 0
        }),
        Ok(ReadEvent::ItemStart { depth: 1 }),
        Ok(ReadEvent::Element {
            tag: SUBSYSTEM_ID,
            vr: Vr::US,
            value: &[1, 0],
            depth: 1
        }),
        Ok(ReadEvent::Element {
            tag: SYSTEM_STATUS,
            vr: Vr::CS,
            value: b"OK",
            depth: 1
        }),
        Ok(ReadEvent::ItemEnd { depth: 1 }),
        Ok(ReadEvent::SequenceEnd {
            tag: SUBSYSTEMS,
            depth: 0
        }),
    ]
}

#[test]
fn pydicom_vectors_byte_for_byte() {
    for (encoding, vector) in [
        (Encoding::ImplicitVrLittleEndian, PYDICOM_IMPLICIT),
        (Encoding::ExplicitVrLittleEndian, PYDICOM_EXPLICIT),
    ] {
        let expected = hex(vector);
        assert_eq!(write(encoding, &display).unwrap(), expected, "{encoding:?}");
        assert_eq!(
            write(encoding, DISPLAY).unwrap(),
            expected,
            "{encoding:?} static"
        );
        assert_eq!(read(&expected, encoding), expected_display_events());
    }
}

#[test]
fn undefined_lengths_read_back_the_same() {
    for encoding in [
        Encoding::ImplicitVrLittleEndian,
        Encoding::ExplicitVrLittleEndian,
    ] {
        let bytes = write_with(encoding, SequenceLength::Undefined, &display).unwrap();
        let tail = hex("feff0de000000000feffdde000000000");
        assert!(bytes.ends_with(&tail), "{bytes:02x?}");
        assert_eq!(read(&bytes, encoding), expected_display_events());
    }
}

#[test]
fn undefined_length_layout() {
    let bytes = write_with(
        Encoding::ImplicitVrLittleEndian,
        SequenceLength::Undefined,
        &|w: &mut Writer<'_>| {
            w.sequence(SUBSYSTEMS, |seq| {
                seq.item(|_| Ok(()))?;
                seq.item(|w| w.u16(SUBSYSTEM_ID, 7))
            })?;
            w.sequence(Tag::new(0x0028, 0x7024), |_| Ok(()))
        },
    )
    .unwrap();
    assert_eq!(
        bytes,
        hex(concat!(
            "28002370ffffffff",
            "feff00e0ffffffff",
            "feff0de000000000",
            "feff00e0ffffffff",
            "2800037002000000",
            "0700",
            "feff0de000000000",
            "feffdde000000000",
            "28002470ffffffff",
            "feffdde000000000",
        ))
    );
}

#[test]
fn empty_sequences_and_items_with_defined_length() {
    let bytes = write(Encoding::ExplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.sequence(SUBSYSTEMS, |seq| seq.item(|_| Ok(())))?;
        w.sequence(Tag::new(0x0028, 0x7024), |_| Ok(()))
    })
    .unwrap();
    let expected = concat!(
        "2800237053510000",
        "08000000",
        "feff00e000000000",
        "2800247053510000",
        "00000000",
    );
    assert_eq!(bytes, hex(expected));
}

#[test]
fn padding_by_vr() {
    let bytes = write(Encoding::ImplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.string(Tag::new(0x0008, 0x0016), Vr::UI, "1.2.3")?;
        w.string(MANUFACTURER, Vr::LO, "ABC")?;
        w.bytes(Tag::new(0x0009, 0x1000), Vr::OB, &[1, 2, 3])?;
        w.string(Tag::new(0x0010, 0x0010), Vr::PN, "")
    })
    .unwrap();
    let expected = concat!(
        "0800160006000000312e322e3300",
        "080070000400000041424320",
        "090000100400000001020300",
        "1000100000000000",
    );
    assert_eq!(bytes, hex(expected));
}

#[test]
fn explicit_headers_by_vr() {
    let bytes = write(Encoding::ExplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.tags(Tag::new(0x0000, 0x1005), &[MANUFACTURER, SUBSYSTEMS])?;
        w.f32s(Tag::new(0x0028, 0x7018), &[0.25, 0.5])?;
        w.string(Tag::new(0x0040, 0xA123), Vr::UT, "x")
    })
    .unwrap();
    let mut expected = hex("00000510415408000800700028002370");
    expected.extend(hex("28001870464c0800"));
    expected.extend(0.25f32.to_le_bytes());
    expected.extend(0.5f32.to_le_bytes());
    expected.extend(hex("4000 23a1 5554 0000 02000000 7820"
        .replace(' ', "")
        .as_str()));
    assert_eq!(bytes, expected);
}

#[test]
fn every_number_method() {
    let bytes = write(Encoding::ExplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.u16(Tag::new(0x0001, 1), 0x0102)?;
        w.u16s(Tag::new(0x0001, 2), &[1, 2])?;
        w.u32(Tag::new(0x0001, 3), 0x0102_0304)?;
        w.u32s(Tag::new(0x0001, 4), &[])?;
        w.i16(Tag::new(0x0001, 5), -1)?;
        w.i16s(Tag::new(0x0001, 6), &[-2])?;
        w.i32(Tag::new(0x0001, 7), -3)?;
        w.i32s(Tag::new(0x0001, 8), &[4])?;
        w.f32(Tag::new(0x0001, 9), 1.5)?;
        w.f64(Tag::new(0x0001, 10), 2.5)?;
        w.f64s(Tag::new(0x0001, 11), &[3.5])?;
        w.tag(Tag::new(0x0001, 12), SERIAL)
    })
    .unwrap();
    let events: Vec<_> = read(&bytes, Encoding::ExplicitVrLittleEndian)
        .into_iter()
        .map(|e| match e.unwrap() {
            ReadEvent::Element { vr, value, .. } => (vr, value.to_vec()),
            other => panic!("{other:?}"),
        })
        .collect();
    let vrs: Vec<Vr> = events.iter().map(|(vr, _)| *vr).collect();
    use Vr::*;
    assert_eq!(vrs, [US, US, UL, UL, SS, SS, SL, SL, FL, FD, FD, AT]);
    assert!(value::u16s(&events[0].1).eq([0x0102]));
    assert!(value::u16s(&events[1].1).eq([1, 2]));
    assert!(value::u32s(&events[2].1).eq([0x0102_0304]));
    assert!(events[3].1.is_empty());
    assert!(value::i16s(&events[4].1).eq([-1]));
    assert!(value::i16s(&events[5].1).eq([-2]));
    assert!(value::i32s(&events[6].1).eq([-3]));
    assert!(value::i32s(&events[7].1).eq([4]));
    assert!(value::f32s(&events[8].1).eq([1.5]));
    assert!(value::f64s(&events[9].1).eq([2.5]));
    assert!(value::f64s(&events[10].1).eq([3.5]));
    assert!(value::tags(&events[11].1).eq([SERIAL]));
}

#[test]
fn strings_are_joined_without_allocation() {
    let bytes = write(Encoding::ImplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.strings(
            Tag::new(0x0028, 0x7013),
            Vr::CS,
            &["PHOTOMETER", "COLORIMETER"],
        )?;
        w.strings(Tag::new(0x0028, 0x7026), Vr::CS, &[])?;
        w.strings(Tag::new(0x0028, 0x7027), Vr::CS, &["AB", "CD"])
    })
    .unwrap();
    let mut expected = hex("2800137016000000");
    expected.extend(b"PHOTOMETER\\COLORIMETER");
    expected.extend(hex("2800267000000000"));
    expected.extend(hex("2800277006000000"));
    expected.extend(b"AB\\CD ");
    assert_eq!(bytes, expected);
    match Reader::new(&bytes, Encoding::ImplicitVrLittleEndian).next() {
        Some(Ok(ReadEvent::Element { vr, value, .. })) => {
            assert_eq!(vr, Vr::CS);
            assert!(value::strings(value).eq([&b"PHOTOMETER"[..], b"COLORIMETER"]));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dictionary_vr_when_not_given() {
    let bytes = write(Encoding::ExplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.text_auto(MANUFACTURER, "ACME")?;
        w.element(Tag::new(0x0009, 0x1001), &[1, 2])?;
        w.element(Tag::new(0x2010, 0x0160), &[5, 0])
    })
    .unwrap();
    let vrs: Vec<Vr> = read(&bytes, Encoding::ExplicitVrLittleEndian)
        .into_iter()
        .map(|e| match e.unwrap() {
            ReadEvent::Element { vr, .. } => vr,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(vrs, [Vr::LO, Vr::UN, Vr::US]);
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
    assert_eq!(
        w.text_auto(Tag::new(0x0009, 0x1001), "x"),
        Err(WriteError::InvalidValue)
    );
    assert_eq!(
        w.text_auto(SUBSYSTEM_ID, "1"),
        Err(WriteError::InvalidValue)
    );
    assert_eq!(w.element(SUBSYSTEMS, &[]), Err(WriteError::InvalidValue));
}

#[test]
fn refuses_out_of_order_tags_per_data_set() {
    let err = write(Encoding::ImplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.u16(SUBSYSTEM_ID, 1)?;
        w.string(MANUFACTURER, Vr::LO, "ACME")
    });
    assert_eq!(err, Err(WriteError::OutOfOrder));
    let err = write(Encoding::ImplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.u16(SUBSYSTEM_ID, 1)?;
        w.u16(SUBSYSTEM_ID, 2)
    });
    assert_eq!(err, Err(WriteError::OutOfOrder));
    // Each item starts afresh, and the outer order resumes after the sequence.
    let ok = write(Encoding::ImplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.sequence(SUBSYSTEMS, |seq| {
            seq.item(|w| w.u16(SUBSYSTEM_ID, 1))?;
            seq.item(|w| w.u16(SUBSYSTEM_ID, 2))
        })?;
        w.u16(Tag::new(0x2010, 0x0160), 3)
    });
    assert!(ok.is_ok());
    let err = write(Encoding::ImplicitVrLittleEndian, &|w: &mut Writer<'_>| {
        w.sequence(SUBSYSTEMS, |seq| {
            seq.item(|w| w.u16(Tag::new(0x2010, 0x0160), 1))
        })?;
        w.u16(SUBSYSTEM_ID, 3)
    });
    assert_eq!(err, Err(WriteError::OutOfOrder));
}

#[test]
fn refuses_invalid_values() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian);
    let t = Tag::new(0x0009, 0x1000);
    use WriteError::InvalidValue;
    assert_eq!(w.bytes(t, Vr::OW, &[1, 2, 3]), Err(InvalidValue));
    assert_eq!(w.bytes(t, Vr::FD, &[0; 6]), Err(InvalidValue));
    assert_eq!(w.bytes(t, Vr::SQ, &[]), Err(InvalidValue));
    assert_eq!(w.string(t, Vr::US, "1"), Err(InvalidValue));
    assert_eq!(w.string(t, Vr::UI, "1.2\0"), Err(InvalidValue));
    assert_eq!(w.strings(t, Vr::CS, &["A", "B\\C"]), Err(InvalidValue));
    assert_eq!(w.strings(t, Vr::LT, &["A", "B"]), Err(InvalidValue));
    assert_eq!(w.u16(Tag::ITEM, 1), Err(InvalidValue));
    // A 16-bit length field holds at most 0xFFFF bytes, whatever the encoding.
    let long = [b'a'; 0x1_0000];
    let long = core::str::from_utf8(&long).unwrap();
    assert_eq!(w.string(t, Vr::LO, long), Err(InvalidValue));
    assert_eq!(w.u16s(t, &[0; 0x8000]), Err(InvalidValue));
    // Nothing was written by any of these, so the tag is still free.
    assert_eq!(w.written(), 0);
    assert!(w.strings(t, Vr::LT, &["A\\B"]).is_ok());
}

#[test]
fn buffer_full_is_an_error_at_every_size() {
    let full = write(Encoding::ExplicitVrLittleEndian, &display).unwrap();
    for size in 0..full.len() {
        let mut buf = std::vec![0u8; size];
        let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
        assert_eq!(w.write(&display), Err(WriteError::BufferFull), "{size}");
    }
}

#[test]
fn nesting_is_bounded() {
    fn nest(w: &mut Writer<'_>, levels: usize) -> Result<(), WriteError> {
        if levels == 0 {
            return w.u16(SUBSYSTEM_ID, 1);
        }
        w.sequence(SUBSYSTEMS, |seq| seq.item(|w| nest(w, levels - 1)))
    }
    for lengths in [SequenceLength::Defined, SequenceLength::Undefined] {
        let deepest = write_with(
            Encoding::ExplicitVrLittleEndian,
            lengths,
            &|w: &mut Writer<'_>| nest(w, MAX_DEPTH),
        )
        .unwrap();
        let events = read(&deepest, Encoding::ExplicitVrLittleEndian);
        assert!(events.iter().all(Result::is_ok));
        assert!(events.contains(&Ok(ReadEvent::Element {
            tag: SUBSYSTEM_ID,
            vr: Vr::US,
            value: &[1, 0],
            depth: MAX_DEPTH
        })));
        assert_eq!(
            write_with(
                Encoding::ExplicitVrLittleEndian,
                lengths,
                &|w: &mut Writer<'_>| nest(w, MAX_DEPTH + 1)
            ),
            Err(WriteError::TooDeep)
        );
    }
}

#[test]
fn the_filter_keeps_requested_top_level_attributes() {
    let list = [SUBSYSTEMS, SERIAL, SUBSYSTEM_ID]
        .iter()
        .flat_map(|t| t.to_le_bytes())
        .collect::<Vec<u8>>();
    let mut buf = [0u8; 256];
    let filter = AttributeFilter::new(&list).unwrap();
    let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian).with_filter(filter);
    w.write(&display).unwrap();
    // SUBSYSTEM_ID is produced only inside an item: that does not count.
    assert!(w.missing().eq([SERIAL, SUBSYSTEM_ID]));
    let n = w.written();
    let full = hex(PYDICOM_IMPLICIT);
    assert_eq!(&buf[..n], &full[12..]);
}

#[test]
fn a_filtered_out_sequence_is_not_built() {
    let list = MANUFACTURER.to_le_bytes();
    let mut buf = [0u8; 64];
    let filter = AttributeFilter::new(&list).unwrap();
    let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian).with_filter(filter);
    w.string(MANUFACTURER, Vr::LO, "ACME").unwrap();
    w.sequence(SUBSYSTEMS, |_| panic!("not requested")).unwrap();
    assert_eq!(w.missing().count(), 0);
    assert_eq!(w.written(), 12);
    // Order is still checked for what is skipped.
    assert_eq!(w.u16(SUBSYSTEM_ID, 1), Err(WriteError::OutOfOrder));
}

// ---- reader ----

#[test]
fn implicit_undefined_length_unknown_tag_is_a_sequence() {
    let data = hex(concat!(
        "09001010ffffffff",
        "feff00e0ffffffff",
        "0900201002000000abcd",
        "feff0de000000000",
        "feffdde000000000",
    ));
    let events = read(&data, Encoding::ImplicitVrLittleEndian);
    assert_eq!(
        events,
        [
            Ok(ReadEvent::SequenceStart {
                tag: Tag::new(0x0009, 0x1010),
                vr: Vr::SQ,
                depth: 0
            }),
            Ok(ReadEvent::ItemStart { depth: 1 }),
            Ok(ReadEvent::Element {
                tag: Tag::new(0x0009, 0x1020),
                vr: Vr::UN,
                value: &[0xab, 0xcd],
                depth: 1
            }),
            Ok(ReadEvent::ItemEnd { depth: 1 }),
            Ok(ReadEvent::SequenceEnd {
                tag: Tag::new(0x0009, 0x1010),
                depth: 0
            }),
        ]
    );
}

#[test]
fn explicit_un_of_undefined_length_holds_implicit_items() {
    let data = hex(concat!(
        "09001010554e0000ffffffff",
        "feff00e0ffffffff",
        "08007000040000004143454d",
        "feff0de000000000",
        "feffdde000000000",
        "1800001000000000",
    ));
    let events = read(&data, Encoding::ExplicitVrLittleEndian);
    assert_eq!(
        events[..5],
        [
            Ok(ReadEvent::SequenceStart {
                tag: Tag::new(0x0009, 0x1010),
                vr: Vr::UN,
                depth: 0
            }),
            Ok(ReadEvent::ItemStart { depth: 1 }),
            Ok(ReadEvent::Element {
                tag: MANUFACTURER,
                vr: Vr::LO,
                value: b"ACEM",
                depth: 1
            }),
            Ok(ReadEvent::ItemEnd { depth: 1 }),
            Ok(ReadEvent::SequenceEnd {
                tag: Tag::new(0x0009, 0x1010),
                depth: 0
            }),
        ]
    );
    // Back at the top level the encoding is Explicit again: "00 00" is no VR.
    assert_eq!(events[5], Err(ReadError::UnknownVr));
}

#[test]
fn reader_errors() {
    use ReadError::*;
    let cases: &[(&str, Encoding, ReadError)] = &[
        // Tag cut short.
        ("080070", Encoding::ImplicitVrLittleEndian, Truncated),
        // Value cut short.
        (
            "0800700004000000414243",
            Encoding::ImplicitVrLittleEndian,
            Truncated,
        ),
        // Unknown VR.
        (
            "080070005a5a0000",
            Encoding::ExplicitVrLittleEndian,
            UnknownVr,
        ),
        // Undefined length on LO.
        (
            "080070004c4fffff",
            Encoding::ExplicitVrLittleEndian,
            Truncated,
        ),
        (
            "080070004f420000ffffffff",
            Encoding::ExplicitVrLittleEndian,
            BadLength,
        ),
        // A delimiter at the top level.
        (
            "feff0de000000000",
            Encoding::ImplicitVrLittleEndian,
            UnexpectedDelimiter,
        ),
        (
            "feff00e000000000",
            Encoding::ImplicitVrLittleEndian,
            UnexpectedDelimiter,
        ),
        // An element directly inside a sequence.
        (
            "28002370ffffffff0800700000000000",
            Encoding::ImplicitVrLittleEndian,
            ExpectedItem,
        ),
        // A sequence delimiter closing a defined-length sequence.
        (
            "2800237008000000feffdde000000000",
            Encoding::ImplicitVrLittleEndian,
            UnexpectedDelimiter,
        ),
        // An item delimiter closing a defined-length item.
        (
            "28002370ffffffff feff00e008000000 feff0de000000000",
            Encoding::ImplicitVrLittleEndian,
            UnexpectedDelimiter,
        ),
        // An item longer than its sequence.
        (
            "2800237008000000feff00e0 02000000 0000",
            Encoding::ImplicitVrLittleEndian,
            BadLength,
        ),
        // An element longer than its item.
        (
            "28002370ffffffff feff00e0 0a000000 2800037004000000 01000000",
            Encoding::ImplicitVrLittleEndian,
            BadLength,
        ),
        // An undefined-length sequence that never ends.
        (
            "28002370ffffffff feff00e0ffffffff",
            Encoding::ImplicitVrLittleEndian,
            Truncated,
        ),
    ];
    for (input, encoding, expected) in cases {
        let data = hex(&input.replace(' ', ""));
        let mut r = Reader::new(&data, *encoding);
        let err = r.by_ref().find_map(Result::err);
        assert_eq!(err, Some(*expected), "{input}");
        assert_eq!(r.next(), None, "fused after an error: {input}");
    }
}

#[test]
fn reader_depth_is_bounded() {
    let mut data = Vec::new();
    for _ in 0..=MAX_DEPTH {
        data.extend(hex("28002370ffffffff feff00e0ffffffff"
            .replace(' ', "")
            .as_str()));
    }
    let mut r = Reader::new(&data, Encoding::ImplicitVrLittleEndian);
    assert_eq!(r.by_ref().find_map(Result::err), Some(ReadError::TooDeep));
    assert_eq!(r.depth(), MAX_DEPTH);
}

#[test]
fn empty_input_is_an_empty_data_set() {
    assert_eq!(read(&[], Encoding::ExplicitVrLittleEndian), []);
    assert_eq!(
        Reader::new(&[], Encoding::ImplicitVrLittleEndian).offset(),
        0
    );
}

/// `source` written with `list` as the Attribute Identifier List: the bytes and the missing
/// tags.
fn filtered<S: DataSetSource + ?Sized>(
    encoding: Encoding,
    list: &[Tag],
    source: &S,
) -> Result<(Vec<u8>, Vec<Tag>), WriteError> {
    let list: Vec<u8> = list.iter().flat_map(|t| t.to_le_bytes()).collect();
    let mut buf = std::vec![0u8; 8192];
    let filter = AttributeFilter::new(&list).unwrap();
    let mut w = Writer::new(&mut buf, encoding).with_filter(filter);
    w.write(source)?;
    let missing = w.missing().collect();
    let n = w.written();
    Ok((buf[..n].to_vec(), missing))
}

#[test]
fn an_encoded_data_set_writes_what_its_source_writes() {
    use crate::service::display::DEMO;
    let explicit = write_big(Encoding::ExplicitVrLittleEndian, &DEMO);
    let implicit = write_big(Encoding::ImplicitVrLittleEndian, &DEMO);
    let encoded = Encoded {
        explicit_vr_little_endian: &explicit,
        implicit_vr_little_endian: &implicit,
    };
    let lists: [&[Tag]; 5] = [
        &[],
        &[MANUFACTURER],
        // A sequence is returned whole; a tag that only an item holds counts as missing.
        &[SUBSYSTEMS, SERIAL, SUBSYSTEM_ID],
        &[Tag::new(0x0009, 0x0010), SUBSYSTEMS],
        &[Tag::new(0x0008, 0x0016), Tag::new(0x0008, 0x0018)],
    ];
    for encoding in [
        Encoding::ExplicitVrLittleEndian,
        Encoding::ImplicitVrLittleEndian,
    ] {
        let checked = encoded.check().unwrap();
        for list in lists {
            let want = filtered(encoding, list, &DEMO).unwrap();
            let got = filtered(encoding, list, &encoded).unwrap();
            assert_eq!(got, want, "{encoding:?}, {list:?}");
            let got = filtered(encoding, list, &checked).unwrap();
            assert_eq!(got, want, "checked: {encoding:?}, {list:?}");
        }
        // Extents that do not describe the bytes are not trusted: the elements are walked.
        let swapped = CheckedEncoded {
            extents: [checked.extents[1], checked.extents[0]],
            ..checked
        };
        let want = filtered(encoding, &[], &DEMO).unwrap();
        assert_eq!(filtered(encoding, &[], &swapped).unwrap(), want);
        // Undefined-length sequences are walked to their delimiters and copied whole.
        let undefined = write_big_with(encoding, SequenceLength::Undefined, &DEMO);
        let copied = write_big(encoding, &|w: &mut Writer<'_>| w.encoded(&undefined));
        assert_eq!(copied, undefined, "{encoding:?}");
    }
    assert!(
        filtered(Encoding::ExplicitVrLittleEndian, &[], &encoded)
            .unwrap()
            .0
            .len()
            > 3000
    );
}

#[test]
fn encoded_elements_are_checked() {
    let explicit = write(Encoding::ExplicitVrLittleEndian, &display).unwrap();
    let mut buf = [0u8; 256];
    // Order: an element before what was written already.
    let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
    w.string(Tag::new(0x0010, 0x0010), Vr::PN, "X").unwrap();
    assert_eq!(w.encoded(&explicit), Err(WriteError::OutOfOrder));
    // Bytes that are not whole elements, however they are cut (at 12 the first element,
    // Manufacturer, is whole).
    for cut in (1..explicit.len()).filter(|&c| c != 12) {
        let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
        assert_eq!(
            w.encoded(&explicit[..cut]),
            Err(WriteError::InvalidValue),
            "cut at {cut}"
        );
    }
    // Too large for the buffer.
    let mut small = [0u8; 20];
    let mut w = Writer::new(&mut small, Encoding::ExplicitVrLittleEndian);
    assert_eq!(w.encoded(&explicit), Err(WriteError::BufferFull));
}

#[test]
fn checked_encoded_elements_write_what_encoded_writes() {
    use crate::service::display::DEMO;
    for encoding in [
        Encoding::ExplicitVrLittleEndian,
        Encoding::ImplicitVrLittleEndian,
    ] {
        let bytes = write_big(encoding, &DEMO);
        let extent = EncodedExtent::check(&bytes, encoding).unwrap();
        let checked = |w: &mut Writer<'_>| w.encoded_checked(&bytes, extent);
        let walked = |w: &mut Writer<'_>| w.encoded(&bytes);
        // Every attribute (the one-copy path), filtered (element by element), inside an
        // item (element by element): the same bytes and missing tags as `encoded`.
        for list in [&[][..], &[MANUFACTURER, Tag::new(0x0009, 0x0010)][..]] {
            assert_eq!(
                filtered(encoding, list, &checked).unwrap(),
                filtered(encoding, list, &walked).unwrap(),
                "{encoding:?} {list:?}"
            );
        }
        let nested = |w: &mut Writer<'_>| {
            w.sequence(SUBSYSTEMS, |seq| {
                seq.item(|item| item.encoded_checked(&bytes, extent))
            })
        };
        let nested_walked = |w: &mut Writer<'_>| {
            w.sequence(SUBSYSTEMS, |seq| seq.item(|item| item.encoded(&bytes)))
        };
        assert_eq!(
            write_big(encoding, &nested),
            write_big(encoding, &nested_walked)
        );
        // The order check still holds at both ends: nothing at or after the first tag may
        // come before, nothing at or before the last tag after.
        let mut buf = std::vec![0u8; 8192];
        let mut w = Writer::new(&mut buf, encoding);
        w.string(Tag::new(0x7FE0, 0x0001), Vr::LO, "X").unwrap();
        assert_eq!(
            w.encoded_checked(&bytes, extent),
            Err(WriteError::OutOfOrder)
        );
        let mut w = Writer::new(&mut buf, encoding);
        w.encoded_checked(&bytes, extent).unwrap();
        assert_eq!(
            w.string(MANUFACTURER, Vr::LO, "X"),
            Err(WriteError::OutOfOrder)
        );
        // An extent of other bytes, or of the other encoding, is not trusted: the bytes
        // are read element by element, and a cut run fails as with `encoded`.
        let other = if encoding == Encoding::ExplicitVrLittleEndian {
            Encoding::ImplicitVrLittleEndian
        } else {
            Encoding::ExplicitVrLittleEndian
        };
        let foreign = EncodedExtent::check(&write_big(other, &DEMO), other).unwrap();
        assert_eq!(
            write_big(encoding, &|w: &mut Writer<'_>| w
                .encoded_checked(&bytes, foreign)),
            bytes
        );
        let mut w = Writer::new(&mut buf, encoding);
        assert_eq!(
            w.encoded_checked(&bytes[..bytes.len() - 1], extent),
            Err(WriteError::InvalidValue)
        );
        // Too small a buffer.
        let mut small = [0u8; 20];
        let mut w = Writer::new(&mut small, encoding);
        assert_eq!(
            w.encoded_checked(&bytes, extent),
            Err(WriteError::BufferFull)
        );
    }
    // `check` refuses what `encoded` refuses.
    let explicit = write(Encoding::ExplicitVrLittleEndian, &display).unwrap();
    for cut in (1..explicit.len()).filter(|&c| c != 12) {
        assert_eq!(
            EncodedExtent::check(&explicit[..cut], Encoding::ExplicitVrLittleEndian),
            Err(WriteError::InvalidValue),
            "cut at {cut}"
        );
    }
    let mut twice = explicit.clone();
    twice.extend_from_slice(&explicit);
    assert_eq!(
        EncodedExtent::check(&twice, Encoding::ExplicitVrLittleEndian),
        Err(WriteError::OutOfOrder)
    );
    let item = hex("feff00e000000000");
    assert_eq!(
        EncodedExtent::check(&item, Encoding::ImplicitVrLittleEndian),
        Err(WriteError::InvalidValue)
    );
    let empty = EncodedExtent::check(&[], Encoding::ImplicitVrLittleEndian).unwrap();
    let mut buf = [0u8; 8];
    let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian);
    w.encoded_checked(&[], empty).unwrap();
    assert_eq!(w.written(), 0);
}

fn write_big_with<S: DataSetSource + ?Sized>(
    encoding: Encoding,
    lengths: SequenceLength,
    source: &S,
) -> Vec<u8> {
    let mut buf = std::vec![0u8; 8192];
    let mut w = Writer::new(&mut buf, encoding).with_sequence_length(lengths);
    w.write(source).unwrap();
    let n = w.written();
    buf[..n].to_vec()
}

fn write_big<S: DataSetSource + ?Sized>(encoding: Encoding, source: &S) -> Vec<u8> {
    write_big_with(encoding, SequenceLength::Defined, source)
}

/// `begin_sequence`/`begin_item` and their ends (the C API's way) write what the closures
/// write, in both lengths, and a filtered-out sequence is reported as `None`.
#[test]
fn begin_end_writes_what_the_closures_write() {
    let seq = Tag::new(0x0028, 0x7023);
    let (a, b) = (Tag::new(0x0028, 0x7003), Tag::new(0x0028, 0x7006));
    for lengths in [SequenceLength::Defined, SequenceLength::Undefined] {
        let mut one = [0u8; 256];
        let mut w =
            Writer::new(&mut one, Encoding::ExplicitVrLittleEndian).with_sequence_length(lengths);
        w.sequence(seq, |s| {
            s.item(|i| {
                i.u16(a, 1)?;
                i.sequence(Tag::new(0x0028, 0x7012), |s| s.item(|i| i.u16(a, 2)))
            })?;
            s.item(|i| i.string(b, Vr::CS, "OK"))
        })
        .unwrap();
        let n1 = w.written();
        let mut two = [0u8; 256];
        let mut w =
            Writer::new(&mut two, Encoding::ExplicitVrLittleEndian).with_sequence_length(lengths);
        let s = w.begin_sequence(seq).unwrap().unwrap();
        let i = w.begin_item().unwrap();
        w.u16(a, 1).unwrap();
        let inner = w.begin_sequence(Tag::new(0x0028, 0x7012)).unwrap().unwrap();
        let j = w.begin_item().unwrap();
        w.u16(a, 2).unwrap();
        w.end_item(j).unwrap();
        w.end_sequence(inner).unwrap();
        w.end_item(i).unwrap();
        let i = w.begin_item().unwrap();
        // The order check starts afresh in each item.
        w.string(b, Vr::CS, "OK").unwrap();
        w.end_item(i).unwrap();
        w.end_sequence(s).unwrap();
        assert_eq!(w.depth(), 0);
        let n2 = w.written();
        assert_eq!(&one[..n1], &two[..n2], "{lengths:?}");
    }
    let mut buf = [0u8; 64];
    let list = Tag::new(0x0008, 0x0070).to_le_bytes();
    let filter = AttributeFilter::new(&list).unwrap();
    let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian).with_filter(filter);
    assert!(w.begin_sequence(seq).unwrap().is_none());
    assert_eq!(w.written(), 0);
    assert_eq!(w.begin_item().unwrap_err(), WriteError::InvalidValue);
}

/// An element as PS3.5 §7.1 lays it out, built byte by byte: the reference the writer's word
/// stores are checked against.
fn reference_element(encoding: Encoding, tag: Tag, vr: Vr, value: &[u8]) -> Vec<u8> {
    let mut padded = value.to_vec();
    if padded.len() % 2 == 1 {
        padded.push(vr.padding());
    }
    let mut out = Vec::new();
    out.extend(tag.group().to_le_bytes());
    out.extend(tag.element().to_le_bytes());
    let len = padded.len() as u32;
    match encoding {
        Encoding::ImplicitVrLittleEndian => out.extend(len.to_le_bytes()),
        Encoding::ExplicitVrLittleEndian => {
            out.extend(vr.as_bytes());
            if vr.has_long_length() {
                out.extend([0, 0]);
                out.extend(len.to_le_bytes());
            } else {
                out.extend((len as u16).to_le_bytes());
            }
        }
    }
    out.extend(padded);
    out
}

proptest::proptest! {
    /// `Writer::string` in its short (at most 16 bytes, stored as words) and long forms,
    /// after another element, with and without a filter: the reference bytes, or
    /// `InvalidValue` for a value with a NUL, whether or not the filter keeps it.
    #[test]
    fn strings_are_written_as_the_standard_lays_them_out(
        chars in proptest::collection::vec(
            proptest::sample::select(&['A', 'z', ' ', '\\', '\0', '.', 'é', '1'][..]),
            0..40,
        ),
        vr in proptest::sample::select(&[Vr::CS, Vr::LO, Vr::SH, Vr::UI, Vr::LT, Vr::UT, Vr::UC, Vr::DT][..]),
        explicit: bool,
        filtered: bool,
        kept: bool,
    ) {
        let value: std::string::String = chars.into_iter().collect();
        let encoding = if explicit {
            Encoding::ExplicitVrLittleEndian
        } else {
            Encoding::ImplicitVrLittleEndian
        };
        let tag = Tag::new(0x0018, 0x1000);
        let list: Vec<u8> = if kept { [MANUFACTURER, tag] } else { [MANUFACTURER, SERIAL_BEFORE] }
            .iter()
            .flat_map(|t| t.to_le_bytes())
            .collect();
        let mut buf = [0xA5u8; 256];
        let mut w = Writer::new(&mut buf, encoding);
        if filtered {
            w = w.with_filter(AttributeFilter::new(&list).unwrap());
        }
        w.string(MANUFACTURER, Vr::LO, "ACME").unwrap();
        let result = w.string(tag, vr, &value);
        let written = w.written();
        let missing: Vec<Tag> = w.missing().collect();
        let mut expected = reference_element(encoding, MANUFACTURER, Vr::LO, b"ACME");
        if value.contains('\0') {
            proptest::prop_assert_eq!(result, Err(WriteError::InvalidValue));
            return Ok(());
        }
        proptest::prop_assert_eq!(result, Ok(()));
        if !filtered || kept {
            expected.extend(reference_element(encoding, tag, vr, value.as_bytes()));
        }
        proptest::prop_assert_eq!(&buf[..written], &expected[..]);
        let expected_missing: Vec<Tag> = if filtered && !kept { std::vec![SERIAL_BEFORE] } else { Vec::new() };
        proptest::prop_assert_eq!(missing, expected_missing);
    }
}

/// A tag a filter asks for that no test writes.
const SERIAL_BEFORE: Tag = Tag::new(0x0018, 0x0FFF);
