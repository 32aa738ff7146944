//! Politeness limits shared by all probes of a scan: a global rate of
//! handshake starts and a cap on simultaneous connections per address, so
//! that many names hosted on one CDN address are not hammered at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Spaces out events to at most `per_second` (no bursts): each caller gets
/// the next free slot and sleeps until it.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    period: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    /// A limiter for `per_second` events per second (must be > 0).
    pub(crate) fn new(per_second: f64) -> Self {
        RateLimiter {
            period: Duration::from_secs_f64(1.0 / per_second.max(1e-6)),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this caller's slot.
    pub(crate) async fn acquire(&self) {
        let slot = {
            let Ok(mut next) = self.next.lock() else {
                return;
            };
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.period;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// At most `limit` simultaneous connections to any one IP address.
#[derive(Debug)]
pub(crate) struct AddressLimiter {
    limit: usize,
    by_address: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

/// Held while connected to an address; releasing it frees the slot (and
/// forgets the address once nobody uses it, so memory does not grow with
/// the number of addresses seen).
#[derive(Debug)]
pub(crate) struct AddressPermit<'a> {
    limiter: &'a AddressLimiter,
    address: IpAddr,
    permit: Option<OwnedSemaphorePermit>,
}

impl AddressLimiter {
    /// A limiter allowing `limit` (at least 1) connections per address.
    pub(crate) fn new(limit: usize) -> Self {
        AddressLimiter {
            limit: limit.max(1),
            by_address: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a free slot at `address`.
    pub(crate) async fn acquire(&self, address: IpAddr) -> AddressPermit<'_> {
        let semaphore = match self.by_address.lock() {
            Ok(mut map) => map
                .entry(address)
                .or_insert_with(|| Arc::new(Semaphore::new(self.limit)))
                .clone(),
            Err(_) => Arc::new(Semaphore::new(self.limit)),
        };
        let permit = semaphore.acquire_owned().await.ok();
        AddressPermit {
            limiter: self,
            address,
            permit,
        }
    }

    /// Addresses currently tracked.
    #[cfg(test)]
    pub(crate) fn tracked(&self) -> usize {
        self.by_address.lock().map(|m| m.len()).unwrap_or(0)
    }
}

impl Drop for AddressPermit<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        if let Ok(mut map) = self.limiter.by_address.lock() {
            let idle = map.get(&self.address).is_some_and(|s| {
                Arc::strong_count(s) == 1 && s.available_permits() == self.limiter.limit
            });
            if idle {
                map.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_limiter_spaces_events() {
        let limiter = RateLimiter::new(10.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        // Slots at 0, 100, 200, 300, 400 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test]
    async fn address_limiter_caps_and_forgets() {
        let limiter = AddressLimiter::new(2);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = limiter.acquire(ip).await;
        let b = limiter.acquire(ip).await;
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire(ip)).await;
        assert!(third.is_err(), "a third connection must wait");
        drop(a);
        let c = limiter.acquire(ip).await;
        drop(b);
        drop(c);
        assert_eq!(limiter.tracked(), 0);
    }
}
