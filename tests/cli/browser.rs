//! `report.html` as a reader sees it: opened by headless Chromium, it must load without a console
//! message and without fetching anything, show the summary, the dashboard and the scenario, and
//! paint the dashboard's lines in their palette colours.
//!
//! Chromium prints a page's console messages to stderr (`INFO:CONSOLE(…)`), but nothing about a
//! resource that failed to load, so loads are watched at their source: file loads in the verbose
//! log of Chromium's file loader, network loads in a net log. Every host name is made
//! unresolvable, so a page that tries the network fails here instead of reaching it. A
//! self-contained page loads itself and nothing else; `a_broken_page_is_caught` shows that the
//! checker sees each kind of problem.
//!
//! Without Chromium the tests show as ignored in the test summary, with the reason (build.rs
//! looks for it), except under CI (`CI` set), where `.ci/run` installs it and its absence is a
//! failure.

use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{Rgb, RgbImage};
use serde_json::Value;

use crate::support::fleetsim;

const WINDOW: (u32, u32) = (1400, 3000);

/// The Okabe–Ito blue and vermillion of the dashboard's lines (p50 and throughput; p99 and
/// failures).
const BLUE: Rgb<u8> = Rgb([0x00, 0x72, 0xB2]);
const VERMILLION: Rgb<u8> = Rgb([0xD5, 0x5E, 0x00]);

/// The browser, or `None` when it is missing and that is allowed (outside CI).
fn chromium() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    let found = Some(PathBuf::from("/usr/bin/chromium"))
        .filter(|p| p.is_file())
        .or(on_path);
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium not found, and CI is set: .ci/run must install it \
             (apt-get install chromium)"
        );
        eprintln!("skipping: chromium not found; apt-get install chromium");
    }
    found
}

/// What Chromium is asked to produce.
enum Output<'a> {
    Screenshot(&'a Path),
    Dom,
}

/// One Chromium run over a page.
struct Rendering {
    /// The page's `file://` URL.
    url: String,
    /// The serialised DOM, with [`Output::Dom`].
    stdout: String,
    stderr: String,
    /// The net log, as written.
    net_log: String,
}

