//! An application instance: a pool of workers in front of a bounded FIFO queue.
//!
//! A request is served by a free worker at once, waits in the queue if all are busy, and is
//! rejected if the queue is full. Everything an instance holds (queue, requests in service,
//! in-memory sessions) dies with it when it crashes.

use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};
use crate::model::ids::{ConnRef, JobRef, RequestRef, TaskRef};
use crate::model::slab::Chain;
use crate::scenario::GroupConfig;

/// Where an instance is in its life:
///
/// ```text
/// Booting ──boot_time──► Up ──(deregistered)──► Draining ──► Terminated
///    └────────────────────┴──────────────(crash)──────────────► Dead
/// ```
///
/// `Up` is not the same as *in rotation*: a booted instance joins the balancer only after
/// `healthy_threshold` passed health checks, and a dead one stays in rotation until detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Life {
    /// Launched; the process is not up yet.
    Booting,
    /// Running and able to serve.
    Up,
    /// Deregistered: finishes what it holds, accepts nothing new.
    Draining,
    /// Stopped on purpose.
    Terminated,
    /// Crashed: refuses connections until it is taken out of rotation.
    Dead,
}

/// Why an instance stopped serving, so that a session found missing can be attributed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    Crash,
    ScaleIn,
    /// Replaced by a newer version in a rolling deploy.
    Deploy,
}

/// An instant that may not have come yet, in 8 bytes where `Option<SimTime>` takes 16. The
/// instants kept here are all before the run's end, never `SimTime::MAX`, which stands for
/// none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Moment(SimTime);

impl Moment {
    pub(crate) const NONE: Moment = Moment(SimTime::MAX);

    /// At `t`, which must be before `SimTime::MAX`.
    #[inline]
    pub(crate) fn at(t: SimTime) -> Moment {
        debug_assert!(t < SimTime::MAX);
        Moment(t)
    }

    #[inline]
    pub(crate) fn get(self) -> Option<SimTime> {
        (self != Self::NONE).then_some(self.0)
    }
}

/// Bytes at the start of an [`Instance`] that hold everything a request reads or writes there
/// (routing, queueing, service, completion): two cache lines.
pub(crate) const HOT: usize = 128;

/// Laid out by hand (`repr(C)`) and aligned to a cache line: its 192 bytes lie on three lines,
/// and what a request reads or writes lies on the first two ([`HOT`] bytes); the third holds
/// what launches, health checks, stops and the report read. A large fleet's records are rarely
/// in cache, and every line touched is a trip to memory: a request asks for two
/// ([`crate::model::fleet::Fleet::prefetch`]). Fields are placed largest first, so that none
/// needs padding.
#[derive(Debug)]
#[repr(C, align(64))]
pub(crate) struct Instance {
    // ── What a request touches (the first HOT bytes) ──
    /// Requests waiting for a worker, oldest first.
    pub(crate) queue: VecDeque<RequestRef>,
    /// ∫ busy workers dt since launch, up to `busy_since`, in worker-nanoseconds (for the CPU
    /// metric and per-group utilization).
    pub(crate) busy_area: u128,
    /// When `busy` last changed.
    pub(crate) busy_since: SimTime,
    /// Requests routed here since launch (for the requests-per-second metric).
    pub(crate) routed: u64,
    /// Service-time divisor (its group's `speed`).
    pub(crate) speed: f64,
    /// Until when the instance serves slower (warm-up after boot).
    pub(crate) warm_at: SimTime,
    /// When the balancer first put it into rotation.
    pub(crate) ready_at: Moment,
    /// What only some scenarios use, allocated on first use: an instance of a fleet without
    /// connections, jobs or gray failures pays a pointer for it.
    pub(crate) extra: Option<Box<Extra>>,
    /// Workers serving a request right now.
    pub(crate) busy: u32,
    /// Concurrent requests (its group's `workers`).
    pub(crate) workers: u32,
    /// Waiting places (its group's `queue`).
    pub(crate) queue_cap: u32,
    /// Every live request sent here (queued, in service, or served blind after its client left),
    /// threaded through the request slab: what a crash fails, without a scan of every request.
    pub(crate) requests: Chain,
    /// Live sessions whose sticky cookie pins them here, threaded through the session slab.
    pub(crate) pinned: Chain,
    /// Live sessions whose in-memory state was written here (`home`).
    pub(crate) homes: u32,
    /// How many requests at the head of `queue` have already timed out (their clients left, but
    /// the instance does not know and will still serve them).
    pub(crate) timed_out: u32,
    pub(crate) life: Life,
    pub(crate) stopped: Option<Stop>,
    /// The queue's timer is armed (a `QueueTimer` is due).
    pub(crate) timer_armed: bool,
    // ── What the rest of its life touches ──
    /// `busy_area` at the start of the measured span (the end of the run's warm-up), once the
    /// busy level first changes after it; zero for an instance launched after it. The measured
    /// span's part is the difference ([`Instance::busy_measured_at`]).
    pub(crate) area_before_measure: u128,
    /// When its process came up (it counts as worker capacity from then on).
    pub(crate) up_at: Moment,
    /// When it crashed or was terminated.
    pub(crate) ended_at: Moment,
    pub(crate) launched_at: SimTime,
    /// Its group (an index into the fleet's groups), whose size it has.
    pub(crate) group: u32,
    /// The release it runs; a rolling deploy replaces older versions.
    pub(crate) version: u32,
    /// Consecutive failed health checks.
    pub(crate) failed_checks: u32,
    /// Consecutive passed health checks.
    pub(crate) passed_checks: u32,
    /// The balancer still health-checks it (a check is due). The checks stop once it drains,
    /// or once its crash is detected.
    pub(crate) checking: bool,
}

