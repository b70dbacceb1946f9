//! Validation of a [`DisplaySystem`] against the rules of the Display System IOD that the
//! writer does not check: value representations (lengths, characters, date formats, UIDs;
//! PS3.5 Table 6.2-1), required values, unique IDs, references that resolve, and the
//! conditions between attributes (PS3.3 C.32, PS3.4 Annex EE).
//!
//! The [`Writer`](crate::dataset::Writer) checks only what it must to encode, so a model that
//! breaks these rules still goes out and a QA server gets a data set it may reject or
//! misread. [`validate()`] finds the first such mistake, once, where the model is built (at
//! start-up, or when a configuration is loaded), and names the field: no allocation, no
//! panic, lists scanned in place (they hold a handful of items).

use core::fmt;

use super::{
    Code, ConfigurationQaResults, DisplayFunctionType, DisplaySubsystem,
    DisplaySubsystemConfiguration, DisplaySystem, EquipmentAdministrator, MeasurementEquipment,
    ResultContext, TargetLuminanceCharacteristics, WhitePointFlag,
};
use crate::dataset::Vr;
use crate::pdu::Uid;

/// Checks `display` and returns the first field that breaks a rule, in the order the fields
/// are declared (the top-level strings, the target curves, then each subsystem).
///
/// ```
/// use dimse_core::service::display::{validate, DisplaySystem, Problem, DEMO};
///
/// assert!(validate(&DEMO).is_ok());
/// let broken = DisplaySystem { date_of_installation: Some("2023-11-02"), ..DEMO };
/// let Err(e) = validate(&broken) else { unreachable!("the date has dashes") };
/// assert_eq!(e.problem, Problem::NotDate("2023-11-02"));
/// assert_eq!(
///     e.to_string(),
///     "date_of_installation: \"2023-11-02\" is not a DICOM date (DA): expected YYYYMMDD, such as 20240311"
/// );
/// ```
#[allow(clippy::result_large_err)] // one error, returned once: nothing to gain from a box
pub fn validate<'a>(display: &DisplaySystem<'a>) -> Result<(), Invalid<'a>> {
    let mut walk = Walk {
        error: None,
        // A `&str` is UTF-8, so anything beyond ASCII goes out as UTF-8 and must be declared
        // as such; ISO 2022 text stays ASCII (its escape sequences are control characters).
        utf8: display.specific_character_set.first() == Some(&UTF8),
    };
    match (walk.display(display), walk.error) {
        (Err(Stop), Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// A field of a [`DisplaySystem`] that breaks a rule: where it is and what is wrong. Shown as
/// `display_subsystems[1].name: is 21 characters long; a value of SH holds at most 16`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Invalid<'a> {
    /// The field, from the [`DisplaySystem`] down.
    pub path: Path,
    /// What is wrong with it.
    pub problem: Problem<'a>,
}

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

impl core::error::Error for Invalid<'_> {}

#[cfg(feature = "defmt")]
impl defmt::Format for Invalid<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}: {}", self.path, self.problem);
    }
}

/// The most segments a [`Path`] holds: the deepest field of the model, the code value of a
/// performer of a QA result (`display_subsystems[0].qa_results[0].results[0]
/// .visual_evaluation[0].context.performers[0].code.value`), has eight.
pub const MAX_DEPTH: usize = 8;

/// The path of a field from the [`DisplaySystem`] down, named as the model's fields are:
/// `display_subsystems[1].configurations[0].name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    segments: [Segment; MAX_DEPTH],
    len: usize,
}

