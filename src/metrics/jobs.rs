//! What became of background jobs and of uploaded files: exact counters, one latency histogram
//! and one row per report window.
//!
//! Two invariants hold for everything that starts after warm-up, and the tests check them:
//!
//! ```text
//!   jobs enqueued = completed + Σ lost + waiting at end + running at end
//!   file reads    = found + Σ failed
//! ```
//!
//! A job handed out again after its worker died (`redelivered`) is still one job: it was
//! enqueued once and ends once, whatever number of runs it took.

use hdrhistogram::Histogram;
use serde::Serialize;

use super::recorder::{latency_histogram, latency_of, to_us};
use super::report::Latency;
use crate::engine::SimDuration;

/// Why a job was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobLoss {
    /// In-process: its instance crashed while the job waited or ran there.
    Crash,
    /// In-process: its instance was scaled in before the job was through.
    ScaleIn,
    /// In-process: its instance was replaced by a rolling deploy before the job was through.
    Deploy,
    /// Redis: an outage with data loss wiped the queue while the job waited in it.
    RedisDataLoss,
}

/// Why a read of an uploaded file failed (the request fails as `file_not_found`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadFailure {
    /// Local disk: the read reached another instance than the one holding the file.
    Elsewhere,
    /// Local disk: the instance holding the file has stopped (crash, scale-in, deploy).
    InstanceGone,
}

/// Jobs enqueued after warm-up and what became of each.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Jobs {
    /// `in-process` or `redis`.
    pub queue: String,
    /// Jobs enqueued (each once, however many times it ran).
    pub enqueued: u64,
    /// Jobs run to the end (once each).
    pub completed: u64,
    pub lost: JobsLost,
    /// Runs handed out again because the worker running them died (Redis queue): each is a
    /// second (or later) run of a job counted once in `enqueued`.
    pub redelivered: u64,
    /// Jobs waiting in a queue (or, Redis, waiting to be handed out again) at the end.
    pub waiting_at_end: u64,
    /// Jobs on a worker at the end.
    pub running_at_end: u64,
    /// Enqueues that failed because Redis was down: the request failed as `store_unavailable`
    /// and no job exists (not part of `enqueued`).
    pub enqueue_failed: u64,
    /// Operations the queue put on the Redis tier: enqueues and takes (zero in-process).
    pub redis_ops: u64,
    /// From enqueue to the end of the run that completed it, in milliseconds.
    pub latency_ms: Latency,
}

