//! A Display System SCU: C-ECHO, then N-GET of two attributes and of the whole object, each
//! response's data set walked with the core's [`Reader`] and printed with one indentation
//! level per sequence, then an orderly release.
//!
//! It uses `dimse_tokio::Client`, which drives the same Sans-IO core as the servers. Against
//! one of the SCP examples, or any Display System SCP:
//!
//! ```text
//! cargo run --example display_scp &            # or: cargo run --example blocking_scp
//! cargo run --example nget_scu [HOST] [PORT]   # default 127.0.0.1 11112
//! ```
//!
//! It exits with status 1, and says why, when the association cannot be made or is lost.

use std::fmt::Display;
use std::process::exit;

use dimse::core::dataset::{dictionary, value, Encoding, ReadEvent, Reader, Tag, Vr};
use dimse::core::service::display::tags;
use dimse::core::service::{self, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
use dimse_tokio::{Client, ClientConfig, ClientError, NGetResponse};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let host = args.next().unwrap_or_else(|| "127.0.0.1".into());
    let port = match args.next().map(|a| a.parse::<u16>()) {
        None => 11112,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: nget_scu [HOST] [PORT]");
            exit(2);
        }
    };
    if let Err(e) = run(&host, port).await {
        eprintln!("nget_scu: {host}:{port}: {e}");
        exit(1);
    }
}

async fn run(host: &str, port: u16) -> Result<(), ClientError> {
    let config = ClientConfig {
        calling_ae: "NGET_SCU".into(),
        called_ae: "DISPLAY".into(),
        ..ClientConfig::default()
    };
    let mut client = Client::connect((host, port), config).await?;
    println!("associated with {}", client.peer());

    let status = client.c_echo().await?;
    println!("C-ECHO: status {}", describe(status));

    let wanted = [tags::MANUFACTURER, tags::DEVICE_SERIAL_NUMBER];
    let some = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&wanted))
        .await?;
    print_response("N-GET Display System, 2 attributes", &some);

    let all = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await?;
    print_response("N-GET Display System, all attributes", &all);

    client.release().await?;
    println!("released");
    Ok(())
}

fn describe(status: u16) -> String {
    format!("{status:04X}H ({})", service::meaning(status))
}

fn print_response(what: &str, rsp: &NGetResponse) {
    println!("{what}: status {}", describe(rsp.status));
    if let Some(comment) = &rsp.error_comment {
        println!("  Error Comment: {comment}");
    }
    if !rsp.attribute_identifier_list.is_empty() {
        println!(
            "  Attribute Identifier List: {}",
            join(rsp.attribute_identifier_list.iter())
        );
    }
    if let Some(data) = &rsp.data_set {
        println!("  data set: {} bytes, {:?}", data.len(), rsp.encoding);
        print_data_set(data, rsp.encoding);
    }
}

/// Walks a data set: one line per element, sequence and item, indented by depth.
fn print_data_set(data: &[u8], encoding: Encoding) {
    let name = |tag: Tag| dictionary::keyword(tag).unwrap_or("?");
    // The item count of each open sequence.
    let mut items: Vec<usize> = Vec::new();
    for event in Reader::new(data, encoding) {
        match event {
            Ok(ReadEvent::Element {
                tag,
                vr,
                value,
                depth,
            }) => println!(
                "{:indent$}{tag} {vr} {:<34} {}",
                "",
                name(tag),
                render(vr, value),
                indent = 4 + 4 * depth
            ),
            Ok(ReadEvent::SequenceStart { tag, vr, depth }) => {
                items.push(0);
                println!(
                    "{:indent$}{tag} {vr} {}",
                    "",
                    name(tag),
                    indent = 4 + 4 * depth
                );
            }
            Ok(ReadEvent::ItemStart { depth }) => {
                if let Some(n) = items.last_mut() {
                    *n += 1;
                    println!("{:indent$}item {n}", "", indent = 2 + 4 * depth);
                }
            }
            Ok(ReadEvent::SequenceEnd { .. }) => {
                items.pop();
            }
            Ok(ReadEvent::ItemEnd { .. }) => {}
            Err(e) => {
                println!("    unreadable from here: {e:?}");
                return;
            }
        }
    }
}

/// A value as text, by VR: strings quoted, numbers and tags listed, other binary as a size.
fn render(vr: Vr, bytes: &[u8]) -> String {
    match vr {
        _ if vr.is_string() => match value::string(bytes) {
            Some(s) => format!("\"{s}\""),
            None => format!("({} bytes, not UTF-8)", bytes.len()),
        },
        Vr::US => join(value::u16s(bytes)),
        Vr::UL => join(value::u32s(bytes)),
        Vr::SS => join(value::i16s(bytes)),
        Vr::SL => join(value::i32s(bytes)),
        Vr::FL => join(value::f32s(bytes)),
        Vr::FD => join(value::f64s(bytes)),
        Vr::AT => join(value::tags(bytes)),
        _ => format!("({} bytes)", bytes.len()),
    }
}

fn join<T: Display>(values: impl IntoIterator<Item = T>) -> String {
    let text: Vec<String> = values.into_iter().map(|v| v.to_string()).collect();
    text.join("\\")
}
