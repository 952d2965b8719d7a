//! Comparing desired objects with what a server returns.
//!
//! Servers add to what they are given (Elasticsearch fills in defaults,
//! Grafana adds `id` and `version`, Kibana adds `updated_at`), so an object
//! is unchanged when every value lookout sends is present and equal in the
//! live object: the desired JSON must be a *subset* of the live JSON.
//! Arrays compare element by element and must have the same length.

use serde_json::Value;

/// Is `desired` contained in `live`?
pub fn contained(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(want), Value::Object(have)) => want.iter().all(|(k, v)| {
            have.get(k).is_some_and(|h| contained(v, h)) || (v.is_null() && !have.contains_key(k))
        }),
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| contained(w, h))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

/// The live object trimmed to the keys lookout sends, for a readable diff.
pub fn trimmed(desired: &Value, live: &Value) -> Value {
    match (desired, live) {
        (Value::Object(want), Value::Object(have)) => Value::Object(
            want.keys()
                .filter_map(|k| have.get(k).map(|h| (k.clone(), trimmed(&want[k], h))))
                .collect(),
        ),
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            Value::Array(want.iter().zip(have).map(|(w, h)| trimmed(w, h)).collect())
        }
        (_, live) => live.clone(),
    }
}

/// The diff between the live object (trimmed) and the desired one.
pub fn json_diff(desired: &Value, live: &Value) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    crate::plan::unified(
        &pretty(&trimmed(desired, live)),
        &pretty(desired),
        "live",
        "desired",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_additions_do_not_count_as_changes() {
        let desired = json!({"a": 1, "b": {"c": [1, 2]}});
        let live = json!({"a": 1.0, "b": {"c": [1, 2], "d": true}, "version": 3});
        assert!(contained(&desired, &live));
        assert!(!contained(&json!({"a": 2}), &live));
        assert!(!contained(&json!({"b": {"c": [1]}}), &live));
        assert!(contained(&json!({"id": null}), &json!({})));
    }
}
