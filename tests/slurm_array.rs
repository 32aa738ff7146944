//! A real Slurm: a single-node cluster on 127.0.0.1 (munged with a key made
//! here, slurmctld and slurmd in the foreground, every file in a temporary
//! directory) runs `deploy/slurm/scan-array.sbatch` as a 4-task array
//! against the simulated network; `merge` joins the four outputs, and the
//! result judges the same as a single-process scan of the list.
//!
//! `.ci/run` installs Debian's `slurm-wlm` and `munge`. Where they are
//! missing, or Slurm cannot start here, the test says why and passes,
//! except under CI (env `CI` set), where it fails.
//!
//! The cluster tracks processes without cgroups (`proctrack/linuxproc`,
//! `task/none`, `jobacct_gather/none`): in containers the cgroup plugins
//! fail to start a job step ("cgroup namespace 'freezer' not mounted"), and
//! nothing here needs them.

mod common;

use common::peers::{free_ports, require, Peer};
use common::sharded::{judge, merge, sim_flags, write_list};
use common::{assert_exit, binary};
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the cluster may take to come up, and the array to finish.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const JOB_TIMEOUT: Duration = Duration::from_secs(240);

/// A running single-node cluster; dropping it stops the daemons.
struct Cluster {
    // Dropped in reverse order of start: slurmd, slurmctld, munged.
    daemons: Vec<Peer>,
    conf: PathBuf,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        while let Some(daemon) = self.daemons.pop() {
            drop(daemon);
        }
    }
}

impl Cluster {
    /// A Slurm client command aimed at this cluster.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    /// The daemons' logs, for failure messages.
    fn logs(&self) -> String {
        let mut text = String::new();
        for name in [
            "munged.log",
            "slurmctld.log",
            "slurmd.log",
            "slurmd-steps.log",
        ] {
            let log = std::fs::read(self.dir.join(name)).unwrap_or_default();
            let tail = &log[log.len().saturating_sub(3000)..];
            text.push_str(&format!("--- {name}\n{}\n", String::from_utf8_lossy(tail)));
        }
        text
    }
}

/// The node's name as slurmd sees it, its CPU count and memory in MB
/// (`slurmd -C`).
fn node() -> Result<(String, usize, u64), String> {
    let out = Command::new("slurmd")
        .arg("-C")
        .output()
        .map_err(|e| format!("slurmd -C: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .map(String::from)
    };
    let host = field("NodeName=").ok_or_else(|| format!("slurmd -C said: {text}"))?;
    let cpus = field("CPUs=")
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("slurmd -C said: {text}"))?;
    let memory = field("RealMemory=")
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("slurmd -C said: {text}"))?;
    Ok((host, cpus, memory))
}

/// Waits for `done` to hold, up to `timeout`.
fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Starts munged, slurmctld and slurmd with everything under `dir`.
fn start_cluster(dir: &Path) -> Result<Cluster, String> {
    let munge = dir.join("munge");
    for sub in [&munge, &dir.join("state"), &dir.join("spool")] {
        std::fs::create_dir_all(sub).unwrap();
    }
    std::fs::set_permissions(&munge, std::fs::Permissions::from_mode(0o700)).unwrap();
    let key = munge.join("munge.key");
    let mut bytes = [0u8; 1024];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).unwrap();
    std::fs::write(&key, bytes).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let socket = munge.join("munge.socket");

    let mut cluster = Cluster {
        daemons: Vec::new(),
        conf: dir.join("slurm.conf"),
        dir: dir.to_path_buf(),
    };
    let mut munged = Command::new("munged");
    munged
        .args(["--foreground", "--force"])
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--key-file={}", key.display()))
        .arg(format!("--pid-file={}", munge.join("munged.pid").display()))
        .arg(format!(
            "--seed-file={}",
            munge.join("munged.seed").display()
        ));
    cluster
        .daemons
        .push(Peer::start("munged", munged, &[], &dir.join("munged.log"))?);
    if !wait_for(START_TIMEOUT, || socket.exists()) {
        return Err(format!("munged made no socket:\n{}", cluster.logs()));
    }

    let (host, cpus, memory) = node()?;
    let ports = free_ports(2);
    let (ctld_port, slurmd_port) = (ports[0], ports[1]);
    let d = dir.display();
    let conf = format!(
        "ClusterName=mitmwatch-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={socket}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmdLogFile={d}/slurmd-steps.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=10 State=UP
",
        socket = socket.display()
    );
    std::fs::write(&cluster.conf, conf).unwrap();

    for (daemon, port) in [("slurmctld", ctld_port), ("slurmd", slurmd_port)] {
        let mut c = cluster.command(daemon);
        c.arg("-D").arg("-f").arg(&cluster.conf);
        let log = dir.join(format!("{daemon}.log"));
        let peer = Peer::start(daemon, c, &[port], &log)
            .map_err(|e| format!("{e}\n{}", cluster.logs()))?;
        cluster.daemons.push(peer);
    }
    let idle = wait_for(START_TIMEOUT, || {
        cluster
            .command("sinfo")
            .args(["-h", "-o", "%t"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
    });
    if !idle {
        return Err(format!(
            "the node did not become idle within {START_TIMEOUT:?}:\n{}",
            cluster.logs()
        ));
    }
    Ok(cluster)
}

/// Runs `cmd` to completion, killing it after `timeout`.
fn run_bounded(mut cmd: Command, timeout: Duration) -> Result<std::process::Output, String> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let id = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output());
    if !wait_for(timeout, || waiter.is_finished()) {
        let _ = Command::new("kill").arg(id.to_string()).status();
        return Err(format!("still running after {timeout:?}"));
    }
    waiter.join().unwrap().map_err(|e| e.to_string())
}

