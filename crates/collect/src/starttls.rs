//! The plaintext exchange before TLS for protocols that upgrade in-band
//! (`--starttls`): read the greeting, ask for TLS, read the go-ahead. What
//! the server says is read with a hard byte budget
//! ([`MAX_STARTTLS_BYTES`] for the whole exchange); the caller bounds the
//! time. Reads are byte by byte so that nothing after the go-ahead (the
//! first TLS bytes) is consumed.
//!
//! The exchanges (the protocols sslyze and testssl.sh support):
//! - SMTP (RFC 3207): `220` greeting, `EHLO`, `250`, `STARTTLS`, `220`.
//! - IMAP (RFC 3501 §6.2.1): `* OK` greeting, `a1 STARTTLS`, `a1 OK`.
//! - POP3 (RFC 2595 §4): `+OK` greeting, `STLS`, `+OK`.
//! - FTP (RFC 4217 §4): `220` greeting, `AUTH TLS`, `234`.
//! - XMPP (RFC 6120 §5.4): stream header, `<stream:features>` with
//!   `<starttls/>`, `<starttls/>`, `<proceed/>`.
//! - PostgreSQL (protocol docs, "SSL Session Encryption"): the 8-byte
//!   `SSLRequest` (length 8, code 80877103), one byte back: `S` or `N`.

use mitmwatch_core::model::StartTls;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most bytes read from the server before TLS starts.
pub(crate) const MAX_STARTTLS_BYTES: usize = 64 * 1024;

/// Longest piece of a server's answer quoted in a failure message.
const QUOTED: usize = 120;

/// The client name sent in SMTP `EHLO`.
const EHLO_NAME: &str = "mitmwatch.invalid";

/// Reads from the server within the byte budget.
struct Reader<'a, S> {
    stream: &'a mut S,
    used: usize,
    proto: StartTls,
}

fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(QUOTED)]);
    let more = if bytes.len() > QUOTED { "…" } else { "" };
    format!("{:?}{more}", text.trim_end())
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Reader<'a, S> {
    async fn byte(&mut self, so_far: &[u8], what: &str) -> Result<u8, String> {
        if self.used >= MAX_STARTTLS_BYTES {
            return Err(format!(
                "{}: the server sent more than {} KiB before TLS (while reading its {what}); \
                 mitmwatch stops there: {}",
                self.proto.as_str(),
                MAX_STARTTLS_BYTES / 1024,
                quote(so_far)
            ));
        }
        let mut b = [0u8; 1];
        match self.stream.read(&mut b).await {
            Ok(0) if so_far.is_empty() => Err(format!(
                "{}: the server closed the connection instead of sending its {what}",
                self.proto.as_str()
            )),
            Ok(0) => Err(format!(
                "{}: the server closed the connection in the middle of its {what}: {}",
                self.proto.as_str(),
                quote(so_far)
            )),
            Ok(_) => {
                self.used += 1;
                Ok(b[0])
            }
            Err(e) => Err(format!(
                "{}: reading the server's {what}: {e}",
                self.proto.as_str()
            )),
        }
    }

    /// One line, without its line end.
    async fn line(&mut self, what: &str) -> Result<Vec<u8>, String> {
        let mut line = Vec::new();
        loop {
            let b = self.byte(&line, what).await?;
            if b == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            line.push(b);
        }
    }

    /// Bytes up to and including `end` (for XMPP's XML).
    async fn until(&mut self, end: &[u8], what: &str) -> Result<Vec<u8>, String> {
        let mut got = Vec::new();
        loop {
            got.push(self.byte(&got, what).await?);
            if got.ends_with(end) {
                return Ok(got);
            }
        }
    }

    /// An FTP/SMTP reply: `NNN-…` lines up to `NNN …`; returns the code
    /// and the last line.
    async fn numeric_reply(&mut self, what: &str) -> Result<(u16, Vec<u8>), String> {
        loop {
            let line = self.line(what).await?;
            let code = line
                .get(..3)
                .and_then(|c| std::str::from_utf8(c).ok())
                .and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                return Err(format!(
                    "{}: the server's {what} is not a numbered reply: {}",
                    self.proto.as_str(),
                    quote(&line)
                ));
            };
            if line.get(3) != Some(&b'-') {
                return Ok((code, line));
            }
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| format!("{}: writing to the server: {e}", self.proto.as_str()))
    }

    fn refused(&self, asked: &str, answer: &[u8]) -> String {
        format!(
            "{}: the server refused {asked}: {}",
            self.proto.as_str(),
            quote(answer)
        )
    }
}

