//! Keys and certificates for networked runs: [`keygen`] writes a party's (or the dealer's) private
//! key and self-signed certificate, [`Identity`] loads one's own pair, and [`PeerCerts`] loads the
//! folder of `NAME.crt` files that says whom a run trusts.
//!
//! A certificate is trusted by being in the folder, byte for byte (certificate pinning): there is
//! no certificate authority, no expiry check and no host-name check. This file builds no TLS
//! configuration (see `net/tls.rs`).

use crate::net::error::{short_hex, NetError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The files [`keygen`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFiles {
    /// `DIR/NAME.key`: the private key (PKCS#8 PEM); keep it secret.
    pub key: PathBuf,
    /// `DIR/NAME.crt`: the self-signed certificate (PEM); give it to the other parties.
    pub cert: PathBuf,
}

/// Checks that a party or dealer name can name files and certificates: ASCII letters, digits,
/// `_` and `-`, 1–64 characters.
pub fn check_name(name: &str) -> Result<(), NetError> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(NetError::config(format!("`{name}` cannot name a key: use 1 to 64 ASCII letters, digits, `_` or `-`")))
    }
}

/// Creates a new key pair (ECDSA P-256) and a self-signed certificate whose common name is
/// `name`, writing `out_dir/NAME.key` and `out_dir/NAME.crt` (the folder is created if needed).
/// Refuses to overwrite an existing key.
pub fn keygen(name: &str, out_dir: &Path) -> Result<KeyFiles, NetError> {
    check_name(name)?;
    let files = KeyFiles { key: out_dir.join(format!("{name}.key")), cert: out_dir.join(format!("{name}.crt")) };
    if files.key.exists() {
        return Err(NetError::config(format!(
            "`{}` already exists; remove it first to make a new key for {name}",
            files.key.display()
        )));
    }
    let io_err = |path: &Path, e: std::io::Error| NetError::config(format!("cannot write `{}`: {e}", path.display()));
    fs::create_dir_all(out_dir).map_err(|e| io_err(out_dir, e))?;
    let gen_err = |e: rcgen::Error| NetError::config(format!("cannot make a certificate: {e}"));
    let key_pair = rcgen::KeyPair::generate().map_err(gen_err)?;
    let dns_name = format!("{}.mpcc", name.to_ascii_lowercase().replace('_', "-"));
    let mut params = rcgen::CertificateParams::new(vec![dns_name]).map_err(gen_err)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key_pair).map_err(gen_err)?;
    write_secret(&files.key, key_pair.serialize_pem().as_bytes()).map_err(|e| io_err(&files.key, e))?;
    fs::write(&files.cert, cert.pem()).map_err(|e| io_err(&files.cert, e))?;
    Ok(files)
}

/// Writes a file readable by its owner only (on Unix).
fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

/// One's own name, certificate and private key.
#[derive(Debug)]
pub struct Identity {
    pub name: String,
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity { name: self.name.clone(), cert: self.cert.clone(), key: self.key.clone_key() }
    }
}

impl Identity {
    /// Loads `dir/NAME.key` and `dir/NAME.crt` (as written by [`keygen`]).
    pub fn load(dir: &Path, name: &str) -> Result<Identity, NetError> {
        check_name(name)?;
        let key_path = dir.join(format!("{name}.key"));
        let cert = load_cert(&dir.join(format!("{name}.crt")))?;
        let key = PrivateKeyDer::from_pem_file(&key_path)
            .map_err(|e| NetError::config(format!("cannot read the private key `{}`: {e}", key_path.display())))?;
        Ok(Identity { name: name.to_string(), cert, key })
    }
}

/// Reads one PEM certificate.
pub fn load_cert(path: &Path) -> Result<CertificateDer<'static>, NetError> {
    CertificateDer::from_pem_file(path)
        .map_err(|e| NetError::config(format!("cannot read the certificate `{}`: {e}", path.display())))
}

/// The certificates a run trusts, by name (`ALICE` → the contents of `ALICE.crt`).
#[derive(Clone, Debug, Default)]
pub struct PeerCerts {
    certs: BTreeMap<String, CertificateDer<'static>>,
}

