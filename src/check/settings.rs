//! Lowers lookout.yaml into [`Settings`], once: every default (kept in
//! `model::settings`, as `Default` impls and `DEFAULT_*` constants) applied
//! here and nowhere else, every URL and environment-variable name checked with
//! its span, the runbook template read. Backends and push read only the
//! result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, Diagnostics, FileId};
use crate::model::settings::{
    is_http_url, is_project_name, project_name_from, CredentialedTarget, ElasticsearchTarget,
    GrafanaTarget, KibanaTarget, Layout, LokiTarget, ProjectName, ProjectSettings,
    PrometheusTarget, RulerTarget, RunbookTemplate, Settings, ShipperTls, TargetSettings,
    MAX_PROJECT_NAME,
};
use crate::model::Duration;
use crate::spec::config::{self, LoadedConfig};
use crate::spec::span_of;

use crate::model::settings::{
    DEFAULT_KIBANA_SPACE, DEFAULT_NAMESPACE, DEFAULT_STRUCTURED_METADATA, LOKI_RULES_PATH,
    MIMIR_RULES_PATH,
};

/// lookout.yaml as lowered; `slos` is `--slos`, which overrides its `slos`.
pub fn lower(loaded: &LoadedConfig, slos: Option<&Path>, diags: &mut Diagnostics) -> Settings {
    let mut lowering = SettingsLowering {
        diags,
        file: loaded.file,
    };
    lowering.validate(loaded);
    let runbook_template = lowering.runbook_template(loaded);
    let labels = match (&loaded.config.labels, loaded.file) {
        (Some(labels), Some(file)) => {
            super::lower::validate_labels(lowering.diags, file, labels, false)
        }
        _ => BTreeMap::new(),
    };
    let name = lowering.project_name(loaded);
    let mut settings = settings(loaded, runbook_template);
    settings.alert_namespace = loaded
        .config
        .alertmanager
        .as_ref()
        .and_then(|a| a.namespace.clone());
    if let Some(start) = loaded
        .config
        .calendar
        .as_ref()
        .and_then(|c| c.start.as_ref())
    {
        lowering
            .error(
                "config::calendar-start",
                "`calendar.start` is set per SLO, not in lookout.yaml".to_string(),
                start,
            )
            .help = Some("periods start at 00:00 at `utc_offset`; an SLO whose periods start at another time of day says so in its own `calendar: {start: \"HH:MM\"}`".into());
    }
    settings.utc_offset_minutes = loaded
        .config
        .calendar
        .as_ref()
        .and_then(|c| c.utc_offset.as_ref())
        .and_then(|offset| lowering.utc_offset(offset))
        .unwrap_or(0);
    settings.project = ProjectSettings {
        name,
        root: loaded.root.clone(),
        config: loaded
            .file
            .map(|file| (diags_path(lowering.diags, file), file)),
        slos_dir: match (slos, &loaded.config.slos) {
            (Some(dir), _) => dir.to_path_buf(),
            (None, Some(dir)) => loaded.resolve(dir),
            (None, None) => loaded.resolve("slos"),
        },
        labels,
    };
    settings
}

fn diags_path(diags: &Diagnostics, file: FileId) -> PathBuf {
    diags.sources.path(file).to_path_buf()
}

fn layout(loaded: &LoadedConfig) -> Layout {
    let output = &loaded.config.output;
    let mut layout = Layout::default();
    for (dir, value) in [
        (&mut layout.rules, &output.rules),
        (&mut layout.runbooks, &output.runbooks),
        (&mut layout.dashboards, &output.dashboards),
        (&mut layout.kubernetes, &output.kubernetes),
        (&mut layout.shipping, &output.shipping),
        (&mut layout.alertmanager, &output.alertmanager),
    ] {
        if let Some(value) = value {
            *dir = value.into();
        }
    }
    layout
}

struct SettingsLowering<'a> {
    diags: &'a mut Diagnostics,
    file: Option<FileId>,
}

