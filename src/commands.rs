//! One function per subcommand: read inputs, call the compiler or the runtime, print results,
//! and return the process exit code (0 ok, 1 program or data error, 2 usage error).

use crate::console::{out, outln};
use crate::console::{usage_error, Console, FAIL, OK};
use crate::diag_json;
use crate::source::{DiskFiles, Source};
use crate::{Emit, MessageFormat, RunArgs, Stats};
use mpcc_compiler::{compile as compile_source, CompileOptions, Compiled};
use mpcc_runtime::exec::RunConfig;
use mpcc_runtime::preprocessing::Preprocessing;
use std::io::Write;
use std::path::{Path, PathBuf};

fn params_of(set: &[String]) -> Result<Vec<(String, String)>, String> {
    set.iter()
        .map(|s| match s.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.trim().to_string())),
            _ => Err(format!("`--set {s}` must have the form NAME=VALUE, e.g. `--set epochs=10`")),
        })
        .collect()
}

/// Reads and compiles a file, printing its diagnostics. `Err` holds the exit code.
pub(crate) fn compile_file(path: &Path, set: &[String], format: MessageFormat) -> Result<(Source, Compiled), u8> {
    compile_file_until(path, set, format, None)
}

/// As [`compile_file`], running the compiler's passes only up to `after`.
fn compile_file_until(
    path: &Path,
    set: &[String],
    format: MessageFormat,
    after: Option<&str>,
) -> Result<(Source, Compiled), u8> {
    let params = params_of(set).map_err(|m| usage_error(&m))?;
    if let Some(name) = after {
        let names: Vec<&str> = mpcc_compiler::passes::PASSES.iter().map(|(n, _)| *n).collect();
        if !names.contains(&name) {
            return Err(usage_error(&format!(
                "`--after {name}`: no such pass (passes, in order: {})",
                names.join(", ")
            )));
        }
    }
    let mut source = Source::read(path).map_err(|m| {
        eprintln!("error: {m}");
        FAIL
    })?;
    let options = CompileOptions { params };
    let compiled = mpcc_compiler::compile_files(&source.name, &source.text, &DiskFiles, &options, after);
    source.set_files(&compiled.sources);
    print_diagnostics(&source, &compiled, format);
    if compiled.program.is_none() {
        return Err(FAIL);
    }
    Ok((source, compiled))
}

fn print_diagnostics(source: &Source, compiled: &Compiled, format: MessageFormat) {
    if compiled.diagnostics.is_empty() {
        return;
    }
    match format {
        MessageFormat::Human => {
            let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let text = mpcc_compiler::render_sources(&compiled.diagnostics, &compiled.sources, color);
            eprint!("{text}");
        }
        MessageFormat::Json => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for d in &compiled.diagnostics {
                let _ = writeln!(out, "{}", diag_json::to_json(source, d));
            }
        }
    }
}

pub fn check(path: &Path, set: &[String], format: MessageFormat) -> u8 {
    match compile_file(path, set, format) {
        Ok(_) => OK,
        Err(code) => code,
    }
}

pub fn compile(path: &Path, emit: Emit, spans: bool, after: Option<&str>, set: &[String], format: MessageFormat) -> u8 {
    if emit == Emit::Ast {
        let source = match Source::read(path) {
            Ok(s) => s,
            Err(m) => {
                eprintln!("error: {m}");
                return FAIL;
            }
        };
        let (ast, errors) = mpcc_grammar::parse(&source.text);
        outln!("{ast:#?}");
        if !errors.is_empty() {
            let params = params_of(set).unwrap_or_default();
            let compiled = compile_source(&source.text, &CompileOptions { params });
            print_diagnostics(&source, &compiled, format);
            return FAIL;
        }
        return OK;
    }
    match compile_file_until(path, set, format, after) {
        Ok((_, compiled)) => {
            if let Some(program) = &compiled.program {
                if emit == Emit::Schedule {
                    match Source::read(path) {
                        Ok(source) => out!("{}", crate::schedule::render_plan(program, &source)),
                        Err(m) => {
                            eprintln!("error: {m}");
                            return FAIL;
                        }
                    }
                } else {
                    out!("{}", mpcc_ir::print_program(program, spans));
                }
            }
            OK
        }
        Err(code) => code,
    }
}

