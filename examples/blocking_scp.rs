//! The Sans-IO core with no async runtime at all: a Display System SCP on
//! `std::net::TcpListener`, one thread per association, answering every N-GET with the
//! [`DEMO`] instance (C-ECHO is answered by the core itself).
//!
//! All the I/O is in [`serve`], and it is the whole contract of the core: feed the bytes
//! read to `handle_input`; after every call that changes the connection, drain
//! `poll_transmit` (writing the bytes) and `poll_event` (answering N-GETs) until both are
//! empty; block in `read` no longer than `poll_timeout` allows and call `handle_timeout`
//! when it expires; report end of file with `handle_transport_closed`. The same loop fits
//! a tokio task (`dimse_tokio`), an embassy task or a bare-metal superloop.
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
use dimse::core::dimse::Status;
use dimse::core::pdu::AeTitle;
use dimse::core::service::display::DEMO;
use dimse::core::service::{DISPLAY_SYSTEM, VERIFICATION};
use dimse::core::{Connection, Event, Instant, Storage};

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
    let epoch = std::time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);

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
    // Bytes read and not yet consumed: `input[..filled]`. `pdu` takes one PDU from
    // `poll_transmit`, `wire` collects a drain's PDUs for one write.
    let mut input = vec![0u8; 64 * 1024];
    let mut filled = 0;
    let mut pdu = vec![0u8; 64 * 1024];
    let mut wire = Vec::new();

    loop {
        // Feed what we have, then drain both queues, until a round changes nothing.
        loop {
            let used = if filled > 0 {
                conn.handle_input(now(), &input[..filled])
            } else {
                0
            };
            input.copy_within(used..filled, 0);
            filled -= used;
            let mut progressed = used > 0;
            while let Some(event) = conn.poll_event() {
                progressed = true;
                match event {
                    Event::NGet { message_id, .. } => {
                        if let Some(request) = conn.n_get_request() {
                            println!("{peer}: {request}");
                        }
                        match conn.respond_n_get(now(), message_id, Status::SUCCESS, Some(&DEMO)) {
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
            wire.clear();
            // `pdu` holds any PDU but an A-ASSOCIATE-AC larger than 64 KiB.
            while let Some(n) = conn
                .poll_transmit(&mut pdu)
                .map_err(|_| io::Error::other("A-ASSOCIATE-AC larger than 64 KiB"))?
            {
                wire.extend_from_slice(&pdu[..n]);
            }
            if !wire.is_empty() {
                progressed = true;
                stream.write_all(&wire)?;
            }
            if !progressed {
                break;
            }
        }
        if conn.is_closed() {
            // Everything owed has been written above.
            return Ok(());
        }
        if filled == input.len() {
            // The core holds input back only while a request waits for the application's
            // answer, and every N-GET is answered at once above. Were the buffer full anyway,
            // `read` into no room would return 0, which means end of file.
            return Err(io::Error::other("receive buffer full"));
        }

        // Wait for bytes, but no longer than the core's next deadline.
        let timeout = match conn.poll_timeout() {
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
