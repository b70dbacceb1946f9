//! `dimse simulate`: a fleet of Display System SCPs in one process, for testing pollers and
//! QA servers. Every device, its identity, its QA state and its trouble, derives from the
//! seed, so a poll's rows can be checked against the fleet's ground truth (`--json`,
//! `--check`).
//!
//! The devices drive the core directly, not through `dimse_tokio::Server`: a simulator must
//! misbehave on purpose (answer late, reject, abort, cut a PDU in half), which a real server
//! never offers.

use std::io::{self, BufRead, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use dimse::core::assoc::AcceptorPolicy;
use dimse::core::dimse::{Operation, Status};
use dimse::core::pdu::{AeTitle, AssociateRj};
use dimse::core::service::display::{
    validate, ConfigurationQaResults, DisplaySubsystem, DisplaySubsystemQaResults, DisplaySystem,
    SystemStatus, TestResult, VisualEvaluationResult, VisualEvaluationTest, DEMO,
};
use dimse::core::service::{DISPLAY_SYSTEM, VERIFICATION};
use dimse::core::{Connection, Event, Output, Storage};
use dimse_tokio::Clock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::{splitmix64, Failure};

/// `dimse simulate`.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Devices in the fleet.
    #[arg(long, default_value_t = 100)]
    pub devices: usize,
    /// The first device's port; the others follow on consecutive ports. 0: each device on
    /// a free port the system picks (the list and the ground truth say which).
    #[arg(long, default_value_t = 20000)]
    pub base_port: u16,
    /// Local addresses to spread the devices over (comma-separated, e.g.
    /// 127.0.0.1,127.0.0.2): device `i` listens on address `i % n`, port `base + i / n`.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1")]
    pub hosts: Vec<IpAddr>,
    /// Seed of everything the fleet is made of.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of troublesome devices, 0 to 1, spread evenly over the kinds of trouble: slow,
    /// busy, abort, failure, refuse, cut (see the README).
    #[arg(long, default_value_t = 0.05)]
    pub trouble: f64,
    /// Print the ground truth, one JSON object per device, once every device listens.
    #[arg(long)]
    pub json: bool,
    /// Write the device list for `dimse poll` here, once every device listens.
    #[arg(long)]
    pub list: Option<PathBuf>,
    /// Check the rows of a `dimse poll --out ROWS.jsonl` against the ground truth instead of
    /// serving (rows are matched by AE title, so the ports do not matter): prints the wrong
    /// rows, exit code 1 if there is one.
    #[arg(long)]
    pub check: Option<PathBuf>,
}

/// What a troublesome device does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    /// Nothing: answers at once.
    None,
    /// Answers the N-GET after `delay_ms` (under a second and a half).
    Slow,
    /// Its association slots are mostly taken by other QA tools: of every `rejections + 1`
    /// associations, the first `rejections` are rejected-transient (A-ASSOCIATE-RJ, local
    /// limit exceeded), the last is served.
    Busy,
    /// Aborts the association (A-ABORT, service user) on the N-GET.
    Abort,
    /// Answers the N-GET 0110H (Processing failure) with an Error Comment.
    Failure,
    /// Does not listen: every connection is refused (a device that is down).
    Refuse,
    /// Sends the first half of the N-GET-RSP's PDU and closes the connection.
    Cut,
}

impl Trouble {
    const TROUBLESOME: [Trouble; 6] = [
        Trouble::Slow,
        Trouble::Busy,
        Trouble::Abort,
        Trouble::Failure,
        Trouble::Refuse,
        Trouble::Cut,
    ];

    fn name(self) -> &'static str {
        match self {
            Trouble::None => "none",
            Trouble::Slow => "slow",
            Trouble::Busy => "busy",
            Trouble::Abort => "abort",
            Trouble::Failure => "failure",
            Trouble::Refuse => "refuse",
            Trouble::Cut => "cut",
        }
    }

    /// The poller's outcome for this trouble, and words its reason must contain.
    fn expected(self) -> (&'static str, &'static str) {
        match self {
            Trouble::None | Trouble::Slow | Trouble::Busy => ("success", "0000H"),
            Trouble::Abort => ("aborted", "aborted by the peer"),
            Trouble::Failure => ("failure", "0110H"),
            Trouble::Refuse => ("refused", "refused"),
            Trouble::Cut => ("aborted", "closed the connection without a release"),
        }
    }
}

