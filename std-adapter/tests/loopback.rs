//! Our client against our server over loopback TCP.

use std::sync::Arc;
use std::time::Duration;

use dimse_core::dataset::{Encoding, Tag, Writer};
use dimse_core::pdu::{AeTitle, AssociateRj};
use dimse_core::service::display::{tags, DEMO};
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
use dimse_tokio::{
    Client, ClientConfig, ClientError, Handler, HandlerFuture, NGetRequest, Reply, Server,
    ServerOptions,
};

fn ae(s: &str) -> AeTitle {
    AeTitle::new(s).unwrap()
}

fn demo_bytes(encoding: Encoding) -> Vec<u8> {
    let mut buf = vec![0u8; 16384];
    let mut w = Writer::new(&mut buf, encoding);
    w.write(&DEMO).unwrap();
    let n = w.written();
    buf.truncate(n);
    buf
}

async fn start(
    server: dimse_tokio::ServerBuilder,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let server = server.bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = stopped.await;
    }));
    (addr, stop, task)
}

fn demo_server() -> dimse_tokio::ServerBuilder {
    Server::builder(ae("DISPLAY"))
        .n_get(|_req: NGetRequest| async move { Ok(Reply::success(Arc::new(DEMO))) })
}

#[tokio::test]
async fn n_get_full_filtered_echo_release() {
    let (addr, stop, task) = start(demo_server()).await;
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    let full = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .unwrap();
    assert_eq!(full.status, 0);
    assert_eq!(full.encoding, Encoding::ExplicitVrLittleEndian);
    assert_eq!(
        full.data_set.unwrap(),
        demo_bytes(Encoding::ExplicitVrLittleEndian)
    );

    let asked = [tags::MANUFACTURER, Tag::new(0x0018, 0x1020)];
    let some = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&asked))
        .await
        .unwrap();
    assert_eq!(some.status, 0x0107);
    assert_eq!(
        some.attribute_identifier_list,
        vec![Tag::new(0x0018, 0x1020)]
    );

    let wrong = client.n_get(DISPLAY_SYSTEM, "1.2.3.4", None).await.unwrap();
    assert_eq!(wrong.status, 0x0112);
    assert_eq!(wrong.data_set, None);

    assert_eq!(client.c_echo().await.unwrap(), 0);
    client.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn failing_and_panicking_handlers_give_0110_and_a_missing_one_0211() {
    let failing = Server::builder(ae("DISPLAY"))
        .n_get(|_r: NGetRequest| async move { Err::<Reply, _>("sensor offline".into()) });
    let panicking = Server::builder(ae("DISPLAY")).n_get(|r: NGetRequest| async move {
        if r.message_id > 0 {
            panic!("handler bug");
        }
        Ok(Reply::status(0))
    });
    // A closure that panics before it makes its future (the synchronous part of the call).
    let panicking_at_call = Server::builder(ae("DISPLAY")).n_get(|r: NGetRequest| {
        assert!(r.message_id == 0, "handler bug before the future");
        async move { Ok(Reply::status(0)) }
    });
    // The same two answering at once (no future): the failure, and the panic.
    let failing_sync = Server::builder(ae("DISPLAY"))
        .n_get_sync(|_r: &NGetRequest| Err::<Reply, _>("sensor offline".into()));
    let panicking_sync = Server::builder(ae("DISPLAY")).n_get_sync(|r: &NGetRequest| {
        assert!(r.message_id == 0, "handler bug");
        Ok(Reply::status(0))
    });
    let none = Server::builder(ae("DISPLAY"));
    // A handler that implements no operation: the trait's default.
    struct Nothing;
    impl Handler for Nothing {}
    let nothing = Server::builder(ae("DISPLAY")).handler(Nothing);
    // A handler type with its own N-GET, and state.
    struct Fixed(u16);
    impl Handler for Fixed {
        fn n_get(&self, _request: NGetRequest) -> HandlerFuture {
            let status = self.0;
            Box::pin(async move { Ok(Reply::status(status)) })
        }
    }
    let fixed = Server::builder(ae("DISPLAY")).handler(Fixed(0x0122));
    // No handler, or none for N-GET: the application does not implement N-GET, and says so
    // (0211H, unrecognized operation, PS3.7 C.5.23).
    for (builder, status, comment) in [
        (failing, 0x0110, Some("sensor offline")),
        (panicking, 0x0110, Some("The N-GET handler panicked")),
        (failing_sync, 0x0110, Some("sensor offline")),
        (panicking_sync, 0x0110, Some("The N-GET handler panicked")),
        (
            panicking_at_call,
            0x0110,
            Some("The N-GET handler panicked"),
        ),
        (none, 0x0211, None),
        (nothing, 0x0211, None),
        (fixed, 0x0122, None),
    ] {
        let (addr, stop, task) = start(builder).await;
        let mut client = Client::connect(addr, ClientConfig::default())
            .await
            .unwrap();
        for _ in 0..2 {
            let r = client
                .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
                .await
                .unwrap();
            assert_eq!(r.status, status);
            assert_eq!(r.error_comment.as_deref(), comment);
        }
        // The association survives the failure.
        assert_eq!(client.c_echo().await.unwrap(), 0);
        client.release().await.unwrap();
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn beyond_the_limit_associations_are_rejected_transiently() {
    let builder = demo_server().options(ServerOptions {
        max_associations: 1,
        ..ServerOptions::default()
    });
    let (addr, stop, task) = start(builder).await;
    let mut first = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    match Client::connect(addr, ClientConfig::default()).await {
        Err(ClientError::Rejected(rj)) => assert_eq!(rj, AssociateRj::LOCAL_LIMIT_EXCEEDED),
        other => panic!("expected a rejection, got {other:?}"),
    }
    // The first keeps working, and once it is gone the next one is served.
    assert_eq!(first.c_echo().await.unwrap(), 0);
    first.release().await.unwrap();
    let mut served = None;
    for _ in 0..50 {
        match Client::connect(addr, ClientConfig::default()).await {
            Ok(c) => {
                served = Some(c);
                break;
            }
            Err(ClientError::Rejected(_)) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("{e}"),
        }
    }
    let mut again = served.expect("served after the first released");
    assert_eq!(again.c_echo().await.unwrap(), 0);
    again.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_aborts_idle_associations_and_returns() {
    let builder = demo_server().options(ServerOptions {
        shutdown_grace: Duration::from_millis(200),
        ..ServerOptions::default()
    });
    let (addr, stop, task) = start(builder).await;
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    assert_eq!(client.c_echo().await.unwrap(), 0);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match client.c_echo().await {
        Err(ClientError::Aborted(_) | ClientError::Closed) => {}
        other => panic!("expected the association to be over, got {other:?}"),
    }
    // And nothing listens any more.
    assert!(Client::connect(addr, ClientConfig::default())
        .await
        .is_err());
}

/// A request still running when the shutdown's grace period ends: the server aborts its
/// association (A-ABORT) rather than wait for the handler, and returns.
#[tokio::test]
async fn shutdown_aborts_a_request_still_running_after_the_grace() {
    let builder = Server::builder(ae("DISPLAY"))
        .n_get(|_req: NGetRequest| async move {
            std::future::pending::<()>().await;
            Ok(Reply::success(Arc::new(DEMO)))
        })
        .options(ServerOptions {
            shutdown_grace: Duration::from_millis(200),
            ..ServerOptions::default()
        });
    let (addr, stop, task) = start(builder).await;
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let call = tokio::spawn(async move {
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .await
            .map(|r| r.status);
        (r, started.elapsed())
    });
    // The request is in the handler before the shutdown starts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the server returns once the grace period is over")
        .unwrap()
        .unwrap();
    let (r, after) = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the call ends with the association")
        .unwrap();
    // An A-ABORT, not just the connection closed under it.
    match r {
        Err(ClientError::Aborted(_)) => {}
        other => panic!("expected the association aborted, got {other:?}"),
    }
    // Not before the grace period (200 ms after the shutdown, 100 ms after the request).
    assert!(after >= Duration::from_millis(300), "{after:?}");
}

#[tokio::test]
async fn many_associations_at_once() {
    let (addr, stop, task) = start(demo_server()).await;
    let mut handles = Vec::new();
    for i in 0..8 {
        handles.push(tokio::spawn(async move {
            let mut client = Client::connect(
                addr,
                ClientConfig {
                    calling_ae: format!("SCU{i}"),
                    ..ClientConfig::default()
                },
            )
            .await
            .unwrap();
            for _ in 0..20 {
                let r = client
                    .n_get(
                        DISPLAY_SYSTEM,
                        DISPLAY_SYSTEM_INSTANCE,
                        Some(&[tags::MANUFACTURER]),
                    )
                    .await
                    .unwrap();
                assert_eq!(r.status, 0);
            }
            client.release().await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// A handler refuses one operation (0124H, Refused: not authorized, with an Error Comment,
/// which PS3.7 C.5.25 allows) based on who asks; others get the data set.
#[tokio::test]
async fn handler_refuses_per_operation_with_0124() {
    let builder = Server::builder(ae("DISPLAY")).n_get(|req: NGetRequest| async move {
        if req.calling_ae == "QA_SCU" {
            Ok(Reply::success(Arc::new(DEMO)))
        } else {
            Ok(Reply::status(0x0124)
                .with_error_comment("Only the QA station may read this display"))
        }
    });
    let (addr, stop, task) = start(builder).await;
    for (calling, status) in [("QA_SCU", 0x0000), ("VISITOR", 0x0124)] {
        let config = ClientConfig {
            calling_ae: calling.into(),
            ..ClientConfig::default()
        };
        let mut client = Client::connect(addr, config).await.unwrap();
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .await
            .unwrap();
        assert_eq!(r.status, status, "{calling}");
        assert_eq!(r.data_set.is_some(), status == 0);
        if status == 0x0124 {
            assert_eq!(
                r.error_comment.as_deref(),
                Some("Only the QA station may read this display")
            );
        }
        client.release().await.unwrap();
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_encoded_data_set_answers_as_its_source_does() {
    // A source larger than the first 4 KiB buffer `EncodedDataSet::new` tries.
    let big = vec![b'Z'; 9000];
    let large = move |w: &mut Writer<'_>| {
        w.write(&DEMO)?;
        w.bytes(Tag::new(0x0029, 0x1010), dimse_core::dataset::Vr::OB, &big)
    };
    let encoded: dimse_tokio::SharedDataSet =
        Arc::new(dimse_tokio::EncodedDataSet::new(&large).unwrap());
    let direct: dimse_tokio::SharedDataSet = Arc::new(large);
    // The server's preference picks the transfer syntax: Explicit VR LE by default, Implicit
    // VR LE when it is the only one the policy lists.
    static IMPLICIT_ONLY: [Encoding; 1] = [Encoding::ImplicitVrLittleEndian];
    let server = |data: dimse_tokio::SharedDataSet, implicit: bool| {
        let mut b = Server::builder(ae("DISPLAY")).n_get(move |_req: NGetRequest| {
            let data = data.clone();
            async move { Ok(Reply::success(data)) }
        });
        if implicit {
            b.policy_mut().transfer_syntaxes = &IMPLICIT_ONLY;
        }
        b
    };
    let asked = [tags::MANUFACTURER, Tag::new(0x0018, 0x1020)];
    for implicit in [false, true] {
        let (a, stop_a, task_a) = start(server(encoded.clone(), implicit)).await;
        let (b, stop_b, task_b) = start(server(direct.clone(), implicit)).await;
        let mut ca = Client::connect(a, ClientConfig::default()).await.unwrap();
        let mut cb = Client::connect(b, ClientConfig::default()).await.unwrap();
        for list in [None, Some(&asked[..])] {
            let ra = ca
                .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, list)
                .await
                .unwrap();
            let rb = cb
                .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, list)
                .await
                .unwrap();
            assert_eq!(ra.status, rb.status);
            assert_eq!(ra.encoding, rb.encoding);
            assert_eq!(ra.attribute_identifier_list, rb.attribute_identifier_list);
            let want = if implicit {
                Encoding::ImplicitVrLittleEndian
            } else {
                Encoding::ExplicitVrLittleEndian
            };
            assert_eq!(ra.encoding, want);
            assert_eq!(ra.data_set, rb.data_set, "implicit {implicit}, {list:?}");
            assert!(ra
                .data_set
                .is_some_and(|d| d.len() > 9000 || list.is_some()));
        }
        ca.release().await.unwrap();
        cb.release().await.unwrap();
        stop_a.send(()).unwrap();
        stop_b.send(()).unwrap();
        task_a.await.unwrap().unwrap();
        task_b.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_request_describes_itself_in_one_line() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let builder = Server::builder(ae("DISPLAY")).n_get({
        let seen = seen.clone();
        move |r: NGetRequest| {
            let shared = (
                r.abstract_syntax.clone(),
                r.transfer_syntax.clone(),
                r.called_ae.clone(),
            );
            seen.lock()
                .unwrap()
                .push((r.message_id, r.to_string(), r.timestamp, shared));
            async move { Ok(Reply::success(Arc::new(DEMO))) }
        }
    });
    let (addr, stop, task) = start(builder).await;
    let before = std::time::SystemTime::now();
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    let list = [tags::MANUFACTURER, tags::MANUFACTURER_MODEL_NAME];
    client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .unwrap();
    client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&list))
        .await
        .unwrap();
    client.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let seen = seen.lock().unwrap();
    let line = |id: u16, what: &str| {
        format!("N-GET #{id} {DISPLAY_SYSTEM} / {DISPLAY_SYSTEM_INSTANCE}, {what}, PC 1, from DIMSE_SCU")
    };
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].1, line(seen[0].0, "all attributes"));
    assert_eq!(seen[1].1, line(seen[1].0, "2 attributes"));
    // The arrival times: on the wall clock, in order, between connect and now (a second of
    // slack for the wall and monotonic clocks' disagreement).
    let after = std::time::SystemTime::now();
    let slack = Duration::from_secs(1);
    assert!(seen[0].2 + slack >= before && seen[1].2 <= after + slack);
    assert!(seen[0].2 <= seen[1].2);
    // The association's repeated values, made once and shared by both requests.
    for (_, _, _, (abstract_syntax, transfer_syntax, called_ae)) in seen.iter() {
        assert_eq!(abstract_syntax, DISPLAY_SYSTEM);
        assert_eq!(
            transfer_syntax,
            dimse_core::assoc::EXPLICIT_VR_LITTLE_ENDIAN
        );
        assert_eq!(called_ae, "ANY-SCP");
    }
}

/// A peer that trickles a PDU (one byte every 100 ms) is aborted at the PDU timeout, although
/// each byte restarts the network timeout: it cannot hold a slot for ever.
#[tokio::test]
async fn a_peer_trickling_a_pdu_is_aborted_at_the_pdu_timeout() {
    use dimse_core::assoc::RequestorConfig;
    use dimse_core::pdu::PresentationContextRq;
    use dimse_core::{Connection, Instant, Output, Storage};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut builder = demo_server();
    builder.policy_mut().limits.pdu_timeout = dimse_core::Duration::from_millis(500);
    let (addr, stop, task) = start(builder).await;

    // Our own core as the peer, to make the bytes: an A-ASSOCIATE-RQ, then an N-GET-RQ.
    static TS: [&str; 1] = ["1.2.840.10008.1.2"];
    let contexts = [PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &TS,
    }];
    let config = RequestorConfig::new(ae("QA"), ae("DISPLAY"), &contexts);
    let (mut rx, mut tx) = (vec![0u8; 65536], vec![0u8; 4096]);
    let now = Instant::ZERO;
    let mut scu = Connection::requestor(
        &config,
        Storage {
            rx: &mut rx,
            tx: &mut tx,
        },
        now,
    )
    .unwrap();
    let mut out = vec![0u8; 65536];
    let mut pdus = |scu: &mut Connection<'_>| {
        let mut bytes = Vec::new();
        while let Output::Transmit(n) = scu.poll_output(&mut out).unwrap() {
            bytes.extend_from_slice(&out[..n]);
        }
        bytes
    };
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(&pdus(&mut scu)).await.unwrap();
    let mut ac = vec![0u8; 4096];
    let n = socket.read(&mut ac).await.unwrap();
    scu.handle_input(now, &ac[..n]);
    let _ = pdus(&mut scu);
    assert!(scu.is_established());
    scu.send_n_get(now, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .unwrap();
    let request = pdus(&mut scu);

    let started = std::time::Instant::now();
    let mut answer = [0u8; 64];
    let mut sent = 0;
    let got = loop {
        tokio::select! {
            read = socket.read(&mut answer) => break read.unwrap(),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                assert!(sent < request.len(), "the whole PDU went out before any abort");
                socket.write_all(&request[sent..sent + 1]).await.unwrap();
                sent += 1;
            }
        }
    };
    // An A-ABORT (PDU type 07H), about 0.5 s after the first byte.
    assert!(got >= 10 && answer[0] == 0x07, "{:?}", &answer[..got]);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    // The server waits (ARTIM) for us to close after its A-ABORT.
    drop(socket);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// A recording server's trace reads back and replays as the association ran, a failing
/// handler's answer included (recorded as the 0110H it gave, with its comment).
#[tokio::test]
async fn a_recorded_association_replays_as_it_ran() {
    let dir = std::env::temp_dir().join(format!("dimse-tokio-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let failing = Server::builder(ae("DISPLAY"))
        .n_get(|r: NGetRequest| async move {
            if r.message_id == 1 {
                Ok(Reply::success(Arc::new(DEMO)))
            } else {
                Err::<Reply, _>("sensor offline".into())
            }
        })
        .options(ServerOptions {
            record: Some(dir.clone()),
            ..ServerOptions::default()
        });
    let (addr, stop, task) = start(failing).await;
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    for want in [0x0000, 0x0110] {
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .await
            .unwrap();
        assert_eq!(r.status, want);
    }
    client.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    // Written when the association ends, which the server's end waited for.
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "trace"))
        .expect("a trace file");
    let bytes = std::fs::read(&file).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let t = dimse_tokio::trace::Trace::from_bytes(&bytes).unwrap();
    assert_eq!(t.header.ae_title, "DISPLAY");
    assert_eq!(t.header.version, dimse_tokio::trace::VERSION);
    assert!(t.records.iter().any(|r| matches!(
        r,
        dimse_tokio::trace::Record::Answer {
            message_id: 2,
            status: 0x0110,
            error_comment: Some("sensor offline"),
            ..
        }
    )));
    // The bytes round-trip: the server's recorder and `Trace` write the same format.
    assert_eq!(t.to_bytes(), bytes);
    let policy = dimse_tokio::trace::default_policy("DISPLAY").unwrap();
    let lines = dimse_tokio::trace::replay(&t, &policy, &DEMO);
    let answers: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once("  answer ").map(|(_, a)| a))
        .collect();
    assert_eq!(answers, ["#1: 0000H", "#2: 0110H"], "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("event Released")),
        "{lines:#?}"
    );
}

#[test]
fn a_display_system_is_validated_before_it_is_served() {
    use dimse_tokio::{DisplaySystemError, EncodedDataSet};
    // The demo is valid: encoded as the writer encodes it.
    let demo = EncodedDataSet::display_system(&DEMO).unwrap();
    assert_eq!(demo, EncodedDataSet::new(&DEMO).unwrap());
    // A date with dashes breaks DA: refused, saying which field and why.
    let broken = dimse_core::service::display::DisplaySystem {
        date_of_installation: Some("2023-11-02"),
        ..DEMO
    };
    let Err(DisplaySystemError::Invalid(why)) = EncodedDataSet::display_system(&broken) else {
        panic!("an invalid Display System was accepted");
    };
    assert!(
        why.starts_with("date_of_installation: \"2023-11-02\" is not a DICOM date"),
        "{why}"
    );
}

/// The bytes of a pynetdicom vector file (core/tests/vectors): hex lines, `#` comments.
fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../core/tests/vectors/{name}.hex",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let hex: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split_whitespace())
        .collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Reads one PDU and returns its type.
async fn read_pdu(stream: &mut tokio::net::TcpStream) -> u8 {
    use tokio::io::AsyncReadExt;
    let mut header = [0u8; 6];
    stream.read_exact(&mut header).await.unwrap();
    let len = u32::from_be_bytes([header[2], header[3], header[4], header[5]]) as usize;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.unwrap();
    header[0]
}

/// Associates and releases on a raw socket, then keeps the connection open, as a peer that
/// has not closed yet after A-RELEASE-RP (the server lingers in Sta13).
async fn released_but_open(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(&vector("a-associate-rq-display"))
        .await
        .unwrap();
    assert_eq!(read_pdu(&mut s).await, 0x02, "A-ASSOCIATE-AC");
    s.write_all(&vector("a-release-rq")).await.unwrap();
    assert_eq!(read_pdu(&mut s).await, 0x06, "A-RELEASE-RP");
    s
}

/// Whether the server closed the connection within `wait`.
async fn closed_by_server(s: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(wait, s.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// A slot is the association's, not the connection's: once A-RELEASE-RP is sent the next
/// association is accepted at once, even though the released peer has not closed yet.
#[tokio::test]
async fn a_released_slot_is_free_before_the_peer_closes() {
    let builder = demo_server().options(ServerOptions {
        max_associations: 1,
        ..ServerOptions::default()
    });
    let (addr, stop, task) = start(builder).await;
    let mut old = released_but_open(addr).await;
    let mut next = Client::connect(addr, ClientConfig::default())
        .await
        .expect("the released association's slot is free");
    assert_eq!(next.c_echo().await.unwrap(), 0);
    // The first connection still lingers (ARTIM is 30 s): not closed by the server.
    assert!(!closed_by_server(&mut old, Duration::from_millis(200)).await);
    next.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// Connections lingering after their association are capped: the oldest is closed first,
/// and none of them holds an association slot.
#[tokio::test]
async fn lingering_connections_are_capped_oldest_first() {
    let builder = demo_server().options(ServerOptions {
        max_associations: 1,
        max_lingering: 2,
        ..ServerOptions::default()
    });
    let (addr, stop, task) = start(builder).await;
    let mut first = released_but_open(addr).await;
    let mut second = released_but_open(addr).await;
    assert!(!closed_by_server(&mut first, Duration::from_millis(100)).await);
    let mut third = released_but_open(addr).await;
    assert!(
        closed_by_server(&mut first, Duration::from_secs(5)).await,
        "the oldest lingering connection is closed"
    );
    assert!(!closed_by_server(&mut second, Duration::from_millis(100)).await);
    assert!(!closed_by_server(&mut third, Duration::from_millis(100)).await);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// A lingering connection (its association's storage given back, `Connection::into_closing`)
/// still answers as PS3.8 says for Sta13: P-DATA and an A-RELEASE-RQ are ignored (AA-6), an
/// A-ASSOCIATE-RQ gets an A-ABORT (AA-7), and ARTIM closes it (AA-2).
#[tokio::test]
async fn a_lingering_connection_answers_as_sta13() {
    use tokio::io::AsyncWriteExt;
    let mut builder = demo_server();
    builder.policy_mut().limits.artim_timeout = dimse_core::Duration::from_millis(400);
    let (addr, stop, task) = start(builder).await;
    let mut s = released_but_open(addr).await;
    // Ignored: a P-DATA-TF (one PDV of two bytes) and an A-RELEASE-RQ.
    s.write_all(&[0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, 3, 0, 0])
        .await
        .unwrap();
    s.write_all(&vector("a-release-rq")).await.unwrap();
    // Answered with an A-ABORT: an A-ASSOCIATE-RQ, as the first PDU the server sends since.
    s.write_all(&vector("a-associate-rq-display"))
        .await
        .unwrap();
    assert_eq!(read_pdu(&mut s).await, 0x07, "A-ABORT");
    // ARTIM (400 ms from the A-RELEASE-RP) closes the connection.
    let started = std::time::Instant::now();
    assert!(closed_by_server(&mut s, Duration::from_secs(5)).await);
    assert!(started.elapsed() < Duration::from_secs(4));
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// A peer that accepts with a canned A-ASSOCIATE-AC (after reading the request) and returns
/// the socket.
async fn canned_acceptor(listener: &tokio::net::TcpListener) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let (mut s, _) = listener.accept().await.unwrap();
    assert_eq!(read_pdu(&mut s).await, 0x01, "A-ASSOCIATE-RQ");
    s.write_all(&vector("a-associate-ac-display"))
        .await
        .unwrap();
    s
}

/// Between calls nobody awaits the client, yet a peer's A-RELEASE-RQ is answered at once
/// (the background task keeps the association), and the next call hears it is over.
#[tokio::test]
async fn an_idle_client_answers_the_peers_release() {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let mut s = canned_acceptor(&listener).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.write_all(&vector("a-release-rq")).await.unwrap();
        let rp = tokio::time::timeout(Duration::from_secs(5), read_pdu(&mut s))
            .await
            .expect("A-RELEASE-RP while the client is idle");
        assert_eq!(rp, 0x06, "A-RELEASE-RP");
        // The release's requestor closes the connection.
    });
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .expect("association");
    // Idle: this task only waits for the peer's side.
    tokio::time::timeout(Duration::from_secs(10), peer)
        .await
        .expect("the peer finished")
        .unwrap();
    assert!(matches!(client.c_echo().await, Err(ClientError::Closed)));
}

/// A client used from one task, then another (each call is driven by its caller's task,
/// whichever it is), then dropped there: every call is answered, and the peer receives the
/// A-ABORT that the drop sends. The first task stays alive (waiting) while the others call:
/// a wake-up that went to it rather than to the caller would leave the call stuck.
#[tokio::test]
async fn a_client_moves_between_tasks_and_its_drop_aborts() {
    let (addr, stop, task) = start(demo_server()).await;
    let (handed, hand) = tokio::sync::oneshot::channel();
    let (done, wait_done) = tokio::sync::oneshot::channel::<()>();
    let first = tokio::spawn(async move {
        let mut client = Client::connect(addr, ClientConfig::default())
            .await
            .unwrap();
        assert_eq!(client.c_echo().await.unwrap(), 0);
        let _ = handed.send(client);
        let _ = wait_done.await;
    });
    let mut client = hand.await.unwrap();
    for round in 0..3 {
        let moved = tokio::spawn(async move {
            for _ in 0..3 {
                // The limit first: `timeout` would poll the call once more when its limit
                // wakes the task, and find the answer that no wake-up announced.
                let r = tokio::select! {
                    biased;
                    () = tokio::time::sleep(Duration::from_secs(5)) => {
                        panic!("round {round}: the call's task was not woken")
                    }
                    r = client.n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None) => r.unwrap(),
                };
                assert_eq!(r.status, 0, "round {round}");
                assert_eq!(r.data_set.as_deref(), Some(&demo_bytes(r.encoding)[..]));
            }
            client
        });
        client = tokio::time::timeout(Duration::from_secs(20), moved)
            .await
            .expect("the task's calls ended")
            .unwrap();
    }
    let _ = done.send(());
    first.await.unwrap();
    drop(client);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    // A peer that reads what the client sends once it is dropped.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let mut s = canned_acceptor(&listener).await;
        tokio::time::timeout(Duration::from_secs(5), read_pdu(&mut s))
            .await
            .expect("a PDU once the client is dropped")
    });
    let client = Client::connect(addr, ClientConfig::default())
        .await
        .expect("association");
    tokio::spawn(async move { drop(client) }).await.unwrap();
    assert_eq!(peer.await.unwrap(), 0x07, "A-ABORT");
}

/// A peer that never answers: the call ends at the DIMSE timeout with the association
/// aborted, and the peer receives the A-ABORT.
#[tokio::test]
async fn an_unanswered_n_get_times_out_and_aborts() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let mut s = canned_acceptor(&listener).await;
        assert_eq!(read_pdu(&mut s).await, 0x04, "the N-GET-RQ's P-DATA-TF");
        // Never answered: the next PDU is the client's A-ABORT.
        let abort = tokio::time::timeout(Duration::from_secs(10), read_pdu(&mut s))
            .await
            .expect("A-ABORT at the DIMSE timeout");
        assert_eq!(abort, 0x07, "A-ABORT");
    });
    let mut config = ClientConfig::default();
    config.limits.dimse_timeout = dimse_core::Duration::from_millis(300);
    let mut client = Client::connect(addr, config).await.expect("association");
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        client.n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None),
    )
    .await
    .expect("the call ended");
    assert!(r.is_err(), "{r:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    peer.await.unwrap();
}

