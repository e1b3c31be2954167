//! The networked commands: `mpcc keygen`, `mpcc dealer`, one party of `mpcc run` over TCP+TLS
//! (`--party I --peers … --dealer …`) and `mpcc run --network` (every party and the dealer as
//! local processes on loopback). The protocols and the transport live in `mpcc_runtime::net`.

use crate::console::outln;
use crate::console::{usage_error, Console, FAIL, OK};
use crate::RunArgs;
use mpcc_runtime::exec::RunConfig;
use mpcc_runtime::net::local::LocalChild;
use mpcc_runtime::net::{self, NetConfig};
use mpcc_runtime::preprocessing::Preprocessing;
use std::ffi::OsString;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn timeout_of(seconds: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`--timeout {seconds}` must be a positive number of seconds"))
}

fn resolve(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("`{addr}` is not an address (HOST:PORT): {e}"))?
        .next()
        .ok_or_else(|| format!("`{addr}` resolves to no address"))
}

pub fn keygen(name: &str, out: &Path) -> u8 {
    match net::keys::keygen(name, out) {
        Ok(files) => {
            outln!("wrote {} (keep it secret)", files.key.display());
            outln!("wrote {} (give it to the other parties)", files.cert.display());
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            FAIL
        }
    }
}

/// The warning every process of an `--insecure-seed` run prints.
pub const INSECURE_SEED_WARNING: &str = "warning: --insecure-seed: every pairwise and dealer seed of this run is derived from `--seed`, so anyone who knows it can compute every party's masks; this run protects no input (tests and demonstrations only)";

const SEED_REFUSED: &str = "`--seed` on a networked run would let every party compute every other party's masks; add `--insecure-seed` to allow it (tests and demonstrations only)";

/// Refuses `--seed` on a networked run without `--insecure-seed`; warns with it.
fn check_seed(args: &RunArgs) -> Result<(), String> {
    match (args.seed, args.insecure_seed) {
        (Some(_), false) => Err(SEED_REFUSED.to_string()),
        (Some(_), true) => {
            eprintln!("{INSECURE_SEED_WARNING}");
            Ok(())
        }
        _ => Ok(()),
    }
}

pub fn dealer(listen: &str, keys: &Path, name: &str, certs: &Path, timeout: f64, insecure_seed: bool) -> u8 {
    let (listen, timeout) = match (resolve(listen), timeout_of(timeout)) {
        (Ok(l), Ok(t)) => (l, t),
        (Err(m), _) | (_, Err(m)) => return usage_error(&m),
    };
    if insecure_seed {
        eprintln!("{INSECURE_SEED_WARNING}");
    }
    let mode = net::dealer_server::DealerMode { insecure_seed };
    match net::dealer_server::run_dealer_process(listen, keys, name, certs, &NetConfig::with_timeout(timeout), mode) {
        Ok(summary) => {
            eprintln!(
                "dealer: served {} ({} requests, {} ring elements to party 0)",
                summary.parties.join(", "),
                summary.requests,
                summary.elements_sent
            );
            OK
        }
        Err(e) => {
            eprintln!("error: dealer: {e}");
            FAIL
        }
    }
}

