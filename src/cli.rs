//! Command-line definitions (clap). No logic here.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Tells whether TLS connections are being intercepted, and proves it.
#[derive(Debug, Parser)]
#[command(name = "mitmwatch", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to colour verdicts: `auto` (on a terminal, unless NO_COLOR is
    /// set), `always` or `never`.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// `-q` and `-v`, accepted by every subcommand with the same meaning
/// (README, "Command-line conventions"). Together, `-v` details the
/// output and `-q` keeps stderr to warnings and errors.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct Verbosity {
    /// Print no notes on stderr (progress, summaries, "written to …"):
    /// only warnings and errors. The output itself is the same.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail: in text output, every finding, site or item the
    /// default leaves out; on stderr (unless -q), a note for each target,
    /// file or problem the default only counts.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// `--color`: when verdicts are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always, even into a pipe or file.
    Always,
    /// Never.
    Never,
}

/// Parses a number of seconds: above 0 and at most an hour.
fn seconds(value: &str) -> Result<f64, String> {
    let secs: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
        Ok(secs)
    } else {
        Err(format!(
            "must be above 0 and at most 3600 seconds, not {value}"
        ))
    }
}

/// Parses a positive rate (handshakes per second).
fn positive(value: &str) -> Result<f64, String> {
    let rate: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number"))?;
    if rate.is_finite() && rate > 0.0 {
        Ok(rate)
    } else {
        Err(format!("must be above 0, not {value}"))
    }
}

/// Parses a count of at least 1 (concurrency, per-address limits).
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{value:?} is not a whole number")),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Handshake with targets and record what they serve, as JSON Lines.
    Scan(ScanArgs),
    /// Run the built-in simulated intercepted network and scan it.
    Demo(DemoArgs),
    /// Keep the simulated network running for other tools to probe.
    Sim(SimArgs),
    /// Judge saved observations (JSON Lines from `scan`): verdicts and findings.
    Analyze(AnalyzeArgs),
    /// Judge certificate chains in PEM or DER files.
    Inspect(InspectArgs),
    /// Am I intercepted right now? Scan popular sites and explain the verdict.
    Check(CheckArgs),
    /// Build a baseline (domain -> accepted issuing CAs) from a scan made from a trusted vantage.
    Baseline(BaselineArgs),
    /// Readable reports of saved observations: self-contained HTML, CSV or text.
    Report(ReportArgs),
    /// Audit this machine's trust stores: is a known interception root installed?
    Store(StoreArgs),
    /// Control-SNI differential: handshake with each host's name and with a
    /// control name at the same address, and compare the issuing CAs.
    Probe(ProbeArgs),
    /// Compare two scans from different vantage points (inside and outside
    /// a network): per domain, the same leaf key, issuing CA and root?
    Compare(CompareArgs),
    /// Write an evidence bundle per interceptor found: certificates,
    /// fingerprints to block, domains, times and a REPORT.md for browser vendors.
    Evidence(EvidenceArgs),
    /// Join the outputs of the shards of one scan (`scan --shard`) into one
    /// observation file, checking that every target of the list is in it
    /// exactly once.
    Merge(MergeArgs),
    /// Download current data (Chrome's CT log list, verified with Google's
    /// key; Mozilla's intermediates) into the user data directory.
    Update(UpdateArgs),
    /// Where is the interceptor? Send the ClientHello with IP TTL 1, 2, …
    /// and report the hop at which a certificate first comes back (Linux).
    Locate(LocateArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `mitmwatch man | man -l -`.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The page of this subcommand instead of the main page.
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// Format of `report` output other than HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The summary and one line per target.
    Text,
    /// One row per target, for spreadsheets.
    Csv,
    /// JSON Lines: one `assessment` object per target, then one `summary`
    /// (as `analyze --format json`).
    Json,
}

/// Which targets of an HTML report show their TLS parameters and chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportDetails {
    /// Every target.
    All,
    /// Targets whose verdict is not clean (smaller pages for large scans).
    Flagged,
}

