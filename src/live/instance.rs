//! A live instance: one process of the real fleet, an HTTP server on 127.0.0.1 that behaves as
//! the model's instance does.
//!
//! ```text
//!   HAProxy ──► connection thread ──► admission: a worker slot, or a place in the FIFO
//!                                     queue, or 503 (queue full)
//!                                  ──► session check (memory / Redis GETEX / HS256 token)
//!                                  ──► std::thread::sleep(service time × warm-up slowdown)
//!                                  ──► 200, with the instance's number in `x-instance`
//! ```
//!
//! `workers` slots bound how many requests are in service at once; a request beyond them waits
//! for a slot in arrival order, at most `queue` of them, and one more is refused with 503 and
//! `x-fleetsim: queue-full`. The service time is drawn from the scenario's distribution on the
//! instance's own seeded stream and spent in a blocking sleep on the connection's thread: a busy
//! worker is a sleeping thread, which keeps sub-millisecond service times accurate (an async
//! timer would round them up to its 1 ms tick).
//!
//! Sessions, per `sessions.store`: `in-memory`, a map in this process (gone with it); `redis`,
//! a key `s:<session>` with a real TTL, read and refreshed by one `GETEX` per request; `jwt`, a
//! token set as a cookie at login and verified (HS256) on every request. A request whose
//! session is unknown here is a lost session: the user is logged in again on this instance and
//! the request is answered 401 with `x-fleetsim: session-lost`, as in the model. A Redis that
//! does not answer within 250 ms is unavailable: 503 with `x-fleetsim: store-unavailable`.
//! `/health` answers 200 without a worker (the balancer's checks), `/metrics` the busy workers
//! and queue length now, counters since the instance listened — requests routed to it and
//! busy worker-nanoseconds — which the supervisor differences between two autoscaler
//! evaluations into the model's per-instance sample, and the response times of the requests
//! answered since the previous scrape, which it merges for `p95-latency` (see [`Scrape`]).

use std::collections::HashMap;
use std::io::{BufReader, BufWriter};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;

use super::http::{self, Head};
use super::jwt;
use super::store::Store;
use crate::engine::{stream, stream_key, Rng};
use crate::model::sampling::DurationSampler;
use crate::model::scaling;
use crate::scenario::{Scenario, SessionStore};

/// How long an instance waits for Redis before answering "store unavailable".
pub(crate) const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// Stack of a connection thread: it only parses heads and sleeps.
const THREAD_STACK: usize = 256 * 1024;

/// What an instance process is told by its supervisor.
#[derive(Clone, Debug)]
pub(crate) struct Setup {
    /// Launch number (0 = first launched); the name in `x-instance` and HAProxy's `i<n>`.
    pub(crate) index: u32,
    pub(crate) port: u16,
    pub(crate) redis_port: Option<u16>,
    /// Part of the fleet at the start: no boot delay, no warm-up.
    pub(crate) initial: bool,
}

/// The HS256 key every instance of a run shares.
pub(crate) fn secret(seed: u64) -> Vec<u8> {
    format!("fleetsim-live-{seed}").into_bytes()
}

/// Worker slots and the FIFO queue.
#[derive(Debug)]
struct Slots {
    busy: u32,
    waiting: u32,
    /// Tickets handed to queued requests, and the next one allowed to take a slot.
    issued: u64,
    next: u64,
    /// Busy worker-nanoseconds up to `since`: the integral whose growth over an interval is
    /// the mean busy workers the autoscaler's CPU metric reads, as the model's busy area.
    area_ns: u128,
    since: Instant,
}

impl Slots {
    fn new(now: Instant) -> Self {
        Slots {
            busy: 0,
            waiting: 0,
            issued: 0,
            next: 0,
            area_ns: 0,
            since: now,
        }
    }

    /// Busy worker-nanoseconds up to `now`.
    fn area_at(&self, now: Instant) -> u128 {
        self.area_ns + u128::from(self.busy) * now.saturating_duration_since(self.since).as_nanos()
    }

    /// One more (`+1`) or one less (`-1`) busy worker from now on.
    fn change_busy(&mut self, delta: i32) {
        let now = Instant::now();
        self.area_ns = self.area_at(now);
        self.since = now;
        self.busy = self.busy.saturating_add_signed(delta);
    }
}

