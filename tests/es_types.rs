//! Every generated Elasticsearch request body, type-checked against the
//! official client's request types: `@elastic/elasticsearch` 9.5's
//! `estypes`, generated from the elasticsearch-specification, under
//! `tsc --strict` (`tests/es-types/`, pinned by its lockfile). Each body
//! is written as an object literal of its request type, so a misspelt or
//! unknown field, a wrong type or an unknown enum value anywhere in it is a
//! type error. The test fails, never skips, when Node or the packages are
//! missing.

mod support;

use std::path::Path;
use std::process::Command;

use lookout::emit::Artifact;

/// The request type and its path-parameter key for a `PUT <api>/<id>`.
fn request_type(api: &str) -> (&'static str, &'static str) {
    match api {
        "_ilm/policy" => ("IlmPutLifecycleRequest", "name"),
        "_ingest/pipeline" => ("IngestPutPipelineRequest", "id"),
        "_index_template" => ("IndicesPutIndexTemplateRequest", "name"),
        other => panic!("no request type known for PUT {other}"),
    }
}

/// A TypeScript module assigning each body, as a literal, to its type.
fn typescript(bodies: &[(String, &Artifact)]) -> String {
    let mut ts = String::from("import type { estypes } from '@elastic/elasticsearch';\n\n");
    for (i, (api, artifact)) in bodies.iter().enumerate() {
        let (ty, key) = request_type(api);
        let id = artifact.path.file_stem().unwrap().to_string_lossy();
        let body = artifact.contents.trim();
        let fields = body.strip_prefix('{').expect("every body is a JSON object");
        ts.push_str(&format!(
            "// {}\nexport const body{i}: estypes.{ty} = {{\n  {key}: {},{fields};\n\n",
            artifact.path.display(),
            serde_json::to_string(&id).unwrap()
        ));
    }
    ts
}

/// Runs `tsc` on `source`; its diagnostics, or `None` when it type-checks.
fn tsc(name: &str, source: &str) -> Option<String> {
    let dir = Path::new("tests/es-types");
    assert!(
        dir.join("node_modules/@elastic/elasticsearch").is_dir()
            && dir.join("node_modules/typescript").is_dir(),
        "run `npm ci --prefix tests/es-types` (scripts/test.sh does)"
    );
    // Each source gets a config of its own that names just that file.
    std::fs::create_dir_all(dir.join("generated")).unwrap();
    std::fs::write(dir.join(format!("generated/{name}.ts")), source).unwrap();
    let config = format!(r#"{{"extends": "../tsconfig.json", "files": ["{name}.ts"]}}"#);
    std::fs::write(dir.join(format!("generated/{name}.tsconfig.json")), config).unwrap();
    let output = Command::new(support::tool("node"))
        .args([
            "node_modules/typescript/bin/tsc",
            "--project",
            &format!("generated/{name}.tsconfig.json"),
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    (!output.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn bodies(artifacts: &[Artifact]) -> Vec<(String, &Artifact)> {
    artifacts
        .iter()
        .filter_map(|a| {
            let rest = a.path.strip_prefix("dashboards/elasticsearch").ok()?;
            let api = rest.parent()?.to_string_lossy().replace('\\', "/");
            Some((api, a))
        })
        .collect()
}

#[test]
fn every_elasticsearch_body_type_checks_against_the_official_client() {
    let mut artifacts = support::generate_for("lookout.yaml", "slos");
    artifacts.extend(support::generate_for(
        "tests/fixtures/valid/edge/lookout.yaml",
        "tests/fixtures/valid/edge/slos",
    ));
    let bodies = bodies(&artifacts);
    let apis: std::collections::BTreeSet<&str> = bodies.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        apis.into_iter().collect::<Vec<_>>(),
        ["_ilm/policy", "_index_template", "_ingest/pipeline"]
    );
    assert!(bodies.len() >= 6, "{}", bodies.len());
    if let Some(errors) = tsc("generated", &typescript(&bodies)) {
        panic!("Elasticsearch bodies do not type-check:\n{errors}");
    }
}

#[test]
fn the_type_check_catches_a_wrong_field() {
    let artifacts = support::generate_for("lookout.yaml", "slos");
    let bodies = bodies(&artifacts);
    let (api, pipeline) = bodies
        .iter()
        .find(|(api, _)| api == "_ingest/pipeline")
        .unwrap();
    let broken = Artifact {
        path: pipeline.path.clone(),
        contents: pipeline
            .contents
            .replacen("\"ignore_missing\"", "\"ignore_mising\"", 1)
            .into(),
        kind: pipeline.kind.clone(),
    };
    assert_ne!(broken.contents, pipeline.contents);
    let errors = tsc("broken", &typescript(&[(api.clone(), &broken)]))
        .expect("a misspelt processor option must not type-check");
    assert!(errors.contains("ignore_mising"), "{errors}");
}
