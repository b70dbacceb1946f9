//! Interop tests against real peers nobody here wrote: pynetdicom 3.0.4 (with pydicom 3.0.2)
//! and DCMTK 3.6.7, as they behave on the wire (their known quirks are noted where a test
//! works around one).
//!
//! * pynetdicom as SCU against our [`Server`] (`tests/interop/scu.py`, driven by a JSON plan,
//!   reporting JSON on its last stdout line);
//! * our [`Client`] against pynetdicom as SCP (`tests/interop/scp.py`);
//! * DCMTK's `echoscu` against our server, our client against DCMTK's `storescp`.
//!
//! Nothing is skipped: without the peers every test panics with one line saying what to
//! install (`scripts/test` installs them all). The python is `DIMSE_PYTHON`, or
//! `<repo>/.venv/bin/python` as `scripts/setup-python` makes it.
//!
//! Against flakiness: every wait is a poll or a read with a timeout, never a bare
//! sleep; external servers get a fresh port and a retry if it was taken meanwhile; external
//! processes die with their guard (also on a failed assertion); concurrent pynetdicom clients
//! are separate processes with ten requests each. pynetdicom's own requestor race (it logs
//! "Received unexpected N-GET service message", which proves our response reached it, then
//! waits out its DIMSE timeout) struck about once in 400 requests against our fast server:
//! `scu.py` closes its window (see `let_the_reactor_resume` there), and should it strike all
//! the same, the script is re-run, loudly, instead of failing the suite.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dimse_core::connection::{AbortOrigin, ApiError};
use dimse_core::dataset::{value, AttributeFilter, Encoding, ReadEvent, Reader, Tag, Vr, Writer};
use dimse_core::pdu::{AbortSource, AeTitle};
use dimse_core::service::display::{tags, DEMO};
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, VERIFICATION};
use dimse_tokio::{Client, ClientConfig, ClientError, NGetRequest, Reply, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

const IMPLICIT: &str = "1.2.840.10008.1.2";
const EXPLICIT: &str = "1.2.840.10008.1.2.1";

/// Longest a pynetdicom script may run (its own ACSE/DIMSE/network timeouts are 10 s).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

// -------------------------------------------------------------------------------------------
// The peers (pynetdicom's and DCMTK's processes): tests/interop/peers.rs, shared with the
// root package's tests/check_peers.rs.

#[path = "../../tests/interop/peers.rs"]
mod peers;
use peers::*;

// -------------------------------------------------------------------------------------------
// Our server, and pynetdicom as its client.

fn ae(s: &str) -> AeTitle {
    AeTitle::new(s).unwrap()
}

/// Our server serving DEMO, recording the requests its handler saw.
struct OurServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<NGetRequest>>>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl OurServer {
    async fn start() -> OurServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let server = Server::builder(ae("DISPLAY"))
            .n_get(move |r: NGetRequest| {
                seen.lock().unwrap().push(r);
                async move { Ok(Reply::success(Arc::new(DEMO))) }
            })
            .bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve_until(async move {
            let _ = stopped.await;
        }));
        OurServer {
            addr,
            requests,
            stop,
            task,
        }
    }

    fn requests(&self) -> Vec<NGetRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Stops it, and checks it stops cleanly.
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops within its grace period")
            .expect("the server task did not panic")
            .expect("serve_until returns Ok");
    }
}

fn parse_report(what: &str, out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_else(|| panic!("{what} printed nothing; stderr:\n{stderr}"));
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{what}: last line is not JSON ({e}): {last}\n{stderr}"))
}

/// pynetdicom's known requestor race: our response reached it, its reactor ate it.
fn pynetdicom_race(report: &Value) -> bool {
    report["warnings"].as_array().is_some_and(|w| {
        w.iter().any(|m| {
            m.as_str().is_some_and(|m| {
                m.starts_with("Received unexpected") && m.ends_with("service message")
            })
        })
    })
}

async fn run_scu_once(plan: &Value) -> Value {
    let out = tokio::time::timeout(
        SCRIPT_TIMEOUT,
        tokio::process::Command::new(python())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .arg(script("scu.py"))
            .arg(plan.to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("scu.py still running after {SCRIPT_TIMEOUT:?}; plan {plan}"))
    .expect("spawn scu.py");
    parse_report("scu.py", &out)
}

/// Runs `scu.py` with `plan` and returns its report; re-runs it once if pynetdicom's own race
/// struck (and says so).
async fn run_scu(plan: Value) -> Value {
    let report = run_scu_once(&plan).await;
    if !pynetdicom_race(&report) {
        return report;
    }
    eprintln!(
        "NOTE: pynetdicom's requestor race struck: {}; running the plan again",
        report["warnings"]
    );
    let again = run_scu_once(&plan).await;
    assert!(
        !pynetdicom_race(&again),
        "pynetdicom's race twice in a row: {again}"
    );
    again
}

/// The `i`th association of a report, which must have been established.
fn association(report: &Value, i: usize) -> &Value {
    let a = &report["associations"][i];
    assert_eq!(
        a["established"], true,
        "association {i} not established: {report}"
    );
    a
}

fn results(a: &Value) -> &[Value] {
    a["results"].as_array().expect("results")
}

fn n_get(attrs: Option<&[Tag]>) -> Value {
    json!({"op": "n_get", "attrs": attrs.map(|t| t.iter().map(|&t| key(t)).collect::<Vec<_>>())})
}

/// The transfer syntax our server accepted for `abstract_syntax`.
fn accepted_ts<'a>(a: &'a Value, abstract_syntax: &str) -> &'a str {
    a["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .find(|c| c["abstract"] == abstract_syntax)
        .unwrap_or_else(|| panic!("{abstract_syntax} not accepted: {a}"))["ts"]
        .as_str()
        .expect("ts")
}

