//! The indented text rendering.

use std::fmt::Write as _;

use crate::dataset::{DataSetView, Element, ElementValue};

/// The widest value [`to_text`](super::to_text) prints, in characters; a longer one is cut to
/// this width, its last character replaced by `…`. [`to_json`](super::to_json) always gives
/// the whole value.
pub const TEXT_VALUE_WIDTH: usize = 80;

/// How many bytes of a binary value are shown in hex.
const HEX_BYTES: usize = 16;

pub(super) fn render(view: &DataSetView<'_>) -> String {
    let mut out = String::new();
    dataset(&mut out, view, 0);
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn header(out: &mut String, level: usize, e: &Element<'_>) {
    indent(out, level);
    // Writing to a String cannot fail.
    let _ = write!(out, "{} {} {}  ", e.tag(), e.vr(), e.keyword());
}

fn dataset(out: &mut String, view: &DataSetView<'_>, level: usize) {
    for e in view {
        header(out, level, e);
        if let Some(items) = e.items() {
            let n = items.len();
            let _ = writeln!(out, "<{n} item{}>", if n == 1 { "" } else { "s" });
            for (i, item) in items.iter().enumerate() {
                indent(out, level + 1);
                let _ = writeln!(out, "Item {}", i + 1);
                dataset(out, item, level + 2);
            }
        } else {
            out.push_str(&element(e));
            out.push('\n');
        }
    }
}

/// The rendering of one non-sequence value, cut to [`TEXT_VALUE_WIDTH`].
fn element(e: &Element<'_>) -> String {
    if e.raw().is_none_or(<[u8]>::is_empty) {
        return "<empty>".to_owned();
    }
    fn join<T: ToString>(values: &[T]) -> String {
        values
            .iter()
            .map(T::to_string)
            .collect::<Vec<_>>()
            .join("\\")
    }
    let full = match e.value() {
        ElementValue::Strings(values) if values.is_empty() => return "<empty>".to_owned(),
        ElementValue::Strings(values) => escape(&values.join("\\")),
        ElementValue::U16(v) => join(&v),
        ElementValue::U32(v) => join(&v),
        ElementValue::U64(v) => join(&v),
        ElementValue::I16(v) => join(&v),
        ElementValue::I32(v) => join(&v),
        ElementValue::I64(v) => join(&v),
        ElementValue::F32(v) => join(&v),
        ElementValue::F64(v) => join(&v),
        ElementValue::Tags(v) => join(&v),
        ElementValue::Bytes(v) => return binary(v),
        // A sequence is rendered by the caller; were one here, its count is what says most.
        ElementValue::Items(items) => format!("<{} items>", items.len()),
    };
    truncate(full)
}

/// `<N bytes>` and the first bytes in hex.
fn binary(value: &[u8]) -> String {
    let n = value.len();
    let mut s = format!("<{n} byte{}>", if n == 1 { "" } else { "s" });
    for b in value.iter().take(HEX_BYTES) {
        let _ = write!(s, " {b:02x}");
    }
    if n > HEX_BYTES {
        s.push_str(" …");
    }
    s
}

/// Control characters (a newline in an LT) as escapes, so that an element stays one line.
fn escape(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().collect()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn truncate(s: String) -> String {
    if s.chars().count() <= TEXT_VALUE_WIDTH {
        return s;
    }
    let mut cut: String = s.chars().take(TEXT_VALUE_WIDTH - 1).collect();
    cut.push('…');
    cut
}
