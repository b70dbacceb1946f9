//! TLS configurations from PEM files, for `serve --tls-cert/--tls-key` and `get/echo --tls-ca`,
//! and the relay through which `check --tls-ca` speaks TLS.

use std::path::Path;
use std::sync::Arc;

use dimse::config::TlsFiles;
use dimse_tokio::rustls::pki_types::pem::PemObject;
use dimse_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use dimse_tokio::rustls::{ClientConfig, RootCertStore, ServerConfig};
use dimse_tokio::ClientTls;

use super::Failure;

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            Failure::new(format!(
                "{}: cannot read PEM certificates: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Failure::new(format!(
            "{}: no certificate in it",
            path.display()
        )));
    }
    Ok(certs)
}

/// A TLS server configuration (rustls: TLS 1.2 and 1.3 only).
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, Failure> {
    let chain = certificates(&files.certificate)?;
    let key = PrivateKeyDer::from_pem_file(&files.private_key).map_err(|e| {
        Failure::new(format!(
            "{}: cannot read the private key: {e}",
            files.private_key.display()
        ))
    })?;
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Failure::new(format!("TLS certificate and key do not fit: {e}")))?;
    Ok(Arc::new(config))
}

/// A TLS client configuration trusting the CA certificates in `ca`.
pub fn client_config(ca: &Path, server_name: String) -> Result<ClientTls, Failure> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(ca)? {
        roots
            .add(cert)
            .map_err(|e| Failure::new(format!("{}: unusable CA certificate: {e}", ca.display())))?;
    }
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(ClientTls {
        config: Arc::new(config),
        server_name,
    })
}

/// A local relay to a DICOM TLS server (PS3.15 Annex B), for `dimse check --tls-ca`: the
/// checks speak plain TCP to [`TlsRelay::addr`], and each connection they make is carried
/// over a TLS session of its own to the server, both ways, half-closes included. So every
/// check, the hostile catalogue's byte-exact cases among them, runs unchanged over TLS.
/// Dropping it stops the relay.
pub struct TlsRelay {
    /// Where the checks connect.
    pub addr: std::net::SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

/// Starts a relay to `server`, after one TLS handshake with it succeeded (so that a wrong CA
/// or server name is reported as such, not as connections closed by the SCP).
pub fn relay(server: std::net::SocketAddr, tls: ClientTls) -> Result<TlsRelay, Failure> {
    use dimse_tokio::rustls::pki_types::ServerName;
    use tokio::net::{TcpListener, TcpStream};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the TLS relay: {e}")))?;
    let name = ServerName::try_from(tls.server_name.clone())
        .map_err(|e| Failure::new(format!("'{}': {e}", tls.server_name)))?;
    let connector = tokio_rustls::TlsConnector::from(tls.config);
    let open = {
        let (connector, name) = (connector.clone(), name.clone());
        move || {
            let (connector, name) = (connector.clone(), name.clone());
            async move {
                let tcp = TcpStream::connect(server).await?;
                let _ = tcp.set_nodelay(true);
                connector.connect(name, tcp).await
            }
        }
    };
    runtime.block_on(open()).map_err(|e| {
        Failure::new(format!(
            "TLS handshake with {server} ({}) failed: {e}",
            tls.server_name
        ))
    })?;
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| Failure::new(format!("cannot start the TLS relay: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::new(format!("cannot start the TLS relay: {e}")))?;
    runtime.spawn(async move {
        while let Ok((mut plain, _)) = listener.accept().await {
            let open = open.clone();
            tokio::spawn(async move {
                let _ = plain.set_nodelay(true);
                // A failed handshake closes the plain side: the check sees the SCP close.
                if let Ok(mut secure) = open().await {
                    let _ = tokio::io::copy_bidirectional(&mut plain, &mut secure).await;
                }
            });
        }
    });
    Ok(TlsRelay {
        addr,
        _runtime: runtime,
    })
}
