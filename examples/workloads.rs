//! Reproduces the seed workloads' results (programs/svm/README.md, programs/mnist/README.md):
//! generates each data set with the `mpcc gen-data` recipes into `target/workloads/`, runs the
//! programs, and prints one Markdown table row per run.
//!
//! ```sh
//! cargo run --release --example workloads -- svm                 # 4 scenarios × 2 data sets
//! cargo run --release --example workloads -- mnist --images 10000 --batch 100
//! cargo run --release --example workloads -- lenet --images 10000 --batch 100 --engine mpc
//! ```
//!
//! Flags: `--engine plaintext|mpc` (default: plaintext), `--epochs E` (SVM), `--images N` and
//! `--batch B` (MNIST; the images are run `B` at a time, each batch a separate program run).
//! `mnist` runs `mnist_inference.mpc` (ALICE's MLP), `lenet` runs `lenet_inference.mpc` (her LeNet-5).
//! A progress bar over the MNIST batches is drawn when stderr is a terminal.
//! It holds no workload logic of its own: the programs and the recipes are the workloads.

use indicatif::{ProgressBar, ProgressDrawTarget};
use mpcc_compiler::{compile, CompileOptions};
use mpcc_datasets::folders::{read_array, write_array};
use mpcc_datasets::{self as datasets, Lenet, Mlp, RecipeOptions};
use mpcc_runtime::exec::{run_mpc, run_plain, Event, RunConfig, VecSink};
use ndarray::{s, Array1, Array2, Ix1, Ix2};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Engine {
    Plaintext,
    Mpc,
}

struct Args {
    workload: String,
    engine: Engine,
    epochs: String,
    images: usize,
    batch: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut argv = std::env::args().skip(1);
    let workload = argv.next().ok_or("usage: workloads svm|mnist|lenet [flags]")?;
    let mut args = Args { workload, engine: Engine::Plaintext, epochs: "50".into(), images: 10_000, batch: 100 };
    while let Some(flag) = argv.next() {
        let value = argv.next().ok_or(format!("`{flag}` needs a value"))?;
        let number = || value.parse::<usize>().map_err(|_| format!("`{flag}` needs a number"));
        match flag.as_str() {
            "--engine" if value == "plaintext" => args.engine = Engine::Plaintext,
            "--engine" if value == "mpc" => args.engine = Engine::Mpc,
            "--epochs" => args.epochs = number()?.to_string(),
            "--images" => args.images = number()?,
            "--batch" => args.batch = number()?.max(1),
            _ => return Err(format!("unknown flag `{flag} {value}`")),
        }
    }
    Ok(args)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn compile_program(rel: &str, params: &[(&str, &str)]) -> Result<mpcc_ir::Program, String> {
    let src = std::fs::read_to_string(root().join("programs").join(rel)).map_err(|e| e.to_string())?;
    let options = CompileOptions { params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let compiled = compile(&src, &options);
    compiled.program.ok_or_else(|| format!("{rel}: {:#?}", compiled.diagnostics))
}

/// What one run printed and cost.
struct Outcome {
    events: Vec<Event>,
    seconds: f64,
    /// Rounds, bytes sent by the parties (together), bytes sent by the dealer, when counted.
    traffic: Option<(u64, u64, u64)>,
}

fn run(engine: Engine, program: &mpcc_ir::Program, alice: &Path, bob: &Path) -> Result<Outcome, String> {
    let cfg =
        RunConfig { data_dirs: vec![alice.to_path_buf(), bob.to_path_buf()], seed: Some(1), ..RunConfig::default() };
    let mut sink = VecSink::default();
    let start = Instant::now();
    match engine {
        Engine::Plaintext => {
            run_plain(program, &cfg, &mut sink).map_err(|e| e.to_string())?;
            Ok(Outcome { events: sink.events, seconds: start.elapsed().as_secs_f64(), traffic: None })
        }
        Engine::Mpc => {
            let report = run_mpc(program, 2, &cfg, &mut sink).map_err(|e| e.to_string())?;
            let sent = report.parties.iter().map(|p| p.bytes_sent).sum::<u64>();
            Ok(Outcome {
                events: sink.events,
                seconds: start.elapsed().as_secs_f64(),
                traffic: Some((report.rounds, sent, report.dealer_bytes)),
            })
        }
    }
}

fn last_number(events: &[Event]) -> f64 {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Print { text } | Event::Output { text, .. } => text.split_whitespace().last()?.parse().ok(),
            Event::Warning { .. } | Event::Loop { .. } => None,
        })
        .unwrap_or(f64::NAN)
}

fn traffic_cells(traffic: Option<(u64, u64, u64)>) -> String {
    match traffic {
        Some((rounds, sent, dealer)) => {
            format!("{rounds} | {:.2} MB | {:.2} MB", sent as f64 / 1e6, dealer as f64 / 1e6)
        }
        None => "– | – | –".into(),
    }
}

