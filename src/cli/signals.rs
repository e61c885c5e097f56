//! SIGINT, SIGTERM and SIGHUP during `build`, and SIGXFSZ everywhere.
//!
//! Until the writes begin nothing is on disk, so a signal ends the run at once
//! (the kernel drops the project lock). While `write::apply` stages and replaces
//! files, a signal is only recorded: `apply` notices it between steps, removes
//! its temporary files, undoes the replacements already done and returns; the
//! run then dies of the same signal, as the shell expects. SIGKILL cannot be
//! caught: the next build removes the debris under the lock (`debris.rs`).
//!
//! SIGXFSZ (a file size limit, `ulimit -f`) is ignored, so a write past the limit
//! fails with `EFBIG`, which `apply` undoes like any failed write (exit 2).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Set while `write::apply` runs: signals are deferred.
static WRITING: AtomicBool = AtomicBool::new(false);
/// The deferred signal, 0 when none.
static PENDING: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
const DEFERRED: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Ignores SIGXFSZ for the whole process.
#[cfg(unix)]
pub fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Installs the handler for `build` (not watch mode, whose Ctrl-C handling is its own).
#[cfg(unix)]
pub fn defer_during_writes() {
    let handler: extern "C" fn(libc::c_int) = on_signal;
    for signal in DEFERRED {
        // SAFETY: the handler only touches atomics and calls async-signal-safe
        // functions (`signal`, `raise`).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    if WRITING.load(Ordering::SeqCst) {
        PENDING.store(signal, Ordering::SeqCst);
    } else {
        die(signal);
    }
}

/// Dies of `signal` with its default action (raised again once the handler returns).
#[cfg(unix)]
fn die(signal: i32) {
    // SAFETY: both calls are async-signal-safe.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Marks the start (`true`) or end of the writes. At the end, a signal that came
/// during them ends the process now.
pub fn writing(active: bool) {
    WRITING.store(active, Ordering::SeqCst);
    if !active {
        let signal = PENDING.swap(0, Ordering::SeqCst);
        if signal != 0 {
            die(signal);
        }
    }
}

/// Whether a signal came during the writes (they stop and are undone).
pub fn interrupted() -> bool {
    PENDING.load(Ordering::SeqCst) != 0
}

#[cfg(not(unix))]
pub fn ignore_file_size_signal() {}

#[cfg(not(unix))]
pub fn defer_during_writes() {}

#[cfg(not(unix))]
fn die(_signal: i32) {}
