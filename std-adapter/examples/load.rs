//! Load and fault driver for `scripts/load` (never a test): many concurrent associations
//! against one server with an association limit, some of them misbehaving.
//!
//! ```text
//! load ADDR [--clients 200] [--n-gets 1000] [--abort-mid-message 0.05]
//!           [--close-mid-pdu 0.05] [--fault-rounds 5] [--seed 1] [--timeout-ms 10000]
//!           [--server-pid PID] [--max-associations 32] [--starve-secs 300]
//! ```
//!
//! * Well-behaved clients (our [`Client`]) connect, retrying with a short randomised backoff
//!   while the server rejects them, perform `--n-gets` Display System N-GETs and release.
//!   Every response must be status 0000H with the data set byte-identical to the demo
//!   Display System encoded here with [`Writer`] in the response's transfer syntax; every
//!   rejection must be A-ASSOCIATE-RJ 2/3/2 (transient, service-provider presentation,
//!   local-limit-exceeded).
//! * Faulty clients drive the core's requestor [`Connection`] over a raw tokio socket, so
//!   that they can cut its output wherever they like. Each does `--fault-rounds` rounds:
//!   connect (same retry rule), 0 to 20 verified N-GETs, then one fault:
//!   - abort mid-message (`--abort-mid-message` of the clients): the N-GET-RQ the core
//!     encodes is one P-DATA-TF with one command PDV marked last. Either that command is
//!     re-cut into a strict, non-empty prefix sent as a PDV *not* marked last (the server
//!     holds half a command set), a pause of 0 to 20 ms, then an A-ABORT; or the whole
//!     command is sent immediately followed by an A-ABORT (the server is answering as the
//!     abort arrives). Then the server must close the connection within the timeout,
//!     sending nothing after half a command, at most P-DATA (the response) after a whole one.
//!   - close mid-PDU (`--close-mid-pdu` of the clients): a strict, non-empty prefix of that
//!     P-DATA-TF (cut anywhere: PDU header, PDV header, command), then either a FIN
//!     (shutdown) after which the server must close within the timeout, sending nothing,
//!     or an RST (SO_LINGER 0 and close).
//! * Hangs: every wait (connect, association, each N-GET, release, the server's close after
//!   a fault) has the `--timeout-ms` limit; a client still rejected after `--starve-secs`
//!   counts as one too.
//! * Afterwards, the server must still have all its association slots: `--max-associations`
//!   clients at once are all accepted (retried for a few seconds while the last tasks end)
//!   and one more is rejected 2/3/2.
//! * With `--server-pid`, the server's RSS is sampled every 100 ms and its peak (VmHWM) and
//!   open descriptors are reported.
//!
//! Prints a summary and a `RESULT` line; exits 1 on any wrong response, hang, wrong
//! rejection or lost association slot.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dimse_core::assoc::{RequestorConfig, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN};
use dimse_core::dataset::{Encoding, Writer};
use dimse_core::dimse::Operation;
use dimse_core::pdu::{
    Abort, AeTitle, AssociateRj, MessageControlHeader, PDataTf, Pdv, PresentationContextRq,
    RejectResult, RejectSource,
};
use dimse_core::service::display::DEMO;
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
use dimse_core::{Connection, Event, Instant as CoreInstant, Output, Storage};
use dimse_tokio::{Client, ClientConfig, ClientError, Clock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// ------------------------------------------------------------------------------ options

#[derive(Debug, Clone)]
struct Options {
    addr: String,
    clients: usize,
    n_gets: usize,
    abort_mid_message: f64,
    close_mid_pdu: f64,
    fault_rounds: usize,
    seed: u64,
    timeout: Duration,
    server_pid: Option<u32>,
    max_associations: usize,
    starve: Duration,
}

fn usage() -> ! {
    eprintln!(
        "usage: load ADDR [--clients N] [--n-gets N] [--abort-mid-message F] \
         [--close-mid-pdu F] [--fault-rounds N] [--seed S] [--timeout-ms MS] \
         [--server-pid PID] [--max-associations N] [--starve-secs S]"
    );
    std::process::exit(2)
}

fn parse_options() -> Options {
    let mut o = Options {
        addr: String::new(),
        clients: 200,
        n_gets: 1000,
        abort_mid_message: 0.05,
        close_mid_pdu: 0.05,
        fault_rounds: 5,
        seed: 1,
        timeout: Duration::from_secs(10),
        server_pid: None,
        max_associations: 32,
        starve: Duration::from_secs(300),
    };
    let mut args = std::env::args().skip(1);
    fn value<T: std::str::FromStr>(name: &str, v: Option<String>) -> T {
        v.and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            eprintln!("load: {name} needs a valid value");
            usage()
        })
    }
    while let Some(a) = args.next() {
        match a.as_str() {
            "--clients" => o.clients = value(&a, args.next()),
            "--n-gets" => o.n_gets = value(&a, args.next()),
            "--abort-mid-message" => o.abort_mid_message = value(&a, args.next()),
            "--close-mid-pdu" => o.close_mid_pdu = value(&a, args.next()),
            "--fault-rounds" => o.fault_rounds = value(&a, args.next()),
            "--seed" => o.seed = value(&a, args.next()),
            "--timeout-ms" => o.timeout = Duration::from_millis(value(&a, args.next())),
            "--server-pid" => o.server_pid = Some(value(&a, args.next())),
            "--max-associations" => o.max_associations = value(&a, args.next()),
            "--starve-secs" => o.starve = Duration::from_secs(value(&a, args.next())),
            "-h" | "--help" => usage(),
            _ if a.starts_with('-') => {
                eprintln!("load: unknown option {a}");
                usage()
            }
            _ if o.addr.is_empty() => o.addr = a,
            _ => usage(),
        }
    }
    if o.addr.is_empty() || o.clients == 0 {
        usage()
    }
    o
}