/// What `/metrics` answers: gauges at the moment of the scrape, counters since the instance
/// listened, which the supervisor differences between two scrapes, and the response times
/// since the previous scrape, which it merges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scrape {
    pub(crate) busy: u64,
    pub(crate) waiting: u64,
    pub(crate) workers: u64,
    pub(crate) served: u64,
    /// Requests that reached the instance, served or refused (the model's `routed`).
    pub(crate) routed: u64,
    /// Busy worker-nanoseconds.
    pub(crate) busy_ns: u128,
    /// Response times of the requests answered 200 since the previous scrape, as the buckets
    /// of a [`scaling::latency_histogram`]: (the bucket's highest value in µs, count), in
    /// increasing order. Recorded again into a histogram of the same shape, each lands in its
    /// own bucket, so merging instances loses nothing.
    pub(crate) latency_us: Vec<(u64, u64)>,
}

/// The non-empty buckets of `h`: (highest value, count).
pub(crate) fn buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|b| (b.value_iterated_to(), b.count_at_value()))
        .collect()
}

impl Scrape {
    /// The body of `/metrics`: one `name value` line each, then one `latency_us value count`
    /// line per bucket.
    fn render(&self) -> String {
        let mut text = format!(
            "busy {}\nwaiting {}\nworkers {}\nserved {}\nrouted {}\nbusy_ns {}\n",
            self.busy, self.waiting, self.workers, self.served, self.routed, self.busy_ns
        );
        for (us, n) in &self.latency_us {
            text.push_str(&format!("latency_us {us} {n}\n"));
        }
        text
    }

    /// Reads a `/metrics` body; a missing or garbled line reads as 0.
    pub(crate) fn parse(body: &str) -> Scrape {
        let value = |name: &str| -> u128 {
            body.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
                .unwrap_or(0)
        };
        let small = |name: &str| u64::try_from(value(name)).unwrap_or(u64::MAX);
        Scrape {
            busy: small("busy"),
            waiting: small("waiting"),
            workers: small("workers"),
            served: small("served"),
            routed: small("routed"),
            busy_ns: value("busy_ns"),
            latency_us: body
                .lines()
                .filter_map(|l| {
                    let (us, n) = l.strip_prefix("latency_us ")?.trim().split_once(' ')?;
                    Some((us.parse().ok()?, n.trim().parse().ok()?))
                })
                .collect(),
        }
    }
}

struct Shared {
    workers: u32,
    queue: u32,
    slots: Mutex<Slots>,
    freed: Condvar,
    service: DurationSampler,
    rng: Mutex<Rng>,
    slowdown: f64,
    warm_at: Instant,
    store: SessionStore,
    ttl: Duration,
    token_ttl: Duration,
    jwt_verify: Duration,
    secret: Vec<u8>,
    /// Session → when it was last seen (in-memory store).
    sessions: Mutex<HashMap<u64, Instant>>,
    /// Redis's port (redis store).
    redis: Option<u16>,
    index: u32,
    served: AtomicU64,
    routed: AtomicU64,
    /// Response times (µs) of the requests answered 200 since the last `/metrics` scrape.
    latency: Mutex<Histogram<u64>>,
    /// The client's deadline per attempt: an answer later than this is one nobody waits for.
    timeout: Duration,
}

/// Runs the instance until it is killed: sleeps `boot_time` (unless initial), then listens.
pub(crate) fn serve(scenario: &Scenario, setup: &Setup) -> Result<()> {
    let inst = &scenario.instances;
    if !setup.initial {
        std::thread::sleep(Duration::from_nanos(inst.boot_time.as_nanos()));
    }
    let listener = TcpListener::bind(("127.0.0.1", setup.port)).with_context(|| {
        format!(
            "instance {} cannot listen on port {}",
            setup.index, setup.port
        )
    })?;
    let now = Instant::now();
    let warmup = if setup.initial {
        Duration::ZERO
    } else {
        Duration::from_nanos(inst.warmup.duration.as_nanos())
    };
    let shared = Arc::new(Shared {
        workers: inst.workers,
        queue: inst.queue,
        slots: Mutex::new(Slots::new(now)),
        freed: Condvar::new(),
        service: DurationSampler::new(&inst.service_time),
        rng: Mutex::new(stream(
            scenario.seed,
            stream_key("live-service"),
            u64::from(setup.index),
        )),
        slowdown: inst.warmup.slowdown,
        warm_at: now + warmup,
        store: scenario.sessions.store,
        ttl: Duration::from_nanos(scenario.sessions.ttl.as_nanos()),
        token_ttl: Duration::from_nanos(scenario.sessions.token_ttl.as_nanos()),
        jwt_verify: Duration::from_nanos(scenario.sessions.jwt_verify.as_nanos()),
        secret: secret(scenario.seed),
        sessions: Mutex::new(HashMap::new()),
        redis: setup.redis_port,
        index: setup.index,
        served: AtomicU64::new(0),
        routed: AtomicU64::new(0),
        latency: Mutex::new(scaling::latency_histogram()),
        timeout: Duration::from_nanos(scenario.workload.timeout.as_nanos()),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        // A thread that cannot be started drops its connection: HAProxy sees a reset.
        let _ = std::thread::Builder::new()
            .stack_size(THREAD_STACK)
            .spawn(move || connection(stream, &shared));
    }
    Ok(())
}

/// Serves the requests of one keep-alive connection until it closes.
fn connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = BufWriter::new(stream);
    let mut redis = shared.redis.map(|port| Store::new(port, REDIS_TIMEOUT));
    while let Ok(Some(head)) = http::read_request(&mut reader) {
        let received = Instant::now();
        if http::skip_body(&mut reader, head.content_length()).is_err() {
            return;
        }
        let index = shared.index.to_string();
        let result = match head.path() {
            "/health" => http::respond(&mut writer, 200, &[], "ok"),
            "/metrics" => http::respond(&mut writer, 200, &[], &scrape(shared).render()),
            _ => {
                let answer = request(&head, shared, redis.as_mut());
                if answer.status == 200 {
                    record_latency(shared, received.elapsed());
                }
                let mut headers = vec![("x-instance", index.as_str())];
                let cookie;
                if let Some(token) = &answer.token {
                    cookie = format!("tok={token}; Path=/");
                    headers.push(("set-cookie", cookie.as_str()));
                }
                if let Some(why) = answer.failure {
                    headers.push(("x-fleetsim", why));
                }
                http::respond(&mut writer, answer.status, &headers, "")
            }
        };
        if result.is_err() || head.closes() {
            return;
        }
    }
}