/// The Error Comment of a failing device.
const FAILURE_COMMENT: &str = "Display controller busy: calibration running";

const MANUFACTURERS: [&str; 3] = [
    "Example Displays",
    "Acme Medical Displays",
    "Northwind Imaging",
];
const MODELS: [&str; 3] = ["EDS-DX2 Diagnostic Station", "RadView 5MP", "MammoLux 12"];

/// One device of the fleet.
#[derive(Debug)]
struct Device {
    host: IpAddr,
    port: u16,
    ae_title: String,
    manufacturer: &'static str,
    model: &'static str,
    serial_number: String,
    /// System Status of each subsystem (1 to 4 of them).
    subsystem_status: Vec<SystemStatus>,
    trouble: Trouble,
    /// Slow: how long it takes to answer.
    delay_ms: u64,
    /// Busy: associations rejected before one is served, and associations so far.
    rejections: u32,
    associations: AtomicU32,
}

/// A value in `0..n` from the generator.
fn below(rng: &mut u64, n: u64) -> u64 {
    splitmix64(rng) % n
}

/// The fleet the arguments describe (the same for the same arguments).
fn fleet(args: &SimulateArgs) -> Result<Vec<Device>, Failure> {
    let hosts = args.hosts.len().max(1);
    let last = usize::from(args.base_port) + args.devices.div_ceil(hosts);
    let fits = args.base_port == 0 || last <= usize::from(u16::MAX) + 1;
    if args.devices == 0 || !fits || args.hosts.is_empty() {
        return Err(Failure::new(format!(
            "{} devices from port {} on {} address(es) do not fit below port 65536",
            args.devices, args.base_port, hosts
        )));
    }
    if !(0.0..=1.0).contains(&args.trouble) {
        return Err(Failure::new("--trouble is a share between 0 and 1"));
    }
    let mut devices = Vec::with_capacity(args.devices);
    for i in 0..args.devices {
        // Each device its own stream: a device's identity does not depend on the fleet size.
        let mut rng = args.seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
        let troubled = (splitmix64(&mut rng) >> 11) as f64 / (1u64 << 53) as f64;
        let trouble = if troubled < args.trouble {
            Trouble::TROUBLESOME[below(&mut rng, 6) as usize]
        } else {
            Trouble::None
        };
        let subsystems = 1 + below(&mut rng, 4) as usize;
        let subsystem_status = (0..subsystems)
            .map(|_| match below(&mut rng, 100) {
                0..=79 => SystemStatus::Ok,
                80..=94 => SystemStatus::Warning,
                _ => SystemStatus::Failed,
            })
            .collect();
        devices.push(Device {
            host: args.hosts[i % hosts],
            port: match args.base_port {
                0 => 0,
                base => base + (i / hosts) as u16,
            },
            ae_title: format!("DISPLAY{i:05}"),
            manufacturer: MANUFACTURERS[below(&mut rng, 3) as usize],
            model: MODELS[below(&mut rng, 3) as usize],
            serial_number: format!("SN-{:010}", below(&mut rng, 10_000_000_000)),
            subsystem_status,
            trouble,
            delay_ms: 300 + below(&mut rng, 1200),
            rejections: 1 + below(&mut rng, 2) as u32,
            associations: AtomicU32::new(0),
        });
    }
    Ok(devices)
}

/// One item for each of `count` subsystems (none where `item` gives none), to lend as a
/// one-item slice of a sequence.
fn per_subsystem<T>(count: usize, item: impl Fn(usize) -> Option<T>) -> Vec<Vec<T>> {
    (0..count).map(|k| item(k).into_iter().collect()).collect()
}

impl Device {
    fn subsystem_serial(&self, k: usize) -> String {
        format!("{}-{}", self.serial_number, k + 1)
    }

