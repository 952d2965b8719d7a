//! Progress of a push: one indicatif bar per target on a terminal, plain
//! lines otherwise (CI logs, pipes). Goes to stderr; the plan or summary
//! goes to stdout.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    multi: Option<MultiProgress>,
    quiet: bool,
}

impl Progress {
    /// Bars when `terminal`, lines otherwise; nothing at all when `quiet`
    /// (e.g. `--format json`).
    pub fn new(terminal: bool, quiet: bool) -> Self {
        Progress {
            multi: (terminal && !quiet)
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            quiet,
        }
    }

    pub fn target(&self, name: &'static str) -> TargetProgress {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{prefix:>13} {bar:30} {pos}/{len} {wide_msg}")
                    .expect("a valid template"),
            );
            bar.set_prefix(name);
            bar
        });
        TargetProgress {
            name,
            bar,
            quiet: self.quiet,
        }
    }
}

pub struct TargetProgress {
    name: &'static str,
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl TargetProgress {
    pub fn message(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(message.to_string()),
            None if !self.quiet => eprintln!("{}: {message}", self.name),
            None => {}
        }
    }

    pub fn start(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(0);
        }
    }

    pub fn step(&self, what: &str, error: Option<&String>) {
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                if let Some(error) = error {
                    bar.println(format!("{}: {what}: failed: {error}", self.name));
                }
                bar.set_message(what.to_string());
            }
            None if !self.quiet => match error {
                Some(error) => eprintln!("{}: {what}: failed: {error}", self.name),
                None => eprintln!("{}: {what}", self.name),
            },
            None => {}
        }
    }

    pub fn finish(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(message.to_string()),
            None if !self.quiet => eprintln!("{}: {message}", self.name),
            None => {}
        }
    }
}
