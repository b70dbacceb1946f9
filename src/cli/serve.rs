//! `dimse serve`: the Display System SCP on tokio.

use std::sync::Arc;

use clap::Args;
use dimse::core::pdu::AeTitle;
use dimse::core::service::display::DEMO;
use dimse_tokio::{NGetRequest, Reply, Server, SharedDataSet};
use tracing::info;

use super::Failure;

/// `dimse serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// TCP port.
    #[arg(long, default_value_t = 11112)]
    pub port: u16,
    /// Our AE title.
    #[arg(long = "ae-title", default_value = "DISPLAY")]
    pub ae_title: String,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: String,
}

pub async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let ae = AeTitle::new(&args.ae_title).ok_or_else(|| {
        Failure::new(format!(
            "'{}' is not a valid AE title (1 to 16 characters, no backslash)",
            args.ae_title
        ))
    })?;
    let display: SharedDataSet = Arc::new(DEMO);
    let server = Server::builder(ae)
        .n_get(move |request: NGetRequest| {
            let display = display.clone();
            async move {
                info!(from = %request.calling_ae, "{}", request.description);
                Ok(Reply::success(display))
            }
        })
        .bind((args.bind.as_str(), args.port))
        .await
        .map_err(|e| Failure::new(format!("cannot listen on {}:{}: {e}", args.bind, args.port)))?;
    let addr = server
        .local_addr()
        .map_err(|e| Failure::new(e.to_string()))?;
    println!(
        "dimse serve: Display System SCP '{}' on {addr} (Ctrl-C to stop)",
        args.ae_title
    );
    server
        .serve()
        .await
        .map_err(|e| Failure::new(e.to_string()))
}
