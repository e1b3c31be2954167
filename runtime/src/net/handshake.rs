//! The mpcc handshake that follows TLS: each side sends a [`Hello`] (who it is, which program,
//! which precision, how many parties) and checks the other's, refusing to start on any
//! difference with a message that says what differs.
//!
//! Hellos are bincode-encoded (the only control message besides the dealer's requests). The
//! optional `seed` carries a pairwise seed from the lower rank to the higher one, or a dealer seed
//! between a party and the dealer. This file does no socket IO of its own (it uses a `Link`).

use crate::net::error::{short_hex, NetError, NetErrorKind, Phase};
use crate::net::link::Link;
use crate::wire::control_config;
use serde::{Deserialize, Serialize};

/// Bumped whenever the wire protocol or the program fingerprint's encoding changes; part of
/// the fingerprint. (2: the fingerprint hashes the whole IR, not its printed form; 3: the hello
/// says whether the run uses `--insecure-seed`.)
pub const PROTOCOL_VERSION: u32 = 4;
const MAGIC: [u8; 4] = *b"mpcc";
/// The largest hello accepted, in bytes (names and a few numbers).
const MAX_HELLO_BYTES: usize = 64 * 1024;
/// The frame tag of the hello.
const HELLO_TAG: u64 = 0;

/// Which kind of process sends a hello.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Party,
    Dealer,
}

/// What each side of a connection says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub magic: [u8; 4],
    pub version: u32,
    pub role: Role,
    /// Its name (a party name of the program, or the dealer's name).
    pub name: String,
    /// Its rank (0 for the dealer).
    pub rank: u32,
    pub n_parties: u32,
    /// `Program::fingerprint` of the program it runs (which covers the precision, the party
    /// count and the protocol version too).
    pub fingerprint: [u8; 32],
    /// The fixed-point precision (fractional bits).
    pub frac_bits: u32,
    /// A seed handed over on this connection, if any.
    pub seed: Option<[u8; 32]>,
    /// The run derives every seed from `--seed` (`--insecure-seed`): every side must agree, and
    /// only then does the dealer take a seed a party proposes.
    pub insecure_seed: bool,
    /// The party names by rank (the program's, which its fingerprint covers too); empty in the
    /// dealer's hello. The dealer, which has no program, checks certificates against them.
    pub names: Vec<String>,
}

impl Hello {
    pub fn party(name: &str, rank: usize, n_parties: usize, fingerprint: [u8; 32], frac_bits: u32) -> Hello {
        Hello {
            magic: MAGIC,
            version: PROTOCOL_VERSION,
            role: Role::Party,
            name: name.to_string(),
            rank: rank as u32,
            n_parties: n_parties as u32,
            fingerprint,
            frac_bits,
            seed: None,
            insecure_seed: false,
            names: Vec::new(),
        }
    }

    /// The same hello, giving the party names by rank.
    pub fn with_names(self, names: &[String]) -> Hello {
        Hello { names: names.to_vec(), ..self }
    }
}

/// Checks that both sides agree on `--insecure-seed` (`who` names the peer).
pub fn check_seed_mode(mine: &Hello, theirs: &Hello, who: &str) -> Result<(), NetError> {
    if theirs.insecure_seed == mine.insecure_seed {
        return Ok(());
    }
    let (with, without) = if theirs.insecure_seed { (who, "we") } else { ("we", who) };
    Err(NetError::new(
        NetErrorKind::Mismatch,
        Phase::Handshake,
        format!(
            "{with} run{} with `--insecure-seed` (every seed derived from `--seed`) but {without} do{} not: start every party and the dealer the same way",
            if with == "we" { "" } else { "s" },
            if without == "we" { "" } else { "es" }
        ),
    )
    .with_peer(who))
}

/// Sends our hello and receives the peer's (no checks beyond the format).
pub fn exchange(link: &Link, mine: &Hello) -> Result<Hello, NetError> {
    let bytes = bincode::serde::encode_to_vec(mine, control_config())
        .map_err(|e| NetError::new(NetErrorKind::Config, Phase::Handshake, format!("cannot encode the hello: {e}")))?;
    link.send(HELLO_TAG, &bytes, Phase::Handshake)?;
    let reply = link.recv_limited(HELLO_TAG, Phase::Handshake, MAX_HELLO_BYTES)?;
    let malformed = |what: String| {
        NetError::new(NetErrorKind::Malformed, Phase::Handshake, what).with_peer(link.peer()).with_addr(link.addr())
    };
    let (theirs, used): (Hello, usize) = bincode::serde::decode_from_slice(&reply, control_config())
        .map_err(|e| malformed(format!("the peer's hello is not an mpcc hello ({e})")))?;
    if used != reply.len() || theirs.magic != MAGIC {
        return Err(malformed("the peer's hello is not an mpcc hello".to_string()));
    }
    if theirs.version != PROTOCOL_VERSION {
        return Err(malformed(format!(
            "the peer speaks mpcc wire protocol {}, we speak {PROTOCOL_VERSION}: run the same mpcc version",
            theirs.version
        )));
    }
    Ok(theirs)
}

