//! What the core's tests share beyond the testkit's pair (`dimse_testkit::pair`, re-exported
//! here): data sets of chosen sizes, and the vectors.
#![allow(dead_code)]

pub mod vectors;

pub use dimse_testkit::pair::*;

/// Both transfer syntaxes, Explicit VR Little Endian first.
pub static BOTH_TS: [&str; 2] = [EXPLICIT, IMPLICIT];

/// A private OB element the tests fill with data sets of chosen sizes.
pub const BLOB: dimse_core::dataset::Tag = dimse_core::dataset::Tag::new(0x0009, 0x1010);

/// `n` bytes of a recognisable pattern (`seed` tells messages apart).
pub fn blob(n: usize, seed: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + seed * 7) as u8).collect()
}

/// A data set of one OB element holding `value`.
pub fn ob_attribute(value: &[u8]) -> dimse_core::dataset::Attribute<'_> {
    use dimse_core::dataset::{Attribute, Value, Vr};
    Attribute::new(BLOB, Value::Bytes(Vr::OB, value))
}

/// The bytes of that element in Explicit VR Little Endian, written out by hand (PS3.5
/// §7.1.2: tag, "OB", 2 reserved bytes, 32-bit length, value padded to even length with 00H).
pub fn ob_explicit(value: &[u8]) -> Vec<u8> {
    let padded = value.len() + value.len() % 2;
    let mut out = Vec::with_capacity(12 + padded);
    out.extend_from_slice(&BLOB.group().to_le_bytes());
    out.extend_from_slice(&BLOB.element().to_le_bytes());
    out.extend_from_slice(b"OB\0\0");
    out.extend_from_slice(&(padded as u32).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(12 + padded, 0);
    out
}
