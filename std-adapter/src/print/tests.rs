use serde_json::{json, Value};

use super::json::base64;
use super::*;
use dimse_core::dataset::{SequenceLength, Tag, Vr, WriteError, Writer};
use dimse_core::service::display::DEMO;

const EXPLICIT: Encoding = Encoding::ExplicitVrLittleEndian;
const IMPLICIT: Encoding = Encoding::ImplicitVrLittleEndian;

/// Encodes what `write` writes.
fn encode(
    encoding: Encoding,
    lengths: SequenceLength,
    write: impl FnOnce(&mut Writer<'_>) -> Result<(), WriteError>,
) -> Vec<u8> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut w = Writer::new(&mut buf, encoding).with_sequence_length(lengths);
    write(&mut w).expect("the test data set encodes");
    let n = w.written();
    buf.truncate(n);
    buf
}

fn demo(encoding: Encoding) -> Vec<u8> {
    encode(encoding, SequenceLength::Defined, |w| w.write(&DEMO))
}

// ---------------------------------------------------------------------------------------
// The Display System demo

#[test]
fn demo_is_the_same_in_both_encodings_and_both_sequence_lengths() {
    let text = to_text(&demo(EXPLICIT), EXPLICIT).unwrap();
    let json = to_json(&demo(EXPLICIT), EXPLICIT).unwrap();
    for encoding in [EXPLICIT, IMPLICIT] {
        for lengths in [SequenceLength::Defined, SequenceLength::Undefined] {
            let data = encode(encoding, lengths, |w| w.write(&DEMO));
            assert_eq!(
                to_text(&data, encoding).unwrap(),
                text,
                "{encoding:?} {lengths:?}"
            );
            assert_eq!(
                to_json(&data, encoding).unwrap(),
                json,
                "{encoding:?} {lengths:?}"
            );
        }
    }
}

#[test]
fn demo_text_lines() {
    let text = to_text(&demo(IMPLICIT), IMPLICIT).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "(0008,0070) LO Manufacturer  Example Displays");
    let has = |line: &str| lines.contains(&line);
    assert!(has(
        "(0008,0081) ST InstitutionAddress  1 Example Way, Springfield"
    ));
    assert!(has("(0018,1204) DA DateOfManufacture  20230915"));
    assert!(has("(0028,7001) US NumberOfDisplaySubsystems  2"));
    assert!(has("    (0028,7018) FL CIExyWhitePoint  0.3127\\0.329"));
    assert!(has("    (0040,A123) PN PersonName  PACS Administrator"));

    // The Display Subsystem Sequence, its two items, and their elements one level deeper.
    let start = lines
        .iter()
        .position(|l| *l == "(0028,7023) SQ DisplaySubsystemSequence  <2 items>")
        .expect("the Display Subsystem Sequence");
    let expected_first_item = [
        "  Item 1",
        "    (0008,0070) LO Manufacturer  Example Displays",
        "    (0008,1090) LO ManufacturerModelName  EDS-M21 21.3in 3MP",
        "    (0018,1000) LO DeviceSerialNumber  EDSM21-0000871",
        "    (0018,1204) DA DateOfManufacture  20230901",
        "    (0028,7002) US CurrentConfigurationID  1",
        "    (0028,7003) US DisplaySubsystemID  1",
        "    (0028,7004) SH DisplaySubsystemName  LEFT",
        "    (0028,7005) LO DisplaySubsystemDescription  Left diagnostic head",
        "    (0028,7006) CS SystemStatus  OK",
        "    (0028,7007) LO SystemStatusComment  <empty>",
        "    (0028,700A) SQ DisplaySubsystemConfigurationSequence  <2 items>",
        "      Item 1",
        "        (0028,700B) US ConfigurationID  1",
        "        (0028,700C) SH ConfigurationName  DICOM",
    ];
    assert_eq!(
        &lines[start + 1..start + 1 + expected_first_item.len()],
        expected_first_item
    );
    assert!(has("  Item 2"));
    assert!(has("    (0028,7006) CS SystemStatus  WARNING"));
    assert!(has(
        "    (0028,7007) LO SystemStatusComment  Acceptance test pending"
    ));
    // Empty sequences, and a multi-valued CS several levels down.
    assert!(has(
        "                (0040,4035) SQ ActualHumanPerformersSequence  <0 items>"
    ));
    assert!(has(
        "                    (0028,7026) CS MeasuredCharacteristics  UNIFORMITY\\LUMINANCE"
    ));
}

