//! Shell completions (`completions/`) and man pages (`man/`) are generated from the clap
//! definition and checked in; this test keeps them in step with `mqtk::cli::Cli::command()`.
//!
//! `MQTK_REGENERATE=1 cargo test --test generated` rewrites them.

use std::path::{Path, PathBuf};

use clap_complete::{Generator, Shell};

const REGENERATE: &str = "run MQTK_REGENERATE=1 cargo test --test generated";

/// Every generated file: its path relative to the crate root and its contents.
fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = completions();
    files.extend(man_pages());
    files
}

fn completions() -> Vec<(PathBuf, Vec<u8>)> {
    let shells = [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ];
    shells
        .into_iter()
        .map(|shell| {
            let mut cmd = mqtk::cli::Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "mqtk", &mut buf);
            (Path::new("completions").join(shell.file_name("mqtk")), buf)
        })
        .collect()
}

/// One page for `mqtk` and one per visible subcommand (`mqtk-pub.1`, ...), as
/// `clap_mangen::generate_to` would write them.
fn man_pages() -> Vec<(PathBuf, Vec<u8>)> {
    let mut cmd = mqtk::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect_pages(cmd, &mut pages);
    pages
}

fn collect_pages(cmd: clap::Command, pages: &mut Vec<(PathBuf, Vec<u8>)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
        collect_pages(sub, pages);
    }
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render(&mut buf)
        .expect("rendering to memory cannot fail");
    pages.push((Path::new("man").join(man.get_filename()), buf));
}

#[test]
fn generated_files_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("MQTK_REGENERATE").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (rel, contents) in generated() {
        let path = root.join(&rel);
        if regenerate {
            std::fs::create_dir_all(path.parent().expect("generated files live in a folder"))
                .expect("create output folder");
            std::fs::write(&path, &contents).expect("write generated file");
        } else if std::fs::read(&path).ok().as_deref() != Some(&contents[..]) {
            stale.push(rel.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are missing or out of date ({}): {REGENERATE}",
        stale.join(", ")
    );
}