fn encoding(ts: &str) -> Encoding {
    Encoding::from_transfer_syntax(ts).expect("a transfer syntax we know")
}

// -------------------------------------------------------------------------------------------
// Data sets: ours, and what the peers made of them.

/// DEMO as our server writes it, reduced to `attrs` like the core does.
fn demo_bytes(encoding: Encoding, attrs: Option<&[Tag]>) -> Vec<u8> {
    let list: Vec<u8> = attrs
        .unwrap_or_default()
        .iter()
        .flat_map(|t| t.to_le_bytes())
        .collect();
    let mut buf = vec![0u8; 16384];
    let mut w = Writer::new(&mut buf, encoding).with_filter(AttributeFilter::new(&list).unwrap());
    w.write(&DEMO).unwrap();
    let n = w.written();
    buf.truncate(n);
    buf
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// pydicom decoded our data set and pynetdicom's encoder wrote it again: it must be ours,
/// element for element (pydicom writes defined lengths, as our writer does by default).
fn assert_same_data_set(result: &Value, ours: &[u8], encoding: Encoding, what: &str) {
    let theirs = unhex(result["reencoded"].as_str().unwrap_or_else(|| {
        panic!("{what}: pydicom returned no data set: {result}");
    }));
    if theirs == ours {
        return;
    }
    let a: Vec<_> = Reader::new(&theirs, encoding).collect();
    let b: Vec<_> = Reader::new(ours, encoding).collect();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(
            x, y,
            "{what}: pydicom's data set differs from ours at event {i}"
        );
    }
    panic!(
        "{what}: pydicom's data set differs from ours: {} vs {} bytes, {} vs {} elements\n\
         theirs {}\nours   {}",
        theirs.len(),
        ours.len(),
        a.len(),
        b.len(),
        hex(&theirs),
        hex(ours)
    );
}

/// A tag as a DICOM JSON key.
fn key(t: Tag) -> String {
    format!("{:04X}{:04X}", t.group(), t.element())
}

/// The `Value` array of `t` in a DICOM JSON data set.
fn json_values(ds: &Value, t: Tag) -> &Vec<Value> {
    ds[key(t)]["Value"]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no value in {ds}", key(t)))
}

fn json_str(ds: &Value, t: Tag) -> &str {
    json_values(ds, t)[0].as_str().expect("a string value")
}

fn json_keys(ds: &Value) -> BTreeSet<String> {
    ds.as_object()
        .expect("a data set")
        .keys()
        .cloned()
        .collect()
}

fn keys(tags: &[Tag]) -> BTreeSet<String> {
    tags.iter().map(|&t| key(t)).collect()
}

