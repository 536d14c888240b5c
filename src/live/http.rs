//! Just enough HTTP/1.1 for the live fleet, on blocking sockets: requests without bodies,
//! responses with a `content-length`, keep-alive connections, header names compared
//! case-insensitively (HAProxy writes them in lower case).
//!
//! Message heads are parsed by `httparse`, the parser hyper uses. What is left here is the
//! glue of a blocking connection: reading until a head is complete (taking from the stream no
//! byte past it, so that the next message on a keep-alive connection is intact), skipping a
//! body, and writing the few messages the fleet sends.
//!
//! Blocking threads rather than an async runtime, on purpose: an instance's worker that holds a
//! request for 3.7 ms is faithfully a thread in `std::thread::sleep` for 3.7 ms, while tokio's
//! timers have a 1 ms resolution and would round it up to 4 ms (or more). Each connection is a
//! thread, each busy worker a sleeping one.

use std::io::{self, BufRead, Read, Write};

/// Bound on a message head, in bytes.
const MAX_HEAD: usize = 64 * 1024;

/// Bound on the headers of one message.
const MAX_HEADERS: usize = 64;

/// A parsed message head: the request's path or the response's status, and the headers.
#[derive(Debug, Default)]
pub(crate) struct Head {
    /// The request target (empty in a response).
    path: String,
    /// The response status (0 in a request).
    status: u16,
    headers: Vec<(String, String)>,
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

    /// The request path.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The response status.
    pub(crate) fn status(&self) -> u16 {
        self.status
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

fn owned(headers: &[httparse::Header]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value);
            (h.name.to_owned(), value.trim().to_owned())
        })
        .collect()
}

/// A complete head at the start of `bytes`, with its length; `None` if more bytes are needed.
type Parsed = Result<Option<(usize, Head)>, httparse::Error>;

fn parse_request(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(len) = request.parse(bytes)? else {
        return Ok(None);
    };
    let head = Head {
        path: request.path.unwrap_or_default().to_owned(),
        status: 0,
        headers: owned(request.headers),
    };
    Ok(Some((len, head)))
}

fn parse_response(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(len) = response.parse(bytes)? else {
        return Ok(None);
    };
    let head = Head {
        path: String::new(),
        status: response.code.unwrap_or(0),
        headers: owned(response.headers),
    };
    Ok(Some((len, head)))
}

/// Reads one request head; `Ok(None)` at a clean end of stream.
pub(crate) fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    read_head(reader, parse_request)
}

/// Reads one response head; `Ok(None)` at a clean end of stream.
pub(crate) fn read_response(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    read_head(reader, parse_response)
}

/// Takes bytes from `reader` until `parse` finds a complete head, and no byte beyond it.
fn read_head(reader: &mut impl BufRead, parse: fn(&[u8]) -> Parsed) -> io::Result<Option<Head>> {
    let mut bytes = Vec::new();
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            if bytes.is_empty() {
                return Ok(None);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let taken = bytes.len();
        let available = chunk.len();
        bytes.extend_from_slice(chunk);
        let parsed = parse(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if let Some((len, head)) = parsed {
            // The earlier bytes were consumed already; the head ends in this chunk.
            reader.consume(len - taken);
            return Ok(Some(head));
        }
        reader.consume(available);
        if bytes.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
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
    let head = read_response(&mut reader)?.ok_or(io::ErrorKind::UnexpectedEof)?;
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
    fn a_request_head_is_read_with_its_headers_and_cookies_in_any_case() {
        let text =
            "GET /x HTTP/1.1\r\nHost: a\r\nCookie: sid=7; SRV=i2\r\ncookie: tok=abc\r\n\r\nrest";
        let mut reader = io::BufReader::new(text.as_bytes());
        let head = read_request(&mut reader).unwrap().unwrap();
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
        let head = read_response(&mut reader).unwrap().unwrap();
        assert_eq!(head.status(), 503);
        assert_eq!(head.header("X-Fleetsim"), Some("queue-full"));
        assert_eq!(head.content_length(), 4);
        assert!(!head.closes());
    }

    #[test]
    fn heads_arriving_a_few_bytes_at_a_time_leave_the_next_message_intact() {
        // Two requests on one keep-alive connection, read through a 5-byte buffer: each head
        // is taken whole, and not one byte of the next.
        let mut bytes = Vec::new();
        get(&mut bytes, "h", "/one", &[("x-login", "1")]).unwrap();
        get(&mut bytes, "h", "/two", &[("connection", "close")]).unwrap();
        let mut reader = io::BufReader::with_capacity(5, bytes.as_slice());
        let one = read_request(&mut reader).unwrap().unwrap();
        assert_eq!((one.path(), one.header("x-login")), ("/one", Some("1")));
        let two = read_request(&mut reader).unwrap().unwrap();
        assert_eq!(two.path(), "/two");
        assert!(two.closes());
        assert!(read_request(&mut reader).unwrap().is_none());
    }

    #[test]
    fn end_of_stream_before_a_head_is_none_and_inside_one_an_error() {
        assert!(read_request(&mut io::BufReader::new(&b""[..]))
            .unwrap()
            .is_none());
        let cut = read_request(&mut io::BufReader::new(&b"GET / HTTP/1.1\r\n"[..]));
        assert_eq!(cut.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_garbled_or_endless_head_is_invalid_data() {
        let garbled = read_response(&mut io::BufReader::new(&b"HTTP/1.1 abc OK\r\n\r\n"[..]));
        assert_eq!(garbled.unwrap_err().kind(), io::ErrorKind::InvalidData);
        // A header line that never ends: refused once past the 64 KiB bound, not buffered on.
        let mut endless = b"GET / HTTP/1.1\r\nx-long: ".to_vec();
        endless.resize(MAX_HEAD + 10_000, b'a');
        let long = read_request(&mut io::BufReader::new(endless.as_slice()));
        assert_eq!(long.unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}
