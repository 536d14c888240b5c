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
//!   When the folder is complete it is rewritten with a CRC-32 of the rows, which `merge`
//!   checks: a shard edited by hand afterwards is refused rather than merged.
//! - `sweep.csv`: one row per finished run, appended and flushed as runs finish, so a killed
//!   sweep keeps every finished run (a half-written last row is dropped on resume). When the
//!   last run is in, the file is rewritten in run order, so its bytes depend only on what was
//!   asked: not on thread count, finishing order, interruptions or sharding. It is read back as
//!   CSV proper: a value may hold commas, quotes and newlines.
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

use super::grid::{check_size, indices_of, load_points, seed_range, Axis};
use super::objectives::{judged, pass_cell, verdict, worst_cell, Judged, Verdict};
use super::outcome::{self, cell, Estimate, Headline, Outcome};
use super::runner::Runner;
use crate::echo::echo;
use crate::model::simulate;
use crate::output::write_atomically;
use crate::scenario::{Objective, Override, Scenario};

pub(crate) const CSV_FILE: &str = "sweep.csv";
pub(crate) const META_FILE: &str = "sweep.json";

/// A sweep's results, one entry per grid point, averaged over seeds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SweepSummary {
    pub(crate) scenario: String,
    pub(crate) axes: Vec<Axis>,
    /// Seeds per point.
    pub(crate) seeds: usize,
    /// The headline metrics shown: see [`Meta::metrics`].
    pub(crate) metrics: &'static [Headline],
    /// Grid points in grid order: the last axis varies fastest.
    pub(crate) points: Vec<SweepPoint>,
}

/// One grid point.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SweepPoint {
    /// The point's value on each axis, in the order of [`SweepSummary::axes`].
    pub(crate) values: Vec<String>,
    /// One estimate per metric of [`super::outcome::Headline::ALL`], over the seeds run at this
    /// point.
    pub(crate) estimates: Vec<Estimate>,
    /// The point's objectives over its seeds; `None` without objectives.
    pub(crate) verdict: Option<Verdict>,
}

