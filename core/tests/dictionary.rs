//! Keeps `core/src/dataset/dictionary/table.rs` equal to what `dicom-dictionary-std` says.
//!
//! The core is `no_std` and cannot depend on `dicom-dictionary-std` (std only), so it carries
//! a generated copy of the table. This test regenerates the text and fails on any difference.
//! `DIMSE_REGENERATE_DICTIONARY=1 cargo test -p dimse-core --test dictionary` rewrites the file.
//!
//! `dicom-dictionary-std` has no public way to list its entries; its registry's `Debug` output
//! does contain every keyword, so the keywords are scraped from it, and every fact about an
//! entry (tag range, VR) is then taken from the typed `by_name` lookup. A change in that
//! `Debug` format makes the entry count check below fail loudly rather than drop entries.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, TagRange, VirtualVr};
use dicom_dictionary_std::data_element::registry;
use dicom_dictionary_std::StandardDataDictionary;

use dimse_core::dataset::{dictionary, Tag, Vr};

const SOURCE: &str = "dicom-dictionary-std 0.10.1";
const TABLE: &str = "src/dataset/dictionary/table.rs";
const KEYWORD_BLOCK: usize = 64;
const PER_LINE: usize = 12;

struct Entry {
    tag: u32,
    mask: u32,
    vr: &'static str,
    keyword: String,
}

/// The first VR of a multi-VR entry, as PS3.6 lists them ("US or SS", "OB or OW", "US or OW").
fn vr_name(vr: VirtualVr) -> &'static str {
    match vr {
        VirtualVr::Exact(vr) => vr.to_string(),
        VirtualVr::Xs => "US",
        VirtualVr::Ox => "OB",
        VirtualVr::Px => "OB",
        VirtualVr::Lt => "US",
        other => panic!("a new kind of VR in the dictionary: {other:?}"),
    }
}

