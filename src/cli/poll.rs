//! `dimse poll`: the Display System of every device in a list, concurrently.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use dimse::core::connection::AbortOrigin;
use dimse::core::dataset::{Encoding, ReadEvent, Reader, Tag};
use dimse::core::pdu::RejectResult;
use dimse::core::service::{self, StatusCategory};
use dimse_tokio::{Client, ClientConfig, ClientError};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use super::{address, describe_status, splitmix64, Failure};

/// `dimse poll`.
#[derive(Debug, Clone, Args)]
pub struct PollArgs {
    /// The devices: one per line, `HOST[:PORT] [AE_TITLE]`; `#` starts a comment.
    pub file: PathBuf,
    /// Associations at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Write one row per device here, as each device finishes: `.jsonl` (with the whole data
    /// set in the DICOM JSON model) or `.csv`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Our AE title (calling).
    #[arg(long = "aet", default_value = "DIMSE_POLL")]
    pub calling_ae: String,
    /// Seconds each device may take in all: connection, association, N-GET and release, and
    /// the retries with their waits.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Retries after a transient failure: A-ASSOCIATE-RJ rejected-transient, a connection
    /// refused, or reset or closed before the association was established.
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
    /// Seconds before the first retry; each next wait doubles, every wait drawn at random
    /// between half and all of it (so that devices refused together do not retry together).
    #[arg(long, default_value_t = 0.2)]
    pub retry_delay: f64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// One device of the list.
#[derive(Debug, Clone)]
struct Device {
    address: String,
    ae_title: String,
}

/// What polling one device gave.
#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    device: String,
    ae_title: String,
    /// success, warning, failure, timeout, rejected, aborted, refused, error
    outcome: &'static str,
    status: Option<String>,
    error: Option<String>,
    elapsed_ms: u64,
    manufacturer: Option<String>,
    model: Option<String>,
    serial_number: Option<String>,
    subsystems: Option<usize>,
    /// System Status of each subsystem, in order.
    subsystem_status: Vec<String>,
    /// Associations tried (1 when the first one decided).
    attempts: u32,
    /// The final outcome in words: the status with its meaning, or why it failed.
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_set: Option<serde_json::Value>,
}

/// One line of the list: `None` for a blank or comment line.
fn parse_device(line: &str) -> Result<Option<Device>, String> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let addr = parts.next().unwrap_or_default();
    let ae = parts.next().unwrap_or("ANY-SCP");
    if parts.next().is_some() || dimse::core::pdu::AeTitle::new(ae).is_none() {
        return Err(format!("expected `HOST[:PORT] [AE_TITLE]`, got `{line}`"));
    }
    Ok(Some(Device {
        address: address(addr),
        ae_title: ae.to_string(),
    }))
}

fn open_list(path: &PathBuf) -> Result<std::io::Lines<std::io::BufReader<std::fs::File>>, Failure> {
    let file =
        std::fs::File::open(path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    Ok(std::io::BufReader::new(file).lines())
}

/// Checks every line of the list before anything is polled, and counts the devices.
fn count_devices(path: &PathBuf) -> Result<usize, Failure> {
    let mut count = 0;
    for (n, line) in open_list(path)?.enumerate() {
        let line = line.map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
        match parse_device(&line) {
            Ok(Some(_)) => count += 1,
            Ok(None) => {}
            Err(e) => return Err(Failure::new(format!("{}:{}: {e}", path.display(), n + 1))),
        }
    }
    if count == 0 {
        return Err(Failure::new(format!(
            "{}: no device listed",
            path.display()
        )));
    }
    Ok(count)
}

/// The list read again, a device at a time as workers ask: a list of any length costs the
/// memory of one line.
struct DeviceList {
    lines: std::sync::Mutex<std::io::Lines<std::io::BufReader<std::fs::File>>>,
}

impl DeviceList {
    /// The next device; `None` at the end (or if the list became unreadable since it was
    /// checked).
    fn next(&self) -> Option<Device> {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match parse_device(&lines.next()?.ok()?) {
                Ok(Some(d)) => return Some(d),
                Ok(None) => continue,
                Err(_) => return None,
            }
        }
    }
}

