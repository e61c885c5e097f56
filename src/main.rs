//! The `quickback-kv` binary; everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    quickback_kv::cli::main()
}
