//! The queue, a package's fingers with their review forms, the print
//! overlay, the answer and its download.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;
use vantay_analysis::{AnalysisCentre, PackageSummary, ReviewBelow, ReviewMark, Session};
use vantay_domain::Finger;
use vantay_exchange::{FingerOutcome, PatternClass, Reading};
use vantay_print::classify::{Subtype, SubtypeError};

use super::auth::{Analyst, Posted};
use super::html::{both, class_label, esc, local_time, page, subtype_label, subtype_text};
use super::PageError;

/// `GET /packages`: every received package, newest first.
pub async fn queue(
    State(centre): State<Arc<AnalysisCentre>>,
    analyst: Analyst,
) -> Result<Html<String>, PageError> {
    let mut rows = String::new();
    for p in centre.packages().await? {
        let jobs = centre.job_counts(Some(p.id)).await?;
        rows.push_str(&format!(
            "<tr><td><a href=\"/packages/{id}\" class=\"package\">{pseudonym}</a></td>\
             <td>{count}: {fingers}</td><td>{state}</td><td>{expires}</td><td>{pending}</td></tr>",
            id = p.id,
            pseudonym = esc(&p.pseudonym),
            count = p.fingers.len(),
            fingers = esc(&super::finger_list(&p.fingers)),
            state = state_label(&p.state),
            expires = esc(&local_time(&p.expires_at)),
            pending = jobs.queued + jobs.running,
        ));
    }
    if rows.is_empty() {
        rows = format!(
            "<tr><td colspan=\"5\">{}</td></tr>",
            both("Chưa nhận gói nào.", "No package received yet.")
        );
    }
    let body = format!(
        "<h1>{title}</h1><table><thead><tr><th>{pseudonym}</th><th>{fingers}</th>\
         <th>{state}</th><th>{expires}</th><th>{jobs}</th></tr></thead><tbody>{rows}</tbody></table>",
        title = both("Hàng chờ gói", "Package queue"),
        pseudonym = both("Bí danh hồ sơ", "Case pseudonym"),
        fingers = both("Ngón", "Fingers"),
        state = both("Trạng thái", "State"),
        expires = both("Hạn trả kết quả", "Answer by"),
        jobs = both("Việc máy đang chờ", "Engine jobs pending"),
    );
    Ok(page(
        "Hàng chờ gói / Package queue",
        Some(&analyst.session),
        &body,
    ))
}

fn state_label(state: &str) -> String {
    match state {
        "received" => both("Chờ duyệt", "Awaiting review"),
        "answered" => both("Đã trả kết quả", "Answered"),
        other => esc(other),
    }
}

async fn summary(centre: &AnalysisCentre, id: Uuid) -> Result<PackageSummary, PageError> {
    centre
        .packages()
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| vantay_analysis::AnalysisError::NoPackage(id).into())
}

/// `GET /packages/{id}`: each finger's print, reading and review forms.
pub async fn package(
    State(centre): State<Arc<AnalysisCentre>>,
    analyst: Analyst,
    Path(id): Path<Uuid>,
) -> Result<Html<String>, PageError> {
    let summary = summary(&centre, id).await?;
    let open = summary.state == "received";
    let jobs = centre.job_counts(Some(id)).await?;
    let mut body = format!(
        "<h1>{title}: {pseudonym}</h1><p>{state_label}: {state} · {expires_label}: {expires} · \
         {jobs_label}: {pending}</p>",
        title = both("Gói", "Package"),
        pseudonym = esc(&summary.pseudonym),
        state_label = both("Trạng thái", "State"),
        state = state_label(&summary.state),
        expires_label = both("Hạn trả kết quả", "Answer by"),
        expires = esc(&local_time(&summary.expires_at)),
        jobs_label = both("Việc máy đang chờ", "Engine jobs pending"),
        pending = jobs.queued + jobs.running,
    );
    if !open {
        body.push_str(&format!(
            "<div class=\"answered\" id=\"answered\"><p class=\"ok\">{}</p>\
             <p><a href=\"/packages/{id}/result\" id=\"download\" download>{}</a></p></div>",
            both(
                "Đã ký và mã hoá kết quả cho trung tâm.",
                "The result is signed and encrypted to the centre."
            ),
            both("Tải tệp kết quả", "Download the result file"),
        ));
    }
    let marks = centre.review_marks(id).await?;
    let outcomes = centre.current_outcomes(id).await?;
    let alone = centre.read_alone(id).await?;
    let below = centre.review_below().await?;
    if open {
        body.push_str(&to_review(&outcomes, below));
    }
    for (finger, outcome) in outcomes {
        let mark = marks.iter().find(|m| m.finger == finger);
        let alone = alone
            .iter()
            .find(|(f, _, _)| *f == finger)
            .map(|&(_, class, confidence)| (class, confidence));
        body.push_str(&finger_section(
            id,
            FingerView {
                finger,
                outcome: outcome.as_ref(),
                mark,
                alone,
                below,
            },
            open,
            &analyst.session,
        ));
    }
    if open {
        body.push_str(&answer_form(id, &analyst.session));
    }
    Ok(page(
        &format!("{} — Gói / Package", summary.pseudonym),
        Some(&analyst.session),
        &body,
    ))
}