/// Why one association with a device failed, and whether trying again may help.
struct AttemptError {
    error: ClientError,
    /// Failed before the association was established, in a way that says "later" (PS3.8
    /// §9.3.4: rejected-transient) or that the device is not taking connections right now
    /// (refused, reset or closed). Nothing was asked of the device yet.
    transient: bool,
}

/// The receive buffer of a poll's association: the largest N-GET-RSP data set accepted. A
/// Display System with a few subsystems is a few KiB; 64 KiB leaves room for many.
const POLL_RX_BUFFER: usize = 64 * 1024;

/// One association: connect, N-GET the Display System, release.
async fn attempt(
    device: &Device,
    args: &PollArgs,
    left: Duration,
) -> Result<dimse_tokio::NGetResponse<'static>, AttemptError> {
    let mut config = ClientConfig {
        calling_ae: args.calling_ae.clone(),
        called_ae: device.ae_title.clone(),
        abstract_syntaxes: vec![service::DISPLAY_SYSTEM.into()],
        connect_timeout: left,
        rx_buffer: POLL_RX_BUFFER,
        ..ClientConfig::default()
    };
    let ms = dimse::core::Duration::from_millis(left.as_millis() as u64);
    config.limits.acse_timeout = ms;
    config.limits.dimse_timeout = ms;
    let mut client = Client::connect(&device.address, config)
        .await
        .map_err(|error| AttemptError {
            transient: match &error {
                ClientError::Rejected(rj) => rj.result == RejectResult::Transient,
                ClientError::Io(e) => matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                ),
                ClientError::Aborted(AbortOrigin::TransportClosed) => true,
                _ => false,
            },
            error,
        })?;
    let r = client
        .n_get(
            service::DISPLAY_SYSTEM,
            service::DISPLAY_SYSTEM_INSTANCE,
            None,
        )
        .await
        .map(dimse_tokio::NGetResponse::into_owned);
    // The answer is what counts; a release the device gets wrong does not undo it.
    let _ = client.release().await;
    r.map_err(|error| AttemptError {
        error,
        transient: false,
    })
}

/// The wait before retry `n` (1 for the first): `retry_delay` doubled each time, drawn
/// between half and all of it.
fn backoff(args: &PollArgs, n: u32, rng: &mut u64) -> Duration {
    let full = args.retry_delay.max(0.0) * f64::from(1u32 << (n - 1).min(16));
    let share = 0.5 + 0.5 * (splitmix64(rng) >> 11) as f64 / (1u64 << 53) as f64;
    Duration::from_secs_f64(full * share)
}

async fn poll_one(device: &Device, args: &PollArgs, with_json: bool, rng: &mut u64) -> Row {
    let start = Instant::now();
    let mut row = Row {
        device: device.address.clone(),
        ae_title: device.ae_title.clone(),
        outcome: "error",
        status: None,
        error: None,
        elapsed_ms: 0,
        manufacturer: None,
        model: None,
        serial_number: None,
        subsystems: None,
        subsystem_status: Vec::new(),
        attempts: 0,
        reason: String::new(),
        data_set: None,
    };
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    let deadline = tokio::time::Instant::now() + timeout;
    let outcome = loop {
        row.attempts += 1;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        // The deadline bounds everything, a device that accepts and never speaks included.
        match tokio::time::timeout_at(deadline, attempt(device, args, left)).await {
            Err(_) => break None,
            Ok(Err(e)) if e.transient && row.attempts <= args.retries => {
                let wait = backoff(args, row.attempts, rng);
                if tokio::time::Instant::now() + wait >= deadline {
                    break Some(Err(e.error));
                }
                tokio::time::sleep(wait).await;
            }
            Ok(r) => break Some(r.map_err(|e| e.error)),
        }
    };
    row.elapsed_ms = start.elapsed().as_millis() as u64;
    match outcome {
        None => {
            row.outcome = "timeout";
            row.error = Some(format!("no answer within {} s", args.timeout));
        }
        Some(Err(e)) => {
            row.outcome = match &e {
                ClientError::Timeout(_) | ClientError::Aborted(AbortOrigin::Timeout(_)) => {
                    "timeout"
                }
                ClientError::Rejected(_) => "rejected",
                ClientError::Aborted(_) => "aborted",
                ClientError::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => "refused",
                _ => "error",
            };
            row.error = Some(e.to_string());
        }
        Some(Ok(r)) => {
            let mut status = describe_status(service::DISPLAY_SYSTEM, r.status);
            if let Some(comment) = &r.error_comment {
                status = format!("{status}: {comment}");
            }
            row.status = Some(status);
            row.outcome = match StatusCategory::of(r.status) {
                StatusCategory::Success => "success",
                StatusCategory::Warning => "warning",
                _ => "failure",
            };
            if let Some(data) = &r.data_set {
                summarize(&mut row, data, r.encoding);
                if with_json {
                    row.data_set = dimse::print::to_json(data, r.encoding).ok();
                }
            }
        }
    }
    row.reason = row
        .error
        .clone()
        .or_else(|| row.status.clone())
        .unwrap_or_default();
    row
}

