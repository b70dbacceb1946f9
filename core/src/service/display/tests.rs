//! The Display System model against the crate's own reader and dictionary: DEMO read back in
//! both encodings, VRs, the filter, the PS3.17 PPP worked example, sizes, and `const` use.

extern crate std;
use std::borrow::ToOwned;
use std::string::String;
use std::string::ToString;
use std::vec::Vec;
use std::{format, println, vec};

use super::common::MAX_TERMS;
use super::tags::*;
use super::*;
use crate::dataset::{
    dictionary, value, AttributeFilter, DataSetSource, Encoding, ReadEvent, Reader, SequenceLength,
    Tag, Vr, WriteError, Writer,
};

const SOP_CLASS_UID_TAG: Tag = Tag::new(0x0008, 0x0016);
const SOP_INSTANCE_UID_TAG: Tag = Tag::new(0x0008, 0x0018);

const ENCODINGS: [Encoding; 2] = [
    Encoding::ImplicitVrLittleEndian,
    Encoding::ExplicitVrLittleEndian,
];

/// The buffer the DEMO must fit in.
const DEMO_BUFFER: usize = 4096;

fn write_with<S: DataSetSource + ?Sized>(
    source: &S,
    encoding: Encoding,
    lengths: SequenceLength,
) -> Result<Vec<u8>, WriteError> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut w = Writer::new(&mut buf, encoding).with_sequence_length(lengths);
    w.write(source)?;
    let n = w.written();
    buf.truncate(n);
    Ok(buf)
}

fn write<S: DataSetSource + ?Sized>(source: &S, encoding: Encoding) -> Vec<u8> {
    write_with(source, encoding, SequenceLength::Defined).unwrap()
}

/// A data set read back as a tree, so that tests can walk to any element.
#[derive(Debug, Clone, PartialEq)]
enum Node<'a> {
    Element { tag: Tag, vr: Vr, value: &'a [u8] },
    Sequence { tag: Tag, items: Vec<Vec<Node<'a>>> },
}

impl Node<'_> {
    fn tag(&self) -> Tag {
        match self {
            Node::Element { tag, .. } | Node::Sequence { tag, .. } => *tag,
        }
    }
}

fn tree(data: &[u8], encoding: Encoding) -> Vec<Node<'_>> {
    let mut events = Reader::new(data, encoding).map(|e| e.unwrap());
    let nodes = nodes(&mut events);
    assert!(events.next().is_none());
    nodes
}

/// The elements of a data set or item, up to its end.
fn nodes<'a>(events: &mut impl Iterator<Item = ReadEvent<'a>>) -> Vec<Node<'a>> {
    let mut out = Vec::new();
    while let Some(event) = events.next() {
        match event {
            ReadEvent::Element { tag, vr, value, .. } => out.push(Node::Element { tag, vr, value }),
            ReadEvent::SequenceStart { tag, vr, .. } => {
                assert_eq!(vr, Vr::SQ);
                let mut items = Vec::new();
                loop {
                    match events.next().unwrap() {
                        ReadEvent::ItemStart { .. } => items.push(nodes(events)),
                        ReadEvent::SequenceEnd { tag: end, .. } => {
                            assert_eq!(end, tag);
                            break;
                        }
                        other => panic!("{other:?} in a sequence"),
                    }
                }
                out.push(Node::Sequence { tag, items });
            }
            ReadEvent::ItemEnd { .. } => return out,
            ReadEvent::ItemStart { .. } | ReadEvent::SequenceEnd { .. } => panic!("{event:?}"),
        }
    }
    out
}

fn tags_of(nodes: &[Node<'_>]) -> Vec<Tag> {
    nodes.iter().map(Node::tag).collect()
}

fn get<'n, 'a>(nodes: &'n [Node<'a>], tag: Tag) -> &'n Node<'a> {
    nodes
        .iter()
        .find(|n| n.tag() == tag)
        .unwrap_or_else(|| panic!("{tag} missing from {:?}", tags_of(nodes)))
}

fn raw<'a>(nodes: &[Node<'a>], tag: Tag) -> &'a [u8] {
    match get(nodes, tag) {
        Node::Element { value, .. } => value,
        Node::Sequence { .. } => panic!("{tag} is a sequence"),
    }
}

fn text<'a>(nodes: &[Node<'a>], tag: Tag) -> &'a str {
    value::string(raw(nodes, tag)).unwrap()
}

