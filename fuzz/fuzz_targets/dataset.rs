//! `dataset::Reader` and `Writer::encoded` over arbitrary bytes in both encodings (no panic,
//! bounded depth, a bounded number of events, balanced starts and ends; a copy that is a
//! prefix of the input, and `EncodedExtent::check` agreeing with it), and a write → read round trip of an arbitrary tree of attributes
//! built through `dataset::Writer`, also copied through `Writer::encoded`.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use dimse_core::dataset::{
    dictionary, EncodedExtent, Encoding, ReadError, ReadEvent, Reader, SequenceLength, Tag, Vr,
    WriteError, Writer, MAX_DEPTH,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    read_arbitrary(data, Encoding::ImplicitVrLittleEndian);
    read_arbitrary(data, Encoding::ExplicitVrLittleEndian);
    copy_arbitrary(data, Encoding::ImplicitVrLittleEndian);
    copy_arbitrary(data, Encoding::ExplicitVrLittleEndian);
    if let Ok(tree) = Tree::arbitrary_take_rest(Unstructured::new(data)) {
        round_trip(&tree);
    }
});

/// `Writer::encoded` over arbitrary bytes: no panic, and what it copies is a prefix of them
/// (all of them when it succeeds).
fn copy_arbitrary(data: &[u8], encoding: Encoding) {
    let mut buf = vec![0u8; data.len()];
    let (result, n) = {
        let mut w = Writer::new(&mut buf, encoding);
        (w.encoded(data), w.written())
    };
    assert!(n <= data.len());
    if result.is_ok() {
        assert_eq!(n, data.len());
    }
    assert_eq!(&buf[..n], &data[..n]);
    // `EncodedExtent::check` accepts what `encoded` copies whole, and nothing else; the
    // one-copy path then writes the same bytes.
    let extent = EncodedExtent::check(data, encoding);
    assert_eq!(extent.is_ok(), result.is_ok(), "{extent:?} {result:?}");
    if let Ok(extent) = extent {
        let mut again = vec![0u8; data.len()];
        let mut w = Writer::new(&mut again, encoding);
        assert_eq!(w.encoded_checked(data, extent), Ok(()));
        assert_eq!(w.written(), data.len());
        assert_eq!(again, data);
    }
}

/// What is still open while reading.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Sequence(Tag),
    Item,
}

fn read_arbitrary(data: &[u8], encoding: Encoding) {
    let mut r = Reader::new(data, encoding);
    let mut open: Vec<Open> = Vec::new();
    let mut events = 0usize;
    // Every header is at least 8 bytes, and every end closes a start.
    let bound = 2 * (data.len() / 8) + 1;
    let mut failed = false;
    while let Some(ev) = r.next() {
        events += 1;
        assert!(events <= bound, "{events} events from {} bytes", data.len());
        assert!(r.offset() <= data.len());
        assert!(r.depth() <= MAX_DEPTH, "depth {} > {MAX_DEPTH}", r.depth());
        let sequences = open
            .iter()
            .filter(|o| matches!(o, Open::Sequence(_)))
            .count();
        match ev {
            Ok(ReadEvent::Element { depth, value, .. }) => {
                assert_eq!(depth, sequences);
                assert!(value.len() <= data.len());
            }
            Ok(ReadEvent::SequenceStart { tag, vr, depth }) => {
                assert_eq!(depth, sequences);
                assert!(vr == Vr::SQ || vr == Vr::UN);
                open.push(Open::Sequence(tag));
            }
            Ok(ReadEvent::ItemStart { depth }) => {
                assert!(matches!(open.last(), Some(Open::Sequence(_))));
                assert_eq!(depth, sequences);
                open.push(Open::Item);
            }
            Ok(ReadEvent::ItemEnd { depth }) => {
                assert_eq!(open.pop(), Some(Open::Item));
                assert_eq!(depth, sequences);
            }
            Ok(ReadEvent::SequenceEnd { tag, depth }) => {
                assert_eq!(open.pop(), Some(Open::Sequence(tag)));
                assert_eq!(depth, sequences - 1);
            }
            Err(e) => {
                failed = true;
                if e == ReadError::TooDeep {
                    assert_eq!(sequences, MAX_DEPTH);
                }
                break;
            }
        }
        assert!(open.len() <= 2 * MAX_DEPTH);
    }
    // Fused: nothing after the end or an error.
    assert!(r.next().is_none());
    if !failed {
        // A walk that ended cleanly closed everything and read everything.
        assert!(open.is_empty(), "ended with {open:?} open");
        assert_eq!(r.offset(), data.len());
    }
}

