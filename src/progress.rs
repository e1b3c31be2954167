//! Progress for long runs: indicatif bars only when stderr is a terminal, one line per epoch always.

use indicatif::{ProgressBar, ProgressStyle};
use mpcc_runtime::datasets::TrainEvent;
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