fn texts(nodes: &[Node<'_>], tag: Tag) -> Vec<String> {
    value::strings(raw(nodes, tag))
        .map(|v| String::from_utf8(v.to_vec()).unwrap())
        .collect()
}

fn us(nodes: &[Node<'_>], tag: Tag) -> Option<u16> {
    let v = raw(nodes, tag);
    assert!(v.len() <= 2, "{tag}: {v:?}");
    value::u16s(v).next()
}

fn fl(nodes: &[Node<'_>], tag: Tag) -> Vec<f32> {
    value::f32s(raw(nodes, tag)).collect()
}

fn items<'n, 'a>(nodes: &'n [Node<'a>], tag: Tag) -> &'n [Vec<Node<'a>>] {
    match get(nodes, tag) {
        Node::Sequence { items, .. } => items,
        Node::Element { .. } => panic!("{tag} is not a sequence"),
    }
}

fn check_code(item: &[Node<'_>], code: &Code<'_>) {
    let mut expected = vec![CODE_VALUE, CODING_SCHEME_DESIGNATOR];
    if code.scheme_version.is_some() {
        expected.push(CODING_SCHEME_VERSION);
    }
    expected.push(CODE_MEANING);
    assert_eq!(tags_of(item), expected);
    assert_eq!(text(item, CODE_VALUE), code.value);
    assert_eq!(text(item, CODING_SCHEME_DESIGNATOR), code.scheme_designator);
    if let Some(version) = code.scheme_version {
        assert_eq!(text(item, CODING_SCHEME_VERSION), version);
    }
    assert_eq!(text(item, CODE_MEANING), code.meaning);
}

fn check_codes(nodes: &[Node<'_>], tag: Tag, codes: &[Code<'_>]) {
    let found = items(nodes, tag);
    assert_eq!(found.len(), codes.len(), "{tag}");
    for (item, code) in found.iter().zip(codes) {
        check_code(item, code);
    }
}

fn check_equipment(nodes: &[Node<'_>], equipment: &[MeasurementEquipment<'_>]) {
    let found = items(nodes, MEASUREMENT_EQUIPMENT_SEQUENCE);
    assert_eq!(found.len(), equipment.len());
    for (item, e) in found.iter().zip(equipment) {
        assert_eq!(
            tags_of(item),
            [
                MANUFACTURER,
                MANUFACTURER_MODEL_NAME,
                DEVICE_SERIAL_NUMBER,
                DATE_TIME_OF_LAST_CALIBRATION,
                MEASUREMENT_FUNCTIONS,
                MEASUREMENT_EQUIPMENT_TYPE,
                MEASURED_CHARACTERISTICS,
            ]
        );
        assert_eq!(text(item, MANUFACTURER), e.manufacturer);
        assert_eq!(
            text(item, MANUFACTURER_MODEL_NAME),
            e.manufacturer_model_name
        );
        assert_eq!(text(item, DEVICE_SERIAL_NUMBER), e.device_serial_number);
        assert_eq!(
            text(item, DATE_TIME_OF_LAST_CALIBRATION),
            e.date_time_of_last_calibration
        );
        let functions: Vec<_> = e.measurement_functions.iter().map(|f| f.as_str()).collect();
        assert_eq!(texts(item, MEASUREMENT_FUNCTIONS), functions);
        assert_eq!(
            text(item, MEASUREMENT_EQUIPMENT_TYPE),
            e.measurement_equipment_type
        );
        let measured: Vec<_> = e
            .measured_characteristics
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(texts(item, MEASURED_CHARACTERISTICS), measured);
    }
}

/// The top level, element by element, against the model.
fn check_top_level(nodes: &[Node<'_>], system: &DisplaySystem<'_>) {
    let mut expected = Vec::new();
    if !system.specific_character_set.is_empty() {
        expected.push(SPECIFIC_CHARACTER_SET);
    }
    expected.extend([
        MANUFACTURER,
        INSTITUTION_NAME,
        INSTITUTION_ADDRESS,
        STATION_NAME,
        INSTITUTIONAL_DEPARTMENT_NAME,
    ]);
    if system.institutional_department_type.is_some() {
        expected.push(INSTITUTIONAL_DEPARTMENT_TYPE_CODE_SEQUENCE);
    }
    expected.extend([MANUFACTURER_MODEL_NAME, DEVICE_SERIAL_NUMBER]);
    if system.date_of_manufacture.is_some() {
        expected.push(DATE_OF_MANUFACTURE);
    }
    if system.date_of_installation.is_some() {
        expected.push(DATE_OF_INSTALLATION);
    }
    expected.extend([
        EQUIPMENT_ADMINISTRATOR_SEQUENCE,
        NUMBER_OF_DISPLAY_SUBSYSTEMS,
        TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE,
        QA_RESULTS_SEQUENCE,
        DISPLAY_SUBSYSTEM_SEQUENCE,
    ]);
    assert_eq!(tags_of(nodes), expected);

    if !system.specific_character_set.is_empty() {
        let raw = raw(nodes, SPECIFIC_CHARACTER_SET);
        let values: Vec<&[u8]> = value::strings(raw).collect();
        let model: Vec<&[u8]> = system
            .specific_character_set
            .iter()
            .map(|s| s.as_bytes())
            .collect();
        assert_eq!(values, model);
    }
    assert_eq!(text(nodes, MANUFACTURER), system.manufacturer);
    assert_eq!(text(nodes, INSTITUTION_NAME), system.institution_name);
    assert_eq!(text(nodes, INSTITUTION_ADDRESS), system.institution_address);
    assert_eq!(text(nodes, STATION_NAME), system.station_name);
    assert_eq!(
        text(nodes, INSTITUTIONAL_DEPARTMENT_NAME),
        system.institutional_department_name
    );
    if let Some(code) = &system.institutional_department_type {
        check_codes(
            nodes,
            INSTITUTIONAL_DEPARTMENT_TYPE_CODE_SEQUENCE,
            core::slice::from_ref(code),
        );
    }
    assert_eq!(
        text(nodes, MANUFACTURER_MODEL_NAME),
        system.manufacturer_model_name
    );
    assert_eq!(
        text(nodes, DEVICE_SERIAL_NUMBER),
        system.device_serial_number
    );
    if let Some(date) = system.date_of_manufacture {
        assert_eq!(text(nodes, DATE_OF_MANUFACTURE), date);
    }
    if let Some(date) = system.date_of_installation {
        assert_eq!(text(nodes, DATE_OF_INSTALLATION), date);
    }
    assert_eq!(
        items(nodes, EQUIPMENT_ADMINISTRATOR_SEQUENCE).len(),
        system.equipment_administrators.len()
    );
    assert_eq!(
        us(nodes, NUMBER_OF_DISPLAY_SUBSYSTEMS),
        Some(system.display_subsystems.len() as u16)
    );
    assert_eq!(
        items(nodes, TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE).len(),
        system.target_luminance_characteristics.len()
    );
    // One QA Results item per subsystem, with its ID.
    let qa = items(nodes, QA_RESULTS_SEQUENCE);
    assert_eq!(qa.len(), system.display_subsystems.len());
    for (item, subsystem) in qa.iter().zip(system.display_subsystems) {
        assert_eq!(
            tags_of(item),
            [DISPLAY_SUBSYSTEM_ID, DISPLAY_SUBSYSTEM_QA_RESULTS_SEQUENCE]
        );
        assert_eq!(us(item, DISPLAY_SUBSYSTEM_ID), Some(subsystem.id));
        assert_eq!(
            items(item, DISPLAY_SUBSYSTEM_QA_RESULTS_SEQUENCE).len(),
            subsystem.qa_results.len()
        );
    }
    assert_eq!(
        items(nodes, DISPLAY_SUBSYSTEM_SEQUENCE).len(),
        system.display_subsystems.len()
    );
}

/// The nested path Display Subsystem Sequence → item → its sequences, element by element.
fn check_subsystems(nodes: &[Node<'_>], system: &DisplaySystem<'_>) {
    let found = items(nodes, DISPLAY_SUBSYSTEM_SEQUENCE);
    for (item, s) in found.iter().zip(system.display_subsystems) {
        let mut expected = vec![MANUFACTURER, MANUFACTURER_MODEL_NAME, DEVICE_SERIAL_NUMBER];
        if s.date_of_manufacture.is_some() {
            expected.push(DATE_OF_MANUFACTURE);
        }
        expected.extend([
            CURRENT_CONFIGURATION_ID,
            DISPLAY_SUBSYSTEM_ID,
            DISPLAY_SUBSYSTEM_NAME,
            DISPLAY_SUBSYSTEM_DESCRIPTION,
            SYSTEM_STATUS,
            SYSTEM_STATUS_COMMENT,
            DISPLAY_SUBSYSTEM_CONFIGURATION_SEQUENCE,
            MEASUREMENT_EQUIPMENT_SEQUENCE,
            DISPLAY_DEVICE_TYPE_CODE_SEQUENCE,
        ]);
        assert_eq!(tags_of(item), expected);
        assert_eq!(text(item, MANUFACTURER), s.manufacturer);
        assert_eq!(
            text(item, MANUFACTURER_MODEL_NAME),
            s.manufacturer_model_name
        );
        assert_eq!(text(item, DEVICE_SERIAL_NUMBER), s.device_serial_number);
        if let Some(date) = s.date_of_manufacture {
            assert_eq!(text(item, DATE_OF_MANUFACTURE), date);
        }
        assert_eq!(
            us(item, CURRENT_CONFIGURATION_ID),
            s.current_configuration_id
        );
        assert_eq!(us(item, DISPLAY_SUBSYSTEM_ID), Some(s.id));
        assert_eq!(text(item, DISPLAY_SUBSYSTEM_NAME), s.name);
        assert_eq!(text(item, DISPLAY_SUBSYSTEM_DESCRIPTION), s.description);
        assert_eq!(
            SystemStatus::from_term(text(item, SYSTEM_STATUS)),
            Some(s.system_status)
        );
        assert_eq!(text(item, SYSTEM_STATUS_COMMENT), s.system_status_comment);
        let configurations = items(item, DISPLAY_SUBSYSTEM_CONFIGURATION_SEQUENCE);
        assert_eq!(configurations.len(), s.configurations.len());
        for (c, model) in configurations.iter().zip(s.configurations) {
            assert_eq!(
                tags_of(c),
                [
                    CONFIGURATION_ID,
                    CONFIGURATION_NAME,
                    CONFIGURATION_DESCRIPTION,
                    REFERENCED_TARGET_LUMINANCE_CHARACTERISTICS_ID,
                ]
            );
            assert_eq!(us(c, CONFIGURATION_ID), Some(model.id));
            assert_eq!(text(c, CONFIGURATION_NAME), model.name);
            assert_eq!(text(c, CONFIGURATION_DESCRIPTION), model.description);
            assert_eq!(
                us(c, REFERENCED_TARGET_LUMINANCE_CHARACTERISTICS_ID),
                model.target_luminance_characteristics_id
            );
        }
        check_equipment(item, s.measurement_equipment);
        check_codes(
            item,
            DISPLAY_DEVICE_TYPE_CODE_SEQUENCE,
            s.display_device_type.as_slice(),
        );
    }
}

/// The deepest numeric path: QA Results → Display Subsystem QA Results → Configuration QA
/// Results → Luminance Uniformity / Luminance results → points.
fn check_qa_luminance(nodes: &[Node<'_>], system: &DisplaySystem<'_>) {
    for (qa, s) in items(nodes, QA_RESULTS_SEQUENCE)
        .iter()
        .zip(system.display_subsystems)
    {
        for (per_config, model) in items(qa, DISPLAY_SUBSYSTEM_QA_RESULTS_SEQUENCE)
            .iter()
            .zip(s.qa_results)
        {
            assert_eq!(
                us(per_config, CONFIGURATION_ID),
                Some(model.configuration_id)
            );
            for (results, model) in items(per_config, CONFIGURATION_QA_RESULTS_SEQUENCE)
                .iter()
                .zip(model.results)
            {
                assert_eq!(
                    tags_of(results),
                    [
                        VISUAL_EVALUATION_RESULT_SEQUENCE,
                        DISPLAY_CALIBRATION_RESULT_SEQUENCE,
                        LUMINANCE_RESULT_SEQUENCE,
                        LUMINANCE_UNIFORMITY_RESULT_SEQUENCE,
                    ]
                );
                let uniformity = items(results, LUMINANCE_UNIFORMITY_RESULT_SEQUENCE);
                assert_eq!(uniformity.len(), model.luminance_uniformity.len());
                for (u, m) in uniformity.iter().zip(model.luminance_uniformity) {
                    assert_eq!(us(u, DDL_VALUE), Some(m.ddl_value));
                    assert_eq!(
                        us(u, NUMBER_OF_LUMINANCE_POINTS),
                        Some(m.points.len() as u16)
                    );
                    assert_eq!(text(u, WHITE_POINT_FLAG), m.white_point_flag.as_str());
                    let points = items(u, LUMINANCE_RESPONSE_SEQUENCE);
                    let luminances: Vec<f32> =
                        points.iter().flat_map(|p| fl(p, LUMINANCE_VALUE)).collect();
                    let model: Vec<f32> = m.points.iter().map(|p| p.luminance).collect();
                    assert_eq!(luminances, model);
                    check_codes(
                        u,
                        MEASUREMENT_PATTERN_CODE_SEQUENCE,
                        core::slice::from_ref(&m.measurement_pattern),
                    );
                    check_equipment(u, m.context.measurement_equipment);
                    assert_eq!(
                        text(u, PERFORMED_PROCEDURE_STEP_START_DATE_TIME),
                        m.context.start
                    );
                    assert_eq!(
                        text(u, PERFORMED_PROCEDURE_STEP_END_DATE_TIME),
                        m.context.end
                    );
                }
                let luminance = items(results, LUMINANCE_RESULT_SEQUENCE);
                assert_eq!(luminance.len(), model.luminance.len());
                for (l, m) in luminance.iter().zip(model.luminance) {
                    let points = items(l, LUMINANCE_RESPONSE_SEQUENCE);
                    assert_eq!(points.len(), m.points.len());
                    for (p, mp) in points.iter().zip(m.points) {
                        assert_eq!(us(p, DDL_VALUE), Some(mp.ddl_value));
                        assert_eq!(fl(p, LUMINANCE_VALUE), [mp.luminance]);
                    }
                    match &m.ambient_light {
                        Some(a) => {
                            assert_eq!(us(l, REFLECTED_AMBIENT_LIGHT), Some(a.reflected));
                            assert_eq!(text(l, AMBIENT_LIGHT_VALUE_SOURCE), a.source.as_str());
                        }
                        None => assert!(!tags_of(l).contains(&REFLECTED_AMBIENT_LIGHT)),
                    }
                }
            }
        }
    }
}

#[test]
fn demo_reads_back_in_both_encodings() {
    for encoding in ENCODINGS {
        for lengths in [SequenceLength::Defined, SequenceLength::Undefined] {
            let bytes = write_with(&DEMO, encoding, lengths).unwrap();
            let nodes = tree(&bytes, encoding);
            check_top_level(&nodes, &DEMO);
            check_subsystems(&nodes, &DEMO);
            check_qa_luminance(&nodes, &DEMO);
        }
    }
    // Implicit VR gets its VRs from the dictionary; the trees must be the same.
    let implicit = write(&DEMO, Encoding::ImplicitVrLittleEndian);
    let explicit = write(&DEMO, Encoding::ExplicitVrLittleEndian);
    assert_eq!(
        tree(&implicit, Encoding::ImplicitVrLittleEndian),
        tree(&explicit, Encoding::ExplicitVrLittleEndian)
    );
}

#[test]
fn demo_target_luminance_and_administrator_read_back() {
    let bytes = write(&DEMO, Encoding::ExplicitVrLittleEndian);
    let nodes = tree(&bytes, Encoding::ExplicitVrLittleEndian);
    let targets = items(&nodes, TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE);
    for (t, m) in targets.iter().zip(DEMO.target_luminance_characteristics) {
        assert_eq!(us(t, LUMINANCE_CHARACTERISTICS_ID), Some(m.id));
        assert_eq!(
            DisplayFunctionType::from_term(text(t, DISPLAY_FUNCTION_TYPE)),
            Some(m.display_function_type)
        );
        assert_eq!(
            fl(t, TARGET_MINIMUM_LUMINANCE),
            [m.target_minimum_luminance]
        );
        assert_eq!(
            fl(t, TARGET_MAXIMUM_LUMINANCE),
            [m.target_maximum_luminance]
        );
        assert_eq!(
            fl(t, CIEXY_WHITE_POINT),
            m.cie_xy_white_point.unwrap().to_vec()
        );
        match m.gamma_value {
            Some(g) => assert_eq!(fl(t, GAMMA_VALUE), [g]),
            None => assert!(!tags_of(t).contains(&GAMMA_VALUE)),
        }
        // Neither DEMO target is USER_DEFINED: no curve is written.
        assert!(!tags_of(t).contains(&LUMINANCE_RESPONSE_SEQUENCE));
        assert!(!tags_of(t).contains(&NUMBER_OF_LUMINANCE_POINTS));
    }
    let admin = &items(&nodes, EQUIPMENT_ADMINISTRATOR_SEQUENCE)[0];
    let model = &DEMO.equipment_administrators[0];
    assert_eq!(
        tags_of(admin),
        [
            INSTITUTION_NAME,
            PERSON_IDENTIFICATION_CODE_SEQUENCE,
            PERSON_TELEPHONE_NUMBERS,
            PERSON_NAME,
        ]
    );
    assert_eq!(text(admin, PERSON_NAME), model.person_name);
    assert_eq!(
        text(admin, INSTITUTION_NAME),
        model.institution_name.unwrap()
    );
    assert_eq!(
        texts(admin, PERSON_TELEPHONE_NUMBERS),
        model.telephone_numbers
    );
    check_codes(
        admin,
        PERSON_IDENTIFICATION_CODE_SEQUENCE,
        model.person_identification_codes,
    );
}

/// Every element and sequence of a data set, at any depth.
fn all_tags(data: &[u8], encoding: Encoding) -> Vec<(Tag, Vr, usize)> {
    Reader::new(data, encoding)
        .map(|e| e.unwrap())
        .filter_map(|e| match e {
            ReadEvent::Element { tag, vr, depth, .. }
            | ReadEvent::SequenceStart { tag, vr, depth } => Some((tag, vr, depth)),
            _ => None,
        })
        .collect()
}

#[test]
fn never_writes_sop_class_or_instance_uid() {
    for source in [&DEMO, &FULL] {
        for encoding in ENCODINGS {
            for lengths in [SequenceLength::Defined, SequenceLength::Undefined] {
                let bytes = write_with(source, encoding, lengths).unwrap();
                let tags = all_tags(&bytes, encoding);
                assert!(tags.iter().any(|&(_, _, depth)| depth >= 5));
                for (tag, _, depth) in tags {
                    assert!(
                        tag != SOP_CLASS_UID_TAG && tag != SOP_INSTANCE_UID_TAG,
                        "{tag} at depth {depth}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_vr_is_the_dictionary_vr() {
    for source in [&DEMO, &FULL] {
        // In Explicit VR the reader reports the VR the writer put on the wire.
        let bytes = write(source, Encoding::ExplicitVrLittleEndian);
        let written = all_tags(&bytes, Encoding::ExplicitVrLittleEndian);
        for &(tag, vr, depth) in &written {
            assert_eq!(dictionary::vr(tag), Some(vr), "{tag} at depth {depth}");
            assert!(
                ALL.iter().any(|&(t, _)| t == tag),
                "{tag} is not in display::tags"
            );
        }
    }
    // FULL writes every tag of the model.
    let bytes = write(&FULL, Encoding::ExplicitVrLittleEndian);
    let written = all_tags(&bytes, Encoding::ExplicitVrLittleEndian);
    for &(tag, keyword) in ALL {
        assert!(
            written.iter().any(|&(t, _, _)| t == tag),
            "FULL never writes {keyword}"
        );
    }
}

#[test]
fn tag_constants_match_the_dictionary() {
    for &(tag, keyword) in ALL {
        assert_eq!(dictionary::keyword(tag), Some(keyword), "{tag}");
        assert_eq!(dictionary::tag_by_keyword(keyword), Some(tag), "{keyword}");
    }
    // Listed in ascending order, each once.
    assert!(ALL.windows(2).all(|w| w[0].0 < w[1].0));
}

#[test]
fn filter_keeps_two_requested_attributes_and_a_whole_sequence() {
    let mut list = Vec::new();
    // Out of order on purpose: the list's order does not matter.
    for tag in [DISPLAY_SUBSYSTEM_SEQUENCE, MANUFACTURER] {
        list.extend_from_slice(&tag.to_le_bytes());
    }
    for encoding in ENCODINGS {
        let mut buf = [0u8; DEMO_BUFFER];
        let filter = AttributeFilter::new(&list).unwrap();
        let mut w = Writer::new(&mut buf, encoding).with_filter(filter);
        w.write(&DEMO).unwrap();
        assert_eq!(w.missing().count(), 0);
        let n = w.written();
        let filtered = tree(&buf[..n], encoding);
        assert_eq!(
            tags_of(&filtered),
            [MANUFACTURER, DISPLAY_SUBSYSTEM_SEQUENCE]
        );
        let whole = write(&DEMO, encoding);
        let whole = tree(&whole, encoding);
        assert_eq!(filtered[0], *get(&whole, MANUFACTURER));
        assert_eq!(filtered[1], *get(&whole, DISPLAY_SUBSYSTEM_SEQUENCE));
    }
}

#[test]
fn filter_reports_what_the_model_does_not_have() {
    let mut list = Vec::new();
    // Software Versions is not part of the Display System IOD; SOP Instance UID never goes
    // in an N-GET data set.
    let software_versions = Tag::new(0x0018, 0x1020);
    for tag in [software_versions, STATION_NAME, SOP_INSTANCE_UID_TAG] {
        list.extend_from_slice(&tag.to_le_bytes());
    }
    let mut buf = [0u8; DEMO_BUFFER];
    let filter = AttributeFilter::new(&list).unwrap();
    let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian).with_filter(filter);
    w.write(&DEMO).unwrap();
    assert!(w.missing().eq([software_versions, SOP_INSTANCE_UID_TAG]));
}

/// The PS3.17 Annex PPP worked example ("Examples of Communication of Display Parameters",
/// PPP.3): the values the example gives for
/// the tablet's Display System module (PPP.3.2) and one target curve of PPP.3.1, encoded as
/// the example is, with undefined sequence and item lengths.
static PPP_TABLET: DisplaySystem<'static> = DisplaySystem {
    specific_character_set: &["", "ISO 2022 IR 87"],
    manufacturer: "Tablet Corp.",
    manufacturer_model_name: "MC706J/A",
    device_serial_number: "AA1B22CCCC3D",
    institution_name: "JIRA Hospital",
    institution_address: "Bunkyo-ku, Tokyo, Japan",
    station_name: "TABLET1",
    institutional_department_name: "Radiology Dept.",
    equipment_administrators: &[EquipmentAdministrator {
        person_name: PPP_PERSON_NAME,
        person_identification_codes: &[Code::new("111111", "LOCAL", "Yamada^Tarou")],
        address: None,
        telephone_numbers: &["EXT. 1234"],
        telecom_information: None,
        institution_name: Some("IT Support Div."),
        institution_address: None,
        institution_code: None,
    }],
    target_luminance_characteristics: &[TargetLuminanceCharacteristics {
        id: 3,
        display_function_type: DisplayFunctionType::Gsdf,
        target_minimum_luminance: 0.75,
        target_maximum_luminance: 520.0,
        gamma_value: None,
        luminance_response: &[],
        luminance_response_description: None,
        cie_xy_white_point: None,
        // The example's Reflected Ambient Light 0.410 cannot be a US value; left out.
        ambient_light: None,
    }],
    ..DisplaySystem::EMPTY
};

/// "Yamada^Tarou=山田^太郎=やまだ^たろう" in ISO 2022 IR 87: the ideographic and phonetic
/// groups switch to JIS X 0208 with ESC $ B and back to ASCII with ESC ( B (PS3.5 H.3.1).
const PPP_PERSON_NAME: &str = "Yamada^Tarou=\u{1b}$B;3ED\u{1b}(B^\u{1b}$BB@O:\u{1b}(B=\u{1b}$B$d$^$@\u{1b}(B^\u{1b}$B$?$m$&\u{1b}(B";

/// The same name as Python's `iso2022_jp` codec encodes it (a check independent of the
/// string above).
const PPP_PERSON_NAME_HEX: &str = "59616d6164615e5461726f753d1b24423b3345441b28425e1b244242404f3a1b28423d1b24422464245e24401b28425e1b2442243f246d24261b2842";

#[test]
fn ppp_worked_example() {
    let encoding = Encoding::ExplicitVrLittleEndian;
    let bytes = write_with(&PPP_TABLET, encoding, SequenceLength::Undefined).unwrap();
    let nodes = tree(&bytes, encoding);
    check_top_level(&nodes, &PPP_TABLET);

    // Specific Character Set "\ISO 2022 IR 87": an empty first value, padded to 16 bytes.
    assert_eq!(raw(&nodes, SPECIFIC_CHARACTER_SET), b"\\ISO 2022 IR 87 ");
    assert_eq!(text(&nodes, MANUFACTURER), "Tablet Corp.");
    assert_eq!(text(&nodes, MANUFACTURER_MODEL_NAME), "MC706J/A");

    let admin = &items(&nodes, EQUIPMENT_ADMINISTRATOR_SEQUENCE)[0];
    let hex = PPP_PERSON_NAME_HEX;
    let expected: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    // 60 bytes: even, so no padding.
    assert_eq!(expected.len(), 60);
    assert_eq!(raw(admin, PERSON_NAME), &expected[..]);
    // Code Value is (0008,0100); the example's (0008,0110) is a typo.
    let code = &items(admin, PERSON_IDENTIFICATION_CODE_SEQUENCE)[0];
    assert_eq!(text(code, CODE_VALUE), "111111");
    assert_eq!(text(code, CODING_SCHEME_DESIGNATOR), "LOCAL");
    assert_eq!(text(code, CODE_MEANING), "Yamada^Tarou");
    assert_eq!(texts(admin, PERSON_TELEPHONE_NUMBERS), ["EXT. 1234"]);
    assert_eq!(text(admin, INSTITUTION_NAME), "IT Support Div.");

    let target = &items(&nodes, TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE)[0];
    assert_eq!(us(target, LUMINANCE_CHARACTERISTICS_ID), Some(3));
    assert_eq!(text(target, DISPLAY_FUNCTION_TYPE), "GSDF");
    assert_eq!(fl(target, TARGET_MINIMUM_LUMINANCE), [0.75]);
    assert_eq!(fl(target, TARGET_MAXIMUM_LUMINANCE), [520.0]);

    // Undefined lengths throughout, as in the example: every sequence ends with a Sequence
    // Delimitation Item and every item with an Item Delimitation Item.
    let count = |tag: Tag| {
        bytes
            .windows(8)
            .filter(|w| w[..4] == tag.to_le_bytes() && w[4..] == [0; 4])
            .count()
    };
    let sequences = all_tags(&bytes, encoding)
        .iter()
        .filter(|&&(_, vr, _)| vr == Vr::SQ)
        .count();
    assert_eq!(count(Tag::SEQUENCE_DELIMITATION), sequences);
    // Administrator, its code, the target: three items.
    assert_eq!(count(Tag::ITEM_DELIMITATION), 3);
}

#[test]
fn demo_fits_in_4_kib() {
    for encoding in ENCODINGS {
        for lengths in [SequenceLength::Defined, SequenceLength::Undefined] {
            let mut buf = [0u8; DEMO_BUFFER];
            let mut w = Writer::new(&mut buf, encoding).with_sequence_length(lengths);
            w.write(&DEMO).unwrap();
            println!(
                "DEMO, {encoding:?}, {lengths:?} sequence lengths: {} bytes",
                w.written()
            );
            assert!(w.written() <= DEMO_BUFFER);
            // One byte short is a clean error, never a panic or a truncated data set.
            let size = w.written() - 1;
            let mut small = vec![0u8; size];
            let mut w = Writer::new(&mut small, encoding).with_sequence_length(lengths);
            assert_eq!(w.write(&DEMO), Err(WriteError::BufferFull));
        }
    }
}

/// A source built in a `const` item.
const SMALL: DisplaySystem<'static> = DisplaySystem {
    manufacturer: "ACME",
    manufacturer_model_name: "M1",
    device_serial_number: "0001",
    institution_name: "Clinic",
    institution_address: "Main Street 1",
    target_luminance_characteristics: &[TargetLuminanceCharacteristics {
        id: 1,
        display_function_type: DisplayFunctionType::Gsdf,
        target_minimum_luminance: 0.5,
        target_maximum_luminance: 350.0,
        gamma_value: None,
        luminance_response: &[],
        luminance_response_description: None,
        cie_xy_white_point: None,
        ambient_light: None,
    }],
    display_subsystems: &[DisplaySubsystem {
        id: 1,
        name: "MAIN",
        ..DisplaySubsystem::EMPTY
    }],
    ..DisplaySystem::EMPTY
};

#[test]
fn a_const_source_writes() {
    const COPY: DisplaySystem<'static> = SMALL;
    for encoding in ENCODINGS {
        let bytes = write(&COPY, encoding);
        let nodes = tree(&bytes, encoding);
        check_top_level(&nodes, &SMALL);
        check_subsystems(&nodes, &SMALL);
        // Type 2 attributes without a value are present and empty; absent options are
        // absent.
        let subsystem = &items(&nodes, DISPLAY_SUBSYSTEM_SEQUENCE)[0];
        assert_eq!(raw(subsystem, CURRENT_CONFIGURATION_ID), b"");
        assert_eq!(raw(subsystem, SYSTEM_STATUS_COMMENT), b"");
        assert!(items(subsystem, DISPLAY_DEVICE_TYPE_CODE_SEQUENCE).is_empty());
        assert!(!tags_of(subsystem).contains(&DATE_OF_MANUFACTURE));
        assert_eq!(text(subsystem, SYSTEM_STATUS), "OK");
        assert!(!tags_of(&nodes).contains(&SPECIFIC_CHARACTER_SET));
        assert_eq!(raw(&nodes, STATION_NAME), b"");
        let qa = &items(&nodes, QA_RESULTS_SEQUENCE)[0];
        assert!(items(qa, DISPLAY_SUBSYSTEM_QA_RESULTS_SEQUENCE).is_empty());
    }
}

/// An instance with every optional attribute present and every kind of item, so that every
/// write path is taken (the writer refuses any tag out of order).
static FULL: DisplaySystem<'static> = DisplaySystem {
    specific_character_set: &["ISO_IR 100"],
    date_of_manufacture: Some("20231231"),
    date_of_installation: Some("20240102"),
    institutional_department_type: Some(Code {
        scheme_version: Some("1"),
        ..Code::new("RADIOLOGY", "99LOCAL", "Radiology")
    }),
    equipment_administrators: &[EquipmentAdministrator {
        person_name: "Doe^Jane",
        person_identification_codes: &[Code::new("JD", "99LOCAL", "Jane Doe")],
        address: Some("Room 12"),
        telephone_numbers: &["555-0100", "555-0101"],
        telecom_information: Some("jane.doe@example.org"),
        institution_name: Some("Clinic"),
        institution_address: Some("Main Street 1"),
        institution_code: Some(Code::new("CLN", "99LOCAL", "Clinic")),
    }],
    target_luminance_characteristics: &[TargetLuminanceCharacteristics {
        id: 7,
        display_function_type: DisplayFunctionType::UserDefined,
        target_minimum_luminance: 0.4,
        target_maximum_luminance: 300.0,
        gamma_value: Some(2.4),
        luminance_response: &[
            LuminancePoint {
                ddl_value: 0,
                luminance: 0.4,
            },
            LuminancePoint {
                ddl_value: 255,
                luminance: 300.0,
            },
        ],
        luminance_response_description: Some("Two-point test curve"),
        cie_xy_white_point: Some([0.3127, 0.329]),
        ambient_light: Some(AmbientLight {
            reflected: 1,
            source: AmbientLightValueSource::Provided,
        }),
    }],
    display_subsystems: &[DisplaySubsystem {
        id: 1,
        name: "MAIN",
        display_device_type: Some(Code::new("109994", "DCM", "OLED")),
        date_of_manufacture: Some("20240101"),
        system_status: SystemStatus::Failed,
        configurations: &[DisplaySubsystemConfiguration {
            id: 1,
            name: "USER",
            description: "",
            target_luminance_characteristics_id: Some(7),
        }],
        current_configuration_id: Some(1),
        measurement_equipment: &[FULL_EQUIPMENT],
        qa_results: &[DisplaySubsystemQaResults {
            configuration_id: 1,
            results: &[ConfigurationQaResults {
                display_calibration: &[DisplayCalibrationResult {
                    context: FULL_CONTEXT,
                    luminance_characteristics_id: 7,
                }],
                visual_evaluation: &[VisualEvaluationResult {
                    context: FULL_CONTEXT,
                    tests: &[VisualEvaluationTest {
                        result: TestResult::Fail,
                        comment: Some("Artefact"),
                        test_pattern: Some(Code::new("109801", "DCM", "TG18-QC Pattern")),
                        referenced_images: &[ReferencedImage {
                            sop_class_uid: "1.2.840.10008.5.1.4.1.1.7",
                            sop_instance_uid: "2.25.1",
                            validation: Some(TestImageValidation::Unmatched),
                        }],
                    }],
                    method: Code::new("109701", "DCM", "Overall image quality evaluation"),
                }],
                luminance_uniformity: &[LuminanceUniformityResult {
                    context: FULL_CONTEXT,
                    measurement_pattern: Code::new("109844", "DCM", "TG18-UNL80 Pattern"),
                    ddl_value: 204,
                    white_point_flag: WhitePointFlag::Yes,
                    points: &[UniformityPoint {
                        luminance: 180.0,
                        cie_xy_white_point: Some([0.313, 0.329]),
                    }],
                    ambient_light: Some(AmbientLight {
                        reflected: 0,
                        source: AmbientLightValueSource::Default,
                    }),
                }],
                luminance: &[LuminanceResult {
                    context: FULL_CONTEXT,
                    points: &[LuminanceMeasurement {
                        ddl_value: 255,
                        luminance: 299.0,
                        cie_xy_white_point: Some([0.312, 0.33]),
                    }],
                    ambient_light: Some(AmbientLight {
                        reflected: 0,
                        source: AmbientLightValueSource::Measured,
                    }),
                }],
            }],
        }],
        ..DisplaySubsystem::EMPTY
    }],
    ..SMALL
};

const FULL_EQUIPMENT: MeasurementEquipment<'static> = MeasurementEquipment {
    manufacturer: "ACME",
    manufacturer_model_name: "C1",
    device_serial_number: "9",
    date_time_of_last_calibration: "",
    measurement_functions: &[
        MeasurementFunction::Photometer,
        MeasurementFunction::Colorimeter,
        MeasurementFunction::Illuminometer,
    ],
    measurement_equipment_type: "EXTERNAL",
    measured_characteristics: &[
        MeasuredCharacteristic::Uniformity,
        MeasuredCharacteristic::Luminance,
        MeasuredCharacteristic::Chromaticity,
        MeasuredCharacteristic::Illuminance,
    ],
};

const FULL_CONTEXT: ResultContext<'static> = ResultContext {
    start: "20240101120000",
    end: "20240101121000",
    performers: &[
        HumanPerformer {
            code: Some(Code::new("JD", "99LOCAL", "Jane Doe")),
            name: Some("Doe^Jane"),
            organization: "Physics",
        },
        HumanPerformer {
            code: None,
            name: Some("Roe^Richard"),
            organization: "",
        },
    ],
    measurement_equipment: &[FULL_EQUIPMENT],
};

#[test]
fn full_instance_reads_back() {
    for encoding in ENCODINGS {
        let bytes = write(&FULL, encoding);
        let nodes = tree(&bytes, encoding);
        check_top_level(&nodes, &FULL);
        check_subsystems(&nodes, &FULL);
        check_qa_luminance(&nodes, &FULL);
        let target = &items(&nodes, TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE)[0];
        assert_eq!(us(target, NUMBER_OF_LUMINANCE_POINTS), Some(2));
        assert_eq!(items(target, LUMINANCE_RESPONSE_SEQUENCE).len(), 2);
        assert_eq!(text(target, AMBIENT_LIGHT_VALUE_SOURCE), "PROVIDED");
        assert_eq!(us(target, REFLECTED_AMBIENT_LIGHT), Some(1));
        // The deepest item: QA → subsystem QA → configuration QA → visual evaluation →
        // test → referenced image, six sequences down.
        let image = all_tags(&bytes, encoding)
            .into_iter()
            .find(|&(tag, _, _)| tag == TEST_IMAGE_VALIDATION);
        assert_eq!(image.map(|(_, _, depth)| depth), Some(6));
    }
}

#[test]
fn terms_round_trip() {
    fn check<T: Copy + PartialEq + core::fmt::Debug>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        from: fn(&str) -> Option<T>,
    ) {
        for &t in all {
            let term = as_str(t);
            assert_eq!(from(term), Some(t));
            assert!(term.len() <= 16, "CS holds 16 characters: {term}");
            assert!(term
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'));
        }
        assert_eq!(from("ok"), None);
        assert_eq!(from(""), None);
    }
    check(
        SystemStatus::ALL,
        SystemStatus::as_str,
        SystemStatus::from_term,
    );
    check(
        DisplayFunctionType::ALL,
        DisplayFunctionType::as_str,
        DisplayFunctionType::from_term,
    );
    check(
        MeasurementFunction::ALL,
        MeasurementFunction::as_str,
        MeasurementFunction::from_term,
    );
    check(
        MeasuredCharacteristic::ALL,
        MeasuredCharacteristic::as_str,
        MeasuredCharacteristic::from_term,
    );
    check(
        AmbientLightValueSource::ALL,
        AmbientLightValueSource::as_str,
        AmbientLightValueSource::from_term,
    );
    check(
        WhitePointFlag::ALL,
        WhitePointFlag::as_str,
        WhitePointFlag::from_term,
    );
    check(TestResult::ALL, TestResult::as_str, TestResult::from_term);
    check(
        TestImageValidation::ALL,
        TestImageValidation::as_str,
        TestImageValidation::from_term,
    );
    assert_eq!(DisplayFunctionType::UserDefined.as_str(), "USER_DEFINED");
    assert!(MeasuredCharacteristic::ALL.len() <= MAX_TERMS);
    assert!(MeasurementFunction::ALL.len() <= MAX_TERMS);
}

#[test]
fn invalid_models_are_errors_not_panics() {
    // Five measured characteristics do not fit the stack array: refused.
    let equipment = [MeasurementEquipment {
        measured_characteristics: &[MeasuredCharacteristic::Luminance; 5],
        ..FULL_EQUIPMENT
    }];
    let system = DisplaySystem {
        display_subsystems: &[DisplaySubsystem {
            measurement_equipment: &equipment,
            ..DisplaySubsystem::EMPTY
        }],
        ..SMALL
    };
    assert_eq!(
        write_with(
            &system,
            Encoding::ExplicitVrLittleEndian,
            SequenceLength::Defined
        ),
        Err(WriteError::InvalidValue)
    );
    // A value longer than a 16-bit length field can say.
    let long = "x".repeat(70_000);
    let system = DisplaySystem {
        institution_address: &long,
        ..SMALL
    };
    assert_eq!(
        write_with(
            &system,
            Encoding::ExplicitVrLittleEndian,
            SequenceLength::Defined
        ),
        Err(WriteError::InvalidValue)
    );
    // A backslash inside one value of a multi-valued string.
    let system = DisplaySystem {
        specific_character_set: &["ISO_IR 100", "A\\B"],
        ..SMALL
    };
    assert_eq!(
        write_with(
            &system,
            Encoding::ExplicitVrLittleEndian,
            SequenceLength::Defined
        ),
        Err(WriteError::InvalidValue)
    );
}

/// DEMO's cross-references hold: IDs unique, every referenced ID exists, curves increase.
#[test]
fn demo_is_consistent() {
    let targets = DEMO.target_luminance_characteristics;
    let target_ids: Vec<u16> = targets.iter().map(|t| t.id).collect();
    let mut unique = target_ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), target_ids.len());
    for t in targets {
        assert!(t.target_minimum_luminance < t.target_maximum_luminance);
        assert_eq!(
            t.gamma_value.is_some(),
            t.display_function_type == DisplayFunctionType::Gamma
        );
    }
    let mut ids: Vec<u16> = DEMO.display_subsystems.iter().map(|s| s.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 2);
    for s in DEMO.display_subsystems {
        let configuration_ids: Vec<u16> = s.configurations.iter().map(|c| c.id).collect();
        assert!(configuration_ids.contains(&s.current_configuration_id.unwrap()));
        for c in s.configurations {
            assert!(target_ids.contains(&c.target_luminance_characteristics_id.unwrap()));
        }
        for qa in s.qa_results {
            assert!(configuration_ids.contains(&qa.configuration_id));
            for r in qa.results {
                for c in r.display_calibration {
                    assert!(target_ids.contains(&c.luminance_characteristics_id));
                }
                for u in r.luminance_uniformity {
                    assert_eq!(u.points.len(), 5);
                    assert_eq!(
                        u.white_point_flag == WhitePointFlag::Yes,
                        u.points.iter().all(|p| p.cie_xy_white_point.is_some())
                    );
                }
                for l in r.luminance {
                    assert!(l.points.windows(2).all(|w| w[0].ddl_value < w[1].ddl_value));
                    assert_eq!(l.points.first().map(|p| p.ddl_value), Some(0));
                }
                for v in r.visual_evaluation {
                    for t in v.tests {
                        assert!(t.test_pattern.is_some() || !t.referenced_images.is_empty());
                    }
                }
            }
        }
    }
    for a in DEMO.equipment_administrators {
        assert!(a.institution_name.is_some() || a.institution_code.is_some());
    }
    let _ = format!("{DEMO:?}");
}

/// Every DEMO value respects its VR's maximum length in characters (PS3.5 Table 6.2-1), per
/// value for multi-valued strings; the writer only checks the length field.
#[test]
fn demo_values_fit_their_vrs() {
    let bytes = write(&DEMO, Encoding::ExplicitVrLittleEndian);
    for event in Reader::new(&bytes, Encoding::ExplicitVrLittleEndian) {
        let ReadEvent::Element { tag, vr, value, .. } = event.unwrap() else {
            continue;
        };
        let max = match vr {
            Vr::CS | Vr::SH => 16,
            Vr::DA => 8,
            Vr::DT => 26,
            Vr::LO | Vr::PN | Vr::UI => 64,
            Vr::ST => 1024,
            Vr::LT => 10240,
            _ => continue,
        };
        for v in value::strings(value) {
            assert!(!v.is_empty() || vr != Vr::CS, "{tag}: empty CS value");
            assert!(v.len() <= max, "{tag} {vr}: {} > {max}", v.len());
        }
    }
}

// Validation (`validate`): one test per family of rules, each breaking one field of a valid
// display and expecting its path and message.

/// The path and message of the first rule `display` breaks.
fn invalid(display: &DisplaySystem<'_>) -> (String, String) {
    match validate(display) {
        Ok(()) => panic!("accepted: {display:?}"),
        Err(e) => (e.path.to_string(), e.problem.to_string()),
    }
}

fn assert_invalid(display: &DisplaySystem<'_>, path: &str, message: &str) {
    let (got_path, got_message) = invalid(display);
    assert_eq!(got_path, path, "{got_message}");
    assert!(
        got_message.contains(message),
        "{message:?} missing from {got_message:?}"
    );
}

/// DEMO with the left head's QA results replaced by `results`.
fn demo_with_results(results: ConfigurationQaResults<'_>) -> (String, String) {
    let left = DEMO.display_subsystems[0];
    let results = [results];
    let qa = [DisplaySubsystemQaResults {
        results: &results,
        ..left.qa_results[0]
    }];
    let subsystems = [
        DisplaySubsystem {
            qa_results: &qa,
            ..left
        },
        DEMO.display_subsystems[1],
    ];
    invalid(&DisplaySystem {
        display_subsystems: &subsystems,
        ..DEMO
    })
}

/// The left head's QA results in DEMO.
fn demo_results() -> ConfigurationQaResults<'static> {
    DEMO.display_subsystems[0].qa_results[0].results[0]
}

const QA: &str = "display_subsystems[0].qa_results[0].results[0]";

#[test]
fn demo_and_the_test_instances_validate() {
    assert_eq!(validate(&DEMO), Ok(()));
    assert_eq!(validate(&SMALL), Ok(()));
    assert_eq!(validate(&FULL), Ok(()));
    // The example of the module documentation, UTF-8 declared, ISO 2022 in ASCII.
    let utf8 = DisplaySystem {
        specific_character_set: &["ISO_IR 192"],
        institution_name: "Hôpital d'Exemple",
        ..DEMO
    };
    assert_eq!(validate(&utf8), Ok(()));
    let iso2022 = DisplaySystem {
        specific_character_set: &["", "ISO 2022 IR 87"],
        equipment_administrators: &[EquipmentAdministrator {
            person_name: "Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B",
            ..DEMO.equipment_administrators[0]
        }],
        ..DEMO
    };
    assert_eq!(validate(&iso2022), Ok(()));
    // The PS3.17 example's top level (it has no subsystem), with DEMO's.
    let ppp = DisplaySystem {
        target_luminance_characteristics: DEMO.target_luminance_characteristics,
        display_subsystems: DEMO.display_subsystems,
        ..PPP_TABLET
    };
    assert_eq!(validate(&ppp), Ok(()));
}

#[test]
fn value_representations() {
    let long = DisplaySubsystem {
        name: "A NAME LONGER THAN SH",
        ..DEMO.display_subsystems[0]
    };
    assert_invalid(
        &DisplaySystem {
            display_subsystems: &[long],
            ..DEMO
        },
        "display_subsystems[0].name",
        "is 21 characters long; a value of SH holds at most 16",
    );
    let pn = "x".repeat(65);
    let admin = [EquipmentAdministrator {
        person_name: &pn,
        ..DEMO.equipment_administrators[0]
    }];
    assert_invalid(
        &DisplaySystem {
            equipment_administrators: &admin,
            ..DEMO
        },
        "equipment_administrators[0].person_name",
        "is 65 characters long; a component group of PN holds at most 64",
    );
    // A PN's limit is per component group.
    let groups = format!("{}={}", "x".repeat(64), "y".repeat(64));
    let admin = [EquipmentAdministrator {
        person_name: &groups,
        ..DEMO.equipment_administrators[0]
    }];
    let display = DisplaySystem {
        equipment_administrators: &admin,
        ..DEMO
    };
    assert_eq!(validate(&display), Ok(()));
    assert_invalid(
        &DisplaySystem {
            institution_name: "A\\B",
            ..DEMO
        },
        "institution_name",
        "contains a backslash, which separates values in DICOM (LO)",
    );
    // Texts may hold backslashes and line breaks; other strings no line break.
    let text = DisplaySystem {
        institution_address: "1 Example Way\\Springfield\r\nUSA",
        ..DEMO
    };
    assert_eq!(validate(&text), Ok(()));
    assert_invalid(
        &DisplaySystem {
            station_name: "A\nB",
            ..DEMO
        },
        "station_name",
        "contains the control character '\\n'",
    );
    let equipment = [MeasurementEquipment {
        measurement_equipment_type: "integrated",
        ..FULL_EQUIPMENT
    }];
    let subsystems = [DisplaySubsystem {
        measurement_equipment: &equipment,
        ..DEMO.display_subsystems[0]
    }];
    assert_invalid(
        &DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        },
        "display_subsystems[0].measurement_equipment[0].measurement_equipment_type",
        "\"integrated\" is not a code string (CS)",
    );
    let results = ConfigurationQaResults {
        visual_evaluation: &[VisualEvaluationResult {
            tests: &[VisualEvaluationTest {
                referenced_images: &[ReferencedImage {
                    sop_class_uid: "1.2.840.10008.5.1.4.1.1.7",
                    sop_instance_uid: "1..2",
                    validation: None,
                }],
                ..DEMO.display_subsystems[0].qa_results[0].results[0].visual_evaluation[0].tests[0]
            }],
            ..demo_results().visual_evaluation[0]
        }],
        ..demo_results()
    };
    assert_eq!(
        demo_with_results(results),
        (
            format!("{QA}.visual_evaluation[0].tests[0].referenced_images[0].sop_instance_uid"),
            "\"1..2\" is not a UID: digits and dots, at most 64 characters, no empty component"
                .to_owned()
        )
    );
}

