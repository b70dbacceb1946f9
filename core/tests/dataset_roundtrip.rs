//! Property tests of `dimse_core::dataset`: whatever the writer writes, the reader reads back
//! as the same tree, in both encodings and both sequence-length modes; the reader survives
//! any input; the attribute filter keeps exactly requested ∩ produced and reports
//! requested \ produced.
//!
//! The expected wire values are computed here independently of the writer (join, pad,
//! little-endian), so a writer bug cannot hide behind a matching reader bug.

use std::collections::BTreeSet;

use dimse_testkit::strategy::element_tag;
use proptest::prelude::*;

use dimse_core::dataset::{
    dictionary, AttributeFilter, Encoding, ReadError, ReadEvent, Reader, SequenceLength, Tag, Vr,
    WriteError, Writer,
};

/// What the test asks the writer to write for one element.
#[derive(Debug, Clone)]
enum Op {
    Str(Vr, String),
    Strs(Vr, Vec<String>),
    U16s(Vec<u16>),
    U32s(Vec<u32>),
    I16s(Vec<i16>),
    I32s(Vec<i32>),
    F32s(Vec<f32>),
    F64s(Vec<f64>),
    Tags(Vec<u32>),
    Bytes(Vr, Vec<u8>),
}

#[derive(Debug, Clone)]
enum Node {
    Element(Tag, Op),
    Sequence(Tag, Vec<Vec<Node>>),
}

impl Node {
    fn tag(&self) -> Tag {
        match self {
            Node::Element(t, _) | Node::Sequence(t, _) => *t,
        }
    }
}

/// What the reader should give back.
#[derive(Debug, Clone, PartialEq)]
enum Read {
    Element(Tag, Vr, Vec<u8>),
    Sequence(Tag, Vec<Vec<Read>>),
}

const STRING_VRS: [Vr; 17] = [
    Vr::AE,
    Vr::AS,
    Vr::CS,
    Vr::DA,
    Vr::DS,
    Vr::DT,
    Vr::IS,
    Vr::LO,
    Vr::LT,
    Vr::PN,
    Vr::SH,
    Vr::ST,
    Vr::TM,
    Vr::UC,
    Vr::UI,
    Vr::UR,
    Vr::UT,
];
const MULTI_VRS: [Vr; 13] = [
    Vr::AE,
    Vr::AS,
    Vr::CS,
    Vr::DA,
    Vr::DS,
    Vr::DT,
    Vr::IS,
    Vr::LO,
    Vr::PN,
    Vr::SH,
    Vr::TM,
    Vr::UC,
    Vr::UI,
];
const BINARY_VRS: [Vr; 16] = [
    Vr::AT,
    Vr::FD,
    Vr::FL,
    Vr::OB,
    Vr::OD,
    Vr::OF,
    Vr::OL,
    Vr::OV,
    Vr::OW,
    Vr::SL,
    Vr::SS,
    Vr::SV,
    Vr::UL,
    Vr::UN,
    Vr::US,
    Vr::UV,
];
/// Sequence tags of the Display System IOD (PS3.4 Table EE.2.2.1-2): SQ in the dictionary, so
/// Implicit VR reads them as sequences whatever their length form.
const SEQUENCE_TAGS: [(u16, u16); 12] = [
    (0x0008, 0x0082),
    (0x0008, 0x1041),
    (0x0008, 0x1140),
    (0x0028, 0x7000),
    (0x0028, 0x7008),
    (0x0028, 0x700A),
    (0x0028, 0x700F),
    (0x0028, 0x7012),
    (0x0028, 0x701C),
    (0x0028, 0x7023),
    (0x0040, 0x1101),
    (0x0040, 0x4035),
];

fn text(multi: bool) -> impl Strategy<Value = String> {
    if multi {
        "[ -\\[\\]-~]{0,9}"
    } else {
        "[ -~]{0,17}"
    }
}

