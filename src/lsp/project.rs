//! Which projects the open documents belong to, and their compiler inputs:
//! the CLI's own file reading, with every open document's unsaved text laid over it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::documents::Documents;
use super::settings::Settings;
use crate::compile::{Contents, Inputs, Options, WRANGLER_FILES};
use crate::project::{self, ProjectPaths};

pub const CONFIG_FILE: &str = "quickback.config.ts";

/// The project root of a config: its directory, or that directory's parent when
/// it is called `quickback` (SPEC §1.1: `quickback/quickback.config.ts` under the root).
pub fn root_of_config(config: &Path) -> Option<PathBuf> {
    let dir = config.parent()?;
    match dir.file_name() {
        Some(name) if name == "quickback" => dir.parent().map(Path::to_path_buf),
        _ => Some(dir.to_path_buf()),
    }
}

pub fn is_config(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == CONFIG_FILE)
}

fn is_wrangler(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| WRANGLER_FILES.iter().any(|w| n == *w))
}

/// The configs to analyse, with their roots: every open config, and for an open
/// wrangler file whose project has no open config, the project's config on disk
/// (found as the CLI finds it), so the wrangler file's diagnostics show too.
pub fn live_configs(documents: &Documents) -> BTreeMap<PathBuf, PathBuf> {
    let mut configs = BTreeMap::new();
    let paths: Vec<&Path> = documents.iter().filter_map(|d| d.path.as_deref()).collect();
    for path in paths.iter().filter(|p| is_config(p)) {
        if let Some(root) = root_of_config(path) {
            configs.insert(path.to_path_buf(), root);
        }
    }
    let roots: BTreeSet<PathBuf> = configs.values().cloned().collect();
    for dir in paths
        .iter()
        .filter(|p| is_wrangler(p))
        .filter_map(|p| p.parent())
    {
        if roots.contains(dir) {
            continue;
        }
        if let Some(config) = project::CONFIG_CANDIDATES
            .iter()
            .map(|c| dir.join(c))
            .find(|c| c.is_file())
        {
            configs.insert(config, dir.to_path_buf());
        }
    }
    configs
}

/// Whether a change to the file at `path` can change the compile of `config`:
/// the config itself, a wrangler file, or an output (the compiler refuses to
/// overwrite outputs it did not generate). Edits elsewhere cost nothing.
pub fn affects(config: &Path, root: &Path, settings: &Settings, path: &Path) -> bool {
    path == config
        || WRANGLER_FILES
            .iter()
            .copied()
            .chain([
                settings.env_types.as_str(),
                settings.session_adapter.as_str(),
                project::DEFAULT_CACHE_MODULE,
                project::DEFAULT_MEMORY_KV,
                settings.auth_module.as_str(),
            ])
            .any(|f| root.join(f) == path)
}

fn paths<'a>(config: &'a Path, root: &'a Path, settings: &'a Settings) -> ProjectPaths<'a> {
    ProjectPaths {
        root,
        config: Some(config),
        env_types: &settings.env_types,
        session_adapter: &settings.session_adapter,
        cache_module: project::DEFAULT_CACHE_MODULE,
        memory_kv: project::DEFAULT_MEMORY_KV,
        auth_module: &settings.auth_module,
    }
}

/// What the CLI would read for this config, with open documents' text instead of the disk's.
pub fn inputs(
    config: &Path,
    root: &Path,
    settings: &Settings,
    documents: &Documents,
    env: &BTreeMap<String, String>,
) -> Inputs {
    let (mut inputs, _) = project::read_inputs(&paths(config, root, settings), env.clone());
    let files = std::iter::once(&mut inputs.config)
        .chain(&mut inputs.wrangler)
        .chain(&mut inputs.existing_outputs)
        .chain(std::iter::once(&mut inputs.auth_module));
    for file in files {
        if let Some(document) = documents.by_path(&root.join(&file.path)) {
            file.contents = Contents::Bytes(document.text.clone().into_bytes());
        }
    }
    inputs
}

/// The options `quickback-kv build` gets with the same paths as flags (the config is
/// the one the CLI finds under the root, so its header names no `--config`).
pub fn options(config: &Path, root: &Path, settings: &Settings) -> Options {
    Options {
        env_types_path: settings.env_types.clone(),
        session_adapter_path: settings.session_adapter.clone(),
        cache_module_path: project::DEFAULT_CACHE_MODULE.to_string(),
        memory_kv_path: project::DEFAULT_MEMORY_KV.to_string(),
        auth_module_path: settings.auth_module.clone(),
        command: project::regenerate_command(&paths(config, root, settings), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_skips_a_quickback_directory() {
        assert_eq!(
            root_of_config(Path::new("/p/quickback/quickback.config.ts")),
            Some(PathBuf::from("/p"))
        );
        assert_eq!(
            root_of_config(Path::new("/p/quickback.config.ts")),
            Some(PathBuf::from("/p"))
        );
        assert_eq!(
            root_of_config(Path::new("/p/app/quickback.config.ts")),
            Some(PathBuf::from("/p/app"))
        );
    }

    #[test]
    fn only_inputs_affect_a_compile() {
        let (config, root) = (
            Path::new("/p/quickback/quickback.config.ts"),
            Path::new("/p"),
        );
        for input in [
            "/p/quickback/quickback.config.ts",
            "/p/wrangler.toml",
            "/p/wrangler.jsonc",
            "/p/src/env.d.ts",
            "/p/src/lib/auth.ts",
        ] {
            assert!(
                affects(config, root, &Settings::default(), Path::new(input)),
                "{input}"
            );
        }
        for other in [
            "/p/src/index.ts",
            "/p/quickback.config.ts",
            "/q/wrangler.toml",
        ] {
            assert!(
                !affects(config, root, &Settings::default(), Path::new(other)),
                "{other}"
            );
        }
    }

    #[test]
    fn the_settings_paths_are_inputs() {
        let (config, root) = (
            Path::new("/p/quickback/quickback.config.ts"),
            Path::new("/p"),
        );
        let settings = Settings {
            env_types: "worker/env.d.ts".into(),
            session_adapter: "worker/kv.ts".into(),
            auth_module: "app/auth.ts".into(),
        };
        for input in ["/p/worker/env.d.ts", "/p/worker/kv.ts", "/p/app/auth.ts"] {
            assert!(
                affects(config, root, &settings, Path::new(input)),
                "{input}"
            );
        }
        assert!(!affects(
            config,
            root,
            &settings,
            Path::new("/p/src/lib/auth.ts")
        ));
        assert_eq!(
            options(config, root, &settings).command,
            "quickback-kv build --env-types worker/env.d.ts --session-adapter worker/kv.ts --auth-module app/auth.ts"
        );
    }
}
