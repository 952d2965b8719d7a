//! What a scenario expects of the alerts: the alert tests with the text
//! each alert renders, or where that text cannot be foretold, `ALERTS`.

use super::scenarios::{example_group, expr_check, firing_count, Tests};
use super::series::{go_humanize, go_humanize_duration};
use crate::emit::prometheus::{alert_labels, rendered_annotations};
use crate::emit::yaml::Node;
use crate::model::{AlertTier, AlertWindow, Duration, MetricSli, Sli};

impl Tests<'_> {
    pub(super) fn alert_check(
        &self,
        at: Duration,
        firing: &[(&AlertTier, &AlertWindow, Option<String>, f64)],
    ) -> Node {
        let slo = self.slo;
        let alerts = firing
            .iter()
            .map(|(tier, pair, left, burn)| {
                let mut labels = alert_labels(slo, tier);
                labels.extend(example_group(slo));
                Node::map()
                    .entry("exp_labels", Node::labels(&labels))
                    .entry(
                        "exp_annotations",
                        Node::labels(&rendered_annotations(
                            slo,
                            tier,
                            self.links,
                            &go_humanize(*burn),
                            pair,
                            left.as_deref(),
                            &example_group(slo),
                        )),
                    )
                    .build()
            })
            .collect();
        Node::map()
            .str("eval_time", at.to_string())
            .str("alertname", slo.alerting.name.as_str())
            .entry("exp_alerts", Node::Seq(alerts))
            .build()
    }

    /// `firing` at `at`, every one at burn rate `burn`, which has held
    /// since the series began: an alert test with the text the alerts
    /// render, or, where a calendar budget is too near its end for that
    /// text to be foretold (the rules sum tiles, this multiplies), a check
    /// of `ALERTS` alone. Returns the alert tests and the expression tests.
    pub(super) fn rendered_check(
        &self,
        at: Duration,
        firing: &[(&AlertTier, &AlertWindow)],
        burn: f64,
    ) -> (Vec<Node>, Vec<Node>) {
        match self.budget_left(at, burn) {
            Some(left) => {
                let firing: Vec<_> = firing
                    .iter()
                    .map(|(t, p)| (*t, *p, left.clone(), burn))
                    .collect();
                (vec![self.alert_check(at, &firing)], Vec::new())
            }
            None => {
                let exprs = firing
                    .iter()
                    .map(|(tier, _)| expr_check(&firing_count(self.slo, tier.severity), at, true))
                    .collect();
                (Vec::new(), exprs)
            }
        }
    }

    /// How long the rest of the budget lasts at `at`, as the alert's
    /// `humanizeDuration` prints it (`Some(None)` when spent), when the
    /// error ratio has been `burn` × budget since the series began. A
    /// rolling budget is spent: every scenario's burn fills its window. A
    /// calendar budget is spent in the share `burn × elapsed ÷ length` of
    /// its period, computed as the rules and the alert's template do
    /// (whose `printf "%f"` rounds the burn); `None` when that share is
    /// within 5% of the whole, where the rules' sums of tiles may fall
    /// either side, or when the SLI is fed as real counters.
    fn budget_left(&self, at: Duration, burn: f64) -> Option<Option<String>> {
        let Some(calendar) = self.slo.calendar else {
            return Some(None);
        };
        // Fed as real histogram counters, whose first rates ramp, the
        // ratio to date is not the profile's to the second.
        if let Sli::Metric(MetricSli::Latency {
            selector_labels: Some(_),
            ..
        }) = &self.slo.sli
        {
            return None;
        }
        let (start, end) = calendar.period_at(at.0 as i64);
        let ratio = burn * self.slo.error_budget();
        let spent = ratio / self.slo.error_budget() * (at.0 as f64 - start as f64)
            / (end as f64 - start as f64);
        if (spent - 1.0).abs() < 0.05 {
            return None;
        }
        let printed = (burn * 1e6).round() / 1e6;
        let left = (1.0 - spent).max(0.0) * self.slo.period.seconds() as f64 / printed;
        Some((left > 0.0).then(|| go_humanize_duration(left)))
    }
}
