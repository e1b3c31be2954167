//! Runs one of the seed workloads' data recipes without the `mpcc` binary (which wires the same
//! recipes into `mpcc gen-data`); mainly to train ALICE's MNIST models in release mode:
//!
//! ```sh
//! cargo run --release -p mpcc-datasets --example gen_data -- mnist-model --out programs/mnist/alice --seed 2024
//! cargo run --release -p mpcc-datasets --example gen_data -- lenet-model --out programs/mnist/lenet --seed 2024
//! ```
//!
//! Arguments: `RECIPE --out DIR [--seed S] [--images N] [--epochs E]`. Progress goes to stderr, one
//! line per epoch. It does not parse or run programs.

use mpcc_datasets::{write_lenet_model, write_mnist_model, write_recipe, RecipeOptions, TrainEvent};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(recipe) = args.first().cloned() else {
        eprintln!("usage: gen_data RECIPE --out DIR [--seed S] [--images N] [--epochs E]");
        return ExitCode::from(2);
    };
    let mut out = None;
    let mut seed = 2024u64;
    let mut options = RecipeOptions::default();
    let mut rest = args.iter().skip(1);
    while let Some(flag) = rest.next() {
        let value = rest.next().cloned().unwrap_or_default();
        let parsed = match flag.as_str() {
            "--out" => {
                out = Some(PathBuf::from(&value));
                Ok(())
            }
            "--seed" => value.parse().map(|v| seed = v),
            "--images" => value.parse().map(|v| options.mnist_images = v),
            "--epochs" => value.parse().map(|v| {
                options.mlp.epochs = v;
                options.lenet.epochs = v;
            }),
            _ => {
                eprintln!("unknown flag `{flag}`");
                return ExitCode::from(2);
            }
        };
        if parsed.is_err() {
            eprintln!("`{flag}` needs a number, not `{value}`");
            return ExitCode::from(2);
        }
    }
    let Some(out) = out else {
        eprintln!("missing --out DIR");
        return ExitCode::from(2);
    };
    let mut on_event = |event: TrainEvent| {
        if let TrainEvent::Epoch { epoch, epochs, loss } = event {
            eprintln!("epoch {epoch}/{epochs}: mean training loss {loss:.4}");
        }
    };
    let trained = match recipe.as_str() {
        "mnist-model" => Some(write_mnist_model(&out, seed, &options.data_dir, &options.mlp, &mut on_event)),
        "lenet-model" => Some(write_lenet_model(&out, seed, &options.data_dir, &options.lenet, &mut on_event)),
        _ => None,
    };
    let result = if let Some(trained) = trained {
        trained.map(|(files, report)| {
            eprintln!(
                "trained in {:.1} s: test accuracy {:.2}%, train accuracy {:.2}%",
                report.seconds,
                100.0 * report.test_accuracy,
                100.0 * report.train_accuracy
            );
            files
        })
    } else {
        write_recipe(&recipe, &out, seed, &options, &mut on_event)
    };
    match result {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