/// A small tree of attributes, as arbitrary makes it.
#[derive(Debug, Arbitrary)]
struct Tree {
    explicit: bool,
    undefined_lengths: bool,
    root: Vec<Node>,
}

#[derive(Debug, Arbitrary)]
enum Node {
    Element { tag: u32, vr: u8, value: Vec<u8> },
    Sequence { tag: u32, items: Vec<Vec<Node>> },
}

/// Tags PS3.6 gives VR SQ, for sequences in Implicit VR with defined lengths (where the
/// reader only knows a sequence from the dictionary).
const SQ_TAGS: [Tag; 6] = [
    Tag::new(0x0008, 0x1115),
    Tag::new(0x0008, 0x1140),
    Tag::new(0x0008, 0x1199),
    Tag::new(0x0028, 0x7023),
    Tag::new(0x0040, 0x0275),
    Tag::new(0x0040, 0xA730),
];

/// A node made writable and readable back unambiguously in one encoding.
#[derive(Debug, Clone)]
enum Norm {
    Element { tag: Tag, vr: Vr, value: Vec<u8> },
    Sequence { tag: Tag, items: Vec<Vec<Norm>> },
}

impl Norm {
    fn tag(&self) -> Tag {
        match self {
            Norm::Element { tag, .. } | Norm::Sequence { tag, .. } => *tag,
        }
    }
}

struct Rules {
    encoding: Encoding,
    lengths: SequenceLength,
}

impl Rules {
    fn implicit(&self) -> bool {
        !self.encoding.is_explicit()
    }

    /// Normalises one data set or item: drops what the writer refuses by design or what
    /// Implicit VR cannot tell apart, sorts by tag, keeps the first of equal tags.
    fn list(&self, nodes: &[Node]) -> Vec<Norm> {
        let mut out: Vec<Norm> = nodes.iter().filter_map(|n| self.node(n)).collect();
        out.sort_by_key(Norm::tag);
        out.dedup_by_key(|n| n.tag());
        out
    }

    fn node(&self, n: &Node) -> Option<Norm> {
        match n {
            Node::Element { tag, vr, value } => {
                let tag = Tag(*tag);
                if tag.group() == 0xFFFE {
                    return None; // delimiters are not elements
                }
                if self.implicit() && dictionary::vr(tag) == Some(Vr::SQ) {
                    return None; // read back as a sequence
                }
                let vr = match Vr::ALL[usize::from(*vr) % Vr::ALL.len()] {
                    Vr::SQ => Vr::UN,
                    vr => vr,
                };
                let mut value = value.clone();
                value.truncate(0xFFFE);
                if let Some(size) = vr.value_size() {
                    value.truncate(value.len() - value.len() % size);
                } else if !(vr.is_string() || matches!(vr, Vr::OB | Vr::UN)) {
                    value.truncate(value.len() & !1);
                }
                Some(Norm::Element { tag, vr, value })
            }
            Node::Sequence { tag, items } => {
                let mut tag = Tag(*tag);
                if tag.group() == 0xFFFE {
                    return None;
                }
                if self.implicit()
                    && self.lengths == SequenceLength::Defined
                    && dictionary::vr(tag) != Some(Vr::SQ)
                {
                    tag = SQ_TAGS[tag.0 as usize % SQ_TAGS.len()];
                }
                let items = items.iter().map(|i| self.list(i)).collect();
                Some(Norm::Sequence { tag, items })
            }
        }
    }

