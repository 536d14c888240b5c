//! Background jobs: work a request hands off to run later, on job workers apart from the
//! request workers, from a queue in the instance's memory or in Redis.
//!
//! ```text
//!   request starts on instance A ─► enqueue ─┬─ in-process: A's job line ─► A's job workers
//!   (a worker takes it: the handler's first  │   (A stops: line and running jobs are lost)
//!    act, so the job exists even if the      └─ redis: one op on the tier (fails in an outage:
//!    response fails later)                       the request fails `store_unavailable`)
//!                                                ─► the fleet's queue ─► any Up instance's idle
//!                                                job worker, longest idle first; taking is one
//!                                                more op ─► JobDone
//!   a worker dies with a job (redis) ─► invisible ─► JobVisible after `visibility_timeout` ─►
//!   back in the queue, counted redelivered; a data-loss outage wipes the queue and the
//!   invisible jobs
//! ```
//!
//! Jobs live in a slab like tasks: nothing is allocated per job once the run has reached its
//! peak backlog. A job is counted once in `enqueued` and ends once: completed, lost by cause,
//! or waiting or running at the end, however many runs it took.

use std::collections::VecDeque;

use super::*;
use crate::engine::random::mix64;
use crate::metrics::JobLoss;
use crate::model::ids::JobRef;
use crate::scenario::{JobQueue, JobTrigger, JobsConfig};

const JOB_STREAM: u64 = stream_key("jobs");
const JOB_COIN: u64 = stream_key("job-coin");

/// A job, from its enqueue to its end.
pub(crate) struct Job {
    enqueued: SimTime,
    /// Job-worker time, before the instance's slowdowns (drawn once: a second run takes as
    /// long as the first).
    work: SimDuration,
    counted: bool,
    state: JobState,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum JobState {
    /// In a queue: its instance's job line (in-process) or the fleet's Redis queue.
    Waiting,
    /// On a job worker of this instance.
    Running(InstanceId),
    /// Redis: taken by a worker that died; handed out again at its visibility timeout.
    Invisible,
}

/// The job side of the fleet.
pub(crate) struct Jobs<'a> {
    config: &'a JobsConfig,
    seed: u64,
    rng: Rng,
    service_time: DurationSampler,
    slab: Slab<Job>,
    /// Redis: the fleet's queue, oldest first.
    queue: VecDeque<JobRef>,
    /// Redis: one entry per idle job worker of an `Up` instance, longest idle first (as Redis
    /// serves blocked pops). Entries of instances that stopped or drain are skipped lazily.
    idle: VecDeque<InstanceId>,
}

impl<'a> Jobs<'a> {
    pub(super) fn new(config: &'a JobsConfig, seed: u64) -> Self {
        Jobs {
            config,
            seed,
            rng: stream(seed, JOB_STREAM, 0),
            service_time: DurationSampler::new(&config.service_time),
            slab: Slab::default(),
            queue: VecDeque::new(),
            idle: VecDeque::new(),
        }
    }

    fn redis(&self) -> bool {
        self.config.queue == JobQueue::Redis
    }

    /// Whether the request of session `key` with `remaining` requests left (itself included)
    /// enqueues a job. A pure function of the session and the request's place in it, so every
    /// variant of a scenario (and every retry of the request) decides the same.
    pub(super) fn triggers(&self, key: u64, remaining: u32) -> bool {
        match self.config.trigger {
            JobTrigger::Every(k) => remaining.is_multiple_of(k.max(1)),
            JobTrigger::PerRequest(p) => {
                let h = mix64(self.seed ^ mix64(JOB_COIN ^ mix64(key)) ^ u64::from(remaining));
                let unit = (mix64(h) >> 11) as f64 / (1u64 << 53) as f64;
                unit < p
            }
        }
    }