/// One party of a networked run: `--party I --peers h0:p0,h1:p1,… --dealer h:p --keys DIR --certs DIR`.
pub fn run_party(
    program: &mpcc_ir::Program,
    rank: usize,
    args: &RunArgs,
    cfg: &RunConfig,
    console: &mut Console<'_>,
) -> Result<u8, mpcc_runtime::error::RunError> {
    let setup = || -> Result<net::program::NetPartyOptions, String> {
        check_seed(args)?;
        let peers =
            args.peers.as_deref().ok_or("`--party` needs `--peers h0:p0,h1:p1,…` (every party's address by rank)")?;
        let peers: Vec<SocketAddr> = peers.split(',').map(|a| resolve(a.trim())).collect::<Result<_, _>>()?;
        if rank >= peers.len() || peers.len() < 2 {
            return Err(format!(
                "`--party {rank}` needs an address for every party, its own included; `--peers` has {}",
                peers.len()
            ));
        }
        let ot = args.preprocessing.mode() == Preprocessing::Ot;
        let dealer = match (&args.dealer, ot) {
            (Some(_), true) => return Err("`--preprocessing ot` runs without a dealer: drop `--dealer`".to_string()),
            (Some(d), false) => resolve(d)?,
            (None, false) => {
                return Err(
                    "`--party` needs `--dealer HOST:PORT` (or `--preprocessing ot` for two parties with no dealer)"
                        .to_string(),
                )
            }
            // Unused: an OT run connects to no dealer.
            (None, true) => SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        let keys = args
            .keys
            .clone()
            .ok_or("`--party` needs `--keys DIR` (this party's NAME.key and NAME.crt, from `mpcc keygen`)")?;
        let certs = args.certs.clone().unwrap_or_else(|| keys.clone());
        let mut opts = net::program::NetPartyOptions::new(rank, peers, dealer, keys, certs);
        opts.net = NetConfig::with_timeout(timeout_of(args.timeout)?);
        opts.insecure_seed = args.insecure_seed;
        Ok(opts)
    };
    let opts = match setup() {
        Ok(o) => o,
        Err(m) => return Ok(usage_error(&m)),
    };
    let report = net::program::run_party(program, &opts, cfg, console)?;
    if args.stats != crate::Stats::None {
        match report.stats.preprocessing {
            Some(pre) => eprintln!(
                "mpc: party {} of {}: {:.3} s, {} rounds, sent {} bytes; preprocessing (OT, no dealer): {:.3} s, {} OTs, sent {} bytes; online: {:.3} s",
                report.stats.name,
                opts.peers.len(),
                report.wall_seconds,
                report.stats.rounds,
                report.stats.bytes_sent,
                pre.seconds,
                pre.transfers,
                pre.bytes_sent,
                (report.wall_seconds - pre.seconds).max(0.0)
            ),
            None => eprintln!(
                "mpc: party {} of {}: {:.3} s, {} rounds, sent {} bytes, dealer {} bytes",
                report.stats.name,
                opts.peers.len(),
                report.wall_seconds,
                report.stats.rounds,
                report.stats.bytes_sent,
                report.stats.dealer_bytes
            ),
        }
        let source = console.source;
        eprint!("{}", report.audit.render_with(&|span| { source.position(span.start as usize) }));
    }
    Ok(OK)
}

/// `mpcc run prog.mpc --parties N --network`: the dealer and N parties as local processes.
pub fn run_local(program: &mpcc_ir::Program, n_parties: usize, args: &RunArgs) -> u8 {
    // The children print the warning of an `--insecure-seed` run, each its own.
    if args.seed.is_some() && !args.insecure_seed {
        return usage_error(SEED_REFUSED);
    }
    let timeout = match timeout_of(args.timeout) {
        Ok(t) => t,
        Err(m) => return usage_error(&m),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find the mpcc binary to start the parties: {e}");
            return FAIL;
        }
    };
    let ot = args.preprocessing.mode() == Preprocessing::Ot;
    let names = (0..n_parties).map(|r| program.party_name(mpcc_ir::PartyId(r as u32))).collect();
    let spec = net::local::LocalNetSpec { exe, names, timeout, dealer: !ot };
    let child_args = |child: LocalChild<'_>| match child {
        LocalChild::Dealer { listen, keys } => dealer_args(listen, keys, timeout, args.insecure_seed),
        LocalChild::Party { rank, peers, dealer, keys } => party_args(args, rank, peers, dealer, keys, timeout),
    };
    match net::local::run_local_network(&spec, &child_args) {
        Ok(children) => {
            // Every party prints the `print` lines; show them once (party 0's), and each
            // party's own `output(…, to=P)` lines, as the simulated run does.
            for (rank, child) in children.iter().enumerate() {
                let own = format!("[{}] ", child.name);
                for line in child.stdout.lines().filter(|l| rank == 0 || l.starts_with(&own)) {
                    outln!("{line}");
                }
            }
            for child in &children {
                for line in child.stderr.lines() {
                    eprintln!("[{}] {line}", child.name);
                }
            }
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            FAIL
        }
    }
}

/// The arguments of `mpcc dealer` for the dealer of a local network, listening on `listen`.
fn dealer_args(listen: SocketAddr, keys: &Path, timeout: Duration, insecure_seed: bool) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["dealer".into(), "--listen".into(), listen.to_string().into()];
    out.extend(["--keys".into(), keys.into(), "--name".into(), "DEALER".into(), "--certs".into(), keys.into()]);
    out.extend(["--timeout".into(), timeout.as_secs_f64().to_string().into()]);
    if insecure_seed {
        out.push("--insecure-seed".into());
    }
    out
}

/// The arguments of `mpcc run` for party `rank` of a local network: where everyone listens, the
/// keys, then the options of the user's `mpcc run --network` that every party repeats.
fn party_args(
    args: &RunArgs,
    rank: usize,
    peers: &[SocketAddr],
    dealer: Option<SocketAddr>,
    keys: &Path,
    timeout: Duration,
) -> Vec<OsString> {
    let peers: Vec<String> = peers.iter().map(|a| a.to_string()).collect();
    let mut out: Vec<OsString> = vec!["run".into(), PathBuf::from(&args.file).into()];
    out.extend(["--party".into(), rank.to_string().into(), "--peers".into(), peers.join(",").into()]);
    out.extend(["--keys".into(), keys.into(), "--certs".into(), keys.into()]);
    out.extend(["--timeout".into(), timeout.as_secs_f64().to_string().into()]);
    if let Some(dealer) = dealer {
        out.extend(["--dealer".into(), dealer.to_string().into()]);
    }
    let mut flag = |name: &str, value: String| out.extend([name.into(), value.into()]);
    flag("--precision", args.precision.to_string());
    flag("--print-precision", args.print_precision.to_string());
    for s in &args.params.set {
        flag("--set", s.clone());
    }
    for d in &args.data {
        flag("--data", d.clone());
    }
    if let Some(seed) = args.seed {
        flag("--seed", seed.to_string());
        out.push("--insecure-seed".into());
    }
    if args.stats == crate::Stats::None {
        out.extend(["--stats".into(), "none".into()]);
    }
    if let Some(mode) = args.compare {
        out.extend(["--compare".into(), mode.to_runtime().name().into()]);
    }
    if args.no_merge {
        out.push("--no-merge".into());
    }
    if let Some(t) = args.dealer_folds {
        out.extend(["--dealer-folds".into(), if t.on() { "on" } else { "off" }.into()]);
    }
    if args.preprocessing.mode() == Preprocessing::Ot {
        out.extend(["--preprocessing".into(), "ot".into()]);
    }
    out
}