impl SettingsLowering<'_> {
    fn error<T>(
        &mut self,
        code: &'static str,
        message: String,
        at: &Spanned<T>,
    ) -> &mut Diagnostic {
        let span = self
            .file
            .and_then(|file| span_of(self.diags, file, &at.referenced));
        self.diags
            .push(Diagnostic::error(code, message).at_opt(span));
        self.diags.items.last_mut().expect("just pushed")
    }

    fn utc_offset(&mut self, offset: &Spanned<String>) -> Option<i32> {
        let minutes = crate::model::calendar::parse_utc_offset(&offset.value);
        if minutes.is_none() {
            self.error(
                "config::utc-offset",
                format!(
                    "`calendar.utc_offset` must be `+HH:MM` or `-HH:MM` within ±14:00, got `{}`",
                    offset.value
                ),
                offset,
            )
            .help = Some(utc_offset_help(&offset.value));
        }
        minutes
    }

    /// lookout.yaml's `project`, else `default`: not the folder's
    /// name, which would make the outputs differ between two clones.
    fn project_name(&mut self, loaded: &LoadedConfig) -> ProjectName {
        if let Some(name) = &loaded.config.project {
            if !is_project_name(&name.value) {
                self.error(
                    "config::invalid-project",
                    format!("`project` must be lowercase letters, digits and `-`, at most {MAX_PROJECT_NAME} characters, got `{}`", name.value),
                    name,
                )
                .help = Some(format!(
                    "e.g. `project: {}`; it marks every object this project writes to a live system",
                    project_name_from(&name.value)
                ));
            }
            return ProjectName {
                name: name.value.clone(),
                pinned: true,
            };
        }
        ProjectName::default()
    }

    fn validate(&mut self, loaded: &LoadedConfig) {
        let config = &loaded.config;
        let urls = [
            ("runbooks.base_url", config.runbooks.base_url.as_ref()),
            ("grafana.url", config.grafana.url.as_ref()),
            (
                "kibana.url",
                config.kibana.as_ref().and_then(|k| k.url.as_ref()),
            ),
            ("loki.url", config.loki.as_ref().map(|l| &l.value.url)),
            (
                "elasticsearch.url",
                config.elasticsearch.as_ref().map(|e| &e.value.url),
            ),
            (
                "prometheus.url",
                config.prometheus.as_ref().and_then(|p| p.url.as_ref()),
            ),
            (
                "alertmanager.url",
                config.alertmanager.as_ref().and_then(|a| a.url.as_ref()),
            ),
            (
                "mimir.url",
                config.mimir.as_ref().and_then(|m| m.url.as_ref()),
            ),
        ];
        let envs = [
            (
                "loki.token_env",
                config
                    .loki
                    .as_ref()
                    .and_then(|l| l.value.token_env.as_ref()),
            ),
            (
                "elasticsearch.api_key_env",
                config
                    .elasticsearch
                    .as_ref()
                    .and_then(|e| e.value.api_key_env.as_ref()),
            ),
        ];
        for (key, url) in urls.into_iter().filter_map(|(k, u)| Some((k, u?))) {
            if !is_http_url(&url.value) {
                self.error(
                    "config::invalid-url",
                    format!("`{key}` must be an http(s) URL, got `{}`", url.value),
                    url,
                );
            }
        }
        for (key, env) in envs.into_iter().filter_map(|(k, e)| Some((k, e?))) {
            if !is_env_name(&env.value) {
                self.error(
                    "config::invalid-env",
                    // Not echoing the value: it may be the secret itself.
                    format!("`{key}` must name an environment variable"),
                    env,
                )
                .help = Some(
                    "give the variable's name, e.g. `ES_API_KEY`, never the secret itself".into(),
                );
            }
        }
        for target in config.push.iter().flat_map(|p| &p.value) {
            let known = config::PUSH_TARGETS;
            if !known.contains(&target.value.as_str()) {
                let help = crate::spec::suggest(&target.value, known, "targets");
                self.error(
                    "config::unknown-target",
                    format!("unknown push target `{}`", target.value),
                    target,
                )
                .help = Some(help);
            }
        }
        if let Some(shipper) = &config.shipping.loki {
            if !["alloy", "vector"].contains(&shipper.value.as_str()) {
                self.error(
                    "config::unknown-shipper",
                    format!("unknown Loki shipper `{}`", shipper.value),
                    shipper,
                )
                .help = Some("`shipping.loki` is `alloy` (the default) or `vector`".into());
            }
        }
        // An in-cluster https server's CA is rarely a public one (ECK's
        // is self-signed): without `ca_file` the shippers fail verification.
        let shippers = [
            (
                "loki",
                config
                    .loki
                    .as_ref()
                    .map(|l| (&l.value.url, l.value.tls.as_ref())),
            ),
            (
                "elasticsearch",
                config
                    .elasticsearch
                    .as_ref()
                    .map(|e| (&e.value.url, e.value.tls.as_ref())),
            ),
        ];
        for (key, destination) in shippers {
            let Some((url, tls)) = destination else {
                continue;
            };
            let trusted = tls.is_some_and(|tls| {
                tls.ca_file.is_some()
                    || tls.system_trust == Some(true)
                    || tls.insecure_skip_verify == Some(true)
            });
            if url.value.starts_with("https://") && !trusted {
                let span = self
                    .file
                    .and_then(|file| span_of(self.diags, file, &url.referenced));
                self.diags.push(
                    Diagnostic::warning(
                        "config::tls-no-ca",
                        format!("`{key}.url` is https, and the shippers are given no CA to verify it with"),
                    )
                    .at_opt(span)
                    .help(format!(
                        "an in-cluster CA (ECK's, cert-manager's) is not in the shipper image's trust store: put it in the Secret `lookout-shipping-tls` (mounted at /etc/lookout/tls) and set `{key}.tls.ca_file: /etc/lookout/tls/ca.crt`; if the certificate is from a public CA, set `{key}.tls.system_trust: true`"
                    )),
                );
            }
        }
        let prometheus = config.prometheus.as_ref();
        for (key, interval, example) in [
            (
                "long_interval",
                prometheus.and_then(|p| p.long_interval.as_ref()),
                "5m",
            ),
            (
                "interval",
                prometheus.and_then(|p| p.interval.as_ref()),
                "1m",
            ),
        ] {
            let Some(interval) = interval else { continue };
            if long_interval(&interval.value).is_none() {
                self.error(
                    "config::invalid-duration",
                    format!(
                        "`prometheus.{key}` must be a duration such as `{example}`, got `{}`",
                        interval.value
                    ),
                    interval,
                );
            }
        }
    }

    fn runbook_template(&mut self, loaded: &LoadedConfig) -> Option<RunbookTemplate> {
        let template = loaded.config.runbooks.template.as_ref()?;
        let path = loaded.resolve(&template.value);
        match crate::spec::read_text(&path, self.diags) {
            Some(text) => Some(RunbookTemplate {
                file: self.diags.sources.add(&path, text.clone()),
                text,
            }),
            None => {
                // Point at the key that names the file, with the file in the message.
                let span = self
                    .file
                    .and_then(|file| span_of(self.diags, file, &template.referenced));
                if let Some(last) = self.diags.items.last_mut() {
                    last.message = format!("runbook template {}: {}", path.display(), last.message);
                    if span.is_some() {
                        last.span = span;
                        last.path = None;
                        last.label = Some("`runbooks.template` names this file".into());
                    }
                }
                None
            }
        }
    }
}