/// A call given up (its future dropped before the answer) leaves the association to the
/// background task; the late answer goes to nobody, and the next call gets its own.
#[tokio::test]
async fn a_call_given_up_does_not_answer_the_next() {
    // The first request is answered after a while.
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let builder = Server::builder(ae("DISPLAY")).n_get(move |_req: NGetRequest| {
        let first = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        async move {
            if first {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Ok(Reply::success(Arc::new(DEMO)))
        }
    });
    let (addr, stop, task) = start(builder).await;
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    let given_up = tokio::time::timeout(
        Duration::from_millis(50),
        client.n_get(
            DISPLAY_SYSTEM,
            DISPLAY_SYSTEM_INSTANCE,
            Some(&[tags::MANUFACTURER]),
        ),
    )
    .await;
    assert!(
        given_up.is_err(),
        "answered before the handler's delay: {given_up:?}"
    );
    let r = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .unwrap();
    assert_eq!(r.status, 0x0000);
    // The whole data set: this call's answer, not the late one of one attribute.
    let full = demo_bytes(r.encoding);
    assert_eq!(r.data_set.as_deref(), Some(&full[..]));
    client.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn responses_with_and_without_related_fields_alternate_on_one_association() {
    // The client decodes a response's command set again only when the core says it carries
    // more than the status (Error Comment, Error ID, Attribute Identifier List): what one
    // response carried must not show in the next, which carries nothing of it.
    const PROBE: Tag = Tag::new(0x0029, 0x1010);
    let builder = Server::builder(ae("DISPLAY")).n_get(|req: NGetRequest| async move {
        if req.attributes == [PROBE] {
            Ok(Reply::status(0x0110)
                .with_error_comment("probe refused")
                .with_error_id(7))
        } else {
            Ok(Reply::success(Arc::new(DEMO)))
        }
    });
    let (addr, stop, task) = start(builder).await;
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    // A tag the display does not have: 0107H with it listed.
    let unknown = Tag::new(0x0029, 0x1020);
    for _ in 0..2 {
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, Some(&[PROBE]))
            .await
            .unwrap();
        assert_eq!(r.status, 0x0110);
        assert_eq!(r.error_comment.as_deref(), Some("probe refused"));
        assert_eq!(r.error_id, Some(7));
        assert!(r.data_set.is_none());

        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
            .await
            .unwrap();
        assert_eq!(r.status, 0);
        assert_eq!(r.error_comment, None);
        assert_eq!(r.error_id, None);
        assert!(r.attribute_identifier_list.is_empty());
        assert!(r.data_set.as_ref().is_some_and(|d| d.len() > 3000));

        let r = client
            .n_get(
                DISPLAY_SYSTEM,
                DISPLAY_SYSTEM_INSTANCE,
                Some(&[tags::MANUFACTURER, unknown]),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 0x0107);
        assert_eq!(r.attribute_identifier_list[..], [unknown]);
        assert_eq!(r.error_comment, None);
        assert!(r.data_set.is_some());
    }
    client.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_handler_answers_at_once_or_later_and_sees_each_request_as_it_came() {
    // A handler with both N-GET methods: it answers at once what it can (here, a request
    // without a list) and leaves the rest to its future. Each sees the request as it came,
    // although the server keeps one and updates it in place: the Message ID, the list. The
    // answer says what was seen, in the one element 0110H may carry a number in (Error ID).
    struct Both;
    impl Handler for Both {
        fn n_get_sync(
            &self,
            request: &NGetRequest,
        ) -> Option<Result<Reply, dimse_tokio::HandlerError>> {
            let seen = request.message_id << 4;
            request
                .attributes
                .is_empty()
                .then(|| Ok(Reply::status(0x0110).with_error_id(seen)))
        }
        fn n_get(&self, request: NGetRequest) -> HandlerFuture {
            Box::pin(async move {
                tokio::task::yield_now().await;
                let seen = 0x8000 | request.message_id << 4 | request.attributes.len() as u16;
                Ok(Reply::status(0x0110).with_error_id(seen))
            })
        }
    }
    let (addr, stop, task) = start(Server::builder(ae("DISPLAY")).handler(Both)).await;
    let mut client = Client::connect(addr, ClientConfig::default())
        .await
        .unwrap();
    let lists: [&[Tag]; 4] = [
        &[],
        &[tags::MANUFACTURER, tags::MANUFACTURER_MODEL_NAME],
        &[],
        &[tags::MANUFACTURER],
    ];
    for (i, list) in lists.into_iter().enumerate() {
        let asked = (!list.is_empty()).then_some(list);
        let r = client
            .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, asked)
            .await
            .unwrap();
        // Message IDs count from 1 on a new client.
        let id = i as u16 + 1;
        let seen = if list.is_empty() {
            id << 4
        } else {
            0x8000 | id << 4 | list.len() as u16
        };
        assert_eq!((r.status, r.error_id), (0x0110, Some(seen)), "request {i}");
    }
    client.release().await.unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}
