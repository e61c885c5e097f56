//! Growth of the work that must stay linear (issue 17): rendering every
//! diagnostic of a wrangler file with thousands of environments, in each output
//! format, and one `didChange` with 10,000 edits. Each is timed at two sizes and
//! the ratio printed: about 2 for twice the size is linear, about 4 quadratic.
//! The edits are also applied the previous way (re-indexing the text per edit).
//! Run with `cargo bench --bench linear` (ratios, not times, are the result).

use std::time::Instant;

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};
use quickback_kv::compile::{Compilation, Contents, FileInput, Inputs, Options, compile};
use quickback_kv::diagnostics::{human, json};
use quickback_kv::lsp::documents;
use quickback_kv::span::LineIndex;

fn main() {
    let (small, large) = (2_000, 4_000);
    let render = |n| {
        let c = compilation(n);
        assert_eq!(c.diagnostics.len(), n, "one warning per environment");
        let human = time(|| {
            let options = human::HumanOptions {
                color: false,
                width: 100,
            };
            let mut renderer = human::Renderer::new(&c.files, options);
            c.diagnostics.iter().map(|d| renderer.render(d).len()).sum()
        });
        let github = time(|| {
            c.diagnostics
                .iter()
                .map(|d| json::render_github(d, &c.files).len())
                .sum()
        });
        let short = time(|| {
            c.diagnostics
                .iter()
                .map(|d| human::render_short(d, &c.files).len())
                .sum()
        });
        (
            c.files.text(c.diagnostics[0].primary().span.file).len(),
            [human, github, short],
        )
    };
    let (small_bytes, small_times) = render(small);
    let (large_bytes, large_times) = render(large);
    println!(
        "| rendering every diagnostic | {small} environments ({small_bytes} B) | {large} environments ({large_bytes} B) | ratio |"
    );
    println!("|---|---|---|---|");
    for (i, format) in ["human", "github", "short"].iter().enumerate() {
        println!(
            "| {format} | {:.1} ms | {:.1} ms | {:.2} |",
            small_times[i],
            large_times[i],
            large_times[i] / small_times[i]
        );
    }

    let edits = |bytes: usize| {
        let line = "const value = \"é😀 padding padding padding padding\";\r\n";
        let text = line.repeat(bytes / line.len());
        let lines = (text.len() / line.len()) as u32;
        let changes: Vec<_> = (0..10_000u32)
            .map(|i| {
                let at = (i * 7919) % lines;
                TextDocumentContentChangeEvent {
                    range: Some(Range::new(Position::new(at, 6), Position::new(at, 11))),
                    range_length: None,
                    text: "x".into(),
                }
            })
            .collect();
        let ms = time(|| {
            let mut text = text.clone();
            documents::apply(&mut text, changes.clone());
            text.len()
        });
        // The previous way, for comparison: the whole text re-indexed for every edit.
        let reindexing = time(|| {
            let mut text = text.clone();
            for change in &changes {
                let range = change.range.expect("ranged");
                let index = LineIndex::new(&text);
                let start = index.offset(&text, range.start.line, range.start.character);
                let end = index.offset(&text, range.end.line, range.end.character);
                text.replace_range(start as usize..end as usize, &change.text);
            }
            text.len()
        });
        (text.len(), ms, reindexing)
    };
    let (small_len, small_ms, small_old) = edits(400_000);
    let (large_len, large_ms, large_old) = edits(800_000);
    println!();
    println!("| one didChange, 10,000 edits | {small_len} B | {large_len} B | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| one pass (rope) | {small_ms:.1} ms | {large_ms:.1} ms | {:.2} |",
        large_ms / small_ms
    );
    println!(
        "| re-indexing per edit (before) | {small_old:.1} ms | {large_old:.1} ms | {:.2} |",
        large_old / small_old
    );
}

/// The example's config with a wrangler.toml of `n` environments, each one
/// `kv::environment-shares-namespace` warning.
fn compilation(n: usize) -> Compilation {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/example");
    let read = |path: &str| std::fs::read(format!("{root}/{path}")).expect("example file");
    let mut wrangler = String::from_utf8(read("wrangler.toml")).expect("UTF-8");
    for i in 0..n {
        wrangler.push_str(&format!(
            "\n[env.e{i}]\nname = \"acme-api-e{i}\"\nvars = {{ ENVIRONMENT = \"e{i}\", NOTE = \"padding padding padding padding\" }}\n"
        ));
    }
    let inputs = Inputs {
        config: FileInput {
            path: "quickback/quickback.config.ts".into(),
            contents: Contents::Bytes(read("quickback/quickback.config.ts")),
        },
        wrangler: vec![FileInput {
            path: "wrangler.toml".into(),
            contents: Contents::Bytes(wrangler.into_bytes()),
        }],
        existing_outputs: Vec::new(),
        auth_module: FileInput {
            path: "src/lib/auth.ts".into(),
            contents: Contents::Missing,
        },
        env: Default::default(),
        packages: Vec::new(),
        clock: None,
    };
    let options = Options {
        env_types_path: "src/env.d.ts".into(),
        session_adapter_path: "src/lib/kv-session-storage.ts".into(),
        cache_module_path: "src/lib/kv-cache.ts".into(),
        memory_kv_path: "src/lib/kv-memory.ts".into(),
        auth_module_path: "src/lib/auth.ts".into(),
        command: "quickback-kv build".into(),
    };
    compile(&inputs, &options)
}

/// The median of five runs, in milliseconds.
fn time(mut run: impl FnMut() -> usize) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(run());
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}
