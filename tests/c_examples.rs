//! The C examples (examples/c, over dimse-ffi's C API), end to end against real peers: the
//! C display server `display_scp` and `dimse serve` serve the same display
//! (examples/c/display.c and examples/c/display.toml), and every peer must get the same
//! answer from both, byte for byte: `dimse_tokio::Client` (the data set bytes as they came),
//! `dimse get` (its printout, text and JSON), pynetdicom (tests/interop/scu.py: statuses,
//! status elements, the data set decoded and re-encoded), and the C requestor `nget_scu`.
//! Also two associations at once on the C server, and C-ECHO.
//!
//! The first test to run builds the examples with `make -C examples/c` (cc and make are on
//! every machine that builds Rust here; the library comes from cargo, which decides whether
//! it is up to date). pynetdicom comes from `DIMSE_PYTHON`, or `<repo>/.venv/bin/python` as
//! `scripts/setup-python` makes it; without it the pynetdicom test fails, saying so.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use dimse::core::dataset::{Encoding, Tag};
use dimse::core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
use dimse_tokio::{Client, ClientConfig, NGetResponse};

const PATIENCE: Duration = Duration::from_secs(30);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the C examples once per test run.
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = root().join("examples/c");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new("make")
            .arg("-C")
            .arg(&dir)
            .arg(format!("CARGO={}", cargo.to_string_lossy()))
            .output()
            .expect("make runs (install make and a C compiler)");
        assert!(
            out.status.success(),
            "make -C examples/c failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// A child process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the C server on a port the system picks; returns it and its address.
fn start_display_scp() -> (Running, SocketAddr) {
    let mut child = Command::new(built().join("display_scp"))
        .arg("0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start display_scp");
    let stdout = child.stdout.take().expect("piped");
    let guard = Running(child);
    let (lines, received) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let line = received
        .recv_timeout(PATIENCE)
        .expect("display_scp says where it listens");
    let port: u16 = line
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    (guard, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Starts `dimse serve` with the C examples' display on a free port.
fn start_dimse_serve() -> (Running, SocketAddr) {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_dimse"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--config",
            ])
            .arg(root().join("examples/c/display.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dimse serve");
        let mut guard = Running(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if TcpStream::connect(addr).is_ok() {
                return (guard, addr);
            }
            if let Ok(Some(_)) = guard.0.try_wait() {
                break; // the port was taken meanwhile: another one
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("dimse serve did not start");
}

fn config() -> ClientConfig {
    ClientConfig {
        called_ae: "DISPLAY".into(),
        ..ClientConfig::default()
    }
}

/// What a server answered, as comparable values.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    data_set: Option<Vec<u8>>,
    encoding: Encoding,
}

impl From<NGetResponse<'_>> for Answer {
    fn from(r: NGetResponse<'_>) -> Answer {
        Answer {
            status: r.status,
            data_set: r.data_set.map(|d| d.into_owned()),
            encoding: r.encoding,
        }
    }
}

const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);
const SUBSYSTEMS: Tag = Tag::new(0x0028, 0x7023);
const SERIAL: Tag = Tag::new(0x0018, 0x1000);
const NOT_THERE: Tag = Tag::new(0x0019, 0x1000);

/// The requests every server gets: everything, a list, a list with an attribute the display
/// does not have (0107H), another instance (0112H), and a C-ECHO.
async fn session(addr: SocketAddr) -> Vec<Answer> {
    let mut client = Client::connect(addr, config()).await.expect("association");
    let mut answers = Vec::new();
    let lists: [Option<&[Tag]>; 3] = [
        None,
        Some(&[SUBSYSTEMS, MANUFACTURER]),
        Some(&[MANUFACTURER, NOT_THERE, SERIAL]),
    ];
    for list in lists {
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, list)
            .await
            .expect("N-GET");
        answers.push(r.into());
    }
    let r = client
        .n_get(DISPLAY_SYSTEM, "1.2.3.4", None)
        .await
        .expect("N-GET of another instance");
    answers.push(r.into());
    let echo = client.c_echo().await.expect("C-ECHO");
    answers.push(Answer {
        status: echo,
        data_set: None,
        encoding: Encoding::ImplicitVrLittleEndian,
    });
    client.release().await.expect("release");
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_c_server_answers_as_dimse_serve_does_byte_for_byte() {
    let (_c, c_addr) = start_display_scp();
    let (_rust, rust_addr) = start_dimse_serve();
    let c = tokio::time::timeout(PATIENCE, session(c_addr))
        .await
        .expect("in time");
    let rust = tokio::time::timeout(PATIENCE, session(rust_addr))
        .await
        .expect("in time");
    let statuses: Vec<u16> = c.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [0x0000, 0x0000, 0x0107, 0x0112, 0x0000]);
    assert!(c[0].data_set.as_ref().is_some_and(|d| d.len() > 1000));
    assert_eq!(c, rust);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_c_server_holds_two_associations_at_once() {
    let (_c, addr) = start_display_scp();
    let run = async {
        let (a, b) = tokio::join!(
            Client::connect(addr, config()),
            Client::connect(addr, config())
        );
        let (mut a, mut b) = (a.expect("first"), b.expect("second"));
        // Both are open: requests alternate between them.
        let mut answers = Vec::new();
        for i in 0..4 {
            let client = if i % 2 == 0 { &mut a } else { &mut b };
            let r = client
                .n_get(
                    DISPLAY_SYSTEM,
                    DISPLAY_SYSTEM_INSTANCE,
                    Some(&[MANUFACTURER]),
                )
                .await
                .expect("N-GET");
            answers.push(Answer::from(r));
        }
        a.release().await.expect("release");
        b.release().await.expect("release");
        answers
    };
    let answers = tokio::time::timeout(PATIENCE, run).await.expect("in time");
    assert!(answers.iter().all(|a| a.status == 0 && *a == answers[0]));
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn dimse_get_prints_the_same_from_both_servers() {
    let (_c, c_addr) = start_display_scp();
    let (_rust, rust_addr) = start_dimse_serve();
    for args in [
        &[][..],
        &["--attr", "Manufacturer", "--attr", "(0028,7023)"][..],
        &["--attr", "00080070", "--attr", "00191000"][..],
        &["--json"][..],
    ] {
        let get = |addr: SocketAddr| {
            run(Command::new(env!("CARGO_BIN_EXE_dimse"))
                .args(["get", &addr.to_string(), "--aec", "DISPLAY"])
                .args(args))
            .stdout
        };
        let (c, rust) = (get(c_addr), get(rust_addr));
        assert!(c.len() > 40, "{}", String::from_utf8_lossy(&c));
        assert_eq!(
            String::from_utf8_lossy(&c),
            String::from_utf8_lossy(&rust),
            "dimse get {args:?}"
        );
    }
}

#[test]
fn the_c_requestor_reads_dimse_serve() {
    let (_rust, rust_addr) = start_dimse_serve();
    let (_c, c_addr) = start_display_scp();
    let nget = |addr: SocketAddr, args: &[&str]| {
        let out = run(Command::new(built().join("nget_scu"))
            .arg("127.0.0.1")
            .arg(addr.port().to_string())
            .args(args));
        String::from_utf8(out.stdout).expect("text")
    };
    // The printout: status, then the elements.
    let text = nget(rust_addr, &["00080070", "00287023"]);
    assert!(text.starts_with("status 0000H\n"), "{text}");
    assert!(
        text.contains("(0008,0070) LO \"Example Displays\""),
        "{text}"
    );
    assert!(text.contains("(0028,7004) SH \"RIGHT \""), "{text}");
    // The bytes: the same from both servers, and what the Rust client receives.
    let hex = nget(rust_addr, &["-x"]);
    assert_eq!(hex, nget(c_addr, &["-x"]));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let expected = rt.block_on(async {
        let mut client = Client::connect(rust_addr, config())
            .await
            .expect("association");
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .await
            .expect("N-GET")
            .into_owned();
        client.release().await.expect("release");
        r
    });
    assert_eq!(expected.encoding, Encoding::ExplicitVrLittleEndian);
    let bytes: String = expected
        .data_set
        .expect("a data set")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, format!("status 0000H\n{bytes}\n"));
    // 0107H: the exit status says the request was answered.
    let missing = nget(rust_addr, &["00080070", "00191000"]);
    assert!(missing.starts_with("status 0107H\n"), "{missing}");
}

/// The python with pynetdicom (as the interop tests find it).
fn python() -> PathBuf {
    let py = std::env::var_os("DIMSE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let ok = Command::new(&py)
        .args(["-c", "import pynetdicom"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "no python with pynetdicom at {} (DIMSE_PYTHON, default <repo>/.venv/bin/python): \
         run scripts/setup-python",
        py.display()
    );
    py
}

/// pynetdicom's report of one plan (tests/interop/scu.py), without the timings.
fn pynetdicom(addr: SocketAddr) -> serde_json::Value {
    let implicit = ["1.2.840.10008.1.2"];
    let plan = serde_json::json!({
        "port": addr.port(),
        "associations": [
            {"steps": [
                {"op": "n_get"},
                {"op": "n_get", "attrs": ["00287023", "00080070"]},
                {"op": "n_get", "attrs": ["00080070", "00191000"]},
                {"op": "n_get", "instance": "1.2.3.4"},
                {"op": "echo"},
                {"op": "release"}]},
            {"contexts": [[DISPLAY_SYSTEM, implicit], ["1.2.840.10008.1.1", implicit]],
             "steps": [{"op": "n_get"}, {"op": "n_get", "attrs": ["00181000"]}, {"op": "release"}]}
        ]
    });
    let out = run(Command::new(python())
        .arg(root().join("tests/interop/scu.py"))
        .arg(plan.to_string()));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let last = text.lines().last().expect("a report");
    let mut report: serde_json::Value = serde_json::from_str(last).expect("JSON");
    for a in report["associations"].as_array_mut().expect("associations") {
        for r in a["results"].as_array_mut().expect("results") {
            let r = r.as_object_mut().expect("a result");
            r.remove("ms");
            r.remove("wire_ms");
        }
    }
    report
}

#[test]
fn pynetdicom_gets_the_same_from_both_servers() {
    let (_c, c_addr) = start_display_scp();
    let (_rust, rust_addr) = start_dimse_serve();
    let c = pynetdicom(c_addr);
    let rust = pynetdicom(rust_addr);
    let statuses: Vec<i64> = c["associations"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["status"].as_i64())
        .collect();
    assert_eq!(statuses, [0x0000, 0x0000, 0x0107, 0x0112, 0x0000]);
    assert_eq!(
        c["associations"][1]["results"][0]["transfer_syntax"],
        "1.2.840.10008.1.2"
    );
    assert!(c["associations"][0]["results"][0]["reencoded"].is_string());
    assert_eq!(c, rust);
}
