//! The standard data dictionary (PS3.6): the VR and keyword of every standard tag.
//!
//! Implicit VR data sets carry no VRs, so reading one needs this table, and so does writing
//! an element whose VR the caller did not give. The table lives in [`table`](self) as compact
//! statics generated from `dicom-dictionary-std` (std only, so not a dependency of this
//! crate) by `core/tests/dictionary.rs`, which also fails when the committed copy is stale.
//!
//! Layout, chosen for flash: element numbers (`u16`) sorted within groups, a group index,
//! and a parallel one-byte VR table; about three bytes per entry. Keywords are in separate
//! statics (lengths and one concatenated string), so firmware that only asks for VRs links
//! none of them.
//!
//! Entries that PS3.6 gives several VRs ("US or SS", "OB or OW", "US or OW") keep the first.

#[rustfmt::skip]
mod table;

use super::{Tag, Vr};

/// The crate and version the table was generated from.
pub const SOURCE: &str = table::SOURCE;

/// The number of entries in the table (exact tags plus repeating-group entries).
pub const fn len() -> usize {
    table::ELEMENTS.len() + table::MASKED.len()
}

/// Index into `ELEMENTS`/`VRS`/`KEYWORD_LENS` of an exact entry.
fn exact_index(tag: Tag) -> Option<usize> {
    let g = table::GROUPS
        .binary_search_by_key(&tag.group(), |&(group, _)| group)
        .ok()?;
    let start = match g.checked_sub(1) {
        Some(prev) => usize::from(table::GROUPS.get(prev)?.1),
        None => 0,
    };
    let end = usize::from(table::GROUPS.get(g)?.1);
    let i = table::ELEMENTS
        .get(start..end)?
        .binary_search(&tag.element())
        .ok()?;
    start.checked_add(i)
}

fn masked_index(tag: Tag) -> Option<usize> {
    table::MASKED
        .iter()
        .position(|&(t, mask, _)| tag.0 & mask == t)
}

/// The VR of `tag`, or `None` for a tag PS3.6 does not define (private data elements,
/// unknown or future tags).
///
/// Beyond the table, two PS3.5 rules apply to every group: a group length `(gggg,0000)` is UL
/// (§7.2), and a private creator `(odd gggg,0010-00FF)` is LO (§7.8.1).
pub fn vr(tag: Tag) -> Option<Vr> {
    if let Some(i) = exact_index(tag) {
        return table::VRS.get(i).copied();
    }
    if let Some(i) = masked_index(tag) {
        return table::MASKED.get(i).map(|&(_, _, vr)| vr);
    }
    if tag.element() == 0 {
        Some(Vr::UL)
    } else if tag.is_private() && (0x0010..=0x00FF).contains(&tag.element()) {
        Some(Vr::LO)
    } else {
        None
    }
}

/// Where the keyword of exact entry `i` lies in `KEYWORD_TEXT`.
fn keyword_at(i: usize) -> Option<&'static str> {
    let block = i / table::KEYWORD_BLOCK;
    let first = block * table::KEYWORD_BLOCK;
    let mut start = usize::try_from(*table::KEYWORD_STARTS.get(block)?).ok()?;
    for len in table::KEYWORD_LENS.get(first..i)? {
        start += usize::from(*len);
    }
    let len = usize::from(*table::KEYWORD_LENS.get(i)?);
    table::KEYWORD_TEXT.get(start..start.checked_add(len)?)
}

/// The PS3.6 keyword of `tag` (`"Manufacturer"` for (0008,0070)), or `None` if the table has
/// no entry for it. The generic group-length and private-creator rules have no keyword.
pub fn keyword(tag: Tag) -> Option<&'static str> {
    if let Some(i) = exact_index(tag) {
        return keyword_at(i);
    }
    table::MASKED_KEYWORDS.get(masked_index(tag)?).copied()
}

