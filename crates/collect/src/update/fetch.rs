//! Bounded HTTP(S) downloads for `mitmwatch update`: one GET per file with
//! ureq (rustls with ring, Mozilla's roots from webpki-roots), a cap on the
//! body size, a deadline for the whole exchange and a limit on redirects.
//! A failure names the URL and what went wrong; nothing is retried.

use std::time::Duration;

/// How far a download may go.
#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
    /// Deadline for one request: connect, redirects and body together.
    pub timeout: Duration,
    /// Redirects followed before giving up.
    pub max_redirects: u32,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            timeout: Duration::from_secs(60),
            max_redirects: 5,
        }
    }
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FetchError {
    /// Only `http://` and `https://` URLs are fetched.
    #[error("{url}: not an http:// or https:// URL")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body was larger than allowed.
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap, bytes.
        limit: u64,
    },
    /// The deadline passed.
    #[error("{url}: no complete response within {seconds} s ({what})")]
    Timeout {
        /// The URL.
        url: String,
        /// The deadline, seconds.
        seconds: f64,
        /// Which phase timed out.
        what: String,
    },
    /// Too many redirects (a loop, or a long chain).
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects {
        /// The URL.
        url: String,
        /// The limit.
        max: u32,
    },
    /// Anything else: DNS, connection, TLS, protocol.
    #[error("{url}: {detail}")]
    Other {
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
}

/// Downloads files within [`FetchLimits`].
pub struct Fetcher {
    agent: ureq::Agent,
    limits: FetchLimits,
}

impl Fetcher {
    /// A fetcher with these limits. Proxies come from the usual environment
    /// variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    pub fn new(limits: FetchLimits) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(limits.timeout))
            .max_redirects(limits.max_redirects)
            .max_redirects_will_error(true)
            .http_status_as_error(true)
            .user_agent(concat!("mitmwatch/", env!("CARGO_PKG_VERSION")))
            .build();
        Fetcher {
            agent: ureq::Agent::new_with_config(config),
            limits,
        }
    }

    /// GETs `url`; the body must be at most `max_bytes` long.
    pub(crate) fn get(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, FetchError> {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(FetchError::BadUrl { url: url.into() });
        }
        let classify = |e: ureq::Error| self.classify(url, max_bytes, e);
        let mut response = self.agent.get(url).call().map_err(classify)?;
        response
            .body_mut()
            .with_config()
            .limit(max_bytes)
            .read_to_vec()
            .map_err(classify)
    }

    fn classify(&self, url: &str, max_bytes: u64, e: ureq::Error) -> FetchError {
        let url = url.to_string();
        match e {
            ureq::Error::StatusCode(status) => FetchError::Status { url, status },
            ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                url,
                limit: max_bytes,
            },
            ureq::Error::Timeout(what) => FetchError::Timeout {
                url,
                seconds: self.limits.timeout.as_secs_f64(),
                what: what.to_string(),
            },
            ureq::Error::TooManyRedirects => FetchError::TooManyRedirects {
                url,
                max: self.limits.max_redirects,
            },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                FetchError::Timeout {
                    url,
                    seconds: self.limits.timeout.as_secs_f64(),
                    what: io.to_string(),
                }
            }
            other => FetchError::Other {
                url,
                detail: other.to_string(),
            },
        }
    }
}
