//! The `dimse` command-line tool's commands.

/// `println!` for the commands' output. When stdout is closed under it (`dimse poll | head`)
/// the process ends at once with status 141 (128 + SIGPIPE, as a tool killed by the signal
/// reports), instead of panicking: a reader that stopped reading is not a crash.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::cli::stdout_failed(e);
        }
    }};
}

/// `print!` likewise.
macro_rules! out_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            $crate::cli::stdout_failed(e);
        }
    }};
}

/// Ends the process after a failed write to stdout (see `out!`).
pub fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        eprintln!("dimse: writing to stdout: {e}");
    }
    std::process::exit(141)
}

pub mod check;
pub mod conformance;
pub mod demo;
pub mod get;
pub mod poll;
pub mod replay;
pub mod serve;
pub mod simulate;

pub mod tls;

use dimse::core::service;
use dimse_tokio::ClientError;

/// A failure as one line for the user, and the process exit code.
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure {
            message: e.to_string(),
            code: 1,
        }
    }
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 1,
        }
    }
}

/// A status in words: `0112H (No such SOP instance)`, with the class's own meanings.
pub fn describe_status(class: &str, status: u16) -> String {
    let meaning =
        service::sop_class(class).map_or_else(|| service::meaning(status), |c| c.meaning(status));
    format!("{status:04X}H ({meaning})")
}

/// Parses `(gggg,eeee)`, `gggg,eeee`, `ggggeeee` or a keyword (`Manufacturer`).
pub fn parse_tag(s: &str) -> Result<dimse::core::dataset::Tag, String> {
    use dimse::core::dataset::{dictionary, Tag};
    let t = s.trim().trim_start_matches('(').trim_end_matches(')');
    let hex: String = t.chars().filter(|c| *c != ',').collect();
    if hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        let v = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
        return Ok(Tag::new((v >> 16) as u16, v as u16));
    }
    dictionary::tag_by_keyword(t)
        .ok_or_else(|| format!("'{s}' is neither a tag (gggg,eeee) nor a known keyword"))
}

/// `host:port`, with 11112 when the port is left out.
pub fn address(s: &str) -> String {
    if s.rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        s.to_string()
    } else {
        format!("{s}:11112")
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast generator of well-mixed 64-bit
/// values, the same sequence on every platform for a seed (`dimse simulate` derives its fleet
/// from one; `dimse poll` draws its retry waits).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
