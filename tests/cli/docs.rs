//! The documentation's excerpts are the binary's output, so that no number in the docs goes
//! stale.
//!
//! An excerpt is a comment followed by a `text` block:
//!
//! ```text
//! <!-- excerpt: ARGS -->                       lines `fleetsim ARGS` prints on stdout
//! <!-- excerpt: ARGS => FILE -->               lines of FILE in the run's output folder
//! <!-- excerpt: ARGS => FILE COL,COL,... -->   rows of the CSV file FILE, those columns only
//! ```
//!
//! A block may start with the command as typed (`$ fleetsim ...`). Every other line of the
//! block must be among the lines printed (runs of spaces compare as one,
//! since a table's padding depends on its widest cell); a CSV excerpt's header is the columns
//! and each row must be the file's row with the same first column. Commands that write files get
//! `--out` pointing into a temporary folder.
//!
//! A generated section is the whole stdout of a command, kept verbatim (Markdown the page
//! renders, such as the field reference `fleetsim schema --markdown` writes):
//!
//! ```text
//! <!-- generated: ARGS -->
//! ...
//! <!-- end of generated -->
//! ```
//!
//! `scripts/excerpts.sh` (`FLEETSIM_BLESS=1` here) regenerates the excerpts in place after a
//! change that is meant to alter outputs: each stdout line is replaced by the printed line with
//! the same label (a table row's cells before its last, or a line's text before its first
//! digit), each CSV row by the row with the same first column. Lines it cannot match are left
//! for a person to edit, and the test still fails on them.

use std::path::Path;

use crate::support::{fleetsim, Workspace};

/// Every documentation page with excerpts; [`every_page_with_excerpts_is_checked`] keeps the
/// list complete.
const PAGES: &[&str] = &[
    "docs/connections.md",
    "docs/scenarios.md",
    "docs/guide.md",
    "docs/jobs-and-files.md",
    "docs/instance-groups.md",
    "docs/reference.md",
];

const GENERATED: &str = "<!-- generated: ";
const END_GENERATED: &str = "<!-- end of generated -->";

struct Excerpt {
    args: String,
    file: Option<String>,
    columns: Option<Vec<String>>,
    /// Line indices of the block's content in the page.
    lines: std::ops::Range<usize>,
}

fn excerpts(lines: &[String]) -> Vec<Excerpt> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(spec) = lines[i]
            .strip_prefix("<!-- excerpt: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            i += 1;
            continue;
        };
        assert_eq!(
            lines.get(i + 1).map(String::as_str),
            Some("```text"),
            "excerpt `{spec}` opens a text block"
        );
        let start = i + 2;
        let end = start
            + lines[start..]
                .iter()
                .position(|l| l == "```")
                .expect("the block is closed");
        assert!(end > start, "excerpt `{spec}` is empty");
        let (args, file, columns) = match spec.split_once(" => ") {
            None => (spec.to_owned(), None, None),
            Some((args, target)) => match target.split_once(' ') {
                None => (args.to_owned(), Some(target.to_owned()), None),
                Some((file, cols)) => (
                    args.to_owned(),
                    Some(file.to_owned()),
                    Some(cols.split(',').map(str::to_owned).collect()),
                ),
            },
        };
        found.push(Excerpt {
            args,
            file,
            columns,
            lines: start..end,
        });
        i = end + 1;
    }
    found
}

fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What identifies a printed line whatever its numbers: a table row's cells before its last,
/// else the text before the first digit.
fn label(line: &str) -> Option<String> {
    let line = squeeze(line);
    let key = match line.rfind('┆') {
        Some(at) => line[..at].to_owned(),
        None => line[..line
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(line.len())]
            .to_owned(),
    };
    (key.trim().len() >= 3).then_some(key)
}

/// The lines the excerpt's command produces, as it shows them.
fn produce(excerpt: &Excerpt) -> Vec<String> {
    let ws = Workspace::new();
    let mut cmd = fleetsim();
    cmd.args(excerpt.args.split(' '));
    let writes = matches!(
        excerpt.args.split(' ').next(),
        Some("run" | "compare" | "sweep" | "plan")
    );
    if writes {
        cmd.arg("--out").arg(ws.out());
    }
    let output = cmd.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "fleetsim {} failed: {}",
        excerpt.args,
        String::from_utf8_lossy(&output.stderr)
    );
    let Some(file) = &excerpt.file else {
        return String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
    };
    let text = std::fs::read_to_string(ws.out().join(file))
        .unwrap_or_else(|e| panic!("{file} of `fleetsim {}`: {e}", excerpt.args));
    let Some(columns) = &excerpt.columns else {
        return text.lines().map(str::to_owned).collect();
    };
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().expect("a header").split(',').collect();
    let picks: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .unwrap_or_else(|| panic!("{file} has no column {c}"))
        })
        .collect();
    std::iter::once(columns.join(","))
        .chain(rows.map(|row| {
            let cells: Vec<&str> = row.split(',').collect();
            picks
                .iter()
                .map(|&i| cells[i])
                .collect::<Vec<_>>()
                .join(",")
        }))
        .collect()
}

