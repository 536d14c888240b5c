//! The load generator: the scenario's users, replayed against the real balancer.
//!
//! Sessions arrive by the scenario's arrival process (the model's own, on a seeded stream); each
//! session is a thread with its own keep-alive connection and cookie jar (the balancer's
//! affinity cookie, the session id, a token). It sends its requests one after another, each
//! with the client timeout as its deadline, retries failed attempts with the scenario's backoff
//! (a lost session is not retried, as in the model), thinks between requests, and stops sending
//! when the run ends. A session is one of `workload.client_ips` clients, drawn as the model
//! draws it, and sends from that client's own loopback address (see [`source_address`]), so
//! that HAProxy's `balance source` sees as many distinct clients as the model's IP hash does,
//! NAT skew included. Every attempt becomes one [`Attempt`] record, classified by what came
//! back: 200 success; 401 `session-lost`; 503 `queue-full` or `store-unavailable` from the
//! instance; any other error status from HAProxy (no server, connection refused by a dead one)
//! or a failed connection is `instance_down`; no answer within the timeout is `timeout`.

use std::io::{self, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http;
use crate::engine::{stream, stream_key, SimTime};
use crate::metrics::Cause;
use crate::model::arrivals::Arrivals;
use crate::model::sampling::{CountSampler, DurationSampler};
use crate::scenario::Scenario;
use rand::RngExt;

/// Stack of a session thread: it formats a request head and parses a response head.
const THREAD_STACK: usize = 128 * 1024;

/// One request attempt as the client saw it. Times are nanoseconds since the run started.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt {
    pub(crate) sent_ns: u64,
    pub(crate) done_ns: u64,
    pub(crate) retry: bool,
    /// `None`: success.
    pub(crate) failure: Option<Cause>,
    /// The instance that answered (`x-instance`), if one did.
    pub(crate) instance: Option<u32>,
    /// For a lost session: the instance its state lived on before.
    pub(crate) home: Option<u32>,
    /// The session's number (arrival order).
    pub(crate) session: u32,
}

/// One session: when it arrived and, if it sent all its requests, when it finished.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionLog {
    /// The session's number (arrival order).
    pub(crate) key: u32,
    pub(crate) arrived_ns: u64,
    pub(crate) completed_ns: Option<u64>,
}

/// What the generator observed.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    pub(crate) attempts: Vec<Attempt>,
    pub(crate) sessions: Vec<SessionLog>,
}

/// Runs the workload of `scenario` against `balancer` from `start` until the run's end, then
/// waits for the attempts in flight. Stops sending beyond `max_requests` attempts.
pub(crate) fn generate(
    scenario: &Scenario,
    balancer: SocketAddr,
    start: Instant,
    max_requests: u64,
) -> Observed {
    let end = Duration::from_nanos(scenario.duration.as_nanos());
    let arrivals = Arrivals::new(
        &scenario.workload.arrivals,
        scenario.workload.spike.as_ref(),
    );
    let mut rng = stream(scenario.seed, stream_key("live-arrivals"), 0);
    let observed = Arc::new(Mutex::new(Observed::default()));
    let sent = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    let shared = Arc::new(scenario.clone());
    let mut t = SimTime::ZERO;
    let mut key = 0u32;
    while let Some(next) = arrivals.next_after(t, scenario.end(), &mut rng) {
        t = next;
        let at = Duration::from_nanos(t.0);
        if let Some(wait) = at.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let user = User {
            scenario: Arc::clone(&shared),
            balancer,
            start,
            end,
            key,
            sent: Arc::clone(&sent),
            max_requests,
        };
        let observed = Arc::clone(&observed);
        let spawned = std::thread::Builder::new()
            .stack_size(THREAD_STACK)
            .spawn(move || {
                let (attempts, log) = user.run();
                let mut o = observed.lock().expect("observations");
                o.attempts.extend(attempts);
                o.sessions.push(log);
            });
        if let Ok(handle) = spawned {
            threads.push(handle);
        }
        key += 1;
        // Finished sessions' threads are reaped as we go, so that handles do not pile up.
        if threads.len() > 256 {
            threads.retain(|h| !h.is_finished());
        }
    }
    for handle in threads {
        let _ = handle.join();
    }
    let mut observed = std::mem::take(&mut *observed.lock().expect("observations"));
    observed.sessions.sort_by_key(|s| s.arrived_ns);
    observed.attempts.sort_by_key(|a| (a.sent_ns, a.session));
    observed
}

struct User {
    scenario: Arc<Scenario>,
    balancer: SocketAddr,
    start: Instant,
    end: Duration,
    key: u32,
    sent: Arc<AtomicU64>,
    max_requests: u64,
}

