//! The pictures of the HTML report, as inline SVG: verdict shares with
//! percentages, handshake statuses, domains per interceptor and a timeline
//! of verdicts per day. Labels pass through [`escape_html`]; every chart
//! also states its numbers in text, so it reads without the picture.

use super::html_escape::escape_html;
use mitmwatch_core::judge::facts::ReportFacts;
use mitmwatch_core::model::{ScanSummary, Verdict};
use std::fmt::Write;

/// Width of the drawing area of the bar charts, in pixels.
const WIDTH: f64 = 700.0;
/// The narrowest segment or bar drawn for a non-zero count, so that 37 of
/// 2,564 stays visible.
const MIN_SEGMENT: f64 = 8.0;

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

/// `n` of `total` as a percentage with one decimal; a non-zero share that
/// rounds to nothing is `<0.1%`.
pub(crate) fn percent(n: usize, total: usize) -> String {
    if total == 0 {
        return "0%".into();
    }
    let p = n as f64 * 100.0 / total as f64;
    if n > 0 && p < 0.05 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
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

/// Verdict shares: one stacked bar and a legend with count and percentage.
pub(crate) fn verdict_shares(summary: &ScanSummary) -> String {
    let total = summary.targets;
    let verdicts: Vec<(Verdict, usize)> = [
        Verdict::Intercepted,
        Verdict::Suspicious,
        Verdict::Error,
        Verdict::Clean,
    ]
    .into_iter()
    .map(|v| (v, summary.verdicts.get(&v).copied().unwrap_or(0)))
    .collect();
    let widths = segment_widths(&verdicts.iter().map(|v| v.1).collect::<Vec<_>>(), WIDTH);
    let mut svg = format!(
        "<figure id=\"verdict-shares\"><figcaption>Verdicts of {}</figcaption>\
         <svg role=\"img\" aria-label=\"Verdict shares\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        mitmwatch_core::plural::count(total, "target", "targets"),
        WIDTH as usize,
        34 + 20 * verdicts.len(),
        WIDTH as usize,
        34 + 20 * verdicts.len()
    );
    let mut x = 0.0;
    for ((v, n), w) in verdicts.iter().zip(&widths) {
        if *n > 0 {
            let _ = write!(
                svg,
                "<rect class=\"seg\" data-verdict=\"{v}\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"24\" fill=\"{}\"><title>{v}: {n} ({})</title></rect>",
                verdict_colour(*v),
                percent(*n, total)
            );
        }
        x += w;
    }
    for (i, (v, n)) in verdicts.iter().enumerate() {
        let y = 34 + i * 20;
        let _ = write!(
            svg,
            "<rect x=\"0\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"18\" y=\"{}\" font-size=\"12\">{v}: {n} ({})</text>",
            verdict_colour(*v),
            y + 11,
            escape_html(&percent(*n, total))
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// A horizontal bar chart: one bar per `(label, count)`, each its own
/// colour, with the count (and share of `total`) after it.
pub(crate) fn bars(id: &str, title: &str, rows: &[(String, usize)], total: usize) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let height = 22 * rows.len() + 4;
    let mut svg = format!(
        "<figure id=\"{id}\"><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        escape_html(title),
        escape_html(title),
        WIDTH as usize,
        WIDTH as usize
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = 2 + i * 22;
        let w = match n {
            0 => 0.0,
            n => (*n as f64 / max as f64 * 320.0).max(MIN_SEGMENT / 2.0),
        };
        let shown: String = label.chars().take(34).collect();
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"230\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"{}\"><title>{}: {n}</title></rect><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{n} ({})</text>",
            y + 12,
            escape_html(&shown),
            PALETTE[i % PALETTE.len()],
            escape_html(label),
            236.0 + w,
            y + 12,
            escape_html(&percent(*n, total))
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// Observations per UTC day, stacked by verdict; empty unless the
/// observations span more than a day.
pub(crate) fn timeline(facts: &ReportFacts) -> String {
    let (Some(first), Some(last)) = (
        facts.days.keys().next().copied(),
        facts.days.keys().last().copied(),
    ) else {
        return String::new();
    };
    if !facts.spans_days() {
        return String::new();
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
    let mut svg = format!(
        "<figure id=\"timeline\"><figcaption>Observations per day (UTC), {first} to {last}, by verdict</figcaption>\
         <svg role=\"img\" aria-label=\"Timeline\" width=\"{}\" height=\"166\" viewBox=\"0 0 {} 166\">",
        WIDTH as usize, WIDTH as usize
    );
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
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" fill=\"{}\"><title>{day} {v}: {n}</title></rect>",
                (step - 1.0).max(1.0),
                verdict_colour(v)
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"156\" font-size=\"11\">{first}</text><text x=\"{}\" y=\"156\" font-size=\"11\" text-anchor=\"end\">{last}</text><text x=\"0\" y=\"10\" font-size=\"11\">max {max}/day</text></svg></figure>",
        WIDTH as usize
    );
    svg
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
    fn percentages_keep_tiny_shares_apart_from_none() {
        assert_eq!(percent(37, 2564), "1.4%");
        assert_eq!(percent(1, 100_000), "<0.1%");
        assert_eq!(percent(0, 10), "0.0%");
        assert_eq!(percent(0, 0), "0%");
    }
}