fn file_url(path: &Path) -> String {
    let path = path.canonicalize().expect("the page exists");
    let mut url = "file://".to_owned();
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// Opens `page` in a fresh profile with logging on, and checks that Chromium succeeded.
fn render(browser: &Path, page: &Path, output: Output) -> Rendering {
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let net_log = scratch.path().join("net-log.json");
    let url = file_url(page);
    let mut cmd = assert_cmd::Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        // Logs every file the page loads, the page itself included.
        "--vmodule=file_url_loader_factory=1",
        // No host name resolves: nothing reaches the network.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ])
    .arg(format!(
        "--user-data-dir={}",
        scratch.path().join("profile").display()
    ))
    .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
    .arg(format!("--log-net-log={}", net_log.display()));
    match output {
        Output::Screenshot(png) => cmd.arg(format!("--screenshot={}", png.display())),
        Output::Dom => cmd.arg("--dump-dom"),
    };
    let result = cmd
        .arg(&url)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(
        result.status.success(),
        "chromium failed on {url} ({}):\n{stderr}",
        result.status
    );
    Rendering {
        url,
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr,
        net_log: std::fs::read_to_string(&net_log).unwrap_or_default(),
    }
}

/// Everything in `r` that says the page is not clean: console messages, failed loads, files or
/// network resources loaded besides the page itself; and a check that cannot see (no log of the
/// page's own load, no net log) counts as a problem too.
fn problems(r: &Rendering) -> Vec<String> {
    let mut found = Vec::new();
    let mut saw_the_page = false;
    for line in r.stderr.lines() {
        if line.contains(":CONSOLE") {
            found.push(format!("console message: {line}"));
        }
        if line.contains("net::ERR_") || line.contains("Failed to load") {
            found.push(format!("failed load: {line}"));
        }
        if let Some((_, url)) = line.split_once("FileURLLoader::Start: ") {
            if url.trim() == r.url {
                saw_the_page = true;
            } else {
                found.push(format!("loaded a file: {}", url.trim()));
            }
        }
    }
    if !saw_the_page {
        found.push(format!(
            "the file loader never logged {}: file loads cannot be checked",
            r.url
        ));
    }
    match serde_json::from_str::<Value>(&r.net_log) {
        Ok(log) => {
            let events = log["events"].as_array().cloned().unwrap_or_default();
            if events.is_empty() {
                found.push("the net log has no events: network loads cannot be checked".into());
            }
            // Requests on behalf of a file:// page carry a file:// isolation key; Chromium's own
            // background requests do not.
            for event in &events {
                let params = &event["params"];
                let key = params["network_isolation_key"].as_str().unwrap_or("");
                if let (true, Some(url)) = (key.starts_with("file://"), params["url"].as_str()) {
                    found.push(format!("network request: {url}"));
                }
            }
        }
        Err(e) => found.push(format!("the net log is unreadable ({e})")),
    }
    found
}

fn near(p: Rgb<u8>, color: Rgb<u8>) -> bool {
    p.0.iter()
        .zip(color.0)
        .all(|(&a, b)| (i16::from(a) - i16::from(b)).abs() <= 24)
}

/// Pixels close to `color` in rows `rows`, and the first and last row holding one.
fn ink(image: &RgbImage, color: Rgb<u8>, rows: std::ops::Range<u32>) -> (usize, u32, u32) {
    let mut count = 0;
    let (mut top, mut bottom) = (u32::MAX, 0);
    for (_, y, &p) in image.enumerate_pixels() {
        if rows.contains(&y) && near(p, color) {
            count += 1;
            top = top.min(y);
            bottom = bottom.max(y);
        }
    }
    (count, top, bottom)
}

#[test]
#[cfg_attr(
    no_chromium,
    ignore = "Chromium is not installed (apt-get install chromium)"
)]
fn the_run_report_renders_in_chromium_with_the_dashboard_drawn_and_nothing_fetched() {
    let Some(browser) = chromium() else { return };
    let out = tempfile::tempdir().expect("a temporary folder");
    let run = fleetsim()
        .args(["run", "crash-sticky", "--out"])
        .arg(out.path())
        .args(["--set", "report.slo=250ms"])
        .output()
        .expect("the binary runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let folder = out.path().join("crash-sticky");
    let page = folder.join("report.html");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(folder.join("summary.json")).expect("summary.json"))
            .expect("JSON");
    let instances = summary["balance"]["requests_per_instance"]
        .as_array()
        .expect("a list")
        .len();

    let dom = render(&browser, &page, Output::Dom);
    assert_eq!(problems(&dom), Vec::<String>::new(), "{}", dom.stderr);
    let dom = dom.stdout;
    for expected in [
        "<h1>crash-sticky</h1>",
        "One of four instances crashes; sticky in-memory sessions are logged out.",
        // The dashboard, inline, with the objective in the latency legend.
        "<svg width=\"1400\" height=\"1600\"",
        "Latency of successful requests",
        "p99 objective 250 ms",
        // The summary, from the same rows as the terminal table.
        "<caption>requests</caption>",
        "<caption>latency (ms)</caption>",
        "<td>p99 objective</td>",
        "<table class=\"timeline\">",
        "crash instance 1",
        // The scenario as read, and the override on top.
        "<code>--set report.slo=250ms</code>",
        "<pre class=\"scenario\"><code># yaml-language-server: $schema=",
        "# Sticky sessions kept in memory",
        "name: crash-sticky",
    ] {
        assert!(dom.contains(expected), "the DOM lacks {expected:?}");
    }
    assert_eq!(dom.matches("<table class=\"summary\">").count(), 6);
    let balance = dom
        .split_once("<svg class=\"balance\"")
        .expect("the per-instance chart")
        .1;
    let balance = &balance[..balance.find("</svg>").expect("closed")];
    assert_eq!(balance.matches("<rect ").count(), instances);

    let shot_dir = tempfile::tempdir().expect("a temporary folder");
    let shot = shot_dir.path().join("shot.png");
    let rendering = render(&browser, &page, Output::Screenshot(&shot));
    assert_eq!(problems(&rendering), Vec::<String>::new());
    let image = image::open(&shot).expect("a PNG").to_rgb8();
    assert_eq!(image.dimensions(), WINDOW);
    // Not blank: text, tables and charts ink about 4 % of the pixels; a blank page none.
    let white = Rgb([0xFF, 0xFF, 0xFF]);
    let inked = image.pixels().filter(|&&p| !near(p, white)).count();
    let share = inked as f64 / f64::from(WINDOW.0 * WINDOW.1);
    assert!(
        share > 0.02,
        "only {:.2} % of the page is inked",
        share * 100.0
    );
    // The dashboard is drawn at its size: vermillion (p99 latency, failed requests) is on the
    // dashboard only, from the latency panel down to the failures panel, ~900 px apart at the
    // page's scale (measured: ~2,300 pixels over 896 rows). Between them, blue draws p50 and the
    // desired instances (measured: ~2,200 pixels).
    let (vermillion, top, bottom) = ink(&image, VERMILLION, 0..WINDOW.1);
    assert!(vermillion > 1_000, "{vermillion} vermillion pixels");
    assert!(bottom - top > 600, "vermillion spans rows {top}..{bottom}");
    let (blue, _, _) = ink(&image, BLUE, top..bottom);
    assert!(
        blue > 1_000,
        "{blue} blue pixels between rows {top} and {bottom}"
    );
}