/// The line that names the fingers an automatic answer would refuse
/// ([`vantay_analysis::AnalysisError::AnalystNeeded`]), so that the analyst
/// starts with them; empty when there are none.
fn to_review(outcomes: &[(Finger, Option<FingerOutcome>)], below: ReviewBelow) -> String {
    let fingers = vantay_analysis::AnalystTasks::of(outcomes, below).fingers();
    if fingers.is_empty() {
        return String::new();
    }
    let links = fingers
        .iter()
        .map(|f| format!("<a href=\"#finger-{code}\">{code}</a>", code = f.code()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "<p class=\"to-review\" id=\"to-review\">{}: {links}</p>",
        both(
            "Cần người duyệt trước khi trả kết quả",
            "An analyst must review these before the answer"
        )
    )
}

/// What the package page shows of one finger.
struct FingerView<'a> {
    finger: Finger,
    /// The analyst's review, else the engine's reading (`None`: not read yet).
    outcome: Option<&'a FingerOutcome>,
    /// Who reviewed it, if anyone.
    mark: Option<&'a ReviewMark>,
    /// What the print alone gave, where the customer's other fingers
    /// changed the engine's class.
    alone: Option<(PatternClass, f32)>,
    /// The installation's review threshold.
    below: ReviewBelow,
}

fn finger_section(
    id: Uuid,
    FingerView {
        finger,
        outcome,
        mark,
        alone,
        below,
    }: FingerView,
    open: bool,
    session: &Session,
) -> String {
    let code = finger.code();
    // Who answers for this finger: the analyst who last reviewed it, or
    // nobody yet (the engine's reading stands until someone does).
    let reviewer = match mark {
        Some(m) => format!(
            "<dl><dt>{}</dt><dd class=\"reviewer\">{} · {}</dd></dl>",
            both("Người duyệt", "Reviewed by"),
            esc(&m.analyst),
            esc(&local_time(&m.reviewed_at)),
        ),
        None => String::new(),
    };
    let facts = match outcome {
        Some(outcome @ FingerOutcome::Analysed(reading)) => {
            let unsure = vantay_analysis::is_unsure(outcome, below);
            let mut facts = reading_facts(reading, unsure.then_some(below));
            if let (Some(alone), false) = (alone, reading.reviewed) {
                facts.push_str(&read_alone_note(alone));
            }
            facts
        }
        Some(FingerOutcome::Rescan { reason }) => format!(
            "<dl><dt>{}</dt><dd class=\"rescan\">{}: {}</dd></dl>",
            both("Kết luận", "Outcome"),
            both("Không dùng được — cần quét lại", "Unusable — rescan"),
            esc(reason),
        ),
        None => format!(
            "<p>{}</p>",
            both(
                "Máy đang phân tích bản in này…",
                "The engine is still reading this print…"
            )
        ),
    };
    let forms = match (open, outcome) {
        (true, Some(outcome)) => review_forms(id, finger, outcome, session),
        _ => String::new(),
    };
    format!(
        "<section class=\"finger\" id=\"finger-{code}\">\
         <div><img src=\"/packages/{id}/fingers/{code}/overlay.png\" loading=\"lazy\" \
         alt=\"{code}: bản in và lớp phủ của máy / print with the engine's overlay\"></div>\
         <div><h2>{code} — {name}</h2>{facts}{reviewer}{forms}</div></section>",
        name = both(finger.name_vi(), finger.name_en()),
    )
}

