//! Times `programs/svm.mpc` (or another program given as the first argument, with data generated
//! by the recipe given as the second) on the plaintext engine and on the MPC engine with 2 and 3
//! simulated parties, and prints each run's output and the MPC report.
//!
//! `cargo run --release --example mpc_svm [program.mpc recipe [epochs]]`

use mpcc_compiler::{compile, CompileOptions};
use mpcc_runtime::exec::mpc::run_mpc;
use mpcc_runtime::exec::{run_plain, Event, RunConfig, VecSink};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let file = args.get(1).map(PathBuf::from).unwrap_or(root.join("programs/svm.mpc"));
    let recipe = args.get(2).map_or("svm", String::as_str);
    let mut params = Vec::new();
    if let Some(e) = args.get(3) {
        params.push(("epochs".to_string(), e.clone()));
    }
    let dir = std::env::temp_dir().join(format!("mpcc-example-{recipe}-{}", std::process::id()));
    if let Err(e) = mpcc_datasets::datagen::generate(recipe, &dir, 1) {
        eprintln!("datagen: {e}");
        return;
    }
    let src = match std::fs::read_to_string(&file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return;
        }
    };
    let compiled = compile(&src, &CompileOptions { params });
    let Some(program) = compiled.program else {
        eprintln!("does not compile: {:?}", compiled.diagnostics);
        return;
    };
    let show = |events: &[Event]| {
        for e in events {
            match e {
                Event::Print { text } => println!("  {text}"),
                Event::Output { party, text } => println!("  [{party}] {}", short(text)),
                Event::Warning { message, .. } => println!("  warning: {message}"),
                Event::Loop { .. } => {}
            }
        }
    };
    let t = Instant::now();
    let mut sink = VecSink::default();
    match run_plain(&program, &RunConfig::with_dir(&dir, 3), &mut sink) {
        Ok(_) => println!("plaintext: {:.3} s", t.elapsed().as_secs_f64()),
        Err(e) => println!("plaintext failed: {e}"),
    }
    show(&sink.events);
    for n in [2, 3] {
        let mut sink = VecSink::default();
        let cfg = RunConfig { seed: Some(1), ..RunConfig::with_dir(&dir, n) };
        let t = Instant::now();
        match run_mpc(&program, n, &cfg, &mut sink) {
            Ok(report) => {
                println!("{n} parties: {:.3} s", t.elapsed().as_secs_f64());
                show(&sink.events);
                print!("{}", report.render());
            }
            Err(e) => println!("{n} parties failed: {e}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn short(text: &str) -> String {
    if text.len() > 120 {
        format!("{}…", &text[..text.char_indices().nth(117).map_or(text.len(), |(i, _)| i)])
    } else {
        text.to_string()
    }
}
