//! `fleetsim sweep`: a grid of parameter values × seeds, streamed to `sweep.csv`, sharded across
//! machines and merged back.
//!
//! Runs are numbered `run = point · seeds + s` (grid points in grid order, the last axis varying
//! fastest; seed `first_seed + s`, the same seeds at every point). Shard `K/N` owns the runs with
//! `run mod N = K`, so shards are disjoint, cover the sweep, and are balanced across the grid.
//!
//! A sweep's folder holds:
//! - `sweep.json`: what was asked (scenario name and a fingerprint of its text and overrides,
//!   axes, seeds, shard). Written first; `--resume` and `merge` refuse folders that disagree.
//! - `sweep.csv`: one row per finished run, appended and flushed as runs finish, so a killed
//!   sweep keeps every finished run (a half-written last line is dropped on resume). When the
//!   last run is in, the file is rewritten in run order, so its bytes depend only on what was
//!   asked: not on thread count, finishing order, interruptions or sharding.
//! - `sweep.svg` / `sweep.png`: each headline metric against the first axis (complete sweeps
//!   only; a shard's slice would draw a misleading picture), written together or not at all. A
//!   merged folder gets its four files together too.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};

use super::grid::load_points;
use super::outcome::{Estimate, Headline, Outcome};
use super::runner::Runner;
use crate::model::simulate;
use crate::output::write_atomically;
use crate::scenario::{Override, Scenario};

pub const CSV_FILE: &str = "sweep.csv";
pub const META_FILE: &str = "sweep.json";

/// One grid axis: a scenario field and the values it takes, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    /// A field path as `--set` takes it, e.g. `instances.count`.
    pub path: String,
    /// The values as text, exactly as they go into `--set path=value`.
    pub values: Vec<String>,
}

/// A sweep's results, one entry per grid point, averaged over seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSummary {
    pub scenario: String,
    pub axes: Vec<Axis>,
    /// Seeds per point.
    pub seeds: usize,
    /// Grid points in grid order: the last axis varies fastest.
    pub points: Vec<SweepPoint>,
}

/// One grid point.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// The point's value on each axis, in the order of [`SweepSummary::axes`].
    pub values: Vec<String>,
    /// One estimate per metric of [`super::Headline::ALL`], over the seeds run at this point.
    pub estimates: Vec<Estimate>,
}

/// `--shard K/N`: the K-th of N slices, counting from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(arg: &str) -> Result<Self, String> {
        let bad = || format!("`{arg}` is not a shard like 0/4 (K/N with 0 ≤ K < N)");
        let (k, n) = arg.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `sweep.json`: everything that determines a sweep's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The scenario's `name`.
    pub scenario: String,
    /// FNV-1a of the scenario's YAML and the `--set` overrides: two sweeps of differently
    /// edited files never resume or merge into one.
    pub fingerprint: String,
    pub axes: Vec<Axis>,
    pub seeds: usize,
    pub first_seed: u64,
    /// `None` for a whole sweep (or a merged one).
    pub shard: Option<Shard>,
    /// Runs in this folder when complete.
    pub runs: usize,
}

impl Meta {
    fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    fn total_runs(&self) -> usize {
        self.points() * self.seeds
    }

    /// The description of the whole sweep this folder is a shard of (itself when unsharded).
    fn whole(&self) -> Self {
        Meta {
            shard: None,
            runs: self.total_runs(),
            ..self.clone()
        }
    }

    /// The runs this folder is responsible for, in order.
    fn own_runs(&self) -> Vec<usize> {
        (0..self.total_runs())
            .filter(|run| self.shard.is_none_or(|s| run % s.count == s.index))
            .collect()
    }

    fn header(&self) -> Vec<String> {
        let mut header = vec!["run".to_owned(), "point".to_owned(), "seed".to_owned()];
        header.extend(self.axes.iter().map(|a| a.path.clone()));
        header.extend(Headline::ALL.iter().map(|m| m.key().to_owned()));
        header
    }

