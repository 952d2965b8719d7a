//! OpenSLO documents, as `lookout import openslo` reads them: `openslo/v1`
//! and `openslo/v1alpha` objects of every kind, one per YAML document, or
//! several as a top-level list. The types follow the OpenSLO go-sdk
//! (`pkg/openslo/v1/*.go`, `pkg/openslo/v1alpha/*.go`).
//!
//! One struct holds the union of every kind's `spec` keys, and of both
//! versions' shapes where they differ (v1alpha puts `ratioMetrics` on the
//! objective, v1 a `ratioMetric` on the indicator), because serde cannot
//! choose a type by `kind` without buffering, which loses the spans. A key
//! no kind knows is a warning from the parser; a key another kind knows is
//! a warning from [`misplaced_keys`]. Neither is ever dropped silently.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

pub const V1: &str = "openslo/v1";
pub const V1ALPHA: &str = "openslo/v1alpha";

/// One OpenSLO object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    #[serde(rename = "apiVersion")]
    pub api_version: Spanned<String>,
    pub kind: Spanned<String>,
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: Option<Spanned<Spec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub name: Spanned<String>,
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
    pub labels: Option<Spanned<BTreeMap<String, Spanned<Label>>>>,
    pub annotations: Option<Spanned<BTreeMap<String, String>>>,
}

/// A label's value: one string, or a list of them (go-sdk `Label`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Label {
    One(String),
    Many(Vec<String>),
}

/// The union of every kind's `spec`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub description: Option<String>,
    // SLO
    pub service: Option<Spanned<String>>,
    pub indicator: Option<Spanned<Indicator>>,
    #[serde(rename = "indicatorRef")]
    pub indicator_ref: Option<Spanned<String>>,
    #[serde(rename = "budgetingMethod")]
    pub budgeting_method: Option<Spanned<String>>,
    #[serde(rename = "timeWindow")]
    pub time_window: Option<Spanned<Vec<Spanned<TimeWindow>>>>,
    #[serde(rename = "timeWindows")]
    pub time_windows: Option<Spanned<Vec<Spanned<TimeWindow>>>>,
    pub objectives: Option<Spanned<Vec<Spanned<Objective>>>>,
    #[serde(rename = "alertPolicies")]
    pub alert_policies: Option<Spanned<Vec<Spanned<Embedded>>>>,
    // SLI
    #[serde(rename = "thresholdMetric")]
    pub threshold_metric: Option<Spanned<MetricSpec>>,
    #[serde(rename = "ratioMetric")]
    pub ratio_metric: Option<Spanned<RatioMetric>>,
    // DataSource and AlertNotificationTarget
    #[serde(rename = "type")]
    pub type_: Option<Spanned<String>>,
    #[serde(rename = "connectionDetails")]
    pub connection_details: Option<serde::de::IgnoredAny>,
    pub target: Option<Spanned<String>>,
    // AlertPolicy
    #[serde(rename = "alertWhenNoData")]
    pub alert_when_no_data: Option<bool>,
    #[serde(rename = "alertWhenBreaching")]
    pub alert_when_breaching: Option<bool>,
    #[serde(rename = "alertWhenResolved")]
    pub alert_when_resolved: Option<bool>,
    pub conditions: Option<Vec<Spanned<Embedded>>>,
    #[serde(rename = "notificationTargets")]
    pub notification_targets: Option<Vec<Spanned<Embedded>>>,
    // AlertCondition
    pub severity: Option<Spanned<String>>,
    pub condition: Option<Spanned<Condition>>,
}

/// An object inline, or a reference to one by name (`alertPolicyRef`,
/// `conditionRef`, `targetRef`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Embedded {
    pub kind: Option<Spanned<String>>,
    pub metadata: Option<Metadata>,
    pub spec: Option<Spanned<Spec>>,
    #[serde(rename = "alertPolicyRef")]
    pub alert_policy_ref: Option<Spanned<String>>,
    #[serde(rename = "conditionRef")]
    pub condition_ref: Option<Spanned<String>>,
    #[serde(rename = "targetRef")]
    pub target_ref: Option<Spanned<String>>,
}

/// An SLO's indicator: v1's inline SLI (`metadata` and `spec`), or
/// v1alpha's `thresholdMetric`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub metadata: Option<Metadata>,
    pub spec: Option<Box<Spanned<Spec>>>,
    #[serde(rename = "thresholdMetric")]
    pub threshold_metric: Option<Spanned<MetricSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatioMetric {
    pub counter: Option<bool>,
    /// v1alpha's name for `counter`.
    pub incremental: Option<bool>,
    pub good: Option<Spanned<MetricSpec>>,
    pub bad: Option<Spanned<MetricSpec>>,
    pub total: Option<Spanned<MetricSpec>>,
    #[serde(rename = "rawType")]
    pub raw_type: Option<Spanned<String>>,
    pub raw: Option<Spanned<MetricSpec>>,
}