struct Answer {
    status: u16,
    failure: Option<&'static str>,
    /// A new token for the client (jwt store: at login and re-login).
    token: Option<String>,
}

impl Answer {
    fn failed(status: u16, why: &'static str, token: Option<String>) -> Self {
        Answer {
            status,
            failure: Some(why),
            token,
        }
    }
}

/// Records the response time of a request answered 200, from its head read to its answer, as
/// the model's autoscaler does: only while the client still waits for it.
fn record_latency(shared: &Shared, took: Duration) {
    if took <= shared.timeout {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        shared
            .latency
            .lock()
            .expect("latency")
            .saturating_record(us);
    }
}

/// The instance's metrics now; the response times recorded since the previous scrape are
/// handed over and forgotten here.
fn scrape(shared: &Shared) -> Scrape {
    let latency_us = {
        let mut h = shared.latency.lock().expect("latency");
        let taken = buckets(&h);
        h.reset();
        taken
    };
    let s = shared.slots.lock().expect("slots");
    Scrape {
        busy: u64::from(s.busy),
        waiting: u64::from(s.waiting),
        workers: u64::from(shared.workers),
        served: shared.served.load(Ordering::Relaxed),
        routed: shared.routed.load(Ordering::Relaxed),
        busy_ns: s.area_at(Instant::now()),
        latency_us,
    }
}

/// One application request: admission, session check, service.
fn request(head: &Head, shared: &Shared, redis: Option<&mut Store>) -> Answer {
    shared.routed.fetch_add(1, Ordering::Relaxed);
    if !admit(shared) {
        return Answer::failed(503, "queue-full", None);
    }
    let answer = match check_session(head, shared, redis) {
        Err(why) => Answer::failed(503, why, None),
        Ok(Session::Lost(token)) => Answer::failed(401, "session-lost", token),
        Ok(Session::Valid(token)) => {
            let demand = {
                let mut rng = shared.rng.lock().expect("rng");
                shared.service.sample(&mut rng)
            };
            let mut hold = Duration::from_nanos(demand.as_nanos());
            if Instant::now() < shared.warm_at {
                hold = hold.mul_f64(shared.slowdown);
            }
            if shared.store == SessionStore::Jwt {
                hold += shared.jwt_verify;
            }
            std::thread::sleep(hold);
            shared.served.fetch_add(1, Ordering::Relaxed);
            Answer {
                status: 200,
                failure: None,
                token,
            }
        }
    };
    release(shared);
    answer
}

/// Takes a worker slot, waiting in line if all are busy; false when the queue is full.
fn admit(shared: &Shared) -> bool {
    let mut s = shared.slots.lock().expect("slots");
    if s.busy < shared.workers && s.waiting == 0 {
        s.change_busy(1);
        return true;
    }
    if s.waiting >= shared.queue {
        return false;
    }
    let ticket = s.issued;
    s.issued += 1;
    s.waiting += 1;
    while !(s.busy < shared.workers && s.next == ticket) {
        s = shared.freed.wait(s).expect("slots");
    }
    s.waiting -= 1;
    s.next += 1;
    s.change_busy(1);
    drop(s);
    // The next in line may find a slot too.
    shared.freed.notify_all();
    true
}

