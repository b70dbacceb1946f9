//! The `dimse` command-line tool.
//!
//! Today it has one command, `demo`: a requestor core and an acceptor core (the Display System
//! SCP's negotiation policy) wired together in memory, printing every PDU and event of an
//! association: negotiation, a P-DATA exchange, and release. The network server (`serve`),
//! client (`get`, `echo`) and `poll` arrive with the tokio adapter.

use dimse::core::assoc::{AcceptorPolicy, RequestorConfig};
use dimse::core::connection::Storage;
use dimse::core::pdu::{AeTitle, PduType, PresentationContextRq};
use dimse::core::{Connection, Event, Instant};

const DISPLAY_SYSTEM: &str = "1.2.840.10008.5.1.1.40";
const VERIFICATION: &str = "1.2.840.10008.1.1";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("demo") => demo(),
        Some("-h" | "--help" | "help") => usage(),
        Some(other) => {
            eprintln!("dimse: unknown command '{other}'");
            usage();
            std::process::exit(2);
        }
    }
}

fn usage() {
    println!("usage: dimse [demo]");
    println!("  demo   an in-memory SCU/SCP association, printing its PDUs and events");
}

fn describe(pdu: &[u8]) -> String {
    let name = pdu
        .first()
        .and_then(|&t| PduType::from_u8(t))
        .map_or("?", PduType::name);
    format!("{name} ({} bytes)", pdu.len())
}

/// Drains one side: prints its events and returns the PDUs it sent.
fn drain(who: &str, conn: &mut Connection<'_>) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let mut progressed = false;
        while let Some(ev) = conn.poll_event() {
            progressed = true;
            match ev {
                Event::PData {
                    context_id,
                    is_command,
                    len,
                } => println!(
                    "  {who}: event P-DATA on context {context_id}: {} of {len} bytes",
                    if is_command {
                        "command set"
                    } else {
                        "data set"
                    }
                ),
                other => println!("  {who}: event {other:?}"),
            }
        }
        while let Ok(Some(n)) = conn.poll_transmit(&mut buf) {
            progressed = true;
            println!("{who} -> {}", describe(&buf[..n]));
            wire.extend_from_slice(&buf[..n]);
        }
        if !progressed {
            return wire;
        }
    }
}

fn demo() {
    static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
    static TS: [&str; 2] = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"];
    let title = |s| AeTitle::new(s).expect("valid AE title");
    let policy = AcceptorPolicy::new(title("DISPLAY"), &SERVED);
    let contexts = [PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &TS,
    }];
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

    println!("dimse demo: QA_SCU associates with the DISPLAY SCP core, in memory\n");
    let mut to_scp = drain("SCU", &mut scu);
    let step = |scu: &mut Connection<'_>, scp: &mut Connection<'_>, to_scp: &mut Vec<u8>| {
        for _ in 0..100 {
            let used = scp.handle_input(now, to_scp);
            to_scp.drain(..used);
            let to_scu = drain("SCP", scp);
            let used = scu.handle_input(now, &to_scu);
            assert_eq!(used, to_scu.len());
            to_scp.extend(drain("SCU", scu));
            if to_scp.is_empty() {
                return;
            }
        }
    };
    step(&mut scu, &mut scp, &mut to_scp);
    if let Some(pc) = scp.presentation_context(1) {
        println!(
            "\nnegotiated context 1: {} with transfer syntax {}\n",
            pc.abstract_syntax, pc.transfer_syntax
        );
    }
    scu.send_pdata(now, 1, true, b"a command set, 8 bytes..")
        .expect("established");
    to_scp.extend(drain("SCU", &mut scu));
    step(&mut scu, &mut scp, &mut to_scp);
    scu.release(now).expect("established");
    to_scp.extend(drain("SCU", &mut scu));
    step(&mut scu, &mut scp, &mut to_scp);
    scp.handle_transport_closed(now);
    drain("SCP", &mut scp);
    println!(
        "\nSCU state {:?}, SCP state {:?}: association released",
        scu.state(),
        scp.state()
    );
}
