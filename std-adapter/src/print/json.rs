//! The DICOM JSON model (PS3.18 §F.2); the mapping is documented on [`to_json`](super::to_json).

use std::collections::BTreeMap;

use dimse_core::dataset::{Tag, Vr};
use serde_json::{Map, Number, Value};

use crate::dataset::{DataSetView, Element, ElementValue};

/// A DICOM JSON object. Its members are sorted by name, and eight uppercase hex digits sort as
/// the tags do: the ascending order §F.2.2 asks for, whatever order the input had. (A tag
/// given twice, which PS3.5 forbids, keeps its last value.) Within an attribute, `"vr"` comes
/// first, as in the PS3.18 examples.
pub(super) fn render(view: &DataSetView<'_>) -> Map<String, Value> {
    let mut object = BTreeMap::new();
    for e in view {
        // §F.2.2: "Group Length (gggg,0000) attributes shall not be included".
        if e.tag().element() == 0 {
            continue;
        }
        object.insert(key(e.tag()), Value::Object(element(e)));
    }
    object.into_iter().collect()
}

/// A tag as eight uppercase hex digits (§F.2.2 member names, §F.2.3 AT values).
fn key(tag: Tag) -> String {
    format!("{:08X}", tag.0)
}

fn element(e: &Element<'_>) -> Map<String, Value> {
    let mut attribute = Map::new();
    let values: Vec<Value> = match e.value() {
        ElementValue::Items(items) => {
            // An undefined-length UN read as a sequence is given as what it is, an SQ.
            attribute.insert("vr".into(), Vr::SQ.as_str().into());
            items
                .iter()
                .map(|item| Value::Object(render(item)))
                .collect()
        }
        ElementValue::Bytes(bytes) => {
            attribute.insert("vr".into(), e.vr().as_str().into());
            if !bytes.is_empty() {
                attribute.insert("InlineBinary".into(), base64(bytes).into());
            }
            return attribute;
        }
        value => {
            attribute.insert("vr".into(), e.vr().as_str().into());
            scalars(e.vr(), value)
        }
    };
    if !values.is_empty() {
        attribute.insert("Value".into(), Value::Array(values));
    }
    attribute
}

/// One non-empty value of a string VR.
fn string(vr: Vr, s: String) -> Value {
    match vr {
        Vr::PN => person_name(&s),
        Vr::IS => integer(&s).unwrap_or(Value::String(s)),
        Vr::DS => integer(&s)
            .or_else(|| decimal(&s))
            .unwrap_or(Value::String(s)),
        _ => Value::String(s),
    }
}

/// A PN value as its component groups (§F.2.2).
fn person_name(s: &str) -> Value {
    let mut name = Map::new();
    for (group, text) in ["Alphabetic", "Ideographic", "Phonetic"]
        .into_iter()
        .zip(s.split('='))
    {
        if !text.is_empty() {
            name.insert(group.into(), text.into());
        }
    }
    Value::Object(name)
}

/// An integer string (IS, or a DS without fraction or exponent) as a JSON integer.
fn integer(s: &str) -> Option<Value> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(i.into());
    }
    s.parse::<u64>().ok().map(Value::from)
}

/// A decimal string as a JSON number, if it is a finite one.
fn decimal(s: &str) -> Option<Value> {
    // Rust also parses "inf" and "NaN", which DS does not allow and JSON cannot hold.
    let x = s.parse::<f64>().ok()?;
    Number::from_f64(x).map(Value::Number)
}

/// A binary float as a JSON number; NaN and the infinities, which JSON lacks, as null.
fn float(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The values of a string or number element; an empty string among several is null.
fn scalars(vr: Vr, value: ElementValue<'_>) -> Vec<Value> {
    match value {
        ElementValue::Strings(v) => v
            .into_iter()
            .map(|s| {
                if s.is_empty() {
                    Value::Null
                } else {
                    string(vr, s)
                }
            })
            .collect(),
        ElementValue::U16(v) => v.into_iter().map(Value::from).collect(),
        ElementValue::I16(v) => v.into_iter().map(Value::from).collect(),
        ElementValue::U32(v) => v.into_iter().map(Value::from).collect(),
        ElementValue::I32(v) => v.into_iter().map(Value::from).collect(),
        ElementValue::U64(v) => v.into_iter().map(Value::from).collect(),
        ElementValue::I64(v) => v.into_iter().map(Value::from).collect(),
        // Through the shortest decimal that reads back as the same f32, so that an FL 0.3127
        // is 0.3127 and not 0.31270000338554382.
        ElementValue::F32(v) => v
            .into_iter()
            .map(|x| float(x.to_string().parse::<f64>().unwrap_or(f64::from(x))))
            .collect(),
        ElementValue::F64(v) => v.into_iter().map(float).collect(),
        ElementValue::Tags(v) => v.into_iter().map(|t| Value::String(key(t))).collect(),
        // Sequences and bytes are handled by the caller.
        _ => Vec::new(),
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4), as §F.2.7 asks for
/// InlineBinary.
pub(super) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let digit = |n: u32| char::from(BASE64[(n & 0x3F) as usize]);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| chunk.get(i).copied().map_or(0, u32::from);
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(digit(n >> 18));
        out.push(digit(n >> 12));
        out.push(if chunk.len() > 1 { digit(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { digit(n) } else { '=' });
    }
    out
}