fn entries() -> Vec<Entry> {
    let debug = format!("{:?}", registry());
    let mut keywords: Vec<&str> = debug
        .split("alias: \"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    keywords.sort_unstable();
    keywords.dedup();
    assert!(
        keywords.len() > 5000,
        "scraped only {} keywords",
        keywords.len()
    );

    let dict = StandardDataDictionary;
    let mut out = Vec::new();
    for kw in keywords {
        let e = dict
            .by_name(kw)
            .unwrap_or_else(|| panic!("{kw} listed but not found"));
        assert!(kw.is_ascii() && !kw.is_empty() && kw.len() < 256, "{kw}");
        let (tag, mask) = match e.tag_range() {
            TagRange::Single(t) => (t, 0xFFFF_FFFF),
            TagRange::Group100(t) => (t, 0xFF00_FFFF),
            TagRange::Element100(t) => (t, 0xFFFF_FF00),
            // PS3.5 rules, not PS3.6 entries: the core applies them in code.
            TagRange::GroupLength | TagRange::PrivateCreator => continue,
        };
        let tag = (u32::from(tag.0) << 16) | u32::from(tag.1);
        out.push(Entry {
            tag: tag & mask,
            mask,
            vr: vr_name(e.vr()),
            keyword: kw.to_owned(),
        });
    }
    out.sort_by_key(|e| (e.mask != 0xFFFF_FFFF, e.tag));
    for w in out.windows(2) {
        assert!(
            (w[0].tag, w[0].mask) != (w[1].tag, w[1].mask),
            "{} and {} share a tag",
            w[0].keyword,
            w[1].keyword
        );
    }
    out
}

fn generate(entries: &[Entry]) -> String {
    let exact: Vec<&Entry> = entries.iter().filter(|e| e.mask == 0xFFFF_FFFF).collect();
    let masked: Vec<&Entry> = entries.iter().filter(|e| e.mask != 0xFFFF_FFFF).collect();
    let mut groups: BTreeMap<u16, Vec<&Entry>> = BTreeMap::new();
    for e in &exact {
        groups.entry((e.tag >> 16) as u16).or_default().push(e);
    }
    let n = exact.len();
    assert!(n < usize::from(u16::MAX));

    let mut s = String::new();
    let w = &mut s;
    writeln!(
        w,
        "// @generated from {SOURCE} by core/tests/dictionary.rs. Do not edit by hand:"
    )
    .unwrap();
    writeln!(
        w,
        "// `DIMSE_REGENERATE_DICTIONARY=1 cargo test -p dimse-core --test dictionary`"
    )
    .unwrap();
    writeln!(
        w,
        "// rewrites it, and the same test without the variable fails if it is stale."
    )
    .unwrap();
    writeln!(w, "//").unwrap();
    writeln!(w, "// Entries with several VRs in PS3.6 (\"US or SS\", \"OB or OW\", \"US or OW\") keep the first.").unwrap();
    writeln!(
        w,
        "// Lookups by tag touch GROUPS, ELEMENTS and VRS only; the keyword statics are separate"
    )
    .unwrap();
    writeln!(
        w,
        "// so that firmware that never asks for a keyword does not link them."
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(w, "use crate::dataset::Vr::{{self, *}};").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "/// The crate and version this table was generated from."
    )
    .unwrap();
    writeln!(w, "pub(super) const SOURCE: &str = \"{SOURCE}\";").unwrap();
    writeln!(w).unwrap();

    writeln!(
        w,
        "/// Each group number with the index one past its last entry in [`ELEMENTS`]."
    )
    .unwrap();
    writeln!(
        w,
        "pub(super) static GROUPS: [(u16, u16); {}] = [",
        groups.len()
    )
    .unwrap();
    let mut end = 0usize;
    for (g, es) in &groups {
        end += es.len();
        writeln!(w, "    (0x{g:04X}, {end}),").unwrap();
    }
    writeln!(w, "];").unwrap();
    writeln!(w).unwrap();

    let per_group = |w: &mut String, name: &str, ty: &str, item: &dyn Fn(&Entry) -> String| {
        writeln!(w, "pub(super) static {name}: [{ty}; {n}] = [").unwrap();
        for (g, es) in &groups {
            writeln!(w, "    // {g:04X}").unwrap();
            for chunk in es.chunks(PER_LINE) {
                let items: Vec<String> = chunk.iter().map(|e| item(e)).collect();
                writeln!(w, "    {},", items.join(", ")).unwrap();
            }
        }
        writeln!(w, "];").unwrap();
        writeln!(w).unwrap();
    };
    writeln!(w, "/// Element numbers, ascending within each group.").unwrap();
    per_group(w, "ELEMENTS", "u16", &|e| {
        format!("0x{:04X}", e.tag & 0xFFFF)
    });
    writeln!(w, "/// The VR of each entry of [`ELEMENTS`].").unwrap();
    per_group(w, "VRS", "Vr", &|e| e.vr.to_owned());

    writeln!(
        w,
        "/// Entries whose tag repeats over a range: (tag, mask); a tag `t` matches when"
    )
    .unwrap();
    writeln!(
        w,
        "/// `t & mask == tag`. Consulted only when [`ELEMENTS`] has no exact entry."
    )
    .unwrap();
    writeln!(
        w,
        "pub(super) static MASKED: [(u32, u32, Vr); {}] = [",
        masked.len()
    )
    .unwrap();
    for e in &masked {
        writeln!(w, "    (0x{:08X}, 0x{:08X}, {}),", e.tag, e.mask, e.vr).unwrap();
    }
    writeln!(w, "];").unwrap();
    writeln!(w).unwrap();
    writeln!(w, "/// The keyword of each entry of [`MASKED`].").unwrap();
    writeln!(
        w,
        "pub(super) static MASKED_KEYWORDS: [&str; {}] = [",
        masked.len()
    )
    .unwrap();
    for e in &masked {
        writeln!(w, "    \"{}\",", e.keyword).unwrap();
    }
    writeln!(w, "];").unwrap();
    writeln!(w).unwrap();

    writeln!(
        w,
        "/// The length of the keyword of each entry of [`ELEMENTS`], in [`KEYWORD_TEXT`]."
    )
    .unwrap();
    per_group(w, "KEYWORD_LENS", "u8", &|e| e.keyword.len().to_string());
    writeln!(
        w,
        "/// Where in [`KEYWORD_TEXT`] the keyword of entry `i * {KEYWORD_BLOCK}` starts."
    )
    .unwrap();
    let blocks: Vec<usize> = exact
        .chunks(KEYWORD_BLOCK)
        .scan(0usize, |at, chunk| {
            let start = *at;
            *at += chunk.iter().map(|e| e.keyword.len()).sum::<usize>();
            Some(start)
        })
        .collect();
    writeln!(
        w,
        "pub(super) const KEYWORD_BLOCK: usize = {KEYWORD_BLOCK};"
    )
    .unwrap();
    writeln!(
        w,
        "pub(super) static KEYWORD_STARTS: [u32; {}] = [",
        blocks.len()
    )
    .unwrap();
    for chunk in blocks.chunks(PER_LINE / 2) {
        let items: Vec<String> = chunk.iter().map(|b| b.to_string()).collect();
        writeln!(w, "    {},", items.join(", ")).unwrap();
    }
    writeln!(w, "];").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "/// The keywords of [`ELEMENTS`], concatenated in table order."
    )
    .unwrap();
    writeln!(w, "pub(super) static KEYWORD_TEXT: &str = concat!(").unwrap();
    for (g, es) in &groups {
        for e in es {
            writeln!(
                w,
                "    \"{}\", // ({g:04X},{:04X})",
                e.keyword,
                e.tag & 0xFFFF
            )
            .unwrap();
        }
    }
    writeln!(w, ");").unwrap();
    s
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  committed: {x}\n  generated: {y}", i + 1);
        }
    }
    format!(
        "lengths differ: {} vs {} lines",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn committed_table_matches_dicom_dictionary_std() {
    let entries = entries();
    let generated = generate(&entries);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    if std::env::var_os("DIMSE_REGENERATE_DICTIONARY").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{TABLE} is stale; rerun with DIMSE_REGENERATE_DICTIONARY=1\n{}",
        first_difference(&committed, &generated)
    );
}