#[test]
fn demo_json() {
    let data = demo(EXPLICIT);
    let json = to_json(&data, EXPLICIT).unwrap();
    // It is JSON: it prints and parses back to the same value.
    let printed = serde_json::to_string_pretty(&json).unwrap();
    let parsed: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(parsed, json);

    assert_eq!(
        parsed["00080070"],
        json!({"vr": "LO", "Value": ["Example Displays"]})
    );
    assert_eq!(parsed["00287001"], json!({"vr": "US", "Value": [2]}));
    // PN as an object (PS3.18 §F.2.2), inside a sequence item.
    assert_eq!(
        parsed["00287000"]["Value"][0]["0040A123"],
        json!({"vr": "PN", "Value": [{"Alphabetic": "PACS Administrator"}]})
    );
    // The Display Subsystem Sequence: two nested objects.
    let subsystems = &parsed["00287023"];
    assert_eq!(subsystems["vr"], "SQ");
    let items = subsystems["Value"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["00287003"], json!({"vr": "US", "Value": [1]}));
    assert_eq!(items[1]["00287003"], json!({"vr": "US", "Value": [2]}));
    assert_eq!(
        items[1]["00287006"],
        json!({"vr": "CS", "Value": ["WARNING"]})
    );
    // An empty LO (Type 2, left empty on the first head) has no "Value" (§F.2.5).
    assert_eq!(items[0]["00287007"], json!({"vr": "LO"}));
    // FL values at their f32 precision, not the f64 widening of it.
    assert_eq!(
        parsed["00287008"]["Value"][0]["00287018"],
        json!({"vr": "FL", "Value": [0.3127, 0.329]})
    );
    // A sequence with no items has no "Value" either (§F.2.5).
    let visual = &parsed["0028700F"]["Value"][0]["00287010"]["Value"][0]["00287011"]["Value"][0]
        ["00287015"]["Value"][0];
    assert_eq!(visual["00287012"], json!({"vr": "SQ"}));
    // Member names are eight uppercase hex digits in ascending order (§F.2.2).
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    assert!(keys.iter().all(|k| k.len() == 8
        && k.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))));
    // "vr" first, as in the standard's examples.
    assert!(printed.contains("\"00080070\": {\n    \"vr\": \"LO\",\n    \"Value\": ["));
}

// ---------------------------------------------------------------------------------------
// Malformed input

