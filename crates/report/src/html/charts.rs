//! The numbers and pictures of the HTML report's summary: a table of
//! verdict counts with percentages that add up to 100, a stacked bar of
//! verdict shares (only when there is more than one verdict to compare),
//! handshake statuses (a sentence when all are alike), bars of domains per
//! interceptor and a timeline of verdicts per day. Every picture is inline
//! SVG that scales to the width it is given, and states its numbers in
//! text too.

use super::{badge, visible};
use maud::{html, Markup};
use mitmwatch_core::judge::facts::ReportFacts;
use mitmwatch_core::model::{ScanSummary, Verdict};

/// Width of the drawing area of the bar charts, in SVG units.
const WIDTH: f64 = 700.0;
/// The narrowest segment or bar drawn for a non-zero count, so that 37 of
/// 2,564 stays visible.
const MIN_SEGMENT: f64 = 8.0;

/// The verdicts in the order the page shows them.
const VERDICTS: [Verdict; 4] = [
    Verdict::Intercepted,
    Verdict::Suspicious,
    Verdict::Error,
    Verdict::Clean,
];

/// The colour of a verdict (the badges use the same ones).
pub(crate) fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Intercepted => "#b00020",
        Verdict::Suspicious => "#e0a800",
        Verdict::Clean => "#3a9d5d",
        Verdict::Error => "#8a8a8a",
    }
}

/// Distinct colours for series without a meaning of their own.
const PALETTE: [&str; 8] = [
    "#4a78b5", "#c2571a", "#6a4c93", "#2a9d8f", "#8d6e63", "#d1495b", "#66a61e", "#7570b3",
];

/// Shares of `counts` in tenths of a percent that add up to exactly 1000
/// (largest remainders get the rounding), so that the percentages shown
/// add up to 100.0%. All zero for an empty total.
pub(crate) fn tenths(counts: &[usize]) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    if total == 0 {
        return vec![0; counts.len()];
    }
    let exact: Vec<(usize, usize)> = counts
        .iter()
        .map(|&n| (n * 1000 / total, n * 1000 % total))
        .collect();
    let mut shares: Vec<usize> = exact.iter().map(|e| e.0).collect();
    let short = 1000 - shares.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(exact[i].1), i));
    for &i in order.iter().take(short) {
        shares[i] += 1;
    }
    shares
}

/// A share in tenths of a percent as text; a non-zero count whose share
/// rounds to nothing is `<0.1%`.
pub(crate) fn percent_text(tenths: usize, count: usize) -> String {
    match (tenths, count) {
        (0, n) if n > 0 => "<0.1%".into(),
        (t, _) => format!("{}.{}%", t / 10, t % 10),
    }
}

fn verdict_counts(summary: &ScanSummary) -> Vec<(Verdict, usize)> {
    VERDICTS
        .iter()
        .map(|v| (*v, summary.verdicts.get(v).copied().unwrap_or(0)))
        .collect()
}

/// Counts per verdict, with shares that add up to 100%.
pub(crate) fn counts_table(summary: &ScanSummary) -> Markup {
    let counts = verdict_counts(summary);
    let shares = tenths(&counts.iter().map(|c| c.1).collect::<Vec<_>>());
    html! {
        table #counts {
            @for ((v, n), t) in counts.iter().zip(&shares) {
                @if *n > 0 {
                    tr { td { (badge(*v)) } td.n { (n) } td.p { (percent_text(*t, *n)) } }
                }
            }
            tr { th { "targets" } th.n { (summary.targets) } th.p { "100%" } }
        }
    }
}

