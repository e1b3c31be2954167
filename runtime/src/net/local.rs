//! `mpcc run prog.mpc --parties N --network`: [`run_local_network`] starts the dealer (none when
//! the parties preprocess by OT) and every party as child processes of the `mpcc` binary on loopback ports, with a fresh key pair each
//! (in a temporary folder), waits for them, and returns what each printed, or an error naming
//! every child that failed, with the end of its error output.
//!
//! Children run `mpcc dealer …` and `mpcc run … --party I …` exactly as a user would in separate
//! terminals (see [`dealer_args`] and [`party_args`]). A child that outlives the others by more
//! than the timeout is killed. This file does not parse programs or print anything.

use crate::net::error::{seconds, NetError};
use crate::net::keys::keygen;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What to start.
#[derive(Clone, Debug)]
pub struct LocalNetSpec {
    /// The `mpcc` binary (`std::env::current_exe()` in the binary itself).
    pub exe: PathBuf,
    /// The program file every party runs.
    pub program: PathBuf,
    /// Party names by rank (the program's `parties` line).
    pub names: Vec<String>,
    /// Extra arguments for every party's `mpcc run` (e.g. `--seed 1`, `--set k=3`, `--data …`).
    pub party_args: Vec<String>,
    /// Each child's `--timeout`.
    pub timeout: Duration,
    /// Start the dealer with `--insecure-seed` (the parties get it in `party_args`).
    pub insecure_seed: bool,
    /// Start a dealer at all (`false` for `--preprocessing ot`: the parties only, no `--dealer`;
    /// `party_args` must then carry `--preprocessing ot`).
    pub dealer: bool,
}

/// How one child ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildOutcome {
    /// `DEALER` or a party name.
    pub name: String,
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl ChildOutcome {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// A failed local network: every child that failed, dealer last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalNetError {
    pub message: String,
    pub failed: Vec<ChildOutcome>,
}

impl std::fmt::Display for LocalNetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        for child in &self.failed {
            let status = match child.code {
                Some(code) => format!("exit code {code}"),
                None => "killed".to_string(),
            };
            write!(f, "\n  {} ({status})", child.name)?;
            let tail: Vec<&str> = child.stderr.lines().rev().take(4).collect();
            for line in tail.into_iter().rev() {
                write!(f, "\n    {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for LocalNetError {}

/// The arguments of `mpcc dealer` for a dealer listening on `listen`.
pub fn dealer_args(listen: SocketAddr, keys: &Path, timeout: Duration, insecure_seed: bool) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "dealer".into(),
        "--listen".into(),
        listen.to_string(),
        "--keys".into(),
        keys.display().to_string(),
        "--name".into(),
        "DEALER".into(),
        "--certs".into(),
        keys.display().to_string(),
        "--timeout".into(),
        timeout.as_secs_f64().to_string(),
    ];
    if insecure_seed {
        args.push("--insecure-seed".into());
    }
    args
}

/// The arguments of `mpcc run` for party `rank`.
pub fn party_args(
    program: &Path,
    rank: usize,
    peers: &[SocketAddr],
    dealer: Option<SocketAddr>,
    keys: &Path,
    timeout: Duration,
) -> Vec<String> {
    let peers: Vec<String> = peers.iter().map(|a| a.to_string()).collect();
    let mut args: Vec<String> = vec![
        "run".into(),
        program.display().to_string(),
        "--party".into(),
        rank.to_string(),
        "--peers".into(),
        peers.join(","),
        "--keys".into(),
        keys.display().to_string(),
        "--certs".into(),
        keys.display().to_string(),
        "--timeout".into(),
        timeout.as_secs_f64().to_string(),
    ];
    if let Some(dealer) = dealer {
        args.extend(["--dealer".into(), dealer.to_string()]);
    }
    args
}

/// `n` free loopback ports (bound to port 0, then released for the children to take).
pub fn free_ports(n: usize) -> Result<Vec<SocketAddr>, NetError> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::config(format!("cannot find a free loopback port: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr())
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::config(format!("cannot find a free loopback port: {e}")))
}

struct Running {
    name: String,
    child: Child,
    out: std::thread::JoinHandle<String>,
    err: std::thread::JoinHandle<String>,
    code: Option<Option<i32>>,
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

fn spawn(exe: &Path, name: &str, args: &[String]) -> Result<Running, LocalNetError> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| LocalNetError {
            message: format!("cannot start `{}` for {name}: {e}", exe.display()),
            failed: Vec::new(),
        })?;
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    match (out, err) {
        (Some(out), Some(err)) => Ok(Running { name: name.to_string(), child, out, err, code: None }),
        _ => {
            let _ = child.kill();
            Err(LocalNetError { message: format!("cannot capture the output of {name}"), failed: Vec::new() })
        }
    }
}