    /// The visual evaluation (TG18-QC) result of each subsystem: failed with the subsystem.
    fn visual_evaluation(&self) -> impl Iterator<Item = TestResult> + '_ {
        self.subsystem_status.iter().map(|s| match s {
            SystemStatus::Failed => TestResult::Fail,
            _ => TestResult::Pass,
        })
    }

    /// Calls `f` with the device's Display System: the demo display's structure with this
    /// device's identity, subsystem count, states and visual evaluation results.
    fn with_display<R>(&self, f: impl FnOnce(&DisplaySystem<'_>) -> R) -> R {
        let count = self.subsystem_status.len();
        let serials: Vec<String> = (0..count).map(|k| self.subsystem_serial(k)).collect();
        // Every subsystem is the demo's first head (the one with QA results), with this
        // device's visual evaluation result: each level borrows the one below.
        let base = |_: usize| &DEMO.display_subsystems[0];
        let first_qa = |k: usize| base(k).qa_results.first().copied();
        let first_results = |k: usize| first_qa(k).and_then(|q| q.results.first().copied());
        let first_evaluation =
            |k: usize| first_results(k).and_then(|r| r.visual_evaluation.first().copied());
        let verdicts: Vec<TestResult> = self.visual_evaluation().collect();
        let tests = per_subsystem(count, |k| {
            let test = first_evaluation(k)?.tests.first().copied()?;
            Some(VisualEvaluationTest {
                result: verdicts[k],
                ..test
            })
        });
        let evaluations = per_subsystem(count, |k| {
            Some(VisualEvaluationResult {
                tests: &tests[k],
                ..first_evaluation(k)?
            })
        });
        let results = per_subsystem(count, |k| {
            Some(ConfigurationQaResults {
                visual_evaluation: &evaluations[k],
                ..first_results(k)?
            })
        });
        let qa = per_subsystem(count, |k| {
            Some(DisplaySubsystemQaResults {
                results: &results[k],
                ..first_qa(k)?
            })
        });
        let subsystems: Vec<DisplaySubsystem<'_>> = self
            .subsystem_status
            .iter()
            .enumerate()
            .map(|(k, status)| DisplaySubsystem {
                id: k as u16 + 1,
                name: ["HEAD1", "HEAD2", "HEAD3", "HEAD4"][k],
                description: [
                    "Diagnostic head 1",
                    "Diagnostic head 2",
                    "Diagnostic head 3",
                    "Diagnostic head 4",
                ][k],
                device_serial_number: &serials[k],
                system_status: *status,
                system_status_comment: match status {
                    SystemStatus::Ok => "",
                    SystemStatus::Warning => "Acceptance test pending",
                    _ => "Luminance below target",
                },
                qa_results: &qa[k],
                ..*base(k)
            })
            .collect();
        f(&DisplaySystem {
            manufacturer: self.manufacturer,
            manufacturer_model_name: self.model,
            device_serial_number: &self.serial_number,
            station_name: &self.ae_title,
            display_subsystems: &subsystems,
            ..DEMO
        })
    }

    /// The ground truth: what a poller must report for this device, listening on `address`
    /// (none when it refuses connections).
    fn truth(&self, address: Option<SocketAddr>) -> serde_json::Value {
        let (outcome, reason) = self.trouble.expected();
        let mut t = serde_json::json!({
            "device": address.map(|a| a.to_string()),
            "ae_title": self.ae_title,
            "trouble": self.trouble.name(),
            "outcome": outcome,
            "reason_contains": reason,
        });
        if outcome == "success" {
            t["manufacturer"] = self.manufacturer.into();
            t["model"] = self.model.into();
            t["serial_number"] = self.serial_number.clone().into();
            t["subsystems"] = self.subsystem_status.len().into();
            t["subsystem_status"] = self
                .subsystem_status
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .into();
            t["visual_evaluation"] = self
                .visual_evaluation()
                .map(TestResult::as_str)
                .collect::<Vec<_>>()
                .into();
        }
        match self.trouble {
            Trouble::Slow => t["delay_ms"] = self.delay_ms.into(),
            Trouble::Busy => t["attempts"] = (self.rejections + 1).into(),
            _ => {}
        }
        t
    }
}