/// Widths for `counts` that fill `width`, each non-zero one at least
/// [`MIN_SEGMENT`]; the room given to small ones is taken from the largest.
fn segment_widths(counts: &[usize], width: f64) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    if total == 0 {
        return vec![0.0; counts.len()];
    }
    let mut w: Vec<f64> = counts
        .iter()
        .map(|&n| match n {
            0 => 0.0,
            n => (n as f64 / total as f64 * width).max(MIN_SEGMENT),
        })
        .collect();
    let excess = w.iter().sum::<f64>() - width;
    if excess > 0.0 {
        if let Some(largest) = w
            .iter_mut()
            .max_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal))
        {
            *largest = (*largest - excess).max(MIN_SEGMENT);
        }
    }
    w
}

/// Verdict shares as one stacked bar; nothing when a single verdict has
/// them all (a bar of one colour says nothing the table does not).
pub(crate) fn verdict_shares(summary: &ScanSummary) -> Markup {
    let counts = verdict_counts(summary);
    if counts.iter().filter(|c| c.1 > 0).count() < 2 {
        return html! {};
    }
    let widths = segment_widths(&counts.iter().map(|c| c.1).collect::<Vec<_>>(), WIDTH);
    let shares = tenths(&counts.iter().map(|c| c.1).collect::<Vec<_>>());
    let mut x = 0.0;
    let segments: Vec<(Verdict, usize, f64, f64, usize)> = counts
        .iter()
        .zip(&widths)
        .zip(&shares)
        .map(|(((v, n), w), t)| {
            let at = x;
            x += w;
            (*v, *n, at, *w, *t)
        })
        .filter(|s| s.1 > 0)
        .collect();
    html! {
        figure #verdict-shares {
            figcaption { "Verdicts of " (mitmwatch_core::plural::count(summary.targets, "target", "targets")) }
            svg role="img" aria-label="Verdict shares" viewBox={ "0 0 " (WIDTH) " 24" } width=(WIDTH) height="24" {
                @for (v, n, at, w, t) in &segments {
                    rect.seg data-verdict=(v.as_str()) x=(format!("{at:.1}")) y="0" width=(format!("{w:.1}"))
                        height="24" fill=(verdict_colour(*v)) {
                        title { (v.as_str()) ": " (n) " (" (percent_text(*t, *n)) ")" }
                    }
                }
            }
        }
    }
}

/// Handshake statuses: a sentence when every handshake ended alike, bars
/// otherwise.
pub(crate) fn statuses(summary: &ScanSummary) -> Markup {
    let rows: Vec<(String, usize)> = summary
        .statuses
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), *n))
        .collect();
    match rows.as_slice() {
        [] => html! {},
        [(status, n)] => html! {
            p #statuses { "Handshakes: all " (n) " " code { (status) } "." }
        },
        _ => bars("statuses", "Handshake statuses", &rows, summary.targets),
    }
}

/// A horizontal bar chart: one bar per `(label, count)`, each its own
/// colour, with the count (and share of `total`) after it.
pub(crate) fn bars(id: &str, title: &str, rows: &[(String, usize)], total: usize) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let height = 22 * rows.len() + 4;
    let shares = tenths(&rows.iter().map(|r| r.1).collect::<Vec<_>>());
    let sum: usize = rows.iter().map(|r| r.1).sum();
    html! {
        figure id=(id) {
            figcaption { (title) }
            svg role="img" aria-label=(title) viewBox={ "0 0 " (WIDTH) " " (height) } width=(WIDTH) height=(height) {
                @for (i, ((label, n), t)) in rows.iter().zip(&shares).enumerate() {
                    @let y = 2 + i * 22;
                    @let w = if *n == 0 { 0.0 } else { (*n as f64 / max as f64 * 320.0).max(MIN_SEGMENT / 2.0) };
                    @let shown: String = label.chars().take(34).collect();
                    text x="0" y=(y + 12) font-size="12" { (visible(&shown)) }
                    rect x="230" y=(y) width=(format!("{w:.1}")) height="16" fill=(PALETTE[i % PALETTE.len()]) {
                        title { (visible(label)) ": " (n) }
                    }
                    text x=(format!("{:.1}", 236.0 + w)) y=(y + 12) font-size="12" {
                        (n)
                        @if sum == total { " (" (percent_text(*t, *n)) ")" }
                    }
                }
            }
        }
    }
}

