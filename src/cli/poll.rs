//! `dimse poll`: the Display System of every device in a list, concurrently.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use dimse::core::connection::AbortOrigin;
use dimse::core::dataset::{Encoding, ReadEvent, Reader, Tag};
use dimse::core::service::{self, StatusCategory};
use dimse_tokio::{Client, ClientConfig, ClientError};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;

use super::{address, describe_status, Failure};

/// `dimse poll`.
#[derive(Debug, Clone, Args)]
pub struct PollArgs {
    /// The devices: one per line, `HOST[:PORT] [AE_TITLE]`; `#` starts a comment.
    pub file: PathBuf,
    /// Associations at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Write one row per device here: `.jsonl` (with the whole data set in the DICOM JSON
    /// model) or `.csv`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Our AE title (calling).
    #[arg(long = "aet", default_value = "DIMSE_POLL")]
    pub calling_ae: String,
    /// Seconds to wait for each device (connection, association, response).
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
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
    /// success, warning, failure, timeout, rejected, aborted, error
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
    #[serde(skip_serializing_if = "Option::is_none")]
    data_set: Option<serde_json::Value>,
}

fn read_devices(path: &PathBuf) -> Result<Vec<Device>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    let mut devices = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let addr = parts.next().unwrap_or_default();
        let ae = parts.next().unwrap_or("ANY-SCP");
        if parts.next().is_some() || dimse::core::pdu::AeTitle::new(ae).is_none() {
            return Err(Failure::new(format!(
                "{}:{}: expected `HOST[:PORT] [AE_TITLE]`, got `{line}`",
                path.display(),
                n + 1
            )));
        }
        devices.push(Device {
            address: address(addr),
            ae_title: ae.to_string(),
        });
    }
    if devices.is_empty() {
        return Err(Failure::new(format!(
            "{}: no device listed",
            path.display()
        )));
    }
    Ok(devices)
}

async fn poll_one(device: &Device, args: &PollArgs, with_json: bool) -> Row {
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
        data_set: None,
    };
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    let mut config = ClientConfig {
        calling_ae: args.calling_ae.clone(),
        called_ae: device.ae_title.clone(),
        abstract_syntaxes: vec![service::DISPLAY_SYSTEM.into()],
        connect_timeout: timeout,
        ..ClientConfig::default()
    };
    let ms = dimse::core::Duration::from_millis(timeout.as_millis() as u64);
    config.limits.acse_timeout = ms;
    config.limits.dimse_timeout = ms;
    // A hard bound as well: a peer that accepts the connection and never speaks.
    let outcome = tokio::time::timeout(timeout * 3, async {
        let client = Client::connect(&device.address, config).await?;
        let r = client
            .n_get(
                service::DISPLAY_SYSTEM,
                service::DISPLAY_SYSTEM_INSTANCE,
                None,
            )
            .await;
        let _ = client.release().await;
        r
    })
    .await;
    row.elapsed_ms = start.elapsed().as_millis() as u64;
    match outcome {
        Err(_) => {
            row.outcome = "timeout";
            row.error = Some("no answer in time".into());
        }
        Ok(Err(e)) => {
            row.outcome = match &e {
                ClientError::Timeout(_) | ClientError::Aborted(AbortOrigin::Timeout(_)) => {
                    "timeout"
                }
                ClientError::Rejected(_) => "rejected",
                ClientError::Aborted(_) => "aborted",
                _ => "error",
            };
            row.error = Some(e.to_string());
        }
        Ok(Ok(r)) => {
            row.status = Some(describe_status(service::DISPLAY_SYSTEM, r.status));
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

fn write_rows(path: &PathBuf, rows: &[Row]) -> Result<(), Failure> {
    let mut out = String::new();
    let csv = path.extension().is_some_and(|e| e == "csv");
    if csv {
        out.push_str("device,ae_title,outcome,status,error,elapsed_ms,manufacturer,model,serial_number,subsystems,subsystem_status\n");
        for r in rows {
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
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    } else {
        for r in rows {
            out.push_str(&serde_json::to_string(r).unwrap_or_default());
            out.push('\n');
        }
    }
    std::fs::write(path, out).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

pub async fn poll(args: PollArgs) -> Result<(), Failure> {
    let devices = read_devices(&args.file)?;
    let with_json = args
        .out
        .as_ref()
        .is_some_and(|p| p.extension().is_some_and(|e| e == "jsonl" || e == "json"));
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(devices.len() as u64).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} devices, {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    };
    let limit = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let args = Arc::new(args);
    let mut tasks = Vec::new();
    for (i, d) in devices.into_iter().enumerate() {
        let (limit, args, bar) = (limit.clone(), args.clone(), bar.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let row = poll_one(&d, &args, with_json).await;
            bar.inc(1);
            (i, row)
        }));
    }
    let mut rows: Vec<(usize, Row)> = Vec::new();
    for t in tasks {
        if let Ok(r) = t.await {
            rows.push(r);
        }
    }
    bar.finish_and_clear();
    rows.sort_by_key(|(i, _)| *i);
    let rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    let count = |o: &str| rows.iter().filter(|r| r.outcome == o).count();
    let ok = count("success") + count("warning");
    let timeouts = count("timeout");
    let failed = rows.len() - ok - timeouts;
    println!(
        "{} devices: {ok} answered (success or warning), {failed} failed or refused, {timeouts} timed out",
        rows.len()
    );
    for r in rows.iter().filter(|r| r.outcome != "success") {
        let why = r
            .error
            .clone()
            .or_else(|| r.status.clone())
            .unwrap_or_default();
        println!("  {} ({}): {} {why}", r.device, r.ae_title, r.outcome);
    }
    if let Some(path) = &args.out {
        write_rows(path, &rows)?;
        println!("rows written to {}", path.display());
    }
    if ok == rows.len() {
        Ok(())
    } else {
        Err(Failure {
            message: format!(
                "{} of {} devices did not answer with success",
                rows.len() - ok,
                rows.len()
            ),
            code: 4,
        })
    }
}