/// Where the customer's other fingers changed the engine's class: what
/// the print alone gave, so the analyst sees both readings.
fn read_alone_note((class, confidence): (PatternClass, f32)) -> String {
    let (vi, en) = class_label(class);
    format!(
        "<p class=\"read-alone\" data-class=\"{class:?}\">{}</p>",
        both(
            &format!(
                "Riêng bản in này, máy đọc là {class:?} — {vi} ({:.0}%); các ngón khác của khách hàng đã đổi kết quả.",
                confidence * 100.0
            ),
            &format!(
                "This print alone, the engine read as {class:?} — {en} ({:.0}%); the customer's other fingers changed it.",
                confidence * 100.0
            )
        )
    )
}

/// A reading's facts; `unsure` is the threshold it falls under, if it does.
fn reading_facts(r: &Reading, unsure: Option<ReviewBelow>) -> String {
    let (vi, en) = class_label(r.class);
    let counts = if r.check_ridge_counts().is_err() {
        // `answer --auto` refuses such a reading: say so where it is fixed.
        format!(
            "<span class=\"needs-count\">{}</span>",
            both(
                "Cần đếm vân: máy không tìm thấy đủ tâm và tam giác điểm để đếm; nhập số vân bên dưới",
                "Count needed: the engine did not find a core and delta to count between; enter the counts below"
            )
        )
    } else if r.ridge_counts.is_empty() {
        "—".to_owned()
    } else {
        r.ridge_counts
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let confidence = if let Some(below) = unsure {
        // `answer --auto` refuses such a reading too: say so where it is settled.
        format!(
            "{:.0}% <span class=\"unsure\">{}</span>",
            r.confidence * 100.0,
            both(
                &format!(
                    "Máy chưa chắc chắn (dưới {}%): hãy xác nhận hoặc sửa",
                    below.as_percent()
                ),
                &format!(
                    "The engine is unsure (under {}%): confirm or correct it",
                    below.as_percent()
                )
            )
        )
    } else {
        format!("{:.0}%", r.confidence * 100.0)
    };
    let reviewed = if r.reviewed {
        both("Đã duyệt", "Reviewed")
    } else {
        both(
            "Kết quả của máy, chưa duyệt",
            "The engine's reading, not reviewed",
        )
    };
    format!(
        "<dl><dt>{class_l}</dt><dd class=\"class\" data-class=\"{letter:?}\">{letter:?} — {class}</dd>\
         <dt>{subtype_l}</dt><dd class=\"subtype\">{subtype}</dd>\
         <dt>{counts_l}</dt><dd>{counts}</dd>\
         <dt>{points_l}</dt><dd>{cores} / {deltas}</dd>\
         <dt>{quality_l}</dt><dd>{quality}/100</dd>\
         <dt>{confidence_l}</dt><dd class=\"confidence\">{confidence}</dd>\
         <dt>{status_l}</dt><dd class=\"status\">{reviewed}</dd></dl>",
        class_l = both("Dạng vân", "Class"),
        letter = r.class,
        class = both(vi, en),
        subtype_l = both("Kiểu phụ", "Subtype"),
        subtype = subtype_text(&r.subtype),
        counts_l = both("Số vân tâm–tam giác", "Core–delta ridge counts"),
        points_l = both("Tâm / tam giác", "Cores / deltas"),
        cores = r.cores.len(),
        deltas = r.deltas.len(),
        quality_l = both("Chất lượng ảnh", "Image quality"),
        quality = r.quality,
        confidence_l = both("Độ tin cậy của máy", "Engine confidence"),
        status_l = both("Tình trạng", "Status"),
    )
}

fn review_forms(id: Uuid, finger: Finger, outcome: &FingerOutcome, session: &Session) -> String {
    let code = finger.code();
    let action = format!("/packages/{id}/fingers/{code}");
    let csrf = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(session.csrf_token())
    );
    let confirm = format!(
        "<form method=\"post\" action=\"{action}\" class=\"review\">{csrf}\
         <input type=\"hidden\" name=\"action\" value=\"confirm\">\
         <button type=\"submit\" name=\"confirm\">{}</button></form>",
        both("Xác nhận", "Confirm"),
    );
    let correct = match outcome {
        FingerOutcome::Analysed(reading) => {
            let classes: String = PatternClass::ALL
                .iter()
                .map(|c| {
                    let (vi, en) = class_label(*c);
                    let selected = if *c == reading.class { " selected" } else { "" };
                    format!("<option value=\"{c:?}\"{selected}>{c:?} — {vi} / {en}</option>")
                })
                .collect();
            let subtypes: String = Subtype::ALL
                .iter()
                .map(|s| {
                    let (vi, en) = subtype_label(*s);
                    format!("<option value=\"{}\">{vi} / {en}</option>", s.code())
                })
                .collect();
            format!(
                "<form method=\"post\" action=\"{action}\" class=\"review\">{csrf}\
                 <input type=\"hidden\" name=\"action\" value=\"correct\">\
                 <label>{class_l} <select name=\"class\">{classes}</select></label>\
                 <label>{subtype_l} <select name=\"subtype\"><option value=\"\" selected>{follow}</option>\
                 {subtypes}</select></label>\
                 <label>{counts_l} <input type=\"text\" name=\"ridge_counts\" value=\"{counts}\" \
                 pattern=\"[0-9 ,]*\" maxlength=\"20\"></label>\
                 <button type=\"submit\" name=\"correct\">{button}</button></form>",
                class_l = both("Dạng vân", "Class"),
                subtype_l = both("Kiểu phụ", "Subtype"),
                follow = "Theo dạng vân / Follow the class",
                counts_l = both(
                    "Số vân (cách nhau bởi dấu phẩy; vân cung: bỏ qua)",
                    "Ridge counts (comma-separated; ignored for an arch)"
                ),
                counts = esc(&ridge_count_text(&reading.ridge_counts)),
                button = both("Sửa", "Correct"),
            )
        }
        // Without a reading there is nothing to correct: confirm the
        // engine's rescan request, or give a reason of one's own.
        FingerOutcome::Rescan { .. } => String::new(),
    };
    let unusable = format!(
        "<form method=\"post\" action=\"{action}\" class=\"review\">{csrf}\
         <input type=\"hidden\" name=\"action\" value=\"unusable\">\
         <label>{reason_l} <input type=\"text\" name=\"reason\" maxlength=\"300\" required></label>\
         <button type=\"submit\" name=\"unusable\">{button}</button></form>",
        reason_l = both("Lý do", "Reason"),
        button = both("Không dùng được — cần quét lại", "Unusable — rescan"),
    );
    format!("{confirm}{correct}{unusable}")
}