/// Observations per UTC day, stacked by verdict; nothing unless the
/// observations span more than a day.
pub(crate) fn timeline(facts: &ReportFacts) -> Markup {
    let (Some(first), Some(last)) = (
        facts.days.keys().next().copied(),
        facts.days.keys().last().copied(),
    ) else {
        return html! {};
    };
    if !facts.spans_days() {
        return html! {};
    }
    let days = ((last - first).whole_days() + 1).max(1) as usize;
    let step = WIDTH / days as f64;
    let max = facts
        .days
        .values()
        .map(|c| c.values().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let h = 120.0;
    // Bars stand on y = TOP + h, below the "max" label.
    const TOP: f64 = 16.0;
    let mut bars = Vec::new();
    for (day, counts) in &facts.days {
        let x = (*day - first).whole_days() as f64 * step;
        let mut y = TOP + h;
        for v in [
            Verdict::Clean,
            Verdict::Error,
            Verdict::Suspicious,
            Verdict::Intercepted,
        ] {
            let n = counts.get(&v).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let bar = (n as f64 / max as f64 * h).max(2.0);
            y -= bar;
            bars.push((x, y, bar, v, n, *day));
        }
    }
    html! {
        figure #timeline {
            figcaption { "Observations per day (UTC), " (first) " to " (last) ", by verdict" }
            svg role="img" aria-label="Timeline" viewBox={ "0 0 " (WIDTH) " 166" } width=(WIDTH) height="166" {
                @for (x, y, bar, v, n, day) in &bars {
                    rect x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{:.1}", (step - 1.0).max(1.0)))
                        height=(format!("{bar:.1}")) fill=(verdict_colour(*v)) {
                        title { (day) " " (v.as_str()) ": " (n) }
                    }
                }
                text x="0" y="156" font-size="11" { (first) }
                text x=(WIDTH) y="156" font-size="11" text-anchor="end" { (last) }
                text x="0" y="10" font-size="11" { "max " (max) "/day" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_share_stays_visible_and_the_bar_stays_full_width() {
        let w = segment_widths(&[37, 0, 0, 2527], 640.0);
        assert!(w[0] >= MIN_SEGMENT, "{w:?}");
        assert_eq!(w[1], 0.0);
        assert!((w.iter().sum::<f64>() - 640.0).abs() < 1e-6, "{w:?}");
        let w = segment_widths(&[1, 1, 1, 100_000], 640.0);
        assert!(w[..3].iter().all(|&x| x == MIN_SEGMENT), "{w:?}");
    }

    #[test]
    fn percentages_add_up_to_100_and_keep_tiny_shares_apart_from_none() {
        // 1/3 each: 33.3 + 33.3 + 33.4, not 33.3 three times.
        assert_eq!(tenths(&[1, 1, 1]), vec![334, 333, 333]);
        // 37 of 63 and 26 of 63: 58.7 + 41.3 (rounded alone, 58.7 + 41.3).
        assert_eq!(tenths(&[37, 26]), vec![587, 413]);
        // Rounded alone these give 14.3 × 7 = 100.1.
        let t = tenths(&[1; 7]);
        assert_eq!(t.iter().sum::<usize>(), 1000, "{t:?}");
        for counts in [vec![37, 0, 1, 2527], vec![2, 3, 5, 7, 11], vec![1, 99_999]] {
            assert_eq!(tenths(&counts).iter().sum::<usize>(), 1000, "{counts:?}");
        }
        assert_eq!(percent_text(0, 1), "<0.1%");
        assert_eq!(percent_text(0, 0), "0.0%");
        assert_eq!(percent_text(587, 37), "58.7%");
        assert_eq!(tenths(&[0, 0]), vec![0, 0]);
    }
}
