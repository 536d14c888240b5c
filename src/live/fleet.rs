//! The supervisor: starts Redis, the instances and HAProxy, applies the scenario's events to
//! the real processes while the load generator runs, and records what the fleet did.
//!
//! It runs on the main thread (children are spawned only from it, see `children`) as a loop
//! with a 100 ms tick: due events are applied, every 500 ms HAProxy's server states and the
//! instances' `/metrics` are read, and pending work (a crash's detection and replacement, a
//! rolling deploy's next step, a drained instance's termination) moves on.
//!
//! | scenario | real action |
//! |---|---|
//! | `crash` | SIGKILL of the picked instances' processes |
//! | `instances.replace` | a new process once HAProxy marks the dead one DOWN |
//! | `rolling-deploy` | new processes (`max_surge` at a time), then `set server … state maint` on as many old ones, which are killed once idle or after `deregistration_delay` |
//! | `redis-outage` | `SAVE`, then SIGKILL of redis-server (connections are refused meanwhile); when it ends, a new redis-server on the same port loads the saved data, or starts empty with `data_loss` |
//! | `boot_time` | the instance process sleeps before it listens |
//! | `autoscaler` | every `interval`, the instances' `/metrics` are scraped into the model's policy (see `autoscale`); its decision launches or drains processes |
//! | `scale` | the desired count is set: new processes for the missing ones, the surplus drained (booting ones first, then by `scale_in_pick`) |

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::autoscale::{LiveScaler, Seen};
use super::children::Children;
use super::haproxy;
use super::http;
use super::instance::Scrape;
use super::store::Store;
use crate::engine::{stream, stream_key, Rng};
use crate::metrics::{LaunchCause, TerminateCause, TimelineEvent};
use crate::scenario::{Action, Pick, ScaleInPick, Scenario, SessionStore};
use rand::RngExt;

/// Where the real programs are looked for.
pub(crate) const HAPROXY: &str = "haproxy";
pub(crate) const REDIS: &str = "redis-server";

/// The file a Redis outage without data loss saves the data to, restored when Redis restarts.
const REDIS_SNAPSHOT: &str = "redis.rdb";

const TICK: Duration = Duration::from_millis(100);
const POLL: Duration = Duration::from_millis(500);
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

/// Why an instance stopped, for attributing lost sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    Crash,
    Deploy,
    ScaleIn,
}

impl Stop {
    /// Why a drained instance was terminated.
    fn cause(self) -> TerminateCause {
        match self {
            Stop::ScaleIn => TerminateCause::ScaleIn,
            Stop::Crash | Stop::Deploy => TerminateCause::Deploy,
        }
    }
}

/// Something the fleet did, at a time in nanoseconds since the load started.
#[derive(Clone, Debug)]
pub(crate) enum Happened {
    Launched(LaunchCause),
    Crashed,
    Terminated(TerminateCause),
    Timeline(TimelineEvent),
    /// The desired instance count changed (autoscaler decision or `scale` event).
    Scaled {
        from: u32,
        to: u32,
    },
}

/// The fleet's state at a poll.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sample {
    pub(crate) t_ns: u64,
    pub(crate) ready: u32,
    pub(crate) alive: u32,
    pub(crate) booting: u32,
    pub(crate) draining: u32,
    pub(crate) desired: u32,
    pub(crate) busy: u64,
    pub(crate) capacity: u64,
}

/// What the supervisor recorded.
#[derive(Debug, Default)]
pub(crate) struct FleetLog {
    pub(crate) happened: Vec<(u64, Happened)>,
    pub(crate) samples: Vec<Sample>,
    /// Per instance: when and why it stopped.
    pub(crate) stops: Vec<Option<(u64, Stop)>>,
    pub(crate) launched: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Unused,
    /// Started, not yet in HAProxy's rotation.
    Booting,
    Up,
    Draining {
        since: Duration,
        why: Stop,
    },
    Gone,
}

