//! TLS 1.3 configurations with mutual authentication by pinned certificates, on rustls with the
//! `ring` provider, and the blocking TLS handshake over a `TcpStream`.
//!
//! A dialer knows whom it dials and accepts exactly that peer's certificate; an acceptor accepts
//! any certificate in the run's folder and learns who connected from it (the mpcc handshake then
//! checks that the claimed rank matches). A rejection is recorded so that the error can name the
//! certificate. This file does not frame messages (see `net/link.rs`).

use crate::net::error::{NetError, NetErrorKind, Phase};
use crate::net::keys::{describe_cert, Identity, PeerCerts};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a verifier writes why it refused a certificate.
pub type Rejection = Arc<Mutex<Option<String>>>;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Notes why a certificate was refused; rustls then sends the peer a `BadCertificate` alert.
fn record(rejection: &Rejection, message: String) -> rustls::Error {
    if let Ok(mut slot) = rejection.lock() {
        *slot = Some(message);
    }
    rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure)
}

/// Accepts exactly one certificate: the one we know for the peer we dial.
#[derive(Debug)]
struct PinnedServer {
    name: String,
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
    rejection: Rejection,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            return Ok(ServerCertVerified::assertion());
        }
        Err(record(
            &self.rejection,
            format!(
                "the peer presented {}, which is not {}'s certificate `{}.crt`",
                describe_cert(end_entity.as_ref()),
                self.name,
                self.name
            ),
        ))
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Accepts any certificate of the run's folder, and only those.
#[derive(Debug)]
struct PinnedClients {
    known: Arc<PeerCerts>,
    provider: Arc<CryptoProvider>,
    rejection: Rejection,
}

impl ClientCertVerifier for PinnedClients {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self.known.name_of(end_entity.as_ref()).is_some() {
            return Ok(ClientCertVerified::assertion());
        }
        Err(record(
            &self.rejection,
            format!(
                "the peer presented {}, which is in no `.crt` file of the certificates folder",
                describe_cert(end_entity.as_ref())
            ),
        ))
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_config_error(e: rustls::Error) -> NetError {
    NetError::config(format!("cannot set up TLS with this key and certificate: {e}"))
}

/// A client connection to `peer_name`, whose certificate must be `expected`.
pub fn client(
    me: &Identity,
    peer_name: &str,
    expected: &CertificateDer<'static>,
) -> Result<(rustls::Connection, Rejection), NetError> {
    let provider = provider();
    let rejection = Rejection::default();
    let verifier = PinnedServer {
        name: peer_name.to_string(),
        expected: expected.clone(),
        provider: provider.clone(),
        rejection: rejection.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls_config_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(vec![me.cert.clone()], me.key.clone_key())
        .map_err(tls_config_error)?;
    let server_name =
        ServerName::try_from("peer.mpcc").map_err(|e| NetError::config(format!("bad TLS server name: {e}")))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), server_name).map_err(tls_config_error)?;
    Ok((conn.into(), rejection))
}

/// A server connection accepting any certificate in `known`.
pub fn server(me: &Identity, known: &Arc<PeerCerts>) -> Result<(rustls::Connection, Rejection), NetError> {
    let provider = provider();
    let rejection = Rejection::default();
    let verifier = PinnedClients { known: known.clone(), provider: provider.clone(), rejection: rejection.clone() };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls_config_error)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![me.cert.clone()], me.key.clone_key())
        .map_err(tls_config_error)?;
    // No session resumption: no tickets arrive after the handshake.
    config.send_tls13_tickets = 0;
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    let conn = rustls::ServerConnection::new(Arc::new(config)).map_err(tls_config_error)?;
    Ok((conn.into(), rejection))
}

/// Runs the TLS handshake to completion over `sock` before `deadline` (the whole handshake, not
/// each read: a peer that sends a byte at a time is cut off like a silent one), turning a refused
/// certificate or a broken peer into a [`NetError`] of phase [`Phase::Tls`].
pub fn handshake(
    conn: &mut rustls::Connection,
    sock: &mut TcpStream,
    rejection: &Rejection,
    deadline: Instant,
) -> Result<(), NetError> {
    let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "handshake deadline");
    let result = (|| {
        while conn.is_handshaking() || conn.wants_write() {
            while conn.wants_write() {
                conn.write_tls(sock)?;
            }
            if !conn.is_handshaking() {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(timed_out());
            }
            sock.set_read_timeout(Some(left))?;
            if conn.read_tls(sock)? == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
            }
            if let Err(e) = conn.process_new_packets() {
                // Send the alert that says why, then fail.
                while conn.wants_write() {
                    if conn.write_tls(sock).is_err() {
                        break;
                    }
                }
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
            }
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        if let Some(message) = rejection.lock().ok().and_then(|slot| slot.clone()) {
            return NetError::new(NetErrorKind::Certificate, Phase::Tls, message);
        }
        if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            return classify(tls, Phase::Tls);
        }
        if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) {
            return NetError::new(NetErrorKind::Timeout, Phase::Tls, "did not complete the TLS handshake in time");
        }
        NetError::from_io(&e, Phase::Tls, Duration::ZERO)
    })
}

/// Classifies a TLS error: a peer refusing our certificate, or a broken connection.
pub fn classify(err: &rustls::Error, phase: Phase) -> NetError {
    use rustls::AlertDescription as A;
    match err {
        rustls::Error::AlertReceived(
            alert @ (A::BadCertificate
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied
            | A::CertificateRequired
            | A::UnsupportedCertificate
            | A::DecryptError
            | A::HandshakeFailure),
        ) => NetError::new(
            NetErrorKind::Certificate,
            phase,
            format!(
                "the peer refused our certificate (TLS alert {alert:?}): is our `.crt` in its certificates folder?"
            ),
        ),
        rustls::Error::NoCertificatesPresented => {
            NetError::new(NetErrorKind::Certificate, phase, "the peer presented no certificate")
        }
        rustls::Error::InvalidMessage(_)
        | rustls::Error::DecryptError
        | rustls::Error::PeerSentOversizedRecord
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            NetError::new(NetErrorKind::Malformed, phase, format!("the peer sent bytes that are not valid TLS ({err})"))
        }
        other => NetError::new(NetErrorKind::Tls, phase, other.to_string()),
    }
}