/// The settings, defaults applied; values [`SettingsLowering::validate`]
/// rejected are dropped or defaulted, since the build stops anyway.
fn settings(loaded: &LoadedConfig, runbook_template: Option<RunbookTemplate>) -> Settings {
    let config = &loaded.config;
    let base = |url: &str| url.trim_end_matches('/').to_string();
    let mut settings = Settings {
        layout: layout(loaded),
        ..Settings::default()
    };

    if let Some(prometheus) = &config.prometheus {
        let lowered = &mut settings.prometheus;
        if let Some(interval) = prometheus
            .long_interval
            .as_ref()
            .and_then(|i| long_interval(&i.value))
        {
            lowered.long_interval = interval;
        }
        if let Some(interval) = prometheus
            .interval
            .as_ref()
            .and_then(|i| long_interval(&i.value))
        {
            lowered.interval = interval;
        }
        if let Some(namespace) = &prometheus.namespace {
            lowered.rule_namespace = namespace.clone();
        }
        if let Some(labels) = &prometheus.rule_labels {
            lowered.rule_labels = labels.clone();
        }
        lowered.cluster_url = prometheus
            .cluster_url
            .as_ref()
            .map(|url| url.trim_end_matches('/').to_string());
    }

    let grafana = &config.grafana;
    if let Some(folder) = &grafana.folder {
        settings.grafana.folder = folder.clone();
    }
    settings.grafana.datasource = grafana.datasource.clone();
    if let Some(path) = &grafana.provisioning_path {
        settings.grafana.provisioning_path = path.clone();
    }
    if let Some(namespace) = &grafana.namespace {
        settings.grafana.namespace = namespace.clone();
    }

    let kibana_url = config
        .kibana
        .as_ref()
        .and_then(|k| k.url.as_ref())
        .filter(|u| is_http_url(&u.value));
    settings.links.grafana_url = grafana
        .url
        .as_ref()
        .filter(|u| is_http_url(&u.value))
        .map(|u| base(&u.value));
    settings.links.loki_datasource = grafana.loki_datasource.clone();
    settings.links.kibana_url = kibana_url.map(|u| base(&u.value));

    settings.runbooks.base_url = config
        .runbooks
        .base_url
        .as_ref()
        .filter(|u| is_http_url(&u.value))
        .map(|u| base(&u.value));
    settings.runbooks.template = runbook_template;

    settings.logs.loki = config.loki.as_ref().map(|loki| LokiTarget {
        url: base(&loki.value.url.value),
        tenant: loki.value.tenant.clone(),
        namespace: (loki.value.namespace.clone()).unwrap_or_else(|| DEFAULT_NAMESPACE.into()),
        token_env: loki.value.token_env.as_ref().map(|e| e.value.clone()),
        tls: shipper_tls(loki.value.tls.as_ref()),
        structured_metadata: loki
            .value
            .structured_metadata
            .unwrap_or(DEFAULT_STRUCTURED_METADATA),
    });
    settings.logs.elasticsearch = config.elasticsearch.as_ref().map(|es| ElasticsearchTarget {
        url: base(&es.value.url.value),
        api_key_env: es.value.api_key_env.as_ref().map(|e| e.value.clone()),
        tls: shipper_tls(es.value.tls.as_ref()),
    });
    let shipping = &config.shipping;
    let lowered = &mut settings.logs.shipping;
    lowered.loki_via_vector = shipping.loki.as_ref().is_some_and(|s| s.value == "vector");
    if let Some(namespace) = &shipping.namespace {
        lowered.namespace = namespace.clone();
    }
    if let Some(image) = &shipping.alloy_image {
        lowered.alloy_image = image.clone();
    }
    if let Some(image) = &shipping.vector_image {
        lowered.vector_image = image.clone();
    }

    if let Some(severities) = &config.severities {
        settings.severities = severities.clone();
    }
    settings.targets = targets(loaded, &settings.grafana.folder);
    settings
}

