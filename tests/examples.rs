//! The examples, end to end: the built example binaries run as child processes, driven by
//! `dimse_tokio::Client` and by the `nget_scu` example.
//!
//! `cargo test` builds a package's examples before it runs the package's tests, into
//! `target/<profile>/examples/`, beside the `deps/` directory that holds this test binary:
//! that is where the tests find them. A run that selects targets (`cargo test --test
//! examples`) does not build them; `cargo build --examples` first, or the tests stop with a
//! message saying so.
//!
//! Each server is started on port 0 and reports the port the system chose on its first line
//! of output, so no two runs compete for a port. Every child is killed when its guard drops,
//! also when an assertion fails.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use dimse::core::dataset::{value, Encoding, ReadEvent, Reader, Tag};
use dimse::core::service::display::{tags, DEMO};
use dimse::core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
use dimse_tokio::{Client, ClientConfig};

/// How long a child may take to start listening, or `nget_scu` to finish.
const PATIENCE: Duration = Duration::from_secs(30);

/// The path of a built example.
fn example(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/examples-<hash> -> target/<profile>/examples/<name>
    let profile_dir = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the example binary {} is missing: `cargo test -p dimse` builds the examples before \
         running this test, `cargo test --test examples` alone does not (run `cargo build \
         --examples` first)",
        path.display()
    );
    path
}

/// A running example server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `name` on a port the system picks and waits for its "listening on" line.
    fn start(name: &str) -> Server {
        let child = Command::new(example(name))
            .arg("0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut server = Server { child, port: 0 };
        let stdout = server.child.stdout.take().expect("piped stdout");
        let (lines, received) = mpsc::channel();
        // Read every line, also after the first, so the child never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let deadline = Instant::now() + PATIENCE;
        while server.port == 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = received
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{name} did not say where it listens"));
            server.port = line
                .split("listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|addr| addr.parse::<SocketAddr>().ok())
                .map_or(0, |addr| addr.port());
        }
        server
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One element of a data set: where it sits and its raw value.
struct Element {
    tag: Tag,
    depth: usize,
    value: Vec<u8>,
}

fn elements(data: &[u8], encoding: Encoding) -> Vec<Element> {
    Reader::new(data, encoding)
        .map(|event| event.expect("a readable data set"))
        .filter_map(|event| match event {
            ReadEvent::Element {
                tag, depth, value, ..
            } => Some(Element {
                tag,
                depth,
                value: value.to_vec(),
            }),
            _ => None,
        })
        .collect()
}

/// The string values of `tag` at `depth`.
fn strings(elements: &[Element], tag: Tag, depth: usize) -> Vec<String> {
    elements
        .iter()
        .filter(|e| e.tag == tag && e.depth == depth)
        .map(|e| value::string(&e.value).expect("a text value").to_string())
        .collect()
}

/// C-ECHO, then an N-GET of Manufacturer and Device Serial Number, and one of everything;
/// returns the elements of both data sets.
async fn echo_and_get(addr: SocketAddr) -> (Vec<Element>, Vec<Element>) {
    let session = async {
        let mut client = Client::connect(addr, ClientConfig::default())
            .await
            .unwrap_or_else(|e| panic!("association with {addr}: {e}"));
        assert_eq!(client.c_echo().await.expect("C-ECHO"), 0x0000);
        let wanted = [tags::MANUFACTURER, tags::DEVICE_SERIAL_NUMBER];
        let some = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&wanted))
            .await
            .expect("N-GET of two attributes")
            .into_owned();
        assert_eq!(some.status, 0x0000, "{some:?}");
        let all = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .await
            .expect("N-GET of everything")
            .into_owned();
        assert_eq!(all.status, 0x0000, "{all:?}");
        client.release().await.expect("release");
        (
            elements(&some.data_set.expect("a data set"), some.encoding),
            elements(&all.data_set.expect("a data set"), all.encoding),
        )
    };
    tokio::time::timeout(PATIENCE, session)
        .await
        .expect("the session finished in time")
}

