//! Running many simulations at once: a rayon pool, an indicatif progress bar.
//!
//! Runs are independent and each is deterministic, so the pool may execute them in any order on
//! any number of threads: results are either gathered by index ([`Runner::map`]) or handed to a
//! sink as they finish ([`Runner::for_each`]) and put in order later. The thread count therefore
//! never changes a result, only how soon it arrives.
//!
//! The model never reads the wall clock (that would make it harder to keep deterministic), so
//! the time a run took is measured out here, by [`timed`].

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ParallelProgressIterator, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use rayon::ThreadPool;

use crate::metrics::Report;

/// Runs `run` (a simulation) and fills its report's wall-clock fields with how long it took.
pub(crate) fn timed(run: impl FnOnce() -> Report) -> Report {
    let started = Instant::now();
    let mut report = run();
    report
        .engine
        .record_wall_time(started.elapsed().as_secs_f64());
    report
}

/// Where runs execute and how progress is shown.
pub(crate) struct Runner {
    pool: ThreadPool,
    quiet: bool,
}

impl Runner {
    /// A pool of `threads` workers (all cores when `None`). The progress bar is drawn only on a
    /// terminal and never when `quiet`.
    pub(crate) fn new(threads: Option<usize>, quiet: bool) -> Result<Self> {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(n) = threads {
            builder = builder.num_threads(n);
        }
        let pool = builder.build().context("cannot start the worker threads")?;
        Ok(Self {
            pool,
            quiet: quiet || !std::io::stderr().is_terminal(),
        })
    }

    /// Worker threads in the pool.
    #[cfg(test)]
    pub(crate) fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// `run(job)` for every job, in parallel; results in the order of `jobs`.
    pub(crate) fn map<J, T, F>(&self, what: &str, jobs: &[J], run: F) -> Vec<T>
    where
        J: Sync,
        T: Send,
        F: Fn(&J) -> T + Sync + Send,
    {
        let bar = self.bar(what, jobs.len());
        let results = self.pool.install(|| {
            jobs.par_iter()
                .progress_with(bar.clone())
                .map(&run)
                .collect()
        });
        bar.finish_and_clear();
        results
    }

    /// `run(job)` for every job, in parallel, handing each result to `sink` as soon as it is
    /// ready (one at a time). Stops at the first error from `sink`; runs already started finish.
    pub(crate) fn for_each<J, T, F, S>(&self, what: &str, jobs: &[J], run: F, sink: S) -> Result<()>
    where
        J: Sync,
        T: Send,
        F: Fn(&J) -> T + Sync + Send,
        S: FnMut(&J, T) -> Result<()> + Send,
    {
        let bar = self.bar(what, jobs.len());
        let sink = Mutex::new(sink);
        let outcome = self.pool.install(|| {
            jobs.par_iter()
                .progress_with(bar.clone())
                .try_for_each(|job| {
                    let result = run(job);
                    let mut sink = sink.lock().unwrap_or_else(|poison| poison.into_inner());
                    (*sink)(job, result)
                })
        });
        bar.finish_and_clear();
        outcome
    }

    fn bar(&self, what: &str, len: usize) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len as u64);
        let style = ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} runs (eta {eta})",
        )
        .expect("the progress template is valid");
        bar.set_style(style);
        bar.set_message(what.to_owned());
        bar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_the_order_of_the_jobs_whatever_the_thread_count() {
        let jobs: Vec<u64> = (0..200).collect();
        for threads in [1, 2, 7] {
            let runner = Runner::new(Some(threads), true).unwrap();
            assert_eq!(runner.threads(), threads);
            let squares = runner.map("test", &jobs, |&j| j * j);
            assert_eq!(squares, jobs.iter().map(|j| j * j).collect::<Vec<_>>());
        }
    }

    #[test]
    fn for_each_hands_every_result_to_the_sink_once() {
        let jobs: Vec<u64> = (0..100).collect();
        let runner = Runner::new(Some(3), true).unwrap();
        let mut seen = Vec::new();
        runner
            .for_each(
                "test",
                &jobs,
                |&j| j + 1,
                |&j, r| {
                    assert_eq!(r, j + 1);
                    seen.push(j);
                    Ok(())
                },
            )
            .unwrap();
        seen.sort_unstable();
        assert_eq!(seen, jobs);
    }

    #[test]
    fn a_sink_error_stops_the_runs() {
        let jobs: Vec<u64> = (0..1000).collect();
        let runner = Runner::new(Some(2), true).unwrap();
        let mut handled = 0;
        let e = runner
            .for_each(
                "test",
                &jobs,
                |&j| j,
                |_, _| {
                    handled += 1;
                    anyhow::ensure!(handled < 5, "disk full");
                    Ok(())
                },
            )
            .unwrap_err();
        assert!(e.to_string().contains("disk full"));
        assert!(handled < 1000);
    }
}