#[test]
#[cfg_attr(
    no_chromium,
    ignore = "Chromium is not installed (apt-get install chromium)"
)]
fn a_broken_page_is_caught() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>broken</title></head><body>\
         <h1>broken</h1><img src=\"missing.png\"><img src=\"http://fleetsim.invalid/x.png\">\
         <script>throw 1</script></body></html>",
    )
    .expect("write the page");

    for output in [
        Output::Dom,
        Output::Screenshot(&dir.path().join("shot.png")),
    ] {
        let found = problems(&render(&browser, &page, output));
        let has = |what: &str| found.iter().any(|p| p.contains(what));
        assert!(has("console message"), "{found:#?}");
        assert!(
            has("loaded a file: file://") && has("missing.png"),
            "{found:#?}"
        );
        assert!(
            has("network request: http://fleetsim.invalid/x.png"),
            "{found:#?}"
        );
    }
}

#[test]
fn the_sweep_and_plan_pages_render_in_chromium_with_their_objectives_and_nothing_fetched() {
    let Some(browser) = chromium() else { return };
    let out = tempfile::tempdir().expect("a temporary folder");
    let short = [
        "--set",
        "duration=2m",
        "--set",
        "warmup=30s",
        "--seeds",
        "2",
    ];
    let objective = ["--objective", "p99 < 300ms", "--quiet"];
    for (command, search) in [
        ("sweep", ["--grid", "instances.count=1,2"]),
        ("plan", ["--search", "instances.count=1..2"]),
    ] {
        let done = fleetsim()
            .args([command, "baseline"])
            .args(search)
            .args(short)
            .args(objective)
            .arg("--out")
            .arg(out.path().join(command))
            .output()
            .expect("the binary runs");
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    for (page, expected) in [
        (
            out.path().join("sweep/sweep.html"),
            [
                "<h1>baseline: 2 grid points × 2 seeds</h1>",
                "<h2 id=\"objectives\">Objectives</h2>",
                "p99 &lt; 300ms",
            ],
        ),
        (
            out.path().join("plan/plan.html"),
            [
                "<h1>baseline: plan instances.count</h1>",
                "<b>instances.count = 2</b>",
                "p99 &lt; 300ms",
            ],
        ),
    ] {
        let dom = render(&browser, &page, Output::Dom);
        assert_eq!(problems(&dom), Vec::<String>::new(), "{}", dom.stderr);
        for text in expected {
            assert!(
                dom.stdout.contains(text),
                "{}: the DOM lacks {text:?}",
                page.display()
            );
        }
    }
}