#[tokio::test]
async fn blocking_scp_answers_echo_and_n_get_with_the_demo() {
    let server = Server::start("blocking_scp");
    let (some, all) = echo_and_get(server.addr()).await;
    let asked: Vec<Tag> = some.iter().map(|e| e.tag).collect();
    assert_eq!(asked, [tags::MANUFACTURER, tags::DEVICE_SERIAL_NUMBER]);
    assert_eq!(strings(&some, tags::MANUFACTURER, 0), [DEMO.manufacturer]);
    assert_eq!(
        strings(&some, tags::DEVICE_SERIAL_NUMBER, 0),
        [DEMO.device_serial_number]
    );
    assert_eq!(strings(&all, tags::STATION_NAME, 0), [DEMO.station_name]);
    assert_eq!(
        strings(&all, tags::SYSTEM_STATUS, 1),
        ["OK", "WARNING"],
        "the two heads of DEMO"
    );
}

#[tokio::test]
async fn display_scp_serves_the_panel_struct() {
    let server = Server::start("display_scp");
    let (some, all) = echo_and_get(server.addr()).await;
    // The serial number is the application struct's, at the top and in its subsystem.
    assert_eq!(
        strings(&some, tags::DEVICE_SERIAL_NUMBER, 0),
        ["PANEL-0042"]
    );
    assert_eq!(strings(&all, tags::DEVICE_SERIAL_NUMBER, 1), ["PANEL-0042"]);
    assert_eq!(strings(&all, tags::MANUFACTURER, 0), ["Example Displays"]);
    // The sensor's latest reading, near the 350 cd/m2 target for the first minutes.
    let luminance: Vec<f32> = all
        .iter()
        .filter(|e| e.tag == tags::LUMINANCE_VALUE)
        .flat_map(|e| value::f32s(&e.value).collect::<Vec<_>>())
        .collect();
    assert_eq!(luminance.len(), 1, "one measured point");
    assert!(
        (300.0..=351.0).contains(&luminance[0]),
        "luminance {luminance:?}"
    );
    assert_eq!(strings(&all, tags::SYSTEM_STATUS, 1), ["OK"]);
}

/// Runs `nget_scu` with `args`; returns its exit success, stdout and stderr.
fn run_nget_scu(args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(example("nget_scu"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nget_scu starts");
    let read = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("piped")));
    let stderr = read(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nget_scu") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nget_scu did not finish within {PATIENCE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    (
        status.success(),
        stdout.join().expect("stdout reader"),
        stderr.join().expect("stderr reader"),
    )
}

#[test]
fn nget_scu_against_blocking_scp() {
    let server = Server::start("blocking_scp");
    let port = server.port.to_string();
    let (ok, out, err) = run_nget_scu(&["127.0.0.1", &port]);
    assert!(ok, "nget_scu failed:\n{out}\n{err}");
    assert!(out.contains("C-ECHO: status 0000H (Success)"), "{out}");
    assert!(
        out.contains("N-GET Display System, 2 attributes: status 0000H (Success)"),
        "{out}"
    );
    assert!(
        out.contains("N-GET Display System, all attributes: status 0000H (Success)"),
        "{out}"
    );
    assert!(out.contains("Manufacturer"), "{out}");
    assert!(out.contains(DEMO.manufacturer), "{out}");
    // Nested sequences are indented: an item of a sequence inside a sequence.
    assert!(out.contains("\n          item 1"), "{out}");
    assert!(out.ends_with("released\n"), "{out}");
}

#[test]
fn nget_scu_says_why_it_cannot_connect() {
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let (ok, out, err) = run_nget_scu(&["127.0.0.1", &port]);
    assert!(!ok, "{out}");
    assert!(
        err.starts_with(&format!("nget_scu: 127.0.0.1:{port}: connection failed:")),
        "{err}"
    );
}