/// `--data ALICE=dir` flags to one folder per party rank.
pub(crate) fn data_dirs(
    program: &mpcc_ir::Program,
    file: &Path,
    flags: &[String],
    n_parties: usize,
) -> Result<Vec<PathBuf>, String> {
    let default = file
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let mut dirs = vec![default; n_parties.max(program.parties.len())];
    for flag in flags {
        let (party, dir) = flag
            .split_once('=')
            .ok_or_else(|| format!("`--data {flag}` must have the form PARTY=DIR, e.g. `--data ALICE=alice/`"))?;
        let rank = program
            .parties
            .iter()
            .position(|p| p == party)
            .or_else(|| party.strip_prefix('P').and_then(|r| r.parse().ok()))
            .ok_or_else(|| {
                format!(
                    "`--data {flag}`: no party named `{party}` (the program declares {})",
                    program.parties.join(", ")
                )
            })?;
        let slot =
            dirs.get_mut(rank).ok_or_else(|| format!("`--data {flag}`: party rank {rank} is not in this run"))?;
        *slot = PathBuf::from(dir);
    }
    Ok(dirs)
}

pub fn run(args: &RunArgs) -> u8 {
    use mpcc_runtime::fixed::{MAX_FRAC_BITS, MIN_FRAC_BITS};
    if !(MIN_FRAC_BITS..=MAX_FRAC_BITS).contains(&args.precision) {
        return usage_error(&format!(
            "`--precision {}`: the fixed-point precision must be {MIN_FRAC_BITS} to {MAX_FRAC_BITS} fractional bits \
             (at f bits a product of two values must stay below 2^(62-2f); see docs/numbers.md)",
            args.precision
        ));
    }
    let (source, compiled) = match compile_file(&args.file, &args.params.set, args.message_format) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(program) = compiled.program.as_ref() else {
        return FAIL;
    };
    let n_parties = if args.plaintext {
        program.parties.len().max(1)
    } else if let (Some(_), Some(peers)) = (args.party, &args.peers) {
        peers.split(',').count()
    } else {
        args.parties
    };
    if !args.plaintext && n_parties < program.parties.len().max(2) {
        return usage_error(&format!(
            "`--parties {n_parties}`: the program names {} parties ({}); run at least {}",
            program.parties.len(),
            program.parties.join(", "),
            program.parties.len().max(2)
        ));
    }
    if !args.plaintext && args.compare == Some(crate::Compare::Fss) && n_parties != 2 {
        return usage_error(&format!(
            "`--compare fss` is a 2-party protocol (a DCF has two keys); this run has {n_parties} parties: use `--compare tree`"
        ));
    }
    if !args.plaintext && args.preprocessing.mode() == Preprocessing::Ot && n_parties != 2 {
        return usage_error(&format!(
            "`--preprocessing ot` runs between exactly 2 parties, not {n_parties}: use the dealer for more"
        ));
    }
    if !args.plaintext && args.preprocessing.mode() == Preprocessing::Ot && args.compare == Some(crate::Compare::Fss) {
        return usage_error(
            "`--compare fss` needs the dealer's DCF keys; with `--preprocessing ot` comparisons use `--compare tree`",
        );
    }
    if args.rtt.is_some_and(|r| !(r.is_finite() && r >= 0.0)) || !(args.bandwidth.is_finite() && args.bandwidth > 0.0) {
        return usage_error("`--rtt` must be a time in milliseconds ≥ 0 and `--bandwidth` a rate in Mbit/s > 0");
    }
    let chosen;
    let args = match auto_compare(program, n_parties, args) {
        Some(with_choice) => {
            chosen = with_choice;
            &chosen
        }
        None => args,
    };
    if !args.plaintext
        && args.party.is_none()
        && args.stats == Stats::Human
        && args.preprocessing.mode() == Preprocessing::Ot
    {
        predict_ot_needs(program, n_parties, args);
    }
    if args.network {
        return crate::network::run_local(program, n_parties, args);
    }
    let data_dirs = match data_dirs(program, &args.file, &args.data, n_parties) {
        Ok(d) => d,
        Err(m) => return usage_error(&m),
    };
    let cfg = RunConfig {
        data_dirs,
        precision: args.precision,
        seed: args.seed,
        strict_domains: args.strict_domains,
        progress: crate::progress::loops(),
        trace_loops: false,
        print: mpcc_runtime::format::PrintOptions { precision: usize::from(args.print_precision) },
        compare: args.compare.map(crate::Compare::to_runtime),
        preprocessing: args.preprocessing.mode(),
        merge_rounds: !args.no_merge,
        dealer_folds: args.dealer_folds.map(crate::Toggle::on),
    };
    let mut console = Console { source: &source };
    let result = if args.plaintext && (args.ranges || args.fixed) {
        let mut report = mpcc_runtime::exec::ranges::RangeReport::new(args.precision, args.fixed);
        let result = mpcc_runtime::exec::run_plain_observed(program, &cfg, &mut console, &mut report).map(|_| OK);
        if args.ranges {
            print_ranges(&report, &source);
        }
        result
    } else if args.plaintext {
        mpcc_runtime::exec::run_plain(program, &cfg, &mut console).map(|_| OK)
    } else if let Some(rank) = args.party {
        crate::network::run_party(program, rank, args, &cfg, &mut console)
    } else {
        run_mpc(program, n_parties, &cfg, args, &mut console).map(|()| OK)
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(span) = e.span {
                eprintln!("  --> {}", source.position(span.start as usize));
            }
            FAIL
        }
    }
}