// ------------------------------------------------------------------------------ randomness

/// SplitMix64: small, seedable, good enough to pick clients, cut points and backoffs.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

// ------------------------------------------------------------------------------ counters

#[derive(Default)]
struct Stats {
    n_gets: AtomicU64,
    n_gets_raw: AtomicU64,
    associations: AtomicU64,
    released: AtomicU64,
    wrong: AtomicU64,
    hangs: AtomicU64,
    wrong_rejections: AtomicU64,
    connect_errors: AtomicU64,
    abort_fragment: AtomicU64,
    abort_after_command: AtomicU64,
    close_fin: AtomicU64,
    close_rst: AtomicU64,
    rejections: Mutex<BTreeMap<(u8, u8, u8), u64>>,
    problems: Mutex<Vec<String>>,
}

impl Stats {
    /// Records a failure of kind `counter`, keeping the first 20 descriptions.
    fn fail(&self, counter: &AtomicU64, what: String) {
        counter.fetch_add(1, Relaxed);
        let mut p = self.problems.lock().expect("lock");
        if p.len() < 20 {
            eprintln!("load: {what}");
            p.push(what);
        }
    }

    /// Records a rejection; true when it is the expected 2/3/2.
    fn rejected(&self, rj: &AssociateRj, who: &str) -> bool {
        let code = rj_code(rj);
        *self
            .rejections
            .lock()
            .expect("lock")
            .entry(code)
            .or_default() += 1;
        let ok = *rj == AssociateRj::LOCAL_LIMIT_EXCEEDED;
        if !ok {
            self.fail(
                &self.wrong_rejections,
                format!(
                    "{who}: wrong rejection {}/{}/{} ({})",
                    code.0,
                    code.1,
                    code.2,
                    rj.describe()
                ),
            );
        }
        ok
    }
}

fn rj_code(rj: &AssociateRj) -> (u8, u8, u8) {
    let result = match rj.result {
        RejectResult::Permanent => 1,
        RejectResult::Transient => 2,
    };
    let source = match rj.source {
        RejectSource::ServiceUser => 1,
        RejectSource::ServiceProviderAcse => 2,
        RejectSource::ServiceProviderPresentation => 3,
    };
    (result, source, rj.reason.0)
}

/// The randomised backoff after the `attempt`-th rejection: 5 to 15 ms, doubling, at most
/// about 250 ms.
fn backoff(rng: &mut Rng, attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(4);
    let jitter = rng.below(base as usize + 1) as u64;
    Duration::from_millis(base / 2 + jitter).min(Duration::from_millis(250))
}

/// The demo Display System encoded here, in both encodings: what every response must carry.
struct Expected {
    explicit: Vec<u8>,
    implicit: Vec<u8>,
}

impl Expected {
    fn new() -> Self {
        let encode = |encoding| {
            let mut buf = vec![0u8; 64 * 1024];
            let mut w = Writer::new(&mut buf, encoding);
            w.write(&DEMO).expect("the demo display encodes");
            let n = w.written();
            buf.truncate(n);
            buf
        };
        Expected {
            explicit: encode(Encoding::ExplicitVrLittleEndian),
            implicit: encode(Encoding::ImplicitVrLittleEndian),
        }
    }

