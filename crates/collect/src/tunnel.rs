//! Opening a tunnel through an explicit proxy on a connected socket: HTTP
//! `CONNECT` (RFC 9110 §9.3.6) or SOCKS5 (RFC 1928, with RFC 1929
//! user/password authentication). The proxy's replies are read with a hard
//! byte limit; the caller bounds the time. Every way a proxy can fail comes
//! back as a sentence naming the proxy, never as a panic.

use super::proxy::{Proxy, ProxyKind};
use mitmwatch_core::encoding::base64_encode;
use std::net::IpAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most bytes of a proxy's reply headers read before giving up.
pub(crate) const MAX_PROXY_REPLY_BYTES: usize = 16 * 1024;

/// Longest piece of a proxy's reply quoted in a failure message.
const QUOTED: usize = 120;

/// Quotes untrusted bytes from the proxy, shortened, as Rust debug text.
fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(QUOTED)]);
    let more = if bytes.len() > QUOTED { "…" } else { "" };
    format!("{:?}{more}", text.trim_end())
}

/// Whether a reply starts like a TLS record (handshake or alert): the
/// "proxy" is a TLS server.
fn looks_like_tls(first: u8) -> bool {
    first == 0x15 || first == 0x16
}

fn tls_back(proxy: &Proxy) -> String {
    format!(
        "the proxy {proxy} answered with TLS, not a proxy reply (is it an HTTPS port or a \
         TLS-only proxy? mitmwatch speaks plain HTTP/SOCKS to proxies)"
    )
}

fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Asks `proxy`, reached over `stream`, for a tunnel to `host:port`
/// (`resolved` is the address to use for plain `socks5://`, which resolves
/// names here). On success the stream carries the tunnel.
pub(crate) async fn open<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
    resolved: Option<IpAddr>,
) -> Result<(), String> {
    match proxy.kind {
        ProxyKind::Http => http_connect(stream, proxy, host, port).await,
        ProxyKind::Socks5 | ProxyKind::Socks5h => socks5(stream, proxy, host, port, resolved).await,
    }
}

async fn http_connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), String> {
    let target = authority(host, port);
    let mut request = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: mitmwatch/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some((user, pass)) = &proxy.credentials {
        let token = base64_encode(format!("{user}:{pass}").as_bytes());
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("sending CONNECT to the proxy {proxy}: {e}"))?;
    let head = read_head(stream, proxy).await?;
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let status_line = &head[..line_end];
    let status = parse_status_line(status_line).ok_or_else(|| {
        format!(
            "the proxy {proxy} did not answer CONNECT with HTTP: {}",
            quote(status_line)
        )
    })?;
    match status {
        200..=299 => Ok(()),
        407 => Err(format!(
            "the proxy {proxy} refused CONNECT to {target}: {} ({})",
            quote(status_line),
            if proxy.credentials.is_some() {
                "the credentials given were not accepted"
            } else {
                "it wants credentials: --proxy http://USER:PASS@HOST:PORT"
            }
        )),
        _ => Err(format!(
            "the proxy {proxy} refused CONNECT to {target}: {}",
            quote(status_line)
        )),
    }
}

/// `HTTP/1.x NNN …` → NNN.
fn parse_status_line(line: &[u8]) -> Option<u16> {
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

/// Reads the reply head up to the blank line, byte by byte so that nothing
/// after it (the tunnel's first bytes) is consumed.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S, proxy: &Proxy) -> Result<Vec<u8>, String> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte).await {
            Ok(0) if head.is_empty() => {
                return Err(format!(
                    "the proxy {proxy} closed the connection without answering CONNECT"
                ))
            }
            Ok(0) => {
                return Err(format!(
                    "the proxy {proxy} closed the connection in the middle of its reply: {}",
                    quote(&head)
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && head.is_empty() => {
                return Err(format!(
                    "the proxy {proxy} reset the connection without answering CONNECT"
                ))
            }
            Err(e) => return Err(format!("reading the reply of the proxy {proxy}: {e}")),
        }
        if head.is_empty() && looks_like_tls(byte[0]) {
            return Err(tls_back(proxy));
        }
        head.push(byte[0]);
        // Not HTTP: say so at once rather than wait for a blank line.
        let prefix = &head[..head.len().min(5)];
        if !b"HTTP/".starts_with(prefix) || (byte[0] == b'\n' && !head.contains(&b' ')) {
            return Err(format!(
                "the proxy {proxy} did not answer CONNECT with HTTP: its reply began {}",
                quote(&head)
            ));
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
        if head.len() >= MAX_PROXY_REPLY_BYTES {
            return Err(format!(
                "the proxy {proxy} sent more than {} KiB of reply headers; mitmwatch stops there: {}",
                MAX_PROXY_REPLY_BYTES / 1024,
                quote(&head)
            ));
        }
    }
}

async fn read_exact<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
    proxy: &Proxy,
    what: &str,
) -> Result<(), String> {
    stream.read_exact(buf).await.map(|_| ()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            format!("the SOCKS5 proxy {proxy} closed the connection before its {what}")
        } else {
            format!("reading the {what} of the SOCKS5 proxy {proxy}: {e}")
        }
    })
}