/// The loopback address client number `ip` sends from: 127.0.0.1 onwards through 127.0.0.0/8
/// (all of it reaches this machine on Linux), wrapping before the broadcast address.
pub(crate) fn source_address(ip: u32) -> Ipv4Addr {
    const FIRST: u32 = 0x7F00_0001; // 127.0.0.1
    const SPAN: u32 = (1 << 24) - 2; // 127.0.0.1 ..= 127.255.255.254
    Ipv4Addr::from(FIRST + ip % SPAN)
}

fn sockaddr(ip: Ipv4Addr, port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    }
}

fn os_result(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A TCP connection to `to` from the address `from`, the handshake bounded by `timeout`. The
/// standard library cannot bind a client socket before connecting, hence the system calls.
pub(crate) fn connect_from(
    from: Ipv4Addr,
    to: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let SocketAddr::V4(to) = to else {
        return TcpStream::connect_timeout(&to, timeout);
    };
    // SAFETY: socket(2) has no memory preconditions; the descriptor is owned at once below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    os_result(fd)?;
    // SAFETY: `fd` is a fresh descriptor nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let raw = fd.as_raw_fd();
    let int = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    let one: libc::c_int = 1;
    // The port is chosen at connect(2), by the whole 4-tuple: one source address then serves
    // as many connections as the balancer's port allows, as one NAT gateway does.
    // SAFETY: the option value points to a live c_int of the length given.
    os_result(unsafe {
        libc::setsockopt(
            raw,
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&raw const one).cast(),
            int,
        )
    })?;
    // connect(2) honours the send timeout: it bounds the handshake as connect_timeout does.
    let tv = libc::timeval {
        tv_sec: timeout.as_secs().try_into().unwrap_or(libc::time_t::MAX),
        tv_usec: timeout.subsec_micros().into(),
    };
    let tv_len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: the option value points to a live timeval of the length given.
    os_result(unsafe {
        libc::setsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&raw const tv).cast(),
            tv_len,
        )
    })?;
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let local = sockaddr(from, 0);
    // SAFETY: the address points to a live sockaddr_in of the length given.
    os_result(unsafe { libc::bind(raw, (&raw const local).cast(), len) })?;
    let remote = sockaddr(*to.ip(), to.port());
    // SAFETY: as for bind.
    os_result(unsafe { libc::connect(raw, (&raw const remote).cast(), len) })?;
    Ok(TcpStream::from(fd))
}

/// A session's connection and cookies.
struct Client {
    balancer: SocketAddr,
    /// The client's own loopback address.
    source: Ipv4Addr,
    conn: Option<(TcpStream, BufReader<TcpStream>)>,
    /// Cookies set by responses (`SRV` from HAProxy, `tok` from an instance), name → value.
    jar: Vec<(String, String)>,
}

impl User {
    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn run(self) -> (Vec<Attempt>, SessionLog) {
        let w = &self.scenario.workload;
        let mut rng = stream(
            self.scenario.seed,
            stream_key("live-session"),
            u64::from(self.key),
        );
        let requests = CountSampler::new(&w.session.requests).sample(&mut rng);
        let ip = rng.random_range(0..w.client_ips);
        let think = DurationSampler::new(&w.session.think_time);
        let timeout = Duration::from_nanos(w.timeout.as_nanos());
        let mut log = SessionLog {
            key: self.key,
            arrived_ns: self.now_ns(),
            completed_ns: None,
        };
        let mut attempts = Vec::with_capacity(requests.min(64) as usize);
        let mut client = Client {
            balancer: self.balancer,
            source: source_address(ip),
            conn: None,
            jar: vec![("sid".to_owned(), self.key.to_string())],
        };
        let mut logged_in = false;
        let mut home: Option<u32> = None;
        for _ in 0..requests {
            let mut attempt = 0;
            loop {
                if self.start.elapsed() >= self.end
                    || self.sent.fetch_add(1, Ordering::Relaxed) >= self.max_requests
                {
                    return (attempts, log);
                }
                let sent_ns = self.now_ns();
                let (failure, instance) = client.send(!logged_in, timeout);
                let done_ns = self.now_ns();
                let lost_home = match failure {
                    Some(Cause::SessionLost) => home,
                    _ => None,
                };
                attempts.push(Attempt {
                    sent_ns,
                    done_ns,
                    retry: attempt > 0,
                    failure,
                    instance,
                    home: lost_home,
                    session: self.key,
                });
                match failure {
                    None => {
                        if !logged_in {
                            home = instance;
                        }
                        logged_in = true;
                    }
                    // Logged in again where it landed.
                    Some(Cause::SessionLost) => {
                        logged_in = true;
                        home = instance;
                    }
                    Some(_) => {}
                }
                let retryable = failure.is_some_and(|c| c.is_retryable());
                if retryable && attempt < w.retries {
                    attempt += 1;
                    let backoff = w.retry_backoff.as_nanos() << (attempt - 1).min(20);
                    std::thread::sleep(Duration::from_nanos(backoff));
                    continue;
                }
                break;
            }
            let pause = Duration::from_nanos(think.sample(&mut rng).as_nanos());
            let left = self.end.saturating_sub(self.start.elapsed());
            std::thread::sleep(pause.min(left));
        }
        log.completed_ns = Some(attempts.last().map_or(log.arrived_ns, |a| a.done_ns));
        (attempts, log)
    }
}