impl Path {
    /// The segments, outermost first.
    pub fn segments(&self) -> &[Segment] {
        self.segments.get(..self.len).unwrap_or(&[])
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(s.name)?;
            if let Some(index) = s.index {
                write!(f, "[{index}]")?;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Path {
    fn format(&self, f: defmt::Formatter<'_>) {
        for (i, s) in self.segments().iter().enumerate() {
            if i > 0 {
                defmt::write!(f, ".");
            }
            defmt::write!(f, "{=str}", s.name);
            if let Some(index) = s.index {
                defmt::write!(f, "[{=usize}]", index);
            }
        }
    }
}

/// One step of a [`Path`]: a field, and the item's index when the field is a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The field's name in the model (`display_subsystems`).
    pub name: &'static str,
    /// The item of the list, if the path goes into one.
    pub index: Option<usize>,
}

/// What is wrong with a field. Its `Display` is the message, worded for the field it follows
/// in [`Invalid`]'s `Display`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Problem<'a> {
    /// A value the SCP must return with a value (usage 1) is empty or only spaces.
    Empty,
    /// Longer than its VR allows (PS3.5 Table 6.2-1), counted in characters; for PN, per
    /// component group.
    TooLong {
        /// The value representation.
        vr: Vr,
        /// How many characters the value (or its longest PN component group) has.
        chars: usize,
    },
    /// A backslash in a value whose VR has no room for it: it separates values (PS3.5 §6.4).
    Backslash {
        /// The value representation.
        vr: Vr,
    },
    /// A control character other than ESC (and, in ST and LT, CR, LF, TAB and FF).
    ControlCharacter(char),
    /// Text beyond ASCII without Specific Character Set (0008,0005) `ISO_IR 192`: a `&str`
    /// is written as its UTF-8 bytes.
    NotAscii,
    /// `ISO_IR 192` (UTF-8) with other terms in Specific Character Set: it admits no code
    /// extensions (PS3.3 C.12.1.1.2).
    Utf8NotAlone,
    /// A CS value with characters other than upper-case letters, digits, space and
    /// underscore.
    NotCodeString(&'a str),
    /// Not a DA value, `YYYYMMDD`.
    NotDate(&'a str),
    /// Not a DT value, `YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]`.
    NotDateTime(&'a str),
    /// Not a UID: digits and dots, at most 64 characters, no empty component (PS3.5 §9.1).
    NotUid(&'a str),
    /// A luminance that is negative, infinite or NaN.
    NotNonNegative(f32),
    /// A CIExy white point coordinate outside 0 to 1, or NaN.
    NotChromaticity {
        /// `'x'` or `'y'`.
        coordinate: char,
        /// The value.
        value: f32,
    },
    /// A Gamma Value (0028,701A) that is not a positive number.
    NotPositive(f32),
    /// Target Maximum Luminance (0028,701E) not above Target Minimum Luminance (0028,701D).
    MaximumNotAboveMinimum {
        /// Target Minimum Luminance.
        minimum: f32,
        /// Target Maximum Luminance.
        maximum: f32,
    },
    /// A list that needs at least one item (a type 1 sequence) has none.
    NoItems,
    /// A list longer than a US value can count (Number of Display Subsystems, Number of
    /// Luminance Points).
    TooManyItems(usize),
    /// An ID that must be unique in its list appears twice.
    DuplicateId {
        /// The ID's field (`id`, `configuration_id`).
        name: &'static str,
        /// The ID.
        id: u16,
    },
    /// A defined term listed twice in a multi-valued CS (Measurement Functions, Measured
    /// Characteristics).
    DuplicateTerm(&'static str),
    /// A reference to an ID that no item of the list it refers to has.
    UnknownId {
        /// The ID referred to.
        id: u16,
        /// The list it should be in.
        known: KnownIds<'a>,
    },
    /// Gamma Value (0028,701A) is missing although the Display Function Type is GAMMA, or
    /// Luminance Response Description (0028,7020) although it is USER_DEFINED (PS3.3
    /// C.32.2, type 1C).
    RequiredFor(DisplayFunctionType),
    /// A USER_DEFINED target has no curve: its Luminance Response Sequence (0028,701C) is
    /// type 1C on that type (PS3.3 C.32.2).
    NoCurve,
    /// A target curve whose first DDL Value is not 0.
    CurveStart(u16),
    /// A DDL Value (0028,7017) not above the previous point's.
    DdlNotIncreasing {
        /// This point's DDL.
        ddl: u16,
        /// The previous point's DDL.
        previous: u16,
    },
    /// An equipment administrator with neither Institution Name nor Institution Code
    /// Sequence (PS3.3 Table 10-1, Person Identification Macro, both type 1C).
    NoInstitution,
    /// A human performer with neither a name nor a code (both type 1C).
    NoPerformerIdentity,
    /// A visual evaluation test with neither a Test Pattern Code Sequence nor a Referenced
    /// Image Sequence (the latter is type 1C on the former's absence).
    NoTestPatternOrImage,
    /// A uniformity point whose white point disagrees with White Point Flag (0028,7021):
    /// every point has one if it is YES, none if it is NO.
    WhitePointFlagMismatch(WhitePointFlag),
}

/// The term of UTF-8 in Specific Character Set (0008,0005).
const UTF8: &str = "ISO_IR 192";

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::Empty => f.write_str("must not be empty"),
            Problem::TooLong { vr, chars } => {
                let what = if vr == Vr::PN {
                    "a component group of"
                } else {
                    "a value of"
                };
                let max = max_chars(vr).unwrap_or(0);
                write!(
                    f,
                    "is {chars} characters long; {what} {vr} holds at most {max}"
                )
            }
            Problem::Backslash { vr } => write!(
                f,
                "contains a backslash, which separates values in DICOM ({vr})"
            ),
            Problem::ControlCharacter(c) => write!(f, "contains the control character {c:?}"),
            Problem::NotAscii => write!(
                f,
                "holds text beyond ASCII, which is written as UTF-8: set \
                 specific_character_set to [\"{UTF8}\"]"
            ),
            Problem::Utf8NotAlone => write!(
                f,
                "\"{UTF8}\" (UTF-8) stands alone: it admits no code extensions"
            ),
            Problem::NotCodeString(v) => write!(
                f,
                "\"{v}\" is not a code string (CS): upper-case letters, digits, space and \
                 underscore only"
            ),
            Problem::NotDate(v) => write!(
                f,
                "\"{v}\" is not a DICOM date (DA): expected YYYYMMDD, such as 20240311"
            ),
            Problem::NotDateTime(v) => write!(
                f,
                "\"{v}\" is not a DICOM date-time (DT): expected YYYYMMDDHHMMSS or a prefix of \
                 it (YYYY at least), optionally with .FFFFFF and an offset +HHMM, such as \
                 20240311021430"
            ),
            Problem::NotUid(v) => write!(
                f,
                "\"{v}\" is not a UID: digits and dots, at most 64 characters, no empty \
                 component"
            ),
            Problem::NotNonNegative(v) => {
                write!(f, "{v} is not a finite, non-negative number")
            }
            Problem::NotChromaticity { coordinate, value } => write!(
                f,
                "{coordinate} = {value} is not a chromaticity coordinate between 0 and 1"
            ),
            Problem::NotPositive(v) => write!(f, "{v} is not a positive number"),
            Problem::MaximumNotAboveMinimum { minimum, maximum } => write!(
                f,
                "{maximum} is not above target_minimum_luminance ({minimum})"
            ),
            Problem::NoItems => f.write_str("needs at least one item"),
            Problem::TooManyItems(n) => {
                write!(f, "has {n} items; at most 65535 can be counted")
            }
            Problem::DuplicateId { name, id } => write!(f, "the {name} {id} appears twice"),
            Problem::DuplicateTerm(term) => write!(f, "the term {term} appears twice"),
            Problem::UnknownId { id, known } => write!(
                f,
                "{id} is not the id of one of {} (ids: {known})",
                known.list_name()
            ),
            Problem::RequiredFor(kind) => write!(
                f,
                "is required when display_function_type is \"{}\"",
                kind.as_str()
            ),
            Problem::NoCurve => f.write_str(
                "is required when display_function_type is \"USER_DEFINED\": one item per \
                 point, { ddl_value, luminance }",
            ),
            Problem::CurveStart(ddl) => write!(f, "is {ddl}: a curve starts at DDL 0"),
            Problem::DdlNotIncreasing { ddl, previous } => write!(
                f,
                "{ddl} is not above the previous point's ddl_value ({previous}): DDL values \
                 strictly increase"
            ),
            Problem::NoInstitution => f.write_str(
                "needs institution_name or institution_code (PS3.3 Person Identification \
                 Macro)",
            ),
            Problem::NoPerformerIdentity => f.write_str("needs a name or a code"),
            Problem::NoTestPatternOrImage => {
                f.write_str("needs a test_pattern or referenced_images")
            }
            Problem::WhitePointFlagMismatch(flag) => write!(
                f,
                "white_point_flag is \"{}\": every point needs a white point if it is \
                 \"YES\", none if it is \"NO\"",
                flag.as_str()
            ),
        }
    }
}

/// The list an [`Problem::UnknownId`] reference should resolve in. Its `Display` is the IDs
/// it has, in ascending order (`1, 2`, or `none`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KnownIds<'a> {
    /// The display's target curves
    /// ([`DisplaySystem::target_luminance_characteristics`]).
    Targets(&'a [TargetLuminanceCharacteristics<'a>]),
    /// The configurations of the subsystem the reference is in
    /// ([`DisplaySubsystem::configurations`]).
    Configurations(&'a [DisplaySubsystemConfiguration<'a>]),
}