    /// Counted jobs waiting (in a queue or invisible) and running: what the run leaves open.
    pub(super) fn unresolved(&self) -> (u64, u64) {
        let (mut waiting, mut running) = (0, 0);
        for (_, _, j) in self.slab.iter().filter(|(_, _, j)| j.counted) {
            match j.state {
                JobState::Running(_) => running += 1,
                JobState::Waiting | JobState::Invisible => waiting += 1,
            }
        }
        (waiting, running)
    }

    /// Jobs waiting in the Redis queue right now.
    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }
}

/// Why an instance stopped, as a job loss.
fn loss(why: Stop) -> JobLoss {
    match why {
        Stop::Crash => JobLoss::Crash,
        Stop::ScaleIn => JobLoss::ScaleIn,
        Stop::Deploy => JobLoss::Deploy,
    }
}

impl Simulation<'_> {
    /// The request of `sref` starting on `id` enqueues its job, if it has one. Returns the time
    /// this adds to the request (the Redis round trip), or why the request fails.
    pub(super) fn enqueue_job(
        &mut self,
        sref: SessionRef,
        id: InstanceId,
        counted: bool,
    ) -> Result<SimDuration, Cause> {
        let now = self.now;
        let Some(s) = self.sessions.get(sref.slot, sref.generation) else {
            return Ok(SimDuration::ZERO);
        };
        let (key, remaining) = (s.key, s.remaining);
        let Some(jobs) = self.jobs.as_mut() else {
            return Ok(SimDuration::ZERO);
        };
        if !jobs.triggers(key, remaining) {
            return Ok(SimDuration::ZERO);
        }
        let recorder = self.job_recorder.as_mut().expect("jobs have a recorder");
        let mut extra = SimDuration::ZERO;
        if jobs.redis() {
            match self.redis.operation(now) {
                Ok(d) => extra = d,
                Err(RedisDown) => {
                    recorder.enqueue_failed(counted);
                    return Err(Cause::StoreUnavailable);
                }
            }
            recorder.redis_op(counted);
        }
        recorder.enqueued(counted);
        let work = jobs.service_time.sample(&mut jobs.rng);
        let (slot, generation) = jobs.slab.insert(Job {
            enqueued: now,
            work,
            counted,
            state: JobState::Waiting,
        });
        let job = JobRef { slot, generation };
        if jobs.redis() {
            jobs.queue.push_back(job);
            self.dispatch_jobs();
        } else {
            let workers = jobs.config.workers;
            let inst = &mut self.instances[id];
            if inst.job_busy() < workers {
                self.start_job(id, job, SimDuration::ZERO);
            } else {
                inst.extra_mut().job_line.push_back(job);
            }
        }
        Ok(extra)
    }

    /// A job worker of `id` starts `job`, after `take` (the Redis round trip of taking it).
    fn start_job(&mut self, id: InstanceId, job: JobRef, take: SimDuration) {
        let now = self.now;
        let slowdown = self.scenario.instances.warmup.slowdown;
        let Some(jobs) = self.jobs.as_mut() else {
            return;
        };
        let Some(j) = jobs.slab.get_mut(job.slot, job.generation) else {
            return;
        };
        j.state = JobState::Running(id);
        let inst = &mut self.instances[id];
        inst.extra_mut().job_busy += 1;
        let work = inst.service_time(j.work, now, slowdown);
        self.queue.push(now + take + work, Event::JobDone(job));
    }

    /// Redis: idle job workers take waiting jobs, longest idle first, while Redis answers.
    fn dispatch_jobs(&mut self) {
        loop {
            let now = self.now;
            let Some(jobs) = self.jobs.as_mut() else {
                return;
            };
            if jobs.queue.is_empty() {
                return;
            }
            let Some(id) = jobs.idle.pop_front() else {
                return;
            };
            if self.instances.get(id).is_none_or(|i| i.life != Life::Up) {
                continue; // a stale entry: its instance drains or stopped
            }
            let take = match self.redis.operation(now) {
                Ok(d) => d,
                Err(RedisDown) => {
                    // The queue is unreachable: workers wait for Redis (`JobsResume`).
                    jobs.idle.push_front(id);
                    return;
                }
            };
            let job = jobs.queue.pop_front().expect("checked non-empty");
            let counted = jobs
                .slab
                .get(job.slot, job.generation)
                .is_some_and(|j| j.counted);
            if let Some(r) = self.job_recorder.as_mut() {
                r.redis_op(counted);
            }
            self.start_job(id, job, take);
        }
    }

    /// `id` is up: with a Redis queue its job workers start taking jobs.
    pub(super) fn jobs_booted(&mut self, id: InstanceId) {
        let Some(jobs) = self.jobs.as_mut() else {
            return;
        };
        if jobs.redis() {
            for _ in 0..jobs.config.workers {
                jobs.idle.push_back(id);
            }
            self.dispatch_jobs();
        }
    }

    /// A job worker finishes `job`.
    pub(super) fn job_done(&mut self, job: JobRef) {
        let now = self.now;
        let Some(jobs) = self.jobs.as_mut() else {
            return;
        };
        let Some(j) = jobs.slab.remove(job.slot, job.generation) else {
            return; // its worker died meanwhile
        };
        let JobState::Running(id) = j.state else {
            return;
        };
        if let Some(r) = self.job_recorder.as_mut() {
            r.completed(j.counted, now - j.enqueued);
        }
        let inst = &mut self.instances[id];
        inst.extra_mut().job_busy -= 1;
        if jobs.redis() {
            if inst.life == Life::Up {
                jobs.idle.push_back(id);
                self.dispatch_jobs();
            }
        } else if let Some(next) = inst.extra_mut().job_line.pop_front() {
            // In-process: the line is served while the instance lives, draining included.
            self.start_job(id, next, SimDuration::ZERO);
        }
        self.finish_drain_if_empty(id);
    }

    /// `id` stopped (`why`): in-process, its waiting and running jobs are lost; with Redis, its
    /// running jobs become visible again after the visibility timeout.
    pub(super) fn stop_jobs(&mut self, id: InstanceId, why: Stop) {
        let now = self.now;
        let end = self.end;
        let Some(jobs) = self.jobs.as_mut() else {
            return;
        };
        let inst = &mut self.instances[id];
        // Its job workers run exactly `job_busy` jobs (`Running(id)`).
        let (line, running) = match inst.extra.as_deref_mut() {
            Some(x) => (
                std::mem::take(&mut x.job_line),
                std::mem::take(&mut x.job_busy),
            ),
            None => (VecDeque::new(), 0),
        };
        let recorder = self.job_recorder.as_mut().expect("jobs have a recorder");
        for job in line {
            if let Some(j) = jobs.slab.remove(job.slot, job.generation) {
                recorder.lost(j.counted, loss(why));
            }
        }
        if running == 0 {
            return; // no need to look through every job for its running ones
        }
        // Slot order: the same order whatever happened before.
        let running_jobs: Vec<JobRef> = jobs
            .slab
            .iter()
            .filter(|(_, _, j)| j.state == JobState::Running(id))
            .map(|(slot, generation, _)| JobRef { slot, generation })
            .collect();
        debug_assert_eq!(running_jobs.len(), running as usize);
        for job in running_jobs {
            let Some(mut j) = jobs.slab.remove(job.slot, job.generation) else {
                continue;
            };
            if jobs.redis() {
                // Still in Redis's list of jobs taken: handed out again later. A new handle
                // makes the dead worker's `JobDone` stale.
                j.state = JobState::Invisible;
                let (slot, generation) = jobs.slab.insert(j);
                let at = now + jobs.config.visibility_timeout;
                if at < end {
                    self.queue
                        .push(at, Event::JobVisible(JobRef { slot, generation }));
                }
            } else {
                recorder.lost(j.counted, loss(why));
            }
        }
    }

    /// A job taken by a worker that died is handed out again.
    pub(super) fn job_visible(&mut self, job: JobRef) {
        let Some(jobs) = self.jobs.as_mut() else {
            return;
        };
        let Some(j) = jobs.slab.get_mut(job.slot, job.generation) else {
            return; // wiped by a data-loss outage meanwhile
        };
        j.state = JobState::Waiting;
        let counted = j.counted;
        jobs.queue.push_back(job);
        if let Some(r) = self.job_recorder.as_mut() {
            r.redelivered(counted);
        }
        self.dispatch_jobs();
    }

    /// A Redis outage begins now and lasts until `until`: with data loss the queue and the
    /// jobs awaiting redelivery are gone; job workers take jobs again when it is over.
    pub(super) fn jobs_outage(&mut self, until: SimTime, data_loss: bool) {
        let Some(jobs) = self.jobs.as_mut().filter(|j| j.redis()) else {
            return;
        };
        if data_loss {
            let recorder = self.job_recorder.as_mut().expect("jobs have a recorder");
            jobs.queue.clear();
            let wiped: Vec<JobRef> = jobs
                .slab
                .iter()
                .filter(|(_, _, j)| matches!(j.state, JobState::Waiting | JobState::Invisible))
                .map(|(slot, generation, _)| JobRef { slot, generation })
                .collect();
            for job in wiped {
                if let Some(j) = jobs.slab.remove(job.slot, job.generation) {
                    recorder.lost(j.counted, JobLoss::RedisDataLoss);
                }
            }
        }
        if until < self.end {
            self.queue.push(until, Event::JobsResume);
        }
    }

    /// Redis is back: idle job workers take what waits.
    pub(super) fn jobs_resume(&mut self) {
        self.dispatch_jobs();
    }

    /// Jobs waiting in queues now (all of them, for the time series).
    pub(super) fn jobs_waiting(&self) -> u64 {
        let Some(jobs) = &self.jobs else { return 0 };
        let lines: usize = self.instances.iter().map(|(_, i)| i.jobs_waiting()).sum();
        (jobs.queued() + lines) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Dist;

    fn config(trigger: JobTrigger) -> JobsConfig {
        JobsConfig {
            trigger,
            service_time: Dist::Constant {
                value: SimDuration::from_millis(200),
            },
            workers: 2,
            queue: JobQueue::InProcess,
            visibility_timeout: SimDuration::from_secs(30),
        }
    }

    #[test]
    fn every_k_enqueues_one_job_per_k_requests_of_a_session() {
        let c = config(JobTrigger::Every(3));
        let jobs = Jobs::new(&c, 1);
        // A session of 10 requests has 10, 9, …, 1 left at each: 9, 6 and 3 are multiples of
        // 3, so floor(10 / 3) = 3 jobs.
        let enqueuing: Vec<u32> = (1..=10).rev().filter(|&r| jobs.triggers(7, r)).collect();
        assert_eq!(enqueuing, [9, 6, 3]);
    }

    #[test]
    fn per_request_draws_are_fixed_by_the_session_and_hit_their_probability() {
        let c = config(JobTrigger::PerRequest(0.25));
        let jobs = Jobs::new(&c, 1);
        let again = Jobs::new(&c, 1);
        let mut hits = 0u32;
        for key in 0..2_000u64 {
            for remaining in 1..=20u32 {
                let hit = jobs.triggers(key, remaining);
                // The same session and request decide the same in any run (and any retry).
                assert_eq!(hit, again.triggers(key, remaining));
                hits += u32::from(hit);
            }
        }
        // 40,000 draws at p = 0.25: σ = √(0.25 × 0.75 / 40,000) ≈ 0.0022; ±0.01 is 4.6 σ.
        let share = f64::from(hits) / 40_000.0;
        assert!((0.24..0.26).contains(&share), "share {share}");
        // A probability of 0 or 1 is exact.
        let never = config(JobTrigger::PerRequest(0.0));
        let always = config(JobTrigger::PerRequest(1.0));
        let (never, always) = (Jobs::new(&never, 1), Jobs::new(&always, 1));
        assert!((0..1_000).all(|k| !never.triggers(k, 1) && always.triggers(k, 1)));
    }
}
