//! `dimse demo`: a requestor core (the SCU) and an acceptor core (the
//! Display System SCP) wired together in memory, printing every PDU and event of an
//! association: negotiation, a Display System N-GET answered from a small static data set, a
//! C-ECHO, and release.

use dimse::core::assoc::{
    AcceptorPolicy, RequestorConfig, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};
use dimse::core::connection::Storage;
use dimse::core::dataset::{self, Attribute, Encoding, Reader, Tag, Value, Vr};
use dimse::core::dimse::{Operation, Status};
use dimse::core::pdu::{AeTitle, PduType, PresentationContextRq};
use dimse::core::service;
use dimse::core::{Connection, Event, Instant, Output};

use service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE as DISPLAY_INSTANCE, VERIFICATION};

const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);
const INSTITUTION_NAME: Tag = Tag::new(0x0008, 0x0080);
const MODEL_NAME: Tag = Tag::new(0x0008, 0x1090);
const SERIAL_NUMBER: Tag = Tag::new(0x0018, 0x1000);

/// What the SCP knows about its display: the N-GET answers from it, keeping the attributes
/// asked for.
static DISPLAY: [Attribute<'static>; 4] = [
    Attribute::new(MANUFACTURER, Value::Str(Vr::LO, "ACME")),
    Attribute::new(INSTITUTION_NAME, Value::Str(Vr::LO, "General Hospital")),
    Attribute::new(MODEL_NAME, Value::Str(Vr::LO, "DiagView 3MP")),
    Attribute::new(SERIAL_NUMBER, Value::Str(Vr::LO, "SN-0001")),
];

/// The attributes the SCU asks for.
static ASKED: [Tag; 2] = [MANUFACTURER, SERIAL_NUMBER];

fn describe(pdu: &[u8]) -> String {
    let name = pdu
        .first()
        .and_then(|&t| PduType::from_u8(t))
        .map_or("?", PduType::name);
    format!("{name} ({} bytes)", pdu.len())
}

fn status(code: u16) -> String {
    format!("{code:04X}H ({})", service::meaning(code))
}

/// Prints the top-level elements of a received data set.
fn print_data_set(data: &[u8], encoding: Encoding) {
    for ev in Reader::new(data, encoding) {
        match ev {
            Ok(dataset::ReadEvent::Element {
                tag,
                vr,
                value,
                depth: 0,
            }) => out!(
                "        {tag} {vr} {:<24} {:?}",
                dataset::dictionary::keyword(tag).unwrap_or("?"),
                dataset::value::string(value).unwrap_or("(binary)")
            ),
            Ok(_) => {}
            Err(e) => {
                out!("        unreadable data set: {e:?}");
                return;
            }
        }
    }
}

/// Runs the drain contract on one side: feeds it `input` (keeping what it does not take),
/// prints its events (the SCP answers an N-GET from `DISPLAY` as it comes) and returns the
/// PDUs it sent, printed as a driver writes them: together, once the side is idle.
fn drive(who: &str, conn: &mut Connection<'_>, now: Instant, input: &mut Vec<u8>) -> Vec<u8> {
    // Room for the A-ASSOCIATE-RQ/AC, and for P-DATA of the peer's maximum (16 KiB here).
    let mut buf = vec![0u8; conn.min_output_len().max(64 * 1024)];
    let mut wire = Vec::new();
    let mut pdus = Vec::new();
    let used = conn.handle_input(now, input);
    input.drain(..used);
    loop {
        let ev = match conn.poll_output(&mut buf).expect("room for any PDU") {
            Output::Transmit(n) => {
                wire.extend_from_slice(&buf[..n]);
                pdus.push(n);
                continue;
            }
            Output::Reoffer => {
                let used = conn.handle_input(now, input);
                input.drain(..used);
                continue;
            }
            Output::Idle { .. } => break,
            Output::Event(ev) => ev,
        };
        match ev {
            Event::Request { op: Operation::NGet,
                message_id,
                context_id,
            } => {
                out!("  {who}: event N-GET #{message_id} on context {context_id}");
                if let Some(rq) = conn.n_get_request() {
                    out!("  {who}:   {rq}");
                }
                match conn.respond_n_get(now, message_id, Status::SUCCESS, Some(&DISPLAY)) {
                    Ok(sent) => out!("  {who}:   answered with status {}", status(sent)),
                    Err(e) => out!("  {who}:   could not answer: {e:?}"),
                }
            }
            Event::Response { op: Operation::NGet,
                message_id,
                status: code,
                data_set_len,
                ..
            } => {
                let len = data_set_len.map_or("no data set".into(), |n| format!("{n} bytes"));
                out!(
                    "  {who}: event N-GET-RSP #{message_id}: status {}, data set: {len}",
                    status(code)
                );
                if let Some(rsp) = conn.received_response() {
                    if let Some(data) = rsp.data_set {
                        print_data_set(data, rsp.encoding);
                    }
                }
            }
            Event::Response {
                op: Operation::CEcho,
                message_id,
                status: code,
                ..
            } => out!(
                "  {who}: event C-ECHO-RSP #{message_id}: status {}",
                status(code)
            ),
            Event::Answered {
                message_id,
                context_id,
                command_field,
                status: code,
            } => out!(
                "  {who}: event {} #{message_id} on context {context_id} answered by the core: status {}",
                command_field.name(),
                status(code)
            ),
            other => out!("  {who}: event {other:?}"),
        }
    }
    let mut at = 0;
    for n in pdus {
        out!("{who} -> {}", describe(&wire[at..at + n]));
        at += n;
    }
    wire
}

