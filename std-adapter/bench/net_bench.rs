//! Network benchmark driver for `scripts/bench` (never a test): round trips over loopback.
//!
//! * `rtt ADDR N`: one association, N sequential Display System N-GETs; prints N-GETs/s.
//! * `rtt-core ADDR N`: the same with the core driven by a blocking `std::net` loop (no
//!   async runtime, no task hand-offs): what the server gives to a lean client; also prints
//!   the mean time of the client's own work per round trip.
//! * `load ADDR ASSOCIATIONS N`: that many associations at once, N N-GETs each; prints the
//!   total N-GETs/s and the p50/p99 latency in microseconds.
//! * `raw-server PORT REQUEST RESPONSE`: reads REQUEST bytes, writes RESPONSE bytes, forever.
//! * `raw-server-tokio PORT REQUEST RESPONSE`: the same on a current-thread tokio runtime, one
//!   task a connection: a server that does everything `dimse serve` does but the DICOM part
//!   (the runtime's wake-up, `epoll_wait`, the task's poll), its floor.
//! * `raw-client ADDR N REQUEST RESPONSE`: the same exchange N times; prints round trips/s.
//!   The raw pair with the N-GET's sizes is the physical limit of one connection here.
//! * `paired RAW_ADDR RAW_TOKIO_ADDR DIMSE_ADDR N CHUNK REQUEST RESPONSE`: the raw client
//!   against both raw servers, `rtt-core` and `rtt` taking turns in chunks (see [`paired`]);
//!   prints the four rates and three ratios.

use std::io::{Read, Write};
use std::time::Instant;

