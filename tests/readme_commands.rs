//! Every `gpurad` command in the README runs as written, as a newcomer would run it: from a
//! folder that holds what the repository and the demo give them (the bundled cases under
//! `tests/fixtures/cases` and example images under `tests/fixtures/formats`, then `gpurad-demo/` from the README's first command), in README
//! order, each ending with exit code 0. The SLURM array script runs as two array tasks.
//! Commands that need PyRadiomics (`.venv-ref`) run only where it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shell commands of the README's `sh` blocks, continuation lines joined, comments and
/// `#SBATCH` lines dropped, in order.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut current = String::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = line.split(" # ").next().unwrap_or("").trim();
        if current.is_empty() && (code.is_empty() || code.starts_with('#')) {
            continue;
        }
        match code.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(code);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

/// The folder a newcomer works in: the repository's bundled cases and example images
/// (copied).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("tests/fixtures");
    for folder in ["cases", "formats"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(folder);
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            let to = fixtures.join(folder).join(entry.file_name());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
    dir
}

/// Runs one command line with `gpurad` on the PATH; panics with its output unless it succeeds.
fn run(dir: &Path, command: &str, env: &[(&str, &str)]) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_gpurad"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let t = std::time::Instant::now();
    let out = Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "README command failed ({}): {command}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{:6.1} s  {command}", t.elapsed().as_secs_f64());
}

#[test]
fn every_readme_command_runs_as_written() {
    let commands = readme_commands();
    let gpurad_commands: Vec<&String> = commands
        .iter()
        .filter(|c| c.starts_with("gpurad ") || c.starts_with("cargo run --release -- "))
        .collect();
    assert!(
        gpurad_commands.len() >= 15,
        "only {} commands found in the README",
        gpurad_commands.len()
    );
    let dir = workspace();
    let mut ran = 0;
    for command in gpurad_commands {
        // The README's first command builds and runs the demo; the binary is already built.
        let command = command.replacen("cargo run --release -- ", "gpurad ", 1);
        if command.contains(".venv-ref/bin/python") && !dir.path().join(".venv-ref").exists() {
            eprintln!("not run (needs PyRadiomics in .venv-ref): {command}");
            continue;
        }
        if command.contains("$SLURM_ARRAY_TASK_ID") {
            for task in ["1", "2"] {
                run(
                    dir.path(),
                    &command,
                    &[
                        ("SLURM_ARRAY_TASK_ID", task),
                        ("SLURM_ARRAY_TASK_COUNT", "2"),
                        ("SLURM_CPUS_PER_TASK", "1"),
                    ],
                );
            }
        } else {
            run(dir.path(), &command, &[]);
        }
        ran += 1;
    }
    eprintln!("{ran} README commands ran");
}

#[test]
fn the_parser_finds_continued_commands() {
    let commands = readme_commands();
    assert!(commands.iter().any(|c| c.starts_with(
        "gpurad study --manifest gpurad-demo/data/manifest.csv --outcome metastatic"
    ) && c.ends_with("-o study")));
    assert!(commands.iter().any(|c| c == "cargo test --release"));
}
