//! Running many probes at once: a global concurrency limit, an optional
//! global rate, bounded retries with backoff for transient failures,
//! targets taken from a channel as they arrive and observations sent out as
//! they finish.

use super::limits::RateLimiter;
use super::probe::Collector;
use mitmwatch_core::model::tool_name;
use mitmwatch_core::model::{Observation, Status, Target, OBSERVATION_SCHEMA};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

/// How a scan paces itself.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Probes in flight at once.
    pub concurrency: usize,
    /// Handshake attempts started per second, across the scan (retries included).
    pub rate: Option<f64>,
    /// Extra attempts for transient failures (timeouts, resets).
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            concurrency: 200,
            rate: None,
            retries: 0,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Failures worth another attempt: the network may do better next time.
/// Refusals, DNS answers, alerts and protocol errors are answers, not accidents.
pub(crate) fn is_transient(status: Status) -> bool {
    matches!(
        status,
        Status::ConnectTimeout | Status::HandshakeTimeout | Status::IoError | Status::ConnectFailed
    )
}

/// [`scan_with`] with `concurrency` and no rate limit or retries.
pub async fn scan(
    collector: Arc<Collector>,
    targets: mpsc::Receiver<Target>,
    concurrency: usize,
    results: mpsc::Sender<Observation>,
) {
    let options = ScanOptions {
        concurrency,
        ..ScanOptions::default()
    };
    scan_with(collector, targets, &options, results).await
}

async fn attempt(
    collector: &Collector,
    target: &Target,
    options: &ScanOptions,
    rate: Option<&RateLimiter>,
) -> Observation {
    let mut tries = 0;
    loop {
        if let Some(rate) = rate {
            rate.acquire().await;
        }
        let obs = collector.probe(target).await;
        if tries >= options.retries || !is_transient(obs.status) {
            return obs;
        }
        tokio::time::sleep(options.backoff.saturating_mul(1 << tries.min(16))).await;
        tries += 1;
    }
}

/// Probes every target received on `targets` as `options` allow, and sends
/// one observation per target (its last attempt) to `results` in completion
/// order. Returns when `targets` is closed and every probe has reported.
pub async fn scan_with(
    collector: Arc<Collector>,
    mut targets: mpsc::Receiver<Target>,
    options: &ScanOptions,
    results: mpsc::Sender<Observation>,
) {
    let rate = options.rate.map(|r| Arc::new(RateLimiter::new(r)));
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    while let Some(target) = targets.recv().await {
        let Ok(permit) = limit.clone().acquire_owned().await else {
            break;
        };
        let collector = collector.clone();
        let results = results.clone();
        let rate = rate.clone();
        let options = options.clone();
        tasks.spawn(async move {
            let probe_target = target.clone();
            // A panic in a probe would be a bug; it still yields a record.
            let observation = match tokio::spawn(async move {
                attempt(&collector, &probe_target, &options, rate.as_deref()).await
            })
            .await
            {
                Ok(obs) => obs,
                Err(e) => internal_error(target, e.to_string()),
            };
            drop(permit);
            let _ = results.send(observation).await;
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

fn internal_error(target: Target, message: String) -> Observation {
    Observation {
        schema: OBSERVATION_SCHEMA,
        tool: tool_name(),
        target,
        address: None,
        route: None,
        started_at: OffsetDateTime::now_utc(),
        duration_ms: 0.0,
        status: Status::IoError,
        failure: Some(format!(
            "internal error in mitmwatch (please report): {message}"
        )),
        tls: None,
        chain: Vec::new(),
        stock_verification: None,
        imported: None,
        fetched_issuers: Vec::new(),
        proxy: None,
        starttls: None,
    }
}

/// Probes every target of a list that fits in memory as `options` allow,
/// and returns the observations in the list's order.
pub async fn collect_all(
    collector: Collector,
    targets: Vec<Target>,
    options: &ScanOptions,
) -> Vec<Observation> {
    let collector = Arc::new(collector);
    let (target_tx, target_rx) = mpsc::channel(targets.len().max(1));
    for t in &targets {
        // The channel holds the whole list: sending cannot wait or fail.
        let _ = target_tx.send(t.clone()).await;
    }
    drop(target_tx);
    let (tx, mut rx) = mpsc::channel(targets.len().max(1));
    let options = options.clone();
    let task = tokio::spawn(async move { scan_with(collector, target_rx, &options, tx).await });
    let mut observations = Vec::with_capacity(targets.len());
    while let Some(obs) = rx.recv().await {
        observations.push(obs);
    }
    let _ = task.await;
    observations.sort_by_key(|o| targets.iter().position(|t| *t == o.target));
    observations
}