    fn for_encoding(&self, e: Encoding) -> &[u8] {
        match e {
            Encoding::ExplicitVrLittleEndian => &self.explicit,
            Encoding::ImplicitVrLittleEndian => &self.implicit,
        }
    }

    /// `None` when the response is right, else what is wrong with it.
    fn check(&self, status: u16, data_set: Option<&[u8]>, encoding: Encoding) -> Option<String> {
        if status != 0 {
            return Some(format!("status {status:04X}H"));
        }
        match data_set {
            None => Some("no data set".into()),
            Some(d) if d != self.for_encoding(encoding) => Some(format!(
                "data set differs ({} bytes, {encoding:?}, expected {})",
                d.len(),
                self.for_encoding(encoding).len()
            )),
            Some(_) => None,
        }
    }
}

struct Shared {
    opts: Options,
    stats: Stats,
    expected: Expected,
    start: Instant,
}

// ------------------------------------------------------------------------------ well-behaved

async fn good_client(sh: Arc<Shared>, index: usize, mut rng: Rng) {
    let o = &sh.opts;
    let who = format!("client {index}");
    let config = ClientConfig {
        calling_ae: format!("LOAD{index}"),
        ..ClientConfig::default()
    };
    let began = Instant::now();
    let mut attempt = 0;
    let mut client = loop {
        match tokio::time::timeout(o.timeout, Client::connect(&o.addr, config.clone())).await {
            Err(_) => {
                sh.stats.fail(
                    &sh.stats.hangs,
                    format!("{who}: no association answer in {:?}", o.timeout),
                );
                return;
            }
            Ok(Ok(c)) => break c,
            Ok(Err(ClientError::Rejected(rj))) => {
                if !sh.stats.rejected(&rj, &who) {
                    return;
                }
            }
            Ok(Err(e)) => sh
                .stats
                .fail(&sh.stats.connect_errors, format!("{who}: connect: {e}")),
        }
        if began.elapsed() > o.starve {
            sh.stats.fail(
                &sh.stats.hangs,
                format!("{who}: still rejected after {:?}", o.starve),
            );
            return;
        }
        tokio::time::sleep(backoff(&mut rng, attempt)).await;
        attempt += 1;
    };
    sh.stats.associations.fetch_add(1, Relaxed);
    for i in 0..o.n_gets {
        let get = client.n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None);
        match tokio::time::timeout(o.timeout, get).await {
            Err(_) => {
                sh.stats.fail(
                    &sh.stats.hangs,
                    format!("{who}: N-GET {i} unanswered after {:?}", o.timeout),
                );
                client.abort().await;
                return;
            }
            Ok(Err(e)) => {
                sh.stats
                    .fail(&sh.stats.wrong, format!("{who}: N-GET {i} failed: {e}"));
                client.abort().await;
                return;
            }
            Ok(Ok(r)) => match sh
                .expected
                .check(r.status, r.data_set.as_deref(), r.encoding)
            {
                None => {
                    sh.stats.n_gets.fetch_add(1, Relaxed);
                }
                Some(what) => sh
                    .stats
                    .fail(&sh.stats.wrong, format!("{who}: N-GET {i}: {what}")),
            },
        }
    }
    match tokio::time::timeout(o.timeout, client.release()).await {
        Err(_) => sh.stats.fail(
            &sh.stats.hangs,
            format!("{who}: release unanswered after {:?}", o.timeout),
        ),
        Ok(Err(e)) => sh
            .stats
            .fail(&sh.stats.wrong, format!("{who}: release failed: {e}")),
        Ok(Ok(())) => {
            sh.stats.released.fetch_add(1, Relaxed);
        }
    }
}

// ------------------------------------------------------------------------------ raw core client

static TS: [&str; 2] = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];

/// The core's requestor [`Connection`] over a raw socket, pumped by hand.
struct Raw<'a> {
    s: TcpStream,
    conn: Connection<'a>,
    inbuf: Vec<u8>,
    filled: usize,
    eof: bool,
    out: Vec<u8>,
    clock: Clock,
}