fn op() -> impl Strategy<Value = Op> {
    let small = 0..4usize;
    prop_oneof![
        (prop::sample::select(&STRING_VRS[..]), text(false)).prop_map(|(vr, s)| Op::Str(vr, s)),
        (
            prop::sample::select(&MULTI_VRS[..]),
            prop::collection::vec(text(true), small.clone())
        )
            .prop_map(|(vr, s)| Op::Strs(vr, s)),
        prop::collection::vec(any::<u16>(), small.clone()).prop_map(Op::U16s),
        prop::collection::vec(any::<u32>(), small.clone()).prop_map(Op::U32s),
        prop::collection::vec(any::<i16>(), small.clone()).prop_map(Op::I16s),
        prop::collection::vec(any::<i32>(), small.clone()).prop_map(Op::I32s),
        prop::collection::vec(any::<f32>(), small.clone()).prop_map(Op::F32s),
        prop::collection::vec(any::<f64>(), small.clone()).prop_map(Op::F64s),
        prop::collection::vec(any::<u32>(), small).prop_map(Op::Tags),
        (
            prop::sample::select(&BINARY_VRS[..]),
            prop::collection::vec(any::<u8>(), 0..24)
        )
            .prop_map(|(vr, mut b)| {
                // Whole values for the fixed-size VRs; OB and UN may be odd (they get padded).
                if let Some(size) = vr.value_size() {
                    b.truncate(b.len() / size * size);
                }
                Op::Bytes(vr, b)
            }),
    ]
}

/// Sorted by tag, one node per tag: what PS3.5 §7.1 allows in a data set.
fn normalize(mut nodes: Vec<Node>) -> Vec<Node> {
    nodes.sort_by_key(Node::tag);
    nodes.dedup_by_key(|n| n.tag());
    nodes
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = (element_tag(), op()).prop_map(|(t, op)| Node::Element(t, op));
    leaf.prop_recursive(3, 24, 4, |inner| {
        (
            prop::sample::select(&SEQUENCE_TAGS[..]),
            prop::collection::vec(prop::collection::vec(inner, 0..4).prop_map(normalize), 0..3),
        )
            .prop_map(|((g, e), items)| Node::Sequence(Tag::new(g, e), items))
    })
}

fn dataset() -> impl Strategy<Value = Vec<Node>> {
    prop::collection::vec(node(), 0..8).prop_map(normalize)
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::ImplicitVrLittleEndian),
        Just(Encoding::ExplicitVrLittleEndian)
    ]
}

fn lengths() -> impl Strategy<Value = SequenceLength> {
    prop_oneof![
        Just(SequenceLength::Defined),
        Just(SequenceLength::Undefined)
    ]
}

fn write_op(w: &mut Writer<'_>, tag: Tag, op: &Op) -> Result<(), WriteError> {
    match op {
        Op::Str(vr, s) => w.string(tag, *vr, s),
        Op::Strs(vr, s) => {
            let values: Vec<&str> = s.iter().map(String::as_str).collect();
            w.strings(tag, *vr, &values)
        }
        Op::U16s(v) if v.len() == 1 => w.u16(tag, v[0]),
        Op::U16s(v) => w.u16s(tag, v),
        Op::U32s(v) if v.len() == 1 => w.u32(tag, v[0]),
        Op::U32s(v) => w.u32s(tag, v),
        Op::I16s(v) if v.len() == 1 => w.i16(tag, v[0]),
        Op::I16s(v) => w.i16s(tag, v),
        Op::I32s(v) if v.len() == 1 => w.i32(tag, v[0]),
        Op::I32s(v) => w.i32s(tag, v),
        Op::F32s(v) if v.len() == 1 => w.f32(tag, v[0]),
        Op::F32s(v) => w.f32s(tag, v),
        Op::F64s(v) if v.len() == 1 => w.f64(tag, v[0]),
        Op::F64s(v) => w.f64s(tag, v),
        Op::Tags(v) if v.len() == 1 => w.tag(tag, Tag(v[0])),
        Op::Tags(v) => w.tags(tag, &v.iter().map(|&t| Tag(t)).collect::<Vec<_>>()),
        Op::Bytes(vr, b) => w.bytes(tag, *vr, b),
    }
}

fn write_nodes(w: &mut Writer<'_>, nodes: &[Node]) -> Result<(), WriteError> {
    for n in nodes {
        match n {
            Node::Element(tag, op) => write_op(w, *tag, op)?,
            Node::Sequence(tag, items) => w.sequence(*tag, |seq| {
                for item in items {
                    seq.item(|w| write_nodes(w, item))?;
                }
                Ok(())
            })?,
        }
    }
    Ok(())
}

fn padded(mut bytes: Vec<u8>, pad: u8) -> Vec<u8> {
    if bytes.len() % 2 == 1 {
        bytes.push(pad);
    }
    bytes
}