    /// The `sweep.json` of `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(META_FILE);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (is {} a sweep folder?)",
                path.display(),
                dir.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a sweep description", path.display()))
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("plain data serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// A sweep ready to run: the scenario of every grid point, loaded and validated.
pub struct Plan {
    pub meta: Meta,
    points: Vec<Scenario>,
}

impl Plan {
    pub fn new(
        spec: &str,
        sets: &[Override],
        axes: Vec<Axis>,
        seeds: usize,
        seed: Option<u64>,
        shard: Option<Shard>,
    ) -> Result<Self> {
        ensure!(seeds >= 1, "--seeds must be at least 1");
        let points: Vec<Scenario> = load_points(spec, sets, &axes)?
            .into_iter()
            .map(|p| p.scenario)
            .collect();
        let first = &points[0];
        let mut meta = Meta {
            scenario: first.name.clone(),
            fingerprint: fingerprint(&first.source.yaml, sets),
            axes,
            seeds,
            first_seed: seed.unwrap_or(first.seed),
            shard,
            runs: 0,
        };
        meta.runs = meta.own_runs().len();
        Ok(Self { meta, points })
    }

    /// Runs what `dir` does not hold yet, appending rows to `sweep.csv` as runs finish, then
    /// puts the file in run order. Returns the rows of this folder, in run order.
    pub fn run(&self, dir: &Path, resume: bool, runner: &Runner) -> Result<Vec<Row>> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        let csv_path = dir.join(CSV_FILE);
        let meta_path = dir.join(META_FILE);
        let mut done: BTreeMap<usize, Row> = BTreeMap::new();
        if resume && meta_path.exists() {
            let found = Meta::read(dir)?;
            if found != self.meta {
                bail!(
                    "{} was started with different arguments ({}); resume it with the same \
                     scenario, --set, --grid, --seeds, --seed and --shard, or choose another --out",
                    dir.display(),
                    difference(&found, &self.meta)
                );
            }
            if csv_path.exists() {
                for row in read_rows(&csv_path, &self.meta, true)? {
                    done.insert(row.run, row);
                }
            }
        } else if meta_path.exists() || csv_path.exists() {
            bail!(
                "{} already holds a sweep: pass --resume to continue it, or choose another --out",
                dir.display()
            );
        } else {
            write_atomically(&meta_path, &self.meta.bytes())?;
        }

        let todo: Vec<usize> = self
            .meta
            .own_runs()
            .into_iter()
            .filter(|run| !done.contains_key(run))
            .collect();
        let mut file = open_for_append(&csv_path, &self.meta)?;
        let seeds = self.meta.seeds;
        runner.for_each(
            "sweep",
            &todo,
            |&run| {
                let mut scenario = self.points[run / seeds].clone();
                scenario.seed = self.meta.first_seed.wrapping_add((run % seeds) as u64);
                Outcome::of(&simulate(&scenario))
            },
            |&run, outcome| {
                let row = Row::new(&self.meta, run, outcome);
                file.write_all(row.line.as_bytes())
                    .and_then(|()| file.flush())
                    .with_context(|| format!("cannot append to {}", csv_path.display()))?;
                done.insert(run, row);
                Ok(())
            },
        )?;
        drop(file);
        let rows: Vec<Row> = done.into_values().collect();
        write_atomically(&csv_path, &csv_bytes(&self.meta, &rows))?;
        Ok(rows)
    }
}

/// One finished run, as its `sweep.csv` line (kept verbatim, so merging copies bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub run: usize,
    pub outcome: Outcome,
    line: String,
}

impl Row {
    fn new(meta: &Meta, run: usize, outcome: Outcome) -> Self {
        let point = run / meta.seeds;
        let seed = meta.first_seed.wrapping_add((run % meta.seeds) as u64);
        let mut fields = vec![run.to_string(), point.to_string(), seed.to_string()];
        fields.extend(point_values(meta, point));
        fields.extend(Headline::ALL.iter().map(|&m| outcome.get(m).to_string()));
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&fields).expect("writing to memory");
        let line = String::from_utf8(writer.into_inner().expect("flushing to memory"))
            .expect("fields are UTF-8");
        Self { run, outcome, line }
    }
}

