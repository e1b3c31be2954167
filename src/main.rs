//! The `mpcc` command line: argument parsing, reading files, calling the compiler and the
//! runtime, printing, and exit codes. No compiler or protocol logic lives here.
//!
//! Exit codes: 0 success, 1 a program or data error, 2 a usage error.

mod bench;
mod choose;
mod commands;
mod console;
mod cost;
mod diag_json;
mod import;
mod lsp;
mod network;
mod progress;
mod schedule;
mod source;

/// mimalloc keeps freed pages for reuse: the engine's large message and share buffers, allocated
/// and freed every round, then come back without page faults (glibc maps and unmaps each one;
/// docs/performance.md has the figures). Built without mimalloc's "secure" mode.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t`, mimalloc.h).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed pages stay with the process until it exits instead of going back to the OS 10 ms after
/// their last use (mimalloc's default): a protocol frees its megabyte buffers at the end of a round
/// and allocates the next round's moments later, and given back they return as fresh, zero-filled
/// pages, which this machine's kernel fills slowly. Twenty 10^6-element muls: 68 700 page faults
/// → about 400; train_split.mpc: 2.2–2.6 s → 1.6–1.7 s, for a 15 % higher peak (1.0 → 1.17 GB;
/// docs/performance.md). `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn keep_freed_pages() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option, before any other thread exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// mpcc — a compiler and runtime for a tensor language for secure multiparty computation.
///
/// Programs mark secret inputs with `private(src=PARTY, …)`; the compiler proves that no
/// secret decides a branch, a loop bound or an index, and the runtime executes the program
/// with every private value secret-shared among the parties.
#[derive(Parser, Debug)]
#[command(name = "mpcc", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a program and report its diagnostics (nothing is run).
    Check {
        /// The .mpc program.
        file: PathBuf,
        #[command(flatten)]
        params: ParamArgs,
        /// `human` (rendered like rustc) or `json` (one object per line, for editors).
        #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
        message_format: MessageFormat,
    },
    /// Compile a program and print its AST or IR.
    Compile {
        file: PathBuf,
        /// `ast`: the syntax tree; `ir`: the checked IR after every pass (the oblivious rewrite of
        /// secret `if`s, then `grad`), or after the one `--after` names; `schedule`: the
        /// round-merging plan, each block's private ops that communicate in the order a secure
        /// run takes them, independent ones grouped in waves that share rounds (`mpcc cost
        /// --schedule` adds the rounds, which depend on the inputs' shapes).
        #[arg(long, value_enum, default_value_t = Emit::Ir)]
        emit: Emit,
        /// Print each IR line's source byte range.
        #[arg(long)]
        spans: bool,
        /// Stop after this pass (`oblivious` or `grad`, in that order).
        #[arg(long, value_name = "PASS")]
        after: Option<String>,
        #[command(flatten)]
        params: ParamArgs,
        #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
        message_format: MessageFormat,
    },
    /// Run a program: with every private value secret-shared among N simulated parties
    /// (the default), or in plaintext as a reference (`--plaintext`).
    Run(RunArgs),
    /// Print a secure run's exact communication without running it: rounds, bytes each party
    /// sends and the dealer's bytes, in total and per source line, and the time they take on a
    /// given network (docs/cost.md).
    ///
    /// A static model: no shares, no messages, no dealer. Public values are computed for real;
    /// private inputs are known by their shapes, read from the data files' headers.
    Cost(CostArgs),
    /// Write a program's example data deterministically.
    ///
    /// Recipes: `svm` and `basics` (programs/*.mpc), `svm-scenarios` and `breast-cancer`
    /// (programs/svm/), `mnist` (BOB's test images and ALICE's committed model),
    /// `mnist-model` (retrain ALICE's MLP on the real MNIST training set), `lenet-model` (retrain
    /// her LeNet-5 for programs/mnist/lenet_inference.mpc) and `mnist-split` (images split by rows).
    GenData {
        /// The recipe name.
        recipe: String,
        /// The folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// `mnist`: how many test images BOB gets (default: all 10 000).
        #[arg(long)]
        images: Option<usize>,
    },
    /// Translate an ONNX model (opset 11+, e.g. from `torch.onnx.export`) into a runnable
    /// program: DIR/model.mpc (`fn forward`), DIR/main.mpc (USER's input.npy through OWNER's
    /// model, the output to USER alone) and DIR/<owner>/model.npz (the weights, BatchNormalization
    /// folded). Run it with `mpcc run DIR/main.mpc --parties 2 --data OWNER=DIR/<owner> --data
    /// USER=<folder with input.npy>`.
    Import {
        /// The .onnx file.
        model: PathBuf,
        /// The folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// The party that holds the weights.
        #[arg(long, default_value = "ALICE")]
        owner: String,
        /// The party that holds the input and learns the output.
        #[arg(long, default_value = "BOB")]
        user: String,
    },
    /// Print the accuracy table of the private nonlinear functions (docs/accuracy.md).
    ///
    /// Runs each function (exp, log, sqrt, inv_sqrt, reciprocal, sigmoid, tanh, softmax,
    /// log_softmax) on secret-shared inputs over a dense grid of its domain, by mpcc's method and
    /// by CrypTen 0.4.1's default, against f64: max absolute and relative error, rounds and bytes
    /// per element as the simulated engine counted them.
    Accuracy {
        /// Parties to simulate.
        #[arg(long, default_value_t = 2)]
        parties: usize,
        /// Grid points per domain.
        #[arg(long, default_value_t = 10001)]
        points: usize,
    },
    /// Explain an error code, e.g. `mpcc explain E0301`.
    Explain { code: String },
    /// Create a party's (or the dealer's) TLS key and self-signed certificate for networked runs.
    ///
    /// Writes DIR/NAME.key (secret) and DIR/NAME.crt; give the certificate to the other parties,
    /// who put it in the folder they pass as `--certs`.
    Keygen {
        /// The party's name as the program declares it (or DEALER).
        #[arg(long)]
        name: String,
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the trusted dealer of a networked run: it serves the parties' correlated randomness.
    Dealer {
        /// The address to listen on, HOST:PORT.
        #[arg(long)]
        listen: String,
        /// The folder holding the dealer's NAME.key and NAME.crt.
        #[arg(long)]
        keys: PathBuf,
        /// The dealer's certificate name.
        #[arg(long, default_value = "DEALER")]
        name: String,
        /// The folder of trusted certificates (every party's NAME.crt).
        #[arg(long)]
        certs: PathBuf,
        /// Seconds a party may take to send one message (and to connect) before giving up.
        #[arg(long, default_value_t = 30.0)]
        timeout: f64,
        /// Take the dealer seed each party derives from its `--seed` (reproducible, insecure runs;
        /// every party must run with `--insecure-seed` too). Tests and demonstrations only.
        #[arg(long)]
        insecure_seed: bool,
    },
    /// Start the language server on stdio (for editors).
    Lsp,
    /// Measure the secure engine against plaintext, in one run.
    ///
    /// Each operation runs on simulated parties (one thread each, the trusted dealer on its own
    /// thread) and as the same plaintext operation, each time the fastest of `--reps`:
    /// private×private mul of 10^6 elements, a 256×256×256 matmul, 10^5 comparisons and 10^5
    /// each of exp, reciprocal and sigmoid, then a whole program (`--program`, secure against
    /// `--plaintext`). Columns: plaintext time and its baseline (wrapping u64 ring ops, or f64
    /// for the approximations), secure wall time of the slowest party, CPU time of the busiest
    /// party thread (dealer excluded), both ratios, communication rounds, bytes sent per party
    /// and the dealer's explicit bytes. Use a release build; times depend on machine load.
    Bench {
        /// Number of simulated parties (at least 2).
        #[arg(long, default_value_t = 2)]
        parties: usize,
        /// Repetitions per measurement; the fastest is reported (the program row uses at most 3).
        #[arg(long, default_value_t = 5)]
        reps: usize,
        /// The whole-program row's program (its data is read from its folder).
        #[arg(long, default_value = "programs/svm.mpc")]
        program: PathBuf,
        /// Print a Markdown table instead of aligned text.
        #[arg(long)]
        markdown: bool,
        /// Measure only the rows whose name contains this text (e.g. `mul`, `compare`, `fss`,
        /// `MLP`, `svm`); for profiling one operation.
        #[arg(long, value_name = "TEXT")]
        only: Option<String>,
    },
}