/// What pydicom decoded of the full DEMO (in addition to the byte comparison).
fn assert_demo_json(ds: &Value) {
    assert_eq!(json_str(ds, tags::MANUFACTURER), "Example Displays");
    assert_eq!(
        json_str(ds, tags::MANUFACTURER_MODEL_NAME),
        "EDS-DX2 Diagnostic Station"
    );
    assert_eq!(
        json_str(ds, tags::DEVICE_SERIAL_NUMBER),
        "EDSDX2-2023-00417"
    );
    assert_eq!(json_str(ds, tags::STATION_NAME), "RAD-READ-07");
    assert_eq!(
        json_values(ds, tags::NUMBER_OF_DISPLAY_SUBSYSTEMS),
        &vec![json!(2)]
    );
    let admin = &json_values(ds, tags::EQUIPMENT_ADMINISTRATOR_SEQUENCE)[0];
    assert_eq!(
        json_values(admin, tags::PERSON_NAME)[0]["Alphabetic"],
        "PACS Administrator"
    );
    let targets = json_values(ds, tags::TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE);
    assert_eq!(targets.len(), 2);
    assert_eq!(json_str(&targets[0], tags::DISPLAY_FUNCTION_TYPE), "GSDF");
    assert_eq!(
        json_values(&targets[0], tags::TARGET_MAXIMUM_LUMINANCE),
        &vec![json!(400.0)]
    );
    let heads = json_values(ds, tags::DISPLAY_SUBSYSTEM_SEQUENCE);
    assert_eq!(heads.len(), 2, "two Display Subsystem items");
    assert_eq!(json_str(&heads[0], tags::DISPLAY_SUBSYSTEM_NAME), "LEFT");
    assert_eq!(json_str(&heads[1], tags::DISPLAY_SUBSYSTEM_NAME), "RIGHT");
    assert_eq!(json_str(&heads[0], tags::SYSTEM_STATUS), "OK");
    assert_eq!(json_str(&heads[1], tags::SYSTEM_STATUS), "WARNING");
    assert_eq!(
        json_str(&heads[1], tags::SYSTEM_STATUS_COMMENT),
        "Acceptance test pending"
    );
    let configs = json_values(&heads[0], tags::DISPLAY_SUBSYSTEM_CONFIGURATION_SEQUENCE);
    assert_eq!(configs.len(), 2);
    assert_eq!(json_str(&configs[1], tags::CONFIGURATION_NAME), "TEXT");
    // The left head's QA results: five luminance points, the brightest 398.7 cd/m².
    let qa = json_values(ds, tags::QA_RESULTS_SEQUENCE);
    assert_eq!(qa.len(), 2);
    let config_qa = &json_values(
        &json_values(&qa[0], tags::DISPLAY_SUBSYSTEM_QA_RESULTS_SEQUENCE)[0],
        tags::CONFIGURATION_QA_RESULTS_SEQUENCE,
    )[0];
    let points = json_values(
        &json_values(config_qa, tags::LUMINANCE_RESULT_SEQUENCE)[0],
        tags::LUMINANCE_RESPONSE_SEQUENCE,
    );
    assert_eq!(points.len(), 5);
    let last = json_values(&points[4], tags::LUMINANCE_VALUE)[0]
        .as_f64()
        .expect("FL");
    assert_eq!(last as f32, 398.7f32);
    // PS3.4 §5.4.2.3: no SOP Class / Instance UID in an N-GET data set.
    assert!(ds.get("00080016").is_none() && ds.get("00080018").is_none());
}

// -------------------------------------------------------------------------------------------
// 1. pynetdicom SCU -> our server

#[tokio::test]
async fn pynetdicom_scu_full_n_get_decodes_the_demo() {
    let server = OurServer::start().await;
    let report = run_scu(json!({
        "port": server.addr.port(),
        // pynetdicom's default proposal: Implicit, Explicit, Deflated, Explicit BE.
        "associations": [{"steps": [
            n_get(None),
            // A zero-length (0000,1005): every attribute, as with no list.
            n_get(Some(&[])),
            {"op": "release"},
        ]}],
    }))
    .await;
    let a = association(&report, 0);
    // Our server prefers Explicit VR LE whatever the proposal's order.
    assert_eq!(accepted_ts(a, DISPLAY_SYSTEM), EXPLICIT);
    let ours = demo_bytes(Encoding::ExplicitVrLittleEndian, None);
    for (i, r) in results(a)[..2].iter().enumerate() {
        assert_eq!(r["status"], 0, "N-GET {i}: {r}");
        assert_eq!(r["transfer_syntax"], EXPLICIT);
        assert_demo_json(&r["dataset"]);
        assert_same_data_set(r, &ours, Encoding::ExplicitVrLittleEndian, "full N-GET");
    }
    assert_eq!(a["is_released"], true);

    // What our side decoded of pynetdicom's requests.
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.attributes.is_empty()));
    assert_eq!(seen[0].sop_class_uid, DISPLAY_SYSTEM);
    assert_eq!(seen[0].sop_instance_uid, DISPLAY_SYSTEM_INSTANCE);
    assert_eq!(seen[0].calling_ae, "PYNETDICOM");
    assert_eq!(seen[0].called_ae, "DISPLAY");
    assert_eq!((seen[0].message_id, seen[1].message_id), (1, 2));
    server.stop().await;
}

