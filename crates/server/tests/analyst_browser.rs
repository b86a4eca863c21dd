//! The analyst pages in a real browser: Debian's headless Chromium, driven
//! through chromedriver's WebDriver API, against the router served over
//! HTTPS with the server's own self-issued certificate.
//!
//! `an_analyst_corrects_a_class_and_answers` follows the steps: log
//! in (replacing the one-time password), open a package from the queue,
//! correct one finger's class, answer; then the centre imports the
//! downloaded result and finds the corrected class under the analyst's name.
//! It needs /usr/bin/chromium, /usr/bin/chromedriver and the SD14 prints in
//! shared/data (CI has all three); without them it says why and returns.
//!
//! `pages_need_a_session_and_forms_need_their_token` needs neither browser
//! nor prints: plain HTTPS requests without a session or without a CSRF
//! token are turned away.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use vantay_analysis::{AnalysisCentre, AnalystTasks};
use vantay_domain::{CaseId, CaseState, Finger};
use vantay_exchange::{FingerOutcome, PatternClass};
use vantay_server::tls::TlsFiles;
use vantay_server::RunningServer;
use vantay_store::{Actor, Centre};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn sd14() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sd14-dev");
    dir.is_dir().then_some(dir)
}

/// A centre, an analysis centre that pinned each other (the testkit's
/// world), and the analyst pages served over HTTPS.
struct World {
    dir: tempfile::TempDir,
    centre: Arc<Centre>,
    lab: Arc<AnalysisCentre>,
    server: RunningServer,
    base: String,
}

async fn world() -> World {
    let kit = vantay_testkit::World::without_prints().await;
    let tls = TlsFiles::in_data_dir(&kit.dir.path().join("lab"), &[])
        .unwrap()
        .server_config()
        .unwrap();
    let router = vantay_server::analyst::router(kit.lab.clone());
    let server = RunningServer::start(router, "127.0.0.1:0".parse().unwrap(), tls)
        .await
        .unwrap();
    let base = format!("https://127.0.0.1:{}", server.addr.port());
    World {
        dir: kit.dir,
        centre: kit.centre,
        lab: kit.lab,
        server,
        base,
    }
}

impl World {
    /// A sealed case of ten SD14 prints, dispatched to the lab and received
    /// there: prints 61–70, among which the engine cannot count one loop and
    /// is unsure of the class of five more, so an analyst has work to do.
    async fn received_package(&self, data: &Path) -> (CaseId, uuid::Uuid) {
        let case = vantay_testkit::sealed_case(&self.centre, data, 61).await;
        let package = self
            .centre
            .dispatch(&Actor::cli(), case, vantay_testkit::LAB, Utc::now())
            .await
            .unwrap()
            .bytes;
        let received = self.lab.receive(&package, Utc::now()).await.unwrap();
        (case, received.header.id)
    }
}