    /// The events the reader must give for `nodes` at `depth`.
    fn expected(&self, nodes: &[Norm], depth: usize, out: &mut Vec<Expected>) {
        for n in nodes {
            match n {
                Norm::Element { tag, vr, value } => {
                    let mut v = value.clone();
                    if v.len() % 2 == 1 {
                        v.push(vr.padding());
                    }
                    let vr = if self.implicit() {
                        dictionary::vr(*tag).unwrap_or(Vr::UN)
                    } else {
                        *vr
                    };
                    out.push(Expected::Element(*tag, vr, v, depth));
                }
                Norm::Sequence { tag, items } => {
                    let vr = if self.implicit() && dictionary::vr(*tag) == Some(Vr::UN) {
                        Vr::UN
                    } else {
                        Vr::SQ
                    };
                    out.push(Expected::SequenceStart(*tag, vr, depth));
                    for item in items {
                        out.push(Expected::ItemStart(depth + 1));
                        self.expected(item, depth + 1, out);
                        out.push(Expected::ItemEnd(depth + 1));
                    }
                    out.push(Expected::SequenceEnd(*tag, depth));
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expected {
    Element(Tag, Vr, Vec<u8>, usize),
    SequenceStart(Tag, Vr, usize),
    ItemStart(usize),
    ItemEnd(usize),
    SequenceEnd(Tag, usize),
}

fn nesting(nodes: &[Norm]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Norm::Element { .. } => 0,
            Norm::Sequence { items, .. } => 1 + items.iter().map(|i| nesting(i)).max().unwrap_or(0),
        })
        .max()
        .unwrap_or(0)
}

fn write(w: &mut Writer<'_>, nodes: &[Norm]) -> Result<(), WriteError> {
    for n in nodes {
        match n {
            Norm::Element { tag, vr, value } => w.bytes(*tag, *vr, value)?,
            Norm::Sequence { tag, items } => w.sequence(*tag, |seq| {
                for item in items {
                    seq.item(|w| write(w, item))?;
                }
                Ok(())
            })?,
        }
    }
    Ok(())
}

fn size(nodes: &[Norm]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Norm::Element { value, .. } => 16 + value.len(),
            Norm::Sequence { items, .. } => 24 + items.iter().map(|i| 16 + size(i)).sum::<usize>(),
        })
        .sum()
}

fn round_trip(tree: &Tree) {
    assert!(SQ_TAGS.iter().all(|&t| dictionary::vr(t) == Some(Vr::SQ)));
    let rules = Rules {
        encoding: if tree.explicit {
            Encoding::ExplicitVrLittleEndian
        } else {
            Encoding::ImplicitVrLittleEndian
        },
        lengths: if tree.undefined_lengths {
            SequenceLength::Undefined
        } else {
            SequenceLength::Defined
        },
    };
    let nodes = rules.list(&tree.root);
    let mut buf = vec![0u8; size(&nodes)];
    let mut w = Writer::new(&mut buf, rules.encoding).with_sequence_length(rules.lengths);
    let written = write(&mut w, &nodes);
    let deep = nesting(&nodes) > MAX_DEPTH;
    match written {
        Err(WriteError::TooDeep) if deep => return,
        Err(e) => panic!("write failed with {e:?} (nesting {})", nesting(&nodes)),
        Ok(()) => assert!(!deep, "nesting {} written", nesting(&nodes)),
    }
    let n = w.written();
    let bytes = &buf[..n];
    // Copied through `Writer::encoded`, the elements come out unchanged.
    let mut copy = vec![0u8; n];
    let mut c = Writer::new(&mut copy, rules.encoding);
    assert_eq!(c.encoded(bytes), Ok(()));
    assert_eq!(c.written(), n);
    assert_eq!(copy, bytes);

    let mut want = Vec::new();
    rules.expected(&nodes, 0, &mut want);
    let got: Vec<Expected> = Reader::new(bytes, rules.encoding)
        .map(|ev| match ev {
            Ok(ReadEvent::Element {
                tag,
                vr,
                value,
                depth,
            }) => Expected::Element(tag, vr, value.to_vec(), depth),
            Ok(ReadEvent::SequenceStart { tag, vr, depth }) => {
                Expected::SequenceStart(tag, vr, depth)
            }
            Ok(ReadEvent::ItemStart { depth }) => Expected::ItemStart(depth),
            Ok(ReadEvent::ItemEnd { depth }) => Expected::ItemEnd(depth),
            Ok(ReadEvent::SequenceEnd { tag, depth }) => Expected::SequenceEnd(tag, depth),
            Err(e) => panic!("reading back what was written: {e:?}"),
        })
        .collect();
    assert_eq!(got, want, "write → read round trip");
}
