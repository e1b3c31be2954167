//! What every subcommand shares with the terminal: the exit codes (0 ok, 1 program or data
//! error, 2 usage error), the usage-error line, and the [`Console`] that prints a run's events.
//! The commands and the networked runs both use it; neither depends on the other for it.

use crate::source::Source;

/// `println!` on stdout that does not panic when stdout is closed (`mpcc compile … | head`):
/// a write error (a broken pipe) is ignored, the command finishes and exits as usual.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` on stdout, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

use mpcc_runtime::exec::{Event, Sink};
pub(crate) use {out, outln};

pub const OK: u8 = 0;
pub const FAIL: u8 = 1;
const USAGE: u8 = 2;

/// Prints `error: message` on stderr and gives the usage-error exit code.
pub fn usage_error(message: &str) -> u8 {
    eprintln!("error: {message}");
    USAGE
}

/// Prints events as they come: `print` on stdout, `output` on stdout labelled with the party,
/// warnings on stderr with their source line.
pub struct Console<'a> {
    pub source: &'a Source,
}

impl Sink for Console<'_> {
    fn event(&mut self, event: Event) {
        match event {
            Event::Print { text } => outln!("{text}"),
            Event::Output { party, text } => outln!("[{party}] {text}"),
            Event::Warning { span, message } => {
                eprintln!("warning: {message}\n  --> {}", self.source.position(span.start as usize));
            }
            Event::Loop { .. } => {}
        }
    }
}
