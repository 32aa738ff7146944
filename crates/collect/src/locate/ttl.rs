//! Lowering and restoring a TCP socket's IP TTL (IPv6 hop limit), and
//! ending the connection with a reset. Linux only; safe wrappers from std
//! and nix, no unsafe code.

use nix::sys::socket::{setsockopt, sockopt};
use std::io;
use std::net::TcpStream as StdStream;
use tokio::net::TcpStream;

/// A connected socket seen through two handles: the tokio stream the
/// handshake uses, and a duplicate kept here to change options on the
/// socket whatever the handshake did with the stream.
#[derive(Debug)]
pub(crate) struct Handle {
    dup: StdStream,
    stream: Option<TcpStream>,
    v6: bool,
    original: u32,
}

impl Handle {
    /// Takes over `stream` and remembers its current TTL.
    pub(crate) fn new(stream: TcpStream) -> io::Result<Self> {
        let v6 = stream.local_addr()?.is_ipv6();
        let std = stream.into_std()?;
        let dup = std.try_clone()?;
        let stream = TcpStream::from_std(std)?;
        let original = if v6 {
            nix::sys::socket::getsockopt(&dup, sockopt::Ipv6Ttl)? as u32
        } else {
            dup.ttl()?
        };
        Ok(Handle {
            dup,
            stream: Some(stream),
            v6,
            original,
        })
    }

    fn set(&self, ttl: u32) -> io::Result<()> {
        if self.v6 {
            setsockopt(&self.dup, sockopt::Ipv6Ttl, &(ttl as i32))?;
        } else {
            self.dup.set_ttl(ttl)?;
        }
        Ok(())
    }

    /// Every segment sent from now on carries this TTL.
    pub(crate) fn limit(&self, ttl: u8) -> io::Result<()> {
        self.set(u32::from(ttl))
    }

    /// The stream, for the handshake (once).
    pub(crate) fn take_stream(&mut self) -> Option<TcpStream> {
        self.stream.take()
    }

    /// Restores the TTL and makes closing the socket send a reset (linger
    /// zero), so that the peer hears of the end even when the lowered TTL
    /// kept the ClientHello from it. Best effort: the probe is over anyway.
    pub(crate) fn abort(self) {
        let _ = self.set(self.original);
        let _ = setsockopt(
            &self.dup,
            sockopt::Linger,
            &nix::libc::linger {
                l_onoff: 1,
                l_linger: 0,
            },
        );
    }
}