fn targets(loaded: &LoadedConfig, grafana_folder: &str) -> TargetSettings {
    let config = &loaded.config;
    let grafana = &config.grafana;
    let kibana = config.kibana.as_ref();
    let es = config.elasticsearch.as_ref().map(|e| &e.value);
    let loki = config.loki.as_ref().map(|l| &l.value);
    let mimir = config.mimir.as_ref();
    TargetSettings {
        push: config
            .push
            .as_ref()
            .map(|targets| targets.value.iter().map(|t| t.value.clone()).collect()),
        prometheus: PrometheusTarget {
            url: config
                .prometheus
                .as_ref()
                .and_then(|p| p.url.as_ref())
                .map(|u| u.value.clone()),
            rules_dir: config.prometheus.as_ref().and_then(|p| p.rules_dir.clone()),
        },
        alertmanager_url: config
            .alertmanager
            .as_ref()
            .and_then(|a| a.url.as_ref())
            .map(|u| u.value.clone()),
        grafana: GrafanaTarget {
            url: grafana.url.as_ref().map(|u| u.value.clone()),
            token_env: grafana.token_env.clone(),
            token_file: grafana.token_file.clone(),
            folder: grafana_folder.to_string(),
        },
        kibana: KibanaTarget {
            url: kibana.and_then(|k| k.url.as_ref().map(|u| u.value.clone())),
            api_key_env: kibana.and_then(|k| k.api_key_env.clone()),
            api_key_file: kibana.and_then(|k| k.api_key_file.clone()),
            space: kibana
                .and_then(|k| k.space.clone())
                .unwrap_or_else(|| DEFAULT_KIBANA_SPACE.into()),
        },
        elasticsearch: CredentialedTarget {
            url: es.map(|e| e.url.value.clone()),
            api_key_env: es.and_then(|e| e.api_key_env.as_ref().map(|v| v.value.clone())),
            api_key_file: es.and_then(|e| e.api_key_file.clone()),
        },
        loki: RulerTarget {
            url: loki.map(|l| l.url.value.clone()),
            tenant: loki.and_then(|l| l.tenant.clone()),
            token_env: loki.and_then(|l| l.token_env.as_ref().map(|t| t.value.clone())),
            rules_path: LOKI_RULES_PATH.into(),
        },
        mimir: RulerTarget {
            url: mimir.and_then(|m| m.url.as_ref()).map(|u| u.value.clone()),
            tenant: mimir.and_then(|m| m.tenant.clone()),
            token_env: mimir.and_then(|m| m.token_env.clone()),
            rules_path: mimir
                .and_then(|m| m.rules_path.clone())
                .unwrap_or_else(|| MIMIR_RULES_PATH.into()),
        },
    }
}

