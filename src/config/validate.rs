//! What the core leaves to the caller, checked once when a configuration is loaded: value
//! representations (lengths, characters, date formats, UIDs), required values, unique IDs,
//! references that resolve, and the conditions between attributes (PS3.3 C.32). The core's
//! writer checks only what it must to encode; a file is checked here so that a mistake is an
//! error at start-up naming the field, not a malformed response to a QA server.

use std::collections::HashSet;

use dimse_core::dataset::{Encoding, SequenceLength, WriteError, Writer};
use dimse_core::pdu::Uid;
use dimse_core::service::display::{DisplayFunctionType, WhitePointFlag};

use super::display::{
    DisplayConfig, OwnedCode, OwnedConfigurationQaResults, OwnedDisplaySubsystem,
    OwnedEquipmentAdministrator, OwnedMeasurementEquipment, OwnedResultContext,
    OwnedTargetLuminanceCharacteristics,
};
use super::terms::Term;

/// A field that fails a check: its path in the file (`display.display_subsystems[1].name`)
/// and what is wrong.
#[derive(Debug)]
pub(crate) struct Invalid {
    pub(crate) field: String,
    pub(crate) message: String,
}

pub(crate) type Check = Result<(), Invalid>;

pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// The value representations of the strings in the model (PS3.5 Table 6.2-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
enum Vr {
    CS,
    SH,
    LO,
    ST,
    LT,
    PN,
    DA,
    DT,
    UI,
}

impl Vr {
    /// The most characters a value may have (PN: per component group).
    const fn max_chars(self) -> usize {
        match self {
            Vr::CS | Vr::SH => 16,
            Vr::LO | Vr::PN | Vr::UI => 64,
            Vr::ST => 1024,
            Vr::LT => 10240,
            Vr::DA => 8,
            Vr::DT => 26,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Vr::CS => "CS",
            Vr::SH => "SH",
            Vr::LO => "LO",
            Vr::ST => "ST",
            Vr::LT => "LT",
            Vr::PN => "PN",
            Vr::DA => "DA",
            Vr::DT => "DT",
            Vr::UI => "UI",
        }
    }

    /// Texts (ST, LT) may hold backslashes and line breaks; the other string VRs may not.
    const fn is_text(self) -> bool {
        matches!(self, Vr::ST | Vr::LT)
    }
}

/// A value of `vr`; empty is allowed (usage 2 or 3).
fn text(field: &str, value: &str, vr: Vr) -> Check {
    if value.is_empty() {
        return Ok(());
    }
    let fail = |message: String| Err(invalid(field, message));
    let longest = if vr == Vr::PN {
        value
            .split('=')
            .map(|g| g.chars().count())
            .max()
            .unwrap_or(0)
    } else {
        value.chars().count()
    };
    // Dates and date-times get the message of their format instead.
    if longest > vr.max_chars() && !matches!(vr, Vr::DA | Vr::DT) {
        let what = if vr == Vr::PN {
            "a component group of"
        } else {
            "a value of"
        };
        return fail(format!(
            "is {longest} characters long; {what} {} holds at most {}",
            vr.name(),
            vr.max_chars()
        ));
    }
    if !vr.is_text() && value.contains('\\') {
        return fail(format!(
            "contains a backslash, which separates values in DICOM ({})",
            vr.name()
        ));
    }
    let allowed_control = |c: char| c == '\x1b' || (vr.is_text() && "\r\n\t\x0c".contains(c));
    if let Some(c) = value
        .chars()
        .find(|&c| c.is_control() && !allowed_control(c))
    {
        return fail(format!("contains the control character {c:?}"));
    }
    match vr {
        Vr::CS
            if !value.bytes().all(|b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'_'
            }) =>
        {
            fail(format!(
                "\"{value}\" is not a code string (CS): upper-case letters, digits, space and \
                 underscore only"
            ))
        }
        Vr::DA if !is_date(value) => fail(format!(
            "\"{value}\" is not a DICOM date (DA): expected YYYYMMDD, such as 20240311"
        )),
        Vr::DT if !is_date_time(value) => fail(format!(
            "\"{value}\" is not a DICOM date-time (DT): expected YYYYMMDDHHMMSS or a prefix of \
             it (YYYY at least), optionally with .FFFFFF and an offset +HHMM, such as \
             20240311021430"
        )),
        Vr::UI if Uid::new(value).is_none() => fail(format!(
            "\"{value}\" is not a UID: digits and dots, at most 64 characters, no empty \
             component"
        )),
        _ => Ok(()),
    }
}

