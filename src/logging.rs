//! `log` records to PHP's error log (`error_log` ini, or the SAPI's stderr),
//! filtered by `redis_persona.log_level` (off, error, warning, info, debug;
//! `0` = warning).
//!
//! The engine may only be called from the thread running PHP. Records made on
//! any other thread (a library's helper thread, say) are queued and written by
//! the PHP thread at its next log call or at request shutdown, never directly.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, CString};
use std::sync::OnceLock;
use std::thread::ThreadId;

use log::{Level, LevelFilter, Log, Metadata, Record};
use parking_lot::Mutex;

use crate::ini;

extern "C" {
    fn php_log_err_with_severity(message: *const c_char, syslog_type: c_int);
}

const QUEUE_LIMIT: usize = 256;

struct PhpLogger {
    php_thread: OnceLock<ThreadId>,
    queued: Mutex<VecDeque<(Level, String)>>,
}

static LOGGER: PhpLogger = PhpLogger {
    php_thread: OnceLock::new(),
    queued: Mutex::new(VecDeque::new()),
};

/// Installs the logger; called from module startup on the PHP thread.
pub fn install() {
    let _ = LOGGER.php_thread.set(std::thread::current().id());
    let _ = log::set_logger(&LOGGER);
    refresh_level();
}

/// Re-reads `redis_persona.log_level` (it may be changed with `ini_set`).
pub fn refresh_level() {
    log::set_max_level(parse_level(&ini::string(ini::LOG_LEVEL)));
}

/// `0` (the registered default) means warning. PHP's ini parser turns a bare
/// `off`/`none`/`no` into an empty string, so empty means off.
pub fn parse_level(text: &str) -> LevelFilter {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "off" | "none" | "-1" => LevelFilter::Off,
        "error" | "1" => LevelFilter::Error,
        "info" | "3" => LevelFilter::Info,
        "debug" | "4" => LevelFilter::Debug,
        "trace" | "5" => LevelFilter::Trace,
        _ => LevelFilter::Warn,
    }
}

/// Writes queued records; called at request shutdown on the PHP thread.
pub fn drain() {
    if !LOGGER.on_php_thread() {
        return;
    }
    let queued: Vec<(Level, String)> = LOGGER.queued.lock().drain(..).collect();
    for (level, message) in queued {
        write(level, &message);
    }
}

impl PhpLogger {
    fn on_php_thread(&self) -> bool {
        self.php_thread.get() == Some(&std::thread::current().id())
    }
}

impl Log for PhpLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        if self.on_php_thread() {
            drain();
            write(record.level(), &message);
        } else {
            let mut queue = self.queued.lock();
            if queue.len() < QUEUE_LIMIT {
                queue.push_back((record.level(), message));
            }
        }
    }

    fn flush(&self) {}
}

fn write(level: Level, message: &str) {
    let severity = match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    };
    let text = if message.starts_with("redis-persona") {
        message.to_owned()
    } else {
        format!("redis-persona: {message}")
    };
    let Ok(text) = CString::new(text.replace('\0', "\\0")) else {
        return;
    };
    // SAFETY: called on the PHP thread with a NUL-terminated string.
    unsafe { php_log_err_with_severity(text.as_ptr(), severity) };
}