/// Checks that a peer party runs what we run. `who` names the peer in messages. Precision and
/// party count are compared before the fingerprint (which covers them too), so that their
/// messages say what differs.
pub fn check_same_run(mine: &Hello, theirs: &Hello, who: &str) -> Result<(), NetError> {
    let mismatch = |message: String| NetError::new(NetErrorKind::Mismatch, Phase::Handshake, message).with_peer(who);
    if theirs.frac_bits != mine.frac_bits {
        return Err(mismatch(format!(
            "party {who} uses {} fractional bits of precision, we use {}",
            theirs.frac_bits, mine.frac_bits
        )));
    }
    if theirs.n_parties != mine.n_parties {
        return Err(mismatch(format!(
            "party {who} runs with {} parties, we run with {}",
            theirs.n_parties, mine.n_parties
        )));
    }
    check_seed_mode(mine, theirs, who)?;
    if theirs.names != mine.names {
        return Err(mismatch(format!(
            "party {who} names the parties {}, we name them {}",
            theirs.names.join(", "),
            mine.names.join(", ")
        )));
    }
    if theirs.fingerprint != mine.fingerprint {
        return Err(mismatch(format!(
            "party {who} runs a different program (fingerprint {} vs ours {}): compile the same file with the same parameters (and run with the same `--compare` and `--no-merge`, which the fingerprint covers)",
            short_hex(&theirs.fingerprint),
            short_hex(&mine.fingerprint)
        )));
    }
    Ok(())
}

/// Checks that the peer is the party we expect at `rank` (named `names[rank]`), that it says so,
/// and that the certificate it presented is that party's (`cert_name`).
pub fn check_identity(theirs: &Hello, rank: usize, names: &[String], cert_name: &str) -> Result<(), NetError> {
    let expected = names.get(rank).map(String::as_str).unwrap_or("?");
    let mismatch =
        |message: String| NetError::new(NetErrorKind::Mismatch, Phase::Handshake, message).with_peer(expected);
    if theirs.role != Role::Party {
        return Err(mismatch(format!("expected party {expected} (rank {rank}), reached a {:?}", theirs.role)));
    }
    if theirs.rank as usize != rank || theirs.name != expected {
        return Err(mismatch(format!(
            "expected party {expected} (rank {rank}), the peer says it is {} (rank {}): check the order of the peer addresses",
            theirs.name, theirs.rank
        )));
    }
    if cert_name != expected {
        return Err(NetError::new(
            NetErrorKind::Certificate,
            Phase::Handshake,
            format!("the peer says it is {expected} but presented {cert_name}'s certificate"),
        )
        .with_peer(expected));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_named() {
        let mine = Hello::party("ALICE", 0, 2, [0x9f; 32], 16);
        let mut theirs = Hello::party("BOB", 1, 2, [0xab; 32], 16);
        let err = check_same_run(&mine, &theirs, "BOB").unwrap_err();
        assert_eq!(err.kind, NetErrorKind::Mismatch);
        assert!(
            err.message
                .starts_with("party BOB runs a different program (fingerprint abababababab… vs ours 9f9f9f9f9f9f…)"),
            "{err}"
        );
        theirs.fingerprint = mine.fingerprint;
        theirs.frac_bits = 20;
        assert!(check_same_run(&mine, &theirs, "BOB").unwrap_err().message.contains("20 fractional bits"));
        theirs.frac_bits = 16;
        theirs.n_parties = 3;
        assert!(check_same_run(&mine, &theirs, "BOB").unwrap_err().message.contains("3 parties"));
        theirs.n_parties = 2;
        assert!(check_same_run(&mine, &theirs, "BOB").is_ok());
        theirs.insecure_seed = true;
        let err = check_same_run(&mine, &theirs, "BOB").unwrap_err();
        assert!(err.message.starts_with("BOB runs with `--insecure-seed`"), "{err}");
        assert!(err.message.contains("but we do not"), "{err}");
        let err = check_same_run(&theirs, &mine, "ALICE").unwrap_err();
        assert!(err.message.starts_with("we run with `--insecure-seed`"), "{err}");
        assert!(err.message.contains("but ALICE does not"), "{err}");
        theirs.insecure_seed = false;
        let names = vec!["ALICE".to_string(), "BOB".to_string()];
        assert!(check_identity(&theirs, 1, &names, "BOB").is_ok());
        assert!(check_identity(&theirs, 0, &names, "BOB").unwrap_err().message.contains("check the order"));
        let err = check_identity(&theirs, 1, &names, "ALICE").unwrap_err();
        assert_eq!(err.kind, NetErrorKind::Certificate);
    }
}
