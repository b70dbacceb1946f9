//! TLS configurations from PEM files, for `serve --tls-cert/--tls-key` and `get/echo --tls-ca`.

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
