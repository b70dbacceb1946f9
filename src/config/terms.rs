//! Serde for the core's value-set enums: each is written as its DICOM term (`"GSDF"`,
//! `"WARNING"`) and read back with its `from_term`, so a term the standard does not define
//! fails while the file is parsed, with a message naming the allowed ones.
//!
//! The three modules are for `#[serde(with = "...")]` on a field of one enum, a list of them,
//! and an optional one.

use dimse_core::service::display::{
    AmbientLightValueSource, DisplayFunctionType, MeasuredCharacteristic, MeasurementFunction,
    SystemStatus, TestImageValidation, TestResult, WhitePointFlag,
};
use serde::{Deserialize, Deserializer, Serializer};

/// A value set of the Display System IOD, as the core defines it.
pub(crate) trait Term: Copy + 'static {
    /// The attribute, as a message names it.
    const ATTRIBUTE: &'static str;
    /// Every term, in the standard's order.
    fn all() -> &'static [Self];
    /// The term as written on the wire.
    fn as_str(self) -> &'static str;
    /// The value for `term`, if the standard defines it.
    fn from_term(term: &str) -> Option<Self>;
}

macro_rules! term {
    ($($ty:ident: $attribute:literal,)*) => {
        $(
            impl Term for $ty {
                const ATTRIBUTE: &'static str = $attribute;
                fn all() -> &'static [Self] {
                    $ty::ALL
                }
                fn as_str(self) -> &'static str {
                    $ty::as_str(self)
                }
                fn from_term(term: &str) -> Option<Self> {
                    $ty::from_term(term)
                }
            }
        )*
    };
}

term! {
    SystemStatus: "System Status (0028,7006)",
    DisplayFunctionType: "Display Function Type (0028,7019)",
    MeasurementFunction: "Measurement Functions (0028,7013)",
    MeasuredCharacteristic: "Measured Characteristics (0028,7026)",
    AmbientLightValueSource: "Ambient Light Value Source (0028,7025)",
    WhitePointFlag: "White Point Flag (0028,7021)",
    TestResult: "Test Result (0028,7029)",
    TestImageValidation: "Test Image Validation (0028,702B)",
}

/// The allowed terms of `T`, quoted and separated by commas.
pub(crate) fn allowed<T: Term>() -> String {
    T::all()
        .iter()
        .map(|t| format!("\"{}\"", t.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse<T: Term, E: serde::de::Error>(term: &str) -> Result<T, E> {
    T::from_term(term).ok_or_else(|| {
        E::custom(format!(
            "\"{term}\" is not a term of {}: expected one of {}",
            T::ATTRIBUTE,
            allowed::<T>()
        ))
    })
}

/// One term.
pub(crate) mod one {
    use super::*;

    pub(crate) fn serialize<T: Term, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.as_str())
    }

    pub(crate) fn deserialize<'de, T: Term, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        parse(&String::deserialize(d)?)
    }
}

/// A list of terms (a multi-valued CS). Duplicates are refused when the configuration is
/// validated, not here.
pub(crate) mod list {
    use super::*;

    pub(crate) fn serialize<T: Term, S: Serializer>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(values.iter().map(|v| v.as_str()))
    }

    pub(crate) fn deserialize<'de, T: Term, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|term| parse(term))
            .collect()
    }
}

/// An optional term; with `#[serde(default)]` an absent key is `None`.
pub(crate) mod optional {
    use super::*;

    pub(crate) fn serialize<T: Term, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => s.serialize_some(value.as_str()),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T: Term, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|term| parse(&term))
            .transpose()
    }
}