#[test]
fn dates_and_date_times() {
    assert_eq!(
        invalid(&DisplaySystem {
            date_of_installation: Some("2023-11-02"),
            ..DEMO
        }),
        (
            "date_of_installation".to_owned(),
            "\"2023-11-02\" is not a DICOM date (DA): expected YYYYMMDD, such as 20240311"
                .to_owned()
        )
    );
    for bad in ["2024031", "20241311", "20240300", "2024031a", "202403110"] {
        let display = DisplaySystem {
            date_of_manufacture: Some(bad),
            ..DEMO
        };
        assert_invalid(&display, "date_of_manufacture", "is not a DICOM date (DA)");
    }
    let calibration = |end: &'static str| {
        [DisplayCalibrationResult {
            context: ResultContext {
                end,
                ..FULL_CONTEXT
            },
            luminance_characteristics_id: 1,
        }]
    };
    fn results<'a>(calibration: &'a [DisplayCalibrationResult<'a>]) -> ConfigurationQaResults<'a> {
        ConfigurationQaResults {
            display_calibration: calibration,
            ..demo_results()
        }
    }
    for good in [
        "2024",
        "202403",
        "20240311",
        "2024031102",
        "202403110214",
        "20240311021430",
        "20240311021430.5",
        "20240311021430.123456",
        "20240311021430+0100",
        "20240311-0500",
    ] {
        let calibration = calibration(good);
        let results = [results(&calibration)];
        let qa = [DisplaySubsystemQaResults {
            results: &results,
            ..DEMO.display_subsystems[0].qa_results[0]
        }];
        let subsystems = [DisplaySubsystem {
            qa_results: &qa,
            ..DEMO.display_subsystems[0]
        }];
        let display = DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        };
        assert_eq!(validate(&display), Ok(()), "{good}");
    }
    for bad in [
        "202",
        "20240311 021430",
        "2024031102143",
        "20240311.5",
        "20240311021430.1234567",
        "20240311021430+01",
        "2024-03-11",
    ] {
        let (path, message) = demo_with_results(results(&calibration(bad)));
        assert_eq!(
            path,
            format!("{QA}.display_calibration[0].context.end"),
            "{bad}"
        );
        assert!(message.starts_with(&format!("\"{bad}\" is not a DICOM date-time (DT)")));
    }
    // Required, so not empty.
    assert_eq!(
        demo_with_results(results(&calibration(""))),
        (
            format!("{QA}.display_calibration[0].context.end"),
            "must not be empty".to_owned()
        )
    );
}