impl Raw<'_> {
    fn now(&self) -> CoreInstant {
        self.clock.now()
    }

    /// Offers the core every byte it has not taken yet, and keeps the rest in front.
    fn feed(&mut self) {
        let now = self.now();
        let used = self.conn.handle_input(now, &self.inbuf[..self.filled]);
        self.inbuf.copy_within(used..self.filled, 0);
        self.filled -= used;
    }

    /// Drains the core, writing each PDU, feeding it input when idle, until it has an event;
    /// `None` once the connection is over and every event was taken.
    async fn next_event(&mut self) -> io::Result<Option<Event>> {
        loop {
            match self.conn.poll_output(&mut self.out) {
                Ok(Output::Transmit(k)) => self.s.write_all(&self.out[..k]).await?,
                Ok(Output::Event(ev)) => return Ok(Some(ev)),
                Ok(Output::Reoffer) => self.feed(),
                Ok(Output::Idle { .. }) => {
                    // No timers here: the caller bounds every wait.
                    if self.eof || self.conn.is_closed() {
                        return Ok(None);
                    }
                    let filled = self.filled;
                    let k = self.s.read(&mut self.inbuf[filled..]).await?;
                    if k == 0 {
                        self.eof = true;
                        let now = self.now();
                        self.conn.handle_transport_closed(now);
                    } else {
                        self.filled += k;
                        self.feed();
                    }
                }
                Err(_) => return Err(io::Error::other("transmit buffer too small")),
            }
        }
    }

    /// The P-DATA-TF of an N-GET-RQ, as the core encodes it, taken out of its queue.
    fn n_get_rq_pdu(&mut self) -> Result<Vec<u8>, String> {
        let now = self.now();
        self.conn
            .send_n_get(now, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .map_err(|e| format!("send_n_get: {e:?}"))?;
        let mut pdu = Vec::new();
        loop {
            match self.conn.poll_output(&mut self.out) {
                Ok(Output::Transmit(k)) => pdu.extend_from_slice(&self.out[..k]),
                Ok(Output::Reoffer) => self.feed(),
                Ok(Output::Idle { .. }) => return Ok(pdu),
                Ok(Output::Event(ev)) => return Err(format!("event {ev:?} before the N-GET-RQ")),
                Err(_) => return Err("transmit buffer too small".into()),
            }
        }
    }

    /// Reads until the server closes; `None` if it does not within `timeout`.
    async fn until_closed(&mut self, timeout: Duration) -> Option<io::Result<Vec<u8>>> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let read_all = async {
            loop {
                match self.s.read(&mut buf).await {
                    Ok(0) => return Ok(got),
                    Ok(k) => got.extend_from_slice(&buf[..k]),
                    // A reset after our abort is a close too.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(got),
                    Err(e) => return Err(e),
                }
            }
        };
        tokio::time::timeout(timeout, read_all).await.ok()
    }
}

#[derive(Debug, Clone, Copy)]
enum FaultKind {
    AbortMidMessage,
    CloseMidPdu,
}

/// What one raw round came to.
enum Round {
    Done,
    Rejected,
    /// Counted already; stop this client.
    Failed,
}

async fn faulty_client(sh: Arc<Shared>, index: usize, kind: FaultKind, mut rng: Rng) {
    let who = format!("client {index} ({kind:?})");
    for round in 0..sh.opts.fault_rounds {
        let began = Instant::now();
        let mut attempt = 0;
        loop {
            match raw_round(&sh, index, &who, kind, &mut rng).await {
                Round::Done => break,
                Round::Failed => return,
                Round::Rejected => {}
            }
            if began.elapsed() > sh.opts.starve {
                sh.stats.fail(
                    &sh.stats.hangs,
                    format!(
                        "{who}: round {round} still rejected after {:?}",
                        sh.opts.starve
                    ),
                );
                return;
            }
            tokio::time::sleep(backoff(&mut rng, attempt)).await;
            attempt += 1;
        }
        tokio::time::sleep(Duration::from_millis(rng.below(200) as u64)).await;
    }
}