/// A query: v1's `metricSource`, or v1alpha's `source`, `queryType` and
/// `query`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    #[serde(rename = "metricSource")]
    pub metric_source: Option<MetricSource>,
    pub source: Option<Spanned<String>>,
    #[serde(rename = "queryType")]
    pub query_type: Option<String>,
    pub query: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSource {
    #[serde(rename = "metricSourceRef")]
    pub metric_source_ref: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub type_: Option<Spanned<String>>,
    /// Free-form per source type; for Prometheus, `query`.
    pub spec: Option<Spanned<BTreeMap<String, Spanned<serde_json::Value>>>>,
}

/// v1's `duration: 28d`, or v1alpha's `count: 28` and `unit: Day`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    pub duration: Option<Spanned<String>>,
    pub count: Option<u32>,
    pub unit: Option<String>,
    #[serde(rename = "isRolling")]
    pub is_rolling: Option<bool>,
    pub calendar: Option<Spanned<CalendarSpec>>,
}

/// A calendar-aligned window's anchor: `startTime: 2022-01-01 12:00:00`
/// and `timeZone: America/New_York`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    #[serde(rename = "startTime")]
    pub start_time: Option<Spanned<String>>,
    #[serde(rename = "timeZone")]
    pub time_zone: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
    pub op: Option<Spanned<String>>,
    pub value: Option<Spanned<f64>>,
    pub target: Option<Spanned<f64>>,
    #[serde(rename = "targetPercent")]
    pub target_percent: Option<Spanned<f64>>,
    #[serde(rename = "timeSliceTarget")]
    pub time_slice_target: Option<Spanned<f64>>,
    #[serde(rename = "timeSliceWindow")]
    pub time_slice_window: Option<Spanned<String>>,
    pub indicator: Option<Spanned<Indicator>>,
    #[serde(rename = "indicatorRef")]
    pub indicator_ref: Option<Spanned<String>>,
    #[serde(rename = "compositeWeight")]
    pub composite_weight: Option<Spanned<f64>>,
    /// v1alpha: the objective's own ratio SLI.
    #[serde(rename = "ratioMetrics")]
    pub ratio_metrics: Option<Spanned<RatioMetric>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub kind: Option<String>,
    pub op: Option<String>,
    pub threshold: Option<f64>,
    #[serde(rename = "lookbackWindow")]
    pub lookback_window: Option<String>,
    #[serde(rename = "alertAfter")]
    pub alert_after: Option<String>,
}

/// The objects of one file, each with the file it came from.
pub struct OpensloFile {
    pub file: FileId,
    pub objects: Vec<Object>,
}

/// The kinds lookout reads, and the `spec` keys each may hold.
pub const KINDS: &[(&str, &[&str])] = &[
    (
        "SLO",
        &[
            "description",
            "service",
            "indicator",
            "indicatorRef",
            "budgetingMethod",
            "timeWindow",
            "timeWindows",
            "objectives",
            "alertPolicies",
        ],
    ),
    ("SLI", &["description", "thresholdMetric", "ratioMetric"]),
    ("Service", &["description"]),
    ("DataSource", &["description", "type", "connectionDetails"]),
    (
        "AlertPolicy",
        &[
            "description",
            "alertWhenNoData",
            "alertWhenBreaching",
            "alertWhenResolved",
            "conditions",
            "notificationTargets",
        ],
    ),
    ("AlertCondition", &["description", "severity", "condition"]),
    ("AlertNotificationTarget", &["description", "target"]),
];

/// Which `spec` keys are set, by their YAML names.
fn set_keys(spec: &Spec) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut add = |set: bool, key: &'static str| {
        if set {
            keys.push(key);
        }
    };
    add(spec.description.is_some(), "description");
    add(spec.service.is_some(), "service");
    add(spec.indicator.is_some(), "indicator");
    add(spec.indicator_ref.is_some(), "indicatorRef");
    add(spec.budgeting_method.is_some(), "budgetingMethod");
    add(spec.time_window.is_some(), "timeWindow");
    add(spec.time_windows.is_some(), "timeWindows");
    add(spec.objectives.is_some(), "objectives");
    add(spec.alert_policies.is_some(), "alertPolicies");
    add(spec.threshold_metric.is_some(), "thresholdMetric");
    add(spec.ratio_metric.is_some(), "ratioMetric");
    add(spec.type_.is_some(), "type");
    add(spec.connection_details.is_some(), "connectionDetails");
    add(spec.target.is_some(), "target");
    add(spec.alert_when_no_data.is_some(), "alertWhenNoData");
    add(spec.alert_when_breaching.is_some(), "alertWhenBreaching");
    add(spec.alert_when_resolved.is_some(), "alertWhenResolved");
    add(spec.conditions.is_some(), "conditions");
    add(spec.notification_targets.is_some(), "notificationTargets");
    add(spec.severity.is_some(), "severity");
    add(spec.condition.is_some(), "condition");
    keys
}