fn answer_form(id: Uuid, session: &Session) -> String {
    format!(
        "<section class=\"finger\" id=\"answer\"><div></div><div><h2>{title}</h2>\
         <form method=\"post\" action=\"/packages/{id}/answer\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label><input type=\"checkbox\" name=\"auto\" value=\"yes\"> {auto}</label>\
         <button type=\"submit\" id=\"answer-button\">{title}</button></form>\
         <p>{note}</p></div></section>",
        title = both("Trả kết quả", "Answer"),
        csrf = esc(session.csrf_token()),
        auto = both(
            "Chấp nhận kết quả của máy cho các ngón chưa duyệt (trừ ngón máy chưa đếm được vân hoặc chưa chắc chắn)",
            "Accept the engine's readings for fingers not reviewed (except those it could not count or is unsure of)"
        ),
        note = both(
            "Kết quả được ký bằng khoá của trung tâm phân tích, ghi tên bạn, và mã hoá cho trung tâm gửi gói.",
            "The result is signed with the analysis centre's key, names you, and is encrypted to the centre that sent the package."
        ),
    )
}

fn parse_finger(code: &str) -> Result<Finger, PageError> {
    code.parse().map_err(|_| {
        PageError::refused(
            StatusCode::NOT_FOUND,
            format!("'{code}' không phải mã ngón."),
            format!("'{code}' is not a finger code."),
        )
    })
}