#[test]
fn required_values_and_lists() {
    assert_invalid(
        &DisplaySystem {
            manufacturer: " ",
            ..DEMO
        },
        "manufacturer",
        "must not be empty",
    );
    assert_invalid(
        &DisplaySystem {
            display_subsystems: &[],
            ..DEMO
        },
        "display_subsystems",
        "needs at least one item",
    );
    assert_invalid(
        &DisplaySystem {
            target_luminance_characteristics: &[],
            ..DEMO
        },
        "target_luminance_characteristics",
        "needs at least one item",
    );
    let admin = [EquipmentAdministrator {
        person_identification_codes: &[Code::new("X", "99EGH", "")],
        ..DEMO.equipment_administrators[0]
    }];
    assert_invalid(
        &DisplaySystem {
            equipment_administrators: &admin,
            ..DEMO
        },
        "equipment_administrators[0].person_identification_codes[0].meaning",
        "must not be empty",
    );
    let results = ConfigurationQaResults {
        luminance: &[LuminanceResult {
            points: &[],
            ..demo_results().luminance[0]
        }],
        ..demo_results()
    };
    assert_eq!(
        demo_with_results(results),
        (
            format!("{QA}.luminance[0].points"),
            "needs at least one item".to_owned()
        )
    );
    // More points than Number of Luminance Points (US) can count.
    let many = vec![
        UniformityPoint {
            luminance: 1.0,
            cie_xy_white_point: None,
        };
        70_000
    ];
    let results = ConfigurationQaResults {
        luminance_uniformity: &[LuminanceUniformityResult {
            points: &many,
            ..demo_results().luminance_uniformity[0]
        }],
        ..demo_results()
    };
    assert_eq!(
        demo_with_results(results),
        (
            format!("{QA}.luminance_uniformity[0].points"),
            "has 70000 items; at most 65535 can be counted".to_owned()
        )
    );
}

