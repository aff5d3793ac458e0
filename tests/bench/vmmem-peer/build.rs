// SPDX-License-Identifier: MIT
//! Records what the peer was built with (rustc, vm-memory, profile) for
//! the first line it prints: `PEER_BUILD_INFO`.
use std::env;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The version of the rustc cargo runs ("1.63.0").
fn rustc_version() -> String {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The version of `name` that Cargo.lock resolved.
fn locked_version(dir: &Path, name: &str) -> String {
    let lock = fs::read_to_string(dir.join("Cargo.lock")).unwrap_or_default();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{}\"", name) {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return v.trim_matches('"').to_string();
            }
        }
    }
    "unknown".to_string()
}

/// The value of `key` in Cargo.toml's [profile.release] table, for a
/// release build; "default" otherwise.
fn release_setting(dir: &Path, key: &str) -> String {
    if env::var("PROFILE").as_deref() != Ok("release") {
        return "default".to_string();
    }
    let toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let mut in_release = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_release = line == "[profile.release]";
        } else if in_release {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return v.trim().trim_matches('"').to_string();
                }
            }
        }
    }
    "default".to_string()
}

fn main() {
    let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&dir);
    let info = format!(
        "rustc={} vm_memory={} profile={} opt_level={} lto={} codegen_units={}",
        rustc_version(),
        locked_version(dir, "vm-memory"),
        env::var("PROFILE").unwrap_or_default(),
        env::var("OPT_LEVEL").unwrap_or_default(),
        release_setting(dir, "lto"),
        release_setting(dir, "codegen-units"),
    );
    println!("cargo:rustc-env=PEER_BUILD_INFO={}", info);
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");
}
