//! Alerting: lookout's own `alerting:` read back from its annotation, the
//! severities it names, and the SLO's alert policies resolved and reported
//! (lookout's tiers replace them).

use super::*;

impl<'a> Openslo<'a, '_> {
    /// lookout's alerting settings from `lookout.dev/alerting`, and
    /// warnings for the SLO's other annotations.
    pub(super) fn annotations(&mut self, metadata: &os::Metadata) -> Annotations {
        let mut out = Annotations::default();
        let Some(annotations) = &metadata.annotations else {
            return out;
        };
        for (key, value) in &annotations.value {
            match key.as_str() {
                // lookout's own `alerting:`, read as the spec reads it: an
                // unknown or mistyped key is an error here, not in `build`.
                ANNOTATION_ALERTING => match serde_json::from_str::<AlertingSpec>(value) {
                    Ok(alerting) => out.alerting = Some(Ok(alerting)),
                    Err(err) => {
                        let at = self.base.span(annotations);
                        self.base.diags.push(
                            Diagnostic::error(
                                "import::annotation",
                                format!("annotation `{key}` is not lookout's `alerting:` as JSON: {err}"),
                            )
                            .at_opt(at),
                        );
                        out.alerting = Some(Err(()));
                    }
                },
                ANNOTATION_LATENCY => {}
                ANNOTATION_SLO => out.name = Some(value.clone()),
                ANNOTATION_CALENDAR => match serde_json::from_str::<CalendarConfig>(value) {
                    Ok(calendar) => out.calendar = Some(calendar),
                    Err(err) => {
                        let at = self.base.span(annotations);
                        self.base.diags.push(
                            Diagnostic::error(
                                "import::annotation",
                                format!("annotation `{key}` is not lookout's `calendar:` as JSON: {err}"),
                            )
                            .at_opt(at),
                        );
                    }
                },
                _ => annotation_ignored(&mut self.base, annotations, key, &metadata.name.value),
            }
        }
        out
    }

    /// The severities this SLO's tiers name, for lookout.yaml.
    pub(super) fn alerting_defaults(&mut self, annotations: &Annotations) {
        for tier in ["page", "ticket"] {
            let alerting = match &annotations.alerting {
                Some(Ok(alerting)) => Some(alerting),
                _ => None,
            };
            let spec = alerting.and_then(|a| match tier {
                "page" => a.page.as_ref(),
                _ => a.ticket.as_ref(),
            });
            let severity = spec.and_then(|t| t.severity.as_ref().map(|s| s.value.clone()));
            self.base.severities.insert(
                severity.unwrap_or_else(|| crate::import::default_severity(tier).to_string()),
            );
        }
    }

    /// Alert policies and their conditions are resolved, so a dangling
    /// reference is an error as in OpenSLO's own tools, and each is
    /// reported: lookout's tiers replace them.
    pub(super) fn alert_policies(
        &mut self,
        policies: Option<&Spanned<Vec<Spanned<os::Embedded>>>>,
        slo: &str,
    ) {
        let Some(policies) = policies else { return };
        for policy in &policies.value {
            let spec_and_name = match &policy.value.alert_policy_ref {
                Some(reference) => match self.index.get(&("AlertPolicy", reference.value.as_str()))
                {
                    Some(found) => Some((found.object.spec.as_ref(), reference.value.clone())),
                    None => {
                        self.error(
                            reference,
                            "import::missing-ref",
                            format!("AlertPolicy `{}` referenced at `spec.alertPolicies[].alertPolicyRef` does not exist", reference.value),
                            "import the file that declares it too",
                        );
                        None
                    }
                },
                None => Some((
                    policy.value.spec.as_ref(),
                    policy
                        .value
                        .metadata
                        .as_ref()
                        .map_or_else(String::new, |m| m.name.value.clone()),
                )),
            };
            let Some((spec, name)) = spec_and_name else {
                continue;
            };
            let mut conditions = Vec::new();
            for condition in spec
                .and_then(|s| s.value.conditions.as_ref())
                .into_iter()
                .flatten()
            {
                if let Some(reference) = &condition.value.condition_ref {
                    if !self
                        .index
                        .contains_key(&("AlertCondition", reference.value.as_str()))
                    {
                        self.error(
                            reference,
                            "import::missing-ref",
                            format!("AlertCondition `{}` referenced at `spec.conditions[].conditionRef` does not exist", reference.value),
                            "import the file that declares it too",
                        );
                        continue;
                    }
                    conditions.push(reference.value.clone());
                } else if let Some(m) = &condition.value.metadata {
                    conditions.push(m.name.value.clone());
                }
            }
            for target in spec
                .and_then(|s| s.value.notification_targets.as_ref())
                .into_iter()
                .flatten()
            {
                if let Some(reference) = &target.value.target_ref {
                    if !self
                        .index
                        .contains_key(&("AlertNotificationTarget", reference.value.as_str()))
                    {
                        self.error(
                            reference,
                            "import::missing-ref",
                            format!("AlertNotificationTarget `{}` referenced at `notificationTargets[].targetRef` does not exist", reference.value),
                            "import the file that declares it too",
                        );
                    }
                }
            }
            let at = self.base.span(policy);
            self.base.notes.push(format!(
                "{slo}: the alert policy `{name}` is replaced by lookout's page and ticket tiers"
            ));
            self.base.diags.push(
                Diagnostic::warning(
                    "import::alert-policy",
                    format!(
                        "alert policy `{name}` of SLO `{slo}` is not imported{}",
                        if conditions.is_empty() {
                            String::new()
                        } else {
                            format!(" (conditions: {})", conditions.join(", "))
                        }
                    ),
                )
                .at_opt(at)
                .label("lookout alerts on multiwindow burn rates instead")
                .help("set each tier's severity, labels and `for` under the SLO's `alerting:`; route notifications in Alertmanager"),
            );
        }
    }
}

#[derive(Default)]
pub(super) struct Annotations {
    /// `Err`: present, but not lookout's `alerting:` (reported).
    pub(super) alerting: Option<Result<AlertingSpec, ()>>,
    /// The lookout SLO name, where the OpenSLO one is qualified.
    pub(super) name: Option<String>,
    /// lookout's own `calendar:` of a calendar SLO.
    pub(super) calendar: Option<CalendarConfig>,
}