/// The values of grid point `point`, one per axis.
fn point_values(meta: &Meta, point: usize) -> Vec<String> {
    let mut rest = point;
    let mut values = vec![String::new(); meta.axes.len()];
    for (i, axis) in meta.axes.iter().enumerate().rev() {
        values[i] = axis.values[rest % axis.values.len()].clone();
        rest /= axis.values.len();
    }
    values
}

fn header_line(meta: &Meta) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(meta.header())
        .expect("writing to memory");
    String::from_utf8(writer.into_inner().expect("flushing to memory")).expect("UTF-8")
}

fn csv_bytes(meta: &Meta, rows: &[Row]) -> Vec<u8> {
    let mut text = header_line(meta);
    for row in rows {
        text.push_str(&row.line);
    }
    text.into_bytes()
}

/// Opens `sweep.csv` for appending, writing the header into a new file.
fn open_for_append(path: &Path, meta: &Meta) -> Result<File> {
    let fresh = !path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    if fresh {
        file.write_all(header_line(meta).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(file)
}

/// The rows of `path`, checked against `meta`. With `repair`, a half-written last line (a sweep
/// killed mid-write) is cut off the file; otherwise it is an error.
fn read_rows(path: &Path, meta: &Meta, repair: bool) -> Result<Vec<Row>> {
    let mut bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        ensure!(repair, "{} ends in the middle of a line", path.display());
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(keep);
        fs::write(path, &bytes).with_context(|| format!("cannot repair {}", path.display()))?;
    }
    let text =
        String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    let mut lines = text.split_inclusive('\n');
    let header = header_line(meta);
    match lines.next() {
        None if repair => {
            // Killed before the header was complete: start the file again.
            fs::write(path, header.as_bytes())
                .with_context(|| format!("cannot repair {}", path.display()))?;
            return Ok(Vec::new());
        }
        Some(first) if first == header => {}
        _ => bail!(
            "{} does not have the columns this sweep writes",
            path.display()
        ),
    }
    let own: std::collections::BTreeSet<usize> = meta.own_runs().into_iter().collect();
    let mut rows: Vec<Row> = Vec::new();
    for (number, line) in lines.enumerate() {
        let at = || format!("{} line {}", path.display(), number + 2);
        let fields: Vec<&str> = line.trim_end_matches('\n').split(',').collect();
        let run: usize = fields
            .first()
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("{}: no run number", at()))?;
        ensure!(
            own.contains(&run),
            "{}: run {run} does not belong to this sweep",
            at()
        );
        let values: Vec<f64> = fields
            .iter()
            .rev()
            .take(Headline::ALL.len())
            .rev()
            .map(|f| f.parse::<f64>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("{}: a metric is not a number", at()))?;
        let values: [f64; Headline::ALL.len()] = values
            .try_into()
            .map_err(|_| anyhow::anyhow!("{}: too few columns", at()))?;
        let row = Row::new(meta, run, Outcome::from_values(values));
        ensure!(
            row.line == line,
            "{}: the row does not match run {run} of this sweep",
            at()
        );
        rows.push(row);
    }
    rows.sort_by_key(|r| r.run);
    if let Some(pair) = rows.windows(2).find(|w| w[0].run == w[1].run) {
        bail!("{}: run {} appears twice", path.display(), pair[0].run);
    }
    Ok(rows)
}

/// What differs between two sweep descriptions, in words.
fn difference(a: &Meta, b: &Meta) -> String {
    let mut what = Vec::new();
    if a.scenario != b.scenario || a.fingerprint != b.fingerprint {
        what.push("scenario or --set");
    }
    if a.axes != b.axes {
        what.push("--grid");
    }
    if a.seeds != b.seeds || a.first_seed != b.first_seed {
        what.push("seeds");
    }
    if a.shard != b.shard {
        what.push("--shard");
    }
    what.join(", ")
}