#[tokio::test]
async fn pynetdicom_scu_attribute_identifier_lists() {
    let server = OurServer::start().await;
    let some = [
        tags::MANUFACTURER,
        tags::NUMBER_OF_DISPLAY_SUBSYSTEMS,
        tags::DISPLAY_SUBSYSTEM_SEQUENCE,
    ];
    // One tag: pynetdicom's standard log handlers would raise on it.
    let one = [tags::DEVICE_SERIAL_NUMBER];
    // Software Versions is not in the Display System module: our policy is 0107H (warning),
    // the unknown tag in the response's Attribute Identifier List, and the rest.
    let software_versions = Tag::new(0x0018, 0x1020);
    let unknown = [tags::MANUFACTURER, software_versions, tags::STATION_NAME];
    let report = run_scu(json!({
        "port": server.addr.port(),
        "associations": [{"steps": [
            n_get(Some(&some)), n_get(Some(&one)), n_get(Some(&unknown)), {"op": "release"},
        ]}],
    }))
    .await;
    let a = association(&report, 0);
    let enc = encoding(accepted_ts(a, DISPLAY_SYSTEM));
    let r = &results(a)[0];
    assert_eq!(r["status"], 0, "{r}");
    assert_eq!(json_keys(&r["dataset"]), keys(&some));
    assert_eq!(
        json_values(&r["dataset"], tags::DISPLAY_SUBSYSTEM_SEQUENCE).len(),
        2
    );
    assert_same_data_set(r, &demo_bytes(enc, Some(&some)), enc, "three attributes");

    let r = &results(a)[1];
    assert_eq!(r["status"], 0, "{r}");
    assert_eq!(json_keys(&r["dataset"]), keys(&one));
    assert_eq!(
        json_str(&r["dataset"], tags::DEVICE_SERIAL_NUMBER),
        "EDSDX2-2023-00417"
    );

    let r = &results(a)[2];
    assert_eq!(r["status"], 0x0107, "{r}");
    assert_eq!(
        json_values(&r["status_ds"], Tag::new(0x0000, 0x1005)),
        &vec![json!(key(software_versions))],
        "the unknown tag in the response's Attribute Identifier List: {r}"
    );
    assert_eq!(
        json_keys(&r["dataset"]),
        keys(&[tags::MANUFACTURER, tags::STATION_NAME]),
        "0107H still carries the attributes we have"
    );
    assert_eq!(
        json_str(&r["dataset"], tags::MANUFACTURER),
        "Example Displays"
    );
    assert_same_data_set(
        r,
        &demo_bytes(enc, Some(&unknown)),
        enc,
        "with an unknown tag",
    );

    // What our side decoded of the lists pynetdicom sent.
    let seen: Vec<Vec<Tag>> = server
        .requests()
        .into_iter()
        .map(|r| r.attributes)
        .collect();
    assert_eq!(seen, vec![some.to_vec(), one.to_vec(), unknown.to_vec()]);
    server.stop().await;
}

#[tokio::test]
async fn pynetdicom_scu_wrong_instance_is_0112_and_the_association_goes_on() {
    let server = OurServer::start().await;
    let report = run_scu(json!({
        "port": server.addr.port(),
        "associations": [{"steps": [
            {"op": "n_get", "attrs": null, "instance": "1.2.3.4.5"},
            n_get(None),
            {"op": "release"},
        ]}],
    }))
    .await;
    let a = association(&report, 0);
    let wrong = &results(a)[0];
    assert_eq!(wrong["status"], 0x0112, "{wrong}");
    assert_eq!(wrong["dataset"], Value::Null);
    assert_eq!(
        json_keys(&wrong["status_ds"]),
        BTreeSet::from(["00000900".to_string()])
    );
    assert_eq!(results(a)[1]["status"], 0);
    assert_demo_json(&results(a)[1]["dataset"]);
    assert_eq!(a["is_released"], true);
    server.stop().await;
}

#[tokio::test]
async fn pynetdicom_scu_explicit_only_and_implicit_only() {
    let server = OurServer::start().await;
    let only = |ts: &str| {
        json!({
            "contexts": [[DISPLAY_SYSTEM, [ts]], [VERIFICATION, [IMPLICIT]]],
            "steps": [n_get(None), {"op": "echo"}, {"op": "release"}],
        })
    };
    let report = run_scu(json!({
        "port": server.addr.port(),
        "associations": [only(EXPLICIT), only(IMPLICIT)],
    }))
    .await;
    for (i, ts) in [EXPLICIT, IMPLICIT].into_iter().enumerate() {
        let a = association(&report, i);
        assert_eq!(accepted_ts(a, DISPLAY_SYSTEM), ts);
        let r = &results(a)[0];
        assert_eq!(r["status"], 0, "{ts}: {r}");
        assert_eq!(r["transfer_syntax"], ts);
        assert_demo_json(&r["dataset"]);
        assert_same_data_set(r, &demo_bytes(encoding(ts), None), encoding(ts), ts);
        assert_eq!(results(a)[1]["status"], 0, "C-ECHO");
        assert_eq!(a["is_released"], true);
    }
    let seen: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.transfer_syntax.to_string())
        .collect();
    assert_eq!(seen, [EXPLICIT, IMPLICIT]);
    server.stop().await;
}

#[tokio::test]
async fn pynetdicom_scu_small_max_pdu_gets_the_data_set_in_pieces() {
    let server = OurServer::start().await;
    let sizes = [4096u64, 1024, 256, 0];
    let report = run_scu(json!({
        "port": server.addr.port(),
        "associations": sizes.iter().map(|&max| json!({
            "max_pdu": max,
            "contexts": [[DISPLAY_SYSTEM, [EXPLICIT]]],
            "steps": [n_get(None), {"op": "release"}],
        })).collect::<Vec<_>>(),
    }))
    .await;
    let ours = demo_bytes(Encoding::ExplicitVrLittleEndian, None);
    assert!(ours.len() > 3000, "DEMO is {} bytes", ours.len());
    for (i, &max) in sizes.iter().enumerate() {
        let a = association(&report, i);
        assert_eq!(
            a["our_max_pdu"], max,
            "pynetdicom announced another maximum"
        );
        let r = &results(a)[0];
        assert_eq!(r["status"], 0, "max PDU {max}: {r}");
        let pdus: Vec<u64> = r["pdata"]
            .as_array()
            .expect("pdata")
            .iter()
            .map(|l| l.as_u64().expect("length"))
            .collect();
        // Each PDV costs 6 bytes (length, context ID, control header) of a PDU's length.
        let payload = pdus.iter().sum::<u64>();
        assert!(payload >= ours.len() as u64 + 12, "max PDU {max}: {pdus:?}");
        if max > 0 {
            assert!(
                pdus.iter().all(|&l| l <= max),
                "a P-DATA-TF above the peer's maximum {max}: {pdus:?}"
            );
            let least = (ours.len() as u64 + 12).div_ceil(max);
            assert!(pdus.len() as u64 >= least, "max PDU {max}: {pdus:?}");
        }
        eprintln!("max PDU {max}: the N-GET response came in P-DATA-TF PDUs of {pdus:?}");
        assert_demo_json(&r["dataset"]);
        assert_same_data_set(r, &ours, Encoding::ExplicitVrLittleEndian, "small PDUs");
        assert_eq!(a["is_released"], true);
    }
    server.stop().await;
}