/// `GET /packages/{id}/fingers/{finger}/overlay.png`: the print with the
/// engine's overlay, made in memory from the decrypted print.
pub async fn overlay(
    State(centre): State<Arc<AnalysisCentre>>,
    analyst: Analyst,
    Path((id, finger)): Path<(Uuid, String)>,
) -> Result<Response, PageError> {
    let finger = parse_finger(&finger)?;
    let png = centre
        .overlay_png(id, finger, &analyst.session.username)
        .await?
        .map_err(|e| PageError::Internal(format!("overlay of {finger} in package {id}: {e}")))?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}

/// The review form's fields.
#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    subtype: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    ridge_counts: String,
}

/// `POST /packages/{id}/fingers/{finger}`: confirm, correct or mark unusable.
pub async fn review(
    State(centre): State<Arc<AnalysisCentre>>,
    Path((id, finger)): Path<(Uuid, String)>,
    posted: Posted<ReviewForm>,
) -> Result<Response, PageError> {
    let finger = parse_finger(&finger)?;
    let form = posted.form;
    let current = centre
        .current_outcomes(id)
        .await?
        .into_iter()
        .find(|(f, _)| *f == finger)
        .ok_or(vantay_analysis::AnalysisError::NoSuchFinger {
            package: id,
            finger,
        })?
        .1;
    let not_read = || {
        PageError::refused(
            StatusCode::CONFLICT,
            "Máy chưa đọc xong ngón này.",
            "The engine has not read this finger yet.",
        )
    };
    let outcome = match form.action.as_str() {
        "confirm" => current.ok_or_else(not_read)?,
        "correct" => match current.ok_or_else(not_read)? {
            FingerOutcome::Analysed(reading) => {
                let reading = corrected(reading, &form.class, &form.subtype)?;
                FingerOutcome::Analysed(with_ridge_counts(reading, &form.ridge_counts)?)
            }
            FingerOutcome::Rescan { .. } => {
                return Err(PageError::refused(
                    StatusCode::CONFLICT,
                    "Ngón này không có kết quả đọc để sửa.",
                    "This finger has no reading to correct.",
                ))
            }
        },
        "unusable" => {
            let reason = form.reason.trim();
            if reason.is_empty() || reason.chars().count() > 300 {
                return Err(PageError::refused(
                    StatusCode::BAD_REQUEST,
                    "Hãy ghi lý do (tối đa 300 ký tự).",
                    "Give a reason (300 characters at most).",
                ));
            }
            FingerOutcome::Rescan {
                reason: reason.to_owned(),
            }
        }
        _ => {
            return Err(PageError::refused(
                StatusCode::BAD_REQUEST,
                "Thao tác không hợp lệ.",
                "Unknown action.",
            ))
        }
    };
    centre
        .review(id, finger, &posted.analyst.session.username, outcome)
        .await?;
    Ok(Redirect::to(&format!("/packages/{id}#finger-{}", finger.code())).into_response())
}

/// The reading with the analyst's class and subtype. An empty subtype
/// follows the class: the one subtype it allows, or the reading's own when
/// it fits, else a plain whorl.
fn corrected(mut reading: Reading, class: &str, subtype: &str) -> Result<Reading, PageError> {
    let class = PatternClass::from_letter(class).ok_or_else(|| {
        PageError::refused(
            StatusCode::BAD_REQUEST,
            "Dạng vân không hợp lệ.",
            "Unknown class.",
        )
    })?;
    let requested = Some(subtype).filter(|s| !s.is_empty());
    let subtype = Subtype::corrected(class, requested, &reading.subtype).map_err(|e| match e {
        SubtypeError::Unknown(_) => PageError::refused(
            StatusCode::BAD_REQUEST,
            "Kiểu phụ không hợp lệ.",
            "Unknown subtype.",
        ),
        SubtypeError::NotOfClass { subtype, class } => {
            let (cvi, cen) = class_label(class);
            let (svi, sen) = subtype_label(subtype);
            PageError::refused(
                StatusCode::BAD_REQUEST,
                format!("Kiểu phụ «{svi}» không thuộc dạng vân «{cvi}»."),
                format!("The subtype '{sen}' does not belong to the class '{cen}'."),
            )
        }
    })?;
    reading.class = class;
    reading.subtype = subtype.code().to_owned();
    Ok(reading)
}