#[test]
fn unique_ids_and_terms() {
    let twice = [DEMO.display_subsystems[0], DEMO.display_subsystems[0]];
    assert_eq!(
        invalid(&DisplaySystem {
            display_subsystems: &twice,
            ..DEMO
        }),
        (
            "display_subsystems".to_owned(),
            "the id 1 appears twice".to_owned()
        )
    );
    let targets = [
        DEMO.target_luminance_characteristics[0],
        TargetLuminanceCharacteristics {
            id: 1,
            ..DEMO.target_luminance_characteristics[1]
        },
    ];
    assert_invalid(
        &DisplaySystem {
            target_luminance_characteristics: &targets,
            ..DEMO
        },
        "target_luminance_characteristics",
        "the id 1 appears twice",
    );
    let configurations = [
        DEMO.display_subsystems[0].configurations[0],
        DEMO.display_subsystems[0].configurations[0],
    ];
    let subsystems = [DisplaySubsystem {
        configurations: &configurations,
        ..DEMO.display_subsystems[0]
    }];
    assert_invalid(
        &DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        },
        "display_subsystems[0].configurations",
        "the id 1 appears twice",
    );
    let qa = [
        DEMO.display_subsystems[0].qa_results[0],
        DEMO.display_subsystems[0].qa_results[0],
    ];
    let subsystems = [DisplaySubsystem {
        qa_results: &qa,
        ..DEMO.display_subsystems[0]
    }];
    assert_invalid(
        &DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        },
        "display_subsystems[0].qa_results",
        "the configuration_id 1 appears twice",
    );
    let equipment = [MeasurementEquipment {
        measured_characteristics: &[
            MeasuredCharacteristic::Luminance,
            MeasuredCharacteristic::Uniformity,
            MeasuredCharacteristic::Luminance,
        ],
        ..FULL_EQUIPMENT
    }];
    let subsystems = [DisplaySubsystem {
        measurement_equipment: &equipment,
        ..DEMO.display_subsystems[0]
    }];
    assert_eq!(
        invalid(&DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        }),
        (
            "display_subsystems[0].measurement_equipment[0].measured_characteristics".to_owned(),
            "the term LUMINANCE appears twice".to_owned()
        )
    );
}