pub async fn simulate(args: SimulateArgs) -> Result<(), Failure> {
    let devices = Arc::new(fleet(&args)?);
    if let Some(rows) = &args.check {
        return check(&devices, rows);
    }
    // Every device is a listening socket, every association one more descriptor.
    if let Some(limit) = open_files_limit() {
        // A listener per device, and a connection per association in flight.
        let needed = devices.len() as u64 + 256;
        if limit < needed {
            return Err(Failure::new(format!(
                "{} devices need about {needed} file descriptors and the limit is {limit}: raise it (ulimit -n {needed})",
                devices.len()
            )));
        }
    }
    // Every device is checked against the IOD once (the same rules `dimse serve` applies).
    for d in devices.iter() {
        d.with_display(|display| validate(display).map_err(|e| e.to_string()))
            .map_err(|e| Failure::new(format!("{}: invalid Display System: {e}", d.ae_title)))?;
    }
    // Every device is bound before any is announced. One that refuses connections keeps
    // its port bound without listening: a connection to it is refused, and the port cannot
    // be handed to anybody else meanwhile (nor to an outgoing connection, which would then
    // connect to itself).
    let mut listeners = Vec::with_capacity(devices.len());
    let mut addresses = Vec::with_capacity(devices.len());
    let mut not_listening = Vec::new();
    for d in devices.iter() {
        let at = SocketAddr::new(d.host, d.port);
        let bound = if d.trouble == Trouble::Refuse {
            let socket = match d.host {
                IpAddr::V4(_) => TcpSocket::new_v4(),
                IpAddr::V6(_) => TcpSocket::new_v6(),
            };
            socket.and_then(|s| {
                s.bind(at)?;
                let a = s.local_addr()?;
                not_listening.push(s);
                Ok((a, None))
            })
        } else {
            TcpListener::bind(at)
                .await
                .and_then(|l| Ok((l.local_addr()?, Some(l))))
        };
        let (a, listener) = bound.map_err(|e| Failure::new(format!("{at}: {e}")))?;
        addresses.push(a);
        listeners.push(listener);
    }
    for (i, listener) in listeners.into_iter().enumerate() {
        let Some(listener) = listener else { continue };
        let devices = devices.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of descriptors: wait for some to close.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let devices = devices.clone();
                tokio::spawn(async move {
                    let _ = serve(&devices[i], stream).await;
                });
            }
        });
    }
    // Caught before the list is written: a script that sees the list may interrupt at once.
    let ctrl_c = dimse_tokio::ctrl_c().map_err(|e| Failure::new(format!("SIGINT: {e}")))?;
    if let Some(path) = &args.list {
        let mut list = String::new();
        for (d, a) in devices.iter().zip(&addresses) {
            list.push_str(&format!("{a} {}\n", d.ae_title));
        }
        // Written whole, then renamed: a script waiting for the file finds it complete.
        let tmp = path.with_extension("partial");
        std::fs::write(&tmp, list)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    }
    if args.json {
        let mut out = io::BufWriter::new(io::stdout().lock());
        for (d, a) in devices.iter().zip(&addresses) {
            let _ = writeln!(out, "{}", d.truth(Some(*a)));
        }
        let _ = out.flush();
    }
    let refused = devices
        .iter()
        .filter(|d| d.trouble == Trouble::Refuse)
        .count();
    eprintln!(
        "dimse simulate: {} devices listening ({} refusing connections), Ctrl-C to stop",
        devices.len() - refused,
        refused
    );
    let _ = ctrl_c.await;
    drop(not_listening);
    Ok(())
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];