/// FNV-1a (64 bit) of the scenario text and the overrides, as 16 hex digits.
fn fingerprint(yaml: &str, sets: &[Override]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(yaml.as_bytes());
    for set in sets {
        eat(b"\n--set ");
        eat(set.arg().as_bytes());
    }
    format!("{hash:016x}")
}

/// Combines shard folders into the description and rows of the whole sweep, from which
/// [`files`] makes the same `sweep.json` and `sweep.csv` an unsharded sweep writes. Every shard of
/// one sweep must be present once, and complete.
pub fn merge(dirs: &[PathBuf]) -> Result<(Meta, Vec<Row>)> {
    let mut folders: Vec<(&PathBuf, Meta, Shard)> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let meta = Meta::read(dir)?;
        let Some(shard) = meta.shard else {
            bail!(
                "{} holds a whole sweep, not a shard: nothing to merge",
                dir.display()
            );
        };
        folders.push((dir, meta, shard));
    }
    let Some((first_dir, first, first_shard)) = folders.first() else {
        bail!("merge needs at least one sweep folder");
    };
    let (whole, count) = (first.whole(), first_shard.count);
    let mut shards: BTreeMap<usize, (&PathBuf, &Meta)> = BTreeMap::new();
    for (dir, meta, shard) in &folders {
        let this = meta.whole();
        if this != whole || shard.count != count {
            let what = if this == whole {
                "shard count".to_owned()
            } else {
                difference(&whole, &this)
            };
            bail!(
                "{} is a shard of a different sweep than {} ({what})",
                dir.display(),
                first_dir.display()
            );
        }
        if let Some((other, _)) = shards.insert(shard.index, (dir, meta)) {
            bail!(
                "{} and {} are both shard {shard}",
                other.display(),
                dir.display()
            );
        }
    }
    if let Some(missing) = (0..count).find(|k| !shards.contains_key(k)) {
        bail!("shard {missing}/{count} is missing: merge needs all {count} shard folders");
    }
    let mut rows = Vec::with_capacity(whole.runs);
    for (dir, meta) in shards.values() {
        let got = read_rows(&dir.join(CSV_FILE), meta, false)?;
        ensure!(
            got.len() == meta.runs,
            "{} is incomplete ({} of {} runs): finish it with `fleetsim sweep ... --resume` first",
            dir.display(),
            got.len(),
            meta.runs
        );
        rows.extend(got);
    }
    rows.sort_by_key(|r| r.run);
    Ok((whole, rows))
}

/// `sweep.json` and `sweep.csv` of a sweep's folder holding `rows`, by name.
pub fn files(meta: &Meta, rows: &[Row]) -> Vec<(&'static str, Vec<u8>)> {
    vec![(META_FILE, meta.bytes()), (CSV_FILE, csv_bytes(meta, rows))]
}

/// Mean and interval per grid point, from a folder's rows.
pub fn summarize(meta: &Meta, rows: &[Row]) -> SweepSummary {
    let mut by_point: Vec<Vec<Outcome>> = vec![Vec::new(); meta.points()];
    for row in rows {
        by_point[row.run / meta.seeds].push(row.outcome);
    }
    SweepSummary {
        scenario: meta.scenario.clone(),
        axes: meta.axes.clone(),
        seeds: meta.seeds,
        points: by_point
            .iter()
            .enumerate()
            .map(|(point, outcomes)| SweepPoint {
                values: point_values(meta, point),
                estimates: Headline::ALL
                    .iter()
                    .map(|&m| Estimate::of_metric(outcomes, m))
                    .collect(),
            })
            .collect(),
    }
}