#[test]
fn truncated_input_is_an_error_not_a_panic() {
    for encoding in [EXPLICIT, IMPLICIT] {
        for lengths in [SequenceLength::Defined, SequenceLength::Undefined] {
            let data = encode(encoding, lengths, |w| w.write(&DEMO));
            // Every prefix: never a panic; a cut inside a sequence is always an error.
            for n in 0..data.len() {
                let text = to_text(&data[..n], encoding);
                let json = to_json(&data[..n], encoding);
                assert_eq!(text.is_ok(), json.is_ok(), "{n}");
            }
            let cut = &data[..data.len() - 1];
            let err = to_text(cut, encoding).unwrap_err();
            assert!(
                matches!(
                    err,
                    PrintError::Malformed {
                        error: ReadError::Truncated,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert_eq!(to_json(cut, encoding).unwrap_err(), err);
            assert!(err.to_string().starts_with("malformed data set at byte "));
        }
    }
}

#[test]
fn garbage_is_an_error() {
    let err = to_json(&[0x08, 0x00, 0x70, 0x00, b'X', b'X', 0, 0], EXPLICIT).unwrap_err();
    assert_eq!(
        err,
        PrintError::Malformed {
            error: ReadError::UnknownVr,
            offset: 6
        }
    );
    assert_eq!(
        err.to_string(),
        "malformed data set at byte 6: an unknown VR"
    );
    // An item outside any sequence.
    let item = [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0];
    assert!(to_text(&item, IMPLICIT).is_err());
    // A length past the end.
    let long = [0x08, 0x00, 0x70, 0x00, 0xFF, 0, 0, 0, b'A', b'B'];
    assert!(to_text(&long, IMPLICIT).is_err());
    let source: &dyn std::error::Error = &err;
    assert!(source.source().is_none());
    // Nothing at all is an empty data set.
    assert_eq!(to_text(&[], IMPLICIT).unwrap(), "");
    assert_eq!(to_json(&[], IMPLICIT).unwrap(), json!({}));
}

// ---------------------------------------------------------------------------------------
// Every VR

fn t(group: u16, element: u16) -> Tag {
    Tag::new(group, element)
}

const LONG_TEXT: &str = "A long comment that goes on and on, well past the width the text rendering allows for one value.";

/// One element (or more) of every VR, in ascending tag order.
fn every_vr(w: &mut Writer<'_>) -> Result<(), WriteError> {
    w.u32(t(0x0008, 0x0000), 1234)?; // a group length: in the text, not in the JSON
    w.bytes(t(0x0008, 0x0002), Vr::UN, &[1, 2])?; // a tag no dictionary knows
    w.string(t(0x0008, 0x0018), Vr::UI, "1.2.3")?; // padded with a NUL
    w.string(t(0x0008, 0x0020), Vr::DA, "20240311")?;
    w.string(t(0x0008, 0x002A), Vr::DT, "20240311093000")?;
    w.string(t(0x0008, 0x0030), Vr::TM, "093000")?;
    w.string(t(0x0008, 0x0050), Vr::SH, "")?; // empty
    w.strings(t(0x0008, 0x0054), Vr::AE, &["DISPLAY_QA", "ARCHIVE"])?;
    w.string(t(0x0008, 0x0061), Vr::CS, "bar\\\\foo")?; // an empty value among three
    w.string(t(0x0008, 0x0070), Vr::LO, "  Leading and trailing  ")?;
    w.string(t(0x0008, 0x0081), Vr::ST, "  Line 1\r\nLine 2")?;
    w.string(t(0x0008, 0x0090), Vr::PN, "^Bob^^Dr.")?;
    w.string(t(0x0008, 0x0119), Vr::UC, "UC one\\UC two")?;
    w.string(t(0x0008, 0x0201), Vr::SH, "+0100")?;
    w.sequence(t(0x0008, 0x1115), |_| Ok(()))?; // a sequence with no items
    w.string(t(0x0008, 0x1190), Vr::UR, "http://example.invalid/a\\b")?;
    w.string(t(0x0009, 0x0010), Vr::LO, "Vendor A")?;
    w.bytes(
        t(0x0009, 0x1002),
        Vr::UN,
        &[0xCF, 0x4C, 0x7D, 0x73, 0xCB, 0xFB],
    )?;
    w.string(
        t(0x0010, 0x0010),
        Vr::PN,
        "Yamada^Tarou=山田^太郎=やまだ^たろう\\=Ideo",
    )?;
    w.string(t(0x0010, 0x1010), Vr::AS, "030Y")?;
    w.string(t(0x0010, 0x4000), Vr::LT, LONG_TEXT)?;
    w.i32(t(0x0018, 0x6020), -5)?;
    w.f64(t(0x0018, 0x9087), 1000.5)?;
    w.i16(t(0x0018, 0x9219), -90)?;
    w.string(t(0x0020, 0x0013), Vr::IS, " 42")?;
    w.string(t(0x0020, 0x1206), Vr::IS, "4")?;
    w.tags(t(0x0020, 0x9165), &[t(0x0028, 0x7003), t(0x0008, 0x0070)])?;
    w.u16s(t(0x0028, 0x0010), &[512, 65535])?;
    w.string(t(0x0028, 0x0030), Vr::DS, "0.5\\-81.750000\\400\\1e3\\NaN")?;
    w.bytes(t(0x0028, 0x1201), Vr::OW, &[0x34, 0x12, 0x78, 0x56])?;
    w.f32s(t(0x0028, 0x7018), &[0.3127, 0.329])?;
    w.u32(t(0x0028, 0x9001), u32::MAX)?;
    w.string(t(0x0040, 0xA160), Vr::UT, "UT text\\with a backslash")?;
    w.sequence(t(0x0040, 0xA730), |seq| {
        seq.item(|_| Ok(()))?; // an empty item
        seq.item(|item| item.string(t(0x0008, 0x0100), Vr::SH, "109992"))
    })?;
    let document: Vec<u8> = (0..20).collect();
    w.bytes(t(0x0042, 0x0011), Vr::OB, &document)?;
    w.bytes(t(0x0066, 0x0040), Vr::OL, &[1, 0, 0, 0])?;
    w.bytes(t(0x0072, 0x0082), Vr::SV, &(-(1i64 << 40)).to_le_bytes())?;
    w.bytes(t(0x0072, 0x0083), Vr::UV, &u64::MAX.to_le_bytes())?;
    w.bytes(t(0x7FE0, 0x0001), Vr::OV, &[0; 8])?;
    w.bytes(t(0x7FE0, 0x0008), Vr::OF, &1.0f32.to_le_bytes())?;
    w.bytes(t(0x7FE0, 0x0009), Vr::OD, &[])?; // an empty binary value
    Ok(())
}

const EVERY_VR_TEXT: &str = "\
(0008,0000) UL GenericGroupLength  1234
(0008,0002) UN Unknown  <2 bytes> 01 02
(0008,0018) UI SOPInstanceUID  1.2.3
(0008,0020) DA StudyDate  20240311
(0008,002A) DT AcquisitionDateTime  20240311093000
(0008,0030) TM StudyTime  093000
(0008,0050) SH AccessionNumber  <empty>
(0008,0054) AE RetrieveAETitle  DISPLAY_QA\\ARCHIVE
(0008,0061) CS ModalitiesInStudy  bar\\\\foo
(0008,0070) LO Manufacturer  Leading and trailing
(0008,0081) ST InstitutionAddress    Line 1\\r\\nLine 2
(0008,0090) PN ReferringPhysicianName  ^Bob^^Dr.
(0008,0119) UC LongCodeValue  UC one\\UC two
(0008,0201) SH TimezoneOffsetFromUTC  +0100
(0008,1115) SQ ReferencedSeriesSequence  <0 items>
(0008,1190) UR RetrieveURL  http://example.invalid/a\\b
(0009,0010) LO PrivateCreator  Vendor A
(0009,1002) UN Private  <6 bytes> cf 4c 7d 73 cb fb
(0010,0010) PN PatientName  Yamada^Tarou=山田^太郎=やまだ^たろう\\=Ideo
(0010,1010) AS PatientAge  030Y
(0010,4000) LT PatientComments  A long comment that goes on and on, well past the width the text rendering allo…
(0018,6020) SL ReferencePixelX0  -5
(0018,9087) FD DiffusionBValue  1000.5
(0018,9219) SS TagAngleSecondAxis  -90
(0020,0013) IS InstanceNumber  42
(0020,1206) IS NumberOfStudyRelatedSeries  4
(0020,9165) AT DimensionIndexPointer  (0028,7003)\\(0008,0070)
(0028,0010) US Rows  512\\65535
(0028,0030) DS PixelSpacing  0.5\\-81.750000\\400\\1e3\\NaN
(0028,1201) OW RedPaletteColorLookupTableData  <4 bytes> 34 12 78 56
(0028,7018) FL CIExyWhitePoint  0.3127\\0.329
(0028,9001) UL DataPointRows  4294967295
(0040,A160) UT TextValue  UT text\\with a backslash
(0040,A730) SQ ContentSequence  <2 items>
  Item 1
  Item 2
    (0008,0100) SH CodeValue  109992
(0042,0011) OB EncapsulatedDocument  <20 bytes> 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f …
(0066,0040) OL LongPrimitivePointIndexList  <4 bytes> 01 00 00 00
(0072,0082) SV SelectorSVValue  -1099511627776
(0072,0083) UV SelectorUVValue  18446744073709551615
(7FE0,0001) OV ExtendedOffsetTable  <8 bytes> 00 00 00 00 00 00 00 00
(7FE0,0008) OF FloatPixelData  <4 bytes> 00 00 80 3f
(7FE0,0009) OD DoubleFloatPixelData  <empty>
";

#[test]
fn every_vr_as_text() {
    let data = encode(EXPLICIT, SequenceLength::Defined, every_vr);
    let text = to_text(&data, EXPLICIT).unwrap();
    for (got, want) in text.lines().zip(EVERY_VR_TEXT.lines()) {
        assert_eq!(got, want);
    }
    assert_eq!(text, EVERY_VR_TEXT);
    // The long LT is cut to the width, ending in an ellipsis.
    let lt = text
        .lines()
        .find(|l| l.contains("PatientComments"))
        .unwrap();
    let value = lt.split_once("  ").unwrap().1;
    assert_eq!(value.chars().count(), TEXT_VALUE_WIDTH);
    assert!(value.ends_with('…'));
}

fn every_vr_json() -> Value {
    // Parsed from text: a `json!` this big exceeds the default macro recursion limit.
    let text = r#"{
        "00080002": {"vr": "UN", "InlineBinary": "AQI="},
        "00080018": {"vr": "UI", "Value": ["1.2.3"]},
        "00080020": {"vr": "DA", "Value": ["20240311"]},
        "0008002A": {"vr": "DT", "Value": ["20240311093000"]},
        "00080030": {"vr": "TM", "Value": ["093000"]},
        "00080050": {"vr": "SH"},
        "00080054": {"vr": "AE", "Value": ["DISPLAY_QA", "ARCHIVE"]},
        "00080061": {"vr": "CS", "Value": ["bar", null, "foo"]},
        "00080070": {"vr": "LO", "Value": ["Leading and trailing"]},
        "00080081": {"vr": "ST", "Value": ["  Line 1\r\nLine 2"]},
        "00080090": {"vr": "PN", "Value": [{"Alphabetic": "^Bob^^Dr."}]},
        "00080119": {"vr": "UC", "Value": ["UC one", "UC two"]},
        "00080201": {"vr": "SH", "Value": ["+0100"]},
        "00081115": {"vr": "SQ"},
        "00081190": {"vr": "UR", "Value": ["http://example.invalid/a\\b"]},
        "00090010": {"vr": "LO", "Value": ["Vendor A"]},
        "00091002": {"vr": "UN", "InlineBinary": "z0x9c8v7"},
        "00100010": {"vr": "PN", "Value": [
            {
                "Alphabetic": "Yamada^Tarou",
                "Ideographic": "山田^太郎",
                "Phonetic": "やまだ^たろう"
            },
            {"Ideographic": "Ideo"}
        ]},
        "00101010": {"vr": "AS", "Value": ["030Y"]},
        "00104000": {"vr": "LT", "Value": ["LONG_TEXT"]},
        "00186020": {"vr": "SL", "Value": [-5]},
        "00189087": {"vr": "FD", "Value": [1000.5]},
        "00189219": {"vr": "SS", "Value": [-90]},
        "00200013": {"vr": "IS", "Value": [42]},
        "00201206": {"vr": "IS", "Value": [4]},
        "00209165": {"vr": "AT", "Value": ["00287003", "00080070"]},
        "00280010": {"vr": "US", "Value": [512, 65535]},
        "00280030": {"vr": "DS", "Value": [0.5, -81.75, 400, 1000.0, "NaN"]},
        "00281201": {"vr": "OW", "InlineBinary": "NBJ4Vg=="},
        "00287018": {"vr": "FL", "Value": [0.3127, 0.329]},
        "00289001": {"vr": "UL", "Value": [4294967295]},
        "0040A160": {"vr": "UT", "Value": ["UT text\\with a backslash"]},
        "0040A730": {"vr": "SQ", "Value": [
            {},
            {"00080100": {"vr": "SH", "Value": ["109992"]}}
        ]},
        "00420011": {"vr": "OB", "InlineBinary": "AAECAwQFBgcICQoLDA0ODxAREhM="},
        "00660040": {"vr": "OL", "InlineBinary": "AQAAAA=="},
        "00720082": {"vr": "SV", "Value": [-1099511627776]},
        "00720083": {"vr": "UV", "Value": [18446744073709551615]},
        "7FE00001": {"vr": "OV", "InlineBinary": "AAAAAAAAAAA="},
        "7FE00008": {"vr": "OF", "InlineBinary": "AACAPw=="},
        "7FE00009": {"vr": "OD"}
    }"#;
    serde_json::from_str(&text.replace("LONG_TEXT", LONG_TEXT)).unwrap()
}

#[test]
fn every_vr_as_json() {
    let data = encode(EXPLICIT, SequenceLength::Defined, every_vr);
    let got = to_json(&data, EXPLICIT).unwrap();
    let want = every_vr_json();
    let (got_map, want_map) = (got.as_object().unwrap(), want.as_object().unwrap());
    for (key, value) in want_map {
        assert_eq!(got_map.get(key), Some(value), "{key}");
    }
    assert_eq!(got, want);
    // The group length (0008,0000) is left out (§F.2.2).
    assert!(got.get("00080000").is_none());
}

#[test]
fn every_vr_reads_the_same_in_implicit_vr() {
    // Every tag above has the dictionary's VR, so Implicit VR loses nothing.
    let explicit = encode(EXPLICIT, SequenceLength::Defined, every_vr);
    let implicit = encode(IMPLICIT, SequenceLength::Undefined, every_vr);
    assert_eq!(to_text(&implicit, IMPLICIT).unwrap(), EVERY_VR_TEXT);
    assert_eq!(
        to_json(&implicit, IMPLICIT).unwrap(),
        to_json(&explicit, EXPLICIT).unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// Against PS3.18

/// The example attributes of PS3.18 Annex F (the DICOM JSON example data set, as also
/// reproduced in dicom-rs's `dicom-json` tests), encoded and rendered back.
#[test]
fn ps3_18_example_attributes() {
    let data = encode(EXPLICIT, SequenceLength::Defined, |w| {
        w.string(t(0x0008, 0x0005), Vr::CS, "ISO_IR 192")?;
        w.string(t(0x0008, 0x0061), Vr::CS, "CT\\PET")?;
        w.string(t(0x0008, 0x0090), Vr::PN, "^Bob^^Dr.")?;
        w.string(t(0x0009, 0x0010), Vr::LO, "Vendor A")?;
        w.bytes(
            t(0x0009, 0x1002),
            Vr::UN,
            &[0xCF, 0x4C, 0x7D, 0x73, 0xCB, 0xFB],
        )?;
        w.string(t(0x0010, 0x1010), Vr::AS, "30Y")?;
        w.string(t(0x0020, 0x1206), Vr::IS, "4")?;
        w.string(t(0x0020, 0x1208), Vr::IS, "942")
    });
    let json = to_json(&data, EXPLICIT).unwrap();
    let expected: Value = serde_json::from_str(
        r#"{
            "00080005": { "vr": "CS", "Value": [ "ISO_IR 192" ] },
            "00080061": { "vr": "CS", "Value": [ "CT", "PET" ] },
            "00080090": { "vr": "PN", "Value": [ { "Alphabetic": "^Bob^^Dr." } ] },
            "00090010": { "vr": "LO", "Value": [ "Vendor A" ] },
            "00091002": { "vr": "UN", "InlineBinary": "z0x9c8v7" },
            "00101010": { "vr": "AS", "Value": [ "30Y" ] },
            "00201206": { "vr": "IS", "Value": [ 4 ] },
            "00201208": { "vr": "IS", "Value": [ 942 ] }
        }"#,
    )
    .unwrap();
    assert_eq!(json, expected);
}

/// PS3.18 §F.2.4 and §F.2.5 give these snippets verbatim: `"Value": [ "bar", "foo" ]`,
/// `"Value": [ "bar" ]`, `"Value": [ "bar", null, "foo" ]`, and `[ { … }, { }, { … } ]`
/// for a sequence with an empty item; an empty attribute has no "Value".
#[test]
fn ps3_18_value_and_null_value_snippets() {
    let data = encode(EXPLICIT, SequenceLength::Defined, |w| {
        w.string(t(0x0008, 0x0050), Vr::SH, "")?;
        w.string(t(0x0008, 0x0060), Vr::CS, "bar")?;
        w.string(t(0x0008, 0x0061), Vr::CS, "bar\\foo")?;
        w.string(t(0x0008, 0x0062), Vr::UI, "bar\\\\foo")?;
        w.sequence(t(0x0008, 0x1115), |seq| {
            seq.item(|i| i.string(t(0x0008, 0x0060), Vr::CS, "A"))?;
            seq.item(|_| Ok(()))?;
            seq.item(|i| i.string(t(0x0008, 0x0060), Vr::CS, "B"))
        })
    });
    let json = to_json(&data, EXPLICIT).unwrap();
    assert_eq!(json["00080050"], json!({"vr": "SH"}));
    assert_eq!(json["00080060"]["Value"], json!(["bar"]));
    assert_eq!(json["00080061"]["Value"], json!(["bar", "foo"]));
    assert_eq!(json["00080062"]["Value"], json!(["bar", null, "foo"]));
    assert_eq!(
        json["00081115"]["Value"],
        json!([
            {"00080060": {"vr": "CS", "Value": ["A"]}},
            {},
            {"00080060": {"vr": "CS", "Value": ["B"]}}
        ])
    );
}

/// Table F.2.3-1 maps IS and DS to "Number or String"; its note allows a string to keep the
/// original form or the precision. Numbers here, strings only when a number would not do.
#[test]
fn is_and_ds_numbers() {
    let data = encode(EXPLICIT, SequenceLength::Defined, |w| {
        w.string(
            t(0x0020, 0x0013),
            Vr::IS,
            "-12\\+7\\ 3\\99999999999999999999\\x",
        )?;
        w.string(
            t(0x0028, 0x0030),
            Vr::DS,
            "1\\0.1\\-2.5E-3\\ 7.0\\1e400\\inf",
        )
    });
    let json = to_json(&data, EXPLICIT).unwrap();
    assert_eq!(
        json["00200013"]["Value"],
        json!([-12, 7, 3, "99999999999999999999", "x"])
    );
    assert_eq!(
        json["00280030"]["Value"],
        json!([1, 0.1, -0.0025, 7.0, "1e400", "inf"])
    );
    assert_eq!(
        serde_json::to_string(&json["00280030"]["Value"]).unwrap(),
        r#"[1,0.1,-0.0025,7.0,"1e400","inf"]"#
    );
}

// ---------------------------------------------------------------------------------------
// Details

#[test]
fn character_sets() {
    let data = encode(EXPLICIT, SequenceLength::Defined, |w| {
        w.string(t(0x0008, 0x0005), Vr::CS, "ISO_IR 100")?;
        w.bytes(t(0x0008, 0x0070), Vr::LO, b"M\xFCller")?;
        w.sequence(t(0x0040, 0xA730), |seq| {
            // Inherits Latin-1 ...
            seq.item(|i| i.bytes(t(0x0008, 0x0104), Vr::LO, b"Gr\xF6\xDFe"))?;
            // ... unless the item says otherwise.
            seq.item(|i| {
                i.string(t(0x0008, 0x0005), Vr::CS, "ISO_IR 192")?;
                i.string(t(0x0008, 0x0104), Vr::LO, "Größe")
            })
        })
    });
    let json = to_json(&data, EXPLICIT).unwrap();
    assert_eq!(json["00080070"]["Value"], json!(["Müller"]));
    assert_eq!(
        json["0040A730"]["Value"][0]["00080104"]["Value"],
        json!(["Größe"])
    );
    assert_eq!(
        json["0040A730"]["Value"][1]["00080104"]["Value"],
        json!(["Größe"])
    );
    let text = to_text(&data, EXPLICIT).unwrap();
    assert!(text.contains("(0008,0070) LO Manufacturer  Müller\n"));
    // Without a character set, bytes that are not UTF-8 become U+FFFD.
    let data = encode(EXPLICIT, SequenceLength::Defined, |w| {
        w.bytes(t(0x0008, 0x0070), Vr::LO, b"M\xFCller")
    });
    let json = to_json(&data, EXPLICIT).unwrap();
    assert_eq!(json["00080070"]["Value"], json!(["M\u{FFFD}ller"]));
}

#[test]
fn keywords() {
    use crate::dataset::keyword;
    assert_eq!(keyword(t(0x0008, 0x0070)), "Manufacturer");
    assert_eq!(keyword(t(0x0028, 0x7023)), "DisplaySubsystemSequence");
    assert_eq!(keyword(t(0x0000, 0x1005)), "AttributeIdentifierList");
    assert_eq!(keyword(t(0x6002, 0x3000)), "OverlayData");
    assert_eq!(keyword(t(0x6001, 0x3000)), "Private");
    assert_eq!(keyword(t(0x0029, 0x0010)), "PrivateCreator");
    assert_eq!(keyword(t(0x0029, 0x1010)), "Private");
    assert_eq!(keyword(t(0x0008, 0x0002)), "Unknown");
    assert_eq!(keyword(t(0x0010, 0x0000)), "GenericGroupLength");
}

#[test]
fn undefined_length_un_reads_as_a_sequence() {
    // (0009,1010) UN of undefined length holding one Implicit VR item (PS3.5 §6.2.2).
    let mut data = Vec::new();
    data.extend_from_slice(&[
        0x09, 0x00, 0x10, 0x10, b'U', b'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    data.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 12, 0, 0, 0]);
    data.extend_from_slice(&[0x08, 0x00, 0x70, 0x00, 4, 0, 0, 0, b'A', b'C', b'M', b'E']);
    data.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    let text = to_text(&data, EXPLICIT).unwrap();
    assert_eq!(
        text,
        "(0009,1010) UN Private  <1 item>\n  Item 1\n    (0008,0070) LO Manufacturer  ACME\n"
    );
    let json = to_json(&data, EXPLICIT).unwrap();
    assert_eq!(
        json,
        json!({"00091010": {"vr": "SQ", "Value": [
            {"00080070": {"vr": "LO", "Value": ["ACME"]}}
        ]}})
    );
}

#[test]
fn non_finite_floats_are_null_in_json() {
    let data = encode(EXPLICIT, SequenceLength::Defined, |w| {
        w.f64(t(0x0018, 0x9087), f64::NEG_INFINITY)?;
        w.f32s(t(0x0028, 0x7018), &[f32::NAN, f32::INFINITY])
    });
    let json = to_json(&data, EXPLICIT).unwrap();
    assert_eq!(json["00287018"]["Value"], json!([null, null]));
    assert_eq!(json["00189087"]["Value"], json!([null]));
    let text = to_text(&data, EXPLICIT).unwrap();
    assert!(text.contains("CIExyWhitePoint  NaN\\inf\n"), "{text}");
}

#[test]
fn base64_rfc_4648_vectors() {
    // RFC 4648 §10.
    for (input, output) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(input.as_bytes()), output);
    }
    assert_eq!(base64(&[0xFF, 0xFE, 0xFD]), "//79");
    assert_eq!(base64(&[0xFB, 0xFF]), "+/8=");
}