use dimse_core::dimse::Operation;
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
use dimse_tokio::{Client, ClientConfig};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("argument {i}: {what}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("rtt") => rtt(&args[2], arg(&args, 3, "N")),
        Some("rtt-core") => rtt_core(&args[2], arg(&args, 3, "N")),
        Some("load") => load(&args[2], arg(&args, 3, "associations"), arg(&args, 4, "N")),
        Some("raw-server") => raw_server(arg(&args, 2, "port"), arg(&args, 3, "request"), arg(&args, 4, "response")),
        Some("raw-server-tokio") => raw_server_tokio(arg(&args, 2, "port"), arg(&args, 3, "request"), arg(&args, 4, "response")),
        Some("raw-client") => raw_client(&args[2], arg(&args, 3, "N"), arg(&args, 4, "request"), arg(&args, 5, "response")),
        Some("paired") => paired(&args[2], &args[3], &args[4], arg(&args, 5, "N"), arg(&args, 6, "chunk"), arg(&args, 7, "request"), arg(&args, 8, "response")),
        _ => eprintln!("usage: net_bench rtt ADDR N | load ADDR ASSOCIATIONS N | raw-server PORT REQ RSP | raw-server-tokio PORT REQ RSP | raw-client ADDR N REQ RSP | paired RAW_ADDR RAW_TOKIO_ADDR DIMSE_ADDR N CHUNK REQ RSP"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn rtt(addr: &str, n: usize) {
    // One association is one task: a single-threaded runtime spares the thread hand-offs.
    // No time driver: the client keeps its deadlines on the adapter's timer thread, and with
    // one every park of the runtime scans its timer wheel and reads the clock.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let addr = addr.to_string();
    // In a task, as an application's code runs: a wake-up of the `block_on` future itself
    // goes through the I/O driver (an eventfd write and one more epoll_wait per request).
    let job = rt.spawn(async move {
        let mut client = Client::connect(addr.as_str(), ClientConfig::default())
            .await
            .expect("connect");
        // Warm up, and check the answer once.
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .await
            .expect("n-get");
        assert_eq!(r.status, 0, "status");
        let bytes = r.data_set.map_or(0, |d| d.len());
        let start = Instant::now();
        for _ in 0..n {
            let r = client
                .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
                .await
                .expect("n-get");
            assert_eq!(r.status, 0);
        }
        let secs = start.elapsed().as_secs_f64();
        let _ = client.release().await;
        println!(
            "{:.0} N-GET/s ({n} round trips, data set {bytes} bytes)",
            n as f64 / secs
        );
    });
    rt.block_on(job).expect("the benchmark task");
}

fn load(addr: &str, associations: usize, n: usize) {
    runtime().block_on(async {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..associations {
            let addr = addr.to_string();
            tasks.push(tokio::spawn(async move {
                let config = ClientConfig {
                    calling_ae: format!("LOAD{i}"),
                    ..ClientConfig::default()
                };
                let mut client = None;
                for _ in 0..3000 {
                    match Client::connect(&addr, config.clone()).await {
                        Ok(c) => {
                            client = Some(c);
                            break;
                        }
                        Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                    }
                }
                let mut client = client.expect("connect");
                let mut lat = Vec::with_capacity(n);
                for _ in 0..n {
                    let t = Instant::now();
                    let r = client
                        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
                        .await
                        .expect("n-get");
                    assert_eq!(r.status, 0);
                    lat.push(t.elapsed().as_micros() as u64);
                }
                let _ = client.release().await;
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("task"));
        }
        let secs = start.elapsed().as_secs_f64();
        all.sort_unstable();
        let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
        println!(
            "{:.0} N-GET/s total, p50 {} us, p99 {} us ({associations} associations x {n})",
            all.len() as f64 / secs,
            pct(0.50),
            pct(0.99)
        );
    });
}

fn raw_server(port: u16, request: usize, response: usize) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    for stream in listener.incoming() {
        let Ok(mut s) = stream else { continue };
        std::thread::spawn(move || {
            let _ = s.set_nodelay(true);
            let mut rq = vec![0u8; request];
            let rsp = vec![7u8; response];
            while s.read_exact(&mut rq).is_ok() {
                if s.write_all(&rsp).is_err() {
                    break;
                }
            }
        });
    }
}

/// `raw_server`'s exchange on a current-thread runtime (as `dimse serve` runs when pinned to
/// one CPU; no time driver, as there), one task a connection.
fn raw_server_tokio(port: u16, request: usize, response: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let _ = s.set_nodelay(true);
                let mut rq = vec![0u8; request];
                let rsp = vec![7u8; response];
                while s.read_exact(&mut rq).await.is_ok() {
                    if s.write_all(&rsp).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
}

fn raw_client(addr: &str, n: usize, request: usize, response: usize) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    let rq = vec![1u8; request];
    let mut rsp = vec![0u8; response];
    let start = Instant::now();
    for _ in 0..n {
        s.write_all(&rq).expect("write");
        s.read_exact(&mut rsp).expect("read");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:.0} round trips/s ({n}, {request} B out, {response} B back)",
        n as f64 / secs
    );
}

fn rtt_core(addr: &str, n: usize) {
    let work = with_core_client::<true>(addr, |get| {
        get();
        let start = Instant::now();
        for _ in 0..n {
            get();
        }
        let secs = start.elapsed().as_secs_f64();
        print!(
            "{:.0} N-GET/s ({n} round trips, blocking core client)",
            n as f64 / secs
        );
    });
    println!("; the client's work per round trip {} ns", work.as_nanos());
}

/// Sets up the core as a client on a blocking socket and hands `body` a function that does
/// one full Display System N-GET. With `TIMED`, returns the mean time of the client's own
/// work per round trip: from a read's return to the next write's call (decoding the
/// response, the next request's encoding; two clock reads more), else zero (`paired`'s
/// client does not pay for the clock reads).
fn with_core_client<const TIMED: bool>(
    addr: &str,
    body: impl FnOnce(&mut dyn FnMut()),
) -> std::time::Duration {
    use dimse_core::assoc::{
        RequestorConfig, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
    };
    use dimse_core::pdu::{AeTitle, PresentationContextRq};
    use dimse_core::{Connection, Event, Instant as CoreInstant, Output, Storage};

    static TS: [&str; 2] = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];
    let contexts = [PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &TS,
    }];
    let config = RequestorConfig::new(
        AeTitle::new("BENCH").expect("ae"),
        AeTitle::new("ANY-SCP").expect("ae"),
        &contexts,
    );
    let (mut rx, mut tx) = (vec![0u8; 65536], vec![0u8; 4096]);
    let clock = dimse_tokio::Clock::start();
    let now = || clock.now();
    let mut conn = Connection::requestor(
        &config,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        now(),
    )
    .expect("config");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    // Room for the A-ASSOCIATE-RQ and for a command in one P-DATA.
    let room = conn.min_output_len().max(65536);
    let (mut wbuf, mut inbuf) = (vec![0u8; room], vec![0u8; 65536]);
    let mut filled = 0;
    /// Offers the core every byte it has not taken yet, and keeps the rest in front.
    fn feed(conn: &mut Connection<'_>, now: CoreInstant, inbuf: &mut [u8], filled: &mut usize) {
        let used = conn.handle_input(now, &inbuf[..*filled]);
        inbuf.copy_within(used..*filled, 0);
        *filled -= used;
    }
    // The time of the last read: one clock read per read from the socket, as the tokio
    // driver does, and the request goes out at the time of the response before it.
    let at = std::cell::Cell::new(now());
    let (read_at, work) = (
        std::cell::Cell::new(None::<Instant>),
        std::cell::Cell::new((std::time::Duration::ZERO, 0u32)),
    );
    // Runs the drain contract until `done` says so: feed, drain (PDUs straight into the
    // write buffer), write once, read.
    let mut step = |conn: &mut Connection<'_>, done: &mut dyn FnMut(Event) -> bool| loop {
        if filled > 0 {
            feed(conn, at.get(), &mut inbuf, &mut filled);
        }
        let mut finished = false;
        let mut len = 0;
        loop {
            match conn.poll_output(&mut wbuf[len..]).expect("output") {
                Output::Transmit(k) => {
                    len += k;
                    if wbuf.len() - len < room {
                        wbuf.resize(len + room, 0);
                    }
                }
                Output::Event(ev) => finished |= done(ev),
                Output::Reoffer => feed(conn, at.get(), &mut inbuf, &mut filled),
                Output::Idle { .. } => break,
            }
        }
        if len > 0 {
            if let (true, Some(t)) = (TIMED, read_at.take()) {
                let (sum, k) = work.get();
                work.set((sum + t.elapsed(), k + 1));
            }
            s.write_all(&wbuf[..len]).expect("write");
        }
        if finished {
            return;
        }
        let k = s.read(&mut inbuf[filled..]).expect("read");
        assert!(k > 0, "closed");
        filled += k;
        if TIMED {
            read_at.set(Some(Instant::now()));
        }
        at.set(now());
    };
    step(&mut conn, &mut |ev| matches!(ev, Event::Established { .. }));
    let mut one = |conn: &mut Connection<'_>| {
        conn.send_n_get(at.get(), DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .expect("send");
        step(conn, &mut |ev| {
            if let Event::Response {
                op: Operation::NGet,
                status,
                ..
            } = ev
            {
                assert_eq!(status, 0);
                true
            } else {
                false
            }
        });
    };
    body(&mut || one(&mut conn));
    let (sum, k) = work.get();
    sum / k.max(1)
}

