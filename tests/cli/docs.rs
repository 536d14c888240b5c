//! The documentation's excerpts are the binary's output: each `<!-- excerpt: ARGS -->` in a
//! docs page is followed by a `text` block whose lines `fleetsim ARGS` must print. Runs of
//! spaces are compared as one, since a table's padding depends on its widest cell.

use crate::support::{fleetsim, Workspace};

/// `(arguments, expected lines)` for every excerpt in `page`.
fn excerpts(page: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(args) = line
            .strip_prefix("<!-- excerpt: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        assert_eq!(
            lines.next(),
            Some("```text"),
            "excerpt `{args}` opens a text block"
        );
        let block: Vec<String> = lines
            .by_ref()
            .take_while(|l| *l != "```")
            .map(squeeze)
            .collect();
        assert!(!block.is_empty(), "excerpt `{args}` is empty");
        found.push((args.to_owned(), block));
    }
    found
}

fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_excerpt_in_the_connections_page_is_what_the_binary_prints() {
    let page = include_str!("../../docs/connections.md");
    let all = excerpts(page);
    assert!(all.len() >= 8, "the page shows each scenario's runs");
    assert_excerpts_printed(all);
}

#[test]
fn every_excerpt_in_the_jobs_and_files_page_is_what_the_binary_prints() {
    let page = include_str!("../../docs/jobs-and-files.md");
    let all = excerpts(page);
    assert!(all.len() >= 5, "the page shows each scenario's runs");
    assert_excerpts_printed(all);
}

/// Runs each excerpt's arguments and checks that every expected line is printed.
fn assert_excerpts_printed(all: Vec<(String, Vec<String>)>) {
    for (args, expected) in all {
        let ws = Workspace::new();
        let output = fleetsim()
            .args(args.split(' '))
            .arg("--out")
            .arg(ws.out())
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "fleetsim {args} failed");
        let printed: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(squeeze)
            .collect();
        for line in expected {
            assert!(
                printed.contains(&line),
                "`fleetsim {args}` no longer prints\n  {line}\nit prints:\n{}",
                printed.join("\n")
            );
        }
    }
}
