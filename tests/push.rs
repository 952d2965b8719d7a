//! `plan` and `apply` against in-process fakes of Grafana, Kibana,
//! Elasticsearch, Loki and Mimir (tests/support/fakes.rs), which follow each
//! API's documented contract and quirks. The tests assert the exact
//! requests lookout makes, idempotence, ownership, pruning and fault
//! handling. Prometheus and Alertmanager run for real in
//! `tests/prometheus.rs`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use lookout::check::Inputs;
use lookout::ops::{push_with_env, PushReport, PushRequest, Request};
use lookout::push::http::HttpOptions;
use lookout::push::progress::Progress;
use lookout::push::{Action, Mode, RunOptions};
use serde_json::{json, Value};
use support::fake::Reply;
use support::fakes;

/// A project with the bundled example specs and custom dashboard, and a
/// lookout.yaml naming `targets`. The example logs need `loki` and
/// `elasticsearch` configured; when a test does not name them they point
/// at a closed port, and the test narrows with `only`.
fn project(targets: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    support::copy_example_specs(dir.path());
    std::fs::create_dir(dir.path().join("dashboards")).unwrap();
    std::fs::copy(
        "dashboards/error-budgets.jsonnet",
        dir.path().join("dashboards/error-budgets.jsonnet"),
    )
    .unwrap();
    let mut config = format!("runbooks: {{base_url: https://runbooks.example.com}}\n{targets}");
    for needed in ["loki", "elasticsearch"] {
        if !targets.contains(&format!("{needed}:")) {
            config.push_str(&format!("{needed}: {{url: http://127.0.0.1:9}}\n"));
        }
    }
    std::fs::write(dir.path().join("lookout.yaml"), config).unwrap();
    dir
}

fn only(names: &[&str]) -> Run {
    Run {
        only: names.iter().map(|n| n.to_string()).collect(),
        ..Run::default()
    }
}

struct Run {
    only: Vec<String>,
    mode: Mode,
    env: BTreeMap<String, String>,
    http: HttpOptions,
}

impl Default for Run {
    fn default() -> Self {
        Run {
            only: Vec::new(),
            mode: Mode::default(),
            env: BTreeMap::new(),
            http: HttpOptions {
                timeout: Duration::from_secs(5),
                retries: 3,
                base_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(50),
                ..HttpOptions::default()
            },
        }
    }
}

fn push(dir: &Path, apply: bool, run: &Run) -> PushReport {
    let request = PushRequest {
        project: Request {
            deny_warnings: false,
            inputs: Inputs {
                config: Some(dir.join("lookout.yaml")),
                slos: Some(dir.join("slos")),
            },
            out: None,
        },
        only: run.only.clone(),
        run: RunOptions {
            mode: Mode {
                concurrency: 4,
                ..run.mode
            },
            apply,
        },
        http: run.http.clone(),
    };
    let env = run.env.clone();
    let report = push_with_env(&request, &Progress::new(false, true), &move |k| {
        env.get(k).cloned()
    });
    assert!(
        !report.generated.diagnostics.has_errors(),
        "{}",
        report.generated.diagnostics.render(false)
    );
    report
}

fn target<'a>(report: &'a PushReport, name: &str) -> &'a lookout::push::TargetReport {
    report
        .reports
        .iter()
        .find(|r| r.target == name)
        .unwrap_or_else(|| panic!("no {name} report: {:?}", report.setup_errors))
}

fn actions(report: &PushReport, name: &str) -> Vec<(String, Action)> {
    target(report, name)
        .changes
        .iter()
        .map(|c| (c.id.clone(), c.action))
        .collect()
}

fn failures(report: &PushReport) -> Vec<String> {
    report
        .reports
        .iter()
        .flat_map(|r| {
            r.failures
                .iter()
                .map(move |f| format!("{}: {}: {}", r.target, f.object, f.error))
        })
        .collect()
}

const DASHBOARDS: &[&str] = &[
    "lookout-error-budgets",
    "lookout-ingress-nginx",
    "lookout-mariadb-galera",
    // One overview per project: `default`, as lookout.yaml names none.
    "lookout-overview-default",
    "lookout-payments-api",
    "lookout-payments-ledger",
    "lookout-public-api",
    "lookout-settlement-worker",
];