/// The part of an instance that only connections, background jobs and gray failures use.
#[derive(Debug)]
pub(crate) struct Extra {
    /// Other work waiting for a worker (handshakes, messages, deliveries), oldest first. A
    /// worker takes whichever of this and `queue` has waited longer.
    pub(crate) tasks: VecDeque<TaskRef>,
    /// Every task here, waiting or in service, threaded through the task slab: what a stop
    /// kills, without a scan of every task.
    pub(crate) held: Chain,
    /// Open long-lived connections held here.
    pub(crate) members: Vec<ConnRef>,
    /// Connections being accepted here (handshakes queued or in service).
    pub(crate) handshaking: u32,
    /// In-process background jobs waiting for one of this instance's job workers, oldest
    /// first.
    pub(crate) job_line: VecDeque<JobRef>,
    /// Job workers running a job right now (apart from the request workers in `busy`).
    pub(crate) job_busy: u32,
    /// Gray failure: service times are multiplied by `slow_factor` until `slow_until`.
    pub(crate) slow_until: SimTime,
    pub(crate) slow_factor: f64,
}

impl Default for Extra {
    fn default() -> Self {
        Extra {
            tasks: VecDeque::new(),
            held: Chain::EMPTY,
            members: Vec::new(),
            handshaking: 0,
            job_line: VecDeque::new(),
            job_busy: 0,
            slow_until: SimTime::ZERO,
            slow_factor: 1.0,
        }
    }
}

impl Instance {
    /// A new instance of `group` (index `group_index`).
    pub(crate) fn new(
        launched_at: SimTime,
        version: u32,
        group_index: u32,
        group: &GroupConfig,
    ) -> Self {
        Instance {
            life: Life::Booting,
            group: group_index,
            workers: group.workers,
            queue_cap: group.queue,
            speed: group.speed,
            up_at: Moment::NONE,
            ended_at: Moment::NONE,
            area_before_measure: 0,
            launched_at,
            version,
            ready_at: Moment::NONE,
            warm_at: launched_at,
            stopped: None,
            busy: 0,
            // Grows with what waits, not with what may: `queue` may be a million places.
            queue: VecDeque::new(),
            requests: Chain::EMPTY,
            pinned: Chain::EMPTY,
            homes: 0,
            timed_out: 0,
            timer_armed: false,
            failed_checks: 0,
            passed_checks: 0,
            checking: true,
            busy_area: 0,
            busy_since: launched_at,
            routed: 0,
            extra: None,
        }
    }