fn shipper_tls(tls: Option<&config::ShipperTls>) -> ShipperTls {
    tls.map(|tls| ShipperTls {
        ca_file: tls.ca_file.clone(),
        insecure_skip_verify: tls.insecure_skip_verify.unwrap_or(false),
    })
    .unwrap_or_default()
}

fn long_interval(text: &str) -> Option<Duration> {
    Duration::parse_prometheus(text).filter(|d| d.seconds() > 0)
}

pub(crate) fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What to write instead of an offset that is not one: a time-zone name
/// gets its standard offset, since lookout follows no daylight saving.
pub fn utc_offset_help(written: &str) -> String {
    match crate::model::calendar::zone_standard_offset(written) {
        Some((minutes, _)) => format!(
            "`{written}` is a time zone; lookout takes a fixed offset, as Prometheus has no time-zone database: its standard offset is `{}` (daylight saving time is not followed)",
            crate::model::calendar::fmt_utc_offset(minutes)
        ),
        None => "a fixed offset from UTC, e.g. `+02:00` or `-05:30`; daylight saving time is not followed".into(),
    }
}

#[cfg(test)]
mod url_tests {
    use crate::model::settings::is_http_url;

    #[test]
    fn http_urls_need_a_scheme_and_a_host() {
        for good in [
            "http://g",
            "http://grafana:3000",
            "https://runbooks.example.com/slo",
            "https://10.0.0.1:9090/",
        ] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "ftp://x",
            "grafana:3000",
            "http://",
            "https://",
            "https:///path",
            "https://a b",
            "//grafana",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
