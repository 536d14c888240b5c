//! A minimal Redis client (RESP2 over TCP) for the live instances' session reads and writes.
//!
//! Each instance connection thread owns one Redis connection, opened on first use and dropped on
//! any error, so a stopped (SIGSTOP) or restarted Redis is seen as what it is: operations that
//! time out or fail, and a fresh connection once it is back.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A reply, reduced to what session reads need.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    Nil,
    Ok,
    Value(String),
    Int(i64),
}

/// One connection to Redis, reopened lazily after a failure.
pub(crate) struct Redis {
    addr: SocketAddr,
    timeout: Duration,
    conn: Option<BufReader<TcpStream>>,
}

impl Redis {
    /// Operations give up after `timeout` (then the store counts as unavailable).
    pub(crate) fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Redis {
            addr,
            timeout,
            conn: None,
        }
    }

    /// Sends one command and reads its reply; any failure drops the connection.
    pub(crate) fn command(&mut self, args: &[&str]) -> io::Result<Reply> {
        let result = self.try_command(args);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn try_command(&mut self, args: &[&str]) -> io::Result<Reply> {
        if self.conn.is_none() {
            let stream = TcpStream::connect_timeout(&self.addr, self.timeout)?;
            stream.set_read_timeout(Some(self.timeout))?;
            stream.set_write_timeout(Some(self.timeout))?;
            stream.set_nodelay(true)?;
            self.conn = Some(BufReader::new(stream));
        }
        let conn = self.conn.as_mut().expect("connected above");
        conn.get_mut().write_all(&encode(args))?;
        read_reply(conn)
    }
}

/// A command as a RESP array of bulk strings.
fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

fn read_reply(reader: &mut impl BufRead) -> io::Result<Reply> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end();
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    match line.split_at(1.min(line.len())) {
        ("+", _) => Ok(Reply::Ok),
        ("-", message) => Err(io::Error::other(format!("redis: {message}"))),
        (":", n) => n.parse().map(Reply::Int).map_err(|_| invalid(line)),
        ("$", n) => {
            let len: i64 = n.parse().map_err(|_| invalid(line))?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            let mut data = vec![0u8; len as usize + 2];
            reader.read_exact(&mut data)?;
            data.truncate(len as usize);
            String::from_utf8(data)
                .map(Reply::Value)
                .map_err(|_| invalid("a non-UTF-8 value"))
        }
        _ => Err(invalid(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(
            encode(&["GETEX", "s:7", "EX", "60"]),
            b"*4\r\n$5\r\nGETEX\r\n$3\r\ns:7\r\n$2\r\nEX\r\n$2\r\n60\r\n"
        );
    }

    #[test]
    fn replies_are_read_by_their_type() {
        let read = |bytes: &[u8]| read_reply(&mut BufReader::new(bytes));
        assert_eq!(read(b"+OK\r\n").unwrap(), Reply::Ok);
        assert_eq!(read(b"$-1\r\n").unwrap(), Reply::Nil);
        assert_eq!(read(b"$2\r\nhi\r\n").unwrap(), Reply::Value("hi".into()));
        assert_eq!(read(b":3\r\n").unwrap(), Reply::Int(3));
        assert!(read(b"-ERR nope\r\n").is_err());
        assert!(read(b"").is_err());
    }
}