fn socks_reply_text(code: u8) -> &'static str {
    match code {
        1 => "general failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unknown reply code",
    }
}

async fn socks5<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
    resolved: Option<IpAddr>,
) -> Result<(), String> {
    let send = |e: std::io::Error| format!("writing to the SOCKS5 proxy {proxy}: {e}");
    // Greeting: version 5, the methods offered (0 none, 2 user/password).
    let greeting: &[u8] = match proxy.credentials {
        Some(_) => &[5, 2, 0, 2],
        None => &[5, 1, 0],
    };
    stream.write_all(greeting).await.map_err(send)?;
    let mut choice = [0u8; 2];
    read_exact(stream, &mut choice, proxy, "method choice").await?;
    if looks_like_tls(choice[0]) {
        return Err(tls_back(proxy));
    }
    if choice[0] != 5 {
        return Err(format!(
            "the proxy {proxy} does not speak SOCKS5: it answered {}",
            quote(&choice)
        ));
    }
    match (choice[1], &proxy.credentials) {
        (0, _) => {}
        (2, Some((user, pass))) => {
            if user.len() > 255 || pass.len() > 255 {
                return Err("SOCKS5 user names and passwords are at most 255 bytes".into());
            }
            let mut auth = vec![1, user.len() as u8];
            auth.extend_from_slice(user.as_bytes());
            auth.push(pass.len() as u8);
            auth.extend_from_slice(pass.as_bytes());
            stream.write_all(&auth).await.map_err(send)?;
            let mut verdict = [0u8; 2];
            read_exact(stream, &mut verdict, proxy, "authentication reply").await?;
            if verdict[1] != 0 {
                return Err(format!(
                    "the SOCKS5 proxy {proxy} did not accept the user name and password"
                ));
            }
        }
        (0xff, _) => {
            return Err(format!(
                "the SOCKS5 proxy {proxy} accepts none of the offered authentication methods{}",
                if proxy.credentials.is_none() {
                    " (it may want a user name and password)"
                } else {
                    ""
                }
            ))
        }
        (m, _) => {
            return Err(format!(
                "the SOCKS5 proxy {proxy} chose authentication method {m}, which was not offered"
            ))
        }
    }
    let mut request = vec![5, 1, 0];
    let ip = resolved.or_else(|| host.parse().ok());
    match ip {
        Some(IpAddr::V4(v4)) => {
            request.push(1);
            request.extend_from_slice(&v4.octets());
        }
        Some(IpAddr::V6(v6)) => {
            request.push(4);
            request.extend_from_slice(&v6.octets());
        }
        None => {
            if host.len() > 255 {
                return Err(format!("{host:?} is too long for SOCKS5 (255 bytes)"));
            }
            request.push(3);
            request.push(host.len() as u8);
            request.extend_from_slice(host.as_bytes());
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await.map_err(send)?;
    let mut reply = [0u8; 4];
    read_exact(stream, &mut reply, proxy, "reply").await?;
    if reply[0] != 5 {
        return Err(format!(
            "the SOCKS5 proxy {proxy} sent a malformed reply: {}",
            quote(&reply)
        ));
    }
    if reply[1] != 0 {
        return Err(format!(
            "the SOCKS5 proxy {proxy} refused the tunnel to {}: reply {} ({})",
            authority(host, port),
            reply[1],
            socks_reply_text(reply[1])
        ));
    }
    // The bound address, which we do not need: skip it and the port.
    let skip = match reply[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            read_exact(stream, &mut len, proxy, "bound address").await?;
            usize::from(len[0]) + 2
        }
        other => {
            return Err(format!(
                "the SOCKS5 proxy {proxy} sent an unknown address type {other}"
            ))
        }
    };
    let mut rest = vec![0u8; skip];
    read_exact(stream, &mut rest, proxy, "bound address").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 Connection established\r"),
            Some(200)
        );
        assert_eq!(parse_status_line(b"HTTP/1.0 407 Proxy Auth"), Some(407));
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 2000 x"), None);
        assert_eq!(parse_status_line(b"\xff\xfe"), None);
    }

    #[tokio::test]
    async fn an_http_reply_is_read_up_to_the_blank_line_only() {
        let proxy = Proxy::parse("http://u:p@127.0.0.1:1").unwrap();
        let (mut client, mut server) = tokio::io::duplex(4096);
        let server_side = tokio::spawn(async move {
            let mut buf = vec![0u8; 1024];
            let n = server.read(&mut buf).await.unwrap();
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            server
                .write_all(b"HTTP/1.1 200 OK\r\nVia: x\r\n\r\nTUNNEL")
                .await
                .unwrap();
            (request, server)
        });
        open(&mut client, &proxy, "example.com", 443, None)
            .await
            .unwrap();
        let mut rest = [0u8; 6];
        client.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"TUNNEL");
        let (request, _server) = server_side.await.unwrap();
        assert!(request.starts_with("CONNECT example.com:443 HTTP/1.1\r\n"));
        assert!(
            request.contains("Proxy-Authorization: Basic dTpw\r\n"),
            "{request}"
        );
    }
}