#[tokio::test]
async fn pynetdicom_scu_echo_release_and_abort_then_the_server_serves_on() {
    let server = OurServer::start().await;
    let report = run_scu(json!({
        "port": server.addr.port(),
        "associations": [
            {"steps": [{"op": "echo"}, n_get(None), {"op": "abort"}]},
            {"steps": [{"op": "echo"}, n_get(None), {"op": "release"}]},
            {"steps": [{"op": "abort"}]},
        ],
    }))
    .await;
    let first = association(&report, 0);
    assert_eq!(results(first)[0]["status"], 0, "C-ECHO");
    assert_eq!(results(first)[1]["status"], 0, "N-GET");
    assert_eq!(first["is_aborted"], true);
    let second = association(&report, 1);
    assert_eq!(results(second)[0]["status"], 0, "C-ECHO after an abort");
    assert_eq!(results(second)[1]["status"], 0, "N-GET after an abort");
    assert_demo_json(&results(second)[1]["dataset"]);
    assert_eq!(second["is_released"], true);
    assert_eq!(association(&report, 2)["is_aborted"], true);

    // And our own client still gets served after pynetdicom's aborts.
    let mut client = Client::connect(server.addr, ClientConfig::default())
        .await
        .expect("served after the aborts");
    assert_eq!(client.c_echo().await.unwrap(), 0);
    let r = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .unwrap();
    assert_eq!(r.status, 0);
    client.release().await.unwrap();
    assert_eq!(server.requests().len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn pynetdicom_scu_eight_associations_at_once() {
    const PROCESSES: usize = 8;
    const REQUESTS: usize = 10;
    let server = OurServer::start().await;
    let started = Instant::now();
    let plan = |i: usize, barrier: bool| {
        let mut steps: Vec<Value> = (0..REQUESTS).map(|_| n_get(None)).collect();
        steps.push(json!({"op": "echo"}));
        steps.push(json!({"op": "release"}));
        json!({
            "port": server.addr.port(),
            "barrier": barrier,
            "json": false,
            "associations": [{"calling_ae": format!("SCU{i}"), "steps": steps}],
        })
    };
    // Each process associates, says so, and waits until all eight are associated: the server
    // holds eight associations at once, then serves their 80 requests concurrently.
    let barrier = Arc::new(tokio::sync::Barrier::new(PROCESSES));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..PROCESSES {
        let plan = plan(i, true);
        let barrier = barrier.clone();
        tasks.spawn(async move {
            let mut child = tokio::process::Command::new(python())
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .arg(script("scu.py"))
                .arg(plan.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn scu.py");
            let mut stderr = child.stderr.take().expect("piped");
            let drain = tokio::spawn(async move {
                let mut s = String::new();
                let _ = stderr.read_to_string(&mut s).await;
                s
            });
            let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("piped"));
            let mut first = String::new();
            stdout.read_line(&mut first).await.expect("read");
            if first.trim() != "associated" {
                let _ = child.wait().await;
                panic!(
                    "scu.py {i} did not associate: {first}\n{}",
                    drain.await.unwrap_or_default()
                );
            }
            barrier.wait().await;
            let mut stdin = child.stdin.take().expect("piped");
            stdin.write_all(b"go\n").await.expect("write");
            drop(stdin);
            let mut rest = Vec::new();
            stdout.read_to_end(&mut rest).await.expect("read");
            let status = child.wait().await.expect("wait");
            let out = Output {
                status,
                stdout: rest,
                stderr: drain.await.unwrap_or_default().into_bytes(),
            };
            (i, parse_report(&format!("scu.py {i}"), &out))
        });
    }
    let mut reports = vec![Value::Null; PROCESSES];
    let all = tokio::time::timeout(SCRIPT_TIMEOUT, async {
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((i, report)) => reports[i] = report,
                // The first failure ends the test; dropping the set kills the others.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
    })
    .await;
    assert!(
        all.is_ok(),
        "8 concurrent scu.py still running after {SCRIPT_TIMEOUT:?}"
    );
    for (i, report) in reports.iter_mut().enumerate() {
        if pynetdicom_race(report) {
            eprintln!(
                "NOTE: pynetdicom's requestor race struck scu.py {i}: {}; again",
                report["warnings"]
            );
            *report = run_scu_once(&plan(i, false)).await;
        }
    }
    let elapsed = started.elapsed();
    let ours = hex(&demo_bytes(Encoding::ExplicitVrLittleEndian, None));
    let mut slowest = 0f64;
    for (i, report) in reports.iter().enumerate() {
        let a = association(report, 0);
        let r = results(a);
        assert_eq!(r.len(), REQUESTS + 2, "scu.py {i}: {a}");
        for (j, get) in r[..REQUESTS].iter().enumerate() {
            assert_eq!(get["status"], 0, "scu.py {i}, N-GET {j}: {get}");
            assert_eq!(get["reencoded"], ours.as_str(), "scu.py {i}, N-GET {j}");
            slowest = slowest.max(get["wire_ms"].as_f64().unwrap_or_default());
        }
        assert_eq!(r[REQUESTS]["status"], 0, "scu.py {i}: C-ECHO");
        assert_eq!(a["is_released"], true, "scu.py {i}");
    }
    let seen = server.requests();
    assert!(seen.len() >= PROCESSES * REQUESTS);
    let peers: BTreeSet<(String, SocketAddr)> = seen
        .iter()
        .map(|r| (r.calling_ae.to_string(), r.peer))
        .collect();
    assert!(peers.len() >= PROCESSES, "{peers:?}");
    eprintln!(
        "{PROCESSES} pynetdicom processes x {REQUESTS} N-GETs at once: {elapsed:?} \
         (python start-up included); slowest N-GET {slowest} ms as pynetdicom saw it"
    );
    server.stop().await;
}

// -------------------------------------------------------------------------------------------
// 2. Our client -> pynetdicom SCP

/// A received data set as a tree: each item is its elements in order.
#[derive(Debug, Default)]
struct Item(Vec<(Tag, Node)>);

#[derive(Debug)]
enum Node {
    Element(Vr, Vec<u8>),
    Sequence(Vec<Item>),
}

impl Item {
    fn decode(data: &[u8], encoding: Encoding) -> Item {
        let mut items = vec![Item::default()];
        let mut sequences: Vec<(Tag, Vec<Item>)> = Vec::new();
        for event in Reader::new(data, encoding) {
            match event.unwrap_or_else(|e| panic!("our Reader fails on pydicom's data set: {e:?}"))
            {
                ReadEvent::Element { tag, vr, value, .. } => {
                    let top = items.last_mut().expect("an item is open");
                    top.0.push((tag, Node::Element(vr, value.to_vec())));
                }
                ReadEvent::SequenceStart { tag, .. } => sequences.push((tag, Vec::new())),
                ReadEvent::ItemStart { .. } => items.push(Item::default()),
                ReadEvent::ItemEnd { .. } => {
                    let item = items.pop().expect("balanced");
                    sequences.last_mut().expect("balanced").1.push(item);
                }
                ReadEvent::SequenceEnd { .. } => {
                    let (tag, seq) = sequences.pop().expect("balanced");
                    let top = items.last_mut().expect("an item is open");
                    top.0.push((tag, Node::Sequence(seq)));
                }
            }
        }
        assert_eq!((items.len(), sequences.len()), (1, 0), "balanced");
        items.pop().expect("the data set")
    }

    fn tags(&self) -> Vec<Tag> {
        self.0.iter().map(|(t, _)| *t).collect()
    }

    fn get(&self, tag: Tag) -> &Node {
        self.0
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, n)| n)
            .unwrap_or_else(|| panic!("{tag:?} missing from {:?}", self.tags()))
    }

    fn bytes(&self, tag: Tag, want: Vr) -> &[u8] {
        match self.get(tag) {
            Node::Element(vr, v) if *vr == want => v,
            other => panic!("{tag:?}: expected {want:?}, got {other:?}"),
        }
    }

    fn str(&self, tag: Tag, vr: Vr) -> &str {
        value::string(self.bytes(tag, vr)).expect("text")
    }

    fn us(&self, tag: Tag) -> u16 {
        value::u16s(self.bytes(tag, Vr::US))
            .next()
            .expect("a US value")
    }

    fn fl(&self, tag: Tag) -> Vec<f32> {
        value::f32s(self.bytes(tag, Vr::FL)).collect()
    }

    fn items(&self, tag: Tag) -> &[Item] {
        match self.get(tag) {
            Node::Sequence(items) => items,
            other => panic!("{tag:?}: expected a sequence, got {other:?}"),
        }
    }
}

