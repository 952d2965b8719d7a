//! HTTP for every push target, in one place: timeouts, retries, TLS and
//! secrets.
//!
//! Every write lookout makes is an idempotent upsert or delete (PUT, POST
//! with overwrite, ruler group replace), so a request whose outcome is
//! unknown is safe to send again. Connection errors, timeouts, 429 and 5xx
//! are retried with capped exponential backoff with jitter, and a
//! `Retry-After` in seconds is honoured (capped). Secrets are held in
//! [`Secret`], which never prints, and are scrubbed from any error text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::blocking::{multipart, Client};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};

/// The longest `Retry-After` honoured; a server asking for more gets the
/// request sooner rather than stalling the run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A credential. Its `Debug` and `Display` print `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().trim().to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Settings shared by every target's client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Per request, connect to last byte.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Extra CA certificate (PEM) trusted besides the system store.
    pub ca_file: Option<PathBuf>,
    /// Skip TLS verification; only with `--insecure-skip-tls-verify`.
    pub insecure: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            retries: 4,
            base_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            ca_file: None,
            insecure: false,
        }
    }
}

/// What went wrong with a request, with secrets scrubbed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub message: String,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Ok` for a 2xx, else the status and (already scrubbed) body.
    pub fn success(&self) -> Result<(), String> {
        if self.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}: {}", self.status, self.body.trim()))
        }
    }

    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("response is not JSON: {e}"))
    }
}

/// A request body. Multipart is rebuilt for each attempt.
#[derive(Clone)]
pub enum Body {
    Empty,
    Json(serde_json::Value),
    Text {
        content_type: &'static str,
        text: String,
    },
    /// One file part, as Kibana's import expects.
    File {
        field: &'static str,
        file_name: String,
        bytes: Vec<u8>,
    },
}

/// One target's base URL, auth and client.
pub struct Endpoint {
    client: Client,
    base: String,
    headers: HeaderMap,
    secrets: Vec<Secret>,
    options: HttpOptions,
}

