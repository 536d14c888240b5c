//! The live fleet's Redis session store, through the `redis` crate's synchronous client.
//!
//! Each instance connection thread owns one [`Store`]: one Redis connection, opened on first
//! use and dropped on any error, with read and write timeouts. So a stopped (SIGSTOP) Redis is
//! seen as what it is, operations that time out, and a restarted one as a fresh connection once
//! it answers again. A session is a key `s:<session>` with a real TTL: written by `SETEX` at
//! login, read and refreshed by one `GETEX … EX` per request.

use std::time::Duration;

use redis::{
    Client, ConnectionAddr, Expiry, IntoConnectionInfo, RedisConnectionInfo, RedisResult,
    TypedCommands,
};

/// One connection to Redis on 127.0.0.1, reopened lazily after a failure.
pub(crate) struct Store {
    port: u16,
    timeout: Duration,
    conn: Option<redis::Connection>,
}

/// The Redis key of session `id`.
fn key(id: u64) -> String {
    format!("s:{id}")
}

impl Store {
    /// Connecting and every operation give up after `timeout` (then the store counts as
    /// unavailable).
    pub(crate) fn new(port: u16, timeout: Duration) -> Self {
        Store {
            port,
            timeout,
            conn: None,
        }
    }

    /// Runs `op` on the connection, opening it first if needed; any failure drops it.
    fn with<T>(
        &mut self,
        op: impl FnOnce(&mut redis::Connection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        if self.conn.is_none() {
            self.conn = Some(self.connect()?);
        }
        let result = op(self.conn.as_mut().expect("connected above"));
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn connect(&self) -> RedisResult<redis::Connection> {
        // No `CLIENT SETINFO` on connect: a new connection costs one TCP handshake, nothing more.
        let info = ConnectionAddr::Tcp("127.0.0.1".to_owned(), self.port)
            .into_connection_info()?
            .set_redis_settings(RedisConnectionInfo::default().set_skip_set_lib_name());
        let conn = Client::open(info)?.get_connection_with_timeout(self.timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
    }

    /// Session `id` logs in: its key is written with a TTL of `ttl_s` seconds.
    pub(crate) fn login(&mut self, id: u64, ttl_s: u64) -> RedisResult<()> {
        self.with(|c| c.set_ex(key(id), "1", ttl_s))
    }

    /// Whether session `id` is stored; its TTL starts again at `ttl_s` seconds if so.
    pub(crate) fn touch(&mut self, id: u64, ttl_s: u64) -> RedisResult<bool> {
        self.with(|c| Ok(c.get_ex(key(id), Expiry::EX(ttl_s))?.is_some()))
    }

    /// Writes the data set to disk (`SAVE`), for a restart that keeps it.
    pub(crate) fn save(&mut self) -> RedisResult<()> {
        self.with(|c| redis::cmd("SAVE").query(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    /// A redis-server on a free port, killed when dropped; `None` when it is not installed.
    struct Server(Child, u16);

    impl Server {
        fn start() -> Option<Server> {
            let program = crate::live::find_program(crate::live::REDIS)?;
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new(program)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            let until = Instant::now() + Duration::from_secs(5);
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < until, "redis-server did not listen");
                std::thread::sleep(Duration::from_millis(10));
            }
            Some(Server(child, port))
        }

        fn signal(&self, signal: libc::c_int) {
            // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
            unsafe { libc::kill(self.0.id() as libc::pid_t, signal) };
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn server() -> Option<Server> {
        let s = Server::start();
        if s.is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server not found, and CI is set"
            );
            eprintln!("skipping: redis-server not found");
        }
        s
    }

    #[test]
    fn a_login_is_a_key_with_a_ttl_that_each_touch_restarts() {
        let Some(server) = server() else { return };
        let mut store = Store::new(server.1, Duration::from_millis(250));
        assert!(!store.touch(7, 60).unwrap(), "never logged in");
        store.login(7, 60).unwrap();
        assert!(store.touch(7, 60).unwrap());
        let ttl: i64 = store
            .with(|c| redis::cmd("TTL").arg("s:7").query(c))
            .unwrap();
        assert!((59..=60).contains(&ttl), "{ttl}");
        // A TTL of one second: gone two seconds later, as an idle session expires.
        store.login(8, 1).unwrap();
        std::thread::sleep(Duration::from_millis(2_100));
        assert!(!store.touch(8, 1).unwrap());
    }

    #[test]
    fn a_stopped_redis_times_out_and_a_fresh_connection_follows_when_it_is_back() {
        let Some(server) = server() else { return };
        let mut store = Store::new(server.1, Duration::from_millis(250));
        store.login(1, 60).unwrap();
        server.signal(libc::SIGSTOP);
        let t = Instant::now();
        let err = store.touch(1, 60).unwrap_err();
        let waited = t.elapsed();
        server.signal(libc::SIGCONT);
        assert!(err.is_timeout(), "{err}");
        // The 250 ms timeout, not a hang (and not an instant failure).
        assert!(
            (Duration::from_millis(200)..Duration::from_secs(2)).contains(&waited),
            "{waited:?}"
        );
        assert!(store.conn.is_none(), "the timed-out connection is dropped");
        // Redis answers again: a new connection, and the session is still there.
        assert!(store.touch(1, 60).unwrap());
    }
}
