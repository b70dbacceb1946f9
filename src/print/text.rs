//! The indented text rendering.

use std::fmt::Write as _;

use dimse_core::dataset::{value, Tag, Vr};

use super::tree::{self, Charset, Node};

/// The widest value [`to_text`](super::to_text) prints, in characters; a longer one is cut to
/// this width, its last character replaced by `…`. [`to_json`](super::to_json) always gives
/// the whole value.
pub const TEXT_VALUE_WIDTH: usize = 80;

/// How many bytes of a binary value are shown in hex.
const HEX_BYTES: usize = 16;

pub(super) fn render(nodes: &[Node<'_>]) -> String {
    let mut out = String::new();
    dataset(&mut out, nodes, 0, Charset::of(nodes, Charset::default()));
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn header(out: &mut String, level: usize, tag: Tag, vr: Vr) {
    indent(out, level);
    // Writing to a String cannot fail.
    let _ = write!(out, "{tag} {vr} {}  ", tree::keyword(tag));
}

fn dataset(out: &mut String, nodes: &[Node<'_>], level: usize, charset: Charset) {
    for node in nodes {
        match node {
            Node::Element { tag, vr, value } => {
                header(out, level, *tag, *vr);
                out.push_str(&element(*vr, value, charset));
                out.push('\n');
            }
            Node::Sequence { tag, vr, items } => {
                header(out, level, *tag, *vr);
                let n = items.len();
                let _ = writeln!(out, "<{n} item{}>", if n == 1 { "" } else { "s" });
                for (i, item) in items.iter().enumerate() {
                    indent(out, level + 1);
                    let _ = writeln!(out, "Item {}", i + 1);
                    dataset(out, item, level + 2, Charset::of(item, charset));
                }
            }
        }
    }
}

/// The rendering of one non-sequence value, cut to [`TEXT_VALUE_WIDTH`].
fn element(vr: Vr, value: &[u8], charset: Charset) -> String {
    if value.is_empty() {
        return "<empty>".to_owned();
    }
    if tree::is_binary(vr) {
        return binary(value);
    }
    let full = if vr.is_string() {
        let values = tree::components(vr, value, charset);
        if values.is_empty() {
            return "<empty>".to_owned();
        }
        let values: Vec<String> = values.into_iter().map(Option::unwrap_or_default).collect();
        escape(&values.join("\\"))
    } else {
        numbers(vr, value)
    };
    truncate(full)
}

/// `\`-joined numbers (or tags) of a binary numeric VR.
fn numbers(vr: Vr, v: &[u8]) -> String {
    fn join<T: ToString>(values: impl Iterator<Item = T>) -> String {
        values.map(|x| x.to_string()).collect::<Vec<_>>().join("\\")
    }
    match vr {
        Vr::US => join(value::u16s(v)),
        Vr::SS => join(value::i16s(v)),
        Vr::UL => join(value::u32s(v)),
        Vr::SL => join(value::i32s(v)),
        Vr::UV => join(tree::u64s(v)),
        Vr::SV => join(tree::i64s(v)),
        Vr::FL => join(value::f32s(v)),
        Vr::FD => join(value::f64s(v)),
        Vr::AT => join(value::tags(v)),
        // Every other VR is a string or binary, handled by the caller.
        _ => binary(v),
    }
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