/// A value of `vr` that must not be empty (usage 1).
fn required(field: &str, value: &str, vr: Vr) -> Check {
    if value.trim_matches(' ').is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    text(field, value, vr)
}

fn optional(field: &str, value: Option<&str>, vr: Vr) -> Check {
    value.map_or(Ok(()), |v| text(field, v, vr))
}

fn digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYYMMDD` with a month 01 to 12 and a day 01 to 31.
fn is_date(s: &str) -> bool {
    let (Some(month), Some(day)) = (s.get(4..6), s.get(6..8)) else {
        return false;
    };
    s.len() == 8 && digits(s) && ("01"..="12").contains(&month) && ("01"..="31").contains(&day)
}

/// `YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]` (PS3.5 Table 6.2-1, DT).
fn is_date_time(s: &str) -> bool {
    let (main, offset) = match s.get(4..).and_then(|rest| rest.find(['+', '-'])) {
        Some(i) => s.split_at(i + 4),
        None => (s, ""),
    };
    let offset_ok = offset.is_empty() || (offset.len() == 5 && digits(&offset[1..]));
    let (whole, fraction) = match main.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (main, None),
    };
    let whole_ok = matches!(whole.len(), 4 | 6 | 8 | 10 | 12 | 14) && digits(whole);
    let fraction_ok = match fraction {
        None => true,
        Some(f) => whole.len() == 14 && (1..=6).contains(&f.len()) && digits(f),
    };
    offset_ok && whole_ok && fraction_ok
}

/// Finite, and not negative (luminances, white point coordinates).
fn non_negative(field: &str, value: f32) -> Check {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{value} is not a finite, non-negative number"),
        ))
    }
}

fn white_point(field: &str, value: Option<[f32; 2]>) -> Check {
    let Some([x, y]) = value else { return Ok(()) };
    for (name, v) in [("x", x), ("y", y)] {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(invalid(
                field,
                format!("{name} = {v} is not a chromaticity coordinate between 0 and 1"),
            ));
        }
    }
    Ok(())
}

/// No value twice (IDs, multi-valued terms); `name` says what the values are.
fn unique<T: Eq + std::hash::Hash + std::fmt::Display>(
    field: &str,
    values: impl IntoIterator<Item = T>,
    name: &str,
) -> Check {
    let mut seen = HashSet::new();
    for value in values {
        let shown = value.to_string();
        if !seen.insert(value) {
            return Err(invalid(field, format!("{name} {shown} appears twice")));
        }
    }
    Ok(())
}

/// A list the wire counts in a US value (Number of Luminance Points, Number of Display
/// Subsystems) or that must have an item.
fn items<T>(field: &str, list: &[T], at_least_one: bool) -> Check {
    if at_least_one && list.is_empty() {
        return Err(invalid(field, "needs at least one item"));
    }
    if list.len() > usize::from(u16::MAX) {
        return Err(invalid(
            field,
            format!("has {} items; at most 65535 can be counted", list.len()),
        ));
    }
    Ok(())
}

fn terms<T: Term>(field: &str, values: &[T]) -> Check {
    unique(field, values.iter().map(|t| t.as_str()), "the term")
}

fn code(field: &str, c: &OwnedCode) -> Check {
    required(&format!("{field}.value"), &c.value, Vr::SH)?;
    required(
        &format!("{field}.scheme_designator"),
        &c.scheme_designator,
        Vr::SH,
    )?;
    optional(
        &format!("{field}.scheme_version"),
        c.scheme_version.as_deref(),
        Vr::SH,
    )?;
    required(&format!("{field}.meaning"), &c.meaning, Vr::LO)
}

fn equipment(field: &str, list: &[OwnedMeasurementEquipment]) -> Check {
    for (i, e) in list.iter().enumerate() {
        let f = format!("{field}[{i}]");
        text(&format!("{f}.manufacturer"), &e.manufacturer, Vr::LO)?;
        text(
            &format!("{f}.manufacturer_model_name"),
            &e.manufacturer_model_name,
            Vr::LO,
        )?;
        text(
            &format!("{f}.device_serial_number"),
            &e.device_serial_number,
            Vr::LO,
        )?;
        text(
            &format!("{f}.date_time_of_last_calibration"),
            &e.date_time_of_last_calibration,
            Vr::DT,
        )?;
        terms(
            &format!("{f}.measurement_functions"),
            &e.measurement_functions,
        )?;
        text(
            &format!("{f}.measurement_equipment_type"),
            &e.measurement_equipment_type,
            Vr::CS,
        )?;
        terms(
            &format!("{f}.measured_characteristics"),
            &e.measured_characteristics,
        )?;
    }
    Ok(())
}

/// Checks a display, then encodes it once as a backstop for anything the checks missed.
pub(crate) fn display(d: &DisplayConfig) -> Check {
    let p = "display";
    for (i, cs) in d.specific_character_set.iter().enumerate() {
        required(&format!("{p}.specific_character_set[{i}]"), cs, Vr::CS)?;
    }
    utf8_declared(d)?;
    required(&format!("{p}.manufacturer"), &d.manufacturer, Vr::LO)?;
    required(
        &format!("{p}.manufacturer_model_name"),
        &d.manufacturer_model_name,
        Vr::LO,
    )?;
    required(
        &format!("{p}.device_serial_number"),
        &d.device_serial_number,
        Vr::LO,
    )?;
    required(
        &format!("{p}.institution_name"),
        &d.institution_name,
        Vr::LO,
    )?;
    required(
        &format!("{p}.institution_address"),
        &d.institution_address,
        Vr::ST,
    )?;
    text(&format!("{p}.station_name"), &d.station_name, Vr::SH)?;
    text(
        &format!("{p}.institutional_department_name"),
        &d.institutional_department_name,
        Vr::LO,
    )?;
    optional(
        &format!("{p}.date_of_manufacture"),
        d.date_of_manufacture.as_deref(),
        Vr::DA,
    )?;
    optional(
        &format!("{p}.date_of_installation"),
        d.date_of_installation.as_deref(),
        Vr::DA,
    )?;
    if let Some(c) = &d.institutional_department_type {
        code(&format!("{p}.institutional_department_type"), c)?;
    }
    for (i, a) in d.equipment_administrators.iter().enumerate() {
        administrator(&format!("{p}.equipment_administrators[{i}]"), a)?;
    }

    let targets = &d.target_luminance_characteristics;
    let f = format!("{p}.target_luminance_characteristics");
    items(&f, targets, true)?;
    unique(&f, targets.iter().map(|t| t.id), "the id")?;
    for (i, t) in targets.iter().enumerate() {
        target(&format!("{f}[{i}]"), t)?;
    }
    let target_ids: HashSet<u16> = targets.iter().map(|t| t.id).collect();

    let subsystems = &d.display_subsystems;
    let f = format!("{p}.display_subsystems");
    items(&f, subsystems, true)?;
    unique(&f, subsystems.iter().map(|s| s.id), "the id")?;
    for (i, s) in subsystems.iter().enumerate() {
        subsystem(&format!("{f}[{i}]"), s, &target_ids)?;
    }

    encodes(d).map_err(|e| {
        invalid(
            p,
            format!("cannot be encoded as a DICOM data set ({e:?}), although every field passed the checks"),
        )
    })
}

/// The term of UTF-8 in Specific Character Set (0008,0005).
const UTF8: &str = "ISO_IR 192";

/// The strings are written as UTF-8: text beyond ASCII needs Specific Character Set
/// `ISO_IR 192`, alone (it admits no code extensions, PS3.3 C.12.1.1.2).
fn utf8_declared(d: &DisplayConfig) -> Check {
    // Every string of the display, whatever its field, through its serde form.
    fn first_non_ascii(value: &serde_json::Value, path: &mut String) -> Option<String> {
        match value {
            serde_json::Value::String(s) if !s.is_ascii() => Some(path.clone()),
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = first_non_ascii(v, path);
                path.truncate(len);
                found
            }),
            serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
                let len = path.len();
                path.push_str(&format!(".{k}"));
                let found = first_non_ascii(v, path);
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    let charset = &d.specific_character_set;
    if charset.iter().any(|c| c == UTF8) && charset.len() > 1 {
        return Err(invalid(
            "display.specific_character_set",
            format!("\"{UTF8}\" (UTF-8) stands alone: it admits no code extensions"),
        ));
    }
    if charset.first().is_some_and(|c| c == UTF8) {
        return Ok(());
    }
    let Ok(value) = serde_json::to_value(d) else {
        return Ok(());
    };
    match first_non_ascii(&value, &mut "display".to_owned()) {
        Some(field) => Err(invalid(
            field,
            format!(
                "holds text beyond ASCII, which is written as UTF-8: set \
                 display.specific_character_set = [\"{UTF8}\"]"
            ),
        )),
        None => Ok(()),
    }
}

/// Encodes `d` in the largest form (Explicit VR, undefined-length sequences), growing the
/// buffer while it is too small.
fn encodes(d: &DisplayConfig) -> Result<(), WriteError> {
    let mut size = 16 * 1024;
    loop {
        let mut buf = vec![0u8; size];
        let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian)
            .with_sequence_length(SequenceLength::Undefined);
        match w.write(d) {
            Err(WriteError::BufferFull) if size < 1 << 30 => size *= 4,
            other => return other,
        }
    }
}

fn administrator(f: &str, a: &OwnedEquipmentAdministrator) -> Check {
    text(&format!("{f}.person_name"), &a.person_name, Vr::PN)?;
    optional(&format!("{f}.address"), a.address.as_deref(), Vr::ST)?;
    for (i, t) in a.telephone_numbers.iter().enumerate() {
        required(&format!("{f}.telephone_numbers[{i}]"), t, Vr::LO)?;
    }
    optional(
        &format!("{f}.telecom_information"),
        a.telecom_information.as_deref(),
        Vr::LT,
    )?;
    optional(
        &format!("{f}.institution_name"),
        a.institution_name.as_deref(),
        Vr::LO,
    )?;
    optional(
        &format!("{f}.institution_address"),
        a.institution_address.as_deref(),
        Vr::ST,
    )?;
    if let Some(c) = &a.institution_code {
        code(&format!("{f}.institution_code"), c)?;
    }
    if a.institution_name.is_none() && a.institution_code.is_none() {
        return Err(invalid(
            f,
            "needs institution_name or institution_code (PS3.3 Person Identification Macro)",
        ));
    }
    let codes = format!("{f}.person_identification_codes");
    items(&codes, &a.person_identification_codes, true)?;
    for (i, c) in a.person_identification_codes.iter().enumerate() {
        code(&format!("{codes}[{i}]"), c)?;
    }
    Ok(())
}

fn target(f: &str, t: &OwnedTargetLuminanceCharacteristics) -> Check {
    let min = t.target_minimum_luminance;
    let max = t.target_maximum_luminance;
    non_negative(&format!("{f}.target_minimum_luminance"), min)?;
    non_negative(&format!("{f}.target_maximum_luminance"), max)?;
    if min >= max {
        return Err(invalid(
            format!("{f}.target_maximum_luminance"),
            format!("{max} is not above target_minimum_luminance ({min})"),
        ));
    }
    let kind = t.display_function_type;
    match t.gamma_value {
        Some(g) if !(g.is_finite() && g > 0.0) => {
            return Err(invalid(
                format!("{f}.gamma_value"),
                format!("{g} is not a positive number"),
            ))
        }
        None if kind == DisplayFunctionType::Gamma => {
            return Err(invalid(
                format!("{f}.gamma_value"),
                "is required when display_function_type is \"GAMMA\"",
            ))
        }
        _ => {}
    }
    optional(
        &format!("{f}.luminance_response_description"),
        t.luminance_response_description.as_deref(),
        Vr::LO,
    )?;
    white_point(&format!("{f}.cie_xy_white_point"), t.cie_xy_white_point)?;
    let curve = format!("{f}.luminance_response");
    let user_defined = kind == DisplayFunctionType::UserDefined;
    if user_defined && t.luminance_response.is_empty() {
        return Err(invalid(
            curve,
            "is required when display_function_type is \"USER_DEFINED\": one item per point, \
             { ddl_value, luminance }",
        ));
    }
    items(&curve, &t.luminance_response, false)?;
    if user_defined && t.luminance_response_description.is_none() {
        return Err(invalid(
            format!("{f}.luminance_response_description"),
            "is required when display_function_type is \"USER_DEFINED\"",
        ));
    }
    for (i, point) in t.luminance_response.iter().enumerate() {
        non_negative(&format!("{curve}[{i}].luminance"), point.luminance)?;
    }
    if let Some(first) = t.luminance_response.first() {
        if first.ddl_value != 0 {
            return Err(invalid(
                format!("{curve}[0].ddl_value"),
                format!("is {}: a curve starts at DDL 0", first.ddl_value),
            ));
        }
    }
    ddl_increasing(&curve, t.luminance_response.iter().map(|p| p.ddl_value))
}

fn ddl_increasing(field: &str, ddls: impl Iterator<Item = u16>) -> Check {
    let mut previous: Option<u16> = None;
    for (i, ddl) in ddls.enumerate() {
        if previous.is_some_and(|p| ddl <= p) {
            return Err(invalid(
                format!("{field}[{i}].ddl_value"),
                format!(
                    "{ddl} is not above the previous point's ddl_value ({}): DDL values \
                     strictly increase",
                    previous.unwrap_or(0)
                ),
            ));
        }
        previous = Some(ddl);
    }
    Ok(())
}

fn subsystem(f: &str, s: &OwnedDisplaySubsystem, target_ids: &HashSet<u16>) -> Check {
    text(&format!("{f}.name"), &s.name, Vr::SH)?;
    text(&format!("{f}.description"), &s.description, Vr::LO)?;
    text(&format!("{f}.manufacturer"), &s.manufacturer, Vr::LO)?;
    text(
        &format!("{f}.manufacturer_model_name"),
        &s.manufacturer_model_name,
        Vr::LO,
    )?;
    text(
        &format!("{f}.device_serial_number"),
        &s.device_serial_number,
        Vr::LO,
    )?;
    optional(
        &format!("{f}.date_of_manufacture"),
        s.date_of_manufacture.as_deref(),
        Vr::DA,
    )?;
    text(
        &format!("{f}.system_status_comment"),
        &s.system_status_comment,
        Vr::LO,
    )?;
    if let Some(c) = &s.display_device_type {
        code(&format!("{f}.display_device_type"), c)?;
    }

    let configurations = format!("{f}.configurations");
    items(&configurations, &s.configurations, false)?;
    unique(
        &configurations,
        s.configurations.iter().map(|c| c.id),
        "the id",
    )?;
    for (i, c) in s.configurations.iter().enumerate() {
        let cf = format!("{configurations}[{i}]");
        text(&format!("{cf}.name"), &c.name, Vr::SH)?;
        text(&format!("{cf}.description"), &c.description, Vr::LO)?;
        if let Some(id) = c.target_luminance_characteristics_id {
            reference(
                &format!("{cf}.target_luminance_characteristics_id"),
                id,
                target_ids,
                "target_luminance_characteristics",
            )?;
        }
    }
    let configuration_ids: HashSet<u16> = s.configurations.iter().map(|c| c.id).collect();
    if let Some(id) = s.current_configuration_id {
        reference(
            &format!("{f}.current_configuration_id"),
            id,
            &configuration_ids,
            "this subsystem's configurations",
        )?;
    }
    equipment(
        &format!("{f}.measurement_equipment"),
        &s.measurement_equipment,
    )?;

    let qa = format!("{f}.qa_results");
    unique(
        &qa,
        s.qa_results.iter().map(|q| q.configuration_id),
        "the configuration_id",
    )?;
    for (i, q) in s.qa_results.iter().enumerate() {
        let qf = format!("{qa}[{i}]");
        reference(
            &format!("{qf}.configuration_id"),
            q.configuration_id,
            &configuration_ids,
            "this subsystem's configurations",
        )?;
        for (j, r) in q.results.iter().enumerate() {
            results(&format!("{qf}.results[{j}]"), r, target_ids)?;
        }
    }
    Ok(())
}

fn reference(field: &str, id: u16, ids: &HashSet<u16>, of: &str) -> Check {
    if ids.contains(&id) {
        return Ok(());
    }
    let mut known: Vec<u16> = ids.iter().copied().collect();
    known.sort_unstable();
    let known: Vec<String> = known.iter().map(u16::to_string).collect();
    Err(invalid(
        field,
        format!(
            "{id} is not the id of one of {of} (ids: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ),
    ))
}

fn context(f: &str, c: &OwnedResultContext) -> Check {
    required(&format!("{f}.start"), &c.start, Vr::DT)?;
    required(&format!("{f}.end"), &c.end, Vr::DT)?;
    for (i, p) in c.performers.iter().enumerate() {
        let pf = format!("{f}.performers[{i}]");
        optional(&format!("{pf}.name"), p.name.as_deref(), Vr::PN)?;
        text(&format!("{pf}.organization"), &p.organization, Vr::LO)?;
        if let Some(code_) = &p.code {
            code(&format!("{pf}.code"), code_)?;
        }
        if p.name.is_none() && p.code.is_none() {
            return Err(invalid(pf, "needs a name or a code"));
        }
    }
    equipment(
        &format!("{f}.measurement_equipment"),
        &c.measurement_equipment,
    )
}

fn results(f: &str, r: &OwnedConfigurationQaResults, target_ids: &HashSet<u16>) -> Check {
    for (i, c) in r.display_calibration.iter().enumerate() {
        let cf = format!("{f}.display_calibration[{i}]");
        context(&format!("{cf}.context"), &c.context)?;
        reference(
            &format!("{cf}.luminance_characteristics_id"),
            c.luminance_characteristics_id,
            target_ids,
            "target_luminance_characteristics",
        )?;
    }
    for (i, v) in r.visual_evaluation.iter().enumerate() {
        let vf = format!("{f}.visual_evaluation[{i}]");
        context(&format!("{vf}.context"), &v.context)?;
        code(&format!("{vf}.method"), &v.method)?;
        items(&format!("{vf}.tests"), &v.tests, true)?;
        for (j, t) in v.tests.iter().enumerate() {
            let tf = format!("{vf}.tests[{j}]");
            optional(&format!("{tf}.comment"), t.comment.as_deref(), Vr::LO)?;
            if let Some(c) = &t.test_pattern {
                code(&format!("{tf}.test_pattern"), c)?;
            }
            if t.test_pattern.is_none() && t.referenced_images.is_empty() {
                return Err(invalid(tf, "needs a test_pattern or referenced_images"));
            }
            for (k, image) in t.referenced_images.iter().enumerate() {
                let imf = format!("{tf}.referenced_images[{k}]");
                required(
                    &format!("{imf}.sop_class_uid"),
                    &image.sop_class_uid,
                    Vr::UI,
                )?;
                required(
                    &format!("{imf}.sop_instance_uid"),
                    &image.sop_instance_uid,
                    Vr::UI,
                )?;
            }
        }
    }
    for (i, u) in r.luminance_uniformity.iter().enumerate() {
        let uf = format!("{f}.luminance_uniformity[{i}]");
        context(&format!("{uf}.context"), &u.context)?;
        code(&format!("{uf}.measurement_pattern"), &u.measurement_pattern)?;
        let pf = format!("{uf}.points");
        items(&pf, &u.points, true)?;
        let yes = u.white_point_flag == WhitePointFlag::Yes;
        for (j, point) in u.points.iter().enumerate() {
            non_negative(&format!("{pf}[{j}].luminance"), point.luminance)?;
            let wf = format!("{pf}[{j}].cie_xy_white_point");
            white_point(&wf, point.cie_xy_white_point)?;
            if point.cie_xy_white_point.is_some() != yes {
                return Err(invalid(
                    wf,
                    format!(
                        "white_point_flag is \"{}\": every point needs a white point if it is \
                         \"YES\", none if it is \"NO\"",
                        u.white_point_flag.as_str()
                    ),
                ));
            }
        }
    }
    for (i, l) in r.luminance.iter().enumerate() {
        let lf = format!("{f}.luminance[{i}]");
        context(&format!("{lf}.context"), &l.context)?;
        let pf = format!("{lf}.points");
        items(&pf, &l.points, true)?;
        for (j, point) in l.points.iter().enumerate() {
            non_negative(&format!("{pf}[{j}].luminance"), point.luminance)?;
            white_point(
                &format!("{pf}[{j}].cie_xy_white_point"),
                point.cie_xy_white_point,
            )?;
        }
        ddl_increasing(&pf, l.points.iter().map(|p| p.ddl_value))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_date("20240311"));
        for bad in [
            "2024-03-11",
            "2024031",
            "20241311",
            "20240300",
            "2024031a",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
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
            assert!(is_date_time(good), "{good}");
        }
        for bad in [
            "",
            "202",
            "20240311 021430",
            "2024031102143",
            "20240311.5",
            "20240311021430.1234567",
            "20240311021430+01",
            "2024-03-11",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn value_representations() {
        assert!(text("f", "ISO_IR 100", Vr::CS).is_ok());
        assert!(text("f", "iso_ir 100", Vr::CS).is_err());
        assert!(text("f", &"x".repeat(16), Vr::SH).is_ok());
        let long = text("f", &"x".repeat(17), Vr::SH).unwrap_err();
        assert_eq!(
            long.message,
            "is 17 characters long; a value of SH holds at most 16"
        );
        assert!(text("f", "a\\b", Vr::LO).is_err());
        assert!(text("f", "a\\b\r\nc", Vr::ST).is_ok());
        assert!(text("f", "a\nb", Vr::LO).is_err());
        assert!(text("f", "Doe^Jane=\x1b$B...", Vr::PN).is_ok());
        assert!(text("f", "1.2.840.10008.5.1.4.1.1.7", Vr::UI).is_ok());
        assert!(text("f", "1..2", Vr::UI).is_err());
        assert_eq!(
            required("f", " ", Vr::LO).unwrap_err().message,
            "must not be empty"
        );
    }
}