impl PeerCerts {
    /// Loads every `NAME.crt` in `dir`.
    pub fn load_dir(dir: &Path) -> Result<PeerCerts, NetError> {
        let entries = fs::read_dir(dir)
            .map_err(|e| NetError::config(format!("cannot read the certificates folder `{}`: {e}", dir.display())))?;
        let mut certs = PeerCerts::default();
        for entry in entries {
            let path = entry.map_err(|e| NetError::config(format!("cannot list `{}`: {e}", dir.display())))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("crt") {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            certs.insert(name, load_cert(&path)?);
        }
        Ok(certs)
    }
    pub fn insert(&mut self, name: &str, cert: CertificateDer<'static>) {
        self.certs.insert(name.to_string(), cert);
    }
    pub fn get(&self, name: &str) -> Option<&CertificateDer<'static>> {
        self.certs.get(name)
    }
    /// The certificate a run needs for `name`, or an error saying which file is missing.
    pub fn require(&self, name: &str) -> Result<&CertificateDer<'static>, NetError> {
        self.get(name).ok_or_else(|| {
            NetError::config(format!("no certificate for {name}: the certificates folder needs `{name}.crt`"))
        })
    }
    /// The name whose certificate is exactly `cert`.
    pub fn name_of(&self, cert: &[u8]) -> Option<&str> {
        self.certs.iter().find(|(_, c)| c.as_ref() == cert).map(|(name, _)| name.as_str())
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.certs.keys().map(|s| s.as_str())
    }
}

/// How to name a certificate in a message: its common name (if it has one) and the start of its
/// SHA-256 digest, e.g. ``certificate `MALLORY` (sha256 3f2a91…)``.
pub fn describe_cert(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    match common_name(der) {
        Some(cn) => format!("certificate `{cn}` (sha256 {})", short_hex(&digest)),
        None => format!("a certificate with no common name (sha256 {})", short_hex(&digest)),
    }
}

/// The subject common name of a DER certificate, read with a minimal DER walk (no full X.509
/// parse: a certificate that does not have the expected layout gives `None`).
pub fn common_name(der: &[u8]) -> Option<String> {
    const OID_CN: [u8; 3] = [0x55, 0x04, 0x03];
    let (_, cert, _) = der_tlv(der)?;
    let (_, tbs, _) = der_tlv(cert)?;
    let mut rest = tbs;
    // Skip the optional explicit version [0], then serial, signature algorithm, issuer, validity.
    let (tag, _, after) = der_tlv(rest)?;
    if tag == 0xA0 {
        rest = after;
    }
    for _ in 0..4 {
        rest = der_tlv(rest)?.2;
    }
    let (_, mut subject, _) = der_tlv(rest)?;
    while !subject.is_empty() {
        let (_, set, after_set) = der_tlv(subject)?;
        let (_, attr, _) = der_tlv(set)?;
        let (_, oid, value_tlv) = der_tlv(attr)?;
        if oid == OID_CN {
            let (_, value, _) = der_tlv(value_tlv)?;
            return String::from_utf8(value.to_vec()).ok();
        }
        subject = after_set;
    }
    None
}

/// Splits one DER tag-length-value off `input`: (tag, contents, rest).
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (len_bytes, after) = rest.split_at(n);
        rest = after;
        len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if rest.len() < len {
        return None;
    }
    let (contents, after) = rest.split_at(len);
    Some((tag, contents, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mpcc-keys-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn keygen_writes_a_pair_that_loads_and_names_itself() {
        let dir = temp_dir("pair");
        let files = keygen("ALICE", &dir).unwrap();
        assert_eq!(files.cert, dir.join("ALICE.crt"));
        let id = Identity::load(&dir, "ALICE").unwrap();
        assert_eq!(common_name(id.cert.as_ref()).as_deref(), Some("ALICE"));
        assert!(describe_cert(id.cert.as_ref()).starts_with("certificate `ALICE` (sha256 "));
        let certs = PeerCerts::load_dir(&dir).unwrap();
        assert_eq!(certs.name_of(id.cert.as_ref()), Some("ALICE"));
        let again = keygen("ALICE", &dir).unwrap_err();
        assert!(again.message.contains("already exists"), "{again}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_names_and_missing_files_are_config_errors() {
        assert!(check_name("../x").is_err());
        assert!(check_name("").is_err());
        assert!(check_name("BOB_2").is_ok());
        let dir = temp_dir("missing");
        let err = Identity::load(&dir, "BOB").unwrap_err();
        assert!(err.message.contains("BOB.crt"), "{err}");
        assert!(PeerCerts::default().require("BOB").unwrap_err().message.contains("`BOB.crt`"));
        assert_eq!(common_name(&[0x30, 0x05, 1]), None);
    }
}
