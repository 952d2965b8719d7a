//! References between OpenSLO objects: kinds and versions checked, objects
//! no SLO uses reported, `Service` objects, labels, and an SLO's indicator
//! found inline, by reference or per objective.

use super::*;

/// Checks the version and kind, and warns of keys another kind owns.
pub(super) fn known(located: Located, diags: &mut Diagnostics) -> bool {
    let object = located.object;
    let version = object.api_version.value.as_str();
    if version != os::V1 && version != os::V1ALPHA {
        let at = span(diags, located.file, &object.api_version);
        diags.push(
            Diagnostic::error(
                "import::openslo-version",
                format!("unsupported OpenSLO version `{version}`"),
            )
            .at_opt(at)
            .help(format!(
                "lookout reads `{}` and `{}`; v2alpha is a draft that may still change",
                os::V1,
                os::V1ALPHA
            )),
        );
        return false;
    }
    let kind = object.kind.value.as_str();
    if !os::KINDS.iter().any(|(k, _)| *k == kind) {
        let at = span(diags, located.file, &object.kind);
        let kinds: Vec<&str> = os::KINDS.iter().map(|(k, _)| *k).collect();
        diags.push(
            Diagnostic::error(
                "import::openslo-kind",
                format!("unknown OpenSLO kind `{kind}`"),
            )
            .at_opt(at)
            .help(crate::spec::suggest(kind, &kinds, "kind")),
        );
        return false;
    }
    if let Some(spec) = &object.spec {
        for key in os::misplaced_keys(kind, &spec.value) {
            let at = span(diags, located.file, spec);
            diags.push(
                Diagnostic::warning(
                    "import::unknown-key",
                    format!("`spec.{key}` is not a field of an OpenSLO {kind}: not imported"),
                )
                .at_opt(at),
            );
        }
    }
    true
}

pub(super) fn unused(located: Located, why: &str, diags: &mut Diagnostics) {
    let object = located.object;
    let at = span(diags, located.file, &object.metadata.name);
    diags.push(
        Diagnostic::warning(
            "import::unused",
            format!(
                "{} `{}` is not imported: {why}",
                object.kind.value, object.metadata.name.value
            ),
        )
        .at_opt(at),
    );
}

pub(super) fn service_object(located: Located, acc: &mut ServiceAcc, diags: &mut Diagnostics) {
    let object = located.object;
    let mut cx = Converter {
        diags: &mut *diags,
        file: located.file,
        notes: Vec::new(),
        severities: Default::default(),
    };
    let shown = cx.diags.sources.path(located.file).display().to_string();
    if !acc.sources.contains(&shown) {
        acc.sources.push(shown);
    }
    acc.labels = labels(&mut cx, &object.metadata);
    acc.description = object
        .spec
        .as_ref()
        .and_then(|s| s.value.description.clone())
        .filter(|d| !d.trim().is_empty());
    if let Some(annotations) = &object.metadata.annotations {
        for (key, value) in &annotations.value {
            match key.as_str() {
                ANNOTATION_TEAM => acc.team = Some(value.clone()),
                ANNOTATION_RUNBOOK => acc.runbook = Some(value.clone()),
                _ => annotation_ignored(&mut cx, annotations, key, &object.metadata.name.value),
            }
        }
    }
    acc.notes.extend(cx.notes);
}

pub(super) fn annotation_ignored(
    cx: &mut Converter,
    annotations: &Spanned<BTreeMap<String, String>>,
    key: &str,
    owner: &str,
) {
    let at = cx.span(annotations);
    cx.notes
        .push(format!("{owner}: the annotation `{key}` is not carried"));
    cx.diags.push(
        Diagnostic::warning(
            "import::annotation",
            format!("annotation `{key}` of `{owner}` is not imported"),
        )
        .at_opt(at)
        .label("lookout has no field for it"),
    );
}

