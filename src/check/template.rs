//! The spec's own templating: `{{window}}`, `{{service}}` and `{{slo}}` in
//! queries and runbook URLs, rendered with handlebars.
//!
//! Handlebars HTML-escapes by default, which would turn `code=~"5.."` into
//! `code=~&quot;5..`; escaping is switched off and strict mode is on, so a
//! misspelt variable is an error instead of an empty string.

use handlebars::Handlebars;
use serde_json::json;

use crate::model::QueryTemplate;

pub struct Templates {
    registry: Handlebars<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        Templates { registry }
    }
}

impl Templates {
    /// Renders a query, leaving [`QueryTemplate::WINDOW_SLOT`] where `{{window}}` was.
    pub fn query(&self, text: &str, service: &str, slo: &str) -> Result<QueryTemplate, String> {
        self.render(
            text,
            &json!({"window": QueryTemplate::WINDOW_SLOT, "service": service, "slo": slo}),
        )
        .map(QueryTemplate::new)
    }

    /// Renders a runbook URL template, which may use `{{service}}` and `{{slo}}`.
    pub fn url(&self, text: &str, service: &str, slo: &str) -> Result<String, String> {
        self.render(text, &json!({"service": service, "slo": slo}))
    }

    pub fn render(&self, text: &str, data: &serde_json::Value) -> Result<String, String> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        if let Some(rendered) = substitute_plain_variables(text, data) {
            return Ok(rendered);
        }
        if let Some(name) = go_template_variable(text) {
            // Handlebars would only say "expected identifier".
            return Err(format!(
                "`{{{{.{name}}}}}` is Sloth's Go template syntax; lookout writes `{{{{{name}}}}}`"
            ));
        }
        self.registry
            .render_template(text, data)
            .map_err(|err| describe(&err))
    }
}

/// The common case, `{{name}}` references only, rendered without
/// handlebars; identical output (escaping is off), a fraction of the cost
/// on 10,000 SLOs. Anything else (helpers, `{{{`, `\{{`, unknown names)
/// returns `None` and goes through handlebars, which also reports errors.
fn substitute_plain_variables(text: &str, data: &serde_json::Value) -> Option<String> {
    if text.contains("{{{") || text.contains("\\{{") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        let name = after[..close].trim();
        out.push_str(data.get(name)?.as_str()?);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// The name in the first `{{.name}}` (or `{{ .name }}`) of `text`.
fn go_template_variable(text: &str) -> Option<&str> {
    text.match_indices("{{").find_map(|(open, _)| {
        let inner = text[open + 2..].trim_start().strip_prefix('.')?;
        let len = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        (len > 0).then(|| &inner[..len])
    })
}

fn describe(err: &handlebars::RenderError) -> String {
    use handlebars::RenderErrorReason as R;
    match err.reason() {
        R::MissingVariable(Some(name)) => {
            format!("unknown template variable `{{{{{name}}}}}`; available: {{{{window}}}}, {{{{service}}}}, {{{{slo}}}}")
        }
        R::TemplateError(inner) => format!("template syntax error: {}", inner.reason()),
        other => format!("template error: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Duration;

    #[test]
    fn sloths_go_template_syntax_is_named_with_lookouts_spelling() {
        let err = Templates::default()
            .query("sum(rate(x[{{ .window }}]))", "api", "availability")
            .unwrap_err();
        assert_eq!(
            err,
            "`{{.window}}` is Sloth's Go template syntax; lookout writes `{{window}}`"
        );
    }

    #[test]
    fn renders_without_html_escaping() {
        let t = Templates::default();
        let q = t
            .query(
                r#"sum(rate(x{code=~"5..",svc="{{service}}"}[{{window}}]))"#,
                "api",
                "avail",
            )
            .unwrap();
        assert_eq!(
            q.at(Duration::minutes(5)),
            r#"sum(rate(x{code=~"5..",svc="api"}[5m]))"#
        );
    }

    #[test]
    fn fast_path_matches_handlebars() {
        let t = Templates::default();
        let data = json!({"window": "5m", "service": "api", "slo": "x"});
        for text in [
            "rate(a[{{window}}])",
            "rate(a{s=\"{{ service }}\"}[{{window}}]) / {{slo}}",
            "{{window}}{{window}}",
            "no braces }} here",
        ] {
            // Each takes the fast path, and agrees with handlebars.
            let fast = substitute_plain_variables(text, &data);
            let slow = t.registry.render_template(text, &data).unwrap();
            assert_eq!(fast, Some(slow), "{text}");
        }
        assert_eq!(substitute_plain_variables("{{#if x}}{{/if}}", &data), None);
        assert_eq!(substitute_plain_variables("{{nope}}", &data), None);
    }

    #[test]
    fn unknown_variable_is_an_error() {
        let t = Templates::default();
        let err = t.query("rate(x[{{windw}}])", "a", "b").unwrap_err();
        assert!(err.contains("windw"), "{err}");
    }
}