#[test]
fn grafana_apply_upserts_by_uid_into_the_folder_then_a_rerun_writes_nothing() {
    let grafana = fakes::grafana(Some("Bearer glsa_test"));
    let dir = project(&format!(
        "grafana: {{url: {}, token_env: GRAFANA_TOKEN, folder: SLOs, datasource: prom-main}}\n",
        grafana.url()
    ));
    let mut run = only(&["grafana"]);
    run.env.insert("GRAFANA_TOKEN".into(), "glsa_test".into());

    let plan = push(dir.path(), false, &run);
    assert!(failures(&plan).is_empty(), "{:?}", failures(&plan));
    assert!(
        grafana.writes().is_empty(),
        "plan wrote: {:?}",
        grafana.writes()
    );
    let planned = actions(&plan, "grafana");
    assert_eq!(planned[0], ("lookout-slos".to_string(), Action::Create));
    assert_eq!(planned.len(), 1 + DASHBOARDS.len());

    grafana.server.clear();
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    let writes = grafana.writes();
    assert_eq!(writes[0], "POST /api/folders", "the folder comes first");
    let mut posts: Vec<String> = writes[1..].to_vec();
    posts.sort();
    assert_eq!(
        posts,
        vec!["POST /api/dashboards/db".to_string(); DASHBOARDS.len()]
    );
    // What is pushed is what `build` writes: the configured datasource is
    // selected in the files themselves (the jsonnet one too), not at push.
    let built: BTreeMap<String, Value> = support::generate_for(
        &dir.path().join("lookout.yaml").display().to_string(),
        &dir.path().join("slos").display().to_string(),
    )
    .into_iter()
    .filter_map(|a| match a.kind {
        lookout::emit::Kind::GrafanaDashboard { uid } => {
            Some((uid, serde_json::from_str(&a.contents).unwrap()))
        }
        _ => None,
    })
    .collect();
    assert_eq!(built.len(), DASHBOARDS.len());
    for (uid, dashboard) in &built {
        let variable = dashboard["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["type"] == "datasource")
            .unwrap_or_else(|| panic!("{uid}: no datasource variable"));
        assert_eq!(variable["current"]["value"], json!("prom-main"), "{uid}");
    }
    for request in grafana.server.requests() {
        assert_eq!(request.header("authorization"), Some("Bearer glsa_test"));
        if request.path == "/api/dashboards/db" {
            let body = request.json();
            let uid = body["dashboard"]["uid"].as_str().unwrap();
            // The file as built, with `id: null`, which an upsert by uid needs.
            let mut expected = built[uid].clone();
            expected["id"] = Value::Null;
            assert_eq!(body["dashboard"], expected, "{uid}: pushed as built");
            assert_eq!(body["overwrite"], json!(true));
            assert_eq!(body["folderUid"], json!("lookout-slos"));
            assert_eq!(body["dashboard"]["id"], Value::Null);
            assert!(body["dashboard"]["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("lookout")));
        }
    }
    {
        let state = grafana.state.lock().unwrap();
        let uids: Vec<&String> = state.dashboards.keys().collect();
        assert_eq!(uids, DASHBOARDS.iter().collect::<Vec<_>>());
        let (api, folder) = &state.dashboards["lookout-public-api"];
        assert_eq!(folder, "lookout-slos");
        // The datasource variable selects the configured Prometheus by uid.
        let variable = api["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["type"] == "datasource")
            .unwrap();
        assert_eq!(variable["current"]["value"], json!("prom-main"));
    }

    grafana.server.clear();
    let again = push(dir.path(), true, &run);
    assert!(failures(&again).is_empty());
    assert!(
        grafana.writes().is_empty(),
        "re-apply wrote: {:?}",
        grafana.writes()
    );
    assert!(actions(&again, "grafana")
        .iter()
        .all(|(_, a)| *a == Action::Unchanged));
    assert!(!again.has_changes());
}

#[test]
fn a_dashboard_moved_out_of_the_folder_or_edited_is_updated() {
    let grafana = fakes::grafana(None);
    let dir = project(&format!("grafana: {{url: {}}}\n", grafana.url()));
    push(dir.path(), true, &only(&["grafana"]));
    {
        let mut state = grafana.state.lock().unwrap();
        state.dashboards.get_mut("lookout-public-api").unwrap().1 = String::new();
        state.dashboards.get_mut("lookout-payments-api").unwrap().0["title"] =
            json!("edited by hand");
    }
    let plan = push(dir.path(), false, &only(&["grafana"]));
    let changed: Vec<(String, Action)> = actions(&plan, "grafana")
        .into_iter()
        .filter(|(_, a)| *a != Action::Unchanged)
        .collect();
    assert_eq!(
        changed,
        [
            ("lookout-payments-api".to_string(), Action::Update),
            ("lookout-public-api".to_string(), Action::Update)
        ]
    );
    let detail = target(&plan, "grafana")
        .changes
        .iter()
        .find(|c| c.id == "lookout-payments-api")
        .unwrap()
        .describe("live", "desired")
        .unwrap();
    assert!(
        detail.contains("-  \"title\": \"edited by hand\""),
        "{detail}"
    );
}

#[test]
fn faults_are_retried_with_backoff_and_retry_after() {
    let grafana = fakes::grafana(None);
    let dir = project(&format!("grafana: {{url: {}}}\n", grafana.url()));
    // 503 twice then success; 429 with Retry-After; a connection reset.
    grafana.faults.add(
        "POST /api/folders",
        2,
        Reply::json(503, &json!({"message": "unavailable"})),
    );
    grafana.faults.add(
        "GET /api/dashboards/uid/lookout-public-api",
        1,
        Reply::json(429, &json!({})).header("Retry-After", "1"),
    );
    grafana.faults.add(
        "GET /api/dashboards/uid/lookout-payments-api",
        1,
        Reply::reset(),
    );
    let report = push(dir.path(), true, &only(&["grafana"]));
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    let calls = grafana.server.calls();
    assert_eq!(
        calls.iter().filter(|c| *c == "POST /api/folders").count(),
        3,
        "two 503s, then the success"
    );
    let requests = grafana.server.requests();
    let limited: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/dashboards/uid/lookout-public-api")
        .collect();
    assert!(limited.len() >= 2);
    assert!(
        limited[1].at.duration_since(limited[0].at) >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    assert!(
        calls
            .iter()
            .filter(|c| *c == "GET /api/dashboards/uid/lookout-payments-api")
            .count()
            >= 2
    );
    assert_eq!(
        grafana.state.lock().unwrap().dashboards.len(),
        DASHBOARDS.len()
    );
}

#[test]
fn a_response_slower_than_the_timeout_is_retried_then_reported() {
    let grafana = fakes::grafana(None);
    let dir = project(&format!("grafana: {{url: {}}}\n", grafana.url()));
    let mut run = only(&["grafana"]);
    run.http.timeout = Duration::from_millis(400);
    run.http.retries = 1;
    // Once slow: the retry succeeds.
    grafana.faults.add(
        "GET /api/folders",
        1,
        Reply::json(404, &json!({})).delayed(Duration::from_millis(1200)),
    );
    // Always slow for one dashboard: it fails, the others land.
    grafana
        .faults
        .add("POST /api/dashboards/db", 0, Reply::json(200, &json!({})));
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));

    let slow = fakes::grafana(None);
    let dir = project(&format!("grafana: {{url: {}}}\n", slow.url()));
    slow.faults.add(
        "GET /api/folders",
        10,
        Reply::json(404, &json!({})).delayed(Duration::from_millis(1200)),
    );
    let report = push(dir.path(), true, &run);
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].contains("timed out") && failed[0].contains("after 2 attempts"),
        "{failed:?}"
    );
    assert!(report.failed());
}

#[test]
fn unmanaged_objects_are_conflicts_unless_adopted() {
    let grafana = fakes::grafana(None);
    let es = fakes::elasticsearch(None);
    let kibana = fakes::kibana(None);
    grafana.state.lock().unwrap().dashboards.insert(
        "lookout-public-api".into(),
        (json!({"uid": "lookout-public-api", "title": "hand-made", "tags": ["team"], "id": 7, "version": 3}), String::new()),
    );
    es.state.lock().unwrap().templates.insert(
        "lookout-logs-ingress-nginx".into(),
        json!({"index_patterns": ["lookout-logs-ingress-nginx"], "priority": 500}),
    );
    kibana.state.lock().unwrap().objects.insert(
        ("index-pattern".into(), "lookout-logs-payments-api".into()),
        json!({"type": "index-pattern", "id": "lookout-logs-payments-api", "attributes": {"title": "mine"}, "references": [], "managed": false}),
    );
    let dir = project(&format!(
        "grafana: {{url: {}}}\nelasticsearch: {{url: {}}}\nkibana: {{url: {}}}\n",
        grafana.url(),
        es.url(),
        kibana.url()
    ));
    let mut run = only(&["grafana", "elasticsearch", "kibana"]);
    let report = push(dir.path(), true, &run);
    let failed = failures(&report);
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(
        failed
            .iter()
            .all(|f| f.contains("conflict") && f.contains("--adopt")),
        "{failed:?}"
    );
    // Untouched.
    assert_eq!(
        grafana.state.lock().unwrap().dashboards["lookout-public-api"].0["title"],
        json!("hand-made")
    );
    assert!(!grafana
        .writes()
        .iter()
        .any(|w| w.contains("lookout-public-api")));
    assert_eq!(
        es.state.lock().unwrap().templates["lookout-logs-ingress-nginx"]["priority"],
        json!(500)
    );
    assert_eq!(
        kibana.state.lock().unwrap().objects[&(
            "index-pattern".to_string(),
            "lookout-logs-payments-api".to_string()
        )]["attributes"]["title"],
        json!("mine")
    );
    assert!(report.failed());

    run.mode.adopt = true;
    let adopted = push(dir.path(), true, &run);
    assert!(failures(&adopted).is_empty(), "{:?}", failures(&adopted));
    assert!(
        grafana.state.lock().unwrap().dashboards["lookout-public-api"].0["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("lookout"))
    );
    assert_eq!(
        es.state.lock().unwrap().templates["lookout-logs-ingress-nginx"]["priority"],
        json!(200)
    );
}

#[test]
fn a_folder_of_the_same_title_is_a_conflict_unless_adopted() {
    let grafana = fakes::grafana(None);
    // What file provisioning without `folderUid` leaves behind.
    grafana
        .state
        .lock()
        .unwrap()
        .folders
        .insert("aBc123".into(), "SLOs".into());
    let dir = project(&format!(
        "grafana: {{url: {}, folder: SLOs}}\n",
        grafana.url()
    ));
    let mut run = only(&["grafana"]);
    let plan = push(dir.path(), false, &run);
    let planned = actions(&plan, "grafana");
    assert_eq!(planned[0], ("lookout-slos".to_string(), Action::Conflict));
    assert!(
        planned[1..].iter().all(|(_, a)| *a == Action::Conflict),
        "dashboards wait for their folder: {planned:?}"
    );
    let detail = target(&plan, "grafana").changes[0]
        .describe("live", "desired")
        .unwrap();
    assert!(
        detail.contains("`SLOs` exists with uid `aBc123`")
            && detail.contains("folderUid: lookout-slos")
            && detail.contains("--adopt"),
        "{detail}"
    );
    let report = push(dir.path(), true, &run);
    assert!(grafana.writes().is_empty(), "{:?}", grafana.writes());
    assert_eq!(
        failures(&report).len(),
        1 + DASHBOARDS.len(),
        "{:?}",
        failures(&report)
    );

    // --adopt puts the dashboards into the existing folder.
    run.mode.adopt = true;
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    let state = grafana.state.lock().unwrap();
    assert_eq!(state.folders.len(), 1);
    assert!(state
        .dashboards
        .values()
        .all(|(_, folder)| folder == "aBc123"));
}

#[test]
fn prune_deletes_only_what_this_project_created() {
    let grafana = fakes::grafana(None);
    let es = fakes::elasticsearch(None);
    let dir = project(&format!(
        "project: shop\ngrafana: {{url: {}}}\nelasticsearch: {{url: {}}}\n",
        grafana.url(),
        es.url()
    ));
    let mut run = only(&["grafana", "elasticsearch"]);
    push(dir.path(), true, &run);
    {
        let mut g = grafana.state.lock().unwrap();
        g.dashboards.insert(
            "lookout-retired".into(),
            (
                json!({"uid": "lookout-retired", "tags": ["lookout", "lookout-project:shop"], "id": 90, "version": 1}),
                "lookout-slos".into(),
            ),
        );
        // Another project's, and one an older lookout wrote without a project.
        g.dashboards.insert(
            "lookout-theirs".into(),
            (
                json!({"uid": "lookout-theirs", "tags": ["lookout", "lookout-project:bank"], "id": 94, "version": 1}),
                "lookout-slos".into(),
            ),
        );
        g.dashboards.insert(
            "lookout-legacy".into(),
            (
                json!({"uid": "lookout-legacy", "tags": ["lookout"], "id": 95, "version": 1}),
                "lookout-slos".into(),
            ),
        );
        g.dashboards.insert(
            "team-board".into(),
            (
                json!({"uid": "team-board", "tags": ["team"], "id": 91, "version": 1}),
                String::new(),
            ),
        );
        // A user's copy keeps the tag, but not lookout's uid or folder.
        g.dashboards.insert(
            "my-copy".into(),
            (
                json!({"uid": "my-copy", "tags": ["lookout"], "id": 92, "version": 1}),
                "lookout-slos".into(),
            ),
        );
        g.folders.insert("team-folder".into(), "Team".into());
        g.dashboards.insert(
            "lookout-moved".into(),
            (
                json!({"uid": "lookout-moved", "tags": ["lookout"], "id": 93, "version": 1}),
                "team-folder".into(),
            ),
        );
        let mut e = es.state.lock().unwrap();
        e.pipelines.insert(
            "lookout-logs-retired".into(),
            json!({"_meta": {"managed_by": "lookout", "project": "shop"}, "processors": []}),
        );
        e.pipelines.insert(
            "lookout-logs-theirs".into(),
            json!({"_meta": {"managed_by": "lookout", "project": "bank"}, "processors": []}),
        );
        e.pipelines.insert(
            "lookout-logs-legacy".into(),
            json!({"_meta": {"managed_by": "lookout"}, "processors": []}),
        );
        e.pipelines
            .insert("other-team".into(), json!({"processors": []}));
    }
    // Without --prune nothing is deleted.
    let plan = push(dir.path(), false, &run);
    assert!(!plan
        .reports
        .iter()
        .flat_map(|r| &r.changes)
        .any(|c| c.action == Action::Delete));
    run.mode.prune = true;
    let plan = push(dir.path(), false, &run);
    let deletes: Vec<String> = plan
        .reports
        .iter()
        .flat_map(|r| &r.changes)
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(deletes, ["lookout-retired", "lookout-logs-retired"]);
    // Legacy objects are kept, and the plan says so.
    let kept: Vec<String> = plan
        .reports
        .iter()
        .flat_map(|r| &r.changes)
        .filter(|c| {
            c.detail
                .as_ref()
                .is_some_and(|d| d.as_str().starts_with("kept:"))
        })
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(kept, ["lookout-legacy", "lookout-logs-legacy"]);
    grafana.server.clear();
    es.server.clear();
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(
        grafana.writes(),
        ["DELETE /api/dashboards/uid/lookout-retired"]
    );
    assert_eq!(
        es.writes(),
        ["DELETE /_ingest/pipeline/lookout-logs-retired"]
    );
    for kept in [
        "team-board",
        "my-copy",
        "lookout-moved",
        "lookout-theirs",
        "lookout-legacy",
    ] {
        assert!(
            grafana.state.lock().unwrap().dashboards.contains_key(kept),
            "{kept}"
        );
    }
    for kept in ["other-team", "lookout-logs-theirs", "lookout-logs-legacy"] {
        assert!(
            es.state.lock().unwrap().pipelines.contains_key(kept),
            "{kept}"
        );
    }

    // Claimed, legacy objects are this project's: pruned too.
    run.mode.claim_legacy = true;
    grafana.server.clear();
    es.server.clear();
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(
        grafana.writes(),
        ["DELETE /api/dashboards/uid/lookout-legacy"]
    );
    assert_eq!(
        es.writes(),
        ["DELETE /_ingest/pipeline/lookout-logs-legacy"]
    );
}

#[test]
fn elasticsearch_objects_are_put_in_dependency_order() {
    let es = fakes::elasticsearch(Some("ApiKey c2VjcmV0"));
    let dir = project(&format!(
        "elasticsearch: {{url: {}, api_key_env: ES_API_KEY}}\n",
        es.url()
    ));
    let mut run = Run::default();
    run.env.insert("ES_API_KEY".into(), "c2VjcmV0".into());
    run.only = vec!["elasticsearch".into()];
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(
        es.writes(),
        [
            "PUT /_ilm/policy/lookout-logs-ingress-nginx",
            "PUT /_ilm/policy/lookout-logs-payments-api",
            "PUT /_ingest/pipeline/lookout-logs-ingress-nginx.access",
            "PUT /_ingest/pipeline/lookout-logs-payments-api.app",
            "PUT /_ingest/pipeline/lookout-logs-ingress-nginx",
            "PUT /_ingest/pipeline/lookout-logs-payments-api",
            "PUT /_index_template/lookout-logs-ingress-nginx",
            "PUT /_index_template/lookout-logs-payments-api",
        ]
    );
    // The server's additions (policy version, delete_searchable_snapshot) are not changes.
    es.server.clear();
    let again = push(dir.path(), true, &run);
    assert!(failures(&again).is_empty());
    assert!(es.writes().is_empty(), "{:?}", es.writes());
}

#[test]
fn kibana_import_is_multipart_with_xsrf_and_its_body_is_checked() {
    let kibana = fakes::kibana(Some("ApiKey a2li"));
    let dir = project(&format!(
        "kibana: {{url: {}, api_key_env: KIBANA_API_KEY, space: ops}}\n",
        kibana.url()
    ));
    let mut run = Run::default();
    run.env.insert("KIBANA_API_KEY".into(), "a2li".into());
    run.only = vec!["kibana".into()];
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    let imports: Vec<_> = kibana
        .server
        .requests()
        .into_iter()
        .filter(|r| r.route().ends_with("_import"))
        .collect();
    assert_eq!(imports.len(), 2, "one import per ndjson file");
    for import in &imports {
        assert_eq!(import.path.split('?').nth(1), Some("overwrite=true"));
        assert!(import.path.starts_with("/s/ops/"), "space prefix");
        assert_eq!(import.header("kbn-xsrf"), Some("true"));
        assert!(import
            .header("content-type")
            .unwrap()
            .starts_with("multipart/form-data"));
        assert_eq!(import.header("authorization"), Some("ApiKey a2li"));
    }
    // Per file: the dashboard, the data view and six visualisations.
    assert_eq!(kibana.state.lock().unwrap().objects.len(), 2 * 8);

    // Kibana answers 200 with success:false: the object errors must surface.
    kibana
        .state
        .lock()
        .unwrap()
        .objects
        .retain(|(kind, _), _| kind != "dashboard");
    kibana.faults.add(
        "POST /s/ops/api/saved_objects/_import",
        1,
        Reply::json(
            200,
            &json!({"success": false, "successCount": 0, "successResults": [], "errors": [
                {"id": "lookout-ingress-nginx-access-logs", "type": "dashboard", "error": {"type": "missing_references", "references": [{"type": "lens", "id": "x"}]}}
            ]}),
        ),
    );
    let report = push(dir.path(), true, &run);
    let failed = failures(&report);
    assert!(
        failed
            .iter()
            .any(|f| f.contains("lookout-ingress-nginx-access-logs")
                && f.contains("missing_references")),
        "{failed:?}"
    );
    assert!(report.failed());

    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    kibana.server.clear();
    let again = push(dir.path(), true, &run);
    assert!(failures(&again).is_empty());
    assert!(kibana.writes().is_empty(), "{:?}", kibana.writes());
}

#[test]
fn rulers_get_one_group_per_request_encoded_with_the_tenant() {
    let loki = fakes::loki("platform");
    let mimir = fakes::mimir("platform");
    let dir = project(&format!(
        "loki: {{url: {}, tenant: platform}}\nmimir: {{url: {}, tenant: platform}}\n",
        loki.url(),
        mimir.url()
    ));
    let run = only(&["loki", "mimir"]);
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    // Loki answered 404 for the empty namespaces: not an error.
    let mut writes = loki.writes();
    writes.sort();
    assert_eq!(
        writes,
        [
            // `<project>:<service>`: the namespace carries the project.
            "POST /loki/api/v1/rules/default%3Aingress-nginx",
            "POST /loki/api/v1/rules/default%3Apayments-api",
        ]
    );
    let posts: Vec<_> = mimir
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    let groups: usize = [
        "mariadb-galera",
        "payments-api",
        "payments-ledger",
        "public-api",
        "settlement-worker",
        "ingress-nginx",
    ]
    .len();
    assert!(posts.len() > groups, "one request per group, not per file");
    for post in &posts {
        assert_eq!(post.header("x-scope-orgid"), Some("platform"));
        assert_eq!(post.header("content-type"), Some("application/yaml"));
        let group: Value = serde_saphyr::from_str(&post.text()).unwrap();
        assert!(group["name"].as_str().unwrap().starts_with("lookout:"));
        assert!(group.get("groups").is_none(), "the body is one group");
    }
    // Group names are percent-encoded in paths. Pruning takes this
    // project's groups only: not another project's, nor legacy ones.
    let mut run_prune = only(&["mimir"]);
    run_prune.mode.prune = true;
    {
        let mut state = mimir.state.lock().unwrap();
        let mut add = |ns: &str, group: &str| {
            state
                .namespaces
                .entry(ns.into())
                .or_default()
                .push(json!({"name": group, "rules": []}));
        };
        add("default:public-api", "lookout:public-api:retired:sli");
        add("bank:ledger", "lookout:ledger:availability:sli");
        add("public-api", "lookout:public-api:old:sli");
    }
    mimir.server.clear();
    let report = push(dir.path(), true, &run_prune);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(
        mimir.writes(),
        ["DELETE /prometheus/config/v1/rules/default%3Apublic-api/lookout%3Apublic-api%3Aretired%3Asli"]
    );

    // A declared group that a release before project identity wrote into
    // the plain service namespace would be evaluated twice: a conflict,
    // until --claim-legacy moves it.
    let declared = mimir.state.lock().unwrap().namespaces["default:public-api"][0].clone();
    mimir
        .state
        .lock()
        .unwrap()
        .namespaces
        .get_mut("public-api")
        .unwrap()
        .push(declared.clone());
    let plan = push(dir.path(), false, &run_prune);
    let name = declared["name"].as_str().unwrap();
    let conflict = plan.reports[0]
        .changes
        .iter()
        .find(|c| c.action == Action::Conflict)
        .expect("a conflict");
    assert_eq!(conflict.id, format!("default:public-api/{name}"));
    let note = conflict.detail.as_ref().unwrap().as_str();
    assert!(
        note.contains("also in namespace public-api") && note.contains("--claim-legacy"),
        "{note}"
    );
    run_prune.mode.claim_legacy = true;
    mimir.server.clear();
    let report = push(dir.path(), true, &run_prune);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    let mut writes = mimir.writes();
    writes.sort();
    assert_eq!(
        writes,
        [
            format!(
                "DELETE /prometheus/config/v1/rules/public-api/{}",
                name.replace(':', "%3A")
            ),
            "DELETE /prometheus/config/v1/rules/public-api/lookout%3Apublic-api%3Aold%3Asli".into(),
        ]
    );
    assert_eq!(
        mimir.state.lock().unwrap().namespaces["bank:ledger"].len(),
        1
    );

    // Another project running the same group records the same series:
    // a conflict that names that project.
    mimir
        .state
        .lock()
        .unwrap()
        .namespaces
        .insert("bank:public-api".into(), vec![declared.clone()]);
    let plan = push(dir.path(), false, &run_prune);
    let conflict = plan.reports[0]
        .changes
        .iter()
        .find(|c| c.action == Action::Conflict)
        .expect("a conflict");
    let note = conflict.detail.as_ref().unwrap().as_str();
    assert!(
        note.contains("also in namespace bank:public-api")
            && note.contains("owned by lookout project `bank`, not this project `default`"),
        "{note}"
    );
    mimir
        .state
        .lock()
        .unwrap()
        .namespaces
        .remove("bank:public-api");

    loki.server.clear();
    mimir.server.clear();
    let again = push(dir.path(), true, &run);
    assert!(failures(&again).is_empty());
    assert!(loki.writes().is_empty() && mimir.writes().is_empty());
}

#[test]
fn one_failing_target_does_not_stop_the_others() {
    let grafana = fakes::grafana(None);
    let es = fakes::elasticsearch(None);
    grafana.faults.add(
        "POST /api/dashboards/db",
        1000,
        Reply::json(500, &json!({"message": "database is locked"})),
    );
    let dir = project(&format!(
        "grafana: {{url: {}}}\nelasticsearch: {{url: {}}}\n",
        grafana.url(),
        es.url()
    ));
    let mut run = only(&["grafana", "elasticsearch"]);
    run.http.retries = 1;
    let report = push(dir.path(), true, &run);
    assert!(report.failed());
    let failed = failures(&report);
    assert_eq!(
        failed.len(),
        DASHBOARDS.len(),
        "each dashboard reported: {failed:?}"
    );
    assert!(failed
        .iter()
        .all(|f| f.starts_with("grafana: dashboard lookout-") && f.contains("HTTP 500")));
    assert_eq!(target(&report, "elasticsearch").applied, 8);
    assert_eq!(es.state.lock().unwrap().templates.len(), 2);
}

#[test]
fn secrets_come_from_the_environment_or_files_and_never_print() {
    let grafana = fakes::grafana(Some("Bearer s3cr3t-token"));
    // An error body that echoes the credential must not leak it.
    grafana.faults.add(
        "GET /api/folders",
        10,
        Reply::json(
            400,
            &json!({"message": "bad header Authorization: Bearer s3cr3t-token"}),
        ),
    );
    let dir = project(&format!(
        "grafana: {{url: {}, token_file: grafana.token}}\n",
        grafana.url()
    ));
    std::fs::write(dir.path().join("grafana.token"), "s3cr3t-token\n").unwrap();
    let report = push(dir.path(), false, &only(&["grafana"]));
    let text = format!("{:?} {:?}", failures(&report), report.reports);
    assert!(text.contains("***"), "{text}");
    assert!(!text.contains("s3cr3t-token"), "{text}");

    // A token variable that is not set is a setup error naming the variable only.
    let dir = project(&format!(
        "grafana: {{url: {}, token_env: GRAFANA_TOKEN}}\n",
        grafana.url()
    ));
    let report = push(dir.path(), false, &only(&["grafana"]));
    assert_eq!(
        report.setup_errors,
        ["grafana.token_env names the environment variable `GRAFANA_TOKEN`, which is not set; set it, or leave grafana out of this run (`push:` in lookout.yaml, or --only)"]
    );
}

#[test]
fn every_key_can_come_from_the_environment_and_only_narrows() {
    let grafana = fakes::grafana(None);
    let es = fakes::elasticsearch(None);
    let dir = project("");
    let mut run = Run::default();
    run.env.insert("LOOKOUT_GRAFANA_URL".into(), grafana.url());
    run.env.insert("LOOKOUT_ELASTICSEARCH_URL".into(), es.url());
    run.only = vec!["grafana".into()];
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(report.reports.len(), 1);
    assert_eq!(
        grafana.state.lock().unwrap().dashboards.len(),
        DASHBOARDS.len()
    );
    assert!(
        es.server.requests().is_empty(),
        "--only grafana touched elasticsearch"
    );

    run.only = vec!["kibana".into()];
    let report = push(dir.path(), false, &run);
    assert!(
        report.setup_errors[0].contains("`kibana` is not configured"),
        "{:?}",
        report.setup_errors
    );
}

fn lookout(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lookout"));
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

#[test]
fn plan_exits_3_with_changes_and_0_without_and_speaks_json() {
    let grafana = fakes::grafana(None);
    let dir = project(&format!("grafana: {{url: {}}}\n", grafana.url()));
    let plan = lookout(dir.path())
        .args(["plan", "--only", "grafana"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(plan.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("  + dashboard lookout-public-api"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Plan: 9 to create, 0 to update, 0 to delete"),
        "{stdout}"
    );
    assert!(grafana.writes().is_empty(), "plan must not write");

    let apply = lookout(dir.path())
        .args(["apply", "--only", "grafana"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&apply.stdout);
    assert_eq!(apply.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("grafana") && stdout.contains("applied: 9 writes"),
        "{stdout}"
    );
    // The progress line, printed after the writes, says what was done.
    let stderr = String::from_utf8_lossy(&apply.stderr);
    assert!(stderr.contains("grafana: 9 created"), "{stderr}");
    assert!(!stderr.contains("to create"), "{stderr}");

    let plan = lookout(dir.path())
        .args(["plan", "--only", "grafana", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(json["changes"], json!(false));
    assert_eq!(json["targets"][0]["target"], json!("grafana"));
    assert!(json["targets"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["action"] == "unchanged"));

    // A target that is down: exit 1, named.
    drop(grafana);
    let plan = lookout(dir.path())
        .args([
            "plan",
            "--only",
            "grafana",
            "--retries",
            "0",
            "--timeout",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plan.stdout).contains("x grafana:"));
}

#[test]
fn tls_settings_are_checked_before_any_request() {
    let grafana = fakes::grafana(None);
    let dir = project(&format!("grafana: {{url: {}}}\n", grafana.url()));
    std::fs::write(dir.path().join("not-a-ca.pem"), "hello").unwrap();
    let mut run = only(&["grafana"]);
    run.http.ca_file = Some(dir.path().join("not-a-ca.pem"));
    let report = push(dir.path(), false, &run);
    assert!(
        report.setup_errors[0].contains("is not a PEM certificate"),
        "{:?}",
        report.setup_errors
    );
    assert!(grafana.server.requests().is_empty());
}

#[test]
fn an_unreachable_prometheus_fails_the_plan_instead_of_passing_as_unchanged() {
    // tests/prometheus.rs covers a reachable one, conflicts included.
    let dir = project("prometheus: {url: http://127.0.0.1:9, rules_dir: rules.d}\n");
    std::fs::create_dir(dir.path().join("rules.d")).unwrap();
    let mut run = only(&["prometheus"]);
    run.http.retries = 0;
    let plan = push(dir.path(), false, &run);
    assert!(plan.failed());
    let failures = failures(&plan);
    assert!(
        failures
            .iter()
            .any(|f| f.contains("cannot read the rules Prometheus runs")),
        "{failures:?}"
    );
    let report = push(dir.path(), true, &run);
    assert!(report.failed());
    assert!(std::fs::read_dir(dir.path().join("rules.d"))
        .unwrap()
        .next()
        .is_none());
}

/// A fake Grafana behind TLS with a fresh self-signed certificate for
/// 127.0.0.1; returns it with the certificate's PEM.
fn tls_grafana() -> (support::fake::FakeServer, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let server = support::fake::FakeServer::start_tls(
        |request| match request.route() {
            "/api/folders/lookout-slos" => Reply::json(200, &json!({"uid": "lookout-slos"})),
            _ => Reply::json(404, &json!({"message": "not found"})),
        },
        config,
    );
    (server, cert.pem())
}

#[test]
fn tls_is_verified_by_default_and_a_ca_file_or_the_explicit_flag_relaxes_it() {
    let (server, pem) = tls_grafana();
    let dir = project(&format!("grafana: {{url: {}}}\n", server.url()));
    let mut run = only(&["grafana"]);
    run.http.retries = 0;

    // Self-signed: refused, and the reason is named.
    let report = push(dir.path(), false, &run);
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].contains("certificate") || failed[0].contains("UnknownIssuer"),
        "{failed:?}"
    );
    assert!(
        server.requests().is_empty(),
        "no request may pass an unverified handshake"
    );

    // Trusted through --ca-file.
    std::fs::write(dir.path().join("ca.pem"), &pem).unwrap();
    run.http.ca_file = Some(dir.path().join("ca.pem"));
    let report = push(dir.path(), false, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert!(!server.requests().is_empty());

    // Or with verification explicitly off.
    run.http.ca_file = None;
    run.http.insecure = true;
    let report = push(dir.path(), false, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
}

#[test]
fn kibana_objects_stay_lookouts_where_kibana_drops_the_managed_flag() {
    let kibana = fakes::kibana(None);
    kibana.state.lock().unwrap().drop_managed = true;
    let dir = project(&format!("kibana: {{url: {}}}\n", kibana.url()));
    let run = only(&["kibana"]);
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert!(kibana
        .state
        .lock()
        .unwrap()
        .objects
        .values()
        .all(|o| o.get("managed").is_none()));
    kibana.server.clear();
    let again = push(dir.path(), true, &run);
    assert!(failures(&again).is_empty(), "{:?}", failures(&again));
    assert!(kibana.writes().is_empty(), "{:?}", kibana.writes());
}

#[test]
fn a_narrowed_run_needs_only_its_own_targets_credentials() {
    let grafana = fakes::grafana(None);
    // ES_API_KEY is not set: only a run that touches Elasticsearch needs it.
    let dir = project(&format!(
        "grafana: {{url: {}}}\nelasticsearch: {{url: http://127.0.0.1:9, api_key_env: ES_API_KEY}}\n",
        grafana.url()
    ));
    let report = push(dir.path(), false, &only(&["grafana"]));
    assert!(report.setup_errors.is_empty(), "{:?}", report.setup_errors);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    let report = push(dir.path(), false, &only(&["grafana", "elasticsearch"]));
    assert_eq!(
        report.setup_errors,
        ["elasticsearch.api_key_env names the environment variable `ES_API_KEY`, which is not set; set it, or leave elasticsearch out of this run (`push:` in lookout.yaml, or --only)"]
    );
}

#[test]
fn a_missing_credential_names_the_ways_to_leave_the_target_out() {
    let dir = project("grafana: {url: http://127.0.0.1:9, token_env: GRAFANA_TOKEN}\n");
    let report = push(dir.path(), false, &Run::default());
    let error = report.setup_errors.join("\n");
    assert!(
        error.contains("`GRAFANA_TOKEN`, which is not set")
            && error.contains("`push:` in lookout.yaml, or --only"),
        "{error}"
    );
}

#[test]
fn two_projects_share_grafana_elasticsearch_and_kibana_and_touch_only_their_own_objects() {
    let grafana = fakes::grafana(None);
    let es = fakes::elasticsearch(None);
    let kibana = fakes::kibana(None);
    let targets = format!(
        "grafana: {{url: {}}}\nelasticsearch: {{url: {}}}\nkibana: {{url: {}}}\n",
        grafana.url(),
        es.url(),
        kibana.url()
    );
    let shop = project(&format!("project: shop\n{targets}"));
    let bank = project(&format!("project: bank\n{targets}"));
    // bank has one service of its own, with access logs to Elasticsearch.
    std::fs::remove_dir_all(bank.path().join("slos")).unwrap();
    std::fs::remove_dir_all(bank.path().join("dashboards")).unwrap();
    std::fs::create_dir(bank.path().join("slos")).unwrap();
    let vault = std::fs::read_to_string(shop.path().join("slos/payments.yaml"))
        .unwrap()
        .replace("payments-", "vault-")
        .replace("depends_on: [mariadb-galera]\n", "");
    std::fs::write(bank.path().join("slos/vault.yaml"), vault).unwrap();
    let mut run = only(&["grafana", "elasticsearch", "kibana"]);
    run.mode.prune = true;

    for dir in [&shop, &bank] {
        let report = push(dir.path(), true, &run);
        assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    }
    // Each prunes nothing of the other's: both are in sync.
    for dir in [&shop, &bank] {
        let plan = push(dir.path(), false, &run);
        assert!(!plan.has_changes(), "{:?}", plan.reports);
    }
    let dashboards = grafana.state.lock().unwrap().dashboards.len();
    assert_eq!(
        dashboards,
        DASHBOARDS.len() + 3,
        "bank's overview, vault-api and vault-ledger"
    );

    // bank declaring shop's service: shop's objects are in the way, and
    // each conflict names both projects.
    let payments = std::fs::read_to_string(shop.path().join("slos/payments.yaml"))
        .unwrap()
        .replace("depends_on: [mariadb-galera]\n", "");
    std::fs::write(bank.path().join("slos/payments.yaml"), payments).unwrap();
    let report = push(bank.path(), true, &run);
    let failed = failures(&report);
    assert!(
        failed
            .iter()
            .any(|f| f.contains("dashboard lookout-payments-api")
                && f.contains("owned by lookout project `shop`, not this project `bank`")),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|f| f.contains("ingest pipeline lookout-logs-payments-api")
                && f.contains("project `shop`")),
        "{failed:?}"
    );
    // A data view has no description: its visualisations say whose it is.
    for object in [
        "data view lookout-logs-payments-api",
        "dashboard lookout-payments-api-access-logs",
    ] {
        assert!(
            failed
                .iter()
                .any(|f| f.contains(object) && f.contains("project `shop`")),
            "{object}: {failed:?}"
        );
    }
    let state = grafana.state.lock().unwrap();
    let (live, _) = &state.dashboards["lookout-payments-api"];
    assert!(live["tags"]
        .as_array()
        .unwrap()
        .contains(&json!("lookout-project:shop")));
}

/// Kibana is read with `_export` (not the saved objects CRUD routes,
/// deprecated since 8.7, which the fake refuses), a data view is deleted
/// through the data views API, and Lens and dashboards, which have no
/// supported delete, through the deprecated one.
#[test]
fn kibana_reads_by_export_and_prunes_data_views_through_their_api() {
    let kibana = fakes::kibana(None);
    let dir = project(&format!(
        "project: shop\nkibana: {{url: {}}}\n",
        kibana.url()
    ));
    let mut run = only(&["kibana"]);
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    // ingress-nginx's access logs go: its eight objects are pruned.
    let spec = dir.path().join("slos/ingress-nginx.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace(
            "destinations: [loki, elasticsearch]",
            "destinations: [loki]",
        ),
    )
    .unwrap();
    run.mode.prune = true;
    kibana.server.clear();
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    let writes = kibana.writes();
    assert!(
        writes.contains(&"DELETE /api/data_views/data_view/lookout-logs-ingress-nginx".to_string()),
        "{writes:?}"
    );
    assert!(
        writes.contains(
            &"DELETE /api/saved_objects/dashboard/lookout-ingress-nginx-access-logs?force=true"
                .to_string()
        ),
        "{writes:?}"
    );
    assert_eq!(writes.len(), 8, "{writes:?}");
    assert!(writes[0].contains("/dashboard/") && writes[7].contains("/data_views/"));
    assert!(kibana
        .server
        .calls()
        .iter()
        .all(|c| !c.contains("_bulk_get") && !c.contains("_find")));

    // Past Kibana's export limit, the plan fails with Kibana's reason.
    kibana.state.lock().unwrap().export_limit = 3;
    let report = push(dir.path(), false, &run);
    let failed = failures(&report);
    assert!(
        failed
            .iter()
            .any(|f| f.contains("Can't export more than 3 objects")
                && f.contains("savedObjects.maxImportExportSize")),
        "{failed:?}"
    );
}

/// Kibana objects an older lookout wrote (managed, marked, no project) are
/// kept by --prune and said to be; --claim-legacy prunes them. A data view
/// with no visualisation of a project's beside it is legacy too.
#[test]
fn kibana_legacy_objects_are_kept_until_claimed() {
    let kibana = fakes::kibana(None);
    let dir = project(&format!(
        "project: shop\nkibana: {{url: {}}}\n",
        kibana.url()
    ));
    let mut run = only(&["kibana"]);
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    {
        let mut state = kibana.state.lock().unwrap();
        state.objects.insert(
            ("lens".into(), "lookout-old-requests".into()),
            json!({"type": "lens", "id": "lookout-old-requests", "managed": true,
                   "attributes": {"title": "old", "description": "Generated by lookout. DO NOT EDIT."},
                   "references": [{"type": "index-pattern", "id": "lookout-logs-old", "name": "x"}]}),
        );
        state.objects.insert(
            ("index-pattern".into(), "lookout-logs-old".into()),
            json!({"type": "index-pattern", "id": "lookout-logs-old", "managed": true,
                   "attributes": {"title": "lookout-logs-old"}, "references": []}),
        );
    }
    run.mode.prune = true;
    let plan = push(dir.path(), false, &run);
    let kept: Vec<&str> = plan.reports[0]
        .changes
        .iter()
        .filter(|c| {
            c.detail
                .as_ref()
                .is_some_and(|d| d.as_str().starts_with("kept:"))
        })
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(kept, ["lookout-old-requests", "lookout-logs-old"]);
    assert!(!plan.reports[0]
        .changes
        .iter()
        .any(|c| c.action == Action::Delete));

    run.mode.claim_legacy = true;
    kibana.server.clear();
    let report = push(dir.path(), true, &run);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(
        kibana.writes(),
        [
            "DELETE /api/saved_objects/lens/lookout-old-requests?force=true",
            "DELETE /api/data_views/data_view/lookout-logs-old",
        ]
    );
}