impl Client {
    /// Sends one attempt; what failed it (if anything) and the instance that answered.
    fn send(&mut self, login: bool, timeout: Duration) -> (Option<Cause>, Option<u32>) {
        let deadline = Instant::now() + timeout;
        // A kept-alive connection the balancer closed meanwhile fails before any answer: the
        // attempt goes again on a new connection, as browsers do.
        for fresh_try in 0..2 {
            let reused = self.conn.is_some();
            match self.exchange(login, deadline) {
                Ok(answer) => return answer,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    self.conn = None;
                    return (Some(Cause::Timeout), None);
                }
                Err(_) if reused && fresh_try == 0 => {
                    self.conn = None;
                }
                Err(_) => {
                    self.conn = None;
                    return (Some(Cause::InstanceDown), None);
                }
            }
        }
        (Some(Cause::InstanceDown), None)
    }

    fn exchange(
        &mut self,
        login: bool,
        deadline: Instant,
    ) -> io::Result<(Option<Cause>, Option<u32>)> {
        let left = |d: Instant| {
            d.checked_duration_since(Instant::now())
                .filter(|l| !l.is_zero())
                .ok_or(io::Error::from(io::ErrorKind::TimedOut))
        };
        if self.conn.is_none() {
            let stream = connect_from(self.source, self.balancer, left(deadline)?)?;
            stream.set_nodelay(true)?;
            let reader = BufReader::new(stream.try_clone()?);
            self.conn = Some((stream, reader));
        }
        let (stream, reader) = self.conn.as_mut().expect("connected above");
        stream.set_write_timeout(Some(left(deadline)?))?;
        let cookies: Vec<String> = self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let cookie = cookies.join("; ");
        let mut headers = vec![("cookie", cookie.as_str())];
        if login {
            headers.push(("x-login", "1"));
        }
        let sid = self.jar[0].1.clone();
        headers.push(("x-session", sid.as_str()));
        http::get(stream, "fleet", "/", &headers)?;
        stream.set_read_timeout(Some(left(deadline)?))?;
        let head = http::read_response(reader)?.ok_or(io::ErrorKind::UnexpectedEof)?;
        http::skip_body(reader, head.content_length())?;
        for set in head.all("set-cookie") {
            if let Some((name, value)) = set.split(';').next().and_then(|p| p.split_once('=')) {
                match self.jar.iter_mut().find(|(n, _)| n == name.trim()) {
                    Some(entry) => entry.1 = value.trim().to_owned(),
                    None => self
                        .jar
                        .push((name.trim().to_owned(), value.trim().to_owned())),
                }
            }
        }
        if head.closes() {
            self.conn = None;
        }
        let instance = head.header("x-instance").and_then(|v| v.parse().ok());
        let failure = match (head.status(), head.header("x-fleetsim")) {
            (200, _) => None,
            (_, Some("session-lost")) => Some(Cause::SessionLost),
            (_, Some("queue-full")) => Some(Cause::QueueFull),
            (_, Some("store-unavailable")) => Some(Cause::StoreUnavailable),
            _ => Some(Cause::InstanceDown),
        };
        Ok((failure, instance))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn clients_are_numbered_through_127_0_0_0_slash_8() {
        assert_eq!(source_address(0), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(source_address(9_999), Ipv4Addr::new(127, 0, 39, 16));
        assert_eq!(
            source_address((1 << 24) - 3),
            Ipv4Addr::new(127, 255, 255, 254)
        );
        // Past the last usable address it wraps, never reaching 127.255.255.255.
        assert_eq!(source_address((1 << 24) - 2), Ipv4Addr::new(127, 0, 0, 1));
    }

    #[test]
    fn a_connection_comes_from_the_clients_own_address() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let to = listener.local_addr().unwrap();
        for ip in [0, 4_242] {
            let from = source_address(ip);
            let stream = connect_from(from, to, Duration::from_secs(1)).unwrap();
            let (_, peer) = listener.accept().unwrap();
            assert_eq!(peer.ip(), from);
            assert_eq!(stream.local_addr().unwrap().ip(), from);
        }
    }
}