struct Slot {
    port: u16,
    proc: Option<usize>,
    life: Life,
    /// Enabled in HAProxy (out of maintenance).
    enabled: bool,
    crashed_at: Option<Duration>,
    load: u64,
    /// When it entered HAProxy's rotation (the autoscaler's warm-up counts from there).
    ready_at: Option<Duration>,
    /// When its `/metrics` last answered: the response times of the next scrape are those
    /// answered since.
    scraped_at: Option<Duration>,
}

struct Deploy {
    max_surge: u32,
    max_unavailable: u32,
    old: Vec<usize>,
    batch: Vec<usize>,
}

/// The running fleet.
pub(crate) struct Fleet {
    scenario: Scenario,
    pub(crate) children: Children,
    pub(crate) dir: PathBuf,
    spec: PathBuf,
    sets: Vec<String>,
    slots: Vec<Slot>,
    pub(crate) balancer: SocketAddr,
    socket: PathBuf,
    redis: Option<(u16, usize)>,
    pub(crate) config: String,
    log: FleetLog,
    rng: Rng,
    deploys: Vec<Deploy>,
    /// Redis outages under way: (end, data_loss).
    outages: Vec<(Duration, bool)>,
    desired: u32,
    scaler: Option<LiveScaler>,
}

/// Ports nobody listens on now, distinct.
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .context("cannot find free ports on 127.0.0.1")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// How many instance processes the run may start: the initial fleet, a replacement per crashed
/// instance, the launches of `scale` events, a new fleet per rolling deploy, and what the
/// autoscaler can add (`max_step` per evaluation, never more than `max` at once).
pub(crate) fn slots_needed(scenario: &Scenario) -> usize {
    let count = scenario.instances.count as usize;
    let mut crashes = 0;
    let mut deploys = 0;
    let mut scaled = 0;
    for e in &scenario.events {
        match e.action {
            Action::Crash { count, .. } => crashes += count as usize,
            Action::RollingDeploy { .. } => deploys += 1,
            Action::Scale { to } => scaled += to as usize,
            _ => {}
        }
    }
    let autoscaled = scenario.autoscaler.as_ref().map_or(0, |a| {
        let evaluations = scenario.duration.as_nanos() / a.interval.as_nanos().max(1);
        let step = a.scale_up.max_step.min(a.max) as usize;
        (evaluations as usize).saturating_mul(step)
    });
    let fleet = count + crashes + scaled + autoscaled;
    fleet + deploys * fleet
}

