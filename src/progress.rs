//! Progress for long runs: indicatif bars only when stderr is a terminal, one line per epoch always.

use indicatif::{ProgressBar, ProgressStyle};
use mpcc_datasets::TrainEvent;
use std::io::IsTerminal;

/// The MLP trainer's progress: one bar per epoch over its mini-batches.
pub struct Training {
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl Training {
    pub fn new() -> Training {
        Training { bar: None, enabled: std::io::stderr().is_terminal() }
    }

    pub fn event(&mut self, event: TrainEvent) {
        match event {
            TrainEvent::Batch { .. } if !self.enabled => {}
            TrainEvent::Batch { epoch, batch, batches } => {
                let bar = self.bar.get_or_insert_with(|| {
                    let bar = ProgressBar::new(batches as u64);
                    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} batches ({eta})") {
                        bar.set_style(style.progress_chars("=> "));
                    }
                    bar
                });
                bar.set_message(format!("epoch {epoch}"));
                bar.set_position(batch as u64);
            }
            TrainEvent::Epoch { epoch, epochs, loss } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                eprintln!("epoch {epoch}/{epochs}: mean training loss {loss:.4}");
            }
        }
    }
}

/// A bar over the program's outermost `for` loops (epochs, batches) when stderr is a terminal;
/// no callback otherwise, so redirected runs stay silent.
pub fn loops() -> mpcc_runtime::exec::Progress {
    if !std::io::stderr().is_terminal() {
        return mpcc_runtime::exec::Progress::default();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("loop [{bar:40}] {pos}/{len} iterations ({elapsed}, eta {eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    let tick = move |_span: mpcc_runtime::exec::Span, done: u64, total: u64| {
        if bar.length() != Some(total) {
            bar.reset();
            bar.set_length(total);
        }
        bar.set_position(done);
        if done == total {
            bar.finish_and_clear();
        }
    };
    mpcc_runtime::exec::Progress(Some(std::sync::Arc::new(tick)))
}
