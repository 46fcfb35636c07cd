//! Terminal progress bars (hidden when stderr is not a terminal or with `--quiet`).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sejahtera_app::Progress;

/// A progress bar on stderr.
pub struct Bar {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
    bytes: bool,
}

impl Bar {
    /// A bar that draws only on an interactive terminal and when not quiet.
    /// `bytes` makes the first phase count bytes.
    pub fn new(quiet: bool) -> Bar {
        Bar {
            enabled: !quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
            bytes: false,
        }
    }

    /// Counts the reading phase in bytes.
    pub fn with_bytes(mut self) -> Bar {
        self.bytes = true;
        self
    }
}

impl Progress for Bar {
    fn start(&self, phase: &str, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let bar = match total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let bytes = self.bytes && phase.starts_with("reading");
        let template = match (total, bytes) {
            (None, _) => "{spinner} {msg} {elapsed}",
            (Some(_), true) => {
                "{msg:30} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
            }
            (Some(_), false) => "{msg:30} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(phase.to_string());
        if total.is_none() {
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(b) = self.bar.lock()
            && let Some(bar) = b.as_ref()
        {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some(bar) = b.take()
        {
            bar.finish_and_clear();
        }
    }
}
