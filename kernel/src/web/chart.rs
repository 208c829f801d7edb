//! Bar charts of monthly series as SVG written by hand, server-side.
//!
//! Why not `plotters`: its SVG backend places labels by measuring text, which needs either its
//! `ttf` feature (font-kit: fontconfig and FreeType from the system) or `ab_glyph` with a font
//! file shipped in the binary; a few bars, a target line and two labels per axis are simpler
//! written out, with no dependency, and come out as plain markup that the page's Content
//! Security Policy allows and that scales with the page. The chart is `role="img"` named by
//! its title; the data table beside it holds every figure for screen readers and for copying.

use std::fmt::Write as _;

const WIDTH: i64 = 640;
const HEIGHT: i64 = 240;
const LEFT: i64 = 56;
const RIGHT: i64 = 8;
const TOP: i64 = 12;
const BOTTOM: i64 = 36;

/// One bar: its label under the axis and its value (stored units).
pub struct Bar {
    pub label: String,
    pub value: i64,
}

/// Escapes text for SVG markup.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG of `bars` with a dashed line at `target` (stored units; none when 0), titled
/// `title`; `shown` writes a value as the reader reads it (the axis' top and the target).
pub fn bars(
    title: &str,
    bars: &[Bar],
    target: i64,
    target_label: &str,
    shown: impl Fn(i64) -> String,
) -> String {
    let top = bars
        .iter()
        .map(|bar| bar.value)
        .chain(std::iter::once(target))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |value: i64| {
        TOP + plot_h - (i128::from(value.max(0)) * i128::from(plot_h) / i128::from(top)) as i64
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" role=\"img\" aria-label=\"{}\" class=\"chart\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    // Axes and the top value.
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{}\" stroke=\"#555\"/><line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{}\" y2=\"{0}\" stroke=\"#555\"/>",
        TOP + plot_h,
        WIDTH - RIGHT
    );
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#222\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#222\">0</text>",
        LEFT - 4,
        TOP + 10,
        esc(&shown(top)),
        LEFT - 4,
        TOP + plot_h
    );
    let count = i64::try_from(bars.len()).unwrap_or(1).max(1);
    let slot = plot_w / count;
    let width = (slot * 7 / 10).max(1);
    // Label every month when they fit, else every few.
    let every = usize::try_from((count * 44 / plot_w).max(1)).unwrap_or(1);
    for (i, bar) in bars.iter().enumerate() {
        let n = i64::try_from(i).unwrap_or(0);
        let x = LEFT + n * slot + (slot - width) / 2;
        let top_y = y(bar.value);
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{top_y}\" width=\"{width}\" height=\"{}\" fill=\"#1f5f8b\"/>",
            TOP + plot_h - top_y
        );
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
                x + width / 2,
                HEIGHT - BOTTOM + 16,
                esc(&bar.label)
            );
        }
    }
    if target > 0 {
        let ty = y(target);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{ty}\" x2=\"{}\" y2=\"{ty}\" stroke=\"#b03a00\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#b03a00\">{}</text>",
            WIDTH - RIGHT,
            WIDTH - RIGHT,
            (ty - 4).max(TOP + 10),
            esc(&format!("{target_label} {}", shown(target)))
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_highest_value_or_the_target_and_escape_labels() {
        let svg = bars(
            "Famiglie <sostenute>",
            &[
                Bar {
                    label: "11/26".into(),
                    value: 10,
                },
                Bar {
                    label: "12/26".into(),
                    value: 20,
                },
            ],
            40,
            "obiettivo",
            |v| v.to_string(),
        );
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(
            svg.contains("<title>Famiglie &lt;sostenute&gt;</title>"),
            "{svg}"
        );
        assert!(svg.contains("role=\"img\""));
        // The target is the top: its line is at the top of the plot, the bars below.
        assert!(
            svg.contains(&format!(
                "y1=\"{TOP}\" x2=\"{}\" y2=\"{TOP}\" stroke=\"#b03a00\"",
                WIDTH - RIGHT
            )),
            "{svg}"
        );
        assert!(svg.contains(">obiettivo 40<"), "{svg}");
        assert_eq!(svg.matches("<rect ").count(), 2);
        assert!(svg.contains(">12/26<"));
    }

    #[test]
    fn an_empty_series_draws_axes_without_dividing_by_zero() {
        let svg = bars("x", &[], 0, "t", |v| v.to_string());
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<rect "));
    }
}