/// The identity and subsystem states, read straight from the data set.
fn summarize(row: &mut Row, data: &[u8], encoding: Encoding) {
    const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);
    const MODEL: Tag = Tag::new(0x0008, 0x1090);
    const SERIAL: Tag = Tag::new(0x0018, 0x1000);
    const SUBSYSTEMS: Tag = Tag::new(0x0028, 0x7023);
    const SYSTEM_STATUS: Tag = Tag::new(0x0028, 0x7006);
    let text = |v: &[u8]| {
        String::from_utf8_lossy(v)
            .trim_end_matches([' ', '\0'])
            .to_string()
    };
    let mut depth = 0usize;
    let mut in_subsystems = false;
    for ev in Reader::new(data, encoding) {
        let Ok(ev) = ev else { break };
        match ev {
            ReadEvent::Element { tag, value, .. } => match (depth, tag) {
                (0, MANUFACTURER) => row.manufacturer = Some(text(value)),
                (0, MODEL) => row.model = Some(text(value)),
                (0, SERIAL) => row.serial_number = Some(text(value)),
                (2, SYSTEM_STATUS) if in_subsystems => row.subsystem_status.push(text(value)),
                _ => {}
            },
            ReadEvent::SequenceStart { tag, .. } => {
                if depth == 0 && tag == SUBSYSTEMS {
                    in_subsystems = true;
                    row.subsystems = Some(0);
                }
                depth += 1;
            }
            ReadEvent::ItemStart { .. } => {
                if in_subsystems && depth == 1 {
                    row.subsystems = row.subsystems.map(|n| n + 1);
                }
                depth += 1;
            }
            ReadEvent::ItemEnd { .. } => depth = depth.saturating_sub(1),
            ReadEvent::SequenceEnd { .. } => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    in_subsystems = false;
                }
            }
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The rows' format, from the file name: CSV for `.csv`, else JSON Lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: &str = "device,ae_title,outcome,status,error,elapsed_ms,manufacturer,model,serial_number,subsystems,subsystem_status,attempts,reason";

/// One row as a line of the rows' file (without the newline).
fn row_line(r: &Row, format: Format) -> String {
    if format == Format::JsonLines {
        return serde_json::to_string(r).unwrap_or_default();
    }
    let fields = [
        r.device.clone(),
        r.ae_title.clone(),
        r.outcome.to_string(),
        r.status.clone().unwrap_or_default(),
        r.error.clone().unwrap_or_default(),
        r.elapsed_ms.to_string(),
        r.manufacturer.clone().unwrap_or_default(),
        r.model.clone().unwrap_or_default(),
        r.serial_number.clone().unwrap_or_default(),
        r.subsystems.map(|n| n.to_string()).unwrap_or_default(),
        r.subsystem_status.join(" "),
        r.attempts.to_string(),
        r.reason.clone(),
    ];
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    line.join(",")
}

