//! `dimse serve`: the Display System SCP on tokio.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use dimse::config::{self, ServerConfig};
use dimse_tokio::{
    EncodedDataSet, NGetRequest, Reply, Server, ServerBuilder, ServerOptions, SharedDataSet,
};

use super::Failure;

/// `dimse serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The server and display description, TOML or JSON (see examples/display.toml);
    /// without it, the demo display with the defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// TCP port (overrides the file; default 11112).
    #[arg(long)]
    pub port: Option<u16>,
    /// Our AE title (overrides the file; default DISPLAY).
    #[arg(long = "ae-title")]
    pub ae_title: Option<String>,
    /// Associations at once (overrides the file; default 32); beyond, A-ASSOCIATE-RJ
    /// (transient, local limit exceeded).
    #[arg(long)]
    pub max_associations: Option<usize>,
    /// Connections kept open after their association ended, waiting for the peer to close
    /// (default 32); they hold no association slot, and beyond this many the one lingering
    /// longest is closed.
    #[arg(long)]
    pub max_lingering: Option<usize>,
    /// Serve over TLS only: the PEM certificate chain (with --tls-key; overrides the file).
    /// The port then defaults to 2762, the DICOM TLS port.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Record each association's inputs as a trace file in this directory (see
    /// `dimse replay`).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: String,
    /// Print the configuration in effect as TOML and exit (a starting point for a file).
    #[arg(long)]
    pub print_config: bool,
}

pub async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let mut cfg = match &args.config {
        Some(path) => config::load(path).map_err(|e| Failure::new(e.to_string()))?,
        None => ServerConfig::default(),
    };
    if let (Some(certificate), Some(private_key)) = (&args.tls_cert, &args.tls_key) {
        cfg.tls = Some(config::TlsFiles {
            certificate: certificate.clone(),
            private_key: private_key.clone(),
        });
        if args.config.is_none() && args.port.is_none() {
            cfg.port = 2762;
        }
    }
    if let Some(port) = args.port {
        cfg.port = port;
    }
    if let Some(n) = args.max_associations {
        cfg.max_associations = n;
    }
    if let Some(ae) = &args.ae_title {
        cfg.ae_title = ae.clone();
    }
    cfg.validate().map_err(|e| Failure::new(e.to_string()))?;
    if args.print_config {
        out_part!("{}", config::to_toml(&cfg));
        return Ok(());
    }
    if let Some(dir) = &args.record {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    }
    let builder = builder(&cfg, args.max_lingering, args.record.clone())?;
    let display: SharedDataSet = display(&cfg)?;
    let server = builder
        // Answered at once (the display is encoded once, at start-up): no future per request.
        // (dimse-tokio logs each request, at info level.)
        .n_get_sync(move |_: &NGetRequest| Ok(Reply::success(display.clone())))
        .bind((args.bind.as_str(), cfg.port))
        .await
        .map_err(|e| Failure::new(format!("cannot listen on {}:{}: {e}", args.bind, cfg.port)))?;
    serve_bound(server, &args, &cfg).await
}

/// The server `cfg` describes, before its handler: its AE, options, acceptor policy and TLS.
/// `dimse conformance` describes the same builder, so the statement is what `serve` runs.
pub fn builder(
    cfg: &ServerConfig,
    max_lingering: Option<usize>,
    record: Option<PathBuf>,
) -> Result<ServerBuilder, Failure> {
    let ae = cfg.ae_title().map_err(|e| Failure::new(e.to_string()))?;
    let defaults = ServerOptions::default();
    let mut builder = Server::builder(ae).options(ServerOptions {
        max_associations: cfg.max_associations,
        max_lingering: max_lingering.unwrap_or(defaults.max_lingering),
        record,
        ..defaults
    });
    {
        let policy = builder.policy_mut();
        policy.limits = cfg.limits();
        policy.check_called_ae = cfg.check_called_ae;
        // The policy borrows for the server's whole life: the allow-list is leaked once.
        policy.calling_ae_allow_list = cfg
            .calling_ae_titles()
            .map_err(|e| Failure::new(e.to_string()))?
            .map(|list| &*Box::leak(list.into_boxed_slice()));
        if let Some(c) = &cfg.user_identity {
            // Leaked once, like the allow-list: the policy lives as long as the server.
            let user: &'static [u8] = Box::leak(c.username.clone().into_bytes().into_boxed_slice());
            let pass: &'static [u8] = Box::leak(c.passcode.clone().into_bytes().into_boxed_slice());
            policy.user_identity = Some(Box::leak(Box::new(dimse::core::assoc::Passcode::new(
                user, pass,
            ))));
        }
        policy.require_user_identity = cfg.require_user_identity;
    }
    if let Some(files) = &cfg.tls {
        builder = builder.tls(super::tls::server_config(files)?);
    }
    Ok(builder)
}

/// The display `cfg` describes, checked against its IOD and encoded once: it does not change
/// while the server runs, and each N-GET copies it (the attribute filter still applies).
pub fn display(cfg: &ServerConfig) -> Result<Arc<EncodedDataSet>, Failure> {
    Ok(Arc::new(
        cfg.display
            .with_model(EncodedDataSet::display_system)
            .map_err(|e| Failure::new(e.to_string()))?,
    ))
}

/// Runs the bound server until Ctrl-C.
async fn serve_bound(server: Server, args: &ServeArgs, cfg: &ServerConfig) -> Result<(), Failure> {
    let addr = server
        .local_addr()
        .map_err(|e| Failure::new(e.to_string()))?;
    let source = args
        .config
        .as_ref()
        .map_or("the demo display".to_string(), |p| p.display().to_string());
    out!(
        "dimse serve: Display System SCP '{}' on {addr}{}, serving {source} (Ctrl-C to stop)",
        cfg.ae_title,
        if cfg.tls.is_some() { " (TLS only)" } else { "" }
    );
    server
        .serve()
        .await
        .map_err(|e| Failure::new(e.to_string()))
}