impl KnownIds<'_> {
    /// Whether an item of the list has `id`.
    pub fn contains(&self, id: u16) -> bool {
        self.ids().any(|known| known == id)
    }

    /// The IDs, in the list's order.
    pub fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        let (targets, configurations) = match *self {
            KnownIds::Targets(t) => (t, &[][..]),
            KnownIds::Configurations(c) => (&[][..], c),
        };
        targets
            .iter()
            .map(|t| t.id)
            .chain(configurations.iter().map(|c| c.id))
    }

    fn list_name(&self) -> &'static str {
        match self {
            KnownIds::Targets(_) => "target_luminance_characteristics",
            KnownIds::Configurations(_) => "this subsystem's configurations",
        }
    }

    /// The smallest ID above `after` (or the smallest of all): the IDs in ascending order
    /// without sorting into storage.
    fn next_above(&self, after: Option<u16>) -> Option<u16> {
        self.ids().filter(|&id| after.is_none_or(|a| id > a)).min()
    }
}

impl fmt::Display for KnownIds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut id = self.next_above(None);
        if id.is_none() {
            return f.write_str("none");
        }
        let mut first = true;
        while let Some(this) = id {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{this}")?;
            first = false;
            id = self.next_above(Some(this));
        }
        Ok(())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for KnownIds<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str} (ids:", self.list_name());
        for id in self.ids() {
            defmt::write!(f, " {=u16}", id);
        }
        defmt::write!(f, ")");
    }
}

