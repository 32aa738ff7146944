//! The examples and exit status that end the `--help` of the main commands
//! and make the EXIT STATUS and EXAMPLES sections of their manual pages
//! (`mitmwatch man`). Each text is `Exit status:` with a line per code, a
//! blank line, then `Examples:` with a command per line and its explanation
//! indented below it, so that the help ends with examples;
//! `cmd::completions` parses it for the manual.

/// After `mitmwatch --help`.
pub const MAIN: &str = "\
Exit status:
  0  no interception found (or, for commands that judge nothing, success)
  1  usage or runtime error
  2  interception found, and nothing else
  3  inconclusive: nothing, or too little, could be judged
  4  update: a source failed
  5  merge: the shards do not cover the list exactly once
  130  scan: interrupted (Ctrl-C)

Examples:
  mitmwatch check
      Am I intercepted right now? The first line is the answer
  mitmwatch demo
      See it work on the built-in simulated network, offline
  mitmwatch scan -i sites.txt -o obs.jsonl && mitmwatch report obs.jsonl --html report.html
      Record what servers serve, then a report to hand on
  mitmwatch evidence obs.jsonl -o bundle/
      A bundle for browser vendors: REPORT.md, fingerprints to block";

/// After `mitmwatch check --help`.
pub const CHECK: &str = "\
Exit status:
  0  no interception found
  1  usage or runtime error
  2  interception found (with --fail-on suspicious: also a suspicious site)
  3  inconclusive: fewer than half of the sites answered

Examples:
  mitmwatch check
      63 popular sites; the first line is the verdict with its count
  mitmwatch check --save evidence.jsonl
      Also keep the observations, for `analyze` or `evidence`
  mitmwatch check --format json | jq -r .verdict
      intercepted, suspicious, clean or inconclusive
  mitmwatch check --proxy http://proxy.example:3128
      Through the proxy and directly: which path is intercepted";

/// After `mitmwatch scan --help`.
pub const SCAN: &str = "\
Exit status:
  0  the scan ran (with --analyze: no interception found)
  1  usage or runtime error, or no target could be read
  2  --analyze: interception found
  3  --analyze: nothing could be judged
  130  interrupted (Ctrl-C): the records so far are whole; --resume goes on

Examples:
  mitmwatch scan facebook.com vk.com:443
      Two targets, observations on stdout
  mitmwatch scan -i sites.txt -o obs.jsonl
      A list (host, host:port or rank,domain per line; gzip read as is)
  mitmwatch scan -i sites.txt -o obs.jsonl --resume
      Go on after an interruption: every target exactly once
  mitmwatch scan -i sites.txt --analyze --format json
      Assessments as the handshakes complete";

/// After `mitmwatch analyze --help`.
pub const ANALYZE: &str = "\
Exit status:
  0  no interception found
  1  usage or runtime error (also a file of the wrong kind: a target list, a baseline, …)
  2  interception found (with --fail-on suspicious: or a suspicious verdict)
  3  nothing could be judged

Examples:
  mitmwatch analyze obs.jsonl
      The conclusion first, then a line per target
  mitmwatch analyze obs.jsonl --summary
      The conclusion alone
  mitmwatch analyze obs.jsonl -v --at observed
      Every finding, each handshake judged as of when it was made
  mitmwatch analyze measurements.jsonl --from ooni --format json
      OONI measurements, as assessments then a summary (JSON Lines)";

/// After `mitmwatch report --help`.
pub const REPORT: &str = "\
Exit status:
  0  no interception found
  1  usage or runtime error
  2  interception found
  3  nothing could be judged

Examples:
  mitmwatch report obs.jsonl --html report.html
      A self-contained page: grouped rows, fingerprints, prints with its evidence
  mitmwatch report obs.jsonl --format csv -o obs.csv
      A row per target; the summary beside it in obs.csv.summary.json
  mitmwatch report obs.jsonl --summary
      The conclusion alone";

/// After `mitmwatch inspect --help`.
pub const INSPECT: &str = "\
Exit status:
  0  no interception found
  1  usage or runtime error, or a file could not be read (unless one was intercepted)
  2  interception found
  3  nothing could be judged

Examples:
  mitmwatch inspect chain.pem
      One chain (leaf first), judged and explained
  mitmwatch inspect root.der --format json
      A single certificate, as an assessment";

/// After `mitmwatch store --help`.
pub const STORE: &str = "\
Exit status:
  0  stores read, no known interception root trusted
  1  usage or runtime error
  2  a known interception root is trusted, or (--scan) a connection was intercepted through one
  3  no trust store could be read

Examples:
  mitmwatch store
      This machine's trust stores: is an interception root installed?
  mitmwatch store --scan obs.jsonl
      Ties intercepted connections to the roots installed here";

/// After `mitmwatch evidence --help`.
pub const EVIDENCE: &str = "\
Exit status:
  0  nothing intercepted: no bundle written
  1  usage or runtime error (also: the output directory is not empty)
  2  interception found: the bundle is written
  3  nothing could be judged

Examples:
  mitmwatch evidence obs.jsonl -o bundle/
      A directory per interceptor: REPORT.md, evidence.json, certificates
  mitmwatch evidence obs.jsonl -o bundle/ --vantage-note \"home DSL, Almaty\"
      With a note on where the handshakes were made";

/// After `mitmwatch demo --help`.
pub const DEMO: &str = "\
Exit status:
  2  the simulation intercepts, as it should
  1  error

Examples:
  mitmwatch demo
      The simulated 2019 box: 37 of 63 sites intercepted
  mitmwatch demo -v
      Every finding and chain";

/// After `mitmwatch probe --help`.
pub const PROBE: &str = "\
Exit status:
  0  no SNI-triggered interception
  1  usage or runtime error
  2  at least one host was sni-triggered
  3  no host could be compared with its control

Examples:
  mitmwatch probe vk.com --control-sni example.com
      The same address with another name: is interception chosen by name?";

/// After `mitmwatch compare --help`.
pub const COMPARE: &str = "\
Exit status:
  0  same roots on both sides
  1  usage or runtime error
  2  a domain has a different or extra root
  3  no domain got a chain on both sides

Examples:
  mitmwatch compare inside.jsonl outside.jsonl
      The counts and conclusion first, then the domains that differ
  mitmwatch compare inside.jsonl outside.jsonl -v
      Also the domains that agree";

/// After `mitmwatch locate --help`.
pub const LOCATE: &str = "\
Exit status:
  0  a certificate came back at some hop
  1  usage or runtime error
  3  no certificate came back within --max-ttl

Examples:
  mitmwatch locate vk.com
      The hop at which a forged certificate first comes back (Linux)";
