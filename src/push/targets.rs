//! Which targets a push talks to, from lookout.yaml and the environment.
//!
//! Every key can be overridden by `LOOKOUT_<TARGET>_<KEY>` (for example
//! `LOOKOUT_GRAFANA_URL`, `LOOKOUT_PROMETHEUS_RULES_DIR`). A target is
//! configured when it has a URL from either place; only configured targets
//! are touched. Credentials come from the environment variable or file the
//! config names, never from the config itself.

use std::path::PathBuf;

use super::http::Secret;
use crate::spec::config::LoadedConfig;

/// The push targets, in the order they are shown.
pub const ALL: &[&str] = crate::spec::config::PUSH_TARGETS;

#[derive(Debug, Clone)]
pub struct Resolved {
    pub prometheus: Option<Prometheus>,
    pub alertmanager: Option<String>,
    pub grafana: Option<Grafana>,
    pub kibana: Option<Kibana>,
    pub elasticsearch: Option<WithAuth>,
    pub loki: Option<Ruler>,
    pub mimir: Option<Ruler>,
}

#[derive(Debug, Clone)]
pub struct Prometheus {
    pub url: String,
    /// Required by plan/apply, not by status.
    pub rules_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Grafana {
    pub url: String,
    pub token: Option<Secret>,
    pub folder: String,
    pub datasource: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Kibana {
    pub url: String,
    pub api_key: Option<Secret>,
    pub space: String,
}

#[derive(Debug, Clone)]
pub struct WithAuth {
    pub url: String,
    pub api_key: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct Ruler {
    pub url: String,
    pub tenant: Option<String>,
    pub token: Option<Secret>,
    /// Path of the rules API under `url`.
    pub rules_path: String,
}

/// Reads the targets. `env` is the process environment in production and a
/// map in tests. Credentials are read only for the targets in `only` (all
/// when empty), so a run narrowed to one target does not need every
/// other target's secret. Errors name the key, never a secret's value.
pub fn resolve(
    loaded: &LoadedConfig,
    env: &dyn Fn(&str) -> Option<String>,
    only: &[String],
) -> Result<Resolved, Vec<String>> {
    let config = &loaded.config;
    let errors = std::cell::RefCell::new(Vec::<String>::new());
    let key = |target: &str, name: &str, from_file: Option<String>| -> Option<String> {
        let var = format!("LOOKOUT_{}_{}", target.to_uppercase(), name.to_uppercase());
        env(&var).filter(|v| !v.is_empty()).or(from_file)
    };
    let secret = |target: &str,
                  env_key: &str,
                  file_key: &str,
                  env_name: Option<String>,
                  file: Option<String>|
     -> Option<Secret> {
        if !only.is_empty() && !only.iter().any(|o| o == target) {
            return None;
        }
        let env_name = key(target, env_key, env_name);
        let file = key(target, file_key, file);
        if let Some(var) = env_name {
            match env(&var) {
                Some(value) if !value.trim().is_empty() => return Some(Secret::new(value)),
                _ => errors.borrow_mut().push(format!(
                    "{target}.{env_key} names the environment variable `{var}`, which is not set; set it, or leave {target} out of this run (`push:` in lookout.yaml, or --only)"
                )),
            }
        } else if let Some(file) = file {
            let path = loaded.resolve(&file);
            match std::fs::read_to_string(&path) {
                Ok(value) if !value.trim().is_empty() => return Some(Secret::new(value)),
                Ok(_) => errors
                    .borrow_mut()
                    .push(format!("{target}.{file_key}: {} is empty", path.display())),
                Err(e) => errors.borrow_mut().push(format!(
                    "{target}.{file_key}: cannot read {}: {e}",
                    path.display()
                )),
            }
        }
        None
    };

    let prometheus = config.prometheus.as_ref();
    let prometheus = match (
        key("prometheus", "url", prometheus.and_then(|p| p.url.clone())),
        key(
            "prometheus",
            "rules_dir",
            prometheus.and_then(|p| p.rules_dir.clone()),
        ),
    ) {
        (Some(url), dir) => Some(Prometheus {
            url,
            rules_dir: dir.map(|d| loaded.resolve(&d)),
        }),
        (None, None) => None,
        (None, Some(_)) => {
            errors.borrow_mut().push(
                "prometheus.url is required: apply reloads Prometheus and reads its rules back"
                    .into(),
            );
            None
        }
    };
    let alertmanager = key(
        "alertmanager",
        "url",
        config.alertmanager.as_ref().and_then(|a| a.url.clone()),
    );
    let g = &config.grafana;
    let grafana =
        key("grafana", "url", g.url.as_ref().map(|u| u.value.clone())).map(|url| Grafana {
            url,
            token: secret(
                "grafana",
                "token_env",
                "token_file",
                g.token_env.clone(),
                g.token_file.clone(),
            ),
            folder: key("grafana", "folder", g.folder.clone())
                .unwrap_or_else(|| crate::emit::grafana::DEFAULT_FOLDER.into()),
            datasource: key("grafana", "datasource", g.datasource.clone()),
        });
    let k = config.kibana.as_ref();
    let kibana = key(
        "kibana",
        "url",
        k.and_then(|k| k.url.as_ref().map(|u| u.value.clone())),
    )
    .map(|url| Kibana {
        url,
        api_key: secret(
            "kibana",
            "api_key_env",
            "api_key_file",
            k.and_then(|k| k.api_key_env.clone()),
            k.and_then(|k| k.api_key_file.clone()),
        ),
        space: key("kibana", "space", k.and_then(|k| k.space.clone()))
            .unwrap_or_else(|| "default".into()),
    });
    let es = config.elasticsearch.as_ref().map(|e| &e.value);
    let elasticsearch =
        key("elasticsearch", "url", es.map(|e| e.url.value.clone())).map(|url| WithAuth {
            url,
            api_key: secret(
                "elasticsearch",
                "api_key_env",
                "api_key_file",
                es.and_then(|e| e.api_key_env.as_ref().map(|v| v.value.clone())),
                es.and_then(|e| e.api_key_file.clone()),
            ),
        });
    let l = config.loki.as_ref().map(|l| &l.value);
    let loki = key("loki", "url", l.map(|l| l.url.value.clone())).map(|url| Ruler {
        url,
        tenant: key("loki", "tenant", l.and_then(|l| l.tenant.clone())),
        token: secret(
            "loki",
            "token_env",
            "token_file",
            l.and_then(|l| l.token_env.as_ref().map(|t| t.value.clone())),
            None,
        ),
        rules_path: "/loki/api/v1/rules".into(),
    });
    let m = config.mimir.as_ref();
    let mimir = key("mimir", "url", m.and_then(|m| m.url.clone())).map(|url| Ruler {
        url,
        tenant: key("mimir", "tenant", m.and_then(|m| m.tenant.clone())),
        token: secret(
            "mimir",
            "token_env",
            "token_file",
            m.and_then(|m| m.token_env.clone()),
            None,
        ),
        rules_path: key("mimir", "rules_path", m.and_then(|m| m.rules_path.clone()))
            .unwrap_or_else(|| "/prometheus/config/v1/rules".into()),
    });
    for (name, url) in [
        ("prometheus", prometheus.as_ref().map(|p| &p.url)),
        ("alertmanager", alertmanager.as_ref()),
        ("grafana", grafana.as_ref().map(|g| &g.url)),
        ("kibana", kibana.as_ref().map(|k| &k.url)),
        ("elasticsearch", elasticsearch.as_ref().map(|e| &e.url)),
        ("loki", loki.as_ref().map(|l| &l.url)),
        ("mimir", mimir.as_ref().map(|m| &m.url)),
    ] {
        if let Some(url) = url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                errors
                    .borrow_mut()
                    .push(format!("{name}.url must be an http(s) URL, got `{url}`"));
            }
        }
    }
    let errors = errors.into_inner();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Resolved {
        prometheus,
        alertmanager,
        grafana,
        kibana,
        elasticsearch,
        loki,
        mimir,
    })
}

impl Resolved {
    pub fn configured(&self) -> Vec<&'static str> {
        ALL.iter()
            .copied()
            .filter(|name| match *name {
                "prometheus" => self.prometheus.is_some(),
                "alertmanager" => self.alertmanager.is_some(),
                "grafana" => self.grafana.is_some(),
                "kibana" => self.kibana.is_some(),
                "elasticsearch" => self.elasticsearch.is_some(),
                "loki" => self.loki.is_some(),
                "mimir" => self.mimir.is_some(),
                _ => false,
            })
            .collect()
    }
}