/// Runs `proto`'s exchange on `stream` up to the point where TLS starts.
/// `host` is the name the client addresses (XMPP's `to`).
pub(crate) async fn negotiate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proto: StartTls,
    host: &str,
) -> Result<(), String> {
    let mut r = Reader {
        stream,
        used: 0,
        proto,
    };
    match proto {
        StartTls::Smtp => {
            let (code, line) = r.numeric_reply("greeting").await?;
            if code != 220 {
                return Err(r.refused("the session (greeting)", &line));
            }
            r.send(format!("EHLO {EHLO_NAME}\r\n").as_bytes()).await?;
            let (code, line) = r.numeric_reply("EHLO reply").await?;
            if code != 250 {
                return Err(r.refused("EHLO", &line));
            }
            r.send(b"STARTTLS\r\n").await?;
            let (code, line) = r.numeric_reply("STARTTLS reply").await?;
            if code != 220 {
                return Err(r.refused("STARTTLS", &line));
            }
        }
        StartTls::Ftp => {
            let (code, line) = r.numeric_reply("greeting").await?;
            if code != 220 {
                return Err(r.refused("the session (greeting)", &line));
            }
            r.send(b"AUTH TLS\r\n").await?;
            let (code, line) = r.numeric_reply("AUTH TLS reply").await?;
            if code != 234 {
                return Err(r.refused("AUTH TLS", &line));
            }
        }
        StartTls::Imap => {
            let greeting = r.line("greeting").await?;
            if !(greeting.starts_with(b"* OK") || greeting.starts_with(b"* PREAUTH")) {
                return Err(r.refused("the session (greeting)", &greeting));
            }
            r.send(b"a1 STARTTLS\r\n").await?;
            loop {
                let line = r.line("STARTTLS reply").await?;
                if line.starts_with(b"* ") {
                    continue; // untagged data (CAPABILITY, say)
                }
                if line.starts_with(b"a1 OK") {
                    break;
                }
                return Err(r.refused("STARTTLS", &line));
            }
        }
        StartTls::Pop3 => {
            let greeting = r.line("greeting").await?;
            if !greeting.starts_with(b"+OK") {
                return Err(r.refused("the session (greeting)", &greeting));
            }
            r.send(b"STLS\r\n").await?;
            let line = r.line("STLS reply").await?;
            if !line.starts_with(b"+OK") {
                return Err(r.refused("STLS", &line));
            }
        }
        StartTls::Xmpp => xmpp(&mut r, host).await?,
        StartTls::Postgres => {
            // Int32 length 8, Int32 code 80877103 (1234 << 16 | 5679).
            r.send(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await?;
            match r.byte(&[], "answer to SSLRequest").await? {
                b'S' => {}
                b'N' => return Err(r.refused("SSLRequest (it answered N: no TLS)", b"N")),
                other => {
                    return Err(format!(
                        "postgres: the server answered SSLRequest with byte 0x{other:02x}, \
                         neither S nor N"
                    ))
                }
            }
        }
    }
    Ok(())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

async fn xmpp<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut Reader<'_, S>,
    host: &str,
) -> Result<(), String> {
    let to: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        .collect();
    r.send(
        format!(
            "<?xml version='1.0'?><stream:stream to='{to}' xmlns='jabber:client' \
             xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        )
        .as_bytes(),
    )
    .await?;
    // The server's stream header and its features, up to the end of
    // the features (or an error that ends the stream).
    let mut got = Vec::new();
    loop {
        got.extend(r.until(b">", "stream features").await?);
        if contains(&got, b"</stream:features>") || contains(&got, b"</stream:stream>") {
            break;
        }
        if contains(&got, b"<stream:error") && contains(&got, b"</stream:error>") {
            break;
        }
    }
    if !contains(&got, b"<stream:features") {
        return Err(r.refused("the stream", &got));
    }
    if !contains(&got, b"<starttls") {
        return Err(format!(
            "xmpp: the server does not offer STARTTLS in its stream features: {}",
            quote(&got)
        ));
    }
    r.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        .await?;
    let answer = r.until(b">", "STARTTLS answer").await?;
    let answer = if answer.ends_with(b"/>") || !contains(&answer, b"<proceed") {
        answer
    } else {
        // `<proceed ...></proceed>`: read the end tag too.
        let mut a = answer;
        a.extend(r.until(b"</proceed>", "STARTTLS answer").await?);
        a
    };
    if !contains(&answer, b"<proceed") {
        return Err(r.refused("STARTTLS", &answer));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `proto` against a scripted server that sends `greeting`, answers
    /// EHLO with STARTTLS offered, and anything else with `answer`.
    async fn run(proto: StartTls, greeting: &[u8], answer: &'static [u8]) -> Result<(), String> {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        let greeting = greeting.to_vec();
        tokio::spawn(async move {
            server.write_all(&greeting).await.unwrap();
            let mut buf = [0u8; 512];
            loop {
                let Ok(n) = server.read(&mut buf).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                let said = &buf[..n];
                let reply: &[u8] = if said.starts_with(b"EHLO") {
                    b"250-hi\r\n250 STARTTLS\r\n"
                } else {
                    answer
                };
                if server.write_all(reply).await.is_err() {
                    return;
                }
            }
        });
        negotiate(&mut client, proto, "mail.example").await
    }

    #[tokio::test]
    async fn each_protocol_reaches_tls_or_says_why_not() {
        run(StartTls::Smtp, b"220-a\r\n220 b\r\n", b"220 go\r\n")
            .await
            .unwrap();
        let e = run(StartTls::Smtp, b"220 b\r\n", b"454 no TLS\r\n")
            .await
            .unwrap_err();
        assert!(e.contains("refused STARTTLS") && e.contains("454"), "{e}");
        run(StartTls::Ftp, b"220 ftp\r\n", b"234 ok\r\n")
            .await
            .unwrap();
        run(
            StartTls::Imap,
            b"* OK imap\r\n",
            b"* CAPABILITY x\r\na1 OK go\r\n",
        )
        .await
        .unwrap();
        let e = run(StartTls::Imap, b"* OK\r\n", b"a1 BAD no\r\n")
            .await
            .unwrap_err();
        assert!(e.contains("a1 BAD"), "{e}");
        run(StartTls::Pop3, b"+OK pop\r\n", b"+OK\r\n")
            .await
            .unwrap();
        run(StartTls::Postgres, b"", b"S").await.unwrap();
        let e = run(StartTls::Postgres, b"", b"N").await.unwrap_err();
        assert!(e.contains("no TLS"), "{e}");
        let features = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
            xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'>\
            <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
            </stream:features>";
        run(
            StartTls::Xmpp,
            features,
            b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        )
        .await
        .unwrap();
        let e = run(
            StartTls::Xmpp,
            features,
            b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        )
        .await
        .unwrap_err();
        assert!(e.contains("refused STARTTLS"), "{e}");
    }

    #[tokio::test]
    async fn an_endless_greeting_stops_at_the_budget() {
        let mut big = b"220-".to_vec();
        big.extend(std::iter::repeat_n(b'x', 200_000));
        let e = run(StartTls::Smtp, &big, b"").await.unwrap_err();
        assert!(e.contains("more than 64 KiB"), "{e}");
    }
}