fn client_config() -> ClientConfig {
    ClientConfig {
        calling_ae: "DIMSE_INTEROP".into(),
        called_ae: "PEER_SCP".into(),
        ..ClientConfig::default()
    }
}

#[tokio::test]
async fn our_client_n_get_from_pynetdicom_with_sequences() {
    let scp = start_pynetdicom_scp();
    let mut client = Client::connect(scp.addr(), client_config())
        .await
        .expect("associate");

    let r = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .expect("N-GET");
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(r.error_comment, None);
    let ds = Item::decode(r.data_set.as_deref().expect("a data set"), r.encoding);
    assert_eq!(
        ds.tags(),
        [
            tags::MANUFACTURER,
            tags::MANUFACTURER_MODEL_NAME,
            tags::DEVICE_SERIAL_NUMBER,
            tags::EQUIPMENT_ADMINISTRATOR_SEQUENCE,
            tags::NUMBER_OF_DISPLAY_SUBSYSTEMS,
            tags::TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE,
            tags::DISPLAY_SUBSYSTEM_SEQUENCE,
        ]
    );
    assert_eq!(ds.str(tags::MANUFACTURER, Vr::LO), "Peer Displays Inc");
    assert_eq!(ds.str(tags::DEVICE_SERIAL_NUMBER, Vr::LO), "PD9-0042");
    assert!(ds.items(tags::EQUIPMENT_ADMINISTRATOR_SEQUENCE).is_empty());
    assert_eq!(ds.us(tags::NUMBER_OF_DISPLAY_SUBSYSTEMS), 2);
    let target = &ds.items(tags::TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE)[0];
    assert_eq!(target.us(tags::LUMINANCE_CHARACTERISTICS_ID), 1);
    assert_eq!(target.str(tags::DISPLAY_FUNCTION_TYPE, Vr::CS), "GSDF");
    assert_eq!(target.fl(tags::TARGET_MINIMUM_LUMINANCE), [0.5]);
    assert_eq!(target.fl(tags::TARGET_MAXIMUM_LUMINANCE), [400.0]);
    assert_eq!(target.fl(tags::CIEXY_WHITE_POINT), [0.3125, 0.329]);
    let heads = ds.items(tags::DISPLAY_SUBSYSTEM_SEQUENCE);
    assert_eq!(heads.len(), 2);
    for (head, (id, name, status)) in heads
        .iter()
        .zip([(1, "LEFT", "OK"), (2, "RIGHT", "WARNING")])
    {
        assert_eq!(head.us(tags::DISPLAY_SUBSYSTEM_ID), id);
        assert_eq!(head.str(tags::DISPLAY_SUBSYSTEM_NAME, Vr::SH), name);
        assert_eq!(head.str(tags::SYSTEM_STATUS, Vr::CS), status);
        let configs = head.items(tags::DISPLAY_SUBSYSTEM_CONFIGURATION_SEQUENCE);
        let names: Vec<&str> = configs
            .iter()
            .map(|c| c.str(tags::CONFIGURATION_NAME, Vr::SH))
            .collect();
        assert_eq!(names, ["DICOM", "TEXT"]);
        assert_eq!(
            configs[0].us(tags::REFERENCED_TARGET_LUMINANCE_CHARACTERISTICS_ID),
            1
        );
    }
    let seen = scp.next_request();
    assert_eq!(seen["class"], DISPLAY_SYSTEM);
    assert_eq!(seen["instance"], DISPLAY_SYSTEM_INSTANCE);
    assert_eq!(seen["attrs"], Value::Null, "no list sent for None");
    assert_eq!(seen["calling_ae"], "DIMSE_INTEROP");

    // With an Attribute Identifier List: pynetdicom decodes it and its handler honours it.
    let asked = [tags::MANUFACTURER, tags::DISPLAY_SUBSYSTEM_SEQUENCE];
    let r = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&asked))
        .await
        .expect("N-GET");
    assert_eq!(r.status, 0);
    let ds = Item::decode(r.data_set.as_deref().expect("a data set"), r.encoding);
    assert_eq!(ds.tags(), asked);
    assert_eq!(ds.items(tags::DISPLAY_SUBSYSTEM_SEQUENCE).len(), 2);
    let seen = scp.next_request();
    assert_eq!(seen["attrs"], json!(["00080070", "00287023"]));
    assert_eq!(seen["message_id"].as_u64(), Some(2));
    let ts = seen["ts"].as_str().expect("ts");
    assert_eq!(Encoding::from_transfer_syntax(ts), Some(r.encoding));

    assert_eq!(client.c_echo().await.expect("C-ECHO"), 0);
    client.release().await.expect("release");
}