impl Endpoint {
    pub fn new(
        base: &str,
        auth: Option<(&'static str, Secret)>,
        headers: &[(&'static str, String)],
        options: &HttpOptions,
    ) -> Result<Endpoint, String> {
        let mut map = HeaderMap::new();
        let mut secrets = Vec::new();
        if let Some((scheme, secret)) = auth {
            let mut value = HeaderValue::from_str(&format!("{scheme} {}", secret.expose()))
                .map_err(|_| {
                    "the credential contains characters not allowed in a header".to_string()
                })?;
            value.set_sensitive(true);
            map.insert(reqwest::header::AUTHORIZATION, value);
            secrets.push(secret);
        }
        for (name, value) in headers {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value)
                    .map_err(|_| format!("invalid value for header {name}"))?,
            );
        }
        Ok(Endpoint {
            client: client(options)?,
            base: base.trim_end_matches('/').to_string(),
            headers: map,
            secrets,
            options: options.clone(),
        })
    }

    pub fn get(&self, path: &str) -> Result<Response, HttpError> {
        self.send(Method::GET, path, Body::Empty)
    }

    /// A JSON object that may not exist: 404 is `None`, any other
    /// non-2xx an error.
    pub fn get_json(&self, path: &str) -> Result<Option<serde_json::Value>, String> {
        let response = self.get(path).map_err(|e| e.to_string())?;
        if response.status == 404 {
            return Ok(None);
        }
        response.success().map_err(|e| format!("GET {path}: {e}"))?;
        response.json().map(Some)
    }

    /// Sends with retries. Returns the response of the last attempt for any
    /// status that is not retried (including 4xx), or an error when every
    /// attempt failed.
    pub fn send(&self, method: Method, path: &str, body: Body) -> Result<Response, HttpError> {
        self.send_unless(method, path, body, |_, _| false)
    }

    /// [`Self::send`], except that a 429 or 5xx for which `final_answer`
    /// holds (given status and body) is returned at once: a failure that
    /// will not change on a retry, such as a config Prometheus refuses.
    pub fn send_unless(
        &self,
        method: Method,
        path: &str,
        body: Body,
        final_answer: impl Fn(u16, &str) -> bool,
    ) -> Result<Response, HttpError> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            let outcome = self.once(method.clone(), &url, &body);
            // Every outcome that reaches past this match is retryable.
            let (wait, error) = match outcome {
                Ok((status, retry_after, text)) => {
                    let retryable = (status == StatusCode::TOO_MANY_REQUESTS
                        || status.is_server_error())
                        && !final_answer(status.as_u16(), &text);
                    if !retryable {
                        // Servers sometimes echo headers in errors; nothing
                        // that reaches output may carry a secret.
                        return Ok(Response {
                            status: status.as_u16(),
                            body: self.scrub(&text),
                        });
                    }
                    let error = HttpError {
                        message: format!(
                            "{method} {url}: HTTP {}{}",
                            status.as_u16(),
                            excerpt(&text)
                        ),
                    };
                    (retry_after, error)
                }
                Err(err) => {
                    let kind = if err.is_timeout() {
                        format!("timed out after {:?}", self.options.timeout)
                    } else if err.is_connect() {
                        "connection failed".to_string()
                    } else {
                        "request failed".to_string()
                    };
                    // The deepest cause says what went wrong (e.g. an
                    // unknown certificate issuer); the outer ones say where.
                    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&err);
                    let mut deepest = None;
                    while let Some(c) = cause {
                        deepest = Some(c.to_string());
                        cause = c.source();
                    }
                    let detail = deepest.map(|d| format!(" ({d})")).unwrap_or_default();
                    (
                        None,
                        HttpError {
                            message: format!("{method} {url}: {kind}{detail}"),
                        },
                    )
                }
            };
            if attempt >= self.options.retries {
                let mut error = error;
                error.message = self.scrub(&error.message);
                if attempt > 0 {
                    error
                        .message
                        .push_str(&format!(" (after {} attempts)", attempt + 1));
                }
                return Err(error);
            }
            std::thread::sleep(wait.unwrap_or_else(|| self.backoff(attempt)));
            attempt += 1;
        }
    }

    fn once(
        &self,
        method: Method,
        url: &str,
        body: &Body,
    ) -> Result<(StatusCode, Option<Duration>, String), reqwest::Error> {
        let mut request = self
            .client
            .request(method, url)
            .headers(self.headers.clone());
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(value.to_string()),
            Body::Text { content_type, text } => request
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(text.clone()),
            Body::File {
                field,
                file_name,
                bytes,
            } => {
                let part = multipart::Part::bytes(bytes.clone())
                    .file_name(file_name.clone())
                    .mime_str("application/ndjson")
                    .expect("a valid mime type");
                request.multipart(multipart::Form::new().part(*field, part))
            }
        };
        let response = request.send()?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        let text = response.text()?;
        Ok((status, retry_after, text))
    }

    /// Jitter: a random wait between half and all of the capped
    /// exponential backoff, so retries from parallel workers spread out.
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .options
            .base_backoff
            .saturating_mul(1 << attempt.min(16))
            .min(self.options.max_backoff);
        let fraction = (next_random() % 1000) as f64 / 1000.0;
        cap.mul_f64(0.5 + fraction / 2.0)
    }

    /// Removes every secret from `text`.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "***");
            }
        }
        text
    }
}

fn excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return String::new();
    }
    let cut: String = body.chars().take(300).collect();
    format!(": {cut}")
}

/// xorshift, seeded from the clock: jitter needs spread, not quality.
fn next_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x
}

fn client(options: &HttpOptions) -> Result<Client, String> {
    // reqwest is built without a default crypto provider; ring is ours.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("lookout/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(32);
    if let Some(ca) = &options.ca_file {
        for cert in read_ca(ca)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    if options.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
    // reqwest accepts input without any certificate in it; an empty bundle
    // would silently trust nothing extra, so it is an error here.
    let not_pem = || format!("CA file {} is not a PEM certificate", path.display());
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(not_pem());
    }
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => Err(not_pem()),
        Err(e) => Err(format!("{}: {e}", not_pem())),
    }
}

/// Percent-encodes one path segment (`/` included), as the ruler APIs need
/// for namespaces and group names.
pub fn segment(value: &str) -> String {
    crate::emit::url_encode(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("glsa_abc");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(
            segment("lookout:api:slo:alerts"),
            "lookout%3Aapi%3Aslo%3Aalerts"
        );
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
