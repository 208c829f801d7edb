//! `{{ v.display | qr(label=…) | safe }}`: a QR code drawn server-side as inline SVG.
//!
//! A citizen shows a voucher code at a shop's counter; the shopkeeper scans it instead of
//! typing sixteen characters. The code is drawn on the server (no script, no image request,
//! nothing sent elsewhere) from the text alone, so the markup never contains the text: only
//! the accessible name, which is escaped. Error correction `M` (15 %) survives a creased
//! printout or a cracked phone screen, and the quiet zone of four modules is part of the
//! drawing, as scanners need it.

use std::collections::HashMap;
use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};
use serde_json::Value as Json;

/// Modules of white border around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;

/// Longest text drawn: a code to scan, not a document (a version-10 code at level M holds
/// about 200 characters; beyond that modules get too small to scan from a phone screen).
const MAX_CHARS: usize = 200;

/// The filter: the value is the text to encode; `label` (required) is the accessible name,
/// e.g. "Codice QR del buono BS-ABCD-…", which screen readers announce instead of the drawing.
pub fn qr(value: &Json, args: &HashMap<String, Json>) -> tera::Result<Json> {
    let Some(text) = value.as_str() else {
        return Err(tera::Error::msg(format!(
            "filter `qr` expects the text to encode (a string), got {value}"
        )));
    };
    let Some(label) = args.get("label").and_then(Json::as_str) else {
        return Err(tera::Error::msg(
            "filter `qr` needs label=… (what a screen reader announces instead of the drawing)",
        ));
    };
    svg(text, label).map(Json::String)
}

/// The SVG of `text`'s QR code, one path of dark modules on a white square.
pub fn svg(text: &str, label: &str) -> tera::Result<String> {
    if text.is_empty() || text.chars().count() > MAX_CHARS {
        return Err(tera::Error::msg(format!(
            "filter `qr`: the text must have 1 to {MAX_CHARS} characters, it has {}",
            text.chars().count()
        )));
    }
    let code = QrCode::with_error_correction_level(text, EcLevel::M)
        .map_err(|err| tera::Error::msg(format!("filter `qr`: {err}")))?;
    let width = code.width();
    let side = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (index, colour) in code.to_colors().into_iter().enumerate() {
        if colour == Color::Dark {
            let (x, y) = (index % width + QUIET_ZONE, index / width + QUIET_ZONE);
            // Writing to a String cannot fail.
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    Ok(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>",
        label = super::escape_html(label),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the drawing back into dark and light modules, then decodes it with a QR reader as
    /// a phone would (scaled up, so the reader sees pixels, not modules).
    fn scan(svg: &str) -> String {
        let side: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a square viewBox");
        let path = svg
            .split("<path d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a path");
        let mut dark = vec![false; side * side];
        for module in path.split('M').filter(|m| !m.is_empty()) {
            let xy = module.trim_end_matches("h1v1h-1z");
            let (x, y) = xy.split_once(' ').expect("x y");
            let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
            dark[y * side + x] = true;
        }
        const SCALE: usize = 6;
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(side * SCALE, side * SCALE, |x, y| {
                if dark[(y / SCALE) * side + x / SCALE] {
                    0
                } else {
                    255
                }
            });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one code in the drawing");
        grids[0].decode().expect("a readable code").1
    }

    #[test]
    fn a_drawn_code_scans_back_to_its_text() {
        for text in ["BS-7K2M-9QXA-HT4C-P8RW", "12345678", "è la città"] {
            let svg = svg(text, "codice").expect("drawn");
            assert_eq!(scan(&svg), text);
        }
    }

    #[test]
    fn the_drawing_carries_its_accessible_name_escaped_and_never_the_text() {
        let svg = svg("SEGRETO-1234", "Buono <b>\"x\"</b>").expect("drawn");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("role=\"img\""), "{svg}");
        assert!(
            svg.contains("aria-label=\"Buono &lt;b&gt;&quot;x&quot;&lt;/b&gt;\""),
            "{svg}"
        );
        assert!(!svg.contains("SEGRETO"), "the text is drawn, not written");
    }

    #[test]
    fn a_template_mistake_names_the_filter() {
        let label = HashMap::from([("label".to_owned(), Json::from("x"))]);
        let no_label = qr(&Json::from("ABC"), &HashMap::new()).unwrap_err();
        assert!(no_label.to_string().contains("label"), "{no_label}");
        let number = qr(&Json::from(12), &label).unwrap_err();
        assert!(number.to_string().contains("`qr`"), "{number}");
        let long = qr(&Json::from("x".repeat(201)), &label).unwrap_err();
        assert!(long.to_string().contains("200"), "{long}");
        assert!(qr(&Json::from(""), &label).is_err());
    }
}