#[tokio::test]
async fn our_client_sees_pynetdicom_failure_statuses() {
    let scp = start_pynetdicom_scp();
    let mut client = Client::connect(scp.addr(), client_config())
        .await
        .expect("associate");

    // The handler returns the int 0x0112.
    let r = client
        .n_get(DISPLAY_SYSTEM, "1.2.3.4.112", None)
        .await
        .expect("N-GET");
    assert_eq!(r.status, 0x0112, "{r:?}");
    assert_eq!(r.data_set, None);
    assert_eq!(r.error_comment, None);
    assert_eq!(scp.next_request()["instance"], "1.2.3.4.112");

    // The handler returns a Dataset: Status 0110H and an Error Comment.
    let r = client
        .n_get(DISPLAY_SYSTEM, "1.2.3.4.110", None)
        .await
        .expect("N-GET");
    assert_eq!(r.status, 0x0110, "{r:?}");
    assert_eq!(
        r.error_comment.as_deref(),
        Some("Peer says: sensor offline")
    );
    assert_eq!(r.data_set, None);
    assert_eq!(scp.next_request()["instance"], "1.2.3.4.110");

    // Failures do not end the association.
    assert_eq!(client.c_echo().await.expect("C-ECHO"), 0);
    let r = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .expect("N-GET");
    assert_eq!(r.status, 0);
    client.release().await.expect("release");
}

