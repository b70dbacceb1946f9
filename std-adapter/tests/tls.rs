//! Our client against our server over TLS (PS3.15 Annex B), with a certificate made at test
//! time.
#![cfg(feature = "tls")]

use std::sync::Arc;

use dimse_core::pdu::AeTitle;
use dimse_core::service::display::DEMO;
use dimse_core::service::{DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE};
use dimse_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use dimse_tokio::rustls::{ClientConfig as TlsClientConfig, RootCertStore, ServerConfig};
use dimse_tokio::{Client, ClientConfig, ClientError, ClientTls, NGetRequest, Reply, Server};

fn certificate() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    (cert, key)
}

fn client_tls(trusted: &CertificateDer<'static>) -> ClientTls {
    let mut roots = RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let config = TlsClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    ClientTls {
        config: Arc::new(config),
        server_name: "localhost".into(),
    }
}

#[tokio::test]
async fn n_get_over_tls() {
    let (cert, key) = certificate();
    let server_tls = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let server = Server::builder(AeTitle::new("DISPLAY").unwrap())
        .n_get(|_r: NGetRequest| async move { Ok(Reply::success(Arc::new(DEMO))) })
        .tls(Arc::new(server_tls))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_until(async move {
        let _ = stopped.await;
    }));

    let config = ClientConfig {
        tls: Some(client_tls(&cert)),
        ..ClientConfig::default()
    };
    let mut client = Client::connect(addr, config).await.unwrap();
    let r = client
        .n_get(DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, None)
        .await
        .unwrap();
    assert_eq!(r.status, 0);
    assert!(r.data_set.unwrap().len() > 3000);
    assert_eq!(client.c_echo().await.unwrap(), 0);
    client.release().await.unwrap();

    // A client that does not trust the certificate fails in the handshake.
    let (other, _) = certificate();
    let config = ClientConfig {
        tls: Some(client_tls(&other)),
        ..ClientConfig::default()
    };
    match Client::connect(addr, config).await {
        Err(ClientError::Io(_)) => {}
        other => panic!("expected a TLS failure, got {other:?}"),
    }
    // A plain client gets no association from a TLS server.
    assert!(Client::connect(addr, ClientConfig::default())
        .await
        .is_err());

    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}
