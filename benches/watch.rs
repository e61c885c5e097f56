//! Watch mode, save → outputs written: `cargo bench --bench watch` (or, with a binary
//! built elsewhere, `QK_BIN=path/to/quickback-kv cargo bench --bench watch`).
//!
//! `build --watch` runs on a copy of `example/`; each round saves the config with a new
//! namespace id (as editors do: a new file renamed over the old one, or truncated and
//! written in place, alternately) and times until the watcher prints the line it prints
//! after a build has written its outputs. The wrangler file is then checked to hold the
//! new id. Prints the median, the 90th percentile and the extremes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 60;
const CONFIG: &str = "quickback/quickback.config.ts";
const ID: &str = "0f2ac74b498b48028cb68387c421e279";
const WATCHING: &str = "watching for changes (Ctrl-C to stop)";

fn main() {
    let bin = std::env::var_os("QK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_quickback-kv")));
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("example"), root);
    let config = std::fs::read_to_string(root.join(CONFIG)).expect("config");

    let mut child = Command::new(&bin)
        .args(["build", "--watch", "--quiet", "--root"])
        .arg(root)
        .env_remove("KV_NAMESPACE_ID")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start build --watch");
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_built = || loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("no build within 60 s");
        if line == WATCHING {
            return;
        }
    };
    wait_built();

    let mut times = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let id = format!("{round:02x}{}", &ID[2..]);
        let text = config.replace(ID, &id);
        // Let the previous round's own events pass, so each save starts idle.
        std::thread::sleep(Duration::from_millis(50));
        let start = Instant::now();
        if round % 2 == 0 {
            let temp = root.join("quickback/.quickback.config.ts.tmp");
            std::fs::write(&temp, &text).expect("write");
            std::fs::rename(&temp, root.join(CONFIG)).expect("rename");
        } else {
            std::fs::write(root.join(CONFIG), &text).expect("write");
        }
        wait_built();
        times.push(start.elapsed());
        let wrangler = std::fs::read_to_string(root.join("wrangler.toml")).expect("wrangler.toml");
        assert!(wrangler.contains(&id), "round {round}: not written");
    }
    let _ = child.kill();
    let _ = child.wait();

    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "watch, save → outputs written ({ROUNDS} saves, {}): median {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms",
        bin.display(),
        ms(times[ROUNDS / 2]),
        ms(times[ROUNDS * 9 / 10]),
        ms(times[0]),
        ms(times[ROUNDS - 1]),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
