//! Which targets a push talks to, from lookout.yaml and the environment.
//!
//! Every key can be overridden by `LOOKOUT_<TARGET>_<KEY>` (for example
//! `LOOKOUT_GRAFANA_URL`, `LOOKOUT_PROMETHEUS_RULES_DIR`). A target is
//! configured when it has a URL from either place; only configured targets
//! are touched. Credentials come from the environment variable or file the
//! config names, never from the config itself.

use std::path::PathBuf;

use super::http::Secret;
use crate::model::settings::{RulerTarget, Settings, TargetSettings};

/// The push targets, in the order they are shown.
pub const ALL: &[&str] = crate::model::settings::PUSH_TARGETS;

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
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<String>,
    only: &[String],
) -> Result<Resolved, Vec<String>> {
    // Relative paths (rules_dir, token files) resolve against the project
    // root, also when they come from the environment.
    let project = &settings.project;
    let settings: &TargetSettings = &settings.targets;
    let errors = std::cell::RefCell::new(Vec::<String>::new());
    // Keys set in the environment, which lookout.yaml's checks never saw.
    let overridden = std::cell::RefCell::new(Vec::<String>::new());
    let key = |target: &str, name: &str, from_file: Option<String>| -> Option<String> {
        let var = format!("LOOKOUT_{}_{}", target.to_uppercase(), name.to_uppercase());
        match env(&var).filter(|v| !v.is_empty()) {
            Some(value) => {
                overridden.borrow_mut().push(format!("{target}.{name}"));
                Some(value)
            }
            None => from_file,
        }
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
            let path = project.resolve(&file);
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

    let p = &settings.prometheus;
    let prometheus = match (
        key("prometheus", "url", p.url.clone()),
        key("prometheus", "rules_dir", p.rules_dir.clone()),
    ) {
        (Some(url), dir) => Some(Prometheus {
            url,
            rules_dir: dir.map(|d| project.resolve(&d)),
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
    let alertmanager = key("alertmanager", "url", settings.alertmanager_url.clone());
    let g = &settings.grafana;
    let grafana = key("grafana", "url", g.url.clone()).map(|url| Grafana {
        url,
        token: secret(
            "grafana",
            "token_env",
            "token_file",
            g.token_env.clone(),
            g.token_file.clone(),
        ),
        folder: key("grafana", "folder", Some(g.folder.clone())).unwrap_or_default(),
    });
    let k = &settings.kibana;
    let kibana = key("kibana", "url", k.url.clone()).map(|url| Kibana {
        url,
        api_key: secret(
            "kibana",
            "api_key_env",
            "api_key_file",
            k.api_key_env.clone(),
            k.api_key_file.clone(),
        ),
        space: key("kibana", "space", Some(k.space.clone())).unwrap_or_default(),
    });
    let es = &settings.elasticsearch;
    let elasticsearch = key("elasticsearch", "url", es.url.clone()).map(|url| WithAuth {
        url,
        api_key: secret(
            "elasticsearch",
            "api_key_env",
            "api_key_file",
            es.api_key_env.clone(),
            es.api_key_file.clone(),
        ),
    });
    let ruler = |name: &str, target: &RulerTarget, overridable_path: bool| {
        key(name, "url", target.url.clone()).map(|url| Ruler {
            url,
            tenant: key(name, "tenant", target.tenant.clone()),
            token: secret(
                name,
                "token_env",
                "token_file",
                target.token_env.clone(),
                None,
            ),
            rules_path: if overridable_path {
                key(name, "rules_path", Some(target.rules_path.clone())).unwrap_or_default()
            } else {
                target.rules_path.clone()
            },
        })
    };
    let loki = ruler("loki", &settings.loki, false);
    let mimir = ruler("mimir", &settings.mimir, true);
    // lookout.yaml's URLs were checked when it was lowered; these came
    // from the environment.
    let overridden = overridden.into_inner();
    for (name, url) in [
        ("prometheus", prometheus.as_ref().map(|p| &p.url)),
        ("alertmanager", alertmanager.as_ref()),
        ("grafana", grafana.as_ref().map(|g| &g.url)),
        ("kibana", kibana.as_ref().map(|k| &k.url)),
        ("elasticsearch", elasticsearch.as_ref().map(|e| &e.url)),
        ("loki", loki.as_ref().map(|l| &l.url)),
        ("mimir", mimir.as_ref().map(|m| &m.url)),
    ] {
        let from_env = overridden.contains(&format!("{name}.url"));
        if let (true, Some(url)) = (from_env, url) {
            if !crate::model::settings::is_http_url(url) {
                errors.borrow_mut().push(format!(
                    "LOOKOUT_{}_URL must be an http(s) URL, got `{url}`",
                    name.to_uppercase()
                ));
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::settings::{GrafanaTarget, Settings};

    fn resolve_with(
        targets: &TargetSettings,
        env: &[(&str, &str)],
        only: &[&str],
    ) -> Result<Resolved, Vec<String>> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
        let settings = Settings {
            targets: targets.clone(),
            ..Settings::default()
        };
        resolve(&settings, &|name| env.get(name).cloned(), &only)
    }

    #[test]
    fn the_environment_overrides_lookout_yaml_and_its_urls_are_checked() {
        let mut targets = Settings::default().targets;
        targets.grafana = GrafanaTarget {
            url: Some("https://grafana.example.com".into()),
            folder: "SLOs".into(),
            ..GrafanaTarget::default()
        };
        let resolved = resolve_with(&targets, &[("LOOKOUT_GRAFANA_FOLDER", "Team")], &[]).unwrap();
        assert_eq!(resolved.configured(), ["grafana"]);
        let grafana = resolved.grafana.unwrap();
        assert_eq!(grafana.url, "https://grafana.example.com");
        assert_eq!(grafana.folder, "Team");

        // lookout.yaml's URLs were checked when it was lowered; one from
        // the environment is checked here.
        let errors =
            resolve_with(&targets, &[("LOOKOUT_GRAFANA_URL", "grafana:3000")], &[]).unwrap_err();
        assert_eq!(
            errors,
            ["LOOKOUT_GRAFANA_URL must be an http(s) URL, got `grafana:3000`"]
        );
    }

    #[test]
    fn credentials_are_read_only_for_the_targets_a_run_touches() {
        let mut targets = Settings::default().targets;
        targets.grafana = GrafanaTarget {
            url: Some("https://grafana.example.com".into()),
            token_env: Some("GRAFANA_TOKEN".into()),
            folder: "SLOs".into(),
            ..GrafanaTarget::default()
        };
        targets.prometheus.url = Some("http://prometheus:9090".into());
        // The token's variable is unset: only a run that touches Grafana fails.
        assert!(resolve_with(&targets, &[], &["prometheus"]).is_ok());
        let errors = resolve_with(&targets, &[], &["grafana"]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with(
            "grafana.token_env names the environment variable `GRAFANA_TOKEN`, which is not set"
        ));
        let resolved =
            resolve_with(&targets, &[("GRAFANA_TOKEN", "glsa_x")], &["grafana"]).unwrap();
        assert!(resolved.grafana.unwrap().token.is_some());
    }
}
