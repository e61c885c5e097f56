//! Watch mode ends when the process that started it does: `npm run` killed with
//! SIGTERM (not forwarded to its child), a closed terminal's shell, a dev server's
//! supervisor. Otherwise the watcher would be orphaned and keep building.
//!
//! On Linux the kernel sends SIGTERM when the parent exits (`PR_SET_PDEATHSIG`), which
//! reaches the same handler as Ctrl-C: nothing runs while idle. Other Unix systems have
//! no such signal, so a thread looks at the parent's id twice a second (no file is
//! read or hashed). Windows is not covered.

/// Calls `stop` once the parent process is gone.
#[cfg(target_os = "linux")]
pub fn stop_with_parent(stop: impl Fn() + Send + 'static) {
    let parent = std::os::unix::process::parent_id();
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and touches no memory.
    let set = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
    // The parent may have exited before the request was made (then it never fires).
    if set != 0 || std::os::unix::process::parent_id() != parent {
        poll(parent, stop);
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
pub fn stop_with_parent(stop: impl Fn() + Send + 'static) {
    poll(std::os::unix::process::parent_id(), stop);
}

#[cfg(not(unix))]
pub fn stop_with_parent(_stop: impl Fn() + Send + 'static) {}

#[cfg(unix)]
fn poll(parent: u32, stop: impl Fn() + Send + 'static) {
    std::thread::spawn(move || {
        while std::os::unix::process::parent_id() == parent {
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        stop();
    });
}