#[derive(clap::Args, Clone, Debug)]
struct ParamArgs {
    /// Override a `param`: `--set epochs=10` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct CostArgs {
    file: PathBuf,
    /// Number of parties (at least 2; may exceed the named parties).
    #[arg(long, default_value_t = 2)]
    parties: usize,
    /// The data folder: `--data DIR` for every party, or `--data ALICE=dir` for one (repeatable;
    /// default: the program's folder). Only the headers of private inputs are read.
    #[arg(long = "data", value_name = "[PARTY=]DIR")]
    data: Vec<String>,
    /// The comparison protocol, as for `mpcc run` (default for 2 parties: the one `mpcc run`
    /// picks on `--rtt` and `--bandwidth`; tree otherwise).
    #[arg(long, value_enum)]
    compare: Option<Compare>,
    /// Round-trip time between parties, in milliseconds, for the time estimate.
    #[arg(long, value_name = "MS", default_value_t = 1.0)]
    rtt: f64,
    /// Each party's bandwidth in Mbit/s, for the time estimate.
    #[arg(long, value_name = "MBIT", default_value_t = 1000.0)]
    bandwidth: f64,
    /// Fixed-point fractional bits, as for `mpcc run`.
    #[arg(long, default_value_t = 16)]
    precision: u32,
    /// Print one JSON object (totals, estimate, per-line figures) instead of text.
    #[arg(long)]
    json: bool,
    /// Also print the schedule: every op that communicates in the order the run reaches it, with
    /// its rounds and source line, loop iterations folded into `K × { … }`.
    #[arg(long, conflicts_with = "json")]
    schedule: bool,
    /// Cost the run without merging the rounds of independent private ops (as `mpcc run
    /// --no-merge`).
    #[arg(long)]
    no_merge: bool,
    /// Cost the run with or without the folds that save rounds with dealer bytes (as `mpcc run
    /// --dealer-folds`).
    #[arg(long, value_enum, value_name = "on|off")]
    dealer_folds: Option<Toggle>,
    #[command(flatten)]
    params: ParamArgs,
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

#[derive(clap::Args, Clone, Debug)]
struct RunArgs {
    file: PathBuf,
    /// Number of parties to simulate (at least 2; may exceed the named parties).
    #[arg(long, default_value_t = 2)]
    parties: usize,
    /// Run on the plaintext f64 reference engine instead (no secret sharing).
    #[arg(long, conflicts_with_all = ["parties", "network", "party"])]
    plaintext: bool,
    /// Start every party and the dealer as local processes talking TCP+TLS on loopback.
    #[arg(long, conflicts_with = "party")]
    network: bool,
    /// Run only this party (its rank) of a networked run; see `--peers`, `--dealer`, `--keys`.
    #[arg(long, value_name = "RANK")]
    party: Option<usize>,
    /// Every party's address by rank, `h0:p0,h1:p1,…` (with `--party`; this party listens on its own).
    #[arg(long, value_name = "ADDRS", requires = "party")]
    peers: Option<String>,
    /// The dealer's address, HOST:PORT (with `--party` and `--preprocessing dealer`).
    #[arg(long, value_name = "ADDR", requires = "party")]
    dealer: Option<String>,
    /// Where correlated randomness comes from: `dealer` (a trusted third machine; the default) or
    /// `ot` (two parties only: generated between them by oblivious transfer, no dealer at all;
    /// its time and bytes are reported apart from the online phase's).
    #[arg(long, value_enum, default_value_t = PreprocessingArg::Dealer, conflicts_with = "plaintext")]
    preprocessing: PreprocessingArg,
    /// This party's key folder (NAME.key, NAME.crt from `mpcc keygen`; with `--party`).
    #[arg(long, value_name = "DIR", requires = "party")]
    keys: Option<PathBuf>,
    /// The folder of trusted certificates (default: the `--keys` folder; with `--party`).
    #[arg(long, value_name = "DIR", requires = "party")]
    certs: Option<PathBuf>,
    /// Networked runs: seconds a peer may take to send one message (and to connect) before every
    /// party gives up.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// A party's data folder: `--data ALICE=dir` (repeatable; default: the program's folder).
    #[arg(long = "data", value_name = "PARTY=DIR")]
    data: Vec<String>,
    #[command(flatten)]
    params: ParamArgs,
    /// Fixed-point fractional bits of private values, 8 to 20 (docs/numbers.md).
    #[arg(long, default_value_t = 16)]
    precision: u32,
    /// Fractional digits `print` and `output` show, 0 to 17 (NumPy's `precision`; fewer are shown
    /// when fewer are exact, and tiny or huge magnitudes switch to scientific notation).
    #[arg(long, value_name = "DIGITS", default_value_t = mpcc_runtime::format::DEFAULT_PRECISION as u8,
          value_parser = clap::value_parser!(u8).range(0..=mpcc_runtime::format::MAX_PRECISION as i64))]
    print_precision: u8,
    /// Seed the share generators (reproducible runs; default: OS entropy). Networked runs refuse
    /// it unless `--insecure-seed` is given too.
    #[arg(long)]
    seed: Option<u64>,
    /// Networked runs: allow `--seed`, from which every pairwise and dealer seed is derived, so
    /// that anyone who knows it can compute every party's masks. Tests and demonstrations only.
    #[arg(long, requires = "seed")]
    insecure_seed: bool,
    /// Plaintext: report per source line the largest private magnitude and the bits of headroom
    /// before the ring's limits at `--precision` (docs/numbers.md), on stderr.
    #[arg(long, requires = "plaintext")]
    ranges: bool,
    /// Plaintext: compute private values as the secure engine does (fixed point, wrapping mod
    /// 2^64, truncation after products), to see overflows on your own data.
    #[arg(long, requires = "plaintext")]
    fixed: bool,
    /// Plaintext: an input outside a function's domain (e.g. log of a negative) is an error.
    #[arg(long)]
    strict_domains: bool,
    /// The cost report after an MPC run on stderr: human, json, or none.
    #[arg(long, value_enum, default_value_t = Stats::Human)]
    stats: Stats,
    /// The comparison protocol: `fss` (1 round from dealer DCF keys, 2 parties only) or `tree`
    /// (the binary carry tree, any number of parties, few dealer bytes). Default: with 2 parties
    /// and the dealer, the one the cost model estimates faster on `--rtt` and `--bandwidth`
    /// (with `--party`, where the others' inputs are not at hand: fss); tree otherwise
    /// (docs/protocols.md).
    #[arg(long, value_enum)]
    compare: Option<Compare>,
    /// The round-trip time between parties, in milliseconds, that the choice of comparison
    /// protocol assumes (default: 0 in one process, 0.1 with `--network` on loopback).
    #[arg(long, value_name = "MS")]
    rtt: Option<f64>,
    /// The bandwidth per party, in Mbit/s, that the choice of comparison protocol assumes.
    #[arg(long, value_name = "MBIT", default_value_t = 10000.0)]
    bandwidth: f64,
    /// Run every private op in rounds of its own. By default independent private ops (the two
    /// products of `a*b + c*d`, the gradients of different weights) run side by side and send
    /// their messages of each round together (docs/performance.md); the values are the same.
    #[arg(long)]
    no_merge: bool,
    /// The folds that save rounds with dealer bytes: a comparison opened with the truncation
    /// before it or the product after it (with the DCF: a second DCF output word or key set), and
    /// a matrix product that opens its left factor's truncation (a correction the size of the
    /// other factor). Default: on with `--compare fss`, off with `--compare tree`; without
    /// `--compare` the cost model decides (docs/scheduling.md, "Folded comparisons").
    #[arg(long, value_enum, value_name = "on|off")]
    dealer_folds: Option<Toggle>,
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Compare {
    Fss,
    Tree,
}