fn svm(args: &Args) -> Result<(), String> {
    let work = root().join("target/workloads/svm");
    let err = |e: datasets::DatasetError| e.to_string();
    datasets::write_svm_scenarios(&work.join("synthetic"), 2024).map_err(err)?;
    datasets::write_breast_cancer(&work.join("breast_cancer"), 2024, &datasets::default_data_dir()).map_err(err)?;
    println!("| data | scenario | engine | test accuracy | seconds | rounds | parties sent | dealer sent |");
    println!("|---|---|---|---|---|---|---|---|");
    for data in ["synthetic", "breast_cancer"] {
        for scenario in datasets::Scenario::ALL {
            let name = scenario.name();
            let params: &[(&str, &str)] =
                if name == "model_hiding" { &[] } else { &[("epochs", args.epochs.as_str())] };
            let program = compile_program(&format!("svm/{name}.mpc"), params)?;
            let dir = work.join(data).join(name);
            let out = run(args.engine, &program, &dir.join("alice"), &dir.join("bob"))?;
            println!(
                "| {data} | {name} | {:?} | {:.4} | {:.3} | {} |",
                args.engine,
                last_number(&out.events),
                out.seconds,
                traffic_cells(out.traffic)
            );
        }
    }
    Ok(())
}

fn mnist(args: &Args, lenet: bool) -> Result<(), String> {
    let work = root().join("target/workloads/mnist");
    let options = RecipeOptions { mnist_images: args.images, ..RecipeOptions::default() };
    datasets::write_recipe("mnist", &work, 0, &options, &mut |_| {}).map_err(|e| e.to_string())?;
    let images: Array2<f64> = read_array::<Ix2>(&work.join("bob/images.npy")).map_err(|e| e.to_string())?;
    let labels: Array1<f64> = read_array::<Ix1>(&work.join("bob/labels.npy")).map_err(|e| e.to_string())?;
    let (alice, predicted, program) = if lenet {
        let alice = root().join("programs/mnist/lenet");
        let model = Lenet::load(&alice).map_err(|e| e.to_string())?;
        (alice, model.predict(images.view()).map_err(|e| e.to_string())?, "mnist/lenet_inference.mpc")
    } else {
        let alice = work.join("alice");
        let model = Mlp::load(&alice, 3).map_err(|e| e.to_string())?;
        (alice, model.predict(images.view()), "mnist/mnist_inference.mpc")
    };
    let reference: Vec<f64> = predicted.iter().map(|&p| p as f64).collect();
    let program = compile_program(program, &[])?;
    let (mut agree, mut agree_plain, mut correct, mut seconds, mut batches) = (0, 0, 0, 0.0, 0);
    let (mut rounds, mut sent, mut dealer) = (0, 0, 0);
    let mut counted = true;
    let bar = ProgressBar::new(args.images.div_ceil(args.batch) as u64);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    for start in (0..args.images).step_by(args.batch) {
        let end = (start + args.batch).min(args.images);
        let bob = work.join(format!("batch/{start}"));
        let err = |e: datasets::DatasetError| e.to_string();
        write_array(&bob, "images.npy", &images.slice(s![start..end, ..])).map_err(err)?;
        write_array(&bob, "labels.npy", &labels.slice(s![start..end])).map_err(err)?;
        let out = run(args.engine, &program, &alice, &bob)?;
        let pred: Array1<f64> = read_array::<Ix1>(&bob.join("predictions.npy")).map_err(|e| e.to_string())?;
        for (i, &p) in pred.iter().enumerate() {
            agree += usize::from(reference.get(start + i) == Some(&p));
            correct += usize::from(labels.get(start + i) == Some(&p));
        }
        if args.engine == Engine::Mpc {
            // The plaintext engine on the same batch (its time and traffic are not counted).
            run(Engine::Plaintext, &program, &alice, &bob)?;
            let plain: Array1<f64> = read_array::<Ix1>(&bob.join("predictions.npy")).map_err(|e| e.to_string())?;
            agree_plain += pred.iter().zip(plain.iter()).filter(|(a, b)| a == b).count();
        }
        seconds += out.seconds;
        batches += 1;
        match out.traffic {
            Some((r, s, d)) => {
                rounds += r;
                sent += s;
                dealer += d;
            }
            None => counted = false,
        }
        std::fs::remove_dir_all(&bob).map_err(|e| e.to_string())?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let n = args.images as f64;
    let per_batch = |total: u64| total / batches.max(1) as u64;
    let traffic = counted.then(|| (per_batch(rounds), per_batch(sent), per_batch(dealer)));
    println!("| engine | images | batch | accuracy | agreement with f64 reference | seconds per batch | rounds per batch | parties sent per batch | dealer sent per batch |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {:?} | {} | {} | {:.2}% | {:.2}% | {:.3} | {} |",
        args.engine,
        args.images,
        args.batch,
        100.0 * correct as f64 / n,
        100.0 * agree as f64 / n,
        seconds / batches.max(1) as f64,
        traffic_cells(traffic)
    );
    if args.engine == Engine::Mpc {
        println!("agreement with the plaintext engine: {:.2}%", 100.0 * agree_plain as f64 / n);
    }
    let reference_correct = reference.iter().zip(labels.iter()).filter(|(p, l)| p == l).count();
    println!("f64 reference accuracy: {:.2}%", 100.0 * reference_correct as f64 / n);
    Ok(())
}

fn main() -> std::process::ExitCode {
    let result = parse_args().and_then(|args| match args.workload.as_str() {
        "svm" => svm(&args),
        "mnist" => mnist(&args, false),
        "lenet" => mnist(&args, true),
        other => Err(format!("unknown workload `{other}` (svm, mnist, lenet)")),
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