/// The keys of `spec` that belong to another kind than `kind`: the union
/// type accepted them, so they are reported here.
pub fn misplaced_keys(kind: &str, spec: &Spec) -> Vec<&'static str> {
    let allowed = KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[][..], |(_, keys)| keys);
    set_keys(spec)
        .into_iter()
        .filter(|key| !allowed.contains(key))
        .collect()
}

/// Reads every OpenSLO object in `text`: documents that hold one object,
/// or a list of them.
pub fn parse(path: &Path, text: String, diags: &mut Diagnostics) -> OpensloFile {
    let file = diags.sources.add(path, text);
    let mut objects = Vec::new();
    let documents = super::nonempty_documents(diags.sources.text(file));
    if documents.is_empty() {
        diags.push(Diagnostic::error("import::empty", "no YAML document to import").in_path(path));
    }
    for range in documents {
        let text = &diags.sources.text(file)[range.0..range.1];
        let is_list = text
            .lines()
            .map(str::trim_start)
            .find(|line| {
                !line.is_empty()
                    && !line.starts_with('#')
                    && *line != "---"
                    && !line.starts_with("--- ")
            })
            .is_some_and(|line| line.starts_with("- ") || line == "-" || line.starts_with('['));
        let at = Some(Span {
            file,
            offset: range.0,
            len: 1,
        });
        let parsed: Vec<Object> = if is_list {
            super::parse_foreign_document::<Vec<Object>>(
                diags,
                file,
                range,
                field_names,
                "import::unknown-key",
            )
            .unwrap_or_default()
        } else {
            match super::parse_foreign_document::<super::DocumentHeader>(
                diags,
                file,
                range,
                |_| &[],
                "import::unknown-key",
            ) {
                Some(header)
                    if header
                        .api_version()
                        .is_some_and(|v| v.starts_with("openslo/")) =>
                {
                    super::parse_foreign_document::<Object>(
                        diags,
                        file,
                        range,
                        field_names,
                        "import::unknown-key",
                    )
                    .into_iter()
                    .collect()
                }
                Some(header) => {
                    let found = match (header.version(), header.api_version()) {
                        (Some(v), _) => format!("`version: {v}`"),
                        (None, Some(a)) => format!("`apiVersion: {a}`"),
                        (None, None) => "no `apiVersion`".into(),
                    };
                    let hint = if header.version() == Some(super::sloth::PROMETHEUS_V1) {
                        "this is a Sloth spec: use `lookout import sloth`"
                    } else {
                        "OpenSLO objects start with `apiVersion: openslo/v1` (or `openslo/v1alpha`) and a `kind`"
                    };
                    diags.push(
                        Diagnostic::error(
                            "import::not-openslo",
                            format!("not an OpenSLO document: found {found}"),
                        )
                        .at_opt(at)
                        .help(hint),
                    );
                    Vec::new()
                }
                None => Vec::new(),
            }
        };
        objects.extend(parsed);
    }
    OpensloFile { file, objects }
}

/// Every key OpenSLO's objects know, for "did you mean" on an unknown one.
fn field_names(_: &str) -> &'static [&'static str] {
    &[
        "apiVersion",
        "kind",
        "metadata",
        "spec",
        "name",
        "displayName",
        "labels",
        "annotations",
        "description",
        "service",
        "indicator",
        "indicatorRef",
        "budgetingMethod",
        "timeWindow",
        "timeWindows",
        "objectives",
        "alertPolicies",
        "thresholdMetric",
        "ratioMetric",
        "ratioMetrics",
        "type",
        "connectionDetails",
        "target",
        "targetPercent",
        "alertWhenNoData",
        "alertWhenBreaching",
        "alertWhenResolved",
        "conditions",
        "notificationTargets",
        "severity",
        "condition",
        "alertPolicyRef",
        "conditionRef",
        "targetRef",
        "counter",
        "incremental",
        "good",
        "bad",
        "total",
        "rawType",
        "raw",
        "metricSource",
        "metricSourceRef",
        "source",
        "queryType",
        "query",
        "duration",
        "count",
        "unit",
        "isRolling",
        "calendar",
        "op",
        "value",
        "timeSliceTarget",
        "timeSliceWindow",
        "compositeWeight",
        "threshold",
        "lookbackWindow",
        "alertAfter",
    ]
}
