//! Seed inputs for every fuzz target, made from the byte-exact vectors in
//! `core/tests/vectors/*.hex` (std only).
//!
//! Its includer includes `acceptor_input.rs` beside it as `acceptor_input`. Used by
//! `fuzz/seed.rs` (which `scripts/fuzz` compiles with plain `rustc` to fill
//! `fuzz/corpus/<target>/`) and by `core/tests/fuzz_regressions.rs` (which replays them
//! through the shared harness).

use std::path::Path;

use super::acceptor_input::{self as acceptor, Answer, Flags};

/// Schedule entries of an acceptor input: (stream position, code).
type Entries = Vec<(u16, u8)>;

/// One seed: the target it is for, a file name, the bytes.
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The bytes of a vector file: every hex digit outside `#` comment lines.
pub fn decode_hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.bytes())
        .filter(u8::is_ascii_hexdigit)
        .collect();
    digits
        .chunks_exact(2)
        .map(|p| {
            let s = std::str::from_utf8(p).expect("hex digits are ASCII");
            u8::from_str_radix(s, 16).expect("two hex digits")
        })
        .collect()
}

/// Every vector in `dir`, by name (without `.hex`), sorted.
pub fn vectors(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".hex")?.to_owned();
            let text = std::fs::read_to_string(&path).ok()?;
            Some((name, decode_hex(&text)))
        })
        .collect();
    out.sort();
    out
}

/// The PDUs of a stream, each whole (header included); a truncated tail is dropped.
pub fn pdus(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(h) = stream.get(at..at + 6) {
        let len = u32::from_be_bytes([h[2], h[3], h[4], h[5]]) as usize;
        let Some(pdu) = stream.get(at..at + 6 + len) else {
            break;
        };
        out.push(pdu);
        at += 6 + len;
    }
    out
}

/// The command sets and data sets a stream's P-DATA-TF PDUs carry, reassembled from their
/// fragments, in order.
pub fn messages(stream: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut commands, mut data_sets) = (Vec::new(), Vec::new());
    let (mut command, mut data) = (Vec::new(), Vec::new());
    for pdu in pdus(stream).into_iter().filter(|p| p[0] == 0x04) {
        let mut at = 6;
        while let Some(h) = pdu.get(at..at + 6) {
            let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let mch = h[5];
            let Some(fragment) = len.checked_sub(2).and_then(|n| pdu.get(at + 6..at + 6 + n))
            else {
                break;
            };
            let (value, done) = if mch & 1 != 0 {
                (&mut command, &mut commands)
            } else {
                (&mut data, &mut data_sets)
            };
            value.extend_from_slice(fragment);
            if mch & 2 != 0 {
                done.push(std::mem::take(value));
            }
            at += 6 + fragment.len();
        }
    }
    (commands, data_sets)
}

/// A one-PDV command stream with its Message ID (0000,0110) set to `id`.
pub fn with_message_id(stream: &[u8], id: u16) -> Vec<u8> {
    const ELEMENT: [u8; 8] = [0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00];
    let mut out = stream.to_vec();
    let at = out
        .windows(ELEMENT.len())
        .position(|w| w == ELEMENT)
        .expect("a command with a Message ID")
        + ELEMENT.len();
    out[at..at + 2].copy_from_slice(&id.to_le_bytes());
    out
}

/// The seeds of every target.
pub fn corpus(vector_dir: &Path) -> Vec<Seed> {
    let vectors = vectors(vector_dir);
    let get = |name: &str| -> Vec<u8> {
        vectors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("vector {name} is missing"))
    };
    let mut seeds = Vec::new();
    let mut seed = |target: &'static str, name: String, bytes: Vec<u8>| {
        seeds.push(Seed {
            target,
            name,
            bytes,
        });
    };

    for (name, bytes) in &vectors {
        seed("pdu", name.clone(), bytes.clone());
        let (commands, data_sets) = messages(bytes);
        for (k, c) in commands.into_iter().enumerate() {
            seed("command", format!("{name}-{k}"), c);
        }
        for (k, d) in data_sets.into_iter().enumerate() {
            seed("dataset", format!("{name}-{k}"), d);
        }
    }

    // The acceptor: whole conversations (request, each DIMSE request, release) with a
    // boundary after each PDU (where the application answers), fed with every answer mode
    // and a few splits and clocks; and every vector on its own.
    let requests = [
        "n-get-rq-attr-list",
        "n-get-rq-empty-list",
        "n-get-rq-no-list",
        "c-echo-rq",
    ];
    let plain = Flags {
        answer: Answer::Small,
        out_len: 16384,
        bytewise: false,
        small: false,
        immediate: false,
    };
    let pos = |n: usize| u16::try_from(n).expect("a short stream");
    for rq in [
        "a-associate-rq-display",
        "a-associate-rq-role-async",
        "a-associate-rq-userid",
    ] {
        let mut stream = get(rq);
        let mut ends = vec![pos(stream.len())];
        // Distinct Message IDs: a repeated one while the first waits is a duplicate (0210H).
        for (id, r) in (1..).zip(requests) {
            stream.extend(with_message_id(&get(r), id));
            ends.push(pos(stream.len()));
        }
        stream.extend(get("a-release-rq"));
        let after_rq = ends[0];
        let mid = pos(stream.len() / 2);
        // A boundary (1 ms) after each PDU.
        let each: Vec<(u16, u8)> = ends.iter().map(|&e| (e, acceptor::code(1, 0))).collect();
        let answers = [
            ("small", Answer::Small),
            ("big", Answer::Big),
            ("never", Answer::Never),
            ("fail", Answer::Fail),
        ];
        for (label, answer) in answers {
            let flags = Flags { answer, ..plain };
            seed(
                "acceptor",
                format!("{rq}-conversation-{label}"),
                acceptor::encode(flags, &each, &stream),
            );
        }
        let variants: [(&str, Flags, Entries); 5] = [
            (
                "immediate",
                Flags {
                    immediate: true,
                    ..plain
                },
                Vec::new(),
            ),
            (
                "bytewise",
                Flags {
                    bytewise: true,
                    out_len: 1024,
                    ..plain
                },
                each.clone(),
            ),
            (
                "small-limits",
                Flags {
                    small: true,
                    out_len: 512,
                    ..plain
                },
                [each.clone(), vec![(mid, acceptor::code(0, 0))]].concat(),
            ),
            (
                "timeouts",
                Flags {
                    answer: Answer::Never,
                    ..plain
                },
                vec![
                    (after_rq, acceptor::code(5, 0)),
                    (mid, acceptor::code(6, 0)),
                    (mid, acceptor::code(0, 5)),
                ],
            ),
            (
                "release-collision",
                plain,
                [vec![(after_rq, acceptor::code(1, 5))], each.clone()].concat(),
            ),
        ];
        for (label, flags, entries) in variants {
            seed(
                "acceptor",
                format!("{rq}-conversation-{label}"),
                acceptor::encode(flags, &entries, &stream),
            );
        }
    }
    for (name, bytes) in &vectors {
        seed(
            "acceptor",
            format!("{name}-alone"),
            acceptor::encode(plain, &[], bytes),
        );
    }
    seeds
}