fn release(shared: &Shared) {
    shared.slots.lock().expect("slots").change_busy(-1);
    shared.freed.notify_all();
}

enum Session {
    /// Known here (or just logged in); a fresh token for the client, if any.
    Valid(Option<String>),
    /// Unknown here: logged in again on this instance.
    Lost(Option<String>),
}

/// Reads the request's session from the store; a login (`x-login`) creates it.
fn check_session(
    head: &Head,
    shared: &Shared,
    redis: Option<&mut Store>,
) -> Result<Session, &'static str> {
    let Some(sid) = head.cookie("sid").and_then(|s| s.parse::<u64>().ok()) else {
        return Ok(Session::Valid(None)); // anonymous: nothing to check
    };
    let login = head.header("x-login").is_some();
    let unix_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let new_token = || {
        Some(jwt::sign(
            &shared.secret,
            sid,
            unix_now + shared.token_ttl.as_secs().max(1),
        ))
    };
    match shared.store {
        SessionStore::InMemory => {
            let now = Instant::now();
            let mut sessions = shared.sessions.lock().expect("sessions");
            let known = sessions
                .get(&sid)
                .is_some_and(|seen| now.duration_since(*seen) <= shared.ttl);
            sessions.insert(sid, now);
            Ok(if login || known {
                Session::Valid(None)
            } else {
                Session::Lost(None)
            })
        }
        SessionStore::Redis => {
            let redis = redis.ok_or("store-unavailable")?;
            let ttl_s = shared.ttl.as_secs().max(1);
            let unavailable = |_| "store-unavailable";
            if login {
                redis.login(sid, ttl_s).map_err(unavailable)?;
                return Ok(Session::Valid(None));
            }
            if redis.touch(sid, ttl_s).map_err(unavailable)? {
                return Ok(Session::Valid(None));
            }
            redis.login(sid, ttl_s).map_err(unavailable)?;
            Ok(Session::Lost(None))
        }
        SessionStore::Jwt => {
            if login {
                return Ok(Session::Valid(new_token()));
            }
            match head
                .cookie("tok")
                .map(|t| jwt::verify(&shared.secret, t, unix_now))
            {
                Some(Ok(sub)) if sub == sid => Ok(Session::Valid(None)),
                // An expired token of a session in good standing is refreshed silently.
                Some(Err(jwt::Refused::Expired)) => Ok(Session::Valid(new_token())),
                _ => Ok(Session::Lost(new_token())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::SocketAddr;

    fn scenario(store: &str) -> Scenario {
        let yaml = format!(
            "name: t\nduration: 1m\nworkload: {{ arrivals: {{ rate: 1 }} }}\ninstances: {{ count: 1, workers: 1, queue: 1, \
             service_time: {{ dist: constant, value: 300ms }} }}\nsessions: {{ store: {store} }}\n"
        );
        crate::scenario::parse_str("t.yaml", &yaml, &[]).unwrap()
    }

    fn start(store: &str) -> SocketAddr {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = scenario(store);
        let setup = Setup {
            index: 3,
            port,
            redis_port: None,
            initial: true,
        };
        std::thread::spawn(move || serve(&s, &setup));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        for _ in 0..200 {
            if TcpStream::connect(addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        addr
    }

    fn get(addr: SocketAddr, headers: &[(&str, &str)]) -> Head {
        let stream = TcpStream::connect(addr).unwrap();
        let mut w = &stream;
        http::get(&mut w, "x", "/", headers).unwrap();
        let mut r = BufReader::new(&stream);
        let head = http::read_response(&mut r).unwrap().unwrap();
        let mut body = Vec::new();
        (&mut r)
            .take(head.content_length() as u64)
            .read_to_end(&mut body)
            .unwrap();
        head
    }

    #[test]
    fn one_worker_one_queue_place_and_the_third_concurrent_request_is_refused() {
        let addr = start("in-memory");
        // Two in flight (300 ms each: one served, one queued), the third finds the queue full.
        let a = std::thread::spawn(move || get(addr, &[]).status());
        std::thread::sleep(Duration::from_millis(50));
        let b = std::thread::spawn(move || get(addr, &[]).status());
        std::thread::sleep(Duration::from_millis(50));
        let third = get(addr, &[]);
        assert_eq!(third.status(), 503);
        assert_eq!(third.header("x-fleetsim"), Some("queue-full"));
        assert_eq!((a.join().unwrap(), b.join().unwrap()), (200, 200));
        let (status, metrics) = http::probe(addr, "/metrics", Duration::from_secs(1)).unwrap();
        assert_eq!(status, 200);
        assert!(
            metrics.contains("busy 0\nwaiting 0\nworkers 1\nserved 2\nrouted 3\n"),
            "{metrics}"
        );
        // Two requests of 300 ms, one after the other on the one worker: 0.6 busy seconds
        // (and a little more for the thread wake-ups).
        let m = Scrape::parse(&metrics);
        let busy_s = m.busy_ns as f64 / 1e9;
        assert!((0.6..0.7).contains(&busy_s), "{busy_s}");
        // Response times of the two answered: the first 300 ms, the second 300 ms in the queue
        // and 300 ms served, less the ~50 ms it came later: about 0.3 s and 0.55 s. The
        // refused third is not a response time.
        let [(first, 1), (second, 1)] = m.latency_us[..] else {
            panic!("two response times: {metrics}");
        };
        assert!((300_000..320_000).contains(&first), "{metrics}");
        assert!((520_000..580_000).contains(&second), "{metrics}");
        // Handed over once: the next scrape has none.
        let (_, again) = http::probe(addr, "/metrics", Duration::from_secs(1)).unwrap();
        assert!(Scrape::parse(&again).latency_us.is_empty(), "{again}");
    }

    #[test]
    fn metrics_read_back_what_they_render() {
        let m = Scrape {
            busy: 3,
            waiting: 1,
            workers: 8,
            served: 120,
            routed: 125,
            busy_ns: 12_345_678_901_234,
            latency_us: vec![(13_007, 40), (61_567, 2)],
        };
        assert_eq!(Scrape::parse(&m.render()), m);
        // `busy` is not read from `busy_ns`, and what is missing reads as 0.
        assert_eq!(
            Scrape::parse("busy_ns 7\nbusy 2\n"),
            Scrape {
                busy: 2,
                busy_ns: 7,
                ..Scrape::default()
            }
        );
    }

    #[test]
    fn response_times_merged_from_rendered_buckets_are_the_histogram_recorded_directly() {
        let mut direct = scaling::latency_histogram();
        let mut merged = scaling::latency_histogram();
        // Three instances, 1 000 response times each from 3 µs to 3 s: thousands of buckets.
        for instance in 0..3u64 {
            let mut own = scaling::latency_histogram();
            for k in 1..=1_000u64 {
                let us = 3 * k * k + 17 * instance;
                own.record(us).unwrap();
                direct.record(us).unwrap();
            }
            let body = Scrape {
                latency_us: buckets(&own),
                ..Scrape::default()
            }
            .render();
            for (us, n) in Scrape::parse(&body).latency_us {
                merged.record_n(us, n).unwrap();
            }
        }
        assert_eq!(merged.len(), 3_000);
        assert_eq!(buckets(&merged), buckets(&direct));
        assert_eq!(
            merged.value_at_quantile(0.95),
            direct.value_at_quantile(0.95)
        );
    }

    #[test]
    fn the_busy_area_integrates_busy_workers_over_time() {
        let t0 = Instant::now();
        let mut s = Slots::new(t0);
        s.busy = 2;
        // Two workers busy for 1.5 s: 3 worker-seconds.
        assert_eq!(s.area_at(t0 + Duration::from_millis(1500)), 3_000_000_000);
    }

    #[test]
    fn a_session_not_logged_in_here_is_lost_and_logged_in_again() {
        let addr = start("in-memory");
        let lost = get(addr, &[("cookie", "sid=9")]);
        assert_eq!(lost.status(), 401);
        assert_eq!(lost.header("x-fleetsim"), Some("session-lost"));
        assert_eq!(lost.header("x-instance"), Some("3"));
        assert_eq!(get(addr, &[("cookie", "sid=9")]).status(), 200);
        let login = get(addr, &[("cookie", "sid=10"), ("x-login", "1")]);
        assert_eq!(login.status(), 200);
    }

    #[test]
    fn a_jwt_login_sets_a_token_that_any_instance_accepts() {
        let addr = start("jwt");
        let login = get(addr, &[("cookie", "sid=5"), ("x-login", "1")]);
        let cookie = login.header("set-cookie").unwrap().to_owned();
        let token = cookie
            .strip_prefix("tok=")
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let with = format!("sid=5; tok={token}");
        assert_eq!(get(addr, &[("cookie", &with)]).status(), 200);
        let forged = format!("sid=6; tok={token}");
        assert_eq!(get(addr, &[("cookie", &forged)]).status(), 401);
    }
}