/// What an input of `analyze` (or `evidence`) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputKind {
    /// mitmwatch observations: JSON Lines from `scan`, `check --save`, `probe --save`.
    Mitmwatch,
    /// OONI measurements, JSON Lines (web_connectivity, urlgetter, tlsping, …).
    Ooni,
    /// A directory of PEM (or DER) chain files, one chain per file, leaf first.
    PemDir,
}

impl InputKind {
    /// The library's name for it.
    pub fn format(self) -> mitmwatch_core::import::InputFormat {
        match self {
            InputKind::Mitmwatch => mitmwatch_core::import::InputFormat::Mitmwatch,
            InputKind::Ooni => mitmwatch_core::import::InputFormat::Ooni,
            InputKind::PemDir => mitmwatch_core::import::InputFormat::PemDir,
        }
    }
}

/// Output format of the judging commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON Lines: one `assessment` object per target, then one `summary`.
    Json,
}

/// Output format of the commands that print one JSON document (check,
/// store, compare, update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocFormat {
    /// Human-readable text.
    Text,
    /// One JSON document (pretty-printed; its `schema` field says its
    /// version; see docs/formats.md).
    Json,
}

/// What the analyzer consults, shared by analyze, inspect, check and demo.
#[derive(Debug, Args, Clone, Default)]
pub struct AnalysisArgs {
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Add the entries of this catalog file (same format as certs/catalog.json; repeatable).
    #[arg(long, value_name = "FILE.json")]
    pub catalog: Vec<PathBuf>,
    /// Compare issuing CAs with this baseline (from `mitmwatch baseline`).
    #[arg(long, value_name = "FILE.json")]
    pub baseline: Option<PathBuf>,
    /// Use this static-pin data instead of the built-in Chromium/Firefox pins
    /// (same format as certs/pins.json; `mitmwatch sim --pins-out` writes one
    /// for the simulation).
    #[arg(long, value_name = "FILE.json")]
    pub pins: Option<PathBuf>,
    /// Verify SCTs with this CT log list (Chrome's v3 log_list.json format)
    /// instead of the built-in one (certs/ct/log_list.json, January 2026) or
    /// the newer one `mitmwatch update` saved in the data directory;
    /// `mitmwatch sim --ct-log-list-out` writes one for the simulation.
    #[arg(long, value_name = "FILE.json")]
    pub ct_log_list: Option<PathBuf>,
    /// Complete chains with the issuing CA certificates in this PEM file, as
    /// browsers do from their cache (repeatable; added to the shipped set
    /// in certs/intermediates/, e.g. Mozilla's CCADB intermediates).
    #[arg(long, value_name = "FILE.pem")]
    pub intermediates: Vec<PathBuf>,
    /// Validation time: RFC 3339 (2024-03-01T00:00:00Z), `now`, or `observed`
    /// (each observation's own time). Default: `observed` for recorded data
    /// (`analyze`, `report`, `evidence`), `now` for live measurements
    /// (`check`, `scan --analyze`, `inspect`, `store`).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Which verdicts make the exit status 2: `intercepted` (positive
    /// evidence only), or `suspicious` (also what could not be settled).
    #[arg(
        long,
        value_enum,
        value_name = "VERDICT",
        default_value = "intercepted"
    )]
    pub fail_on: FailOn,
    /// Where `mitmwatch update` saved its data (default: $MITMWATCH_DATA_DIR,
    /// else $XDG_DATA_HOME/mitmwatch, else ~/.local/share/mitmwatch).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Which verdicts make the exit status 2 (`--fail-on`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Only `intercepted` verdicts.
    #[default]
    Intercepted,
    /// `intercepted` or `suspicious` verdicts.
    Suspicious,
}

/// Trust store options, shared by every command that verifies chains.
#[derive(Debug, Args, Clone, Default)]
pub struct TrustArgs {
    /// Use only the roots in this PEM file instead of Mozilla's (webpki-roots).
    #[arg(long, value_name = "FILE.pem")]
    pub roots: Option<PathBuf>,
    /// Add the roots in this PEM file to the trust store (repeatable).
    #[arg(long, value_name = "FILE.pem")]
    pub extra_roots: Vec<PathBuf>,
    /// Add this machine's trusted roots (the system store) to the trust
    /// store; those not in the base store count as locally added.
    #[arg(long)]
    pub system_roots: bool,
}