/// Starts the dealer and the parties, waits for all of them, and returns their outcomes by rank
/// (parties), or the failures.
pub fn run_local_network(spec: &LocalNetSpec) -> Result<Vec<ChildOutcome>, LocalNetError> {
    let setup = |e: NetError| LocalNetError { message: e.to_string(), failed: Vec::new() };
    let n = spec.names.len();
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let keys = std::env::temp_dir().join(format!("mpcc-network-{}-{stamp}", std::process::id()));
    let _ = std::fs::remove_dir_all(&keys);
    let dealer_names: &[&str] = if spec.dealer { &["DEALER"] } else { &[] };
    for name in spec.names.iter().map(String::as_str).chain(dealer_names.iter().copied()) {
        keygen(name, &keys).map_err(setup)?;
    }
    let addrs = free_ports(n + 1).map_err(setup)?;
    let Some((peers, &[dealer, ..])) = addrs.split_at_checked(n) else {
        return Err(setup(NetError::config(format!("found fewer than {} free ports", n + 1))));
    };
    let mut running = Vec::new();
    if spec.dealer {
        running.push(spawn(&spec.exe, "DEALER", &dealer_args(dealer, &keys, spec.timeout, spec.insecure_seed)));
    }
    for (rank, name) in spec.names.iter().enumerate() {
        let mut args = party_args(&spec.program, rank, peers, spec.dealer.then_some(dealer), &keys, spec.timeout);
        args.extend(spec.party_args.iter().cloned());
        running.push(spawn(&spec.exe, name, &args));
    }
    let result = wait_all(running, spec.timeout, usize::from(spec.dealer));
    let _ = std::fs::remove_dir_all(&keys);
    result
}

/// Waits for every child; `skip` children (the dealer) come first and are left out of the result.
fn wait_all(
    started: Vec<Result<Running, LocalNetError>>,
    timeout: Duration,
    skip: usize,
) -> Result<Vec<ChildOutcome>, LocalNetError> {
    let mut running = Vec::new();
    let mut spawn_error = None;
    for r in started {
        match r {
            Ok(child) => running.push(child),
            Err(e) => spawn_error = spawn_error.or(Some(e)),
        }
    }
    if let Some(e) = spawn_error {
        for r in &mut running {
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
        return Err(e);
    }
    // Children end on their own (each is bounded by its timeout); one that outlives the first
    // exit by more than twice the timeout (plus a margin) is killed.
    let mut first_exit: Option<Instant> = None;
    let mut killed = false;
    while running.iter().any(|r| r.code.is_none()) {
        for r in running.iter_mut().filter(|r| r.code.is_none()) {
            if let Ok(Some(status)) = r.child.try_wait() {
                r.code = Some(status.code());
                first_exit.get_or_insert_with(Instant::now);
            }
        }
        if first_exit.is_some_and(|t| t.elapsed() > 2 * timeout + Duration::from_secs(5)) {
            for r in running.iter_mut().filter(|r| r.code.is_none()) {
                let _ = r.child.kill();
                r.code = r.child.wait().ok().map(|s| s.code());
                killed = true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let outcomes: Vec<ChildOutcome> = running
        .into_iter()
        .map(|r| ChildOutcome {
            name: r.name,
            code: r.code.flatten(),
            stdout: r.out.join().unwrap_or_default(),
            stderr: r.err.join().unwrap_or_default(),
        })
        .collect();
    let mut failed: Vec<ChildOutcome> = outcomes.iter().filter(|c| !c.success()).cloned().collect();
    if failed.is_empty() {
        return Ok(outcomes.into_iter().skip(skip).collect());
    }
    // Parties first, the dealer last (its failure is usually a consequence).
    let dealer_first = usize::from(failed.first().is_some_and(|c| c.name == "DEALER"));
    failed.rotate_left(dealer_first);
    let names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
    let mut message = format!("the networked run failed ({} failed)", names.join(", "));
    if killed {
        message
            .push_str(&format!("; children still running {} after the first exit were killed", seconds(2 * timeout)));
    }
    Err(LocalNetError { message, failed })
}
