//! Decoding helpers for the raw values a [`Reader`](super::Reader) yields.
//!
//! They never fail on odd sizes: a trailing partial number is ignored, as a value with a
//! bad length has already been accepted by the reader and the caller decides what to trust.

use super::Tag;

/// `value` without its trailing padding (spaces and NULs, PS3.5 §6.2).
pub fn trim(value: &[u8]) -> &[u8] {
    let keep = value
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    value.get(..keep).unwrap_or(value)
}

/// A string value without its padding, if it is UTF-8 (the default repertoire, ASCII, is).
/// For a multi-valued string this is all values, backslashes included; see [`strings`].
pub fn string(value: &[u8]) -> Option<&str> {
    core::str::from_utf8(trim(value)).ok()
}

/// The values of a multi-valued string, each without trailing padding. An empty value has
/// no values.
pub fn strings(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let value = trim(value);
    value
        .split(|&b| b == b'\\')
        .filter(move |_| !value.is_empty())
        .map(trim)
}

macro_rules! numbers {
    ($(#[$doc:meta] $name:ident -> $t:ty, $n:literal, $from:path;)*) => {$(
        #[$doc]
        pub fn $name(value: &[u8]) -> impl Iterator<Item = $t> + '_ {
            value
                .chunks_exact($n)
                .filter_map(|c| <[u8; $n]>::try_from(c).ok())
                .map($from)
        }
    )*};
}

numbers! {
    /// US values.
    u16s -> u16, 2, u16::from_le_bytes;
    /// UL values.
    u32s -> u32, 4, u32::from_le_bytes;
    /// SS values.
    i16s -> i16, 2, i16::from_le_bytes;
    /// SL values.
    i32s -> i32, 4, i32::from_le_bytes;
    /// FL values.
    f32s -> f32, 4, f32::from_le_bytes;
    /// FD values.
    f64s -> f64, 8, f64::from_le_bytes;
    /// AT values (each group u16 LE, element u16 LE).
    tags -> Tag, 4, Tag::from_le_bytes;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_padding() {
        assert_eq!(trim(b"OK"), b"OK");
        assert_eq!(trim(b"ACME "), b"ACME");
        assert_eq!(trim(b"1.2.3\0"), b"1.2.3");
        assert_eq!(trim(b"  "), b"");
        assert_eq!(trim(b""), b"");
        assert_eq!(trim(b" A B "), b" A B");
        assert_eq!(string(b"ACME "), Some("ACME"));
        assert_eq!(string(&[0xFF, 0xFE]), None);
    }

    #[test]
    fn splits_values() {
        assert!(strings(b"PHOTOMETER\\COLORIMETER ").eq([&b"PHOTOMETER"[..], b"COLORIMETER"]));
        assert!(strings(b"A \\\\B").eq([&b"A"[..], b"", b"B"]));
        assert_eq!(strings(b"").count(), 0);
        assert_eq!(strings(b" ").count(), 0);
        assert!(strings(b"\\").eq([&b""[..], b""]));
    }

    #[test]
    fn numbers() {
        assert!(u16s(&[1, 0, 2, 0, 3]).eq([1, 2]));
        assert!(u32s(&[1, 0, 0, 0]).eq([1]));
        assert!(i16s(&[0xFF, 0xFF]).eq([-1]));
        assert!(i32s(&[0xFE, 0xFF, 0xFF, 0xFF]).eq([-2]));
        assert!(f32s(&0.75f32.to_le_bytes()).eq([0.75]));
        assert!(f64s(&520.0f64.to_le_bytes()).eq([520.0]));
        assert!(tags(&[0x08, 0x00, 0x70, 0x00]).eq([Tag::new(0x0008, 0x0070)]));
        assert_eq!(u16s(&[]).count(), 0);
    }
}
