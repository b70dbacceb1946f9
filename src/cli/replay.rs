//! `dimse replay`: a recorded association through the core again, deterministically.

use std::path::PathBuf;

use clap::Args;
use dimse::config::{self, ServerConfig};
use dimse_tokio::trace::{self, Trace};

use super::Failure;

/// `dimse replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// A trace written by `dimse serve --record DIR`.
    pub file: PathBuf,
    /// The configuration the server ran with (its display answers the N-GETs); default:
    /// the demo display, as `dimse serve` without --config.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn replay(args: ReplayArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::new(format!("{}: {e}", args.file.display())))?;
    let t = Trace::from_bytes(&bytes)
        .map_err(|e| Failure::new(format!("{}: {e}", args.file.display())))?;
    let cfg = match &args.config {
        Some(p) => config::load(p).map_err(|e| Failure::new(e.to_string()))?,
        None => ServerConfig::default(),
    };
    let mut policy = trace::default_policy(t.header.ae_title).ok_or_else(|| {
        Failure::new(format!(
            "the trace's AE title '{}' is not valid",
            t.header.ae_title
        ))
    })?;
    policy.limits = cfg.limits();
    out!(
        "trace of an association with {} (server {}), {} inputs",
        t.header.peer,
        t.header.ae_title,
        t.records.len()
    );
    for line in trace::replay(&t, &policy, &cfg.display) {
        out!("{line}");
    }
    Ok(())
}
