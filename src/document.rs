//! A planner's report as a document: written once as Markdown, rendered to a
//! self-contained HTML page with [`pulldown-cmark`](pulldown_cmark), in
//! English or Danish number style.
//!
//! Every paragraph, list or table that quotes a number names the output file
//! the number comes from ([`Document::source`]), so a reader can trace it.
//! Text that comes from data (place and service names) is escaped: a place
//! called `<script>` or `*Torv*` prints as written and never becomes markup.

use std::fmt::Write as _;
use std::str::FromStr;

use pulldown_cmark::{Event, Options, Parser, html};

use crate::error::{Error, Result};

/// The language of a report and its number style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English: `1,234.5`, `12.3 %`.
    #[default]
    En,
    /// Danish: `1.234,5`, `12,3 %`.
    Da,
}

impl FromStr for Lang {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Lang::En),
            "da" | "dansk" | "danish" => Ok(Lang::Da),
            other => Err(Error::parameter(
                "language",
                format!("{other:?}: use en (English) or da (Danish)"),
            )),
        }
    }
}

impl Lang {
    /// The ISO 639-1 code (`en`, `da`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Da => "da",
        }
    }

    /// Picks the text of this language.
    #[must_use]
    pub fn pick<'a>(self, en: &'a str, da: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Da => da,
        }
    }

    fn separators(self) -> (char, char) {
        match self {
            Lang::En => (',', '.'),
            Lang::Da => ('.', ','),
        }
    }

    /// A whole number with thousands separators.
    ///
    /// ```
    /// use byrum::Lang;
    /// assert_eq!(Lang::En.int(1_234_567), "1,234,567");
    /// assert_eq!(Lang::Da.int(1_234_567), "1.234.567");
    /// ```
    #[must_use]
    pub fn int(self, n: u64) -> String {
        group_thousands(&n.to_string(), self.separators().0)
    }

    /// A number with `decimals` decimals, thousands separated; `–` when not finite.
    ///
    /// ```
    /// use byrum::Lang;
    /// assert_eq!(Lang::En.num(-1234.567, 1), "-1,234.6");
    /// assert_eq!(Lang::Da.num(1234.567, 2), "1.234,57");
    /// assert_eq!(Lang::Da.num(f64::NAN, 2), "–");
    /// ```
    #[must_use]
    pub fn num(self, v: f64, decimals: usize) -> String {
        if !v.is_finite() {
            return "–".to_owned();
        }
        let (thousands, point) = self.separators();
        let text = format!("{:.*}", decimals, v.abs());
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        // "-0.0" prints as "0.0".
        if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
            out.push('-');
        }
        out.push_str(&group_thousands(whole, thousands));
        if !frac.is_empty() {
            out.push(point);
            out.push_str(frac);
        }
        out
    }

    /// A number with three significant digits (at least), for rates that may be small.
    ///
    /// ```
    /// use byrum::Lang;
    /// assert_eq!(Lang::En.sig(0.012345), "0.0123");
    /// assert_eq!(Lang::Da.sig(12.345), "12,3");
    /// assert_eq!(Lang::En.sig(12345.6), "12,346");
    /// ```
    #[must_use]
    pub fn sig(self, v: f64) -> String {
        if !v.is_finite() || v == 0.0 {
            return self.num(v, 0);
        }
        let digits = v.abs().log10().floor() as i32;
        let decimals = (2 - digits).max(0) as usize;
        self.num(v, decimals)
    }

    /// A share (0..1) as a percentage with `decimals` decimals.
    ///
    /// ```
    /// use byrum::Lang;
    /// assert_eq!(Lang::En.pct(0.1234, 1), "12.3 %");
    /// assert_eq!(Lang::Da.pct(0.1234, 1), "12,3 %");
    /// ```
    #[must_use]
    pub fn pct(self, share: f64, decimals: usize) -> String {
        if !share.is_finite() {
            return "–".to_owned();
        }
        format!("{} %", self.num(share * 100.0, decimals))
    }
}