/// A Slurm cluster cannot run here: the test, which runs only when asked
/// for (`--ignored`), fails and says why.
fn cannot_run(why: &str) {
    panic!("a local Slurm cluster could not start: {why} (.ci/run installs slurm-wlm and munge)");
}

#[ignore = "needs a local Slurm cluster (slurm-wlm, munge) and root; .ci/run runs it with --ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slurm_array_scans_the_list_in_four_shards_and_the_merge_equals_one_scan() {
    let how = "apt-get install slurm-wlm munge";
    // The clients (sbatch, sinfo) need a configuration even for --version;
    // they come with the daemons (slurm-wlm depends on slurm-client).
    require("munged", &["--version"], how);
    require("slurmctld", &["-V"], how);
    require("slurmd", &["-V"], how);
    let dir = tempfile::tempdir().unwrap();
    // The job runs as the submitting user and reads and writes here.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let slurm_dir = dir.path().join("slurm");
    let cluster = {
        let slurm_dir = slurm_dir.clone();
        match tokio::task::spawn_blocking(move || start_cluster(&slurm_dir))
            .await
            .unwrap()
        {
            Ok(c) => c,
            Err(why) => return cannot_run(&why),
        }
    };

    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let list = write_list(dir.path(), 80);
    let flags = sim_flags(sim.interceptor.port(), &roots).join(" ");
    let shards = dir.path().join("shards");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/scan-array.sbatch");
    let mut sbatch = cluster.command("sbatch");
    sbatch
        .args(["--wait", "--array=0-3", "--time=5"])
        .arg(format!("--output={}/task-%a.log", logs.display()))
        .arg(format!("--chdir={}", dir.path().display()))
        .arg(&script)
        .env("MITMWATCH", binary())
        .env("TARGETS", &list)
        .env("OUT_DIR", &shards)
        .env("TOTAL_PER_ADDRESS", "64")
        .env("MITMWATCH_FLAGS", &flags)
        .env_remove("SHARDS");
    let submitted = {
        let logs_on_failure = cluster.logs();
        let result = tokio::task::spawn_blocking(move || run_bounded(sbatch, JOB_TIMEOUT))
            .await
            .unwrap();
        result.unwrap_or_else(|e| panic!("sbatch: {e}\n{logs_on_failure}"))
    };
    let task_logs: String = (0..4)
        .map(|k| {
            let log =
                std::fs::read_to_string(logs.join(format!("task-{k}.log"))).unwrap_or_default();
            format!("--- task {k}\n{log}")
        })
        .collect();
    assert!(
        submitted.status.success(),
        "sbatch: {}\n{task_logs}\n{}",
        String::from_utf8_lossy(&submitted.stderr),
        cluster.logs()
    );

    let outputs: Vec<PathBuf> = (0..4)
        .map(|k| shards.join(format!("shard-{k}.jsonl")))
        .collect();
    for path in &outputs {
        let records = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{task_logs}", path.display()));
        assert!(records.lines().count() > 5, "{}: {records}", path.display());
    }
    let merged = dir.path().join("all.jsonl");
    let out = merge(&outputs, &list, &merged, &[]);
    assert_exit(&out, 0);

    let single = dir.path().join("single.jsonl");
    let mut scan = tokio::process::Command::new(binary());
    scan.args(["scan", "-q", "-i"])
        .arg(&list)
        .args(sim_flags(sim.interceptor.port(), &roots))
        .arg("-o")
        .arg(&single);
    assert_exit(&scan.output().await.unwrap(), 0);

    let (one, joined) = (judge(&single, &roots), judge(&merged, &roots));
    assert_eq!(one.assessments.len(), 82);
    assert_eq!(one, joined);
    drop(cluster);
}