#[tokio::test]
async fn our_client_sees_pynetdicom_abort_mid_association() {
    let scp = start_pynetdicom_scp();
    let mut client = Client::connect(scp.addr(), client_config())
        .await
        .expect("associate");
    let r = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .expect("N-GET");
    assert_eq!(r.status, 0);
    let _ = scp.next_request();

    // The handler calls event.assoc.abort(): A-ABORT, source service-user.
    let got = tokio::time::timeout(
        Duration::from_secs(20),
        client.n_get(DISPLAY_SYSTEM, "1.2.3.4.666", None),
    )
    .await
    .expect("the abort arrives before pynetdicom's timeouts");
    match got {
        Err(ClientError::Aborted(AbortOrigin::Peer(abort))) => {
            assert_eq!(abort.source, AbortSource::ServiceUser);
        }
        other => panic!("expected an A-ABORT from the peer, got {other:?}"),
    }
    assert_eq!(scp.next_request()["instance"], "1.2.3.4.666");
    // The association is over.
    assert!(matches!(client.c_echo().await, Err(ClientError::Closed)));
}

// -------------------------------------------------------------------------------------------
// 3. DCMTK

/// `echoscu -v 127.0.0.1 PORT --repeat N`, with or without `TCP_NODELAY=1`.
async fn echoscu(port: u16, repeat: usize, nodelay: bool) -> (Output, Duration) {
    let mut cmd = tokio::process::Command::new(dcmtk("echoscu"));
    cmd.args([
        "-v",
        "127.0.0.1",
        &port.to_string(),
        "--repeat",
        &repeat.to_string(),
    ])
    .stdin(Stdio::null())
    .kill_on_drop(true);
    if nodelay {
        cmd.env("TCP_NODELAY", "1");
    } else {
        cmd.env_remove("TCP_NODELAY");
    }
    let started = Instant::now();
    let out = tokio::time::timeout(SCRIPT_TIMEOUT, cmd.output())
        .await
        .expect("echoscu finished")
        .expect("spawn echoscu");
    (out, started.elapsed())
}

fn assert_echoes(out: &Output, repeat: usize) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "echoscu failed ({}):\n{text}",
        out.status
    );
    let echoes = text
        .lines()
        .filter(|l| l.contains("Received Echo Response (Success)"))
        .count();
    assert_eq!(echoes, repeat, "{text}");
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("F:") || l.starts_with("W:"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(text.contains("Releasing Association"), "{text}");
}

#[tokio::test]
async fn dcmtk_echoscu_without_nodelay() {
    let server = OurServer::start().await;
    // DCMTK without TCP_NODELAY: its own Nagle stalls (header and body in two sends) cost
    // ~40 ms per echo (Nagle and delayed ACKs on its side); it must work, slowly.
    let (out, took) = echoscu(server.addr.port(), 100, false).await;
    assert_echoes(&out, 100);
    eprintln!("echoscu --repeat 100 without TCP_NODELAY: {took:?}");
    server.stop().await;
}

#[tokio::test]
async fn dcmtk_echoscu_with_nodelay() {
    let server = OurServer::start().await;
    let (out, took) = echoscu(server.addr.port(), 200, true).await;
    assert_echoes(&out, 200);
    eprintln!("echoscu --repeat 200 with TCP_NODELAY=1: {took:?}");
    // With NODELAY on both sides nothing should wait for a delayed ACK: if our answers
    // did (no NODELAY on our socket, or a response in two writes), 200 echoes would take
    // 200 x ~40 ms = 8 s. Normal is well under a second; 5 s leaves room for a busy CI.
    assert!(
        took < Duration::from_secs(5),
        "200 C-ECHOs took {took:?}: do our answers wait for a delayed ACK?"
    );
    server.stop().await;
}

#[tokio::test]
async fn our_client_echo_against_dcmtk_storescp() {
    let scp = start_storescp();
    // We propose Display System and Verification; storescp rejects the first (result 3,
    // abstract syntax not supported) and accepts the second.
    let mut client = Client::connect(scp.addr(), ClientConfig::default())
        .await
        .expect("storescp accepts the association");
    assert_eq!(client.c_echo().await.expect("C-ECHO"), 0);
    match client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
    {
        Err(ClientError::Api(ApiError::UnknownContext)) => {}
        other => panic!("storescp has no Display System context, yet: {other:?}"),
    }
    // The refused request cost nothing: the association goes on.
    assert_eq!(client.c_echo().await.expect("C-ECHO"), 0);
    client.release().await.expect("release");
}