fn group_thousands(digits: &str, sep: char) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Escapes text from data for Markdown: the characters that can start markup
/// anywhere in a line (`\` `` ` `` `*` `_` `[` `]` `<` `>` `|` `#` `&` `!` `~`)
/// are backslash-escaped, and line breaks become spaces, so the text prints as
/// written. Other punctuation stays as it is, so the Markdown reads well.
///
/// ```
/// assert_eq!(byrum::escape_markdown("*Torv* <b>"), r"\*Torv\* \<b\>");
/// ```
#[must_use]
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A report being written. Methods take Markdown written by the caller, in
/// which text from data must be passed through [`escape_markdown`].
///
/// ```
/// use byrum::{Document, Lang, escape_markdown};
/// let mut doc = Document::new("Byrum report", Lang::Da);
/// doc.heading(2, "Steder");
/// doc.paragraph(&format!("{} har flest hændelser: {}.", escape_markdown("J.F. Kennedys Plads"), Lang::Da.int(15_000)));
/// doc.source(&["places.geojson"]);
/// doc.table(&["Sted", "Antal"], &[vec!["Arkivpladsen".into(), Lang::Da.int(9_100)]]);
/// assert!(doc.markdown().contains("15.000"));
/// let html = doc.html();
/// assert!(html.contains("<html lang=\"da\">") && html.contains("<table>"));
/// assert!(html.contains("Kilde: <a href=\"places.geojson\"><code>places.geojson</code></a>"));
/// ```
#[derive(Debug, Clone)]
pub struct Document {
    title: String,
    lang: Lang,
    markdown: String,
}

impl Document {
    /// An empty document with a title (plain text, escaped here).
    #[must_use]
    pub fn new(title: &str, lang: Lang) -> Self {
        let mut markdown = String::new();
        let _ = writeln!(markdown, "# {}\n", escape_markdown(title));
        Self {
            title: title.to_owned(),
            lang,
            markdown,
        }
    }

    /// The document's language.
    #[must_use]
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// A heading of `level` (2–6; 1 is the title), plain text (escaped here).
    pub fn heading(&mut self, level: usize, text: &str) -> &mut Self {
        let level = level.clamp(2, 6);
        let _ = writeln!(
            self.markdown,
            "{} {}\n",
            "#".repeat(level),
            escape_markdown(text)
        );
        self
    }

    /// A paragraph of Markdown.
    pub fn paragraph(&mut self, markdown: &str) -> &mut Self {
        let _ = writeln!(self.markdown, "{}\n", markdown.trim());
        self
    }

    /// A bulleted list; each item is Markdown.
    pub fn list<S: AsRef<str>>(&mut self, items: &[S]) -> &mut Self {
        for item in items {
            let _ = writeln!(self.markdown, "- {}", item.as_ref().trim());
        }
        self.markdown.push('\n');
        self
    }

