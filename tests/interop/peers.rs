//! The interop peers as processes: where pynetdicom and DCMTK are, a guard that kills them,
//! and starting pynetdicom's SCP (`scp.py`) or DCMTK's `storescp` on a fresh port.
//!
//! Included (`#[path]`) by std-adapter/tests/interop.rs and by the root package's
//! tests/check_peers.rs. Nothing is skipped: without the peers every caller panics with one
//! line saying what to install (`scripts/test` installs them all).
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Longest an external server may take to listen (python imports are slow on a busy CI).
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The repository: the first ancestor of the package being tested that holds this file.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| d.join("tests").join("interop").join("peers.rs").is_file())
        .expect("the package sits in the repository")
        .to_path_buf()
}

pub fn script(name: &str) -> PathBuf {
    repo_root().join("tests").join("interop").join(name)
}

/// The python with pynetdicom 3.0.4 / pydicom 3.0.2; panics with what to do if there is none.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let py = std::env::var_os("DIMSE_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(".venv").join("bin").join("python"));
        let out = Command::new(&py)
            .args([
                "-c",
                "import pynetdicom, pydicom; print(pynetdicom.__version__, pydicom.__version__)",
            ])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let versions = String::from_utf8_lossy(&o.stdout);
                assert_eq!(
                    versions.trim(),
                    "3.0.4 3.0.2",
                    "{} has other pynetdicom/pydicom versions: run scripts/setup-python",
                    py.display()
                );
            }
            _ => panic!(
                "no python with pynetdicom at {} (DIMSE_PYTHON, default <repo>/.venv/bin/python): \
                 run scripts/setup-python",
                py.display()
            ),
        }
        py
    })
}

/// A DCMTK tool; panics with what to install if it is missing.
pub fn dcmtk(tool: &'static str) -> &'static str {
    match Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => tool,
        _ => panic!(
            "{tool} not found: install DCMTK 3.6.7 (apt-get install dcmtk; scripts/test does)"
        ),
    }
}

/// A port nobody listens on right now (the caller retries if someone takes it meanwhile).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

pub fn log_file(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "dimse-interop-{}-{}-{name}.log",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// An external server process: killed and reaped on drop, whatever happened; its output is
/// printed if the test is failing.
pub struct Peer {
    pub name: &'static str,
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
    /// scp.py's stdout lines after READY: one JSON line per N-GET it handled.
    pub lines: Option<mpsc::Receiver<String>>,
}

impl Peer {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The next N-GET the pynetdicom SCP reports having handled (what it decoded of ours).
    pub fn next_request(&self) -> Value {
        let lines = self.lines.as_ref().expect("only scp.py reports requests");
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{}: no request report: {e}", self.name));
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{}: bad request report {line:?}: {e}", self.name))
    }

    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            if let Ok(log) = std::fs::read_to_string(&self.log) {
                eprintln!("--- {} on port {} wrote:\n{log}---", self.name, self.port);
            }
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// pynetdicom's SCP (`scp.py`) on a fresh port, once it says it listens.
pub fn start_pynetdicom_scp() -> Peer {
    start_pynetdicom_scp_with(&[])
}

/// pynetdicom's SCP (`scp.py`), with `args` after the port (e.g. `--catalogue`).
pub fn start_pynetdicom_scp_with(args: &[&str]) -> Peer {
    for attempt in 1..=3 {
        let port = free_port();
        let log = log_file("scp");
        let child = Command::new(python())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .arg(script("scp.py"))
            .arg(port.to_string())
            .args(args)
            // Its stdin stays open while we live: if this test process dies, scp.py exits.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn scp.py");
        let mut peer = Peer {
            name: "scp.py",
            child,
            port,
            log,
            lines: None,
        };
        let stdout = peer.child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) if line == format!("READY {port}") => {
                peer.lines = Some(rx);
                return peer;
            }
            Ok(line) => panic!("scp.py said {line:?} instead of \"READY {port}\""),
            Err(mpsc::RecvTimeoutError::Disconnected) if attempt < 3 => {
                // It exited before listening: most likely the port was taken meanwhile.
                let why = std::fs::read_to_string(&peer.log).unwrap_or_default();
                eprintln!(
                    "scp.py could not start on {port} ({}); another port",
                    why.trim()
                );
            }
            Err(e) => panic!("scp.py not listening after {READY_TIMEOUT:?} ({e})"),
        }
    }
    unreachable!("the last attempt panics")
}

/// DCMTK's `storescp PORT` on a fresh port, once it accepts connections.
pub fn start_storescp() -> Peer {
    let tool = dcmtk("storescp");
    for attempt in 1..=3 {
        let port = free_port();
        let log = log_file("storescp");
        let out = File::create(&log).expect("log file");
        let child = Command::new(tool)
            .args(["-v", &port.to_string()])
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .expect("spawn storescp");
        let mut peer = Peer {
            name: "storescp",
            child,
            port,
            log,
            lines: None,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if peer.exited() {
                break;
            }
            // A bare connect and close: storescp logs a failed association and listens on.
            if TcpStream::connect_timeout(&peer.addr(), Duration::from_millis(200)).is_ok() {
                if peer.exited() {
                    break; // someone else answered on that port
                }
                return peer;
            }
            assert!(
                Instant::now() < deadline,
                "storescp not listening on {port} after {READY_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let why = std::fs::read_to_string(&peer.log).unwrap_or_default();
        assert!(attempt < 3, "storescp exited on port {port}: {why}");
        eprintln!(
            "storescp could not start on {port} ({}); another port",
            why.trim()
        );
    }
    unreachable!("the last attempt panics")
}