/// The produced line that should replace `shown`, if one can be told.
fn counterpart(excerpt: &Excerpt, shown: &str, produced: &[String]) -> Option<String> {
    if excerpt.columns.is_some() {
        let key = shown.split(',').next()?;
        return produced
            .iter()
            .find(|p| p.split(',').next() == Some(key))
            .cloned();
    }
    let key = label(shown)?;
    let mut matches = produced.iter().filter(|p| label(p).as_ref() == Some(&key));
    let first = matches.next()?;
    matches.next().is_none().then(|| first.clone())
}

/// Checks (or, with `FLEETSIM_BLESS=1`, regenerates) every excerpt of `page`.
fn check_page(page: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(page);
    let text = std::fs::read_to_string(&path).expect("the page");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let bless = std::env::var_os("FLEETSIM_BLESS").is_some();
    let mut stale = Vec::new();
    for excerpt in excerpts(&lines) {
        let produced = produce(&excerpt);
        let squeezed: Vec<String> = produced.iter().map(|l| squeeze(l)).collect();
        for i in excerpt.lines.clone() {
            // A shell prompt line shows the command; it is not output.
            if lines[i].starts_with("$ ") || squeezed.contains(&squeeze(&lines[i])) {
                continue;
            }
            match counterpart(&excerpt, &lines[i], &produced).filter(|_| bless) {
                Some(fresh) => lines[i] = fresh,
                None => stale.push(format!(
                    "{page}:{}: `fleetsim {}` no longer prints\n  {}",
                    i + 1,
                    excerpt.args,
                    lines[i]
                )),
            }
        }
    }
    lines = check_generated(page, lines, bless, &mut stale);
    if bless {
        std::fs::write(&path, lines.join("\n") + "\n").expect("rewrite the page");
    }
    assert!(
        stale.is_empty(),
        "{}\n(scripts/excerpts.sh regenerates what it can)",
        stale.join("\n")
    );
}

/// Checks (or regenerates) the generated sections of `page`: each must be exactly what its
/// command prints. Returns the page's lines, rewritten when blessing.
fn check_generated(
    page: &str,
    lines: Vec<String>,
    bless: bool,
    stale: &mut Vec<String>,
) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut rest = lines.into_iter().enumerate();
    while let Some((n, line)) = rest.next() {
        let Some(args) = line
            .strip_prefix(GENERATED)
            .and_then(|a| a.strip_suffix(" -->"))
            .map(str::to_owned)
        else {
            out.push(line);
            continue;
        };
        out.push(line);
        let shown: Vec<String> = rest
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| l != END_GENERATED)
            .collect();
        let output = fleetsim()
            .args(args.split(' '))
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "fleetsim {args} failed");
        let printed: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        if let Some(at) =
            (0..shown.len().max(printed.len())).find(|&i| shown.get(i) != printed.get(i))
        {
            if !bless {
                stale.push(format!(
                    "{page}:{}: the section generated by `fleetsim {args}` differs from what it \
                     prints now:\n  page:    {}\n  printed: {}",
                    n + 2 + at,
                    shown.get(at).map_or("(end)", String::as_str),
                    printed.get(at).map_or("(end)", String::as_str),
                ));
            }
        }
        out.extend(if bless { printed } else { shown });
        out.push(END_GENERATED.to_owned());
    }
    out
}

#[test]
fn the_reference_is_the_one_the_schema_writes() {
    check_page("docs/reference.md");
}

#[test]
fn the_connections_page_shows_what_the_binary_prints() {
    check_page("docs/connections.md");
}

#[test]
fn the_scenarios_page_shows_what_the_binary_prints() {
    check_page("docs/scenarios.md");
}

#[test]
fn the_jobs_and_files_page_shows_what_the_binary_prints() {
    check_page("docs/jobs-and-files.md");
}

#[test]
fn the_instance_groups_page_shows_what_the_binary_prints() {
    check_page("docs/instance-groups.md");
}

#[test]
fn the_guide_shows_what_the_binary_prints() {
    check_page("docs/guide.md");
}

#[test]
fn every_page_with_excerpts_is_checked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec!["README.md".to_owned()];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".md") {
            pages.push(format!("docs/{name}"));
        }
    }
    for page in pages {
        let text = std::fs::read_to_string(root.join(&page)).expect("the page");
        if text.contains("<!-- excerpt: ") || text.contains(GENERATED) {
            assert!(
                PAGES.contains(&page.as_str()),
                "{page} has excerpts: add it to PAGES"
            );
        }
    }
}

#[test]
fn the_readme_shows_the_showcase_as_it_prints() {
    // The showcase writes into ./output: run it in a folder of its own.
    let ws = Workspace::new();
    let output = fleetsim()
        .current_dir(ws.dir.path())
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let printed: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(squeeze)
        .collect();
    let readme = include_str!("../../README.md");
    let block = readme
        .split("<!-- showcase -->\n```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the README shows the showcase's table");
    for line in block.lines() {
        assert!(
            printed.contains(&squeeze(line)),
            "the showcase no longer prints\n  {line}"
        );
    }
}