/// Runs the in-memory demo.
pub fn run() {
    static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
    static TS: [&str; 2] = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];
    static IMPLICIT: [&str; 1] = [IMPLICIT_VR_LITTLE_ENDIAN];
    let title = |s| AeTitle::new(s).expect("valid AE title");
    let policy = AcceptorPolicy::new(title("DISPLAY"), &SERVED);
    let contexts = [
        PresentationContextRq {
            id: 1,
            abstract_syntax: DISPLAY_SYSTEM,
            transfer_syntaxes: &TS,
        },
        PresentationContextRq {
            id: 3,
            abstract_syntax: VERIFICATION,
            transfer_syntaxes: &IMPLICIT,
        },
    ];
    let config = RequestorConfig::new(title("QA_SCU"), title("DISPLAY"), &contexts);
    let (mut a_rx, mut a_tx, mut r_rx, mut r_tx) =
        (vec![0; 4096], vec![0; 4096], vec![0; 4096], vec![0; 4096]);
    let now = Instant::ZERO;
    let mut scp = Connection::acceptor(
        &policy,
        Storage {
            rx: &mut a_rx,
            tx: &mut a_tx,
        },
        now,
    );
    let mut scu = Connection::requestor(
        &config,
        Storage {
            rx: &mut r_rx,
            tx: &mut r_tx,
        },
        now,
    )
    .expect("valid requestor configuration");

    out!("dimse demo: QA_SCU associates with the DISPLAY SCP core, in memory\n");
    let mut to_scp = drive("SCU", &mut scu, now, &mut Vec::new());
    let step = |scu: &mut Connection<'_>, scp: &mut Connection<'_>, to_scp: &mut Vec<u8>| {
        for _ in 0..100 {
            let mut to_scu = drive("SCP", scp, now, to_scp);
            to_scp.extend(drive("SCU", scu, now, &mut to_scu));
            assert!(to_scu.is_empty(), "the SCU takes every PDU");
            if to_scp.is_empty() {
                return;
            }
        }
    };
    step(&mut scu, &mut scp, &mut to_scp);
    out!();
    for pc in scp.presentation_contexts() {
        out!(
            "negotiated context {}: {} with transfer syntax {}",
            pc.id,
            pc.abstract_syntax,
            pc.transfer_syntax
        );
    }

    out!("\nSCU asks the Display System for Manufacturer and Device Serial Number\n");
    scu.send_n_get(now, DISPLAY_SYSTEM, DISPLAY_INSTANCE, Some(&ASKED))
        .expect("established");
    to_scp.extend(drive("SCU", &mut scu, now, &mut Vec::new()));
    step(&mut scu, &mut scp, &mut to_scp);

    out!("\nSCU verifies the connection (C-ECHO)\n");
    scu.send_c_echo(now).expect("established");
    to_scp.extend(drive("SCU", &mut scu, now, &mut Vec::new()));
    step(&mut scu, &mut scp, &mut to_scp);

    out!("\nSCU releases the association\n");
    scu.release(now).expect("established");
    to_scp.extend(drive("SCU", &mut scu, now, &mut Vec::new()));
    step(&mut scu, &mut scp, &mut to_scp);
    scp.handle_transport_closed(now);
    drive("SCP", &mut scp, now, &mut Vec::new());
    out!(
        "\nSCU state {:?}, SCP state {:?}: association released",
        scu.state(),
        scp.state()
    );
    assert!(scu.is_closed() && scp.is_closed());
}