/// OpenSLO labels hold lists; a lookout label holds one value.
pub(super) fn labels(cx: &mut Converter, metadata: &os::Metadata) -> BTreeMap<String, String> {
    let Some(labels) = &metadata.labels else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (key, value) in &labels.value {
        // OpenSLO allows `team.example.com/owner`; Prometheus does not.
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !key.starts_with("__");
        if !valid {
            let at = cx.span(value);
            cx.notes.push(format!(
                "{}: the label `{key}` is not carried (not a Prometheus label name)",
                metadata.name.value
            ));
            cx.diags.push(
                Diagnostic::warning(
                    "import::label-name",
                    format!("label `{key}` is not a Prometheus label name: not imported"),
                )
                .at_opt(at)
                .help("Prometheus label names are letters, digits and `_`; rename it in the source and import again"),
            );
            continue;
        }
        let value = match &value.value {
            os::Label::One(one) => one.clone(),
            os::Label::Many(many) if many.len() == 1 => many[0].clone(),
            os::Label::Many(many) => {
                let at = cx.span(value);
                let joined = many.join(",");
                cx.notes.push(format!(
                    "{}: the label `{key}` had {} values, joined as `{joined}`",
                    metadata.name.value,
                    many.len()
                ));
                cx.diags.push(
                    Diagnostic::warning(
                        "import::label-values",
                        format!(
                            "label `{key}` has {} values; a Prometheus label has one",
                            many.len()
                        ),
                    )
                    .at_opt(at)
                    .label(format!("imported as `{key}: {joined}`")),
                );
                joined
            }
        };
        out.insert(key.clone(), value);
    }
    out
}

impl<'a> Openslo<'a, '_> {
    /// An indicator given inline or by reference, with the latency
    /// annotation its SLI object may carry.
    pub(super) fn indicator_of(
        &mut self,
        inline: Option<&Spanned<os::Indicator>>,
        reference: Option<&Spanned<String>>,
    ) -> Option<(Indicator, Option<String>)> {
        if let Some(reference) = reference {
            let Some(sli) = self.index.get(&("SLI", reference.value.as_str())).copied() else {
                self.error(
                    reference,
                    "import::missing-ref",
                    format!(
                        "SLI `{}` referenced at `spec.indicatorRef` does not exist",
                        reference.value
                    ),
                    "import the file that declares it too, or inline the SLI under `indicator:`",
                );
                return None;
            };
            self.used_slis.insert(reference.value.clone());
            self.sources.insert(sli.file);
            let latency = latency_annotation(&sli.object.metadata);
            let spec = sli.object.spec.as_ref()?;
            // The SLI's spans are in its own file.
            let file = std::mem::replace(&mut self.base.file, sli.file);
            let indicator = self.sli_spec(&spec.value, spec);
            self.base.file = file;
            return indicator.map(|i| (i, latency));
        }
        let inline = inline?;
        if let Some(threshold) = &inline.value.threshold_metric {
            return self
                .metric(threshold)
                .map(|query| (Indicator::Threshold(query), None));
        }
        let latency = inline.value.metadata.as_ref().and_then(latency_annotation);
        match &inline.value.spec {
            Some(spec) => self.sli_spec(&spec.value, spec).map(|i| (i, latency)),
            None => {
                self.error(
                    inline,
                    "import::openslo-field",
                    "this indicator has no `spec`".into(),
                    "an inline SLI has `metadata` and a `spec` with `ratioMetric` or `thresholdMetric`",
                );
                None
            }
        }
    }

    pub(super) fn sli_spec<T>(&mut self, spec: &os::Spec, at: &Spanned<T>) -> Option<Indicator> {
        match (&spec.ratio_metric, &spec.threshold_metric) {
            (Some(ratio), None) => self.ratio(ratio),
            (None, Some(threshold)) => self.metric(threshold).map(Indicator::Threshold),
            _ => {
                self.error(
                    at,
                    "import::openslo-field",
                    "an SLI needs exactly one of `ratioMetric` and `thresholdMetric`".into(),
                    "",
                );
                None
            }
        }
    }
}