    /// A table; header and cells are Markdown (`|` in cells is escaped here).
    pub fn table<S: AsRef<str>>(&mut self, header: &[&str], rows: &[Vec<S>]) -> &mut Self {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(
            self.markdown,
            "| {} |",
            header
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(
            self.markdown,
            "|{}|",
            header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for row in rows {
            let _ = writeln!(
                self.markdown,
                "| {} |",
                row.iter()
                    .map(|c| cell(c.as_ref()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        self.markdown.push('\n');
        self
    }

    /// An image (a path relative to the report) with alternative text and a caption.
    pub fn image(&mut self, path: &str, alt: &str, caption: &str) -> &mut Self {
        let _ = writeln!(
            self.markdown,
            "![{}]({})\n\n*{}*\n",
            escape_markdown(alt),
            link_target(path),
            escape_markdown(caption)
        );
        self
    }

    /// Names the output files the preceding numbers come from, as links.
    pub fn source(&mut self, files: &[&str]) -> &mut Self {
        let label = self.lang.pick("Source", "Kilde");
        let links: Vec<String> = files
            .iter()
            .map(|f| format!("[`{}`]({})", f.replace('`', ""), link_target(f)))
            .collect();
        let _ = writeln!(
            self.markdown,
            "<small>{label}: {}</small>\n",
            links.join(", ")
        );
        self
    }

    /// The document as Markdown.
    #[must_use]
    pub fn markdown(&self) -> &str {
        &self.markdown
    }

    /// The document as one self-contained HTML page (inline style; images
    /// linked relative to the page). Raw HTML in the Markdown, other than the
    /// source lines this type writes, is shown as text.
    #[must_use]
    pub fn html(&self) -> String {
        let mut options = Options::empty();
        options.insert(Options::ENABLE_TABLES);
        let events = Parser::new_ext(&self.markdown, options).map(|e| match e {
            Event::InlineHtml(h) if h.as_ref() == "<small>" || h.as_ref() == "</small>" => {
                Event::InlineHtml(h)
            }
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            e => e,
        });
        let mut body = String::new();
        html::push_html(&mut body, events);
        let mut title = String::new();
        html::push_html(
            &mut title,
            std::iter::once(Event::Text(self.title.as_str().into())),
        );
        format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
            self.lang.code()
        )
    }
}

/// A relative path as a Markdown link target: spaces and parentheses encoded.
fn link_target(path: &str) -> String {
    path.replace('%', "%25")
        .replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;\
margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}\
table{border-collapse:collapse;margin:0.5rem 0 1rem}th,td{border:1px solid #ccc;padding:0.25rem 0.5rem;\
text-align:left;vertical-align:top}th{background:#f3f3f3}td{font-variant-numeric:tabular-nums}\
img{max-width:100%;height:auto;border:1px solid #ddd}small{color:#555}h2{border-bottom:1px solid #ddd;margin-top:2.5rem}";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_in_both_languages() {
        let cases: &[(Lang, f64, usize, &str)] = &[
            (Lang::En, 0.0, 0, "0"),
            (Lang::En, 999.5, 0, "1,000"),
            (Lang::En, -0.04, 1, "0.0"),
            (Lang::En, 1_000_000.25, 2, "1,000,000.25"),
            (Lang::Da, 12.0, 1, "12,0"),
            (Lang::Da, 123_456.0, 0, "123.456"),
            (Lang::Da, f64::INFINITY, 1, "–"),
        ];
        for &(lang, v, d, want) in cases {
            assert_eq!(lang.num(v, d), want, "{lang:?} {v} {d}");
        }
        assert_eq!(Lang::En.int(0), "0");
        assert_eq!(Lang::En.int(100), "100");
        assert_eq!(Lang::En.int(1000), "1,000");
        assert_eq!(Lang::Da.sig(0.000_123_4), "0,000123");
        assert_eq!(Lang::En.pct(1.0, 0), "100 %");
        assert!("fr".parse::<Lang>().is_err());
        assert_eq!("DA".parse::<Lang>().unwrap(), Lang::Da);
    }

    #[test]
    fn text_from_data_never_becomes_markup() {
        let mut doc = Document::new("Report <1>", Lang::En);
        let name = "<script>alert('x')</script> *Torv* [link](http://x) | a";
        doc.paragraph(&format!("Top place: {}.", escape_markdown(name)));
        doc.table(&["place"], &[vec![escape_markdown(name)]]);
        doc.heading(2, "# not a heading <i>");
        let html = doc.html();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert('x')&lt;/script&gt; *Torv* [link](http://x) | a")
        );
        assert!(!html.contains("<em>") && !html.contains("<a href=\"http://x\""));
        assert!(html.contains("<title>Report &lt;1&gt;</title>"));
        assert!(html.contains("<h2># not a heading &lt;i&gt;</h2>"));
        // The table keeps one column although the name holds a pipe.
        assert_eq!(html.matches("<td>").count(), 1);
    }

    #[test]
    fn raw_html_in_markdown_is_shown_as_text_but_sources_are_small() {
        let mut doc = Document::new("t", Lang::Da);
        doc.paragraph("a <b>bold</b> claim");
        doc.source(&["place profiles.csv", "places.geojson"]);
        doc.image("images/overview_all.png", "map", "All hours (a)");
        let html = doc.html();
        assert!(html.contains("a &lt;b&gt;bold&lt;/b&gt; claim"), "{html}");
        assert!(html.contains(
            "<small>Kilde: <a href=\"place%20profiles.csv\"><code>place profiles.csv</code></a>, <a href=\"places.geojson\"><code>places.geojson</code></a></small>"
        ), "{html}");
        assert!(html.contains("<img src=\"images/overview_all.png\" alt=\"map\""));
        assert!(html.contains("<em>All hours (a)</em>"));
    }
}
