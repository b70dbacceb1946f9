//! Reading one PDU into a value: dimse-core against dicom-ul 0.10.1's `read_pdu`, on the same
//! bytes in the same process.
//!
//! Three inputs:
//! - `rq-pynetdicom`: the A-ASSOCIATE-RQ pynetdicom 3.0.4 sends for a Display System N-GET
//!   (`tests/vectors/a-associate-rq-display.hex`, 293 bytes, 2 presentation contexts);
//! - `rq-32`: an A-ASSOCIATE-RQ with 32 presentation contexts (32 storage SOP classes, each
//!   with pynetdicom's four default transfer syntaxes), emitted by the core;
//! - `pdata-nget`: a P-DATA-TF carrying an N-GET-RQ command (Display System, one PDV),
//!   emitted by the core.
//!
//! Our side is the whole-PDU walk over the core's unit parsers, the closest thing in the core to
//! "read the PDU into a value": the PDU header ([`PduHeader`]), for an A-ASSOCIATE-RQ the fixed
//! part ([`AssociateFixed`], both AE titles trimmed) and every item and sub-item as a typed view
//! ([`ItemIter`], [`SubItemIter`](dimse_core::pdu::SubItemIter): each UID checked, each value typed), for a P-DATA-TF every
//! PDV ([`PdvHeader`] and its fragment). It borrows from the input and allocates nothing; dicom-ul
//! copies into `String`s and `Vec`s. The negotiation a `Connection` does afterwards (matching
//! the proposal against its policy) is not counted: dicom-ul's `read_pdu` does none either.
//!
//! `cargo run --release -p dimse-core --example parse_bench` runs every input on both sides
//! and prints the time per parse and the ratios. `-- N INPUT SIDE` (SIDE `ours` or `dicom-ul`)
//! parses INPUT N times on one side only, for `valgrind --tool=callgrind` at two values of N
//! (`scripts/bench` does that: the difference of the two counts, divided, is the instructions
//! per parse).

use std::hint::black_box;
use std::time::Instant as Clock;

use dimse_core::dimse::NGetRq;
use dimse_core::pdu::{
    AeTitle, AssociateFixed, AssociateRq, Item, ItemIter, MessageControlHeader, PDataTf, Parse,
    PduHeader, PduType, Pdv, PdvHeader, PresentationContextRq, SubItem, UserInformation,
    APPLICATION_CONTEXT_NAME, PDU_HEADER_LEN,
};
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};

const INPUTS: [&str; 3] = ["rq-pynetdicom", "rq-32", "pdata-nget"];

/// Storage SOP classes for the 32-context proposal.
static SOP_CLASSES: [&str; 32] = [
    "1.2.840.10008.5.1.4.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.2",
    "1.2.840.10008.5.1.4.1.1.1.2.1",
    "1.2.840.10008.5.1.4.1.1.1.3",
    "1.2.840.10008.5.1.4.1.1.1.3.1",
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.5.1.4.1.1.2.1",
    "1.2.840.10008.5.1.4.1.1.2.2",
    "1.2.840.10008.5.1.4.1.1.3.1",
    "1.2.840.10008.5.1.4.1.1.4",
    "1.2.840.10008.5.1.4.1.1.4.1",
    "1.2.840.10008.5.1.4.1.1.4.2",
    "1.2.840.10008.5.1.4.1.1.4.3",
    "1.2.840.10008.5.1.4.1.1.4.4",
    "1.2.840.10008.5.1.4.1.1.6.1",
    "1.2.840.10008.5.1.4.1.1.6.2",
    "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.1.7.1",
    "1.2.840.10008.5.1.4.1.1.7.2",
    "1.2.840.10008.5.1.4.1.1.7.3",
    "1.2.840.10008.5.1.4.1.1.7.4",
    "1.2.840.10008.5.1.4.1.1.12.1",
    "1.2.840.10008.5.1.4.1.1.12.2",
    "1.2.840.10008.5.1.4.1.1.20",
    "1.2.840.10008.5.1.4.1.1.128",
    "1.2.840.10008.5.1.4.1.1.481.1",
    "1.2.840.10008.5.1.4.1.1.481.2",
    "1.2.840.10008.5.1.4.1.1.481.3",
    "1.2.840.10008.5.1.4.1.1.481.5",
    "1.2.840.10008.5.1.4.1.1.88.11",
];

