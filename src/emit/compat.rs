//! The oldest version of each system that lookout's output works with,
//! and how that is known. The book's compatibility page is generated from
//! this table (`cli::reference`), and the slow tier checks every "tested
//! with" claim against the version of the tool or package the tests
//! actually run (`tests/promtool.rs`), so the page cannot claim a version
//! nothing here ran. Where an emitter's choice sets the oldest version (a
//! Grafana schema version, a Kibana migration version, a default image),
//! the row takes it from that emitter's constant.

use crate::emit::{grafana, kibana};
use crate::model::settings::{DEFAULT_ALLOY_IMAGE, DEFAULT_VECTOR_IMAGE};

pub struct System {
    pub name: &'static str,
    pub oldest: String,
    /// What in the output needs that version.
    pub needs: String,
    pub known: Known,
}

pub enum Known {
    /// Tests here run the system's own code (or its published schema or
    /// types) on the output, at these versions. `how` names the tests and
    /// what was not run.
    Tested {
        with: Vec<Evidence>,
        how: &'static str,
    },
    /// Where the feature lookout relies on first appeared, from the
    /// system's docs or source (shown as "from …"); no test here ran that
    /// version.
    FromDocs(&'static str),
}

/// One version the tests run, and where the tests find it.
pub struct Evidence {
    pub what: &'static str,
    pub version: &'static str,
    pub source: Source,
}

pub enum Source {
    /// `<program> --version` prints `version <version>`.
    Program(&'static str),
    /// The Debian package's version (for a program with no version flag).
    DebianPackage(&'static str),
    /// An npm package pinned in a test folder's `package-lock.json`:
    /// (folder, package).
    Npm(&'static str, &'static str),
    /// A vendored file that names the version it was copied from.
    Vendored(&'static str),
}

fn tested(with: Vec<Evidence>, how: &'static str) -> Known {
    Known::Tested { with, how }
}

fn evidence(what: &'static str, version: &'static str, source: Source) -> Evidence {
    Evidence {
        what,
        version,
        source,
    }
}

/// The image's tag, `v1.5.1` of `grafana/alloy:v1.5.1`.
fn tag(image: &str) -> &str {
    image.rsplit_once(':').map_or(image, |(_, tag)| tag)
}

pub fn systems() -> Vec<System> {
    use Source::*;
    let k8s_models = |package| Npm("tests/k8s-models", package);
    vec![
        System {
            name: "Prometheus",
            oldest: "2.33".into(),
            needs: "calendar SLOs need the `@` modifier and negative offsets, stable since 2.33; rolling SLOs need neither".into(),
            known: tested(
                vec![
                    evidence("Prometheus", "2.42.0", Program("prometheus")),
                    evidence("promtool", "2.42.0", Program("promtool")),
                ],
                "the rules load, evaluate, alert and reload in `tests/prometheus.rs`, and their unit tests run in `tests/promtool.rs`; 2.33 is from the docs, and nothing older than 2.42 was run",
            ),
        },
        System {
            name: "Prometheus, for log SLOs",
            oldest: "2.33".into(),
            needs: "`--web.enable-remote-write-receiver`: the Loki ruler remote-writes the log SLIs into it".into(),
            known: Known::FromDocs("Prometheus's docs (the flag replaced a feature flag in 2.33)"),
        },
        System {
            name: "Alertmanager",
            oldest: "0.25".into(),
            needs: "inhibit rules with `source_matchers`, `target_matchers` and `equal`".into(),
            known: tested(
                vec![evidence("Alertmanager", "0.25.0", Program("prometheus-alertmanager"))],
                "`amtool check-config` and a live Alertmanager muting alerts in `tests/prometheus.rs`",
            ),
        },
        System {
            name: "vmalert",
            oldest: "1.79".into(),
            needs: "the rule files as generated".into(),
            known: tested(
                vec![evidence("vmalert", "1.79.5", DebianPackage("victoria-metrics"))],
                "`-dryRun` in `tests/promtool.rs`, `-replay` in `tests/prometheus.rs`",
            ),
        },
        System {
            name: "Grafana",
            oldest: "10.4".into(),
            needs: format!(
                "dashboards carry `schemaVersion` {}, the newest 10.4 knows; later versions migrate them forward",
                grafana::SCHEMA_VERSION
            ),
            known: tested(
                vec![
                    evidence("`@grafana/data`", "13.2.3", Npm("tests/grafana-data", "@grafana/data")),
                    evidence("the foundation SDK's dashboard schema, from Grafana", "v12.3.3", Vendored("tests/schemas/grafana/README.md")),
                ],
                "Grafana's own code loads every dashboard (`tests/grafana_data.rs`) and the schema validates it (`tests/grafana.rs`); no Grafana server was run, and 10.4 is from Grafana's schema migrations",
            ),
        },
        System {
            name: "Loki",
            oldest: "2.8".into(),
            needs: "ruler rules with remote write; 3.0 for structured metadata (`loki.structured_metadata: false` for older)".into(),
            known: tested(
                vec![evidence("Grafana's LogQL grammar", "0.3.0", Npm("tests/logql", "@grafana/lezer-logql"))],
                "every generated query parses (`tests/logql.rs`); no Loki was run",
            ),
        },
        System {
            name: "Grafana Alloy",
            oldest: "1.4".into(),
            needs: format!("`sys.env` in the shipper config; the default image is `{}`", tag(DEFAULT_ALLOY_IMAGE)),
            known: Known::FromDocs("Alloy's release notes"),
        },
        System {
            name: "Vector",
            oldest: "0.43".into(),
            needs: format!("the Elasticsearch sink's options used; the default image is `{}`", tag(DEFAULT_VECTOR_IMAGE)),
            known: Known::FromDocs("Vector's docs; the VRL programs are compiled by the `vrl` crate (`scripts/check-vrl.sh`)"),
        },
        System {
            name: "Elasticsearch",
            oldest: "8.11".into(),
            needs: "composable index templates, ILM policies, ingest pipelines".into(),
            known: tested(
                vec![evidence("`@elastic/elasticsearch`", "9.5.1", Npm("tests/es-types", "@elastic/elasticsearch"))],
                "every request body type-checks against the client's types under `tsc` (`tests/es_types.rs`); no Elasticsearch was run, and 8.11 is from the docs",
            ),
        },
        System {
            name: "Kibana",
            oldest: kibana::MIN_KIBANA.trim_end_matches(".0").into(),
            needs: format!(
                "saved objects at `coreMigrationVersion` {}; newer versions migrate them on import",
                kibana::CORE_MIGRATION_VERSION
            ),
            known: Known::FromDocs("Kibana's saved-object migrations"),
        },
        System {
            name: "Prometheus Operator",
            oldest: "`monitoring.coreos.com/v1`".into(),
            needs: "`PrometheusRule`, and `AlertmanagerConfig` (`v1alpha1`)".into(),
            known: tested(
                vec![evidence("`@kubernetes-models/prometheus-operator`", "6.0.0", k8s_models("@kubernetes-models/prometheus-operator"))],
                "its validators accept every object (`tests/kubernetes.rs`)",
            ),
        },
        System {
            name: "Argo Rollouts",
            oldest: "`argoproj.io/v1alpha1`".into(),
            needs: "`AnalysisTemplate`, `ClusterAnalysisTemplate`".into(),
            known: tested(
                vec![evidence("`@kubernetes-models/argo-rollouts`", "2.0.0", k8s_models("@kubernetes-models/argo-rollouts"))],
                "its validators accept every template, and the templates' queries judge a canary on a live Prometheus (`tests/prometheus.rs`)",
            ),
        },
        System {
            name: "Flagger",
            oldest: "1.44".into(),
            needs: "`MetricTemplate` (`flagger.app/v1beta1`)".into(),
            known: tested(
                vec![evidence("Flagger's CRD schemas", "v1.44.0", Vendored("tests/schemas/flagger/README.md"))],
                "every template, and a `Canary` that uses it, validates (`tests/kubernetes.rs`)",
            ),
        },
        System {
            name: "Kubernetes",
            oldest: "core `v1` objects".into(),
            needs: "the ConfigMaps, DaemonSets and RBAC under `kubernetes/`".into(),
            known: tested(
                vec![evidence("kubernetes-models", "5.1.0", k8s_models("kubernetes-models"))],
                "its validators accept every object (`tests/kubernetes.rs`)",
            ),
        },
        System {
            name: "Rust, to build lookout",
            oldest: env!("CARGO_PKG_RUST_VERSION").into(),
            needs: "the language and library features lookout's code uses".into(),
            known: Known::FromDocs("`rust-version` in `Cargo.toml`, which cargo enforces; CI builds with the toolchain it installs"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags_are_read_from_the_defaults() {
        assert_eq!(tag("grafana/alloy:v1.5.1"), "v1.5.1");
        assert_eq!(tag("no-tag"), "no-tag");
    }
}
