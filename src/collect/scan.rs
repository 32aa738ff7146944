//! Running many probes at once: a global concurrency limit, targets taken
//! from a channel as they arrive and observations sent out as they finish.

use super::probe::{tool_name, Collector};
use crate::model::{Observation, Status, OBSERVATION_SCHEMA};
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

/// Probes every target received on `targets`, at most `concurrency` at a
/// time, and sends one observation per target to `results` in completion
/// order. Returns when `targets` is closed and every probe has reported.
pub async fn scan(
    collector: Arc<Collector>,
    mut targets: mpsc::Receiver<crate::model::Target>,
    concurrency: usize,
    results: mpsc::Sender<Observation>,
) {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    while let Some(target) = targets.recv().await {
        let Ok(permit) = limit.clone().acquire_owned().await else {
            break;
        };
        let collector = collector.clone();
        let results = results.clone();
        tasks.spawn(async move {
            let probe_target = target.clone();
            // A panic in a probe would be a bug; it still yields a record.
            let observation =
                match tokio::spawn(async move { collector.probe(&probe_target).await }).await {
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

fn internal_error(target: crate::model::Target, message: String) -> Observation {
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
    }
}