/// pynetdicom's default transfer syntaxes: Implicit VR LE, Explicit VR LE, Deflated Explicit
/// VR LE, Explicit VR BE.
static TS4: [&str; 4] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let inputs: Vec<(&str, Vec<u8>)> = INPUTS.iter().map(|&i| (i, input(i))).collect();
    // Both sides must read every input, and agree on what they read.
    for (name, bytes) in &inputs {
        let ours = ours(bytes).unwrap_or_else(|| panic!("{name}: dimse-core rejects it"));
        let theirs = dicom_ul(bytes).unwrap_or_else(|| panic!("{name}: dicom-ul rejects it"));
        assert_eq!(ours, theirs, "{name}: the two sides read different things");
    }
    if let (Some(n), Some(name), Some(side)) = (
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
        args.get(2),
        args.get(3),
    ) {
        let bytes = &inputs
            .iter()
            .find(|(i, _)| i == name)
            .unwrap_or_else(|| panic!("input: one of {INPUTS:?}"))
            .1;
        let f: fn(&[u8]) -> Option<Summary> = match side.as_str() {
            "ours" => ours,
            "dicom-ul" => dicom_ul,
            _ => panic!("side: ours or dicom-ul"),
        };
        let ns = time(n, bytes, f);
        println!("{name} {side} {ns:.1} ns per parse ({} bytes)", bytes.len());
        return;
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    for (name, bytes) in &inputs {
        // Interleaved rounds, the best of each side: this machine's speed moves.
        let (mut best_ours, mut best_theirs) = (f64::MAX, f64::MAX);
        for _ in 0..5 {
            best_ours = best_ours.min(time(n, bytes, ours));
            best_theirs = best_theirs.min(time(n / 4, bytes, dicom_ul));
        }
        println!(
            "{name:>14} ({:>4} bytes): dimse-core {best_ours:>8.1} ns, dicom-ul {best_theirs:>8.1} ns per parse, ratio {:.1}x",
            bytes.len(),
            best_theirs / best_ours
        );
    }
}

/// Nanoseconds per parse over `n` parses.
fn time(n: usize, bytes: &[u8], f: fn(&[u8]) -> Option<Summary>) -> f64 {
    let start = Clock::now();
    for _ in 0..n {
        black_box(f(black_box(bytes)));
    }
    start.elapsed().as_nanos() as f64 / n.max(1) as f64
}

fn input(name: &str) -> Vec<u8> {
    match name {
        "rq-pynetdicom" => {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/vectors/a-associate-rq-display.hex"
            );
            let text = std::fs::read_to_string(path).expect("vector");
            let hex: String = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .flat_map(|l| l.trim().chars())
                .collect();
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect()
        }
        "rq-32" => {
            let contexts: Vec<PresentationContextRq> = SOP_CLASSES
                .iter()
                .enumerate()
                .map(|(i, &abstract_syntax)| PresentationContextRq {
                    id: (2 * i + 1) as u8,
                    abstract_syntax,
                    transfer_syntaxes: &TS4,
                })
                .collect();
            let title = |s| AeTitle::new(s).expect("AE title");
            let rq = AssociateRq {
                fixed: AssociateFixed::new(title("STORE_SCP"), title("STORE_SCU")),
                application_context: APPLICATION_CONTEXT_NAME,
                presentation_contexts: &contexts,
                user_information: UserInformation {
                    max_length: 16382,
                    implementation_class_uid: "1.2.826.0.1.3680043.9.3811.3.0.4",
                    implementation_version_name: Some("PYNETDICOM_304"),
                    ..UserInformation::default()
                },
            };
            let mut buf = vec![0u8; rq.buffer_len()];
            let len = rq.emit(&mut buf).expect("emit");
            buf.truncate(len);
            buf
        }
        "pdata-nget" => {
            let mut command = [0u8; 256];
            let clen = NGetRq {
                message_id: 1,
                requested_sop_class_uid: DISPLAY_SYSTEM,
                requested_sop_instance_uid: DISPLAY_SYSTEM_INSTANCE,
                attribute_identifier_list: None,
            }
            .emit(&mut command)
            .expect("command");
            let pdata = PDataTf {
                pdvs: &[Pdv {
                    context_id: 1,
                    control: MessageControlHeader::new(true, true),
                    data: &command[..clen],
                }],
            };
            let mut buf = vec![0u8; pdata.buffer_len()];
            let len = pdata.emit(&mut buf).expect("emit");
            buf.truncate(len);
            buf
        }
        _ => panic!("input: one of {INPUTS:?}"),
    }
}