/// The tag with PS3.6 keyword `keyword`; a repeating-group entry gives its first group
/// (`"OverlayData"` gives (6000,3000)).
///
/// A linear scan of the keyword text (about 5 000 entries): fine for configuration and
/// command-line use, not meant for a hot path.
pub fn tag_by_keyword(keyword: &str) -> Option<Tag> {
    let mut start = 0usize;
    for (i, &len) in table::KEYWORD_LENS.iter().enumerate() {
        let end = start + usize::from(len);
        if usize::from(len) == keyword.len() && table::KEYWORD_TEXT.get(start..end) == Some(keyword)
        {
            return tag_at(i);
        }
        start = end;
    }
    let i = table::MASKED_KEYWORDS.iter().position(|k| *k == keyword)?;
    table::MASKED.get(i).map(|&(t, _, _)| Tag(t))
}

/// The tag of exact entry `i`.
fn tag_at(i: usize) -> Option<Tag> {
    // The group is the first whose end lies beyond `i`.
    let g = table::GROUPS.partition_point(|&(_, end)| usize::from(end) <= i);
    let (group, _) = *table::GROUPS.get(g)?;
    Some(Tag::new(group, *table::ELEMENTS.get(i)?))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn display_system_tags() {
        assert_eq!(vr(Tag::new(0x0008, 0x0070)), Some(Vr::LO));
        assert_eq!(vr(Tag::new(0x0028, 0x7003)), Some(Vr::US));
        assert_eq!(vr(Tag::new(0x0028, 0x7018)), Some(Vr::FL));
        assert_eq!(vr(Tag::new(0x0018, 0x1202)), Some(Vr::DT));
        assert_eq!(vr(Tag::new(0x0000, 0x1005)), Some(Vr::AT));
        assert_eq!(vr(Tag::new(0x0008, 0x0002)), None);
        assert_eq!(
            keyword(Tag::new(0x0028, 0x7023)),
            Some("DisplaySubsystemSequence")
        );
        assert_eq!(
            tag_by_keyword("Manufacturer"),
            Some(Tag::new(0x0008, 0x0070))
        );
        assert_eq!(tag_by_keyword(""), None);
        assert_eq!(
            tag_by_keyword("OverlayData"),
            Some(Tag::new(0x6000, 0x3000))
        );
    }

    #[test]
    fn first_and_last_entries() {
        let first = tag_at(0).unwrap();
        assert_eq!(first, Tag::new(0x0000, 0x0000));
        assert_eq!(keyword(first), Some("CommandGroupLength"));
        let last = tag_at(table::ELEMENTS.len() - 1).unwrap();
        assert!(keyword(last).is_some());
        assert_eq!(tag_at(table::ELEMENTS.len()), None);
        assert_eq!(vr(Tag(u32::MAX)), None);
    }

    /// Prints the flash cost of each static (run with `--nocapture`).
    #[test]
    fn table_sizes() {
        use core::mem::size_of_val;
        let vr_tables = size_of_val(&table::GROUPS)
            + size_of_val(&table::ELEMENTS)
            + size_of_val(&table::VRS)
            + size_of_val(&table::MASKED);
        let keyword_tables = size_of_val(&table::KEYWORD_LENS)
            + size_of_val(&table::KEYWORD_STARTS)
            + table::KEYWORD_TEXT.len()
            + size_of_val(&table::MASKED_KEYWORDS)
            + table::MASKED_KEYWORDS
                .iter()
                .map(|k| k.len())
                .sum::<usize>();
        std::println!(
            "dictionary: {} entries; VR lookup {} bytes (GROUPS {}, ELEMENTS {}, VRS {}, MASKED {}); \
             keywords {} bytes (KEYWORD_LENS {}, KEYWORD_STARTS {}, KEYWORD_TEXT {}, MASKED_KEYWORDS {} on this target)",
            len(),
            vr_tables,
            size_of_val(&table::GROUPS),
            size_of_val(&table::ELEMENTS),
            size_of_val(&table::VRS),
            size_of_val(&table::MASKED),
            keyword_tables,
            size_of_val(&table::KEYWORD_LENS),
            size_of_val(&table::KEYWORD_STARTS),
            table::KEYWORD_TEXT.len(),
            size_of_val(&table::MASKED_KEYWORDS),
        );
        assert_eq!(table::VRS.len(), table::ELEMENTS.len());
        assert_eq!(table::KEYWORD_LENS.len(), table::ELEMENTS.len());
    }
}
