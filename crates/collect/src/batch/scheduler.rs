//! `--shard auto`: the shard a scan takes, read from the job scheduler that
//! started it, so that one script or manifest serves every task of an array.
//!
//! - Slurm job arrays set `SLURM_ARRAY_TASK_ID` in each task, with
//!   `SLURM_ARRAY_TASK_COUNT`, `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_MAX`
//!   and `SLURM_ARRAY_TASK_STEP` describing the array
//!   (<https://slurm.schedmd.com/job_array.html>, "Job Array Environment
//!   Variables"). `--array=0-3`, `--array=1-4` and `--array=0-30:10` all
//!   give four shards; an uneven list such as `--array=1,2,9` is refused,
//!   since its tasks cannot be numbered without gaps. With a shard count
//!   given (`--shard-count N` or `SHARD_COUNT_VAR`) that differs from the
//!   array's size, as when some tasks of a scan are re-run
//!   (`sbatch --array=5,9`), task IDs are read as shard numbers from 0, so
//!   a re-run task scans exactly the share it had.
//! - Kubernetes Indexed Jobs set `JOB_COMPLETION_INDEX` (0 … completions-1)
//!   in each pod (<https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode>).
//!   The pod is not told the number of completions, so it comes from
//!   `--shard-count N` or from `SHARD_COUNT_VAR` set in the manifest.
//!
//! The environment is passed in as a function, so the rules are pure and
//! tested without touching the process environment. The shard a target
//! belongs to is still decided by [`Shard::contains`] alone.

use super::shard::Shard;
use std::fmt;
use std::str::FromStr;

/// The variable that gives the shard count where the scheduler does not
/// (Kubernetes): set it to the Job's `completions`.
pub(crate) const SHARD_COUNT_VAR: &str = "MITMWATCH_SHARD_COUNT";

/// Why `--shard auto` could not tell this task's shard. The message names
/// the variables it read and says what to give instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardAutoError {
    /// `--shard-count` and `SHARD_COUNT_VAR` give different counts.
    #[error("--shard-count {given} disagrees with {var}={from_var}", var = SHARD_COUNT_VAR)]
    CountDisagrees {
        /// `--shard-count`.
        given: u64,
        /// `SHARD_COUNT_VAR`.
        from_var: u64,
    },
    /// A shard count of 0 was given.
    #[error("--shard auto: the shard count must be at least 1")]
    ZeroCount,
    /// Both a Slurm and a Kubernetes task index are set.
    #[error(
        "--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; \
         give --shard K/N to say which task this is"
    )]
    BothSchedulers,
    /// Neither scheduler's task index is set.
    #[error(
        "--shard auto: not in a Slurm job array (SLURM_ARRAY_TASK_ID is not set) \
         nor in a Kubernetes Indexed Job (JOB_COMPLETION_INDEX is not set); \
         give --shard K/N instead"
    )]
    NoScheduler,
    /// A variable is not a whole number.
    #[error("--shard auto: {name}={value:?} is not a whole number")]
    NotANumber {
        /// The variable.
        name: &'static str,
        /// Its value as found.
        value: String,
    },
    /// `SLURM_ARRAY_TASK_MAX` is below `SLURM_ARRAY_TASK_MIN`.
    #[error("--shard auto: SLURM_ARRAY_TASK_MAX={max} is below SLURM_ARRAY_TASK_MIN={min}")]
    SlurmMaxBelowMin {
        /// `SLURM_ARRAY_TASK_MIN`.
        min: u64,
        /// `SLURM_ARRAY_TASK_MAX`.
        max: u64,
    },
    /// The Slurm array's task count does not match its range and step, so
    /// its tasks cannot be numbered without gaps.
    #[error(
        "--shard auto: the Slurm array is not an evenly spaced range \
         ({count} tasks between {min} and {max} in steps of {step}); submit it as \
         --array=0-{last}, or give the shard count (task IDs are then shard numbers from 0)",
        last = .count.saturating_sub(1)
    )]
    SlurmUneven {
        /// `SLURM_ARRAY_TASK_COUNT`.
        count: u64,
        /// The first task ID.
        min: u64,
        /// The last task ID.
        max: u64,
        /// The step between IDs.
        step: u64,
    },
    /// The Slurm task ID is not one of the array's IDs.
    #[error(
        "--shard auto: SLURM_ARRAY_TASK_ID={id} is not one of the array's {count} tasks \
         (from {min} in steps of {step})"
    )]
    SlurmIdOutside {
        /// `SLURM_ARRAY_TASK_ID`.
        id: u64,
        /// Tasks in the array.
        count: u64,
        /// The first task ID.
        min: u64,
        /// The step between IDs.
        step: u64,
    },
    /// Slurm gives the task ID but not the size of the array.
    #[error(
        "--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT \
         nor SLURM_ARRAY_TASK_MAX is; give --shard-count N or set {var}",
        var = SHARD_COUNT_VAR
    )]
    SlurmSizeUnknown,
    /// With a shard count given, the Slurm task ID is not a shard number.
    #[error(
        "--shard auto: SLURM_ARRAY_TASK_ID={id} is not below the shard count {count} \
         (with a shard count given, task IDs are shard numbers from 0)"
    )]
    SlurmIdBeyondCount {
        /// `SLURM_ARRAY_TASK_ID`.
        id: u64,
        /// The shard count given.
        count: u64,
    },
    /// In a Kubernetes Indexed Job without a shard count.
    #[error(
        "--shard auto: in a Kubernetes Indexed Job (JOB_COMPLETION_INDEX={index}) the \
         number of shards is not known; give --shard-count N or set {var} \
         to the Job's completions",
        var = SHARD_COUNT_VAR
    )]
    KubeCountUnknown {
        /// `JOB_COMPLETION_INDEX`.
        index: u64,
    },
    /// The Kubernetes completion index is not below the shard count.
    #[error("--shard auto: JOB_COMPLETION_INDEX={index} is not below the shard count {count}")]
    KubeIndexBeyondCount {
        /// `JOB_COMPLETION_INDEX`.
        index: u64,
        /// The shard count given.
        count: u64,
    },
}