async fn raw_round(sh: &Shared, index: usize, who: &str, kind: FaultKind, rng: &mut Rng) -> Round {
    let o = &sh.opts;
    let t = o.timeout;
    let stats = &sh.stats;
    let s = match tokio::time::timeout(t, TcpStream::connect(&o.addr)).await {
        Err(_) => {
            stats.fail(&stats.hangs, format!("{who}: TCP connect timed out"));
            return Round::Failed;
        }
        Ok(Err(e)) => {
            stats.fail(&stats.connect_errors, format!("{who}: connect: {e}"));
            return Round::Rejected;
        }
        Ok(Ok(s)) => s,
    };
    let _ = s.set_nodelay(true);
    let contexts = [PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &TS,
    }];
    let calling = AeTitle::new(&format!("FAULT{index}")).expect("AE title");
    let called = AeTitle::new("ANY-SCP").expect("AE title");
    let rq = RequestorConfig::new(calling, called, &contexts);
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 16 * 1024]);
    let clock = Clock::start();
    let conn = Connection::requestor(
        &rq,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        clock.now(),
    )
    .expect("requestor configuration");
    // Room for the A-ASSOCIATE-RQ, and for the N-GET-RQ in the one P-DATA the fault cuts.
    let out = vec![0u8; conn.min_output_len().max(64 * 1024)];
    let mut raw = Raw {
        s,
        conn,
        inbuf: vec![0u8; 64 * 1024],
        filled: 0,
        eof: false,
        out,
        clock,
    };

    // Associate.
    loop {
        match tokio::time::timeout(t, raw.next_event()).await {
            Err(_) => {
                stats.fail(&stats.hangs, format!("{who}: no association answer"));
                return Round::Failed;
            }
            Ok(Err(e)) => {
                stats.fail(&stats.connect_errors, format!("{who}: associate: {e}"));
                return Round::Rejected;
            }
            Ok(Ok(None)) => {
                stats.fail(
                    &stats.connect_errors,
                    format!("{who}: closed while associating"),
                );
                return Round::Rejected;
            }
            Ok(Ok(Some(Event::Established { .. }))) => break,
            Ok(Ok(Some(Event::Rejected(rj)))) => {
                return if stats.rejected(&rj, who) {
                    Round::Rejected
                } else {
                    Round::Failed
                };
            }
            Ok(Ok(Some(_))) => {}
        }
    }
    stats.associations.fetch_add(1, Relaxed);

    // A few verified N-GETs first, so that the fault comes in the middle of a conversation.
    let m = rng.below(o.n_gets.min(20) + 1);
    for i in 0..m {
        let now = raw.now();
        if let Err(e) = raw
            .conn
            .send_n_get(now, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        {
            stats.fail(&stats.wrong, format!("{who}: send_n_get: {e:?}"));
            return Round::Failed;
        }
        match tokio::time::timeout(t, raw.next_event()).await {
            Err(_) => {
                stats.fail(&stats.hangs, format!("{who}: N-GET {i} unanswered"));
                return Round::Failed;
            }
            Ok(Err(e)) => {
                stats.fail(&stats.wrong, format!("{who}: N-GET {i}: {e}"));
                return Round::Failed;
            }
            Ok(Ok(None)) => {
                stats.fail(&stats.wrong, format!("{who}: N-GET {i}: closed"));
                return Round::Failed;
            }
            Ok(Ok(Some(Event::Response {
                op: Operation::NGet,
                status,
                ..
            }))) => {
                let problem = match raw.conn.received_response() {
                    Some(r) => sh.expected.check(status, r.data_set, r.encoding),
                    None => Some("response unreadable".into()),
                };
                match problem {
                    None => {
                        stats.n_gets_raw.fetch_add(1, Relaxed);
                    }
                    Some(p) => stats.fail(&stats.wrong, format!("{who}: N-GET {i}: {p}")),
                }
            }
            Ok(Ok(Some(ev))) => {
                stats.fail(&stats.wrong, format!("{who}: N-GET {i}: event {ev:?}"));
                return Round::Failed;
            }
        }
    }

    // The fault.
    let pdu = match raw.n_get_rq_pdu() {
        Ok(p) => p,
        Err(e) => {
            stats.fail(&stats.wrong, format!("{who}: {e}"));
            return Round::Failed;
        }
    };
    // One P-DATA-TF (04H) with one PDV: length, context ID, control header 03H (command,
    // last), then the command set.
    if pdu.len() < 14 || pdu[0] != 0x04 || pdu[11] != 0x03 {
        stats.fail(
            &stats.wrong,
            format!(
                "{who}: unexpected N-GET-RQ encoding {:02X?}",
                &pdu[..pdu.len().min(12)]
            ),
        );
        return Round::Failed;
    }
    let mut abort = [0u8; 10];
    let abort_len = Abort::USER.emit(&mut abort).expect("A-ABORT fits");
    let abort = &abort[..abort_len];
    let written: io::Result<()> = async {
        match kind {
            FaultKind::AbortMidMessage if rng.coin() => {
                let (context_id, command) = (pdu[10], &pdu[12..]);
                let k = 1 + rng.below(command.len() - 1);
                let pdvs = [Pdv {
                    context_id,
                    control: MessageControlHeader::new(true, false),
                    data: &command[..k],
                }];
                let mut first = vec![0u8; 6 + 6 + k];
                let n = PDataTf { pdvs: &pdvs }
                    .emit(&mut first)
                    .expect("fragment fits");
                raw.s.write_all(&first[..n]).await?;
                let pause = rng.below(21) as u64;
                tokio::time::sleep(Duration::from_millis(pause)).await;
                raw.s.write_all(abort).await?;
                stats.abort_fragment.fetch_add(1, Relaxed);
                expect_close(&mut raw, sh, who, false).await;
            }
            FaultKind::AbortMidMessage => {
                let mut both = pdu.clone();
                both.extend_from_slice(abort);
                raw.s.write_all(&both).await?;
                stats.abort_after_command.fetch_add(1, Relaxed);
                expect_close(&mut raw, sh, who, true).await;
            }
            FaultKind::CloseMidPdu => {
                let cut = 1 + rng.below(pdu.len() - 1);
                raw.s.write_all(&pdu[..cut]).await?;
                if rng.coin() {
                    raw.s.shutdown().await?;
                    stats.close_fin.fetch_add(1, Relaxed);
                    expect_close(&mut raw, sh, who, false).await;
                } else {
                    #[allow(deprecated)] // SO_LINGER 0 does not block on close
                    raw.s.set_linger(Some(Duration::ZERO))?;
                    stats.close_rst.fetch_add(1, Relaxed);
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = written {
        // The server may have closed first; the fault still went in, mostly. Not a failure
        // of the server unless it did so for no reason, which `expect_close` would see.
        eprintln!("load: {who}: writing the fault: {e}");
    }
    Round::Done
}

/// After a fault: the server must close within the timeout, sending nothing (or, when it
/// got a whole request, only P-DATA: its response).
async fn expect_close(raw: &mut Raw<'_>, sh: &Shared, who: &str, response_allowed: bool) {
    match raw.until_closed(sh.opts.timeout).await {
        None => sh.stats.fail(
            &sh.stats.hangs,
            format!("{who}: the server did not close after the fault"),
        ),
        Some(Err(e)) => sh.stats.fail(
            &sh.stats.wrong,
            format!("{who}: reading after the fault: {e}"),
        ),
        Some(Ok(bytes)) => {
            let ok = bytes.is_empty() || (response_allowed && only_pdata(&bytes));
            if !ok {
                sh.stats.fail(
                    &sh.stats.wrong,
                    format!(
                        "{who}: {} unexpected bytes after the fault: {:02X?}",
                        bytes.len(),
                        &bytes[..bytes.len().min(16)]
                    ),
                );
            }
        }
    }
}

/// Whether `bytes` is a run of whole P-DATA-TF PDUs.
fn only_pdata(mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        if bytes.len() < 6 || bytes[0] != 0x04 {
            return false;
        }
        let len = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize;
        if bytes.len() < 6 + len {
            return false;
        }
        bytes = &bytes[6 + len..];
    }
    true
}

// ------------------------------------------------------------------------------ afterwards

/// Every association slot must be free again: `max` clients at once are accepted, one more
/// is rejected 2/3/2. Retried for up to 10 s while the server's last tasks end.
async fn capacity_check(sh: &Shared) -> Result<String, String> {
    let max = sh.opts.max_associations;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    loop {
        let mut tasks = Vec::new();
        for i in 0..max {
            let addr = sh.opts.addr.clone();
            let t = sh.opts.timeout;
            tasks.push(tokio::spawn(async move {
                let config = ClientConfig {
                    calling_ae: format!("CHECK{i}"),
                    ..ClientConfig::default()
                };
                tokio::time::timeout(t, Client::connect(&addr, config)).await
            }));
        }
        let mut clients = Vec::new();
        let mut rejected = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(Ok(c)) => clients.push(c),
                Ok(Err(ClientError::Rejected(rj))) if rj == AssociateRj::LOCAL_LIMIT_EXCEEDED => {
                    rejected += 1
                }
                Ok(Err(e)) => last = format!("capacity check: {e}"),
                Err(_) => last = "capacity check: association timed out".into(),
            }
        }
        let accepted = clients.len();
        let one_more = if accepted == max {
            let config = ClientConfig {
                calling_ae: "CHECKEXTRA".into(),
                ..ClientConfig::default()
            };
            let t = sh.opts.timeout;
            Some(tokio::time::timeout(t, Client::connect(&sh.opts.addr, config)).await)
        } else {
            None
        };
        for c in clients {
            let _ = tokio::time::timeout(sh.opts.timeout, c.release()).await;
        }
        let extra = max + 1;
        match one_more {
            None => last = format!("{last}; {accepted} of {max} accepted, {rejected} rejected"),
            Some(Ok(Err(ClientError::Rejected(rj)))) if rj == AssociateRj::LOCAL_LIMIT_EXCEEDED => {
                return Ok(format!(
                    "{max} associations at once accepted, one more rejected 2/3/2"
                ));
            }
            Some(Ok(Ok(c))) => {
                let _ = c.release().await;
                return Err(format!("capacity check: association {extra} was accepted"));
            }
            Some(Ok(Err(e))) => {
                return Err(format!("capacity check: association {extra}: {e}"));
            }
            Some(Err(_)) => return Err(format!("capacity check: association {extra} timed out")),
        }
        if Instant::now() > deadline {
            return Err(format!("association slots lost: {last}"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

// ------------------------------------------------------------------------------ main

fn main() {
    let opts = parse_options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ok = runtime.block_on(run(opts));
    std::process::exit(if ok { 0 } else { 1 });
}

async fn run(opts: Options) -> bool {
    let clients = opts.clients;
    let how_many = |f: f64| {
        if f <= 0.0 {
            0
        } else {
            ((clients as f64 * f).round() as usize).max(1)
        }
    };
    let n_abort = how_many(opts.abort_mid_message);
    let n_close = how_many(opts.close_mid_pdu);
    if n_abort + n_close > clients {
        eprintln!("load: more faulty clients than clients");
        return false;
    }
    // Which clients misbehave: a seeded shuffle.
    let mut rng = Rng::new(opts.seed);
    let mut order: Vec<usize> = (0..clients).collect();
    for i in (1..clients).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut kinds: Vec<Option<FaultKind>> = vec![None; clients];
    for &i in &order[..n_abort] {
        kinds[i] = Some(FaultKind::AbortMidMessage);
    }
    for &i in &order[n_abort..n_abort + n_close] {
        kinds[i] = Some(FaultKind::CloseMidPdu);
    }
    let n_good = clients - n_abort - n_close;

    let pid = opts.server_pid;
    let fds_before = pid.and_then(open_fds);
    let sh = Arc::new(Shared {
        opts: opts.clone(),
        stats: Stats::default(),
        expected: Expected::new(),
        start: Instant::now(),
    });
    println!(
        "load: {} against {}: {n_good} well-behaved clients x {} N-GETs, {n_abort} aborting \
         mid-message and {n_close} closing mid-PDU ({} rounds each), seed {}, timeout {:?}",
        clients, opts.addr, opts.n_gets, opts.fault_rounds, opts.seed, opts.timeout
    );

    // RSS sampler and progress line.
    let done = Arc::new(AtomicBool::new(false));
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, peak, sh) = (done.clone(), peak_rss.clone(), sh.clone());
        tokio::spawn(async move {
            let mut tick = 0u64;
            while !done.load(Relaxed) {
                if let Some(rss) = pid.and_then(|p| proc_status_kb(p, "VmRSS:")) {
                    peak.fetch_max(rss, Relaxed);
                }
                tick += 1;
                if tick % 50 == 0 {
                    let s = &sh.stats;
                    eprintln!(
                        "load: {:>5.1} s: {} N-GETs, {} associations, {} rejections{}",
                        sh.start.elapsed().as_secs_f64(),
                        s.n_gets.load(Relaxed) + s.n_gets_raw.load(Relaxed),
                        s.associations.load(Relaxed),
                        s.rejections.lock().expect("lock").values().sum::<u64>(),
                        pid.and_then(|p| proc_status_kb(p, "VmRSS:"))
                            .map_or(String::new(), |k| format!(", server RSS {k} kB")),
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let mut tasks = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let crng = Rng::new(opts.seed.wrapping_mul(1_000_003).wrapping_add(i as u64 + 1));
        let sh = sh.clone();
        tasks.push(match *kind {
            None => tokio::spawn(good_client(sh, i, crng)),
            Some(k) => tokio::spawn(faulty_client(sh, i, k, crng)),
        });
    }
    let mut panicked = 0;
    for t in tasks {
        if t.await.is_err() {
            panicked += 1;
        }
    }
    let secs = sh.start.elapsed().as_secs_f64();
    done.store(true, Relaxed);
    let _ = sampler.await;

    let capacity = if opts.max_associations > 0 {
        Some(capacity_check(&sh).await)
    } else {
        None
    };
    // Descriptors: give the server a moment to close the capacity check's connections.
    let mut fds_after = pid.and_then(open_fds);
    for _ in 0..50 {
        match (fds_before, fds_after) {
            (Some(b), Some(a)) if a > b => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                fds_after = pid.and_then(open_fds);
            }
            _ => break,
        }
    }
    let hwm = pid.and_then(|p| proc_status_kb(p, "VmHWM:"));
    let rss_end = pid.and_then(|p| proc_status_kb(p, "VmRSS:"));

    let s = &sh.stats;
    let n_gets = s.n_gets.load(Relaxed);
    let n_gets_raw = s.n_gets_raw.load(Relaxed);
    let total = n_gets + n_gets_raw;
    let faults = [
        s.abort_fragment.load(Relaxed),
        s.abort_after_command.load(Relaxed),
        s.close_fin.load(Relaxed),
        s.close_rst.load(Relaxed),
    ];
    let rejections = s.rejections.lock().expect("lock").clone();
    let rejected: u64 = rejections.values().sum();
    let expected_good = (n_good * opts.n_gets) as u64;
    println!("load: done in {secs:.1} s");
    println!(
        "  N-GETs verified:       {total} ({:.0}/s): {n_gets} by well-behaved clients (of {expected_good}), {n_gets_raw} by faulty clients before their faults",
        total as f64 / secs
    );
    println!(
        "  associations:          {} established, {} released by well-behaved clients (of {n_good})",
        s.associations.load(Relaxed),
        s.released.load(Relaxed)
    );
    println!(
        "  faults injected:       {} (abort mid-message: {} after half a command, {} right after a whole command; close mid-PDU: {} with FIN, {} with RST)",
        faults.iter().sum::<u64>(),
        faults[0],
        faults[1],
        faults[2],
        faults[3]
    );
    let by_reason: Vec<String> = rejections
        .iter()
        .map(|((r, so, re), n)| format!("{r}/{so}/{re}: {n}"))
        .collect();
    println!(
        "  rejections:            {rejected} ({})",
        if by_reason.is_empty() {
            "none".to_string()
        } else {
            by_reason.join(", ")
        }
    );
    println!("  wrong responses:       {}", s.wrong.load(Relaxed));
    println!("  hangs:                 {}", s.hangs.load(Relaxed));
    println!(
        "  wrong rejections:      {}",
        s.wrong_rejections.load(Relaxed)
    );
    println!(
        "  connect errors:        {}",
        s.connect_errors.load(Relaxed)
    );
    if panicked > 0 {
        println!("  client tasks panicked: {panicked}");
    }
    match &capacity {
        Some(Ok(m)) => println!("  afterwards:            {m}"),
        Some(Err(m)) => println!("  afterwards:            FAILED: {m}"),
        None => {}
    }
    if let Some(p) = pid {
        let kb = |v: Option<u64>| v.map_or("?".into(), |k| format!("{k} kB"));
        println!(
            "  server (pid {p}):      peak RSS (VmHWM) {}, highest sampled RSS {} kB, RSS at the end {}, open descriptors {} before, {} after",
            kb(hwm),
            peak_rss.load(Relaxed),
            kb(rss_end),
            fds_before.map_or("?".into(), |n| n.to_string()),
            fds_after.map_or("?".into(), |n| n.to_string()),
        );
    }
    let mut failures = Vec::new();
    for (name, n) in [
        ("wrong responses", s.wrong.load(Relaxed)),
        ("hangs", s.hangs.load(Relaxed)),
        ("wrong rejections", s.wrong_rejections.load(Relaxed)),
        ("connect errors", s.connect_errors.load(Relaxed)),
        ("panicked tasks", panicked),
    ] {
        if n > 0 {
            failures.push(format!("{n} {name}"));
        }
    }
    if n_gets != expected_good {
        failures.push(format!("{n_gets} of {expected_good} N-GETs done"));
    }
    if let Some(Err(m)) = &capacity {
        failures.push(m.clone());
    }
    if let (Some(b), Some(a)) = (fds_before, fds_after) {
        if a > b {
            failures.push(format!("server descriptors {b} before, {a} after"));
        }
    }
    println!(
        "RESULT {} n_gets={total} rate={:.0} secs={secs:.1} faults={} rejections={rejected} wrong={} hangs={} wrong_rejections={} connect_errors={} hwm_kb={}",
        if failures.is_empty() { "ok" } else { "FAILED" },
        total as f64 / secs,
        faults.iter().sum::<u64>(),
        s.wrong.load(Relaxed),
        s.hangs.load(Relaxed),
        s.wrong_rejections.load(Relaxed),
        s.connect_errors.load(Relaxed),
        hwm.map_or("?".into(), |k| k.to_string()),
    );
    if !failures.is_empty() {
        println!("load: FAILED: {}", failures.join("; "));
    }
    failures.is_empty()
}