/// The terminal table of a summary: a row per grid point.
pub fn table(summary: &SweepSummary) -> String {
    let mut grid = crate::report::new_table();
    let mut header: Vec<String> = summary.axes.iter().map(|a| a.path.clone()).collect();
    header.extend(Headline::ALL.iter().map(|m| match m.unit() {
        "ms" => format!("{} (ms)", m.label()),
        _ => m.label().to_owned(),
    }));
    grid.set_header(header);
    for point in &summary.points {
        let mut row = point.values.clone();
        row.extend(
            Headline::ALL
                .iter()
                .zip(&point.estimates)
                .map(|(&m, e)| super::compare::cell(m, e)),
        );
        grid.add_row(row);
    }
    crate::report::align_right_from(&mut grid, summary.axes.len());
    grid.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(shard: Option<Shard>) -> Meta {
        let mut meta = Meta {
            scenario: "s".into(),
            fingerprint: "0".into(),
            axes: vec![
                "instances.count=2..4".parse().unwrap(),
                "sessions.store=in-memory,redis".parse().unwrap(),
            ],
            seeds: 3,
            first_seed: 10,
            shard,
            runs: 0,
        };
        meta.runs = meta.own_runs().len();
        meta
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_sweep() {
        let whole = meta(None).own_runs();
        assert_eq!(whole.len(), 3 * 2 * 3);
        let mut union: Vec<usize> = (0..4)
            .flat_map(|k| meta(Some(Shard { index: k, count: 4 })).own_runs())
            .collect();
        union.sort_unstable();
        assert_eq!(union, whole);
    }

    #[test]
    fn rows_name_their_point_and_seed() {
        let m = meta(None);
        // Run 7 = point 2 (count 3, in-memory), seed index 1 → seed 11.
        let row = Row::new(&m, 7, Outcome::from_values([1.0, 2.0, 3.5, 4.25, 5.0, 6.0]));
        assert_eq!(row.line, "7,2,11,3,in-memory,1,2,3.5,4.25,5,6\n");
        assert_eq!(point_values(&m, 5), ["4", "redis"]);
    }

    #[test]
    fn shard_arguments_are_checked() {
        assert_eq!(
            "2/8".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 8 }
        );
        for bad in ["8/8", "1/0", "x/2", "3", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_fingerprint_changes_with_the_text_and_the_overrides() {
        let set: Override = "instances.count=3".parse().unwrap();
        let a = fingerprint("name: x\n", &[]);
        assert_eq!(a.len(), 16);
        assert_ne!(a, fingerprint("name: y\n", &[]));
        assert_ne!(a, fingerprint("name: x\n", &[set]));
        assert_eq!(a, fingerprint("name: x\n", &[]));
    }

    #[test]
    fn a_half_written_last_line_is_cut_on_resume_and_refused_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CSV_FILE);
        let m = meta(None);
        let row = Row::new(&m, 0, Outcome::from_values([0.0; 6]));
        fs::write(
            &path,
            format!("{}{}1,0,11,2,in-m", header_line(&m), row.line),
        )
        .unwrap();
        assert!(read_rows(&path, &m, false).is_err());
        let rows = read_rows(&path, &m, true).unwrap();
        assert_eq!(rows, std::slice::from_ref(&row));
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{}{}", header_line(&m), row.line)
        );
    }

    #[test]
    fn rows_that_do_not_belong_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CSV_FILE);
        let m = meta(Some(Shard { index: 1, count: 2 }));
        let foreign = Row::new(&meta(None), 0, Outcome::from_values([0.0; 6]));
        fs::write(&path, format!("{}{}", header_line(&m), foreign.line)).unwrap();
        let e = read_rows(&path, &m, true).unwrap_err();
        assert!(e.to_string().contains("does not belong"), "{e}");
    }

    #[test]
    fn summaries_average_each_points_seeds() {
        let m = meta(None);
        let rows: Vec<Row> = (0..m.total_runs())
            .map(|run| Row::new(&m, run, Outcome::from_values([run as f64; 6])))
            .collect();
        let s = summarize(&m, &rows);
        assert_eq!(s.points.len(), 6);
        // Point 1 holds runs 3, 4, 5.
        assert_eq!(s.points[1].estimates[0].mean, 4.0);
        assert_eq!(s.points[1].values, ["2", "redis"]);
    }
}