/// The ridge counts as the form shows them: `12, 9`.
fn ridge_count_text(counts: &[u32]) -> String {
    counts
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The reading with the analyst's ridge counts. An arch has none, whatever
/// the field holds; otherwise the field's numbers replace the engine's.
fn with_ridge_counts(mut reading: Reading, field: &str) -> Result<Reading, PageError> {
    if reading.class.is_arch() {
        reading.ridge_counts.clear();
        return Ok(reading);
    }
    reading.ridge_counts = field
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<u32>().ok().filter(|n| *n <= 60))
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(|| {
            PageError::refused(
                StatusCode::BAD_REQUEST,
                "Số vân phải là các số từ 0 đến 60, cách nhau bởi dấu phẩy.",
                "Ridge counts are numbers from 0 to 60, separated by commas.",
            )
        })?;
    Ok(reading)
}

/// The answer form's fields.
#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    auto: Option<String>,
}

/// `POST /packages/{id}/answer`: signs and seals the result as the analyst.
pub async fn answer(
    State(centre): State<Arc<AnalysisCentre>>,
    Path(id): Path<Uuid>,
    posted: Posted<AnswerForm>,
) -> Result<Response, PageError> {
    let auto = posted.form.auto.is_some();
    centre
        .answer(id, &posted.analyst.session.username, auto, Utc::now())
        .await?;
    Ok(Redirect::to(&format!("/packages/{id}#answered")).into_response())
}

/// `GET /packages/{id}/result`: the sealed result, as a file.
pub async fn result(
    State(centre): State<Arc<AnalysisCentre>>,
    _analyst: Analyst,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let sealed = centre.sealed_result(id).await?;
    let disposition = format!("attachment; filename=\"vantay-result-{id}.age\"");
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        sealed,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(class: PatternClass, subtype: &str) -> Reading {
        Reading {
            class,
            subtype: subtype.into(),
            confidence: 0.9,
            cores: vec![],
            deltas: vec![],
            ridge_counts: vec![],
            quality: 80,
            reviewed: false,
        }
    }

    #[test]
    fn the_note_names_the_class_the_print_alone_gave() {
        let note = read_alone_note((PatternClass::L, 0.564));
        assert!(note.contains("data-class=\"L\""), "{note}");
        assert!(note.contains("(56%)"), "{note}");
        assert!(
            note.contains("các ngón khác") && note.contains("other fingers"),
            "{note}"
        );
    }

    #[test]
    fn a_correction_follows_or_checks_the_class() {
        let r = corrected(reading(PatternClass::L, "loop"), "W", "").unwrap();
        assert_eq!(
            (r.class, r.subtype.as_str()),
            (PatternClass::W, "plain_whorl")
        );
        let r = corrected(reading(PatternClass::W, "double_loop"), "W", "").unwrap();
        assert_eq!(r.subtype, "double_loop", "a fitting subtype stays");
        let r = corrected(reading(PatternClass::W, "double_loop"), "A", "").unwrap();
        assert_eq!(r.subtype, "plain_arch");
        let r = corrected(
            reading(PatternClass::L, "loop"),
            "W",
            "central_pocket_whorl",
        )
        .unwrap();
        assert_eq!(r.subtype, "central_pocket_whorl");
        assert!(corrected(reading(PatternClass::L, "loop"), "A", "double_loop").is_err());
        assert!(corrected(reading(PatternClass::L, "loop"), "X", "").is_err());
        assert!(corrected(reading(PatternClass::L, "loop"), "W", "spiral").is_err());
    }

    #[test]
    fn ridge_counts_come_from_the_field_and_an_arch_has_none() {
        let mut whorl = reading(PatternClass::W, "plain_whorl");
        whorl.ridge_counts = vec![12, 9];
        assert_eq!(ridge_count_text(&whorl.ridge_counts), "12, 9");
        let r = with_ridge_counts(whorl.clone(), " 14 ,7").unwrap();
        assert_eq!(r.ridge_counts, vec![14, 7]);
        let arch = corrected(whorl.clone(), "A", "").unwrap();
        assert!(with_ridge_counts(arch, "12, 9")
            .unwrap()
            .ridge_counts
            .is_empty());
        assert!(with_ridge_counts(whorl.clone(), "12, nine").is_err());
        assert!(with_ridge_counts(whorl, "99").is_err());
    }
}
