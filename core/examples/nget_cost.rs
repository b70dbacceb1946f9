//! The cost of one N-GET in the core alone: an acceptor decodes a Display System N-GET-RQ
//! (one P-DATA-TF), the application answers with the full demo Display System, and the
//! response is encoded and cut into P-DATA-TF PDUs (max PDU 16382). No I/O, no allocation
//! in the loop.
//!
//! `cargo run --release -p dimse-core --example nget_cost -- N` runs N N-GETs after the
//! association and prints the time per N-GET; `scripts/bench` runs it under
//! `valgrind --tool=callgrind` at two values of N and reports the instructions per N-GET
//! (the difference, so that setup cancels out). `-- N --encoded` answers with the data set
//! encoded and checked once beforehand (`dataset::Encoded::check`, as dimse-tokio's
//! `EncodedDataSet` does): a copy per N-GET instead of an encoding.
//! `-- N --dump DIR` also writes the request
//! PDU, the data set and the response PDUs of one N-GET into DIR, for the pynetdicom side of
//! the benchmark (`scripts/bench-pynetdicom.py`), which checks that it sends the same bytes.

use std::time::Instant as Clock;

use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
use dimse_core::dimse::Operation;
use dimse_core::dimse::{NGetRq, Status};
use dimse_core::pdu::{AeTitle, MessageControlHeader, PDataTf, Pdv, PresentationContextRq};
use dimse_core::service::display::DEMO;
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, VERIFICATION};
use dimse_core::{Connection, Event, Instant, Output, Storage};

static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
static TS: [&str; 2] = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let title = |s| AeTitle::new(s).expect("AE title");
    let policy = AcceptorPolicy::new(title("DISPLAY"), &SERVED);
    let contexts = [PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &TS,
    }];
    let config = RequestorConfig::new(title("QA"), title("DISPLAY"), &contexts);
    let (mut rx, mut tx) = (vec![0u8; 16384], vec![0u8; 16384]);
    let (mut srx, mut stx) = (vec![0u8; 1024], vec![0u8; 1024]);
    let now = Instant::ZERO;
    let mut out = vec![0u8; 16384];

    // Associate: the requestor's A-ASSOCIATE-RQ into the acceptor.
    let mut scu = Connection::requestor(
        &config,
        Storage {
            rx: &mut srx,
            tx: &mut stx,
        },
        now,
    )
    .expect("config");
    let Ok(Output::Transmit(len)) = scu.poll_output(&mut out) else {
        panic!("an A-ASSOCIATE-RQ");
    };
    let rq_pdu = out[..len].to_vec();
    let mut scp = Connection::acceptor(
        &policy,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        now,
    );
    assert_eq!(scp.handle_input(now, &rq_pdu), rq_pdu.len());
    drain(&mut scp, &mut out, source_none(), |_| {});
    assert!(scp.is_established());

    // The request: what pynetdicom sends for send_n_get(None, DisplaySystem, instance).
    let mut command = [0u8; 256];
    let clen = NGetRq {
        message_id: 1,
        requested_sop_class_uid: DISPLAY_SYSTEM,
        requested_sop_instance_uid: DISPLAY_SYSTEM_INSTANCE,
        attribute_identifier_list: None,
    }
    .emit(&mut command)
    .expect("command");
    let mut request = [0u8; 512];
    let rlen = PDataTf {
        pdvs: &[Pdv {
            context_id: 1,
            control: MessageControlHeader::new(true, true),
            data: &command[..clen],
        }],
    }
    .emit(&mut request)
    .expect("pdu");
    let request = &request[..rlen];

    // `--encoded`: the same data set encoded once beforehand (`dataset::Encoded`, checked below), so that
    // each N-GET copies it instead of encoding it.
    let encoded_bufs = [
        dimse_core::dataset::Encoding::ExplicitVrLittleEndian,
        dimse_core::dataset::Encoding::ImplicitVrLittleEndian,
    ]
    .map(|encoding| {
        let mut buf = vec![0u8; 16384];
        let mut w = dimse_core::dataset::Writer::new(&mut buf, encoding);
        w.write(&DEMO).expect("data set");
        let len = w.written();
        buf.truncate(len);
        buf
    });
    let encoded = dimse_core::dataset::Encoded {
        explicit_vr_little_endian: &encoded_bufs[0],
        implicit_vr_little_endian: &encoded_bufs[1],
    };
    // Checked once, as a server answering from constants does (dimse-tokio's EncodedDataSet).
    let encoded = encoded.check().expect("encoded elements");
    let source: &dyn dimse_core::dataset::DataSetSource = if args.iter().any(|a| a == "--encoded") {
        &encoded
    } else {
        &DEMO
    };

    let mut sent = 0usize;
    let start = Clock::now();
    for _ in 0..n {
        let used = scp.handle_input(now, request);
        debug_assert_eq!(used, request.len());
        let answered = drain(&mut scp, &mut out, Some(source), |pdu| sent += pdu.len());
        assert_eq!(answered, Some(0));
    }
    let elapsed = start.elapsed();
    if let Some(dir) = dump {
        let _ = scp.handle_input(now, request);
        let mut response = Vec::new();
        drain(&mut scp, &mut out, Some(&DEMO), |pdu| {
            response.extend_from_slice(pdu)
        });
        let mut data = vec![0u8; 16384];
        let mut w = dimse_core::dataset::Writer::new(
            &mut data,
            dimse_core::dataset::Encoding::ExplicitVrLittleEndian,
        );
        w.write(&DEMO).expect("data set");
        let dlen = w.written();
        std::fs::write(dir.join("request.bin"), request).expect("write");
        std::fs::write(dir.join("dataset.bin"), &data[..dlen]).expect("write");
        std::fs::write(dir.join("response.bin"), response).expect("write");
    }
    println!(
        "{n} N-GETs: {:.0} ns per N-GET ({} request bytes in, {} response bytes out each)",
        elapsed.as_nanos() as f64 / n.max(1) as f64,
        request.len(),
        sent / n.max(1)
    );
}

fn source_none() -> Option<&'static dyn dimse_core::dataset::DataSetSource> {
    None
}

/// The drain contract for this benchmark's SCP: `poll_output` until idle, answering each
/// N-GET from `source`; `sent` sees each PDU's length. Returns the status of the answer.
fn drain(
    scp: &mut Connection<'_>,
    out: &mut [u8],
    source: Option<&dyn dimse_core::dataset::DataSetSource>,
    mut sent: impl FnMut(&[u8]),
) -> Option<u16> {
    let mut status = None;
    loop {
        match scp.poll_output(out).expect("output") {
            Output::Transmit(k) => sent(&out[..k]),
            Output::Event(Event::Request {
                op: Operation::NGet,
                message_id,
                ..
            }) => {
                let s = scp
                    .respond_n_get(Instant::ZERO, message_id, Status::SUCCESS, source)
                    .expect("respond");
                status = Some(s);
            }
            Output::Event(_) => {}
            Output::Reoffer => {
                let _ = scp.handle_input(Instant::ZERO, &[]);
            }
            Output::Idle { .. } => return status,
        }
    }
}