/// The walk stopped: the error is in [`Walk::error`].
struct Stop;

type Check = Result<(), Stop>;

/// Where the walk is: a chain of stack frames, turned into a [`Path`] only on failure.
struct At<'p> {
    up: Option<&'p At<'p>>,
    name: &'static str,
    index: Option<usize>,
}

impl<'p> At<'p> {
    /// The display itself: no segment.
    const ROOT: At<'static> = At {
        up: None,
        name: "",
        index: None,
    };

    fn field(&'p self, name: &'static str) -> At<'p> {
        At {
            up: Some(self),
            name,
            index: None,
        }
    }

    fn item(&'p self, name: &'static str, index: usize) -> At<'p> {
        At {
            up: Some(self),
            name,
            index: Some(index),
        }
    }

    fn frames(&self) -> impl Iterator<Item = &At<'p>> {
        core::iter::successors(Some(self), |a| a.up).filter(|a| !a.name.is_empty())
    }

    /// Outermost first; a path deeper than [`MAX_DEPTH`] keeps its outer segments.
    fn path(&self) -> Path {
        let empty = Segment {
            name: "",
            index: None,
        };
        let mut segments = [empty; MAX_DEPTH];
        let depth = self.frames().count();
        for (slot, a) in (0..depth).rev().zip(self.frames()) {
            if let Some(s) = segments.get_mut(slot) {
                *s = Segment {
                    name: a.name,
                    index: a.index,
                };
            }
        }
        Path {
            segments,
            len: depth.min(MAX_DEPTH),
        }
    }
}

/// The most characters a value of `vr` may have (PS3.5 Table 6.2-1; PN per component
/// group); `None` for DA and DT, whose format check covers their length.
const fn max_chars(vr: Vr) -> Option<usize> {
    match vr {
        Vr::CS | Vr::SH => Some(16),
        Vr::LO | Vr::PN | Vr::UI => Some(64),
        Vr::ST => Some(1024),
        Vr::LT => Some(10240),
        _ => None,
    }
}