/// The devices that did not answer success listed in the summary, at most.
const SUMMARY_LINES: usize = 1000;

/// What a worker hands on for each device: the row's line, made in the worker so that
/// only text waits in the channel, and what the summary needs.
struct Finished {
    outcome: &'static str,
    /// For the summary, when the outcome is not success.
    summary: Option<String>,
    line: Option<String>,
}

pub async fn poll(args: PollArgs) -> Result<(), Failure> {
    let total = count_devices(&args.file)?;
    let devices = Arc::new(DeviceList {
        lines: std::sync::Mutex::new(open_list(&args.file)?),
    });
    let format = match &args.out {
        Some(p) if p.extension().is_some_and(|e| e == "csv") => Some(Format::Csv),
        Some(_) => Some(Format::JsonLines),
        None => None,
    };
    let mut out = match &args.out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?,
        )),
        None => None,
    };
    let write_error = |e: io::Error| Failure::new(format!("writing rows: {e}"));
    if let (Some(w), Some(Format::Csv)) = (out.as_mut(), format) {
        writeln!(w, "{CSV_HEADER}").map_err(write_error)?;
    }
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} devices, {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    };
    // `concurrency` workers take the next device from the list: tasks, buffers and rows in
    // flight are bounded by the concurrency, not by the number of devices.
    let workers = args.concurrency.clamp(1, total);
    let (rows_tx, mut rows_rx) = mpsc::channel::<Finished>(workers);
    let args = Arc::new(args);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    for w in 0..workers {
        let (devices, args, rows_tx) = (devices.clone(), args.clone(), rows_tx.clone());
        let mut rng = seed ^ (w as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        tokio::spawn(async move {
            while let Some(d) = devices.next() {
                let with_json = format == Some(Format::JsonLines);
                let r = poll_one(&d, &args, with_json, &mut rng).await;
                let finished = Finished {
                    outcome: r.outcome,
                    summary: (r.outcome != "success").then(|| {
                        format!(
                            "  {} ({}): {} {} (attempts: {})",
                            r.device, r.ae_title, r.outcome, r.reason, r.attempts
                        )
                    }),
                    line: format.map(|f| row_line(&r, f)),
                };
                if rows_tx.send(finished).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(rows_tx);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    // Only the devices that did not answer success are kept, for the summary, and at most
    // `SUMMARY_LINES` of them: the rows have them all.
    let mut not_success = Vec::new();
    let mut not_listed = 0usize;
    let mut written = Ok(());
    while let Some(f) = rows_rx.recv().await {
        bar.inc(1);
        *counts.entry(f.outcome).or_default() += 1;
        if let Some(line) = f.summary {
            if not_success.len() < SUMMARY_LINES {
                not_success.push(line);
            } else {
                not_listed += 1;
            }
        }
        if let (Some(w), Some(line), Ok(())) = (out.as_mut(), f.line, &written) {
            written = writeln!(w, "{line}");
        }
    }
    bar.finish_and_clear();
    written.map_err(write_error)?;
    let count = |o: &str| counts.get(o).copied().unwrap_or(0);
    let ok = count("success") + count("warning");
    let timeouts = count("timeout");
    let failed = total - ok - timeouts;
    out!(
        "{total} devices: {ok} answered (success or warning), {failed} failed or refused, {timeouts} timed out"
    );
    for line in &not_success {
        out!("{line}");
    }
    if not_listed > 0 {
        out!(
            "  and {not_listed} more that did not answer success (every device has a row in --out)"
        );
    }
    if let (Some(mut w), Some(path)) = (out, &args.out) {
        w.flush().map_err(write_error)?;
        out!("rows written to {}", path.display());
    }
    if ok == total {
        Ok(())
    } else {
        Err(Failure {
            message: format!(
                "{} of {total} devices did not answer with success",
                total - ok
            ),
            code: 4,
        })
    }
}