/// What `--shard` asks for: a fixed `K/N`, or the scheduler's task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    /// `--shard K/N`.
    Fixed(Shard),
    /// `--shard auto`: from Slurm or Kubernetes ([`from_env`]).
    Auto,
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("auto") {
            return Ok(ShardSpec::Auto);
        }
        s.parse().map(ShardSpec::Fixed).map_err(|e: String| {
            format!("{e} (or `auto` to take it from a Slurm array or Kubernetes Indexed Job)")
        })
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardSpec::Fixed(shard) => shard.fmt(f),
            ShardSpec::Auto => f.write_str("auto"),
        }
    }
}

/// Which scheduler a shard came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    /// A Slurm job array task.
    Slurm,
    /// A Kubernetes Indexed Job pod.
    Kubernetes,
}

/// The shard of this task and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledShard {
    /// The shard (1-based, as `--shard K/N`).
    pub shard: Shard,
    /// Where it was read.
    pub scheduler: Scheduler,
}

/// The shard of the task this process runs in. `env` looks a variable up
/// (`|name| std::env::var(name).ok()` in the binary); `count` is
/// `--shard-count`, needed under Kubernetes unless `SHARD_COUNT_VAR` is
/// set, and checked against Slurm's own count. Errors say which variables
/// were missing or wrong.
pub fn from_env(
    env: impl Fn(&str) -> Option<String>,
    count: Option<u64>,
) -> Result<ScheduledShard, ShardAutoError> {
    let slurm = env("SLURM_ARRAY_TASK_ID");
    let kube = env("JOB_COMPLETION_INDEX");
    let from_var = var(&env, SHARD_COUNT_VAR)?;
    let count = match (count, from_var) {
        (Some(given), Some(from_var)) if given != from_var => {
            return Err(ShardAutoError::CountDisagrees { given, from_var })
        }
        (Some(0), _) | (_, Some(0)) => return Err(ShardAutoError::ZeroCount),
        (given, from_var) => given.or(from_var),
    };
    match (slurm, kube) {
        (Some(_), Some(_)) => Err(ShardAutoError::BothSchedulers),
        (Some(id), None) => slurm_shard(&id, &env, count),
        (None, Some(index)) => kube_shard(&index, count),
        (None, None) => Err(ShardAutoError::NoScheduler),
    }
}

