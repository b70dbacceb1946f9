//! `dimse get` and `dimse echo`: one association, one request, the answer printed.

use std::time::Duration;

use clap::Args;
use dimse::core::dataset::Tag;
use dimse::core::service::{self, StatusCategory};
use dimse_tokio::{Client, ClientConfig};

use super::{address, describe_status, parse_tag, Failure};

/// Options shared by the client commands.
#[derive(Debug, Clone, Args)]
pub struct Peer {
    /// The SCP: HOST:PORT (port 11112 when left out).
    pub address: String,
    /// Our AE title (calling).
    #[arg(long = "aet", default_value = "DIMSE_SCU")]
    pub calling_ae: String,
    /// The SCP's AE title (called).
    #[arg(long = "aec", default_value = "ANY-SCP")]
    pub called_ae: String,
    /// Seconds to wait for the connection, the association and each response.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Send this username as User Identity, with the passcode from the DIMSE_PASSCODE
    /// environment variable (not an argument: it would show in the process list).
    #[arg(long)]
    pub user: Option<String>,
    /// Speak TLS, trusting the CA certificates in this PEM file (PS3.15 Annex B).
    #[arg(long)]
    pub tls_ca: Option<std::path::PathBuf>,
    /// The name the server's certificate must carry (default: the host of the address).
    #[arg(long, requires = "tls_ca")]
    pub tls_name: Option<String>,
}

impl Peer {
    pub fn config(&self, abstract_syntaxes: Vec<String>) -> Result<ClientConfig, Failure> {
        let mut c = ClientConfig {
            calling_ae: self.calling_ae.clone(),
            called_ae: self.called_ae.clone(),
            abstract_syntaxes,
            connect_timeout: Duration::from_secs_f64(self.timeout.max(0.1)),
            ..ClientConfig::default()
        };
        let ms = dimse::core::Duration::from_millis((self.timeout.max(0.1) * 1000.0) as u64);
        c.limits.acse_timeout = ms;
        c.limits.dimse_timeout = ms;
        if let Some(user) = &self.user {
            let pass = std::env::var("DIMSE_PASSCODE").map_err(|_| {
                Failure::new("--user needs the passcode in the DIMSE_PASSCODE environment variable")
            })?;
            c.credentials = Some((user.clone(), pass));
        }
        if let Some(ca) = &self.tls_ca {
            let host = self
                .address
                .rsplit_once(':')
                .map_or(self.address.as_str(), |(h, _)| h);
            let name = self.tls_name.clone().unwrap_or_else(|| host.to_string());
            c.tls = Some(super::tls::client_config(ca, name)?);
        }
        Ok(c)
    }
}

/// `dimse get`.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub peer: Peer,
    /// Requested SOP Class UID.
    #[arg(long, default_value = service::DISPLAY_SYSTEM)]
    pub class: String,
    /// Requested SOP Instance UID (default: the class's well-known instance).
    #[arg(long)]
    pub instance: Option<String>,
    /// An attribute to ask for, as (gggg,eeee) or keyword; repeat for several (none: all).
    #[arg(long = "attr", value_name = "TAG")]
    pub attributes: Vec<String>,
    /// Print the data set in the DICOM JSON model (PS3.18 F.2).
    #[arg(long)]
    pub json: bool,
}

pub async fn get(args: GetArgs) -> Result<(), Failure> {
    let instance = match &args.instance {
        Some(i) => i.clone(),
        None => service::sop_class(&args.class)
            .and_then(|c| c.well_known_instance)
            .ok_or_else(|| {
                Failure::new(format!(
                    "--instance is needed: {} has no well-known instance",
                    args.class
                ))
            })?
            .to_string(),
    };
    let tags: Vec<Tag> = args
        .attributes
        .iter()
        .map(|a| parse_tag(a))
        .collect::<Result<_, _>>()
        .map_err(Failure::new)?;
    let mut client = Client::connect(
        address(&args.peer.address),
        args.peer.config(vec![args.class.clone()])?,
    )
    .await?;
    let r = client
        .n_get(
            &args.class,
            &instance,
            (!tags.is_empty()).then_some(&tags[..]),
        )
        .await?
        .into_owned();
    let _ = client.release().await;
    let category = service::sop_class(&args.class)
        .map_or(StatusCategory::of(r.status), |c| c.category(r.status));
    let status = describe_status(&args.class, r.status);
    let mut line = format!("N-GET status {status}");
    if let Some(c) = &r.error_comment {
        line.push_str(&format!(": {c}"));
    }
    if !r.attribute_identifier_list.is_empty() {
        let list: Vec<String> = r
            .attribute_identifier_list
            .iter()
            .map(|t| t.to_string())
            .collect();
        line.push_str(&format!(" [attributes: {}]", list.join(", ")));
    }
    let unreadable = |e| Failure::new(format!("the data set could not be read: {e}"));
    if args.json {
        let data = match r.data_set_view().map_err(unreadable)? {
            Some(view) => dimse::print::render_json(&view),
            None => serde_json::Value::Object(Default::default()),
        };
        eprintln!("{line}");
        out!(
            "{}",
            serde_json::to_string_pretty(&data).unwrap_or_default()
        );
    } else {
        out!("{line}");
        if let Some(view) = r.data_set_view().map_err(unreadable)? {
            out_part!("{}", dimse::print::render_text(&view));
        }
    }
    if category.is_success_or_warning() {
        Ok(())
    } else {
        Err(Failure {
            message: format!("N-GET failed: status {status}"),
            code: 3,
        })
    }
}

/// `dimse echo`.
#[derive(Debug, Clone, Args)]
pub struct EchoArgs {
    #[command(flatten)]
    pub peer: Peer,
    /// C-ECHOs to send on the association.
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
}

pub async fn echo(args: EchoArgs) -> Result<(), Failure> {
    let mut client = Client::connect(
        address(&args.peer.address),
        args.peer.config(vec![service::VERIFICATION.into()])?,
    )
    .await?;
    let start = std::time::Instant::now();
    for _ in 0..args.repeat.max(1) {
        let status = client.c_echo().await?;
        if status != 0 {
            let _ = client.release().await;
            return Err(Failure::new(format!(
                "C-ECHO failed: status {}",
                describe_status(service::VERIFICATION, status)
            )));
        }
    }
    let elapsed = start.elapsed();
    client.release().await?;
    out!(
        "C-ECHO {}: status 0000H (Success), {} in {:.1} ms",
        address(&args.peer.address),
        args.repeat.max(1),
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}
