//! Start-up against the floor, for `benches/speed.rs`: a hello-world Rust process built
//! with the same profile (opt-level 3, fat LTO, one codegen unit, unwinding) and the same
//! linking as the measured binary, compiled here with `rustc`.
//!
//! The linking of a binary is read from its ELF header: no `PT_INTERP` program header
//! means statically linked; `ET_EXEC` means not position-independent. So the hello
//! world of a static non-PIE `quickback-kv` is static non-PIE too, and the ratio
//! `build ÷ hello` is what quickback-kv adds to the cheapest Rust process of its kind.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linking {
    Dynamic,
    DynamicNoPie,
    StaticPie,
    Static,
}

impl Linking {
    pub fn name(self) -> &'static str {
        match self {
            Linking::Dynamic => "dynamic (PIE, the default)",
            Linking::DynamicNoPie => "dynamic, non-PIE",
            Linking::StaticPie => "static-pie",
            Linking::Static => "static, non-PIE",
        }
    }

    /// The `rustc` flags that give this linking on x86_64-unknown-linux-gnu.
    fn flags(self) -> &'static [&'static str] {
        match self {
            Linking::Dynamic => &[],
            Linking::DynamicNoPie => &["-C", "relocation-model=static"],
            Linking::StaticPie => &["-C", "target-feature=+crt-static"],
            Linking::Static => &[
                "-C",
                "target-feature=+crt-static",
                "-C",
                "relocation-model=static",
            ],
        }
    }
}

/// How an ELF executable is linked; `None` when it is not a 64-bit little-endian ELF file.
pub fn linking(binary: &Path) -> Option<Linking> {
    let bytes = std::fs::read(binary).ok()?;
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    if bytes.get(0..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    const ET_EXEC: u16 = 2;
    const PT_INTERP: u32 = 3;
    let executable = u16_at(16)? == ET_EXEC;
    let (phoff, phentsize, phnum) = (
        usize::try_from(u64_at(32)?).ok()?,
        usize::from(u16_at(54)?),
        usize::from(u16_at(56)?),
    );
    let mut interp = false;
    for i in 0..phnum {
        interp |= u32_at(phoff + i * phentsize)? == PT_INTERP;
    }
    Some(match (interp, executable) {
        (true, false) => Linking::Dynamic,
        (true, true) => Linking::DynamicNoPie,
        (false, false) => Linking::StaticPie,
        (false, true) => Linking::Static,
    })
}

/// Compiles a hello world with the release profile of Cargo.toml and `linking`, into `dir`.
pub fn hello_world(dir: &Path, linking: Linking) -> PathBuf {
    let source = dir.join("hello.rs");
    std::fs::write(
        &source,
        "fn main() {\n    println!(\"Hello, world!\");\n}\n",
    )
    .expect("write hello.rs");
    let out = dir.join(format!("hello-{linking:?}").to_lowercase());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let status = Command::new(rustc)
        .args(["--edition", "2024", "--crate-type", "bin"])
        .args([
            "-C",
            "opt-level=3",
            "-C",
            "lto=fat",
            "-C",
            "codegen-units=1",
        ])
        .args(["-C", "panic=unwind", "-C", "debuginfo=line-tables-only"])
        .args(linking.flags())
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .expect("run rustc");
    assert!(status.success(), "rustc could not build the hello world");
    assert_eq!(
        self::linking(&out),
        Some(linking),
        "the hello world got other linking"
    );
    out
}