/// Options of the collector.
#[derive(Debug, Args, Clone)]
pub struct CollectArgs {
    /// Connect to HOST2:PORT2 instead of HOST1:PORT1 (curl syntax; empty
    /// fields match anything or keep the original; repeatable).
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<String>,
    /// Use these addresses for HOST:PORT instead of DNS (`*` for any host; repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR[,ADDR]")]
    pub resolve: Vec<String>,
    /// Send this SNI for every target instead of its host name.
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub sni: Option<String>,
    /// Send no SNI at all.
    #[arg(long)]
    pub no_sni: bool,
    /// Port for targets given without one.
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    /// Seconds allowed for DNS + TCP connect and, separately, for the TLS handshake.
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = seconds, allow_negative_numbers = true)]
    pub timeout: f64,
    /// Seconds for DNS + TCP connect (overrides --timeout).
    #[arg(long, value_name = "SECS", value_parser = seconds, allow_negative_numbers = true)]
    pub connect_timeout: Option<f64>,
    /// Seconds for the TLS handshake (overrides --timeout).
    #[arg(long, value_name = "SECS", value_parser = seconds, allow_negative_numbers = true)]
    pub handshake_timeout: Option<f64>,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = 200, value_name = "N", value_parser = at_least_one)]
    pub concurrency: usize,
    /// At most this many handshakes started per second, retries included (default: no limit).
    #[arg(long, value_name = "PER_SEC", value_parser = positive, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// At most this many simultaneous connections to one IP address.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = at_least_one)]
    pub per_address: usize,
    /// Extra attempts, with exponential backoff, for transient failures
    /// (timeouts, resets, unreachable); refusals and TLS answers are final.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub retries: u32,
    /// Do not fetch missing issuers from the AIA caIssuers URLs of a chain
    /// that does not reach the trust store (fetched over plain HTTP,
    /// recorded in `fetched_issuers`; on by default).
    #[arg(long)]
    pub no_aia: bool,
    /// Go through this proxy: http://[USER:PASS@]HOST:PORT (HTTP CONNECT),
    /// socks5:// or socks5h://; "" for none. Default: https_proxy,
    /// HTTPS_PROXY, all_proxy or ALL_PROXY, as curl reads them.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Hosts that bypass the proxy (curl syntax: comma list, `*` for all,
    /// names match their subdomains, IPs and CIDR ranges); replaces NO_PROXY.
    #[arg(long, value_name = "LIST")]
    pub noproxy: Option<String>,
    /// Ignore the proxy environment variables (HTTPS_PROXY, ALL_PROXY, NO_PROXY…).
    #[arg(long)]
    pub no_proxy_env: bool,
    /// Speak this protocol before TLS: smtp, imap, pop3, xmpp, ftp or postgres
    /// (use the protocol's port, e.g. example.com:25 or --port 25).
    #[arg(long, value_name = "PROTO")]
    pub starttls: Option<mitmwatch_core::model::StartTls>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Targets: HOST, HOST:PORT, [IPv6]:PORT or https://HOST/.
    #[arg(value_name = "HOST[:PORT]")]
    pub targets: Vec<String>,
    /// Read targets from a file, one per line (`-` for stdin; `#` comments).
    #[arg(short, long, value_name = "FILE|-")]
    pub input: Option<PathBuf>,
    /// Write observations here (`-` for stdout, the default).
    #[arg(short, long, value_name = "FILE|-")]
    pub output: Option<PathBuf>,
    /// Continue an interrupted scan: skip targets already in the --output
    /// file, repair an unfinished last line, and append.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Scan only shard K of N (1-based) of the targets; the N outputs
    /// together cover every target exactly once. `auto`: K and N from a
    /// Slurm job array (SLURM_ARRAY_TASK_*) or a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX, with --shard-count or MITMWATCH_SHARD_COUNT).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<mitmwatch_collect::batch::scheduler::ShardSpec>,
    /// With `--shard auto`: the number of shards (a Kubernetes Job's
    /// completions; checked against Slurm's array size).
    #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_count: Option<u64>,
    /// Write assessments (verdicts and findings) instead of observations,
    /// followed by a summary line.
    #[arg(long)]
    pub analyze: bool,
    #[command(flatten)]
    pub collect: CollectArgs,
    /// Trust store and analysis data (analysis flags apply with --analyze).
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard outputs (observations, JSON Lines, as `scan --shard` wrote them).
    #[arg(value_name = "SHARD.jsonl", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write the merged observations here (`-` for stdout).
    #[arg(short, long, value_name = "FILE|-")]
    pub output: PathBuf,
    /// The target list the shards were scanned from (a file, read twice).
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// Write the targets of the list that no shard recorded here, one per
    /// line, ready for `scan --input` (with the same --port/--sni flags).
    #[arg(long, value_name = "FILE")]
    pub missing: Option<PathBuf>,
    /// Default port of list entries without one (as given to `scan`).
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    /// The --sni the shards were scanned with.
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub sni: Option<String>,
    /// The shards were scanned with --no-sni.
    #[arg(long)]
    pub no_sni: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Observations, JSON Lines (`-` for stdin); with `--from pem-dir`, a directory.
    #[arg(value_name = "FILE.jsonl")]
    pub input: PathBuf,
    /// What the input holds: mitmwatch observations, OONI measurements or
    /// a directory of PEM chains.
    #[arg(long, value_enum, default_value_t = InputKind::Mitmwatch)]
    pub from: InputKind,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Threads that judge observations (mitmwatch files; default: one per
    /// core). The output is the same, in the same order, for any number.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Chain files, PEM (one or more certificates, leaf first) or DER (`-` for stdin).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The host name the chain is for (default: the leaf's first DNS name).
    #[arg(long)]
    pub host: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output format: text, or json (one document with a top-level
    /// `verdict`: intercepted, suspicious, clean or inconclusive).
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub format: DocFormat,
    /// The same as `--format json` (kept for scripts).
    #[arg(long, hide = true)]
    pub json: bool,
    /// Also write the raw observations here (JSON Lines), for evidence.
    #[arg(long, value_name = "FILE.jsonl")]
    pub save: Option<PathBuf>,
    /// When interception is found, do not look in this machine's trust
    /// stores for the intercepting root.
    #[arg(long)]
    pub no_store: bool,
    #[command(flatten)]
    pub collect: CollectArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    #[command(flatten)]
    pub stores: StoreDiscoveryArgs,
}

/// Where the trust-store audit looks (store, check).
#[derive(Debug, Args, Clone, Default)]
pub struct StoreDiscoveryArgs {
    /// Home directory searched for Firefox profiles and Chrome's NSS
    /// database (default: $HOME).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Look for the standard CA bundles and anchor directories under DIR
    /// instead of / (a mounted disk or container image); the operating
    /// system store API is then not used.
    #[arg(long, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,
    /// Do not read the operating system store, CA bundles or anchor directories.
    #[arg(long)]
    pub no_system: bool,
    /// Do not look for browser profiles in the home directory.
    #[arg(long)]
    pub no_browsers: bool,
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Also read this certificate file (PEM or DER) or directory of them (repeatable).
    #[arg(long, value_name = "FILE|DIR")]
    pub path: Vec<PathBuf>,
    /// Also read this Firefox profile directory (or NSS cert9.db file; repeatable).
    #[arg(long, value_name = "DIR")]
    pub firefox_profile: Vec<PathBuf>,
    /// Tie the intercepted connections of these observations (from `scan`
    /// or `check --save`) to the roots installed here. The analysis options
    /// below judge them; `--roots` does not change what counts as a public
    /// root in the audit (always Mozilla's).
    #[arg(long, value_name = "FILE.jsonl")]
    pub scan: Option<PathBuf>,
    /// Output format: text, or json (one document).
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub format: DocFormat,
    /// The same as `--format json` (kept for scripts).
    #[arg(long, hide = true)]
    pub json: bool,
    #[command(flatten)]
    pub stores: StoreDiscoveryArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Observations, JSON Lines (`-` for stdin).
    #[arg(value_name = "FILE.jsonl")]
    pub input: PathBuf,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Which targets the HTML report shows with their TLS parameters and
    /// chain (every target keeps its row; clean ones without details get a
    /// compact one).
    #[arg(long, value_enum, default_value_t = ReportDetails::Flagged)]
    pub details: ReportDetails,
    /// Format of the report on stdout (or -o): text, csv or json.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the text, CSV or JSON report here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Threads that judge observations (default: one per core).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Observations from a trusted vantage, JSON Lines (`-` for stdin).
    #[arg(value_name = "FILE.jsonl")]
    pub input: PathBuf,
    /// Write the baseline here (default stdout).
    #[arg(short, long, value_name = "FILE.json")]
    pub output: Option<PathBuf>,
    /// Output format: json (the file `--baseline` reads), or text (per
    /// domain, the issuing CAs, for reading).
    #[arg(long, value_enum, default_value_t = BaselineFormat::Json)]
    pub format: BaselineFormat,
}

/// Output format of `baseline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BaselineFormat {
    /// Per domain, its issuing CAs, for reading.
    Text,
    /// The baseline file (`schema` 1), as `--baseline` reads it.
    Json,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Also write the observations to this file (JSON Lines).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format: text, or json (the assessments as JSON Lines, then
    /// one summary line, as `analyze --format json`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port of the origin server (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub origin_port: u16,
    /// Port of the interception box (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub interceptor_port: u16,
    /// Write the simulated public root here as PEM (trust it with --roots).
    #[arg(long, value_name = "FILE.pem")]
    pub roots_out: Option<PathBuf>,
    /// Write pin data for the simulation here (use it with --pins): the
    /// built-in pinned hosts, pinned to the simulated public root.
    #[arg(long, value_name = "FILE.json")]
    pub pins_out: Option<PathBuf>,
    /// Write a CT log list (Chrome's v3 format) holding the simulated CT
    /// logs here (use it with --ct-log-list): the simulated public CA embeds
    /// their SCTs in every genuine leaf.
    #[arg(long, value_name = "FILE.json")]
    pub ct_log_list_out: Option<PathBuf>,
    /// Write all three (sim-root.pem, sim-pins.json, sim-ct.json) into this
    /// directory, created if missing; the printed commands then judge the
    /// genuine origin clean and the box intercepted.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["roots_out", "pins_out", "ct_log_list_out"]
    )]
    pub out_dir: Option<PathBuf>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "SECS", value_parser = positive, allow_negative_numbers = true)]
    pub duration: Option<f64>,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Hosts to probe: HOST or HOST:PORT (the host name is the target SNI).
    #[arg(value_name = "HOST[:PORT]")]
    pub targets: Vec<String>,
    /// Read hosts from a file, one per line (`-` for stdin; `#` comments).
    #[arg(short, long, value_name = "FILE|-")]
    pub input: Option<PathBuf>,
    /// The control name, sent to the same address: a name no censor targets.
    #[arg(long, value_name = "NAME", default_value = "example.com")]
    pub control_sni: String,
    /// Output format: text, or json (one `sni-probe` record per host, JSON Lines).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The same as `--format json` (kept for scripts).
    #[arg(long, hide = true)]
    pub json: bool,
    /// Write the report here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write both observations of every probe here (JSON Lines, for
    /// `analyze` and `evidence`).
    #[arg(long, value_name = "FILE.jsonl")]
    pub save: Option<PathBuf>,
    /// Connect to HOST2:PORT2 instead of HOST1:PORT1 (as for `scan`; repeatable).
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<String>,
    /// Use these addresses for HOST:PORT instead of DNS (as for `scan`; repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR[,ADDR]")]
    pub resolve: Vec<String>,
    /// Port for hosts given without one.
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    /// Seconds allowed for DNS + TCP connect and, separately, for each TLS handshake.
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = seconds, allow_negative_numbers = true)]
    pub timeout: f64,
    /// Hosts probed at once (each probe is two handshakes, one after the other).
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = at_least_one)]
    pub concurrency: usize,
    /// Verify the recorded chains against only the roots in this PEM file
    /// instead of Mozilla's. (There is no --extra-roots: a chain that
    /// verifies through an added root would not count as re-signed.)
    #[arg(long, value_name = "FILE.pem")]
    pub roots: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Observations from the first vantage point (JSON Lines from `scan`).
    #[arg(value_name = "A.jsonl")]
    pub a: PathBuf,
    /// Observations from the second vantage point.
    #[arg(value_name = "B.jsonl")]
    pub b: PathBuf,
    /// A name for the first vantage point, used in the output (e.g. `inside`).
    #[arg(long, default_value = "A", value_name = "NAME")]
    pub label_a: String,
    /// A name for the second vantage point (e.g. `outside`).
    #[arg(long, default_value = "B", value_name = "NAME")]
    pub label_b: String,
    /// Output format: text, or json (one document).
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub format: DocFormat,
    /// The same as `--format json` (kept for scripts).
    #[arg(long, hide = true)]
    pub json: bool,
    /// Write the comparison here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Observations, JSON Lines (`-` for stdin); with `--from pem-dir`, a directory.
    #[arg(value_name = "FILE.jsonl")]
    pub input: PathBuf,
    /// What the input holds (as for `analyze`).
    #[arg(long, value_enum, default_value_t = InputKind::Mitmwatch)]
    pub from: InputKind,
    /// The bundle directory: created, or an existing empty directory.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// A note about where and how the observations were made (network,
    /// country, date), copied into the bundle. Nothing about the vantage
    /// point is included without it.
    #[arg(long, value_name = "TEXT")]
    pub vantage_note: Option<String>,
    /// Also keep the server addresses, routing rules, failure texts,
    /// trust-store names and import references of the observations. They
    /// can reveal where you were; they are left out by default.
    #[arg(long)]
    pub include_addresses: bool,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The data directory (default: $MITMWATCH_DATA_DIR, else
    /// $XDG_DATA_HOME/mitmwatch, else ~/.local/share/mitmwatch).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Download log_list.json, log_list.sig and intermediates.pem from this
    /// base URL (a mirror) instead of Google's and the CCADB's.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// URL of Chrome's CT log list (log_list.json).
    #[arg(long, value_name = "URL")]
    pub ct_url: Option<String>,
    /// URL of its signature (log_list.sig).
    #[arg(long, value_name = "URL")]
    pub ct_sig_url: Option<String>,
    /// URL of Mozilla's intermediate certificates (CCADB CSV report or PEM).
    #[arg(long, value_name = "URL")]
    pub intermediates_url: Option<String>,
    /// Verify log_list.sig with this PEM public key instead of Google's
    /// (certs/ct/log_list_pubkey.pem), for a mirror that signs its own copy.
    #[arg(long, value_name = "FILE.pem")]
    pub ct_key: Option<PathBuf>,
    /// Deadline per download, in seconds (connect, redirects and body).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = seconds, allow_negative_numbers = true)]
    pub timeout: f64,
    /// Output format: text (a line per source), or json (one document,
    /// `schema` 1).
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub format: DocFormat,
}