impl Jobs {
    /// The accounting invariant every run must satisfy.
    #[cfg(test)]
    pub(crate) fn is_balanced(&self) -> bool {
        self.enqueued
            == self.completed + self.lost.total() + self.waiting_at_end + self.running_at_end
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct JobsLost {
    pub crash: u64,
    pub scale_in: u64,
    pub deploy: u64,
    pub redis_data_loss: u64,
}

impl JobsLost {
    pub(crate) fn total(&self) -> u64 {
        self.crash + self.scale_in + self.deploy + self.redis_data_loss
    }
}

/// Files uploaded by sessions that started after warm-up, and their reads.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Files {
    /// `local` or `shared`.
    pub store: String,
    pub uploaded: u64,
    /// Reads a worker attempted (each is a request of the uploading session).
    pub reads: u64,
    /// Reads that found the file.
    pub found: u64,
    pub failed_reads: FailedReads,
}

impl Files {
    /// The accounting invariant every run must satisfy.
    #[cfg(test)]
    pub(crate) fn is_balanced(&self) -> bool {
        self.reads == self.found + self.failed_reads.total()
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FailedReads {
    /// The read reached another instance than the one holding the file.
    pub elsewhere: u64,
    /// The instance holding the file had stopped.
    pub instance_gone: u64,
}

impl FailedReads {
    pub(crate) fn total(&self) -> u64 {
        self.elsewhere + self.instance_gone
    }
}

/// One report window of job activity (the whole run, warm-up included).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct JobWindowRow {
    /// Jobs waiting in a queue at the end of the window.
    pub waiting: u64,
    /// Jobs completed within the window.
    pub completed: u64,
    /// Jobs lost within the window.
    pub lost: u64,
}

/// Counts job and file activity while the run goes.
pub(crate) struct JobRecorder {
    jobs: Jobs,
    files: Files,
    latency: Histogram<u64>,
    window: JobWindowRow,
    rows: Vec<JobWindowRow>,
}

impl JobRecorder {
    pub(crate) fn new(queue: &str, store: &str) -> Self {
        JobRecorder {
            jobs: Jobs {
                queue: queue.to_owned(),
                ..Jobs::default()
            },
            files: Files {
                store: store.to_owned(),
                ..Files::default()
            },
            latency: latency_histogram(),
            window: JobWindowRow::default(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn enqueued(&mut self, counted: bool) {
        self.jobs.enqueued += u64::from(counted);
    }

    pub(crate) fn enqueue_failed(&mut self, counted: bool) {
        self.jobs.enqueue_failed += u64::from(counted);
    }

    pub(crate) fn redis_op(&mut self, counted: bool) {
        self.jobs.redis_ops += u64::from(counted);
    }

    pub(crate) fn completed(&mut self, counted: bool, latency: SimDuration) {
        self.window.completed += 1;
        if counted {
            self.jobs.completed += 1;
            self.latency.saturating_record(to_us(latency));
        }
    }

    pub(crate) fn lost(&mut self, counted: bool, why: JobLoss) {
        self.window.lost += 1;
        if counted {
            let l = &mut self.jobs.lost;
            *match why {
                JobLoss::Crash => &mut l.crash,
                JobLoss::ScaleIn => &mut l.scale_in,
                JobLoss::Deploy => &mut l.deploy,
                JobLoss::RedisDataLoss => &mut l.redis_data_loss,
            } += 1;
        }
    }

    pub(crate) fn redelivered(&mut self, counted: bool) {
        self.jobs.redelivered += u64::from(counted);
    }

    pub(crate) fn uploaded(&mut self, counted: bool) {
        self.files.uploaded += u64::from(counted);
    }

    /// A read of an uploaded file: found (`None`) or failed by cause.
    pub(crate) fn read(&mut self, counted: bool, failure: Option<ReadFailure>) {
        if !counted {
            return;
        }
        self.files.reads += 1;
        match failure {
            None => self.files.found += 1,
            Some(ReadFailure::Elsewhere) => self.files.failed_reads.elsewhere += 1,
            Some(ReadFailure::InstanceGone) => self.files.failed_reads.instance_gone += 1,
        }
    }

    /// Closes the window with `waiting` jobs in queues.
    pub(crate) fn close_window(&mut self, waiting: u64) {
        let mut row = std::mem::take(&mut self.window);
        row.waiting = waiting;
        self.rows.push(row);
    }

    /// The run's jobs and files sections, and the per-window rows.
    pub(crate) fn finish(mut self, waiting: u64, running: u64) -> (Jobs, Files, Vec<JobWindowRow>) {
        self.jobs.waiting_at_end = waiting;
        self.jobs.running_at_end = running;
        self.jobs.latency_ms = latency_of(&self.latency);
        (self.jobs, self.files, self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_counted_work_reaches_the_summary_but_every_window_sees_it() {
        let mut r = JobRecorder::new("redis", "local");
        r.enqueued(true);
        r.enqueued(false);
        r.completed(true, SimDuration::from_millis(250));
        r.completed(false, SimDuration::from_millis(1));
        r.lost(true, JobLoss::Crash);
        r.read(true, Some(ReadFailure::Elsewhere));
        r.read(true, None);
        r.read(false, Some(ReadFailure::InstanceGone));
        r.close_window(3);
        let (jobs, files, rows) = r.finish(0, 0);
        assert_eq!((jobs.enqueued, jobs.completed, jobs.lost.crash), (1, 1, 1));
        // One counted completion of 250 ms: every percentile is 250 ms (3 significant digits).
        assert!(
            (jobs.latency_ms.p50 - 250.0).abs() < 0.5,
            "{:?}",
            jobs.latency_ms
        );
        assert_eq!(
            (files.reads, files.found, files.failed_reads.elsewhere),
            (2, 1, 1)
        );
        assert!(files.is_balanced());
        assert_eq!(
            rows,
            vec![JobWindowRow {
                waiting: 3,
                completed: 2,
                lost: 1
            }]
        );
    }
}
