//! Standard output that its reader may leave early (`lookout plan | head`).
//! A broken pipe ends the writing quietly, as in cargo and ripgrep, and
//! the command still finishes and exits with its own code (3 for a plan
//! with changes). Another write error is reported once, on stderr.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout can take no more: nothing more is written to it.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout unless it is closed; see the module doc.
pub(crate) fn write(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(err) = io::stdout().lock().write_fmt(args) {
        closed(err);
    }
}

fn closed(err: io::Error) {
    if !CLOSED.swap(true, Ordering::Relaxed) && err.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("error: cannot write to standard output: {err}");
    }
}

/// `println!` on [`write`].
macro_rules! outln {
    () => { $crate::cli::output::write(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Stdout as an [`io::Write`] for writers that take one (completions): it
/// accepts everything, and stops writing once stdout is closed.
pub(crate) struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !CLOSED.load(Ordering::Relaxed) {
            if let Err(err) = io::stdout().lock().write_all(buf) {
                closed(err);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !CLOSED.load(Ordering::Relaxed) {
            if let Err(err) = io::stdout().lock().flush() {
                closed(err);
            }
        }
        Ok(())
    }
}