    /// How long `demand` of work takes here if started at `now`: slower while warming up (by
    /// `warmup_slowdown`) and during a gray failure, faster or slower by its group's speed.
    #[inline]
    pub(crate) fn service_time(
        &self,
        demand: SimDuration,
        now: SimTime,
        warmup_slowdown: f64,
    ) -> SimDuration {
        let mut factor = 1.0;
        if now < self.warm_at {
            factor *= warmup_slowdown;
        }
        if let Some(x) = self.extra.as_deref().filter(|x| now < x.slow_until) {
            factor *= x.slow_factor;
        }
        if self.speed != 1.0 {
            factor /= self.speed;
        }
        if factor == 1.0 {
            demand
        } else {
            SimDuration::from_nanos_f64(demand.as_nanos() as f64 * factor)
        }
    }

    /// Sets the busy-worker count at `now`, integrating the previous level. The first change at
    /// or after `measure_from` (the end of the run's warm-up) notes the area up to it.
    #[inline]
    pub(crate) fn set_busy(&mut self, now: SimTime, busy: u32, measure_from: SimTime) {
        if self.busy_since <= measure_from && measure_from <= now {
            self.area_before_measure = self.busy_area_at(measure_from);
        }
        self.busy_area = self.busy_area_at(now);
        self.busy_since = now;
        self.busy = busy;
    }

    /// ∫ busy workers dt from `measure_from` (the end of the run's warm-up) to `now`, in
    /// worker-nanoseconds: the measured span's part of the area, zero for `now` before it.
    pub(crate) fn busy_measured_at(&self, now: SimTime, measure_from: SimTime) -> u128 {
        if now <= measure_from {
            return 0;
        }
        let before = if self.busy_since <= measure_from {
            self.busy_area_at(measure_from)
        } else {
            self.area_before_measure
        };
        self.busy_area_at(now) - before
    }

    /// ∫ busy workers dt up to `now`, in worker-nanoseconds.
    pub(crate) fn busy_area_at(&self, now: SimTime) -> u128 {
        let dt = now.saturating_since(self.busy_since).as_nanos();
        self.busy_area + u128::from(self.busy) * u128::from(dt)
    }

    /// Serves requests it receives (draining ones still finish theirs).
    pub(crate) fn is_up(&self) -> bool {
        matches!(self.life, Life::Up | Life::Draining)
    }

    /// Counts toward the desired capacity: booting or serving, not on its way out.
    pub(crate) fn is_active(&self) -> bool {
        matches!(self.life, Life::Booting | Life::Up)
    }

    /// Exists and is billed.
    pub(crate) fn is_live(&self) -> bool {
        matches!(self.life, Life::Booting | Life::Up | Life::Draining)
    }

    /// Its connections', jobs' and gray failure's part, if any of them has been used.
    #[inline]
    pub(crate) fn extra(&self) -> Option<&Extra> {
        self.extra.as_deref()
    }

    /// Its connections', jobs' and gray failure's part, made on first use.
    #[inline]
    pub(crate) fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Tasks waiting for a worker.
    #[inline]
    pub(crate) fn tasks_waiting(&self) -> usize {
        self.extra().map_or(0, |x| x.tasks.len())
    }

    /// Open long-lived connections held here.
    pub(crate) fn members(&self) -> &[ConnRef] {
        self.extra().map_or(&[], |x| &x.members)
    }

    /// Connections being accepted here.
    pub(crate) fn handshaking(&self) -> u32 {
        self.extra().map_or(0, |x| x.handshaking)
    }

    /// Job workers running a job right now.
    pub(crate) fn job_busy(&self) -> u32 {
        self.extra().map_or(0, |x| x.job_busy)
    }

    /// In-process jobs waiting for a job worker.
    pub(crate) fn jobs_waiting(&self) -> usize {
        self.extra().map_or(0, |x| x.job_line.len())
    }

    /// Work queued or in service: requests, and handshakes, messages and deliveries.
    pub(crate) fn load(&self) -> u32 {
        self.busy + self.queue.len() as u32 + self.tasks_waiting() as u32
    }