/// `--shard K/N`: the K-th of N slices, counting from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Shard {
    pub(crate) index: usize,
    pub(crate) count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(arg: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{}` is not a shard like 0/4 (K/N with 0 ≤ K < N)",
                echo(arg)
            )
        };
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
pub(crate) struct Meta {
    /// The scenario's `name`.
    pub(crate) scenario: String,
    /// FNV-1a of the scenario's YAML and the `--set` overrides: two sweeps of differently
    /// edited files never resume or merge into one.
    pub(crate) fingerprint: String,
    pub(crate) axes: Vec<Axis>,
    pub(crate) seeds: usize,
    pub(crate) first_seed: u64,
    /// `None` for a whole sweep (or a merged one).
    pub(crate) shard: Option<Shard>,
    /// Runs in this folder when complete.
    pub(crate) runs: usize,
    /// CRC-32 of the folder's rows (the bytes of `sweep.csv` after its header line), as 8 hex
    /// digits. Written when the folder is complete and checked by `merge`. Absent while a sweep
    /// runs, and in folders written before the checksum existed: those merge unchecked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rows_crc32: Option<String>,
    /// The scenario has connections: `sweep.csv` has the connection metrics' columns too.
    /// Absent (false) otherwise, so other sweeps' descriptions read and compare as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) connections: bool,
    /// The objectives every run is judged by, as written canonically (`p99 < 250ms`):
    /// `sweep.csv` has each one's worst value and whether it was met. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) objectives: Vec<String>,
}

impl Meta {
    /// The headline metrics of the sweep's rows, in column order: the connection ones too when
    /// the scenario has connections.
    pub(crate) fn metrics(&self) -> &'static [Headline] {
        Headline::shown(self.connections)
    }

    fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    fn total_runs(&self) -> usize {
        self.points() * self.seeds
    }

    /// The description of the whole sweep this folder is a shard of (itself when unsharded),
    /// before any run.
    fn whole(&self) -> Self {
        Meta {
            shard: None,
            runs: self.total_runs(),
            rows_crc32: None,
            ..self.clone()
        }
    }

    /// This description as it was before the folder was complete.
    fn unfinished(&self) -> Self {
        Meta {
            rows_crc32: None,
            ..self.clone()
        }
    }

    /// This description once `rows` (all of its runs, in run order) are in.
    fn finished(&self, rows: &[Row]) -> Self {
        Meta {
            rows_crc32: Some(rows_crc32(rows)),
            ..self.clone()
        }
    }

    /// What a `sweep.json` edited by hand (or by another program) could get wrong that would
    /// make the runs impossible to count or number.
    fn check(&self) -> Result<(), String> {
        if self.seeds == 0 {
            return Err("`seeds` must be at least 1".to_owned());
        }
        if let Some(axis) = self.axes.iter().find(|a| a.values.is_empty()) {
            return Err(format!("the axis {} has no values", echo(&axis.path)));
        }
        if let Some(shard) = self.shard.filter(|s| s.count == 0 || s.index >= s.count) {
            return Err(format!("`{shard}` is not a shard (K/N with 0 ≤ K < N)"));
        }
        check_size(&self.axes, self.seeds, "--grid")?;
        seed_range(self.first_seed, self.seeds, true)?;
        let runs = self.own_runs().len();
        if self.runs != runs {
            return Err(format!("`runs` is {}, but the grid has {runs}", self.runs));
        }
        Ok(())
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
        header.extend(self.metrics().iter().map(|m| m.key().to_owned()));
        for o in &self.objectives {
            header.push(format!("{o}: worst"));
            header.push(format!("{o}: met"));
        }
        header
    }

    /// The objectives, parsed back from their canonical text.
    fn parsed_objectives(&self) -> Vec<Objective> {
        self.objectives
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect()
    }

    /// The `sweep.json` of `dir`.
    pub(crate) fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(META_FILE);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (is {} a sweep folder?)",
                path.display(),
                dir.display()
            )
        })?;
        let meta: Meta = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a sweep description", path.display()))?;
        meta.check().map_err(|reason| {
            anyhow::anyhow!("{} is not a sweep description: {reason}", path.display())
        })?;
        Ok(meta)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("plain data serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// A sweep ready to run: the scenario of every grid point, loaded and validated.
pub(crate) struct Plan {
    pub(crate) meta: Meta,
    points: Vec<Scenario>,
}

impl Plan {
    /// The scenario of each grid point, in grid order.
    pub(crate) fn points(&self) -> &[Scenario] {
        &self.points
    }

    pub(crate) fn new(
        spec: &str,
        sets: &[Override],
        axes: Vec<Axis>,
        seeds: usize,
        seed: Option<u64>,
        shard: Option<Shard>,
    ) -> Result<Self> {
        ensure!(seeds >= 1, "--seeds must be at least 1");
        // Everything that can be checked without loading a scenario is checked first.
        check_size(&axes, seeds, "--grid").map_err(anyhow::Error::msg)?;
        if let Some(first) = seed {
            seed_range(first, seeds, true).map_err(anyhow::Error::msg)?;
        }
        let points: Vec<Scenario> = load_points(spec, sets, &axes)?
            .into_iter()
            .map(|p| p.scenario)
            .collect();
        let first = points.first().context("internal: a grid has a point")?;
        let first_seed = seed.unwrap_or(first.seed);
        seed_range(first_seed, seeds, seed.is_some()).map_err(anyhow::Error::msg)?;
        let mut meta = Meta {
            scenario: first.name.clone(),
            fingerprint: fingerprint(&first.source.yaml, sets),
            axes,
            seeds,
            first_seed,
            shard,
            runs: 0,
            rows_crc32: None,
            connections: points.iter().any(|p| p.connections.is_some()),
            objectives: Vec::new(),
        };
        meta.runs = meta.own_runs().len();
        Ok(Self { meta, points })
    }

    /// Adds `extra` (the `--objective` arguments) to every point's objectives.
    pub(crate) fn add_objectives(&mut self, extra: &[Objective]) {
        for p in &mut self.points {
            p.objectives.extend(extra.iter().cloned());
        }
        self.meta.objectives = self
            .points
            .first()
            .map(|p| p.objectives.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
    }

    /// Runs what `dir` does not hold yet, appending rows to `sweep.csv` as runs finish, then
    /// puts the file in run order and records the rows' checksum in `sweep.json`. Returns the
    /// rows of this folder, in run order.
    ///
    /// `--resume` on a folder with neither file starts the sweep there (a retried cluster job
    /// resumes a folder its first attempt may never have reached).
    pub(crate) fn run(&self, dir: &Path, resume: bool, runner: &Runner) -> Result<Vec<Row>> {
        let csv_path = dir.join(CSV_FILE);
        let meta_path = dir.join(META_FILE);
        let mut done: BTreeMap<usize, Row> = BTreeMap::new();
        match (meta_path.exists(), csv_path.exists()) {
            (false, true) => bail!(
                "{} has a sweep.csv but no sweep.json: it is not a sweep folder, or its sweep.json \
                 was removed, so it can be neither resumed nor replaced; choose another --out \
                 (or remove that sweep.csv to start again there)",
                dir.display()
            ),
            (true, _) if !resume => bail!(
                "{} already holds a sweep: pass --resume to continue it, or choose another --out",
                dir.display()
            ),
            (true, csv) => {
                let found = Meta::read(dir)?;
                if found.unfinished() != self.meta {
                    bail!(
                        "{} was started with different arguments ({}); resume it with the same \
                         scenario, --set, --grid, --seeds, --seed and --shard, or choose another \
                         --out",
                        dir.display(),
                        difference(&found, &self.meta)
                    );
                }
                if csv {
                    for row in read_rows(&csv_path, &self.meta, true)? {
                        done.insert(row.run, row);
                    }
                }
            }
            (false, false) => {
                fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create the folder {}", dir.display()))?;
                write_atomically(&meta_path, &self.meta.bytes())?;
            }
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
                scenario.seed = run_seed(&self.meta, run);
                let report = simulate(&scenario);
                (Outcome::of(&report), judged(&report, &scenario.objectives))
            },
            |&run, (outcome, judged)| {
                let row = Row::new(&self.meta, run, outcome, judged);
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
        write_atomically(&meta_path, &self.meta.finished(&rows).bytes())?;
        Ok(rows)
    }
}

/// One finished run, as its `sweep.csv` line (kept verbatim, so merging copies bytes).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) run: usize,
    pub(crate) outcome: Outcome,
    /// The run against each of the sweep's objectives.
    pub(crate) judged: Vec<Judged>,
    line: String,
}

impl Row {
    fn new(meta: &Meta, run: usize, outcome: Outcome, judged: Vec<Judged>) -> Self {
        let point = run / meta.seeds;
        let seed = run_seed(meta, run);
        let mut fields = vec![run.to_string(), point.to_string(), seed.to_string()];
        fields.extend(point_values(meta, point));
        fields.extend(meta.metrics().iter().map(|&m| outcome.get(m).to_string()));
        for j in &judged {
            fields.push(j.worst.to_string());
            fields.push(u8::from(j.met).to_string());
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&fields).expect("writing to memory");
        let line = String::from_utf8(writer.into_inner().expect("flushing to memory"))
            .expect("fields are UTF-8");
        Self {
            run,
            outcome,
            judged,
            line,
        }
    }
}

/// The seed of `run`: the seeds of a sweep were checked to fit in a u64 when it was planned (or
/// its `sweep.json` read), so this never wraps.
fn run_seed(meta: &Meta, run: usize) -> u64 {
    meta.first_seed + (run % meta.seeds) as u64
}

/// The values of grid point `point`, one per axis.
fn point_values(meta: &Meta, point: usize) -> Vec<String> {
    meta.axes
        .iter()
        .zip(indices_of(&meta.axes, point))
        .map(|(axis, i)| axis.values[i].clone())
        .collect()
}

/// The checksum `sweep.json` records for `rows` (in run order): CRC-32 of their lines.
fn rows_crc32(rows: &[Row]) -> String {
    let mut hasher = crc32fast::Hasher::new();
    for row in rows {
        hasher.update(row.line.as_bytes());
    }
    format!("{:08x}", hasher.finalize())
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

/// The rows of `path`, checked against `meta`: every row must be exactly the line this sweep
/// writes for its run, so values with commas, quotes or newlines (quoted, RFC 4180) read back
/// as written. With `repair`, a half-written last row (a sweep killed mid-write) is cut off the
/// file; otherwise it is an error.
fn read_rows(path: &Path, meta: &Meta, repair: bool) -> Result<Vec<Row>> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    // Each record with the bytes it was read from, to compare them with what the sweep writes.
    let mut records = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().byte() as usize;
        let more = reader
            .read_byte_record(&mut record)
            .with_context(|| format!("cannot read {} as CSV", path.display()))?;
        if !more {
            break;
        }
        let end = reader.position().byte() as usize;
        let line = record.position().map_or(0, |p| p.line());
        records.push((start..end, line, record.clone()));
    }
    // A row is written whole, ending in a newline, with its quotes paired (a quoted field holds
    // its own quotes doubled); a kill leaves a prefix that lacks one or the other.
    let unfinished = |text: &[u8]| {
        !text.ends_with(b"\n") || text.iter().filter(|&&b| b == b'"').count() % 2 == 1
    };
    let cut = |at: usize| -> Result<()> {
        fs::write(path, &bytes[..at]).with_context(|| format!("cannot repair {}", path.display()))
    };
    let header = header_line(meta);
    let count = records.len();
    match records.first() {
        None if repair => {
            // Killed before the header was complete: start the file again.
            fs::write(path, header.as_bytes())
                .with_context(|| format!("cannot repair {}", path.display()))?;
            return Ok(Vec::new());
        }
        Some((span, _, _)) if bytes[span.clone()] == *header.as_bytes() => {}
        Some((span, _, _))
            if repair && count == 1 && header.as_bytes().starts_with(&bytes[span.clone()]) =>
        {
            fs::write(path, header.as_bytes())
                .with_context(|| format!("cannot repair {}", path.display()))?;
            return Ok(Vec::new());
        }
        _ => bail!(
            "{} does not have the columns this sweep writes",
            path.display()
        ),
    }
    let own: std::collections::BTreeSet<usize> = meta.own_runs().into_iter().collect();
    let mut rows: Vec<Row> = Vec::new();
    for (i, (span, line, record)) in records.iter().enumerate().skip(1) {
        let text = &bytes[span.clone()];
        let at = || format!("{} line {line}", path.display());
        if i + 1 == count && unfinished(text) {
            ensure!(repair, "{} ends in the middle of a row", path.display());
            cut(span.start)?;
            break;
        }
        let field = |i: usize| std::str::from_utf8(record.get(i).unwrap_or_default()).ok();
        let run: usize = field(0)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("{}: no run number", at()))?;
        ensure!(
            own.contains(&run),
            "{}: run {run} does not belong to this sweep",
            at()
        );
        let metrics = meta.metrics().len();
        let judged_columns = 2 * meta.objectives.len();
        ensure!(
            record.len() >= metrics + judged_columns,
            "{}: too few columns",
            at()
        );
        let end = record.len() - judged_columns;
        let values: Vec<f64> = (end - metrics..end)
            .map(|i| field(i).and_then(|f| f.parse::<f64>().ok()))
            .collect::<Option<_>>()
            .with_context(|| format!("{}: a metric is not a number", at()))?;
        let judged: Vec<Judged> = (0..meta.objectives.len())
            .map(|k| {
                Some(Judged {
                    worst: field(end + 2 * k)?.parse().ok()?,
                    met: field(end + 2 * k + 1)? == "1",
                })
            })
            .collect::<Option<_>>()
            .with_context(|| format!("{}: an objective column is not a number", at()))?;
        let row = Row::new(
            meta,
            run,
            Outcome::from_shown(&values, meta.connections),
            judged,
        );
        ensure!(
            row.line.as_bytes() == text,
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
    if a.scenario != b.scenario || a.fingerprint != b.fingerprint || a.connections != b.connections
    {
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
/// [`files`] makes the same `sweep.json` and `sweep.csv` an unsharded sweep writes, to be written
/// to `out`. Every shard of one sweep must be present once, complete, and (when its `sweep.json`
/// records one) match its checksum. `out` may not be one of the shards, nor hold another sweep;
/// it may hold this very merge (a retried merge writes the same bytes again).
pub(crate) fn merge(dirs: &[PathBuf], out: &Path) -> Result<(Meta, Vec<Row>)> {
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
        if let Some(recorded) = &meta.rows_crc32 {
            let found = rows_crc32(&got);
            ensure!(
                *recorded == found,
                "{} does not match the checksum its sweep.json recorded when the shard finished \
                 (CRC-32 {recorded}, now {found}): its rows were changed since; run that shard \
                 again into an empty folder",
                dir.join(CSV_FILE).display()
            );
        }
        rows.extend(got);
    }
    rows.sort_by_key(|r| r.run);
    let merged = whole.finished(&rows);
    check_merge_target(out, &folders, &merged)?;
    Ok((merged, rows))
}

/// Refuses to merge into a shard folder or over another sweep, as `sweep` refuses without
/// `--resume`. The same merge done before (`out` holds `merged` already) may be done again.
fn check_merge_target(out: &Path, shards: &[(&PathBuf, Meta, Shard)], merged: &Meta) -> Result<()> {
    if let Ok(target) = fs::canonicalize(out) {
        if let Some((dir, _, _)) = shards
            .iter()
            .find(|(dir, _, _)| fs::canonicalize(dir).is_ok_and(|d| d == target))
        {
            bail!(
                "--out {} is the shard folder {}: merging into it would overwrite that shard; \
                 choose another --out",
                out.display(),
                dir.display()
            );
        }
    }
    if out.join(META_FILE).exists() {
        if Meta::read(out).ok().as_ref() != Some(merged) {
            bail!(
                "{} already holds a sweep: merge does not overwrite one; choose another --out",
                out.display()
            );
        }
    } else if out.join(CSV_FILE).exists() {
        bail!(
            "{} already has a sweep.csv: merge does not overwrite it; choose another --out",
            out.display()
        );
    }
    Ok(())
}

/// `sweep.json` and `sweep.csv` of a sweep's folder holding `rows`, by name.
pub(crate) fn files(meta: &Meta, rows: &[Row]) -> Vec<(&'static str, Vec<u8>)> {
    vec![(META_FILE, meta.bytes()), (CSV_FILE, csv_bytes(meta, rows))]
}

/// Mean and interval per grid point, from a folder's rows.
pub(crate) fn summarize(meta: &Meta, rows: &[Row]) -> SweepSummary {
    let mut by_point: Vec<Vec<Outcome>> = vec![Vec::new(); meta.points()];
    let mut judged_by_point: Vec<Vec<Vec<Judged>>> = vec![Vec::new(); meta.points()];
    for row in rows {
        by_point[row.run / meta.seeds].push(row.outcome);
        judged_by_point[row.run / meta.seeds].push(row.judged.clone());
    }
    let objectives = meta.parsed_objectives();
    SweepSummary {
        scenario: meta.scenario.clone(),
        axes: meta.axes.clone(),
        seeds: meta.seeds,
        metrics: meta.metrics(),
        points: by_point
            .iter()
            .enumerate()
            .map(|(point, outcomes)| SweepPoint {
                values: point_values(meta, point),
                estimates: outcome::estimates(outcomes),
                verdict: (!objectives.is_empty())
                    .then(|| verdict(&objectives, &judged_by_point[point], 1.0)),
            })
            .collect(),
    }
}

/// The terminal table of a summary: a row per grid point.
pub(crate) fn table(summary: &SweepSummary) -> String {
    let mut grid = crate::report::new_table();
    let mut header: Vec<String> = summary.axes.iter().map(|a| a.path.clone()).collect();
    header.extend(summary.metrics.iter().map(|m| m.heading()));
    if let Some(v) = summary.points.first().and_then(|p| p.verdict.as_ref()) {
        header.extend(
            v.objectives
                .iter()
                .map(|f| format!("worst: {}", f.objective)),
        );
        header.push("seeds meeting all".to_owned());
    }
    grid.set_header(header);
    for point in &summary.points {
        let mut row = point.values.clone();
        row.extend(summary.metrics.iter().map(|&m| {
            point
                .estimates
                .get(m.index())
                .map_or_else(|| crate::report::human::NONE.to_owned(), |e| cell(m, e))
        }));
        if let Some(v) = &point.verdict {
            row.extend(v.objectives.iter().map(worst_cell));
            row.push(pass_cell(v));
        }
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
            rows_crc32: None,
            connections: false,
            objectives: Vec::new(),
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
        let row = Row::new(
            &m,
            7,
            Outcome::from_values([1.0, 2.0, 3.5, 4.25, 5.0, 6.0]),
            Vec::new(),
        );
        assert_eq!(row.line, "7,2,11,3,in-memory,1,2,3.5,4.25,5,6\n");
        assert_eq!(point_values(&m, 5), ["4", "redis"]);
    }

    #[test]
    fn a_sweep_with_connections_has_their_columns_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CSV_FILE);
        let m = Meta {
            connections: true,
            ..meta(None)
        };
        let header = header_line(&m);
        assert!(
            header.ends_with(
                ",p50_ms,p99_ms,instance_seconds,churn,connections_dropped,reconnects,\
                 peak_reconnects_per_s,refused_handshakes,handshake_p99_ms,\
                 messages_undelivered_pct,delivery_p99_ms,redis_pubsub_ops,connection_imbalance\n"
            ),
            "{header}"
        );
        let outcome = Outcome::of(&crate::report::fixtures::crash_sticky_with_connections());
        let row = Row::new(&m, 7, outcome, Vec::new());
        assert!(
            row.line
                .ends_with(",1200,1262,412,110,18.7,0.9341666666666667,9.87,47950,1\n"),
            "{}",
            row.line
        );
        fs::write(&path, csv_bytes(&m, std::slice::from_ref(&row))).unwrap();
        assert_eq!(
            read_rows(&path, &m, false).unwrap(),
            std::slice::from_ref(&row)
        );
        let summary = summarize(&m, &[row]);
        assert_eq!(summary.metrics, Headline::ALL);
        assert!(table(&summary).contains("messages undelivered (%)"));

        // Without connections: neither the columns nor a `connections` entry in sweep.json.
        let plain = meta(None);
        assert!(!header_line(&plain).contains("reconnects"));
        assert!(!String::from_utf8(plain.bytes())
            .unwrap()
            .contains("connections"));
        assert!(String::from_utf8(m.bytes())
            .unwrap()
            .contains("\"connections\": true"));
        let summary = summarize(&plain, &[]);
        assert!(!table(&summary).contains("reconnects"));
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
        let row = Row::new(&m, 0, Outcome::from_values([0.0; 6]), Vec::new());
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
        let foreign = Row::new(&meta(None), 0, Outcome::from_values([0.0; 6]), Vec::new());
        fs::write(&path, format!("{}{}", header_line(&m), foreign.line)).unwrap();
        let e = read_rows(&path, &m, true).unwrap_err();
        assert!(e.to_string().contains("does not belong"), "{e}");
    }

    #[test]
    fn summaries_average_each_points_seeds() {
        let m = meta(None);
        let rows: Vec<Row> = (0..m.total_runs())
            .map(|run| Row::new(&m, run, Outcome::from_values([run as f64; 6]), Vec::new()))
            .collect();
        let s = summarize(&m, &rows);
        assert_eq!(s.points.len(), 6);
        // Point 1 holds runs 3, 4, 5.
        assert_eq!(s.points[1].estimates[0].mean, 4.0);
        assert_eq!(s.points[1].values, ["2", "redis"]);
    }

    /// A sweep over `description` whose values hold a newline, a comma and a quote.
    fn awkward() -> Meta {
        let mut meta = Meta {
            axes: vec![Axis {
                path: "description".into(),
                values: vec!["a\nb".into(), "c,d".into(), "e\"f".into()],
            }],
            seeds: 1,
            ..meta(None)
        };
        meta.runs = meta.own_runs().len();
        meta
    }

    #[test]
    fn values_with_newlines_commas_and_quotes_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CSV_FILE);
        let m = awkward();
        let rows: Vec<Row> = (0..3)
            .map(|run| Row::new(&m, run, Outcome::from_values([run as f64; 6]), Vec::new()))
            .collect();
        // The writer quotes each value, doubling the quote: "a\nb", "c,d", "e""f".
        assert_eq!(rows[0].line, "0,0,10,\"a\nb\",0,0,0,0,0,0\n");
        assert_eq!(rows[2].line, "2,2,10,\"e\"\"f\",2,2,2,2,2,2\n");
        fs::write(&path, csv_bytes(&m, &rows)).unwrap();
        assert_eq!(read_rows(&path, &m, false).unwrap(), rows);
    }

    #[test]
    fn a_row_killed_inside_a_quoted_newline_is_cut_on_resume_and_refused_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CSV_FILE);
        let m = awkward();
        let whole = |run| Row::new(&m, run, Outcome::from_values([1.0; 6]), Vec::new());
        let (first, second) = (whole(1), whole(0));
        // Killed just after the newline inside "a\nb": the file ends in a newline, yet the row
        // is unfinished (its quote is open).
        let kept = format!("{}{}", header_line(&m), first.line);
        fs::write(&path, format!("{kept}0,0,10,\"a\n")).unwrap();
        let e = read_rows(&path, &m, false).unwrap_err();
        assert!(e.to_string().contains("ends in the middle of a row"), "{e}");
        assert_eq!(
            read_rows(&path, &m, true).unwrap(),
            std::slice::from_ref(&first)
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), kept);
        // A complete row after it reads as usual.
        fs::write(&path, format!("{kept}{}", second.line)).unwrap();
        assert_eq!(read_rows(&path, &m, false).unwrap(), [second, first]);
    }

    #[test]
    fn an_edited_row_that_still_parses_is_caught_by_the_checksum_only() {
        let m = meta(None);
        let row = Row::new(
            &m,
            7,
            Outcome::from_values([1.0, 2.0, 3.5, 4.25, 5.0, 6.0]),
            Vec::new(),
        );
        // CRC-32 (IEEE) of "7,2,11,3,in-memory,1,2,3.5,4.25,5,6\n", as zlib.crc32 gives it.
        assert_eq!(rows_crc32(std::slice::from_ref(&row)), "cdd3c8cb");
        let edited = Row::new(
            &m,
            7,
            Outcome::from_values([1.0, 2.0, 3.5, 4.25, 5.0, 7.0]),
            Vec::new(),
        );
        assert_ne!(rows_crc32(&[edited]), "cdd3c8cb");
    }

    #[test]
    fn a_sweep_json_without_a_checksum_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let m = meta(None);
        let text = String::from_utf8(m.bytes()).unwrap();
        assert!(!text.contains("rows_crc32"), "{text}");
        fs::write(dir.path().join(META_FILE), &text).unwrap();
        assert_eq!(Meta::read(dir.path()).unwrap(), m);
        let rows = vec![Row::new(&m, 0, Outcome::from_values([0.0; 6]), Vec::new())];
        let done = m.finished(&rows);
        assert!(String::from_utf8(done.bytes())
            .unwrap()
            .contains("\"rows_crc32\": \""));
        assert_eq!(done.unfinished(), m);
    }

    #[test]
    fn fails_to_read_a_sweep_json_whose_runs_cannot_be_counted() {
        let dir = tempfile::tempdir().unwrap();
        let wrong = |edit: &dyn Fn(&mut Meta)| {
            let mut m = meta(None);
            edit(&mut m);
            fs::write(dir.path().join(META_FILE), m.bytes()).unwrap();
            Meta::read(dir.path()).unwrap_err().to_string()
        };
        assert!(wrong(&|m| m.seeds = 0).contains("`seeds` must be at least 1"));
        assert!(wrong(&|m| m.axes[0].values.clear()).contains("has no values"));
        assert!(wrong(&|m| m.shard = Some(Shard { index: 2, count: 2 })).contains("not a shard"));
        assert!(wrong(&|m| m.first_seed = u64::MAX).contains("past the largest seed"));
        assert!(wrong(&|m| m.runs = 5).contains("the grid has 18"));
        assert!(
            wrong(&|m| m.axes[0].values = (0..20_000).map(|i| i.to_string()).collect())
                .contains("more than the 100000 runs")
        );
    }
}