#[test]
fn references_resolve() {
    let right = DisplaySubsystem {
        current_configuration_id: Some(3),
        ..DEMO.display_subsystems[1]
    };
    let subsystems = [DEMO.display_subsystems[0], right];
    assert_eq!(
        invalid(&DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        }),
        (
            "display_subsystems[1].current_configuration_id".to_owned(),
            "3 is not the id of one of this subsystem's configurations (ids: 1, 2)".to_owned()
        )
    );
    // The IDs are listed in ascending order whatever the list's order.
    let configurations = [
        DisplaySubsystemConfiguration {
            id: 9,
            ..DEMO.display_subsystems[0].configurations[0]
        },
        DisplaySubsystemConfiguration {
            id: 4,
            target_luminance_characteristics_id: Some(5),
            ..DEMO.display_subsystems[0].configurations[1]
        },
    ];
    let subsystems = [DisplaySubsystem {
        configurations: &configurations,
        ..DEMO.display_subsystems[0]
    }];
    assert_eq!(
        invalid(&DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        }),
        (
            "display_subsystems[0].configurations[1].target_luminance_characteristics_id"
                .to_owned(),
            "5 is not the id of one of target_luminance_characteristics (ids: 1, 2)".to_owned()
        )
    );
    let subsystems = [DisplaySubsystem {
        configurations: &configurations[..1],
        ..DEMO.display_subsystems[0]
    }];
    assert_invalid(
        &DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        },
        "display_subsystems[0].current_configuration_id",
        "1 is not the id of one of this subsystem's configurations (ids: 9)",
    );
    let subsystems = [DisplaySubsystem {
        configurations: &[],
        current_configuration_id: None,
        ..DEMO.display_subsystems[0]
    }];
    assert_invalid(
        &DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        },
        "display_subsystems[0].qa_results[0].configuration_id",
        "(ids: none)",
    );
    let results = ConfigurationQaResults {
        display_calibration: &[DisplayCalibrationResult {
            luminance_characteristics_id: 5,
            ..demo_results().display_calibration[0]
        }],
        ..demo_results()
    };
    assert_eq!(
        demo_with_results(results),
        (
            format!("{QA}.display_calibration[0].luminance_characteristics_id"),
            "5 is not the id of one of target_luminance_characteristics (ids: 1, 2)".to_owned()
        )
    );
}

