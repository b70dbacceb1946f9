//! The Sans-IO core with no async runtime at all: a Display System SCP on
//! `std::net::TcpListener`, one thread per association, answering every N-GET with the
//! [`DEMO`] instance (C-ECHO is answered by the core itself).
//!
//! All the I/O is in [`serve`], and it is the core's whole drain contract, one loop:
//! 1. feed the bytes read, and those not taken before, to `handle_input`; keep what it
//!    did not take;
//! 2. call `poll_output` until it says `Idle`: write each `Transmit`, answer each `Event`,
//!    and on `Reoffer` go back to 1 with the kept bytes;
//! 3. at `Idle`, close if the connection is closed, else block in `read` no longer than
//!    `Idle`'s deadline (then `handle_timeout`); end of file is `handle_transport_closed`.
//!
//! The same loop fits a tokio task (`dimse_tokio`), an embassy task or a bare-metal
//! superloop.
//!
//! ```text
//! cargo run --example blocking_scp [PORT]      # default 11113, 0 picks a free port
//! cargo run --example nget_scu 127.0.0.1 11113
//! ```
//!
//! Ctrl-C stops it.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::exit;
use std::thread;
use std::time::Duration;

use dimse::core::assoc::AcceptorPolicy;
use dimse::core::dimse::{Operation, Status};
use dimse::core::pdu::AeTitle;
use dimse::core::service::display::DEMO;
use dimse::core::service::{DISPLAY_SYSTEM, VERIFICATION};
use dimse::core::{Connection, Event, Instant, Output, Storage};
// A plain std type, no runtime: the conversion between std's clock and the core's.
use dimse::dimse_tokio::Clock;

static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];

fn main() {
    let port = match std::env::args().nth(1).map(|a| a.parse::<u16>()) {
        None => 11113,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: blocking_scp [PORT]");
            exit(2);
        }
    };
    let listener = match TcpListener::bind(("0.0.0.0", port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("blocking_scp: cannot listen on port {port}: {e}");
            exit(1);
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("blocking_scp: listening on {addr} (Ctrl-C to stop)"),
        Err(e) => eprintln!("blocking_scp: {e}"),
    }
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                thread::spawn(move || {
                    let peer = stream.peer_addr().map_or("?".into(), |a| a.to_string());
                    match serve(stream, &peer) {
                        Ok(()) => println!("{peer}: closed"),
                        Err(e) => println!("{peer}: transport error: {e}"),
                    }
                });
            }
            Err(e) => eprintln!("blocking_scp: accept failed: {e}"),
        }
    }
}

/// Serves one association until the core says the transport is done.
fn serve(mut stream: TcpStream, peer: &str) -> io::Result<()> {
    // Each drain is written with one `write_all`; no Nagle delay on the response.
    stream.set_nodelay(true)?;
    let policy = AcceptorPolicy::new(AeTitle::new("DISPLAY").expect("a valid AE title"), &SERVED);
    // The core's clock: milliseconds since this connection started.
    let clock = Clock::start();
    let now = || clock.now();

    // `rx` holds one received message, `tx` one response (DEMO is about 3.4 KB).
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut conn = Connection::acceptor(
        &policy,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        now(),
    );
    // Bytes read and not yet taken: `input[..filled]`. `pdu` takes one PDU: the
    // A-ASSOCIATE-AC needs `min_output_len` bytes, and P-DATA is cut to fit, so more room
    // means fewer PDUs. `wire` collects a drain's PDUs for one write.
    let mut input = vec![0u8; 64 * 1024];
    let mut filled = 0;
    let mut pdu = vec![0u8; conn.min_output_len().max(64 * 1024)];
    let mut wire = Vec::new();

    loop {
        // 1. Feed.
        let used = conn.handle_input(now(), &input[..filled]);
        input.copy_within(used..filled, 0);
        filled -= used;
        // 2. Drain.
        let idle = loop {
            match conn
                .poll_output(&mut pdu)
                .expect("min_output_len bytes hold any PDU")
            {
                Output::Transmit(n) => wire.extend_from_slice(&pdu[..n]),
                Output::Event(event) => handle(&mut conn, event, peer, now()),
                Output::Reoffer => break None,
                Output::Idle { until } => break Some(until),
            }
        };
        let Some(until) = idle else {
            continue; // Reoffer: feed the kept bytes again.
        };
        if !wire.is_empty() {
            stream.write_all(&wire)?;
            wire.clear();
        }
        // 3. Close, or wait.
        if conn.is_closed() {
            return Ok(());
        }
        if filled == input.len() {
            // The core holds input back only while a request waits for the application's
            // answer, and every N-GET is answered at once. Were the buffer full anyway,
            // `read` into no room would return 0, which means end of file.
            return Err(io::Error::other("receive buffer full"));
        }
        let timeout = match until {
            Some(deadline) if deadline <= now() => {
                conn.handle_timeout(now());
                continue;
            }
            Some(deadline) => {
                let left = deadline.saturating_duration_since(now()).as_millis();
                Some(Duration::from_millis(left.max(1)))
            }
            None => None,
        };
        stream.set_read_timeout(timeout)?;
        match stream.read(&mut input[filled..]) {
            Ok(0) => conn.handle_transport_closed(now()),
            Ok(n) => filled += n,
            // A timed-out read: WouldBlock on Unix, TimedOut on Windows.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                conn.handle_timeout(now());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => conn.handle_transport_closed(now()),
        }
    }
}

/// Answers an N-GET with [`DEMO`]; prints every event.
fn handle(conn: &mut Connection<'_>, event: Event, peer: &str, now: Instant) {
    match event {
        Event::Request {
            op: Operation::NGet,
            message_id,
            ..
        } => {
            if let Some(request) = conn.n_get_request() {
                println!("{peer}: {request}");
            }
            match conn.respond_n_get(now, message_id, Status::SUCCESS, Some(&DEMO)) {
                Ok(status) => println!("{peer}:   answered {status:04X}H"),
                Err(e) => println!("{peer}:   not answered: {e:?}"),
            }
        }
        Event::Answered {
            command_field,
            status,
            ..
        } => println!(
            "{peer}: {} answered by the core: {status:04X}H",
            command_field.name()
        ),
        other => println!("{peer}: {other:?}"),
    }
}