/// What both sides read, compared once before timing: for an A-ASSOCIATE-RQ the presentation
/// contexts, the UIDs and the user-information sub-items; for a P-DATA-TF the PDVs and their
/// bytes.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    contexts: usize,
    uids: usize,
    uid_bytes: usize,
    user_items: usize,
    pdvs: usize,
    pdv_bytes: usize,
}

fn empty() -> Summary {
    Summary {
        contexts: 0,
        uids: 0,
        uid_bytes: 0,
        user_items: 0,
        pdvs: 0,
        pdv_bytes: 0,
    }
}

/// dimse-core: the whole PDU walked into typed views (see the module documentation).
fn ours(pdu: &[u8]) -> Option<Summary> {
    let Ok(Parse::Complete(header, _)) = PduHeader::parse(pdu) else {
        return None;
    };
    let body = pdu.get(PDU_HEADER_LEN..PDU_HEADER_LEN + header.length as usize)?;
    let mut s = empty();
    match header.pdu_type {
        PduType::AssociateRq => {
            let Parse::Complete(fixed, n) = AssociateFixed::parse(body) else {
                return None;
            };
            black_box((
                fixed.protocol_version,
                fixed.called_ae(),
                fixed.calling_ae(),
            ));
            let uid = |s: &mut Summary, u: &str| {
                s.uids += 1;
                s.uid_bytes += u.len();
            };
            for item in ItemIter::new(&body[n..]) {
                match item.ok()? {
                    Item::ApplicationContext(SubItem::ApplicationContext(u)) => uid(&mut s, u),
                    Item::ApplicationContext(_) => return None,
                    Item::PresentationContextRq(id, subs) => {
                        black_box(id);
                        s.contexts += 1;
                        for sub in subs {
                            match black_box(sub.ok()?) {
                                SubItem::AbstractSyntax(u) | SubItem::TransferSyntax(u) => {
                                    uid(&mut s, u)
                                }
                                _ => return None,
                            }
                        }
                    }
                    Item::UserInformation(subs) => {
                        for sub in subs {
                            let sub = black_box(sub.ok()?);
                            s.user_items += 1;
                            if let SubItem::ImplementationClassUid(u) = sub {
                                uid(&mut s, u);
                            }
                        }
                    }
                    Item::PresentationContextAc(..) | Item::Unknown(_) => return None,
                }
            }
        }
        PduType::PDataTf => {
            let mut rest = body;
            while !rest.is_empty() {
                let Ok(Parse::Complete(h, n)) = PdvHeader::parse(rest) else {
                    return None;
                };
                let data = rest.get(n..n + h.fragment_len() as usize)?;
                black_box((h.context_id, h.control, data));
                s.pdvs += 1;
                s.pdv_bytes += data.len();
                rest = &rest[n + data.len()..];
            }
        }
        _ => return None,
    }
    Some(s)
}

/// dicom-ul 0.10.1: `read_pdu` into its owned `Pdu`, strict, with the largest max PDU length.
fn dicom_ul(pdu: &[u8]) -> Option<Summary> {
    use dicom_ul::pdu::{Pdu, UserVariableItem, MAXIMUM_PDU_SIZE};
    let pdu = dicom_ul::read_pdu(pdu, MAXIMUM_PDU_SIZE, true).ok()??;
    let mut s = empty();
    match &pdu {
        Pdu::AssociationRQ(rq) => {
            let uid = |s: &mut Summary, u: &str| {
                s.uids += 1;
                s.uid_bytes += u.len();
            };
            uid(&mut s, &rq.application_context_name);
            for pc in &rq.presentation_contexts {
                s.contexts += 1;
                uid(&mut s, &pc.abstract_syntax);
                for ts in &pc.transfer_syntaxes {
                    uid(&mut s, ts);
                }
            }
            for v in &rq.user_variables {
                s.user_items += 1;
                if let UserVariableItem::ImplementationClassUID(u) = v {
                    uid(&mut s, u);
                }
            }
        }
        Pdu::PData { data } => {
            for pdv in data {
                s.pdvs += 1;
                s.pdv_bytes += pdv.data.len();
            }
        }
        _ => return None,
    }
    black_box(&pdu);
    Some(s)
}