#[test]
fn target_curves() {
    let target = |t: TargetLuminanceCharacteristics<'static>| {
        let targets = [DEMO.target_luminance_characteristics[0], t];
        invalid(&DisplaySystem {
            target_luminance_characteristics: &targets,
            ..DEMO
        })
    };
    let gamma = DEMO.target_luminance_characteristics[1];
    let at = |field: &str| format!("target_luminance_characteristics[1].{field}");
    assert_eq!(
        target(TargetLuminanceCharacteristics {
            gamma_value: None,
            ..gamma
        }),
        (
            at("gamma_value"),
            "is required when display_function_type is \"GAMMA\"".to_owned()
        )
    );
    assert_eq!(
        target(TargetLuminanceCharacteristics {
            gamma_value: Some(-1.0),
            ..gamma
        }),
        (at("gamma_value"), "-1 is not a positive number".to_owned())
    );
    assert_eq!(
        target(TargetLuminanceCharacteristics {
            target_maximum_luminance: 0.25,
            ..gamma
        }),
        (
            at("target_maximum_luminance"),
            "0.25 is not above target_minimum_luminance (0.5)".to_owned()
        )
    );
    assert_eq!(
        target(TargetLuminanceCharacteristics {
            target_minimum_luminance: f32::INFINITY,
            ..gamma
        }),
        (
            at("target_minimum_luminance"),
            "inf is not a finite, non-negative number".to_owned()
        )
    );
    assert_eq!(
        target(TargetLuminanceCharacteristics {
            cie_xy_white_point: Some([f32::NAN, 0.3]),
            ..gamma
        }),
        (
            at("cie_xy_white_point"),
            "x = NaN is not a chromaticity coordinate between 0 and 1".to_owned()
        )
    );
    let user = TargetLuminanceCharacteristics {
        display_function_type: DisplayFunctionType::UserDefined,
        ..FULL.target_luminance_characteristics[0]
    };
    assert_invalid(
        &DisplaySystem {
            target_luminance_characteristics: &[TargetLuminanceCharacteristics {
                luminance_response: &[],
                ..user
            }],
            ..FULL
        },
        "target_luminance_characteristics[0].luminance_response",
        "is required when display_function_type is \"USER_DEFINED\"",
    );
    assert_invalid(
        &DisplaySystem {
            target_luminance_characteristics: &[TargetLuminanceCharacteristics {
                luminance_response_description: None,
                ..user
            }],
            ..FULL
        },
        "target_luminance_characteristics[0].luminance_response_description",
        "is required when display_function_type is \"USER_DEFINED\"",
    );
    let point = |ddl_value, luminance| LuminancePoint {
        ddl_value,
        luminance,
    };
    let curve = |points: &[LuminancePoint]| {
        let targets = [TargetLuminanceCharacteristics {
            luminance_response: points,
            ..user
        }];
        invalid(&DisplaySystem {
            target_luminance_characteristics: &targets,
            ..FULL
        })
    };
    let at = |field: &str| format!("target_luminance_characteristics[0].luminance_response{field}");
    assert_eq!(
        curve(&[point(1, 0.5), point(255, 300.0)]),
        (
            at("[0].ddl_value"),
            "is 1: a curve starts at DDL 0".to_owned()
        )
    );
    assert_eq!(
        curve(&[point(0, 0.5), point(255, 300.0), point(255, 310.0)]),
        (
            at("[2].ddl_value"),
            "255 is not above the previous point's ddl_value (255): DDL values strictly \
             increase"
                .to_owned()
        )
    );
    assert_eq!(
        curve(&[point(0, -0.5), point(255, 300.0)]),
        (
            at("[0].luminance"),
            "-0.5 is not a finite, non-negative number".to_owned()
        )
    );
}

