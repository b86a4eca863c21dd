//! The pages' HTML: one layout, escaping, and the bilingual labels
//! (Vietnamese first, English second).
//!
//! Every value that comes from the database or the request goes through
//! [`esc`] before it is written into a page; labels are constants.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use vantay_analysis::Session;
use vantay_exchange::PatternClass;
use vantay_print::Subtype;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A label in both languages: "Vietnamese / English".
pub fn both(vi: &str, en: &str) -> String {
    format!("{} <span class=\"en\">/ {}</span>", esc(vi), esc(en))
}

/// A whole page. `session` adds the navigation bar and the logout form.
pub fn page(title: &str, session: Option<&Session>, body: &str) -> Html<String> {
    let nav = match session {
        Some(s) => format!(
            "<nav><a href=\"/\">{queue}</a>\
             <span class=\"who\">{name} ({user})</span>\
             <form method=\"post\" action=\"/logout\" class=\"inline\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">{logout}</button></form></nav>",
            queue = both("Hàng chờ gói", "Package queue"),
            name = esc(&s.display_name),
            user = esc(&s.username),
            csrf = esc(s.csrf_token()),
            logout = both("Đăng xuất", "Log out"),
        ),
        None => String::new(),
    };
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — Vantay</title>\
         <link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><header><strong>Vantay</strong> · {centre}{nav}</header>\
         <main>{body}</main></body></html>\n",
        title = esc(title),
        centre = both("Trung tâm phân tích", "Analysis centre"),
    ))
}

/// A page that says what went wrong, with the status code.
pub fn message_page(status: StatusCode, session: Option<&Session>, vi: &str, en: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/\">{}</a></p>",
        both("Không thực hiện được", "Could not be done"),
        both(vi, en),
        both("Về hàng chờ gói", "Back to the package queue"),
    );
    (status, page("Lỗi / Error", session, &body)).into_response()
}

/// A time as the analysts read it: Vietnam's time zone, said so.
pub fn local_time(at: &str) -> String {
    let vietnam = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    match DateTime::parse_from_rfc3339(at) {
        Ok(t) => t
            .with_timezone(&vietnam)
            .format("%Y-%m-%d %H:%M (UTC+7)")
            .to_string(),
        Err(_) => at.to_owned(),
    }
}

/// The same, for a parsed time.
pub fn local(at: DateTime<Utc>) -> String {
    local_time(&at.to_rfc3339())
}

/// The class's name in both languages.
pub fn class_label(class: PatternClass) -> (&'static str, &'static str) {
    match class {
        PatternClass::A => ("Vân cung", "Arch"),
        PatternClass::T => ("Vân cung lều", "Tented arch"),
        PatternClass::L => ("Vân móc trái", "Left loop"),
        PatternClass::R => ("Vân móc phải", "Right loop"),
        PatternClass::W => ("Vân xoáy", "Whorl"),
    }
}

/// The subtype's name in both languages.
pub fn subtype_label(subtype: Subtype) -> (&'static str, &'static str) {
    match subtype {
        Subtype::PlainArch => ("Cung thường", "Plain arch"),
        Subtype::TentedArch => ("Cung lều", "Tented arch"),
        Subtype::Loop => ("Móc", "Loop"),
        Subtype::PlainWhorl => ("Xoáy thường", "Plain whorl"),
        Subtype::CentralPocketWhorl => ("Xoáy túi giữa", "Central pocket whorl"),
        Subtype::DoubleLoop => ("Móc đôi", "Double loop"),
        Subtype::AccidentalWhorl => ("Xoáy hỗn hợp", "Accidental whorl"),
    }
}

/// A stored subtype code in both languages (the code itself if unknown).
pub fn subtype_text(code: &str) -> String {
    match code.parse::<Subtype>() {
        Ok(s) => {
            let (vi, en) = subtype_label(s);
            both(vi, en)
        }
        Err(_) => esc(code),
    }
}

/// The stylesheet (served from `/style.css`, as the CSP allows no inline style).
pub const STYLE: &str = "\
body{font-family:system-ui,'Segoe UI',Roboto,'Noto Sans',sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}
header{background:#17324d;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center;flex-wrap:wrap}
header a{color:#fff}
nav{display:flex;gap:1em;align-items:center;margin-left:auto}
main{padding:1em;max-width:72em;margin:auto}
.en{color:#666;font-size:.92em}
header .en{color:#c8d3df}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top}
.finger{background:#fff;border:1px solid #ccc;margin:1em 0;padding:.8em;display:grid;grid-template-columns:minmax(0,22em) 1fr;gap:1em}
.finger img{width:100%;height:auto;border:1px solid #999;background:#ddd}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em .8em;margin:0 0 .8em}
dt{font-weight:600}
form.review{margin:.4em 0;padding:.4em;border-left:3px solid #17324d}
form.inline{display:inline}
label{display:block;margin:.3em 0}
input[type=text],input[type=password],select{padding:.3em;min-width:14em}
button{padding:.35em .8em;margin-top:.3em;cursor:pointer}
.error,.needs-count,.unsure,.to-review{color:#9b1c1c;font-weight:600}
.ok{color:#1c6b2f;font-weight:600}
.answered{background:#e8f3ea;padding:.8em;border:1px solid #9c9}
.login{max-width:26em;background:#fff;padding:1em 1.5em;border:1px solid #ccc}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("Lê Thị Mẫu"), "Lê Thị Mẫu");
    }

    #[test]
    fn times_are_shown_in_vietnam() {
        assert_eq!(
            local_time("2026-11-29T10:00:00.000Z"),
            "2026-11-29 17:00 (UTC+7)"
        );
    }
}