impl Compare {
    fn to_runtime(self) -> mpcc_runtime::protocols::compare::CompareMode {
        match self {
            Compare::Fss => mpcc_runtime::protocols::compare::CompareMode::Fss,
            Compare::Tree => mpcc_runtime::protocols::compare::CompareMode::Tree,
        }
    }

    fn from_runtime(mode: mpcc_runtime::protocols::compare::CompareMode) -> Compare {
        match mode {
            mpcc_runtime::protocols::compare::CompareMode::Fss => Compare::Fss,
            mpcc_runtime::protocols::compare::CompareMode::Tree => Compare::Tree,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Toggle {
    On,
    Off,
}

impl Toggle {
    fn on(self) -> bool {
        self == Toggle::On
    }

    fn from_bool(on: bool) -> Toggle {
        if on {
            Toggle::On
        } else {
            Toggle::Off
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Emit {
    Ast,
    Ir,
    Schedule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PreprocessingArg {
    Dealer,
    Ot,
}

impl PreprocessingArg {
    fn mode(self) -> mpcc_runtime::preprocessing::Preprocessing {
        match self {
            PreprocessingArg::Dealer => mpcc_runtime::preprocessing::Preprocessing::Dealer,
            PreprocessingArg::Ot => mpcc_runtime::preprocessing::Preprocessing::Ot,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Stats {
    Human,
    Json,
    None,
}

fn main() -> ExitCode {
    keep_freed_pages();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check { file, params, message_format } => commands::check(&file, &params.set, message_format),
        Command::Compile { file, emit, spans, after, params, message_format } => {
            commands::compile(&file, emit, spans, after.as_deref(), &params.set, message_format)
        }
        Command::Run(args) => commands::run(&args),
        Command::Cost(args) => cost::cost(&args),
        Command::GenData { recipe, out, seed, images } => commands::gen_data(&recipe, &out, seed, images),
        Command::Import { model, out, owner, user } => import::import(&model, &out, &owner, &user),
        Command::Accuracy { parties, points } => commands::accuracy(parties, points),
        Command::Keygen { name, out } => network::keygen(&name, &out),
        Command::Dealer { listen, keys, name, certs, timeout, insecure_seed } => {
            network::dealer(&listen, &keys, &name, &certs, timeout, insecure_seed)
        }
        Command::Explain { code } => commands::explain(&code),
        Command::Lsp => lsp::run(),
        Command::Bench { parties, reps, program, markdown, only } => {
            bench::bench(parties, reps, &program, markdown, only.as_deref())
        }
    };
    ExitCode::from(code)
}