/// Serves one connection to `device`, with its trouble: the core's drain contract (as in
/// `examples/blocking_scp.rs`) on a tokio stream.
async fn serve(device: &Device, mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let ae = AeTitle::new(&device.ae_title).unwrap_or(AeTitle::new("DISPLAY").expect("valid"));
    let policy = AcceptorPolicy::new(ae, &SERVED);
    let clock = Clock::start();
    // Sized for the Display System's N-GET: the request's command set, a response of four
    // subsystems (about 7 KB), one PDU of the default maximum length.
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 16 * 1024]);
    let mut conn = Connection::acceptor(
        &policy,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        clock.now(),
    );
    if device.trouble == Trouble::Busy {
        let n = device.associations.fetch_add(1, Ordering::Relaxed);
        if n % (device.rejections + 1) != device.rejections {
            conn.refuse(AssociateRj::LOCAL_LIMIT_EXCEEDED);
        }
    }
    let mut input = vec![0u8; 4096];
    let mut filled = 0;
    let mut pdu = vec![0u8; conn.min_output_len().max(16 * 1024 + 6)];
    let mut wire = Vec::new();
    loop {
        let used = conn.handle_input(clock.now(), &input[..filled]);
        input.copy_within(used..filled, 0);
        filled -= used;
        let mut cut = false;
        let idle = loop {
            match conn.poll_output(&mut pdu) {
                Ok(Output::Transmit(n)) => wire.extend_from_slice(&pdu[..n]),
                Ok(Output::Event(Event::Request {
                    op: Operation::NGet,
                    message_id,
                    ..
                })) => {
                    if device.trouble == Trouble::Slow {
                        tokio::time::sleep(Duration::from_millis(device.delay_ms)).await;
                    }
                    let now = clock.now();
                    match device.trouble {
                        Trouble::Abort => {
                            let _ = conn.abort(now);
                        }
                        Trouble::Failure => {
                            let status = Status::new(0x0110).with_error_comment(FAILURE_COMMENT);
                            let _ = conn.respond_n_get(now, message_id, status, None);
                        }
                        _ => {
                            cut = device.trouble == Trouble::Cut;
                            device
                                .with_display(|d| {
                                    conn.respond_n_get(now, message_id, Status::SUCCESS, Some(d))
                                })
                                .map_err(|e| io::Error::other(format!("{e:?}")))?;
                        }
                    }
                }
                Ok(Output::Event(_)) => {}
                Ok(Output::Reoffer) => break None,
                Ok(Output::Idle { until }) => break Some(until),
                Err(_) => return Err(io::Error::other("PDU larger than the output room")),
            }
        };
        let Some(until) = idle else { continue };
        if cut {
            // Half of the response's PDU, then the connection closes.
            stream.write_all(&wire[..wire.len() / 2]).await?;
            return Ok(());
        }
        if !wire.is_empty() {
            stream.write_all(&wire).await?;
            wire.clear();
        }
        if conn.is_closed() {
            return Ok(());
        }
        if filled == input.len() {
            return Err(io::Error::other("receive buffer full"));
        }
        let deadline = until.map(|t| tokio::time::Instant::from_std(clock.to_std(t)));
        tokio::select! {
            read = stream.read(&mut input[filled..]) => match read {
                Ok(0) | Err(_) => conn.handle_transport_closed(clock.now()),
                Ok(n) => filled += n,
            },
            () = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => conn.handle_timeout(clock.now()),
        }
    }
}

/// Checks a poll's rows (JSON Lines) against the ground truth: every device has exactly one
/// row, with the expected outcome, reason and, for those answering, identity and states.
fn check(devices: &[Device], rows: &PathBuf) -> Result<(), Failure> {
    let file =
        std::fs::File::open(rows).map_err(|e| Failure::new(format!("{}: {e}", rows.display())))?;
    let mut by_device = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for line in io::BufReader::new(file).lines() {
        let line = line.map_err(|e| Failure::new(format!("{}: {e}", rows.display())))?;
        let row: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| Failure::new(format!("{}: {e}", rows.display())))?;
        let key = row["ae_title"].as_str().unwrap_or_default().to_string();
        if by_device.insert(key.clone(), row).is_some() {
            problems.push(format!("{key}: more than one row"));
        }
    }
    let mut right = 0;
    for d in devices {
        let Some(row) = by_device.remove(&d.ae_title) else {
            problems.push(format!("{}: no row", d.ae_title));
            continue;
        };
        let truth = d.truth(None);
        let mut wrong = Vec::new();
        let (outcome, reason) = d.trouble.expected();
        if row["outcome"] != outcome {
            wrong.push(format!("outcome {} (expected {outcome})", row["outcome"]));
        }
        if !row["reason"].as_str().unwrap_or_default().contains(reason) {
            wrong.push(format!(
                "reason {} (expected to contain {reason:?})",
                row["reason"]
            ));
        }
        for key in [
            "manufacturer",
            "model",
            "serial_number",
            "subsystems",
            "attempts",
        ] {
            if !truth[key].is_null() && row[key] != truth[key] {
                wrong.push(format!("{key} {} (expected {})", row[key], truth[key]));
            }
        }
        if !truth["subsystem_status"].is_null()
            && row["subsystem_status"] != truth["subsystem_status"]
        {
            wrong.push(format!(
                "subsystem_status {} (expected {})",
                row["subsystem_status"], truth["subsystem_status"]
            ));
        }
        if wrong.is_empty() {
            right += 1;
        } else {
            problems.push(format!(
                "{} ({}): {}",
                d.ae_title,
                d.trouble.name(),
                wrong.join(", ")
            ));
        }
    }
    for extra in by_device.keys() {
        problems.push(format!("{extra}: a row for a device not in the fleet"));
    }
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for d in devices {
        *kinds.entry(d.trouble.name()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    out!(
        "{} devices ({}): {right} rows right, {} wrong",
        devices.len(),
        kinds.join(", "),
        problems.len()
    );
    for p in problems.iter().take(20) {
        out!("  {p}");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!("{} rows wrong", problems.len())))
    }
}