/// `paired RAW_ADDR RAW_TOKIO_ADDR DIMSE_ADDR N CHUNK REQUEST RESPONSE`: the raw client
/// against the blocking raw server and against the tokio one, the core client and the tokio
/// `Client` (each on its own connection, the last two to the same server) take turns in chunks
/// of CHUNK round trips, the order rotating, until each made N. A change in the machine's
/// speed (this VM's moves within a second) then weighs on all four alike, and the ratios are
/// those of the total times. Prints the four rates and the three ratios to the raw pair.
fn paired(
    raw: &str,
    raw_tokio: &str,
    dimse: &str,
    n: usize,
    chunk: usize,
    request: usize,
    response: usize,
) {
    // No time driver, as in `rtt`.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let mut client = Some(
        rt.block_on(Client::connect(dimse, ClientConfig::default()))
            .expect("connect"),
    );
    let connect = |addr: &str| {
        let s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        s
    };
    let (mut s, mut st) = (connect(raw), connect(raw_tokio));
    let rq = vec![1u8; request];
    let mut rsp = vec![0u8; response];
    let mut raw_one = |s: &mut std::net::TcpStream| {
        s.write_all(&rq).expect("write");
        s.read_exact(&mut rsp).expect("read");
    };
    with_core_client::<false>(dimse, |core_one| {
        let mut totals = [0f64; 4];
        // Warm-up of all four.
        raw_one(&mut s);
        raw_one(&mut st);
        core_one();
        let chunks = n.div_ceil(chunk);
        for i in 0..chunks {
            for k in 0..4 {
                let which = (i + k) % 4;
                let secs = match which {
                    0 | 1 => {
                        let s = if which == 0 { &mut s } else { &mut st };
                        let t = Instant::now();
                        (0..chunk).for_each(|_| raw_one(s));
                        t.elapsed().as_secs_f64()
                    }
                    2 => {
                        let t = Instant::now();
                        (0..chunk).for_each(|_| core_one());
                        t.elapsed().as_secs_f64()
                    }
                    _ => {
                        // In a task, as an application's code runs (see `rtt`).
                        let mut c = client.take().expect("client");
                        let (c, secs) = rt
                            .block_on(rt.spawn(async move {
                                let t = Instant::now();
                                for _ in 0..chunk {
                                    let r = c
                                        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
                                        .await
                                        .expect("n-get");
                                    assert_eq!(r.status, 0);
                                }
                                (c, t.elapsed().as_secs_f64())
                            }))
                            .expect("the benchmark task");
                        client = Some(c);
                        secs
                    }
                };
                totals[which] += secs;
            }
        }
        let done = (chunks * chunk) as f64;
        let [raw_s, raw_tokio_s, core_s, tokio_s] = totals;
        println!(
            "{:.0} {:.0} {:.0} {:.0} {:.3} {:.3} {:.3} (raw, raw on tokio, core client, tokio \
             Client: round trips/s; ratios to raw; {chunks} chunks of {chunk})",
            done / raw_s,
            done / raw_tokio_s,
            done / core_s,
            done / tokio_s,
            raw_s / raw_tokio_s,
            raw_s / core_s,
            raw_s / tokio_s
        );
    });
    if let Some(c) = client {
        let _ = rt.block_on(c.release());
    }
}
