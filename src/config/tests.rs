//! The configuration against the core: the example files, the demo, defaults, errors and
//! round trips.

use std::path::PathBuf;

use dimse_core::dataset::{DataSetSource, Encoding, SequenceLength, Writer};
use dimse_core::service::display::{SystemStatus, DEMO};

use super::*;

const ENCODINGS: [Encoding; 2] = [
    Encoding::ExplicitVrLittleEndian,
    Encoding::ImplicitVrLittleEndian,
];
const LENGTHS: [SequenceLength; 2] = [SequenceLength::Defined, SequenceLength::Undefined];

fn encode_with<S: DataSetSource + ?Sized>(
    source: &S,
    encoding: Encoding,
    lengths: SequenceLength,
) -> Vec<u8> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = Writer::new(&mut buf, encoding).with_sequence_length(lengths);
    w.write(source).expect("the display encodes");
    let n = w.written();
    buf.truncate(n);
    buf
}

/// Explicit VR Little Endian, defined-length sequences: what the tests compare.
fn encode<S: DataSetSource + ?Sized>(source: &S) -> Vec<u8> {
    encode_with(
        source,
        Encoding::ExplicitVrLittleEndian,
        SequenceLength::Defined,
    )
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// A file in the temporary directory holding `text`, named for the test, removed when
/// dropped.
struct TempFile(PathBuf);

impl std::ops::Deref for TempFile {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(name: &str, text: &str) -> TempFile {
    let path = std::env::temp_dir().join(format!("dimse-config-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("temporary directory is writable");
    TempFile(path)
}

fn toml(text: &str) -> Result<ServerConfig, ConfigError> {
    parse(text, Format::Toml)
}

fn json(text: &str) -> Result<ServerConfig, ConfigError> {
    parse(text, Format::Json)
}

/// The error's message, or a panic if there is none.
fn message(result: Result<ServerConfig, ConfigError>) -> String {
    match result {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "{part:?} missing from the message:\n{message}"
        );
    }
}

/// The smallest display a file can describe: only the required keys.
const MINIMAL_DISPLAY: &str = r#"
[display]
manufacturer = "ACME Displays"
manufacturer_model_name = "QA-1"
device_serial_number = "SN-0001"
institution_name = "St. Example Clinic"
institution_address = "1 Main Street"

[[display.target_luminance_characteristics]]
id = 1
display_function_type = "GSDF"
target_minimum_luminance = 0.5
target_maximum_luminance = 350.0

[[display.display_subsystems]]
id = 1
system_status = "OK"
"#;

/// The default configuration with `change` applied, validated.
fn invalid_when(change: impl FnOnce(&mut ServerConfig)) -> (String, String) {
    let mut config = ServerConfig::default();
    change(&mut config);
    match config.validate() {
        Ok(()) => panic!("accepted: {config:?}"),
        Err(ConfigError::Invalid { field, message, .. }) => (field, message),
        Err(other) => panic!("not a validation error: {other}"),
    }
}

#[test]
fn the_example_files_load_and_encode_the_same_bytes() {
    let from_toml = load(&example("display.toml")).expect("examples/display.toml loads");
    let from_json = load(&example("display.json")).expect("examples/display.json loads");
    assert_eq!(from_toml, from_json);
    for encoding in ENCODINGS {
        for lengths in LENGTHS {
            assert_eq!(
                encode_with(&from_toml.display, encoding, lengths),
                encode_with(&from_json.display, encoding, lengths),
            );
        }
    }
    // They are the demo written out, with the default server settings spelled out.
    assert_eq!(from_toml, ServerConfig::default());
    assert_eq!(encode(&from_toml.display), encode(&DEMO));
}

#[test]
fn the_demo_encodes_exactly_as_the_core_demo() {
    let demo = DisplayConfig::demo();
    for encoding in ENCODINGS {
        for lengths in LENGTHS {
            assert_eq!(
                encode_with(&demo, encoding, lengths),
                encode_with(&DEMO, encoding, lengths),
                "{encoding:?}, {lengths:?}"
            );
        }
    }
    // The borrowed model built from the owned data is DEMO itself, field for field.
    assert!(demo.with_model(|model| *model == DEMO));
    // And the demo is valid by this module's checks, which are stricter than the writer.
    ServerConfig::default()
        .validate()
        .expect("the default configuration is valid");
}

#[test]
fn owned_and_borrowed_round_trip_a_full_model() {
    // Every optional field of the model set, in a display built from the demo: the
    // conversion in both directions keeps it.
    let mut full = DisplayConfig::demo();
    full.specific_character_set = vec!["ISO_IR 192".to_owned()];
    full.institution_name = "Hôpital d'Exemple".to_owned();
    full.institutional_department_type = Some(OwnedCode {
        value: "RADIOLOGY".to_owned(),
        scheme_designator: "99LOCAL".to_owned(),
        scheme_version: Some("1".to_owned()),
        meaning: "Radiology".to_owned(),
    });
    let admin = &mut full.equipment_administrators[0];
    admin.address = Some("Room 12".to_owned());
    admin.telecom_information = Some("pacs@example.org".to_owned());
    admin.institution_address = Some("1 Example Way".to_owned());
    admin.institution_code = Some(admin.person_identification_codes[0].clone());
    let target = &mut full.target_luminance_characteristics[0];
    target.display_function_type = dimse_core::service::display::DisplayFunctionType::UserDefined;
    target.luminance_response = vec![
        OwnedLuminancePoint {
            ddl_value: 0,
            luminance: 0.5,
        },
        OwnedLuminancePoint {
            ddl_value: 1023,
            luminance: 400.0,
        },
    ];
    target.luminance_response_description = Some("Two-point test curve".to_owned());
    target.ambient_light = Some(OwnedAmbientLight {
        reflected: 1,
        source: dimse_core::service::display::AmbientLightValueSource::Provided,
    });
    let results = &mut full.display_subsystems[0].qa_results[0].results[0];
    results.visual_evaluation[0].tests[0].comment = Some("Fine".to_owned());
    results.visual_evaluation[0].tests[0].referenced_images = vec![OwnedReferencedImage {
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.7".to_owned(),
        sop_instance_uid: "2.25.1".to_owned(),
        validation: Some(dimse_core::service::display::TestImageValidation::Matched),
    }];
    results.visual_evaluation[0].context.performers[0].code = Some(OwnedCode {
        value: "MC".to_owned(),
        scheme_designator: "99EGH".to_owned(),
        scheme_version: None,
        meaning: "Marie Curie".to_owned(),
    });
    results.luminance[0].points[0].cie_xy_white_point = Some([0.313, 0.329]);
    let uniformity = &mut results.luminance_uniformity[0];
    uniformity.white_point_flag = dimse_core::service::display::WhitePointFlag::Yes;
    for point in &mut uniformity.points {
        point.cie_xy_white_point = Some([0.312, 0.33]);
    }
    uniformity.ambient_light = results.luminance[0].ambient_light;
    let config = ServerConfig {
        display: full.clone(),
        ..ServerConfig::default()
    };
    config.validate().expect("the full display is valid");

    let back = full.with_model(|model| DisplayConfig::from(model));
    assert_eq!(back, full);
    // Through both file formats and back, to the same bytes.
    let bytes = encode(&full);
    for text_and_format in [
        (to_toml(&config), Format::Toml),
        (to_json(&config), Format::Json),
    ] {
        let (text, format) = text_and_format;
        let parsed = parse(&text, format).expect("a written configuration parses");
        assert_eq!(parsed, config, "{format:?}");
        assert_eq!(encode(&parsed.display), bytes, "{format:?}");
    }
}

#[test]
fn defaults_apply_to_what_is_left_out() {
    // An empty file is the default configuration, in both formats.
    assert_eq!(toml("").unwrap(), ServerConfig::default());
    assert_eq!(json("{}").unwrap(), ServerConfig::default());
    let default = ServerConfig::default();
    assert_eq!(default.ae_title, "DISPLAY");
    assert_eq!(default.port, 11112);
    assert_eq!(default.max_associations, 32);
    assert_eq!(default.max_pdu_length, 16382);
    assert_eq!(
        (
            default.artim_timeout_ms,
            default.acse_timeout_ms,
            default.dimse_timeout_ms,
            default.network_timeout_ms
        ),
        (30_000, 30_000, 30_000, 60_000)
    );
    assert!(!default.check_called_ae);
    assert_eq!(default.calling_ae_titles().unwrap(), None);
    assert_eq!(default.limits(), dimse_core::assoc::Limits::DEFAULT);
    assert_eq!(default.display, DisplayConfig::demo());

    // One key given, the rest default.
    let config = toml("port = 4242\ndimse_timeout_ms = 5000").unwrap();
    assert_eq!(config.port, 4242);
    assert_eq!(config.limits().dimse_timeout.as_millis(), 5000);
    assert_eq!(
        ServerConfig {
            port: 11112,
            dimse_timeout_ms: 30_000,
            ..config
        },
        ServerConfig::default()
    );

    // Only the display's required keys: the rest is empty or absent.
    let config = toml(MINIMAL_DISPLAY).unwrap();
    let display = &config.display;
    assert_eq!(display.station_name, "");
    assert!(display.specific_character_set.is_empty());
    assert!(display.equipment_administrators.is_empty());
    assert_eq!(display.date_of_manufacture, None);
    let target = &display.target_luminance_characteristics[0];
    assert_eq!(
        (target.gamma_value, target.cie_xy_white_point),
        (None, None)
    );
    let subsystem = &display.display_subsystems[0];
    assert_eq!(subsystem.system_status, SystemStatus::Ok);
    assert_eq!(subsystem.name, "");
    assert_eq!(subsystem.current_configuration_id, None);
    assert!(subsystem.configurations.is_empty() && subsystem.qa_results.is_empty());
    assert_eq!(config.port, 11112);
    // It encodes; an absent Current Configuration ID is a zero-length value, as in the core.
    assert!(!encode(display).is_empty());
}

#[test]
fn required_display_keys_are_required() {
    let without = MINIMAL_DISPLAY.replace("manufacturer = \"ACME Displays\"\n", "");
    assert_mentions(
        &message(toml(&without)),
        &["missing field `manufacturer`", "line"],
    );
    let without = MINIMAL_DISPLAY.replace("system_status = \"OK\"\n", "");
    assert_mentions(&message(toml(&without)), &["missing field `system_status`"]);
    // A display with no subsystem is refused after parsing.
    let (field, message) = invalid_when(|c| c.display.display_subsystems.clear());
    assert_eq!(field, "display.display_subsystems");
    assert_mentions(&message, &["at least one"]);
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let m = message(toml("portt = 104"));
    assert_mentions(
        &m,
        &[
            "unknown field `portt`",
            "expected one of",
            "`port`",
            "line 1",
        ],
    );
    // Deep in the display too.
    let nested = format!("{MINIMAL_DISPLAY}colour = \"grey\"\n");
    assert_mentions(
        &message(toml(&nested)),
        &["unknown field `colour`", "line 18", "`system_status`"],
    );
    let m = message(json(
        r#"{ "display": { "manufacturer": "A", "serial": "1" } }"#,
    ));
    assert_mentions(&m, &["unknown field `serial`", "line 1"]);
    let m = message(json(r#"{ "port": 104, "aet": "X" }"#));
    assert_mentions(&m, &["unknown field `aet`", "`ae_title`"]);
}

#[test]
fn bad_terms_are_errors_listing_the_allowed_ones() {
    let bad = MINIMAL_DISPLAY.replace("system_status = \"OK\"", "system_status = \"GOOD\"");
    assert_mentions(
        &message(toml(&bad)),
        &[
            "\"GOOD\" is not a term of System Status (0028,7006)",
            "expected one of \"OK\", \"WARNING\", \"FAILED\"",
            "system_status",
        ],
    );
    // Terms are case-sensitive, as CS values are.
    let bad = MINIMAL_DISPLAY.replace("\"GSDF\"", "\"gsdf\"");
    assert_mentions(
        &message(toml(&bad)),
        &[
            "\"gsdf\" is not a term of Display Function Type",
            "\"USER_DEFINED\"",
        ],
    );
    let bad = format!(
        "{MINIMAL_DISPLAY}measurement_equipment = [{{ measurement_functions = [\"PHOTOMETER\", \"SPECTROMETER\"] }}]\n"
    );
    assert_mentions(
        &message(toml(&bad)),
        &["\"SPECTROMETER\"", "\"COLORIMETER\"", "\"ILLUMINOMETER\""],
    );
    let m = message(json(
        r#"{ "display": { "manufacturer": "A", "manufacturer_model_name": "B",
             "device_serial_number": "C", "institution_name": "D", "institution_address": "E",
             "target_luminance_characteristics": [{ "id": 1, "display_function_type": "PQ",
               "target_minimum_luminance": 0.5, "target_maximum_luminance": 350 }],
             "display_subsystems": [] } }"#,
    ));
    assert_mentions(&m, &["\"PQ\" is not a term", "\"GSDF\"", "line 3"]);
    // A term listed twice.
    let (field, message) = invalid_when(|c| {
        c.display.display_subsystems[0].measurement_equipment[0]
            .measured_characteristics
            .push(dimse_core::service::display::MeasuredCharacteristic::Luminance);
    });
    assert_eq!(
        field,
        "display.display_subsystems[0].measurement_equipment[0].measured_characteristics"
    );
    assert_eq!(message, "the term LUMINANCE appears twice");
}

#[test]
fn bad_ae_titles_are_errors() {
    let m = message(toml("ae_title = \"A_TITLE_LONGER_THAN_16\""));
    assert_mentions(
        &m,
        &[
            "configuration: ae_title:",
            "\"A_TITLE_LONGER_THAN_16\" is not a valid AE title",
            "1 to 16 characters",
        ],
    );
    assert_mentions(&message(toml("ae_title = \"   \"")), &["ae_title"]);
    assert_mentions(
        &message(toml(r#"ae_title = 'BACK\SLASH'"#)),
        &["BACK\\SLASH"],
    );
    let m = message(toml("calling_ae_allow_list = [\"QA_SCU\", \"CAFÉ\"]"));
    assert_mentions(&m, &["calling_ae_allow_list[1]", "\"CAFÉ\""]);
    let m = message(toml("calling_ae_allow_list = []"));
    assert_mentions(&m, &["calling_ae_allow_list", "leave it out"]);
    // Surrounding spaces are not significant.
    let config = toml("ae_title = \" DISPLAY \"\ncalling_ae_allow_list = [\"QA_SCU\"]").unwrap();
    assert_eq!(config.ae_title().unwrap().as_str(), Some("DISPLAY"));
    let allowed = config.calling_ae_titles().unwrap().unwrap();
    assert_eq!(allowed[0].as_str(), Some("QA_SCU"));
}

#[test]
fn bad_limits_are_errors() {
    assert_mentions(&message(toml("port = 0")), &["port: must not be 0"]);
    assert_mentions(
        &message(toml("max_associations = 0")),
        &["max_associations: must not be 0"],
    );
    assert_mentions(
        &message(toml("network_timeout_ms = 0")),
        &["network_timeout_ms: must not be 0"],
    );
    assert_mentions(
        &message(toml("max_pdu_length = 0")),
        &["max_pdu_length: 0 is below 8", "no limit"],
    );
    assert!(toml("max_pdu_length = 8").is_ok());
    assert_mentions(&message(toml("port = 70000")), &["port", "70000"]);
    assert_mentions(&message(toml("port = \"104\"")), &["port", "invalid type"]);
    let limits = toml("max_pdu_length = 65536\nacse_timeout_ms = 1500")
        .unwrap()
        .limits();
    assert_eq!(limits.max_pdu_length, 65536);
    assert_eq!(limits.acse_timeout.as_millis(), 1500);
    assert_eq!(limits.artim_timeout.as_millis(), 30_000);
}

#[test]
fn inconsistent_displays_are_errors_naming_the_field() {
    type Change = Box<dyn FnOnce(&mut ServerConfig)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|c| c.display.display_subsystems[1].id = 1),
            "display.display_subsystems",
            "the id 1 appears twice",
        ),
        (
            Box::new(|c| c.display.display_subsystems[1].current_configuration_id = Some(3)),
            "display.display_subsystems[1].current_configuration_id",
            "3 is not the id of one of this subsystem's configurations (ids: 1, 2)",
        ),
        (
            Box::new(|c| {
                c.display.display_subsystems[0].configurations[1]
                    .target_luminance_characteristics_id = Some(9)
            }),
            "display.display_subsystems[0].configurations[1].target_luminance_characteristics_id",
            "9 is not the id of one of target_luminance_characteristics (ids: 1, 2)",
        ),
        (
            Box::new(|c| {
                c.display.display_subsystems[0].qa_results[0].results[0].display_calibration[0]
                    .luminance_characteristics_id = 5
            }),
            "display.display_subsystems[0].qa_results[0].results[0].display_calibration[0].luminance_characteristics_id",
            "5 is not the id",
        ),
        (
            Box::new(|c| c.display.target_luminance_characteristics[1].gamma_value = None),
            "display.target_luminance_characteristics[1].gamma_value",
            "is required when display_function_type is \"GAMMA\"",
        ),
        (
            Box::new(|c| c.display.target_luminance_characteristics[0].target_maximum_luminance = 0.25),
            "display.target_luminance_characteristics[0].target_maximum_luminance",
            "0.25 is not above target_minimum_luminance (0.5)",
        ),
        (
            Box::new(|c| {
                c.display.target_luminance_characteristics[0].display_function_type =
                    dimse_core::service::display::DisplayFunctionType::UserDefined
            }),
            "display.target_luminance_characteristics[0].luminance_response",
            "is required when display_function_type is \"USER_DEFINED\"",
        ),
        (
            Box::new(|c| c.display.date_of_installation = Some("2023-11-02".to_owned())),
            "display.date_of_installation",
            "\"2023-11-02\" is not a DICOM date (DA): expected YYYYMMDD",
        ),
        (
            Box::new(|c| {
                c.display.display_subsystems[0].qa_results[0].results[0].luminance[0]
                    .context
                    .end = "2024-03-11 02:14".to_owned()
            }),
            "display.display_subsystems[0].qa_results[0].results[0].luminance[0].context.end",
            "is not a DICOM date-time (DT)",
        ),
        (
            Box::new(|c| c.display.display_subsystems[0].name = "A NAME LONGER THAN SH".to_owned()),
            "display.display_subsystems[0].name",
            "is 21 characters long; a value of SH holds at most 16",
        ),
        (
            Box::new(|c| c.display.manufacturer = String::new()),
            "display.manufacturer",
            "must not be empty",
        ),
        (
            Box::new(|c| c.display.institution_name = "A\\B".to_owned()),
            "display.institution_name",
            "contains a backslash",
        ),
        (
            Box::new(|c| {
                c.display.display_subsystems[0].qa_results[0].results[0].luminance_uniformity[0]
                    .points[2]
                    .cie_xy_white_point = Some([0.31, 0.33])
            }),
            "display.display_subsystems[0].qa_results[0].results[0].luminance_uniformity[0].points[2].cie_xy_white_point",
            "white_point_flag is \"NO\"",
        ),
        (
            Box::new(|c| {
                c.display.display_subsystems[0].qa_results[0].results[0].visual_evaluation[0]
                    .context
                    .performers[0]
                    .name = None
            }),
            "display.display_subsystems[0].qa_results[0].results[0].visual_evaluation[0].context.performers[0]",
            "needs a name or a code",
        ),
        (
            Box::new(|c| c.display.equipment_administrators[0].institution_name = None),
            "display.equipment_administrators[0]",
            "needs institution_name or institution_code",
        ),
        (
            Box::new(|c| {
                c.display.display_subsystems[0].qa_results[0].results[0].luminance[0].points[1]
                    .ddl_value = 0
            }),
            "display.display_subsystems[0].qa_results[0].results[0].luminance[0].points[1].ddl_value",
            "0 is not above the previous point's ddl_value (0)",
        ),
        (
            Box::new(|c| c.display.display_subsystems[1].system_status_comment = "Prüfung offen".to_owned()),
            "display.display_subsystems[1].system_status_comment",
            "set display.specific_character_set = [\"ISO_IR 192\"]",
        ),
        (
            Box::new(|c| {
                c.display.specific_character_set = vec!["ISO_IR 100".to_owned()];
                c.display.station_name = "LESESAAL-Ä".to_owned();
            }),
            "display.station_name",
            "holds text beyond ASCII",
        ),
        (
            Box::new(|c| {
                c.display.specific_character_set = vec!["ISO_IR 192".to_owned(), "ISO 2022 IR 87".to_owned()];
            }),
            "display.specific_character_set",
            "stands alone",
        ),
        (
            Box::new(|c| c.display.target_luminance_characteristics[0].cie_xy_white_point = Some([f32::NAN, 0.3])),
            "display.target_luminance_characteristics[0].cie_xy_white_point",
            "x = NaN is not a chromaticity coordinate",
        ),
    ];
    for (change, field, expected) in cases {
        let (got_field, got_message) = invalid_when(change);
        assert_eq!(got_field, field, "{got_message}");
        assert_mentions(&got_message, &[expected]);
    }
}

#[test]
fn errors_name_the_file() {
    let path = temp_file("bad.toml", "[display]\nmanufacturer = 3\n");
    let e = load(&path).unwrap_err();
    assert!(matches!(e, ConfigError::Parse { .. }));
    assert_eq!(e.file(), Some(&*path));
    let shown = e.to_string();
    assert!(shown.starts_with(&path.display().to_string()), "{shown}");
    assert_mentions(&shown, &["manufacturer", "line 2", "invalid type"]);

    let path = temp_file("invalid.json", r#"{ "port": 0 }"#);
    let shown = load(&path).unwrap_err().to_string();
    assert_eq!(shown, format!("{}: port: must not be 0", path.display()));

    let path = temp_file("config.yaml", "port: 104\n");
    let e = load(&path).unwrap_err();
    assert!(matches!(e, ConfigError::UnknownFormat { .. }));
    assert_mentions(&e.to_string(), &["config.yaml", ".toml or .json"]);

    let missing = std::env::temp_dir().join("dimse-config-does-not-exist.toml");
    let e = load(&missing).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
    assert!(std::error::Error::source(&e).is_some());
    assert_mentions(
        &e.to_string(),
        &["dimse-config-does-not-exist.toml", "cannot read"],
    );
}

#[test]
fn to_toml_round_trips() {
    let default = ServerConfig::default();
    let text = to_toml(&default);
    assert_eq!(toml(&text).unwrap(), default);
    assert_eq!(json(&to_json(&default)).unwrap(), default);
    // Written out through a file too, with every server key changed.
    let changed = ServerConfig {
        ae_title: "QA_DISPLAY".to_owned(),
        check_called_ae: true,
        calling_ae_allow_list: Some(vec!["QA_SCU".to_owned(), "PACS".to_owned()]),
        port: 4104,
        max_associations: 4,
        max_pdu_length: 4096,
        artim_timeout_ms: 1000,
        acse_timeout_ms: 2000,
        dimse_timeout_ms: 3000,
        network_timeout_ms: 4000,
        display: toml(MINIMAL_DISPLAY).unwrap().display,
        user_identity: Some(Credentials {
            username: "qa".to_owned(),
            passcode: "s3cret".to_owned(),
        }),
        require_user_identity: true,
        tls: Some(TlsFiles {
            certificate: "cert.pem".into(),
            private_key: "key.pem".into(),
        }),
    };
    assert!(!format!("{:?}", changed.user_identity).contains("s3cret"));
    let path = temp_file("round-trip.toml", &to_toml(&changed));
    assert_eq!(load(&path).unwrap(), changed);
    let path = temp_file("round-trip.json", &to_json(&changed));
    assert_eq!(load(&path).unwrap(), changed);
}

#[test]
fn the_data_set_source_writes_what_the_model_writes() {
    let display = load(&example("display.toml")).unwrap().display;
    let through_model = display.with_model(|model| encode(model));
    assert_eq!(encode(&display), through_model);
}

/// Regenerates `examples/display.json` from `examples/display.toml`:
/// `cargo test -p dimse --lib write_example_json -- --ignored`.
#[test]
#[ignore = "writes examples/display.json"]
fn write_example_json() {
    let config = load(&example("display.toml")).unwrap();
    std::fs::write(example("display.json"), to_json(&config) + "\n").unwrap();
}
