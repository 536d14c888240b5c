//! Just enough HTTP/1.1 for the live fleet: requests without bodies, responses with a
//! `content-length`, keep-alive connections, header names compared case-insensitively (HAProxy
//! writes them in lower case).
//!
//! The live fleet's traffic is fleetsim talking to itself through HAProxy, so a few dozen lines
//! do what a web framework would, without its build time.

use std::io::{self, BufRead, Read, Write};

/// A parsed message head: the start line and the headers.
#[derive(Debug, Default)]
pub(crate) struct Head {
    pub(crate) start: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    /// The first header called `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header called `name` (any case).
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of cookie `name` in the `cookie` headers.
    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.all("cookie")
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// The request path (second word of the start line).
    pub(crate) fn path(&self) -> &str {
        self.start.split(' ').nth(1).unwrap_or("")
    }

    /// The response status (second word of the start line), 0 if unreadable.
    pub(crate) fn status(&self) -> u16 {
        self.start
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The length of the body that follows.
    pub(crate) fn content_length(&self) -> usize {
        self.header("content-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Whether the peer closes the connection after this message.
    pub(crate) fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Reads one message head; `Ok(None)` at a clean end of stream. Heads are bounded to 64 KiB.
pub(crate) fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut head = Head::default();
    let mut line = String::new();
    let mut total = 0;
    loop {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            if head.start.is_empty() {
                return Ok(None);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        total += n;
        if total > 64 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if head.start.is_empty() {
            if text.is_empty() {
                continue; // tolerated before a request line (RFC 9112 §2.2)
            }
            head.start = text.to_owned();
        } else if text.is_empty() {
            return Ok(Some(head));
        } else if let Some((name, value)) = text.split_once(':') {
            head.headers
                .push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
}

/// Reads and discards a body of `len` bytes.
pub(crate) fn skip_body(reader: &mut impl Read, len: usize) -> io::Result<()> {
    let copied = io::copy(&mut reader.take(len as u64), &mut io::sink())?;
    if copied < len as u64 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Writes a response with a short text body and extra headers.
pub(crate) fn respond(
    out: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let mut text = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\ncontent-type: text/plain\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Sends `GET path` with `headers` on a keep-alive connection to host `host`.
pub(crate) fn get(
    out: &mut impl Write,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> io::Result<()> {
    let mut text = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// One `GET` on a fresh connection, for health and metrics probes: the status and the body.
pub(crate) fn probe(
    addr: std::net::SocketAddr,
    path: &str,
    timeout: std::time::Duration,
) -> io::Result<(u16, String)> {
    let stream = std::net::TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut writer = &stream;
    get(&mut writer, "127.0.0.1", path, &[("connection", "close")])?;
    let mut reader = io::BufReader::new(&stream);
    let head = read_head(&mut reader)?.ok_or(io::ErrorKind::UnexpectedEof)?;
    let mut body = String::new();
    (&mut reader)
        .take(head.content_length() as u64)
        .read_to_string(&mut body)?;
    Ok((head.status(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_read_with_its_headers_and_cookies_in_any_case() {
        let text =
            "GET /x HTTP/1.1\r\nHost: a\r\nCookie: sid=7; SRV=i2\r\ncookie: tok=abc\r\n\r\nrest";
        let mut reader = io::BufReader::new(text.as_bytes());
        let head = read_head(&mut reader).unwrap().unwrap();
        assert_eq!(head.path(), "/x");
        assert_eq!(head.header("HOST"), Some("a"));
        assert_eq!(head.cookie("sid"), Some("7"));
        assert_eq!(head.cookie("SRV"), Some("i2"));
        assert_eq!(head.cookie("tok"), Some("abc"));
        assert_eq!(head.cookie("none"), None);
        let mut rest = String::new();
        reader.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "rest");
    }

    #[test]
    fn a_response_round_trips_with_its_status_and_length() {
        let mut bytes = Vec::new();
        respond(&mut bytes, 503, &[("x-fleetsim", "queue-full")], "full").unwrap();
        let mut reader = io::BufReader::new(bytes.as_slice());
        let head = read_head(&mut reader).unwrap().unwrap();
        assert_eq!(head.status(), 503);
        assert_eq!(head.header("X-Fleetsim"), Some("queue-full"));
        assert_eq!(head.content_length(), 4);
        assert!(!head.closes());
    }

    #[test]
    fn end_of_stream_before_a_head_is_none_and_inside_one_an_error() {
        assert!(read_head(&mut io::BufReader::new(&b""[..]))
            .unwrap()
            .is_none());
        assert!(read_head(&mut io::BufReader::new(&b"GET / HTTP/1.1\r\n"[..])).is_err());
    }
}