/// The VR and wire value an operation should produce, computed without the writer.
fn expected_value(op: &Op) -> (Vr, Vec<u8>) {
    fn le<T: Copy, const N: usize>(v: &[T], f: fn(T) -> [u8; N]) -> Vec<u8> {
        v.iter().flat_map(|x| f(*x)).collect()
    }
    let pad = |vr: Vr| {
        if vr == Vr::UI || vr == Vr::OB || vr == Vr::UN {
            0
        } else {
            b' '
        }
    };
    match op {
        Op::Str(vr, s) => (*vr, padded(s.as_bytes().to_vec(), pad(*vr))),
        Op::Strs(vr, s) => (*vr, padded(s.join("\\").into_bytes(), pad(*vr))),
        Op::U16s(v) => (Vr::US, le(v, u16::to_le_bytes)),
        Op::U32s(v) => (Vr::UL, le(v, u32::to_le_bytes)),
        Op::I16s(v) => (Vr::SS, le(v, i16::to_le_bytes)),
        Op::I32s(v) => (Vr::SL, le(v, i32::to_le_bytes)),
        Op::F32s(v) => (Vr::FL, le(v, f32::to_le_bytes)),
        Op::F64s(v) => (Vr::FD, le(v, f64::to_le_bytes)),
        Op::Tags(v) => (
            Vr::AT,
            v.iter()
                .flat_map(|t| {
                    let [g0, g1] = ((t >> 16) as u16).to_le_bytes();
                    let [e0, e1] = (*t as u16).to_le_bytes();
                    [g0, g1, e0, e1]
                })
                .collect(),
        ),
        Op::Bytes(vr, b) => (*vr, padded(b.clone(), 0)),
    }
}

fn expected(nodes: &[Node], encoding: Encoding) -> Vec<Read> {
    nodes
        .iter()
        .map(|n| match n {
            Node::Element(tag, op) => {
                let (vr, value) = expected_value(op);
                let vr = if encoding.is_explicit() {
                    vr
                } else {
                    dictionary::vr(*tag).unwrap_or(Vr::UN)
                };
                Read::Element(*tag, vr, value)
            }
            Node::Sequence(tag, items) => {
                Read::Sequence(*tag, items.iter().map(|i| expected(i, encoding)).collect())
            }
        })
        .collect()
}

/// Rebuilds the tree from the reader's events, checking depths and pairing on the way.
fn read_tree(data: &[u8], encoding: Encoding) -> Result<Vec<Read>, ReadError> {
    fn items(r: &mut Reader<'_>, tag: Tag, depth: usize) -> Result<Vec<Vec<Read>>, ReadError> {
        let mut items = Vec::new();
        loop {
            match r.next().expect("sequence not closed")? {
                ReadEvent::ItemStart { depth: d } => {
                    assert_eq!(d, depth + 1);
                    items.push(dataset(r, depth + 1, true)?);
                }
                ReadEvent::SequenceEnd { tag: t, depth: d } => {
                    assert_eq!((t, d), (tag, depth));
                    return Ok(items);
                }
                other => panic!("in a sequence: {other:?}"),
            }
        }
    }
    fn dataset(r: &mut Reader<'_>, depth: usize, in_item: bool) -> Result<Vec<Read>, ReadError> {
        let mut out = Vec::new();
        loop {
            match r.next() {
                None => {
                    assert!(!in_item, "item not closed");
                    return Ok(out);
                }
                Some(event) => match event? {
                    ReadEvent::Element {
                        tag,
                        vr,
                        value,
                        depth: d,
                    } => {
                        assert_eq!(d, depth);
                        out.push(Read::Element(tag, vr, value.to_vec()));
                    }
                    ReadEvent::SequenceStart { tag, vr, depth: d } => {
                        assert_eq!((vr, d), (Vr::SQ, depth));
                        out.push(Read::Sequence(tag, items(r, tag, depth)?));
                    }
                    ReadEvent::ItemEnd { depth: d } if in_item => {
                        assert_eq!(d, depth);
                        return Ok(out);
                    }
                    other => panic!("in a data set: {other:?}"),
                },
            }
        }
    }
    let mut r = Reader::new(data, encoding);
    dataset(&mut r, 0, false)
}