fn digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYYMMDD` with a month 01 to 12 and a day 01 to 31 (PS3.5 Table 6.2-1, DA).
fn is_date(s: &str) -> bool {
    let (Some(month), Some(day)) = (s.get(4..6), s.get(6..8)) else {
        return false;
    };
    s.len() == 8 && digits(s) && ("01"..="12").contains(&month) && ("01"..="31").contains(&day)
}

/// `YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]` (PS3.5 Table 6.2-1, DT).
fn is_date_time(s: &str) -> bool {
    let (main, offset) = s
        .get(4..)
        .and_then(|rest| rest.find(['+', '-']))
        .and_then(|i| s.split_at_checked(i + 4))
        .unwrap_or((s, ""));
    let offset_ok = offset.is_empty() || (offset.len() == 5 && offset.get(1..).is_some_and(digits));
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

/// The first key that an earlier item of `list` has too.
fn repeated<T, K: PartialEq>(list: &[T], key: impl Fn(&T) -> K) -> Option<K> {
    list.iter().enumerate().find_map(|(i, item)| {
        let k = key(item);
        let earlier = list.get(..i).unwrap_or(&[]);
        earlier.iter().any(|e| key(e) == k).then_some(k)
    })
}

/// The walk over a display: what depends on the whole of it, and the first rule broken.
struct Walk<'a> {
    /// The first rule broken.
    error: Option<Invalid<'a>>,
    /// Specific Character Set is `ISO_IR 192`: text beyond ASCII is allowed.
    utf8: bool,
}

impl<'a> Walk<'a> {
    // Not inlined, these five: each is called once, and inlined into the caller's (often
    // async) frame they cost more flash than their call.
    #[inline(never)]
    fn display(&mut self, display: &DisplaySystem<'a>) -> Check {
        let charset = display.specific_character_set;
        let root = At::ROOT;
        let at = root.field("specific_character_set");
        for (i, cs) in charset.iter().enumerate() {
            let at = root.item("specific_character_set", i);
            // An empty first value before code extensions is the default repertoire, ISO
            // 2022 IR 6 (PS3.3 C.12.1.1.2); any other value names a character set.
            if i == 0 && charset.len() > 1 {
                self.text(&at, cs, Vr::CS)?;
            } else {
                self.required(&at, cs, Vr::CS)?;
            }
        }
        // ISO_IR 192 admits no code extensions (PS3.3 C.12.1.1.2).
        if charset.len() > 1 && charset.contains(&UTF8) {
            return self.fail(&at, Problem::Utf8NotAlone);
        }
        self.required(&root.field("manufacturer"), display.manufacturer, Vr::LO)?;
        self.required(
            &root.field("manufacturer_model_name"),
            display.manufacturer_model_name,
            Vr::LO,
        )?;
        self.required(
            &root.field("device_serial_number"),
            display.device_serial_number,
            Vr::LO,
        )?;
        self.required(
            &root.field("institution_name"),
            display.institution_name,
            Vr::LO,
        )?;
        self.required(
            &root.field("institution_address"),
            display.institution_address,
            Vr::ST,
        )?;
        self.text(&root.field("station_name"), display.station_name, Vr::SH)?;
        self.text(
            &root.field("institutional_department_name"),
            display.institutional_department_name,
            Vr::LO,
        )?;
        self.optional(
            &root.field("date_of_manufacture"),
            display.date_of_manufacture,
            Vr::DA,
        )?;
        self.optional(
            &root.field("date_of_installation"),
            display.date_of_installation,
            Vr::DA,
        )?;
        if let Some(c) = display.institutional_department_type {
            self.code(&root.field("institutional_department_type"), c)?;
        }
        for (i, a) in display.equipment_administrators.iter().enumerate() {
            self.administrator(&root.item("equipment_administrators", i), a)?;
        }

        let targets = display.target_luminance_characteristics;
        let name = "target_luminance_characteristics";
        self.items(&root.field(name), targets.len(), true)?;
        if let Some(id) = repeated(targets, |t| t.id) {
            return self.fail(&root.field(name), Problem::DuplicateId { name: "id", id });
        }
        for (i, t) in targets.iter().enumerate() {
            self.target(&root.item(name, i), t)?;
        }

        let subsystems = display.display_subsystems;
        let name = "display_subsystems";
        self.items(&root.field(name), subsystems.len(), true)?;
        if let Some(id) = repeated(subsystems, |s| s.id) {
            return self.fail(&root.field(name), Problem::DuplicateId { name: "id", id });
        }
        for (i, s) in subsystems.iter().enumerate() {
            self.subsystem(&root.item(name, i), s, targets)?;
        }
        Ok(())
    }

    #[cold]
    fn fail(&mut self, at: &At<'_>, problem: Problem<'a>) -> Check {
        self.error = Some(Invalid {
            path: at.path(),
            problem,
        });
        Err(Stop)
    }

    /// A list the wire counts in a US value or that must have an item.
    fn items(&mut self, at: &At<'_>, len: usize, at_least_one: bool) -> Check {
        if at_least_one && len == 0 {
            return self.fail(at, Problem::NoItems);
        }
        if len > usize::from(u16::MAX) {
            return self.fail(at, Problem::TooManyItems(len));
        }
        Ok(())
    }

    /// Finite, and not negative (luminances).
    fn non_negative(&mut self, at: &At<'_>, value: f32) -> Check {
        if value.is_finite() && value >= 0.0 {
            Ok(())
        } else {
            self.fail(at, Problem::NotNonNegative(value))
        }
    }

    fn white_point(&mut self, at: &At<'_>, value: Option<[f32; 2]>) -> Check {
        let Some([x, y]) = value else { return Ok(()) };
        for (coordinate, value) in [('x', x), ('y', y)] {
            if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
                return self.fail(at, Problem::NotChromaticity { coordinate, value });
            }
        }
        Ok(())
    }

    fn reference(&mut self, at: &At<'_>, id: u16, known: KnownIds<'a>) -> Check {
        if known.contains(id) {
            Ok(())
        } else {
            self.fail(at, Problem::UnknownId { id, known })
        }
    }

    /// DDL values strictly increase along a curve.
    fn ddl_after(&mut self, point: &At<'_>, previous: Option<u16>, ddl: u16) -> Check {
        match previous {
            Some(previous) if ddl <= previous => self.fail(
                &point.field("ddl_value"),
                Problem::DdlNotIncreasing { ddl, previous },
            ),
            _ => Ok(()),
        }
    }

    /// A value of `vr`; empty is allowed (usage 2 or 3).
    fn text(&mut self, at: &At<'_>, value: &'a str, vr: Vr) -> Check {
        if value.is_empty() {
            return Ok(());
        }
        if !self.utf8 && !value.is_ascii() {
            return self.fail(at, Problem::NotAscii);
        }
        let chars = if vr == Vr::PN {
            value
                .split('=')
                .map(|g| g.chars().count())
                .max()
                .unwrap_or(0)
        } else {
            value.chars().count()
        };
        if max_chars(vr).is_some_and(|max| chars > max) {
            return self.fail(at, Problem::TooLong { vr, chars });
        }
        let text = matches!(vr, Vr::ST | Vr::LT);
        if !text && value.contains('\\') {
            return self.fail(at, Problem::Backslash { vr });
        }
        let allowed = |c: char| c == '\x1b' || (text && matches!(c, '\r' | '\n' | '\t' | '\x0c'));
        if let Some(c) = value.chars().find(|&c| c.is_control() && !allowed(c)) {
            return self.fail(at, Problem::ControlCharacter(c));
        }
        let problem = match vr {
            Vr::CS
                if !value.bytes().all(|b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'_'
                }) =>
            {
                Problem::NotCodeString(value)
            }
            Vr::DA if !is_date(value) => Problem::NotDate(value),
            Vr::DT if !is_date_time(value) => Problem::NotDateTime(value),
            Vr::UI if Uid::check(value.as_bytes()).is_none() => Problem::NotUid(value),
            _ => return Ok(()),
        };
        self.fail(at, problem)
    }

    /// A value of `vr` that must not be empty (usage 1).
    fn required(&mut self, at: &At<'_>, value: &'a str, vr: Vr) -> Check {
        if value.trim_matches(' ').is_empty() {
            return self.fail(at, Problem::Empty);
        }
        self.text(at, value, vr)
    }

    fn optional(&mut self, at: &At<'_>, value: Option<&'a str>, vr: Vr) -> Check {
        value.map_or(Ok(()), |v| self.text(at, v, vr))
    }

    fn code(&mut self, at: &At<'_>, c: Code<'a>) -> Check {
        self.required(&at.field("value"), c.value, Vr::SH)?;
        self.required(&at.field("scheme_designator"), c.scheme_designator, Vr::SH)?;
        self.optional(&at.field("scheme_version"), c.scheme_version, Vr::SH)?;
        self.required(&at.field("meaning"), c.meaning, Vr::LO)
    }

    fn equipment(&mut self, up: &At<'_>, list: &'a [MeasurementEquipment<'a>]) -> Check {
        for (i, e) in list.iter().enumerate() {
            let at = up.item("measurement_equipment", i);
            self.text(&at.field("manufacturer"), e.manufacturer, Vr::LO)?;
            self.text(
                &at.field("manufacturer_model_name"),
                e.manufacturer_model_name,
                Vr::LO,
            )?;
            self.text(
                &at.field("device_serial_number"),
                e.device_serial_number,
                Vr::LO,
            )?;
            self.text(
                &at.field("date_time_of_last_calibration"),
                e.date_time_of_last_calibration,
                Vr::DT,
            )?;
            if let Some(term) = repeated(e.measurement_functions, |t| t.as_str()) {
                return self.fail(
                    &at.field("measurement_functions"),
                    Problem::DuplicateTerm(term),
                );
            }
            self.text(
                &at.field("measurement_equipment_type"),
                e.measurement_equipment_type,
                Vr::CS,
            )?;
            if let Some(term) = repeated(e.measured_characteristics, |t| t.as_str()) {
                return self.fail(
                    &at.field("measured_characteristics"),
                    Problem::DuplicateTerm(term),
                );
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn administrator(&mut self, at: &At<'_>, a: &'a EquipmentAdministrator<'a>) -> Check {
        self.text(&at.field("person_name"), a.person_name, Vr::PN)?;
        self.optional(&at.field("address"), a.address, Vr::ST)?;
        for (i, t) in a.telephone_numbers.iter().enumerate() {
            self.required(&at.item("telephone_numbers", i), t, Vr::LO)?;
        }
        self.optional(
            &at.field("telecom_information"),
            a.telecom_information,
            Vr::LT,
        )?;
        self.optional(&at.field("institution_name"), a.institution_name, Vr::LO)?;
        self.optional(
            &at.field("institution_address"),
            a.institution_address,
            Vr::ST,
        )?;
        if let Some(c) = a.institution_code {
            self.code(&at.field("institution_code"), c)?;
        }
        if a.institution_name.is_none() && a.institution_code.is_none() {
            return self.fail(at, Problem::NoInstitution);
        }
        let name = "person_identification_codes";
        self.items(&at.field(name), a.person_identification_codes.len(), true)?;
        for (i, &c) in a.person_identification_codes.iter().enumerate() {
            self.code(&at.item(name, i), c)?;
        }
        Ok(())
    }

    /// A target curve (PS3.3 C.32.2).
    #[inline(never)]
    fn target(&mut self, at: &At<'_>, t: &'a TargetLuminanceCharacteristics<'a>) -> Check {
        let (minimum, maximum) = (t.target_minimum_luminance, t.target_maximum_luminance);
        self.non_negative(&at.field("target_minimum_luminance"), minimum)?;
        let max_at = at.field("target_maximum_luminance");
        self.non_negative(&max_at, maximum)?;
        if minimum >= maximum {
            return self.fail(
                &max_at,
                Problem::MaximumNotAboveMinimum { minimum, maximum },
            );
        }
        let kind = t.display_function_type;
        match t.gamma_value {
            Some(g) if !(g.is_finite() && g > 0.0) => {
                return self.fail(&at.field("gamma_value"), Problem::NotPositive(g))
            }
            None if kind == DisplayFunctionType::Gamma => {
                return self.fail(&at.field("gamma_value"), Problem::RequiredFor(kind))
            }
            _ => {}
        }
        let description = at.field("luminance_response_description");
        self.optional(&description, t.luminance_response_description, Vr::LO)?;
        self.white_point(&at.field("cie_xy_white_point"), t.cie_xy_white_point)?;
        let name = "luminance_response";
        let curve = t.luminance_response;
        let user_defined = kind == DisplayFunctionType::UserDefined;
        if user_defined && curve.is_empty() {
            return self.fail(&at.field(name), Problem::NoCurve);
        }
        self.items(&at.field(name), curve.len(), false)?;
        if user_defined && t.luminance_response_description.is_none() {
            return self.fail(&description, Problem::RequiredFor(kind));
        }
        for (i, point) in curve.iter().enumerate() {
            self.non_negative(&at.item(name, i).field("luminance"), point.luminance)?;
        }
        if let Some(first) = curve.first().filter(|p| p.ddl_value != 0) {
            return self.fail(
                &at.item(name, 0).field("ddl_value"),
                Problem::CurveStart(first.ddl_value),
            );
        }
        let mut previous: Option<u16> = None;
        for (i, point) in curve.iter().enumerate() {
            self.ddl_after(&at.item(name, i), previous, point.ddl_value)?;
            previous = Some(point.ddl_value);
        }
        Ok(())
    }

    #[inline(never)]
    fn subsystem(
        &mut self,
        at: &At<'_>,
        s: &'a DisplaySubsystem<'a>,
        targets: &'a [TargetLuminanceCharacteristics<'a>],
    ) -> Check {
        self.text(&at.field("name"), s.name, Vr::SH)?;
        self.text(&at.field("description"), s.description, Vr::LO)?;
        self.text(&at.field("manufacturer"), s.manufacturer, Vr::LO)?;
        self.text(
            &at.field("manufacturer_model_name"),
            s.manufacturer_model_name,
            Vr::LO,
        )?;
        self.text(
            &at.field("device_serial_number"),
            s.device_serial_number,
            Vr::LO,
        )?;
        self.optional(
            &at.field("date_of_manufacture"),
            s.date_of_manufacture,
            Vr::DA,
        )?;
        self.text(
            &at.field("system_status_comment"),
            s.system_status_comment,
            Vr::LO,
        )?;
        if let Some(c) = s.display_device_type {
            self.code(&at.field("display_device_type"), c)?;
        }

        let name = "configurations";
        let configurations = s.configurations;
        self.items(&at.field(name), configurations.len(), false)?;
        if let Some(id) = repeated(configurations, |c| c.id) {
            return self.fail(&at.field(name), Problem::DuplicateId { name: "id", id });
        }
        for (i, c) in configurations.iter().enumerate() {
            let cf = at.item(name, i);
            self.text(&cf.field("name"), c.name, Vr::SH)?;
            self.text(&cf.field("description"), c.description, Vr::LO)?;
            if let Some(id) = c.target_luminance_characteristics_id {
                self.reference(
                    &cf.field("target_luminance_characteristics_id"),
                    id,
                    KnownIds::Targets(targets),
                )?;
            }
        }
        let known = KnownIds::Configurations(configurations);
        if let Some(id) = s.current_configuration_id {
            self.reference(&at.field("current_configuration_id"), id, known)?;
        }
        self.equipment(at, s.measurement_equipment)?;

        let name = "qa_results";
        if let Some(id) = repeated(s.qa_results, |q| q.configuration_id) {
            let name = "configuration_id";
            return self.fail(&at.field("qa_results"), Problem::DuplicateId { name, id });
        }
        for (i, q) in s.qa_results.iter().enumerate() {
            let qf = at.item(name, i);
            self.reference(&qf.field("configuration_id"), q.configuration_id, known)?;
            for (j, r) in q.results.iter().enumerate() {
                self.results(&qf.item("results", j), r, targets)?;
            }
        }
        Ok(())
    }

    /// The Result Context Macro (PS3.4 Table EE.2.2.1-1).
    fn context(&mut self, up: &At<'_>, c: &'a ResultContext<'a>) -> Check {
        let at = up.field("context");
        self.required(&at.field("start"), c.start, Vr::DT)?;
        self.required(&at.field("end"), c.end, Vr::DT)?;
        for (i, p) in c.performers.iter().enumerate() {
            let pf = at.item("performers", i);
            self.optional(&pf.field("name"), p.name, Vr::PN)?;
            self.text(&pf.field("organization"), p.organization, Vr::LO)?;
            if let Some(code) = p.code {
                self.code(&pf.field("code"), code)?;
            }
            if p.name.is_none() && p.code.is_none() {
                return self.fail(&pf, Problem::NoPerformerIdentity);
            }
        }
        self.equipment(&at, c.measurement_equipment)
    }

    /// One Configuration QA Results item (PS3.3 C.32.3).
    #[inline(never)]
    fn results(
        &mut self,
        at: &At<'_>,
        r: &'a ConfigurationQaResults<'a>,
        targets: &'a [TargetLuminanceCharacteristics<'a>],
    ) -> Check {
        for (i, c) in r.display_calibration.iter().enumerate() {
            let cf = at.item("display_calibration", i);
            self.context(&cf, &c.context)?;
            self.reference(
                &cf.field("luminance_characteristics_id"),
                c.luminance_characteristics_id,
                KnownIds::Targets(targets),
            )?;
        }
        for (i, v) in r.visual_evaluation.iter().enumerate() {
            let vf = at.item("visual_evaluation", i);
            self.context(&vf, &v.context)?;
            self.code(&vf.field("method"), v.method)?;
            self.items(&vf.field("tests"), v.tests.len(), true)?;
            for (j, t) in v.tests.iter().enumerate() {
                let tf = vf.item("tests", j);
                self.optional(&tf.field("comment"), t.comment, Vr::LO)?;
                if let Some(c) = t.test_pattern {
                    self.code(&tf.field("test_pattern"), c)?;
                }
                if t.test_pattern.is_none() && t.referenced_images.is_empty() {
                    return self.fail(&tf, Problem::NoTestPatternOrImage);
                }
                for (k, image) in t.referenced_images.iter().enumerate() {
                    let imf = tf.item("referenced_images", k);
                    self.required(&imf.field("sop_class_uid"), image.sop_class_uid, Vr::UI)?;
                    self.required(
                        &imf.field("sop_instance_uid"),
                        image.sop_instance_uid,
                        Vr::UI,
                    )?;
                }
            }
        }
        for (i, u) in r.luminance_uniformity.iter().enumerate() {
            let uf = at.item("luminance_uniformity", i);
            self.context(&uf, &u.context)?;
            self.code(&uf.field("measurement_pattern"), u.measurement_pattern)?;
            self.items(&uf.field("points"), u.points.len(), true)?;
            let yes = u.white_point_flag == WhitePointFlag::Yes;
            for (j, point) in u.points.iter().enumerate() {
                let pf = uf.item("points", j);
                self.non_negative(&pf.field("luminance"), point.luminance)?;
                let wf = pf.field("cie_xy_white_point");
                self.white_point(&wf, point.cie_xy_white_point)?;
                if point.cie_xy_white_point.is_some() != yes {
                    return self.fail(&wf, Problem::WhitePointFlagMismatch(u.white_point_flag));
                }
            }
        }
        for (i, l) in r.luminance.iter().enumerate() {
            let lf = at.item("luminance", i);
            self.context(&lf, &l.context)?;
            self.items(&lf.field("points"), l.points.len(), true)?;
            let mut previous: Option<u16> = None;
            for (j, point) in l.points.iter().enumerate() {
                let pf = lf.item("points", j);
                self.non_negative(&pf.field("luminance"), point.luminance)?;
                self.white_point(&pf.field("cie_xy_white_point"), point.cie_xy_white_point)?;
                self.ddl_after(&pf, previous, point.ddl_value)?;
                previous = Some(point.ddl_value);
            }
        }
        Ok(())
    }
}