/// `args` with the comparison protocol the cost model picks (`choose.rs`), for a secure run of
/// 2 parties with the dealer, in one process or `--network`, when `--compare` is not given;
/// `None` to keep `args` as they are. A model that cannot cost the program (it says why) leaves
/// the choice to the runtime's default.
fn auto_compare(program: &mpcc_ir::Program, n_parties: usize, args: &RunArgs) -> Option<RunArgs> {
    if args.plaintext
        || args.compare.is_some()
        || args.party.is_some()
        || n_parties != 2
        || args.preprocessing.mode() != Preprocessing::Dealer
    {
        return None;
    }
    let cfg = cost_config(program, n_parties, args)?;
    let link = mpcc_runtime::cost::Network {
        rtt_ms: args.rtt.unwrap_or(if args.network { 0.1 } else { 0.0 }),
        mbit_per_s: args.bandwidth,
    };
    match crate::choose::choose(program, &cfg, link) {
        Ok(choice) => {
            if args.stats == Stats::Human {
                eprintln!("{}", choice.describe(link));
            }
            Some(RunArgs {
                compare: Some(crate::Compare::from_runtime(choice.mode)),
                dealer_folds: Some(crate::Toggle::from_bool(choice.folds)),
                ..args.clone()
            })
        }
        Err(e) => {
            // A program the run itself will refuse (a missing or bad input, a shape error) gets
            // that error from the run alone; anything else is worth a note.
            use mpcc_runtime::error::ErrorKind;
            let the_runs_own = matches!(
                e.kind,
                ErrorKind::MissingFile | ErrorKind::MalformedFile | ErrorKind::ShapeMismatch | ErrorKind::Shape
            );
            if args.stats == Stats::Human && !the_runs_own {
                eprintln!("comparisons: the runtime's default (the cost model could not cost this program: {e})");
            }
            None
        }
    }
}

/// The configuration the cost model needs for this run (its data folders and precision); `None`
/// when the folders are wrong, which the run itself then reports.
fn cost_config(program: &mpcc_ir::Program, n_parties: usize, args: &RunArgs) -> Option<RunConfig> {
    let data_dirs = data_dirs(program, &args.file, &args.data, n_parties).ok()?;
    Some(RunConfig {
        data_dirs,
        precision: args.precision,
        merge_rounds: !args.no_merge,
        dealer_folds: args.dealer_folds.map(crate::Toggle::on),
        ..RunConfig::default()
    })
}

/// Says on stderr which correlations the OT preprocessing of this run will make, as the cost
/// model computes them from the program (the run's report then says what was used).
fn predict_ot_needs(program: &mpcc_ir::Program, n_parties: usize, args: &RunArgs) {
    let Some(mut cfg) = cost_config(program, n_parties, args) else {
        return;
    };
    // OT preprocessing consumes exactly what the dealer would deal to a run comparing with the
    // carry tree (the model costs the dealer's run).
    cfg.compare = Some(mpcc_runtime::protocols::compare::CompareMode::Tree);
    match mpcc_runtime::cost::estimate(program, n_parties, &cfg) {
        Ok(report) => eprintln!(
            "preprocessing: OT between the parties, alongside the online phase; the program needs {} (cost model)",
            report.needs
        ),
        Err(e) => eprintln!("preprocessing: OT between the parties (the cost model could not predict the needs: {e})"),
    }
}