fn encode(
    nodes: &[Node],
    encoding: Encoding,
    lengths: SequenceLength,
    filter: Option<&[u8]>,
) -> (Vec<u8>, Vec<Tag>) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = Writer::new(&mut buf, encoding).with_sequence_length(lengths);
    if let Some(list) = filter {
        w = w.with_filter(AttributeFilter::new(list).unwrap());
    }
    write_nodes(&mut w, nodes).unwrap();
    let missing = w.missing().collect();
    let n = w.written();
    buf.truncate(n);
    (buf, missing)
}

proptest! {
    #[test]
    fn written_data_sets_read_back_as_the_same_tree(
        nodes in dataset(),
        encoding in encoding(),
        lengths in lengths(),
    ) {
        let (bytes, missing) = encode(&nodes, encoding, lengths, None);
        prop_assert!(missing.is_empty());
        prop_assert_eq!(read_tree(&bytes, encoding), Ok(expected(&nodes, encoding)));
    }

    #[test]
    fn both_length_modes_carry_the_same_content(nodes in dataset(), encoding in encoding()) {
        let (defined, _) = encode(&nodes, encoding, SequenceLength::Defined, None);
        let (undefined, _) = encode(&nodes, encoding, SequenceLength::Undefined, None);
        prop_assert_eq!(read_tree(&defined, encoding), read_tree(&undefined, encoding));
    }

    #[test]
    fn the_reader_never_panics_on_arbitrary_bytes(
        data in prop::collection::vec(any::<u8>(), 0..256),
        encoding in encoding(),
    ) {
        let events = Reader::new(&data, encoding).take(1000).count();
        prop_assert!(events < 1000);
    }

    #[test]
    fn the_reader_never_panics_on_damaged_data_sets(
        nodes in dataset(),
        encoding in encoding(),
        lengths in lengths(),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let (mut bytes, _) = encode(&nodes, encoding, lengths, None);
        if !bytes.is_empty() {
            for (at, byte) in damage {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            let keep = cut.index(bytes.len() + 1);
            bytes.truncate(keep);
        }
        let mut r = Reader::new(&bytes, encoding);
        let mut steps = 0;
        while let Some(event) = r.next() {
            steps += 1;
            prop_assert!(steps < 10_000);
            if event.is_err() {
                prop_assert!(r.next().is_none());
                break;
            }
        }
        prop_assert!(r.offset() <= bytes.len());
    }

    #[test]
    fn the_filter_keeps_requested_and_produced_and_reports_the_rest(
        nodes in dataset(),
        extra in prop::collection::vec(element_tag(), 0..4),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        encoding in encoding(),
        lengths in lengths(),
    ) {
        // Requests drawn from what is produced, nested tags, and tags nobody writes.
        let mut pool: Vec<Tag> = nodes.iter().map(Node::tag).collect();
        fn nested(nodes: &[Node], out: &mut Vec<Tag>) {
            for n in nodes {
                if let Node::Sequence(_, items) = n {
                    for item in items {
                        out.extend(item.iter().map(Node::tag));
                        nested(item, out);
                    }
                }
            }
        }
        nested(&nodes, &mut pool);
        pool.extend(extra);
        let requested: Vec<Tag> = if pool.is_empty() {
            Vec::new()
        } else {
            picks.iter().map(|i| pool[i.index(pool.len())]).collect()
        };
        let list: Vec<u8> = requested.iter().flat_map(|t| t.to_le_bytes()).collect();

        let (bytes, missing) = encode(&nodes, encoding, lengths, Some(&list));
        let tree = read_tree(&bytes, encoding).unwrap();

        let produced: Vec<Tag> = nodes.iter().map(Node::tag).collect();
        let wanted: BTreeSet<Tag> = requested.iter().copied().collect();
        let full = expected(&nodes, encoding);
        let kept: Vec<Read> = if requested.is_empty() {
            full
        } else {
            full.into_iter()
                .filter(|r| match r {
                    Read::Element(t, ..) | Read::Sequence(t, _) => wanted.contains(t),
                })
                .collect()
        };
        prop_assert_eq!(tree, kept);

        let mut expected_missing = Vec::new();
        for t in &requested {
            if !produced.contains(t) && !expected_missing.contains(t) {
                expected_missing.push(*t);
            }
        }
        prop_assert_eq!(missing, expected_missing);
    }
}