/// A plain HTTPS client that trusts the test server's certificate and
/// follows no redirect, so the tests see them.
fn https() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_corrects_a_class_and_answers() {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(tool).exists() {
            eprintln!("skipped: {tool} is missing (apt-get install chromium chromium-driver; CI installs them)");
            return;
        }
    }
    let Some(data) = sd14() else {
        eprintln!("skipped: shared/data/sd14-dev is absent (CI has it)");
        return;
    };
    let w = world().await;
    let (case, package) = w.received_package(&data).await;
    let report = w.lab.work("worker-1", None).await.unwrap();
    assert_eq!(report.done + report.failed, 10);
    let (analyst, one_time) = w
        .lab
        .add_analyst(
            "lan.nguyen",
            "Nguyễn Thị Lan",
            "2026-11-02".parse().unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();

    let browser = Browser::start(w.dir.path()).await;
    // Without a session, the queue sends the browser to the login page.
    browser.goto(&format!("{}/packages", w.base)).await;
    assert!(
        browser.url().await.ends_with("/login"),
        "{}",
        browser.url().await
    );
    let login = browser.source().await;
    assert!(
        login.contains("Đăng nhập") && login.contains("Log in"),
        "{login}"
    );

    // A wrong password first: refused, said in both languages.
    browser
        .fill("input[name=username]", &analyst.username)
        .await;
    browser
        .fill("input[name=password]", "not-the-password")
        .await;
    browser.submit("#login").await;
    assert!(browser
        .source()
        .await
        .contains("Sai tên đăng nhập hoặc mật khẩu"));

    // The one-time password logs in, and must be replaced at once.
    browser
        .fill("input[name=username]", &analyst.username)
        .await;
    browser
        .fill("input[name=password]", one_time.expose())
        .await;
    browser.submit("#login").await;
    assert!(
        browser.url().await.ends_with("/password"),
        "{}: {}",
        browser.url().await,
        browser.source().await
    );
    browser.fill("input[name=current]", one_time.expose()).await;
    browser.fill("input[name=new]", "vân tay đẹp 2026").await;
    browser.fill("input[name=repeat]", "vân tay đẹp 2026").await;
    browser.submit("#change-password").await;
    assert!(
        browser.url().await.ends_with("/packages"),
        "{}",
        browser.url().await
    );

    // The session cookie is locked down as the browser sees it.
    let cookies = browser.cookies().await;
    let session = cookies
        .iter()
        .find(|c| c["name"] == vantay_server::analyst::SESSION_COOKIE)
        .expect("a session cookie");
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["secure"], true);
    assert_eq!(session["sameSite"], "Strict");

    // The queue lists the package; open it.
    browser.screenshot("analyst-queue.png").await;
    let queue = browser.source().await;
    assert!(queue.contains("Hàng chờ gói") && queue.contains("Package queue"));
    assert!(
        queue.contains("Nguyễn Thị Lan"),
        "the analyst's name is shown"
    );
    assert!(
        !queue.contains("Lê Thị Mẫu"),
        "no customer name reaches the lab"
    );
    browser.submit("a.package").await;
    assert!(
        browser
            .url()
            .await
            .ends_with(&format!("/packages/{package}")),
        "{}",
        browser.url().await
    );
    let page = browser.source().await;
    for finger in Finger::ALL {
        assert!(page.contains(&format!("id=\"finger-{}\"", finger.code())));
    }
    // The overlay of R2 was decoded and drawn: the browser shows an image
    // (loaded lazily, so scrolled to and waited for).
    let deadline = Instant::now() + Duration::from_secs(60);
    let width = loop {
        let width = browser
            .script(
                "const img = document.querySelector('#finger-R2 img'); img.scrollIntoView(); \
                 return img.complete ? img.naturalWidth : 0;",
            )
            .await
            .as_u64()
            .unwrap_or(0);
        if width > 0 || Instant::now() > deadline {
            break width;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(width, 832, "the overlay has the print's width");

    // Correct R2's class (to a class the engine did not give).
    let engine = w.lab.current_outcomes(package).await.unwrap();
    // Before any review, the page names first the fingers an analyst must
    // settle, and marks the unsure ones where they are read.
    let tasks = AnalystTasks::of(&engine, w.lab.review_below().await.unwrap());
    let left: Vec<Finger> = tasks
        .fingers()
        .into_iter()
        .filter(|f| ![Finger::R1, Finger::R2, Finger::L5].contains(f))
        .collect();
    assert!(
        !left.is_empty(),
        "prints 61–70 hold readings the engine is unsure of: {tasks:?}"
    );
    let named = browser.text("#to-review").await;
    for finger in tasks.fingers() {
        assert!(named.contains(finger.code()), "{finger}: {named}");
    }
    for finger in &tasks.unsure {
        assert!(
            browser
                .text(&format!("#finger-{} dd.confidence", finger.code()))
                .await
                .contains("Máy chưa chắc chắn"),
            "{finger} is marked unsure"
        );
    }
    let engine_r2 = match &engine[1] {
        (Finger::R2, Some(FingerOutcome::Analysed(reading))) => reading.clone(),
        other => panic!("R2 should have a reading to correct: {other:?}"),
    };
    let new_class = if engine_r2.class == PatternClass::A {
        PatternClass::T
    } else {
        PatternClass::A
    };
    browser
        .click(&format!(
            "#finger-R2 select[name=class] option[value={new_class:?}]"
        ))
        .await;
    browser.submit("#finger-R2 button[name=correct]").await;
    assert_eq!(
        browser.attribute("#finger-R2 dd.class", "data-class").await,
        format!("{new_class:?}"),
        "the page shows the correction"
    );
    assert!(browser
        .text("#finger-R2 dd.status")
        .await
        .contains("Đã duyệt"));
    // The page says who reviewed it; R3, still the engine's, names nobody.
    assert!(
        browser
            .text("#finger-R2 dd.reviewer")
            .await
            .starts_with("lan.nguyen · "),
        "the reviewer is named"
    );
    let source = browser.source().await;
    let r3 = source
        .split_once("id=\"finger-R3\"")
        .and_then(|(_, rest)| rest.split_once("</section>"))
        .map(|(section, _)| section)
        .expect("R3 has a section");
    assert!(
        !r3.contains("class=\"reviewer\""),
        "nobody reviewed R3: {r3}"
    );
    browser.screenshot("analyst-package.png").await;

    // Confirm R1 as the engine read it; mark L5 unusable, in Vietnamese.
    browser.submit("#finger-R1 button[name=confirm]").await;
    assert!(browser.source().await.contains("id=\"finger-R1\""));
    let smudged = "Bản in bị nhoè, mất vùng tâm";
    browser.fill("#finger-L5 input[name=reason]", smudged).await;
    browser.submit("#finger-L5 button[name=unusable]").await;
    assert!(browser.text("#finger-L5 dd.rescan").await.contains(smudged));

    // The fingers the engine could not count or is unsure of are left: an
    // automatic answer is refused, naming them in both languages; the
    // analyst settles each (counts it, or confirms the engine's class).
    browser.click("input[name=auto]").await;
    browser.submit("#answer-button").await;
    let refusal = browser.source().await;
    assert!(
        refusal.contains("Cần người duyệt trước khi trả kết quả")
            && refusal.contains("An analyst must review first"),
        "{refusal}"
    );
    for finger in &left {
        assert!(refusal.contains(finger.code()), "{finger} named: {refusal}");
    }
    browser
        .goto(&format!("{}/packages/{package}", w.base))
        .await;
    for finger in &left {
        let code = finger.code();
        if tasks.uncounted.contains(finger) {
            browser
                .fill(&format!("#finger-{code} input[name=ridge_counts]"), "12")
                .await;
            browser
                .submit(&format!("#finger-{code} button[name=correct]"))
                .await;
        } else {
            browser
                .submit(&format!("#finger-{code} button[name=confirm]"))
                .await;
        }
        assert!(browser
            .text(&format!("#finger-{code} dd.status"))
            .await
            .contains("Đã duyệt"));
    }
    // Nothing is left to settle: the line naming such fingers is gone.
    assert!(!browser.source().await.contains("id=\"to-review\""));

    // Answer, accepting the engine's readings for the other fingers.
    browser.click("input[name=auto]").await;
    browser.submit("#answer-button").await;
    browser.screenshot("analyst-answered.png").await;
    let href = browser.attribute("#download", "href").await;
    assert!(
        href.ends_with(&format!("/packages/{package}/result")),
        "{href}"
    );

    // Download the result with the browser's session, as the link would.
    let token = session["value"].as_str().unwrap().to_owned();
    let response = https()
        .get(format!("{}{href}", w.base))
        .header(
            "cookie",
            format!("{}={token}", vantay_server::analyst::SESSION_COOKIE),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let sealed = response.bytes().await.unwrap().to_vec();
    browser.quit().await;

    // The centre accepts it; the unusable L5 sends the case back to capture.
    let receipt = w
        .centre
        .import_result(&Actor::cli(), &sealed, Utc::now())
        .await
        .unwrap();
    assert_eq!(receipt.state, CaseState::Captured);
    let stored = w
        .centre
        .analysis_result(&Actor::cli(), case)
        .await
        .unwrap()
        .expect("the result is stored");
    assert_eq!(stored.analyst, "lan.nguyen");
    let r2 = stored
        .fingers
        .iter()
        .find(|f| f.finger == Finger::R2)
        .unwrap();
    match &r2.outcome {
        FingerOutcome::Analysed(reading) => {
            assert_eq!(reading.class, new_class);
            assert!(reading.reviewed);
            // The engine's counts stay, except that an arch has none.
            if new_class.is_arch() {
                assert!(reading.ridge_counts.is_empty());
            } else {
                assert_eq!(reading.ridge_counts, engine_r2.ridge_counts);
            }
        }
        other => panic!("R2 should be analysed: {other:?}"),
    }
    let outcome = |finger: Finger| {
        stored
            .fingers
            .iter()
            .find(|f| f.finger == finger)
            .map(|f| f.outcome.clone())
            .unwrap()
    };
    let confirmed = match engine[0].1.clone().unwrap() {
        FingerOutcome::Analysed(mut reading) => {
            reading.reviewed = true;
            FingerOutcome::Analysed(reading)
        }
        rescan => rescan,
    };
    assert_eq!(outcome(Finger::R1), confirmed);
    assert_eq!(
        outcome(Finger::L5),
        FingerOutcome::Rescan {
            reason: smudged.to_owned()
        }
    );
    w.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_session_and_forms_need_their_token() {
    let w = world().await;
    let http = https();
    let some_package = uuid::Uuid::new_v4();
    for path in [
        "/".to_owned(),
        "/packages".to_owned(),
        format!("/packages/{some_package}"),
        format!("/packages/{some_package}/fingers/R1/overlay.png"),
        format!("/packages/{some_package}/result"),
        "/password".to_owned(),
    ] {
        let response = http.get(format!("{}{path}", w.base)).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        let to = response.headers()["location"].to_str().unwrap();
        assert!(
            to == "/login" || (path == "/" && to == "/packages"),
            "{path} → {to}"
        );
    }
    // A POST without a session goes to the login page too, and does nothing.
    let response = http
        .post(format!("{}/packages/{some_package}/answer", w.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("auto=yes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/login");

    // The login form is refused without its own token.
    let (_, password) = w
        .lab
        .add_analyst(
            "minh",
            "Trần Văn Minh",
            "2026-10-01".parse().unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    let response = http
        .post(format!("{}/login", w.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=minh&password={}", password.expose()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("set-cookie").is_none_or(|c| !c
        .to_str()
        .unwrap()
        .starts_with(&format!("{}=", vantay_server::analyst::SESSION_COOKIE))));

    // With a session, the login page's headers and a POST without the token.
    let (token, session) = w
        .lab
        .login("minh", password.expose(), Utc::now())
        .await
        .unwrap();
    w.lab
        .change_password(
            token.expose(),
            password.expose(),
            "mật khẩu dài đủ",
            Utc::now(),
        )
        .await
        .unwrap();
    let cookie = format!(
        "{}={}",
        vantay_server::analyst::SESSION_COOKIE,
        token.expose()
    );
    let response = http
        .get(format!("{}/packages", w.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let page = response.text().await.unwrap();
    assert!(page.contains(session.csrf_token()), "forms carry the token");

    for (path, body) in [
        (
            format!("/packages/{some_package}/answer"),
            "auto=yes".to_owned(),
        ),
        (
            format!("/packages/{some_package}/fingers/R1"),
            "action=unusable&reason=x".to_owned(),
        ),
        ("/logout".to_owned(), String::new()),
        (
            format!("/packages/{some_package}/answer"),
            "auto=yes&csrf=0000".to_owned(),
        ),
    ] {
        let response = http
            .post(format!("{}{path}", w.base))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path} {body}");
    }
    // The session survived the refused logout; with the token, logout works.
    assert!(w
        .lab
        .session(token.expose(), Utc::now())
        .await
        .unwrap()
        .is_some());
    let response = http
        .post(format!("{}/logout", w.base))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}", session.csrf_token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/login");
    assert!(w
        .lab
        .session(token.expose(), Utc::now())
        .await
        .unwrap()
        .is_none());
    w.server.shutdown().await.unwrap();
}

/// Headless Chromium through chromedriver's WebDriver API (plain JSON over
/// HTTP on the loopback), enough for these tests: no WebDriver crate needed.
struct Browser {
    driver: Child,
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`, the prefix of every command.
    prefix: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    async fn start(profile: &Path) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start on {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut browser = Browser {
            driver,
            http,
            prefix: base,
        };
        let args = [
            "--headless=new".to_owned(),
            // The tests run as root, where Chromium's sandbox cannot start.
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            // The server's certificate is self-issued; only the test trusts it.
            "--ignore-certificate-errors".to_owned(),
            "--window-size=1280,1600".to_owned(),
            format!("--user-data-dir={}", profile.join("chromium").display()),
        ];
        let created = browser
            .call(
                reqwest::Method::POST,
                "/session",
                json!({ "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "acceptInsecureCerts": true,
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args }
                }}}),
            )
            .await;
        let id = created["sessionId"].as_str().expect("a WebDriver session");
        browser.prefix = format!("{}/session/{id}", browser.prefix);
        browser
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.prefix));
        if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("chromedriver answers");
        let status = response.status();
        let reply: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(status.is_success(), "WebDriver {method} {path}: {reply}");
        reply["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn url(&self) -> String {
        let url = self.call(reqwest::Method::GET, "/url", Value::Null).await;
        url.as_str().unwrap().trim_end_matches('#').to_owned()
    }

    async fn source(&self) -> String {
        let source = self
            .call(reqwest::Method::GET, "/source", Value::Null)
            .await;
        source.as_str().unwrap().to_owned()
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        match found[ELEMENT].as_str() {
            Some(id) => id.to_owned(),
            None => panic!("no element {css}: {found}"),
        }
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    /// Clicks a button that submits a form, and waits until the browser
    /// has left the page (the old page's root element goes stale): a click
    /// returns before the navigation it starts has finished.
    async fn submit(&self, css: &str) {
        let old = self.find("html").await;
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = self
                .http
                .get(format!("{}/element/{old}/name", self.prefix))
                .send()
                .await
                .expect("chromedriver answers");
            if !response.status().is_success() {
                break;
            }
            assert!(Instant::now() < deadline, "{css} did not leave the page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Any command now waits for the new page to load.
        self.call(reqwest::Method::GET, "/title", Value::Null).await;
    }

    async fn fill(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            json!({}),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn attribute(&self, css: &str, name: &str) -> String {
        let id = self.find(css).await;
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{id}/attribute/{name}"),
                Value::Null,
            )
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{id}/text"),
                Value::Null,
            )
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    async fn script(&self, js: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": js, "args": [] }),
        )
        .await
    }

    async fn cookies(&self) -> Vec<Value> {
        let cookies = self
            .call(reqwest::Method::GET, "/cookie", Value::Null)
            .await;
        cookies.as_array().cloned().unwrap_or_default()
    }

    /// Keeps a screenshot when VANTAY_SCREENSHOTS names a folder (to look at the page).
    async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("VANTAY_SCREENSHOTS") else {
            return;
        };
        use base64::Engine as _;
        let shot = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot.as_str().unwrap())
            .unwrap();
        std::fs::write(Path::new(&dir).join(name), png).unwrap();
    }

    async fn quit(mut self) {
        self.call(reqwest::Method::DELETE, "", Value::Null).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed assertion must not leave chromedriver running.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