#[test]
fn conditions_between_attributes() {
    let admin = [EquipmentAdministrator {
        institution_name: None,
        institution_code: None,
        ..DEMO.equipment_administrators[0]
    }];
    assert_eq!(
        invalid(&DisplaySystem {
            equipment_administrators: &admin,
            ..DEMO
        }),
        (
            "equipment_administrators[0]".to_owned(),
            "needs institution_name or institution_code (PS3.3 Person Identification Macro)"
                .to_owned()
        )
    );
    let results = ConfigurationQaResults {
        visual_evaluation: &[VisualEvaluationResult {
            context: ResultContext {
                performers: &[HumanPerformer {
                    code: None,
                    name: None,
                    organization: "Medical Physics",
                }],
                ..demo_results().visual_evaluation[0].context
            },
            ..demo_results().visual_evaluation[0]
        }],
        ..demo_results()
    };
    assert_eq!(
        demo_with_results(results),
        (
            format!("{QA}.visual_evaluation[0].context.performers[0]"),
            "needs a name or a code".to_owned()
        )
    );
    let results = ConfigurationQaResults {
        visual_evaluation: &[VisualEvaluationResult {
            tests: &[VisualEvaluationTest {
                result: TestResult::Pass,
                comment: None,
                test_pattern: None,
                referenced_images: &[],
            }],
            ..demo_results().visual_evaluation[0]
        }],
        ..demo_results()
    };
    assert_eq!(
        demo_with_results(results),
        (
            format!("{QA}.visual_evaluation[0].tests[0]"),
            "needs a test_pattern or referenced_images".to_owned()
        )
    );
    let uniformity = demo_results().luminance_uniformity[0];
    let mut points = uniformity.points.to_vec();
    points[2].cie_xy_white_point = Some([0.31, 0.33]);
    let results = ConfigurationQaResults {
        luminance_uniformity: &[LuminanceUniformityResult {
            points: &points,
            ..uniformity
        }],
        ..demo_results()
    };
    assert_eq!(
        demo_with_results(results),
        (
            format!("{QA}.luminance_uniformity[0].points[2].cie_xy_white_point"),
            "white_point_flag is \"NO\": every point needs a white point if it is \"YES\", \
             none if it is \"NO\""
                .to_owned()
        )
    );
    let results = ConfigurationQaResults {
        luminance_uniformity: &[LuminanceUniformityResult {
            white_point_flag: WhitePointFlag::Yes,
            ..uniformity
        }],
        ..demo_results()
    };
    assert_invalid_results(
        results,
        &format!("{QA}.luminance_uniformity[0].points[0].cie_xy_white_point"),
        "white_point_flag is \"YES\"",
    );
    let luminance = demo_results().luminance[0];
    let mut points = luminance.points.to_vec();
    points[1].ddl_value = 0;
    let results = ConfigurationQaResults {
        luminance: &[LuminanceResult {
            points: &points,
            ..luminance
        }],
        ..demo_results()
    };
    assert_invalid_results(
        results,
        &format!("{QA}.luminance[0].points[1].ddl_value"),
        "0 is not above the previous point's ddl_value (0)",
    );
}

fn assert_invalid_results(results: ConfigurationQaResults<'_>, path: &str, message: &str) {
    let (got_path, got_message) = demo_with_results(results);
    assert_eq!(got_path, path, "{got_message}");
    assert!(got_message.contains(message), "{got_message}");
}

#[test]
fn character_sets() {
    let right = DisplaySubsystem {
        system_status_comment: "Prüfung offen",
        ..DEMO.display_subsystems[1]
    };
    let subsystems = [DEMO.display_subsystems[0], right];
    assert_eq!(
        invalid(&DisplaySystem {
            display_subsystems: &subsystems,
            ..DEMO
        }),
        (
            "display_subsystems[1].system_status_comment".to_owned(),
            "holds text beyond ASCII, which is written as UTF-8: set specific_character_set \
             to [\"ISO_IR 192\"]"
                .to_owned()
        )
    );
    // Latin-1 declared does not make a `&str` Latin-1.
    assert_invalid(
        &DisplaySystem {
            specific_character_set: &["ISO_IR 100"],
            station_name: "LESESAAL-Ä",
            ..DEMO
        },
        "station_name",
        "holds text beyond ASCII",
    );
    assert_eq!(
        invalid(&DisplaySystem {
            specific_character_set: &["ISO_IR 192", "ISO 2022 IR 87"],
            ..DEMO
        }),
        (
            "specific_character_set".to_owned(),
            "\"ISO_IR 192\" (UTF-8) stands alone: it admits no code extensions".to_owned()
        )
    );
    assert_invalid(
        &DisplaySystem {
            specific_character_set: &["iso_ir 100"],
            ..DEMO
        },
        "specific_character_set[0]",
        "is not a code string (CS)",
    );
}

#[test]
fn paths_hold_the_deepest_field() {
    let results = ConfigurationQaResults {
        visual_evaluation: &[VisualEvaluationResult {
            context: ResultContext {
                performers: &[HumanPerformer {
                    code: Some(Code::new("", "99EGH", "Marie Curie")),
                    ..demo_results().visual_evaluation[0].context.performers[0]
                }],
                ..demo_results().visual_evaluation[0].context
            },
            ..demo_results().visual_evaluation[0]
        }],
        ..demo_results()
    };
    let (path, _) = demo_with_results(results);
    assert_eq!(
        path,
        format!("{QA}.visual_evaluation[0].context.performers[0].code.value")
    );
    let display = DisplaySystem {
        display_subsystems: &[DisplaySubsystem {
            qa_results: &[DisplaySubsystemQaResults {
                configuration_id: 1,
                results: &[results],
            }],
            ..DEMO.display_subsystems[0]
        }],
        ..DEMO
    };
    let e = validate(&display).unwrap_err();
    assert_eq!(e.path.segments().len(), validate::MAX_DEPTH);
    assert_eq!(
        e.path.segments()[0],
        validate::Segment {
            name: "display_subsystems",
            index: Some(0)
        }
    );
    assert_eq!(e.problem, Problem::Empty);
    assert_eq!(
        e.to_string(),
        format!("{path}: must not be empty"),
        "Display is the path and the message"
    );
    let _: &dyn core::error::Error = &e;
}