/// `--format json` or its older spelling `--json`.
macro_rules! json_output {
    ($json:path: $($args:ty),*) => {$(
        impl $args {
            /// Whether JSON was asked for.
            pub fn json(&self) -> bool {
                self.json || self.format == $json
            }
        }
    )*};
}
json_output!(DocFormat::Json: CheckArgs, StoreArgs, CompareArgs);
json_output!(Format::Json: ProbeArgs);
/// Output format of `locate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LocateFormat {
    /// A table of hops and a conclusion.
    Text,
    /// One JSON record (`schema` 1, see the README).
    Json,
}

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// Host name (sent as SNI) or IP address.
    #[arg(value_name = "HOST")]
    pub host: String,
    /// TCP port of the TLS server.
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    /// Probe this address instead of resolving HOST.
    #[arg(long, value_name = "ADDR")]
    pub address: Option<std::net::IpAddr>,
    /// The largest TTL (IPv6 hop limit) tried.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub max_ttl: u8,
    /// Seconds each TTL's probes wait for an answer.
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub wait: f64,
    /// Seconds allowed for each TCP connect, and for the reference handshake.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Send no SNI.
    #[arg(long)]
    pub no_sni: bool,
    /// Verify certificates against only the roots in this PEM file instead of Mozilla's.
    #[arg(long, value_name = "FILE.pem")]
    pub roots: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LocateFormat::Text)]
    pub format: LocateFormat,
}
