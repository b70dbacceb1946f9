//! Data sets as `const` data: a slice of [`Attribute`]s is a [`DataSetSource`].

use super::writer::{DataSetSource, WriteError, Writer};
use super::{Tag, Vr};

/// One attribute of a data set described as data, so that a whole data set (sequences
/// included) can live in a `static` or `const` and be written with no code per element.
///
/// ```
/// use dimse_core::dataset::{Attribute, Encoding, Tag, Value, Vr, Writer};
///
/// static SUBSYSTEM: &[Attribute] = &[
///     Attribute::new(Tag::new(0x0028, 0x7003), Value::Us(&[1])),
///     Attribute::new(Tag::new(0x0028, 0x7006), Value::Str(Vr::CS, "OK")),
/// ];
/// static DISPLAY: &[Attribute] = &[
///     Attribute::new(Tag::new(0x0008, 0x0070), Value::Str(Vr::LO, "ACME")),
///     Attribute::new(Tag::new(0x0028, 0x7023), Value::Sequence(&[SUBSYSTEM])),
/// ];
///
/// let mut buf = [0u8; 128];
/// let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
/// w.write(DISPLAY)?;
/// assert_eq!(w.written(), 52);
/// # Ok::<(), dimse_core::dataset::WriteError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attribute<'a> {
    /// The attribute's tag; attributes of a slice must be in ascending tag order.
    pub tag: Tag,
    /// Its value, with its VR.
    pub value: Value<'a>,
}

impl<'a> Attribute<'a> {
    /// An attribute (usable in `const` and `static` items).
    pub const fn new(tag: Tag, value: Value<'a>) -> Self {
        Attribute { tag, value }
    }
}

/// The value of an [`Attribute`], named by VR. Numeric variants take slices so that one
/// variant covers VM 1 and VM n.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A string with a string VR (see [`Writer::string`]).
    Str(Vr, &'a str),
    /// Several strings with a multi-valued string VR (see [`Writer::strings`]).
    Strs(Vr, &'a [&'a str]),
    /// US values.
    Us(&'a [u16]),
    /// UL values.
    Ul(&'a [u32]),
    /// SS values.
    Ss(&'a [i16]),
    /// SL values.
    Sl(&'a [i32]),
    /// FL values.
    Fl(&'a [f32]),
    /// FD values.
    Fd(&'a [f64]),
    /// AT values.
    At(&'a [Tag]),
    /// A value in little-endian wire form (see [`Writer::bytes`]).
    Bytes(Vr, &'a [u8]),
    /// A sequence: each item is a slice of attributes.
    Sequence(&'a [&'a [Attribute<'a>]]),
}

impl DataSetSource for [Attribute<'_>] {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        for a in self {
            a.write_to(w)?;
        }
        Ok(())
    }
}

/// A borrowed slice is a source too, so that `&SLICE` coerces to `&dyn DataSetSource`.
impl DataSetSource for &[Attribute<'_>] {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        (**self).write_to(w)
    }
}

impl<const N: usize> DataSetSource for [Attribute<'_>; N] {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        self.as_slice().write_to(w)
    }
}

impl DataSetSource for Attribute<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        let tag = self.tag;
        match self.value {
            Value::Str(vr, s) => w.string(tag, vr, s),
            Value::Strs(vr, s) => w.strings(tag, vr, s),
            Value::Us(v) => w.u16s(tag, v),
            Value::Ul(v) => w.u32s(tag, v),
            Value::Ss(v) => w.i16s(tag, v),
            Value::Sl(v) => w.i32s(tag, v),
            Value::Fl(v) => w.f32s(tag, v),
            Value::Fd(v) => w.f64s(tag, v),
            Value::At(v) => w.tags(tag, v),
            Value::Bytes(vr, v) => w.bytes(tag, vr, v),
            Value::Sequence(items) => w.sequence(tag, |seq| {
                for item in items {
                    seq.item(|w| item.write_to(w))?;
                }
                Ok(())
            }),
        }
    }
}