fn number(name: &'static str, value: &str) -> Result<u64, ShardAutoError> {
    value
        .trim()
        .parse()
        .map_err(|_| ShardAutoError::NotANumber {
            name,
            value: value.to_string(),
        })
}

fn var(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<u64>, ShardAutoError> {
    env(name).map(|v| number(name, &v)).transpose()
}

fn slurm_shard(
    id: &str,
    env: &impl Fn(&str) -> Option<String>,
    given: Option<u64>,
) -> Result<ScheduledShard, ShardAutoError> {
    let id = number("SLURM_ARRAY_TASK_ID", id)?;
    let min = var(env, "SLURM_ARRAY_TASK_MIN")?;
    let max = var(env, "SLURM_ARRAY_TASK_MAX")?;
    let step = var(env, "SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
    let listed = var(env, "SLURM_ARRAY_TASK_COUNT")?;
    let min = min.unwrap_or(0);
    let spanned = match max {
        Some(max) if max >= min => Some((max - min) / step + 1),
        Some(max) => return Err(ShardAutoError::SlurmMaxBelowMin { min, max }),
        None => None,
    };
    let derived = match (listed, spanned) {
        (Some(c), Some(s)) if c != s => Err(ShardAutoError::SlurmUneven {
            count: c,
            min,
            max: max.unwrap_or(min),
            step,
        }),
        (Some(c), _) | (None, Some(c)) => {
            if id < min || (id - min) % step != 0 || (id - min) / step >= c {
                Err(ShardAutoError::SlurmIdOutside {
                    id,
                    count: c,
                    min,
                    step,
                })
            } else {
                Ok(Shard {
                    index: (id - min) / step + 1,
                    count: c,
                })
            }
        }
        (None, None) => Err(ShardAutoError::SlurmSizeUnknown),
    };
    let shard = match (given, derived) {
        (None, derived) => derived?,
        // The whole array runs: its own numbering, whatever its first ID.
        (Some(n), Ok(shard)) if shard.count == n => shard,
        // Some tasks re-run (`--array=5` of a 16-task scan): Slurm no
        // longer knows the full size, so the IDs are shard numbers from 0.
        (Some(n), _) if id < n => Shard {
            index: id + 1,
            count: n,
        },
        (Some(n), _) => return Err(ShardAutoError::SlurmIdBeyondCount { id, count: n }),
    };
    Ok(ScheduledShard {
        shard,
        scheduler: Scheduler::Slurm,
    })
}

fn kube_shard(index: &str, given: Option<u64>) -> Result<ScheduledShard, ShardAutoError> {
    let index = number("JOB_COMPLETION_INDEX", index)?;
    let Some(count) = given else {
        return Err(ShardAutoError::KubeCountUnknown { index });
    };
    if count == 0 || index >= count {
        return Err(ShardAutoError::KubeIndexBeyondCount { index, count });
    }
    Ok(ScheduledShard {
        shard: Shard {
            index: index + 1,
            count,
        },
        scheduler: Scheduler::Kubernetes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn shard(vars: &[(&str, &str)], count: Option<u64>) -> Result<Shard, String> {
        from_env(env(vars), count)
            .map(|s| s.shard)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn slurm_arrays_from_zero_one_or_in_steps_number_their_tasks_from_one() {
        let zero = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
        ];
        assert_eq!(shard(&zero, None), Ok(Shard { index: 3, count: 4 }));
        let one = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
        ];
        assert_eq!(shard(&one, Some(4)), Ok(Shard { index: 1, count: 4 }));
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "30"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "30"),
            ("SLURM_ARRAY_TASK_STEP", "10"),
        ];
        assert_eq!(shard(&stepped, None), Ok(Shard { index: 4, count: 4 }));
        let from_s = from_env(env(&zero), None).unwrap().scheduler;
        assert_eq!(from_s, Scheduler::Slurm);
    }

    #[test]
    fn uneven_or_inconsistent_slurm_arrays_are_refused() {
        let listed = [
            ("SLURM_ARRAY_TASK_ID", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
        ];
        assert!(shard(&listed, None).unwrap_err().contains("evenly spaced"));
        let outside = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(shard(&outside, None).unwrap_err().contains("ID=4"));
        let alone = [("SLURM_ARRAY_TASK_ID", "0")];
        assert!(shard(&alone, None).unwrap_err().contains("COUNT"));
        let bad = [
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(shard(&bad, None).unwrap_err().contains("\"x\""));
    }

    #[test]
    fn with_a_shard_count_re_run_slurm_tasks_keep_their_shard() {
        // `sbatch --array=5` re-running task 5 of a 16-task scan.
        let rerun = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "1"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_MAX", "5"),
        ];
        assert_eq!(shard(&rerun, None), Ok(Shard { index: 1, count: 1 }));
        assert_eq!(
            shard(&rerun, Some(16)),
            Ok(Shard {
                index: 6,
                count: 16
            })
        );
        let with_var = [
            ("SLURM_ARRAY_TASK_ID", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
            (SHARD_COUNT_VAR, "16"),
        ];
        assert_eq!(
            shard(&with_var, None),
            Ok(Shard {
                index: 10,
                count: 16
            })
        );
        assert!(shard(&with_var, Some(12))
            .unwrap_err()
            .contains("disagrees"));
        // The whole array, numbered from 1, with its size given: its own numbering.
        let whole = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
        ];
        assert_eq!(shard(&whole, Some(4)), Ok(Shard { index: 4, count: 4 }));
        let beyond = [
            ("SLURM_ARRAY_TASK_ID", "16"),
            ("SLURM_ARRAY_TASK_COUNT", "1"),
        ];
        assert!(shard(&beyond, Some(16)).unwrap_err().contains("not below"));
    }

    #[test]
    fn kubernetes_needs_a_count_from_the_flag_or_the_variable() {
        let pod = [("JOB_COMPLETION_INDEX", "0")];
        assert_eq!(shard(&pod, Some(5)), Ok(Shard { index: 1, count: 5 }));
        assert!(shard(&pod, None).unwrap_err().contains(SHARD_COUNT_VAR));
        let with_var = [("JOB_COMPLETION_INDEX", "4"), (SHARD_COUNT_VAR, "5")];
        let s = from_env(env(&with_var), None).unwrap();
        assert_eq!(s.shard, Shard { index: 5, count: 5 });
        assert_eq!(s.scheduler, Scheduler::Kubernetes);
        assert!(shard(&with_var, Some(4)).unwrap_err().contains("disagrees"));
        let beyond = [("JOB_COMPLETION_INDEX", "5"), (SHARD_COUNT_VAR, "5")];
        assert!(shard(&beyond, None).is_err());
    }

    #[test]
    fn no_scheduler_or_both_is_a_clear_error() {
        let none = shard(&[], Some(4)).unwrap_err();
        assert!(none.contains("SLURM_ARRAY_TASK_ID") && none.contains("JOB_COMPLETION_INDEX"));
        let both = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("JOB_COMPLETION_INDEX", "0"),
        ];
        assert!(shard(&both, Some(2)).unwrap_err().contains("both"));
    }

    #[test]
    fn shard_flag_accepts_auto_or_k_of_n() {
        assert_eq!("auto".parse::<ShardSpec>(), Ok(ShardSpec::Auto));
        assert_eq!(
            "2/3".parse::<ShardSpec>(),
            Ok(ShardSpec::Fixed(Shard { index: 2, count: 3 }))
        );
        assert!("automatic".parse::<ShardSpec>().is_err());
    }
}