#[test]
fn lookups_agree_with_dicom_dictionary_std() {
    let entries = entries();
    for e in &entries {
        let tag = Tag(e.tag);
        let vr = Vr::from_bytes(e.vr.as_bytes().try_into().unwrap()).unwrap();
        assert_eq!(dictionary::vr(tag), Some(vr), "{tag} {}", e.keyword);
        assert_eq!(dictionary::keyword(tag), Some(e.keyword.as_str()), "{tag}");
        assert_eq!(
            dictionary::tag_by_keyword(&e.keyword),
            Some(tag),
            "{}",
            e.keyword
        );
    }
    // Spot checks against the standard itself: PS3.6 Table 6-1 entries of attributes in
    // PS3.4 Table EE.2.2.1-2.
    assert_eq!(dictionary::vr(Tag::new(0x0028, 0x7023)), Some(Vr::SQ));
    assert_eq!(dictionary::vr(Tag::new(0x0028, 0x701D)), Some(Vr::FL));
    assert_eq!(dictionary::vr(Tag::new(0x2010, 0x0160)), Some(Vr::US));
    assert_eq!(
        dictionary::keyword(Tag::new(0x0008, 0x0070)),
        Some("Manufacturer")
    );
    assert_eq!(
        dictionary::tag_by_keyword("DisplaySubsystemSequence"),
        Some(Tag::new(0x0028, 0x7023))
    );
    // Repeating groups: any overlay group 60xx.
    assert_eq!(dictionary::vr(Tag::new(0x6002, 0x3000)), Some(Vr::OB));
    assert_eq!(
        dictionary::keyword(Tag::new(0x60FE, 0x0010)),
        Some("OverlayRows")
    );
    // PS3.5 rules, not entries: group length and private creators.
    assert_eq!(dictionary::vr(Tag::new(0x0028, 0x0000)), Some(Vr::UL));
    assert_eq!(dictionary::vr(Tag::new(0x0029, 0x0010)), Some(Vr::LO));
    assert_eq!(dictionary::vr(Tag::new(0x0029, 0x1010)), None);
    assert_eq!(dictionary::keyword(Tag::new(0x0029, 0x0010)), None);
    assert_eq!(dictionary::tag_by_keyword("NoSuchKeyword"), None);
}