/// Polls `what` until it holds or `limit` passes.
fn wait_for(limit: Duration, mut what: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if what() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Fleet {
    /// What [`Fleet::start`] will start, one line each.
    pub(crate) fn plan(scenario: &Scenario) -> Vec<String> {
        let mut lines = Vec::new();
        if scenario.sessions.store == SessionStore::Redis {
            lines.push(format!(
                "{REDIS} on a free port of 127.0.0.1 (no persistence)"
            ));
        }
        lines.push(format!(
            "{} instance processes (`fleetsim live-instance`), up to {} over the run",
            scenario.instances.count,
            slots_needed(scenario)
        ));
        lines.push(format!(
            "{HAPROXY} in the foreground, with a generated haproxy.cfg, on a free port of 127.0.0.1"
        ));
        lines
    }

    /// Starts every process and waits until the fleet answers through HAProxy. `spec` is the
    /// scenario file the instances load, with `sets` applied.
    pub(crate) fn start(
        scenario: &Scenario,
        spec: &Path,
        sets: &[String],
        dir: &Path,
    ) -> Result<Fleet> {
        let n = slots_needed(scenario);
        let ports = free_ports(n + 2)?;
        let mut fleet = Fleet {
            scenario: scenario.clone(),
            children: Children::new()?,
            dir: dir.to_owned(),
            spec: spec.to_owned(),
            sets: sets.to_vec(),
            slots: ports[2..]
                .iter()
                .map(|&port| Slot {
                    port,
                    proc: None,
                    life: Life::Unused,
                    enabled: false,
                    crashed_at: None,
                    load: 0,
                    ready_at: None,
                    scraped_at: None,
                })
                .collect(),
            balancer: addr(ports[0]),
            socket: dir.join("haproxy.sock"),
            redis: None,
            config: String::new(),
            log: FleetLog::default(),
            rng: stream(scenario.seed, stream_key("live-faults"), 0),
            deploys: Vec::new(),
            outages: Vec::new(),
            desired: scenario.instances.count,
            scaler: scenario.autoscaler.as_ref().map(|a| LiveScaler::new(a, n)),
        };
        if scenario.sessions.store == SessionStore::Redis {
            fleet.start_redis(ports[1])?;
        }
        for i in 0..scenario.instances.count as usize {
            fleet.launch(i, true)?;
        }
        for i in 0..scenario.instances.count as usize {
            let port = fleet.slots[i].port;
            if !wait_for(Duration::from_secs(10), || {
                http::probe(addr(port), "/health", PROBE_TIMEOUT).is_ok()
            }) {
                bail!("instance {i} did not answer on 127.0.0.1:{port} within 10 s (see instance-{i}.log)");
            }
            fleet.slots[i].life = Life::Up;
            fleet.slots[i].enabled = true;
            fleet.slots[i].ready_at = Some(Duration::ZERO);
        }
        let ports: Vec<u16> = fleet.slots.iter().map(|s| s.port).collect();
        fleet.config = haproxy::config(
            scenario,
            fleet.balancer.port(),
            &ports,
            scenario.instances.count as usize,
            &fleet.socket,
        );
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, &fleet.config)
            .with_context(|| format!("cannot write {}", cfg.display()))?;
        fleet.children.spawn(
            "haproxy",
            Command::new(HAPROXY).arg("-db").arg("-f").arg(&cfg),
            &dir.join("haproxy.log"),
        )?;
        let lb = fleet.balancer;
        if !wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(lb).is_ok() && fleet.socket.exists()
        }) {
            bail!(
                "HAProxy did not listen on {lb} within 10 s; its output:\n{}",
                std::fs::read_to_string(dir.join("haproxy.log")).unwrap_or_default()
            );
        }
        Ok(fleet)
    }

    fn start_redis(&mut self, port: u16) -> Result<()> {
        let index = self.children.spawn(
            "redis-server",
            Command::new(REDIS).args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                &self.dir.to_string_lossy(),
                "--dbfilename",
                REDIS_SNAPSHOT,
            ]),
            &self.dir.join("redis.log"),
        )?;
        self.redis = Some((port, index));
        if !wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(addr(port)).is_ok()
        }) {
            bail!("redis-server did not listen on 127.0.0.1:{port} within 10 s (see redis.log)");
        }
        Ok(())
    }

    /// Starts the process of slot `i`.
    fn launch(&mut self, i: usize, initial: bool) -> Result<()> {
        let exe = std::env::current_exe().context("cannot find the fleetsim binary")?;
        let mut command = Command::new(exe);
        command
            .arg("live-instance")
            .arg(&self.spec)
            .args(["--seed", &self.scenario.seed.to_string()])
            .args(["--index", &i.to_string()])
            .args(["--port", &self.slots[i].port.to_string()]);
        for set in &self.sets {
            command.arg("--set").arg(set);
        }
        if let Some((port, _)) = self.redis {
            command.args(["--redis-port", &port.to_string()]);
        }
        if initial {
            command.arg("--initial");
        }
        let proc = self.children.spawn(
            &format!("instance {i}"),
            &mut command,
            &self.dir.join(format!("instance-{i}.log")),
        )?;
        self.slots[i].proc = Some(proc);
        self.slots[i].life = Life::Booting;
        self.log.stops.resize(self.log.stops.len().max(i + 1), None);
        self.log.launched = self.log.launched.max(i + 1);
        Ok(())
    }

    fn next_free_slot(&self) -> Result<usize> {
        self.slots
            .iter()
            .position(|s| s.life == Life::Unused)
            .context("internal: no instance slot left")
    }

    fn record(&mut self, now: Duration, what: Happened) {
        self.log.happened.push((now.as_nanos() as u64, what));
    }

    /// Starts a new instance for `cause`.
    fn launch_new(&mut self, now: Duration, cause: LaunchCause) -> Result<usize> {
        let i = self.next_free_slot()?;
        self.launch(i, false)?;
        self.record(now, Happened::Launched(cause));
        Ok(i)
    }

    /// Runs the scenario's events against the fleet from `start` until `done` says the load
    /// has finished; returns the log.
    pub(crate) fn supervise(
        mut self,
        start: Instant,
        done: impl Fn() -> bool,
    ) -> Result<(FleetLog, Children, String)> {
        for _ in 0..self.scenario.instances.count {
            self.record(Duration::ZERO, Happened::Launched(LaunchCause::Initial));
        }
        let events = self.scenario.events.clone();
        let mut next_event = 0;
        let mut last_poll: Option<Duration> = None;
        while !done() {
            let now = start.elapsed();
            while let Some(e) = events.get(next_event) {
                if Duration::from_nanos(e.at.0) > now {
                    break;
                }
                self.apply(now, &e.action)?;
                next_event += 1;
            }
            self.end_outages(now)?;
            if self.scaler.as_ref().is_some_and(|a| now >= a.next) {
                self.autoscale(now)?;
            }
            if last_poll.is_none_or(|t| now >= t + POLL) {
                last_poll = Some(now);
                self.poll(now)?;
            }
            std::thread::sleep(TICK);
        }
        let now = start.elapsed();
        self.poll(now)?;
        let haproxy_log = std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default();
        Ok((self.log, self.children, haproxy_log))
    }

    fn apply(&mut self, now: Duration, action: &Action) -> Result<()> {
        match *action {
            Action::Crash { count, pick } => {
                let mut hit = Vec::new();
                for _ in 0..count {
                    let live: Vec<usize> = (0..self.slots.len())
                        .filter(|&i| {
                            matches!(self.slots[i].life, Life::Up | Life::Booting)
                                && !hit.contains(&i)
                        })
                        .collect();
                    let victim = match pick {
                        Pick::Oldest => live.first().copied(),
                        Pick::Index(n) => live.iter().copied().find(|&i| i == n as usize),
                        Pick::Random if !live.is_empty() => {
                            Some(live[self.rng.random_range(0..live.len())])
                        }
                        Pick::Random => None,
                        Pick::Busiest => live
                            .iter()
                            .copied()
                            .max_by_key(|&i| (self.slots[i].load, std::cmp::Reverse(i))),
                    };
                    let Some(i) = victim else { break };
                    if let Some(p) = self.slots[i].proc {
                        self.children.get(p).signal(libc::SIGKILL);
                    }
                    self.slots[i].life = Life::Gone;
                    self.slots[i].crashed_at = Some(now);
                    self.log.stops[i] = Some((now.as_nanos() as u64, Stop::Crash));
                    self.record(now, Happened::Crashed);
                    hit.push(i);
                }
                let instances = hit.iter().map(|&i| i as u32).collect();
                self.record(now, Happened::Timeline(TimelineEvent::Crash { instances }));
            }
            Action::RollingDeploy {
                max_surge,
                max_unavailable,
            } => {
                let old = (0..self.slots.len())
                    .filter(|&i| matches!(self.slots[i].life, Life::Up | Life::Booting))
                    .collect();
                self.record(
                    now,
                    Happened::Timeline(TimelineEvent::RollingDeploy {
                        max_surge,
                        max_unavailable,
                    }),
                );
                self.deploys.push(Deploy {
                    max_surge,
                    max_unavailable,
                    old,
                    batch: Vec::new(),
                });
            }
            Action::RedisOutage {
                duration,
                data_loss,
            } => {
                if let Some((port, index)) = self.redis {
                    // The store goes down (connections refused, as the model's "unreachable"),
                    // its data saved first unless the outage loses it.
                    let snapshot = self.dir.join(REDIS_SNAPSHOT);
                    let _ = std::fs::remove_file(&snapshot);
                    if !data_loss {
                        Store::new(port, Duration::from_secs(5))
                            .save()
                            .context("redis-server did not save its data before the outage")?;
                    }
                    self.children.kill(index);
                }
                self.outages
                    .push((now + Duration::from_nanos(duration.as_nanos()), data_loss));
                self.record(
                    now,
                    Happened::Timeline(TimelineEvent::RedisOutage {
                        duration,
                        data_loss,
                    }),
                );
            }
            Action::Scale { to } => {
                self.record(now, Happened::Timeline(TimelineEvent::Scale { to }));
                self.set_desired(now, to)?;
            }
            // Refused before the run starts (see `refusals`).
            _ => bail!("internal: an event the live fleet cannot apply reached it"),
        }
        Ok(())
    }

    fn end_outages(&mut self, now: Duration) -> Result<()> {
        let (ended, going): (Vec<_>, Vec<_>) =
            self.outages.iter().partition(|(end, _)| *end <= now);
        self.outages = going;
        for (_, data_loss) in ended {
            let Some((port, _)) = self.redis else {
                continue;
            };
            if data_loss {
                let _ = std::fs::remove_file(self.dir.join(REDIS_SNAPSHOT));
            }
            self.start_redis(port)?;
        }
        Ok(())
    }

    /// Reads HAProxy's view and the instances' load, and moves pending work on.
    fn poll(&mut self, now: Duration) -> Result<()> {
        let statuses = haproxy::statuses(&self.socket).unwrap_or_default();
        let status = |i: usize| {
            statuses
                .iter()
                .find(|(s, _)| *s as usize == i)
                .map(|(_, st)| st.as_str())
        };
        let mut sample = Sample {
            t_ns: now.as_nanos() as u64,
            desired: self.desired,
            ..Sample::default()
        };
        let workers = u64::from(self.scenario.instances.workers);
        let replace = self.scenario.instances.replace;
        let mut replacements = 0;
        for i in 0..self.slots.len() {
            let st = status(i).unwrap_or("");
            let life = self.slots[i].life;
            // A crash is detected when HAProxy takes the server out of rotation.
            if self.slots[i].crashed_at.is_some() && (st.starts_with("DOWN") || st == "MAINT") {
                self.slots[i].crashed_at = None;
                self.record(
                    now,
                    Happened::Timeline(TimelineEvent::MarkedDown {
                        instance: i as u32,
                        replaced: replace,
                    }),
                );
                replacements += usize::from(replace);
            }
            match life {
                Life::Booting => {
                    sample.alive += 1;
                    sample.booting += 1;
                    if !self.slots[i].enabled
                        && http::probe(addr(self.slots[i].port), "/health", PROBE_TIMEOUT).is_ok()
                    {
                        haproxy::command(
                            &self.socket,
                            &format!("set server {}/i{i} state ready", haproxy::BACKEND),
                        )?;
                        self.slots[i].enabled = true;
                    } else if self.slots[i].enabled && haproxy::in_rotation(st) {
                        self.slots[i].life = Life::Up;
                        self.slots[i].ready_at = Some(now);
                    }
                }
                Life::Up | Life::Draining { .. } => {
                    sample.alive += 1;
                    let Scrape { busy, waiting, .. } = self.metrics(i, now).unwrap_or_default();
                    self.slots[i].load = busy + waiting;
                    sample.busy += busy;
                    sample.capacity += workers;
                    if life == Life::Up && haproxy::in_rotation(st) {
                        sample.ready += 1;
                    }
                    if let Life::Draining { since, why } = life {
                        sample.draining += 1;
                        let grace = Duration::from_nanos(
                            self.scenario.balancer.deregistration_delay.as_nanos(),
                        );
                        if busy + waiting == 0 || now >= since + grace {
                            if let Some(p) = self.slots[i].proc {
                                self.children.kill(p);
                            }
                            self.slots[i].life = Life::Gone;
                            self.log.stops[i] = Some((now.as_nanos() as u64, why));
                            self.record(now, Happened::Terminated(why.cause()));
                        }
                    }
                }
                Life::Unused | Life::Gone => {}
            }
        }
        for _ in 0..replacements {
            self.launch_new(now, LaunchCause::Replacement)?;
        }
        self.step_deploys(now)?;
        self.log.samples.push(sample);
        Ok(())
    }

    /// What instance `i`'s `/metrics` says; `None` if it does not answer. The response times
    /// it hands over (those since its previous scrape) go to the autoscaler.
    fn metrics(&mut self, i: usize, now: Duration) -> Option<Scrape> {
        let scrape = match http::probe(addr(self.slots[i].port), "/metrics", PROBE_TIMEOUT) {
            Ok((200, body)) => Scrape::parse(&body),
            _ => return None,
        };
        let slot = &mut self.slots[i];
        // The response times span the time since the previous scrape (or since it entered
        // rotation): they count if all of that span is past the warm-up, as the model counts
        // each completion past it. An instance therefore starts to count at the first scrape
        // after its warm-up ends, up to one poll late, never early.
        let since = slot.scraped_at.or(slot.ready_at);
        slot.scraped_at = Some(now);
        if let Some(scaler) = self.scaler.as_mut() {
            let warmup = scaler.warmup();
            let past_warmup = slot
                .ready_at
                .zip(since)
                .is_some_and(|(ready, since)| ready + warmup <= since);
            scaler.record_latencies(&scrape, past_warmup);
        }
        Some(scrape)
    }

    /// Takes instance `i` out of HAProxy's rotation; it is stopped once idle (see `poll`).
    fn drain(&mut self, now: Duration, i: usize, why: Stop) -> Result<()> {
        haproxy::command(
            &self.socket,
            &format!("set server {}/i{i} state maint", haproxy::BACKEND),
        )?;
        self.slots[i].life = Life::Draining { since: now, why };
        Ok(())
    }

    /// One autoscaler evaluation: scrape every running instance, decide with the model's
    /// policy, and resize the fleet to the decision.
    fn autoscale(&mut self, now: Duration) -> Result<()> {
        let statuses = haproxy::statuses(&self.socket).unwrap_or_default();
        let warmup = self.scaler.as_ref().map_or(Duration::ZERO, |a| a.warmup());
        let mut seen = vec![Seen::default(); self.slots.len()];
        for (i, s) in seen.iter_mut().enumerate() {
            let (life, ready_at) = (self.slots[i].life, self.slots[i].ready_at);
            if !matches!(life, Life::Up | Life::Draining { .. }) {
                continue;
            }
            let in_rotation = statuses
                .iter()
                .any(|(s, st)| *s as usize == i && haproxy::in_rotation(st));
            *s = Seen {
                scrape: self.metrics(i, now),
                measured: life == Life::Up
                    && in_rotation
                    && ready_at.is_some_and(|t| t + warmup <= now),
            };
        }
        let workers = self.scenario.instances.workers;
        let current = self.desired;
        let Some(scaler) = self.scaler.as_mut() else {
            return Ok(());
        };
        let desired = scaler.evaluate(now, current, &seen, workers);
        if desired == current {
            return Ok(());
        }
        self.set_desired(now, desired)
    }

    /// Sets the desired instance count and launches or drains processes to match it.
    fn set_desired(&mut self, now: Duration, to: u32) -> Result<()> {
        let from = self.desired;
        if to != from {
            self.record(now, Happened::Scaled { from, to });
        }
        self.desired = to;
        // A crashed instance not yet detected holds its place when it will be replaced, so
        // that nothing launches before the platform knows of the crash (as in the model).
        let replace = self.scenario.instances.replace;
        let active = self
            .slots
            .iter()
            .filter(|s| {
                matches!(s.life, Life::Booting | Life::Up) || (replace && s.crashed_at.is_some())
            })
            .count() as u32;
        for _ in active..to {
            self.launch_new(now, LaunchCause::ScaleOut)?;
        }
        for _ in to..active {
            let Some(i) = self.scale_in_victim() else {
                break;
            };
            if self.slots[i].life == Life::Booting {
                // Never served, holds nothing: it just stops.
                if let Some(p) = self.slots[i].proc {
                    self.children.kill(p);
                }
                self.slots[i].life = Life::Gone;
                self.log.stops[i] = Some((now.as_nanos() as u64, Stop::ScaleIn));
                self.record(now, Happened::Terminated(TerminateCause::ScaleIn));
            } else {
                self.drain(now, i, Stop::ScaleIn)?;
            }
        }
        Ok(())
    }

    /// The instance a scale-in removes first: one still booting before any serving one, then
    /// by the autoscaler's `scale_in_pick` (newest by default), as the model picks.
    fn scale_in_victim(&self) -> Option<usize> {
        let pick = self
            .scenario
            .autoscaler
            .as_ref()
            .map_or(ScaleInPick::Newest, |a| a.scale_in_pick);
        (0..self.slots.len())
            .filter(|&i| matches!(self.slots[i].life, Life::Booting | Life::Up))
            .min_by_key(|&i| {
                let serving = self.slots[i].life != Life::Booting;
                // Slots are launched in index order: a higher index is a newer instance.
                let order = match pick {
                    ScaleInPick::Newest => usize::MAX - i,
                    ScaleInPick::Oldest => i,
                    ScaleInPick::LeastLoaded => self.slots[i].load as usize,
                };
                (serving, order, usize::MAX - i)
            })
    }

    /// A rolling deploy: `max_surge` new instances at a time; once they are in rotation, as
    /// many old ones drain. With `max_surge: 0`, `max_unavailable` old ones drain first.
    fn step_deploys(&mut self, now: Duration) -> Result<()> {
        let mut finished = Vec::new();
        for d in 0..self.deploys.len() {
            let batch_up = self.deploys[d]
                .batch
                .iter()
                .all(|&i| self.slots[i].life != Life::Booting);
            if !batch_up {
                continue;
            }
            let deploy = &self.deploys[d];
            let done_batch = deploy.batch.len();
            let surge = deploy.max_surge as usize;
            if done_batch > 0 && surge > 0 {
                // The new ones are in rotation: as many old ones drain.
                let k = done_batch.min(self.deploys[d].old.len());
                let drained: Vec<usize> = self.deploys[d].old.drain(..k).collect();
                for i in drained {
                    self.drain(now, i, Stop::Deploy)?;
                }
            }
            self.deploys[d].batch.clear();
            let old_left = self.deploys[d].old.len();
            if old_left == 0 {
                let draining_old = self
                    .slots
                    .iter()
                    .any(|s| matches!(s.life, Life::Draining { .. }));
                if !draining_old {
                    finished.push(d);
                }
                continue;
            }
            let k = if surge > 0 {
                surge.min(old_left)
            } else {
                let k = (self.deploys[d].max_unavailable as usize).clamp(1, old_left);
                let drained: Vec<usize> = self.deploys[d].old.drain(..k).collect();
                for i in drained {
                    self.drain(now, i, Stop::Deploy)?;
                }
                k
            };
            for _ in 0..k {
                let i = self.launch_new(now, LaunchCause::Deploy)?;
                self.deploys[d].batch.push(i);
            }
        }
        for d in finished.into_iter().rev() {
            self.deploys.remove(d);
            self.record(now, Happened::Timeline(TimelineEvent::DeployFinished));
        }
        Ok(())
    }
}