    /// Work waiting for a worker, of every kind.
    pub(crate) fn waiting(&self) -> usize {
        self.queue.len() + self.tasks_waiting()
    }

    /// Holds nothing: no work, no open connection, no background job waiting or running. A
    /// draining instance ends when it is.
    pub(crate) fn is_empty(&self) -> bool {
        self.load() == 0 && self.members().is_empty() && !self.holds_jobs()
    }

    /// Gives back the memory of its (empty) lines: it is retired and will not use them.
    pub(crate) fn release_buffers(&mut self) {
        debug_assert!(self.queue.is_empty() && self.tasks_waiting() == 0);
        self.queue = VecDeque::new();
        self.extra = None;
    }

    /// Background jobs wait in its line or run on its job workers.
    pub(crate) fn holds_jobs(&self) -> bool {
        self.job_busy() > 0 || self.jobs_waiting() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_instance_record_stays_small() {
        // Fleets reach hundreds of thousands of instances: what only connections, jobs and gray
        // failures use is boxed, instants take 8 bytes, the queue timer is a flag.
        assert!(
            std::mem::size_of::<Instance>() <= 192,
            "{} bytes",
            std::mem::size_of::<Instance>()
        );
        assert_eq!(std::mem::size_of::<Moment>(), 8);
    }

    #[test]
    fn what_a_request_touches_lies_in_the_first_two_lines() {
        // A request's path (route, queue, service, completion, the CPU metric) reads and writes
        // these; `Fleet::prefetch` loads only the first HOT bytes of a record.
        macro_rules! end_of {
            ($($field:ident),*) => {
                [$((stringify!($field), std::mem::offset_of!(Instance, $field)
                    + size_of_field(|i: &Instance| &i.$field))),*]
            };
        }
        fn size_of_field<T>(_: impl Fn(&Instance) -> &T) -> usize {
            std::mem::size_of::<T>()
        }
        for (field, end) in end_of!(
            queue,
            busy_area,
            busy_since,
            routed,
            speed,
            warm_at,
            ready_at,
            extra,
            busy,
            workers,
            queue_cap,
            requests,
            pinned,
            homes,
            timed_out,
            life,
            stopped,
            timer_armed
        ) {
            assert!(end <= HOT, "{field} ends at byte {end}");
        }
        assert_eq!(std::mem::align_of::<Instance>(), 64);
        assert_eq!(HOT % 64, 0);
    }

    /// Worker-nanoseconds in a worker-microsecond.
    const US: u128 = 1_000;

    fn at(us: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_micros(us)
    }

    #[test]
    fn the_measured_span_counts_busy_time_after_the_warm_up_only() {
        let group = GroupConfig::plain(1, 4, 10);
        let warm = at(100);
        // Launched before the warm-up ends: 2 busy from 40 to 130, 1 busy to 160, idle after.
        let mut inst = Instance::new(at(0), 1, 0, &group);
        inst.set_busy(at(40), 2, warm);
        assert_eq!(inst.busy_measured_at(at(90), warm), 0, "still warming up");
        assert_eq!(inst.busy_measured_at(at(120), warm), 2 * 20 * US);
        inst.set_busy(at(130), 1, warm);
        inst.set_busy(at(160), 0, warm);
        assert_eq!(inst.busy_measured_at(at(200), warm), (2 * 30 + 30) * US);
        assert_eq!(inst.busy_area_at(at(200)), (2 * 90 + 30) * US);
        // Launched after it: everything counts.
        let mut late = Instance::new(at(150), 1, 0, &group);
        late.set_busy(at(150), 3, warm);
        late.set_busy(at(170), 0, warm);
        assert_eq!(late.busy_measured_at(at(300), warm), 3 * 20 * US);
        // No change since before the warm-up ended: the level carries over.
        let mut steady = Instance::new(at(0), 1, 0, &group);
        steady.set_busy(at(10), 1, warm);
        assert_eq!(steady.busy_measured_at(at(250), warm), 150 * US);
    }
}
