//! What went wrong with a scenario, as one screen of text for the person who wrote it.
//!
//! Every message names the file, the line and the field, because the reader's next move is to
//! open that file at that line. The `Display` of [`ScenarioError`] is the complete message
//! (starting with `error: `); callers print it as is, once.

use std::fmt;

use super::overrides::AXIS_FLAG;

/// Problems listed beyond this many are summarised, to keep the message on one screen.
const MAX_LISTED: usize = 20;

/// Where a problem's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Written in the file at this line (or, for a defaulted field, its section's line).
    Line(u64),
    /// Set on the command line by this argument, with its flag: `--set instances.count=0`.
    Override(String),
    /// Neither: a default for a section absent from the file.
    Default,
}

/// One thing wrong with a scenario's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Dotted field path, e.g. `workload.arrivals.rate` or `events[2].at`.
    pub(crate) path: String,
    /// What is wrong, e.g. `must be ≥ 0, got -5`.
    pub(crate) message: String,
    pub(crate) origin: Origin,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("error: {file}: {reason}")]
    Read { file: String, reason: String },

    /// Neither a file nor a bundled scenario has this name.
    #[error("error: `{spec}` is neither a scenario file nor a bundled scenario{}\n  bundled scenarios: {}",
        hint.as_ref().map(|h| format!("; did you mean `{h}`?")).unwrap_or_default(),
        bundled.join(", "))]
    NotFound {
        spec: String,
        hint: Option<String>,
        bundled: Vec<String>,
    },

    /// The text is not YAML, or does not have the scenario's shape.
    #[error("{0}")]
    Parse(Box<ParseError>),

    /// A `--set` argument (or a value of a `--grid`/`--vary` axis) could not be applied; `arg`
    /// is the argument with its flag.
    #[error("error: {file}: {arg}: {message}{}",
        hint.as_ref().map(|h| format!("\n  help: {h}")).unwrap_or_default())]
    Override {
        file: String,
        arg: String,
        message: String,
        hint: Option<String>,
    },

    /// The scenario parses but its values do not make sense.
    #[error("{}", render_invalid(file, problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

/// A YAML or shape error, located. (Boxed in [`ScenarioError`] to keep results small.)
#[derive(Debug)]
pub struct ParseError {
    pub(crate) file: String,
    /// Line of the problem, when known.
    pub(crate) line: Option<u64>,
    /// The field the problem is about, when known.
    pub(crate) path: Option<String>,
    /// serde-saphyr's one-line message.
    pub(crate) message: String,
    /// serde-saphyr's snippet of the file around the problem (may be empty).
    pub(crate) snippet: String,
    /// A likely fix, e.g. "did you mean `workers`?".
    pub(crate) hint: Option<String>,
}

impl ScenarioError {
    /// Names `flag` (`--grid` or `--vary`) where an axis's value is blamed: the axes are parsed
    /// alike for both flags, so only the command knows which one it read.
    pub fn name_axis_flag(&mut self, flag: &str) {
        let rename = |label: &mut String| {
            if let Some(rest) = label.strip_prefix(AXIS_FLAG) {
                *label = format!("{flag}{rest}");
            }
        };
        match self {
            ScenarioError::Override { arg, .. } => rename(arg),
            ScenarioError::Invalid { problems, .. } => {
                for p in problems {
                    if let Origin::Override(label) = &mut p.origin {
                        rename(label);
                    }
                }
            }
            _ => {}
        }
    }

    /// The validation problems, if that is what this error is.
    #[cfg(test)]
    pub(crate) fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(path) = self.path.as_deref().filter(|p| !p.is_empty()) {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if !self.snippet.is_empty() {
            write!(f, "\n{}", self.snippet)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

fn render_invalid(file: &str, problems: &[Problem]) -> String {
    let count = match problems.len() {
        1 => "1 problem".to_owned(),
        n => format!("{n} problems"),
    };
    let mut out = format!("error: {file}: invalid scenario ({count})");
    for p in problems.iter().take(MAX_LISTED) {
        out.push_str("\n  ");
        out.push_str(&ProblemLine { file, problem: p }.to_string());
    }
    if problems.len() > MAX_LISTED {
        out.push_str(&format!("\n  … and {} more", problems.len() - MAX_LISTED));
    }
    out
}

struct ProblemLine<'a> {
    file: &'a str,
    problem: &'a Problem,
}

impl fmt::Display for ProblemLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Problem {
            path,
            message,
            origin,
        } = self.problem;
        match origin {
            Origin::Line(line) => write!(f, "{}:{line}: {path}: {message}", self.file),
            Origin::Override(arg) => write!(f, "{path}: {message} (from {arg})"),
            Origin::Default => write!(f, "{}: {path}: {message} (default)", self.file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_list_one_line_per_problem() {
        let e = ScenarioError::Invalid {
            file: "x.yaml".into(),
            problems: vec![
                Problem {
                    path: "workload.arrivals.rate".into(),
                    message: "must be ≥ 0, got -5".into(),
                    origin: Origin::Line(12),
                },
                Problem {
                    path: "sessions.ttl".into(),
                    message: "must be > 0".into(),
                    origin: Origin::Override("--set sessions.ttl=0s".into()),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "error: x.yaml: invalid scenario (2 problems)\n\
             \x20 x.yaml:12: workload.arrivals.rate: must be ≥ 0, got -5\n\
             \x20 sessions.ttl: must be > 0 (from --set sessions.ttl=0s)"
        );
    }

    #[test]
    fn long_lists_are_cut_to_one_screen() {
        let p = Problem {
            path: "a".into(),
            message: "b".into(),
            origin: Origin::Default,
        };
        let e = ScenarioError::Invalid {
            file: "x.yaml".into(),
            problems: vec![p; 50],
        };
        let text = e.to_string();
        assert_eq!(text.lines().count(), 1 + MAX_LISTED + 1);
        assert!(text.ends_with("… and 30 more"));
    }

    #[test]
    fn parse_errors_lead_with_file_line_and_field() {
        let e = ScenarioError::Parse(Box::new(ParseError {
            file: "x.yaml".into(),
            line: Some(4),
            path: Some("instances.wrkers".into()),
            message: "unknown field `wrkers`".into(),
            snippet: " --> x.yaml:4:3".into(),
            hint: Some("did you mean `workers`?".into()),
        }));
        assert_eq!(
            e.to_string(),
            "error: x.yaml:4: instances.wrkers: unknown field `wrkers`\n --> x.yaml:4:3\n  help: did you mean `workers`?"
        );
    }
}
