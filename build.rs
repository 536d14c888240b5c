//! Tells the tests which external programs this machine has, so that a test needing a missing
//! one shows as *ignored* in the test summary — with the reason — instead of passing unseen.
//!
//! Under CI (`CI` set) nothing is ever ignored: `.ci/run` installs the programs, and a test that
//! cannot find one fails.

use std::path::Path;

/// `(cfg set when missing, the program's names)`.
const PROGRAMS: [(&str, &[&str]); 3] = [
    ("no_chromium", &["chromium", "chromium-browser"]),
    ("no_haproxy", &["haproxy"]),
    ("no_redis", &["redis-server"]),
];

/// Where Debian puts them, whether or not they are on the `PATH` (`/usr/sbin` often is not).
const SYSTEM_DIRS: [&str; 2] = ["/usr/bin", "/usr/sbin"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CI");
    for dir in SYSTEM_DIRS.iter().filter(|d| Path::new(d).is_dir()) {
        // Installing a package changes the directory: look again.
        println!("cargo::rerun-if-changed={dir}");
    }
    let ci = std::env::var_os("CI").is_some();
    for (cfg, names) in PROGRAMS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if !ci && !names.iter().any(|name| installed(name)) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}

fn installed(name: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SYSTEM_DIRS.iter().map(Into::into))
        .any(|dir| dir.join(name).is_file())
}