/// Headroom below this many bits gets a warning in the `--ranges` report.
const HEADROOM_WARN_BITS: f64 = 4.0;

/// The `--ranges` report on stderr: one line per source line that computes a private value.
fn print_ranges(report: &mpcc_runtime::exec::ranges::RangeReport, source: &Source) {
    let f = report.frac_bits;
    eprintln!(
        "ranges at precision {f}: values need |x| < 2^{}, products |x*y| < 2^{} (docs/numbers.md)",
        62 - f,
        62 - 2 * f
    );
    // Per line: the entry with the least headroom.
    let mut lines: std::collections::BTreeMap<(usize, usize), &mpcc_runtime::exec::ranges::RangeEntry> =
        Default::default();
    for e in report.entries() {
        let offset = e.span.start as usize;
        let (line, _) = source.line_col(offset);
        // Files in the order of the compilation (the root first), lines in order within each.
        let file = source.file_index(offset);
        let slot = lines.entry((file, line)).or_insert(e);
        if e.headroom_bits < slot.headroom_bits {
            *slot = e;
        }
    }
    for ((_, line), e) in lines {
        let kind = if e.product { "product" } else { "value" };
        let headroom = if e.headroom_bits.is_finite() { format!("{:.1} bits", e.headroom_bits) } else { "-".into() };
        let offset = e.span.start as usize;
        let (text, name) = (source.line_text(offset).trim(), source.name_at(offset));
        eprintln!("  {name}:{line}: {kind:7} max |x| {:<10.4e} headroom {headroom:>9}  | {text}", e.max_abs);
        if e.headroom_bits < 0.0 {
            eprintln!("warning: {name}:{line}: this {kind} exceeds the ring's limit at precision {f}; a secure run gives a wrong result");
        } else if e.headroom_bits < HEADROOM_WARN_BITS {
            eprintln!("warning: {name}:{line}: only {headroom} of headroom at precision {f}");
        }
    }
}

fn run_mpc(
    program: &mpcc_ir::Program,
    n_parties: usize,
    cfg: &RunConfig,
    args: &RunArgs,
    console: &mut Console<'_>,
) -> Result<(), mpcc_runtime::error::RunError> {
    let report = mpcc_runtime::exec::mpc::run_mpc(program, n_parties, cfg, console)?;
    match args.stats {
        Stats::Human => eprint!("{}", report.render_with(&|span| { console.source.position(span.start as usize) })),
        Stats::Json => match serde_json::to_string(&report) {
            Ok(json) => eprintln!("{json}"),
            Err(e) => eprintln!("error: cannot encode the run report as JSON: {e}"),
        },
        Stats::None => {}
    }
    Ok(())
}

pub fn gen_data(recipe: &str, out: &Path, seed: u64, images: Option<usize>) -> u8 {
    use mpcc_datasets::{self as datasets, datagen};
    let result = if datagen::RECIPES.contains(&recipe) {
        datagen::generate(recipe, out, seed).map_err(|e| e.to_string())
    } else if datasets::RECIPES.contains(&recipe) {
        let mut options = datasets::RecipeOptions::default();
        if let Some(n) = images {
            options.mnist_images = n;
        }
        let mut progress = crate::progress::Training::new();
        datasets::write_recipe(recipe, out, seed, &options, &mut |event| progress.event(event))
            .map_err(|e| e.to_string())
    } else {
        let known: Vec<&str> = datagen::RECIPES.iter().chain(datasets::RECIPES.iter()).copied().collect();
        return usage_error(&format!("unknown data recipe `{recipe}` (known: {})", known.join(", ")));
    };
    match result {
        Ok(files) => {
            for f in files {
                outln!("wrote {}", f.display());
            }
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            FAIL
        }
    }
}

pub fn explain(code: &str) -> u8 {
    match mpcc_compiler::explain(&code.to_ascii_uppercase()) {
        Some(text) => {
            outln!("{text}");
            OK
        }
        None => usage_error(&format!("`{code}` is not an mpcc error code (codes look like E0301)")),
    }
}

pub fn accuracy(n_parties: usize, points: usize) -> u8 {
    if n_parties < 2 || points < 2 {
        return usage_error("`mpcc accuracy` needs at least 2 parties and 2 points per domain");
    }
    match mpcc_runtime::protocols::approx::accuracy::report(n_parties, points) {
        Ok(table) => {
            out!("{table}");
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            FAIL
        }
    }
}
