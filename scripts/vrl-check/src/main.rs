//! Reads `{"programs": {"<name>": "<VRL source>", …}, "runs": [...]}` on
//! stdin. Compiles each program with the VRL standard library, then runs
//! each `{"program", "message", "field", "expect"}` on an event
//! `{"message": …}` and compares the event's `field` afterwards with
//! `expect` (null: the field is absent). Exits 1 on any error or mismatch.

use std::collections::BTreeMap;
use std::io::Read;

use vrl::compiler::{state::RuntimeState, Context, TargetValue, TimeZone};
use vrl::value::{Secrets, Value};

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let input: serde_json::Value = serde_json::from_str(&input).expect("JSON input");
    let functions = vrl::stdlib::all();
    let mut failed = false;
    let mut compiled = BTreeMap::new();
    let programs = input["programs"].as_object().expect("an object of programs");
    for (name, source) in programs {
        let source = source.as_str().expect("a program is a string");
        match vrl::compiler::compile(source, &functions) {
            Ok(result) => {
                println!("compiles: {name}");
                compiled.insert(name.clone(), result.program);
            }
            Err(diagnostics) => {
                failed = true;
                eprintln!(
                    "{name}:\n{}",
                    vrl::diagnostic::Formatter::new(source, diagnostics)
                );
            }
        }
    }
    let runs = input["runs"].as_array().cloned().unwrap_or_default();
    for run in &runs {
        let name = run["program"].as_str().unwrap();
        let Some(program) = compiled.get(name) else {
            failed = true;
            eprintln!("{name}: no such program");
            continue;
        };
        let message = run["message"].as_str().unwrap();
        let mut event = BTreeMap::new();
        event.insert("message".into(), Value::from(message));
        let mut target = TargetValue {
            value: Value::Object(event),
            metadata: Value::Object(BTreeMap::new()),
            secrets: Secrets::default(),
        };
        let mut state = RuntimeState::default();
        let timezone = TimeZone::default();
        let mut ctx = Context::new(&mut target, &mut state, &timezone);
        if let Err(error) = program.resolve(&mut ctx) {
            failed = true;
            eprintln!("{name} on {message}: {error}");
            continue;
        }
        let field = run["field"].as_str().unwrap();
        let got = match &target.value {
            Value::Object(fields) => fields.get(field).map(|v| match v.as_str() {
                Some(text) => text.into_owned(),
                None => format!("{v:?}"),
            }),
            _ => None,
        };
        let expected = run["expect"].as_str().map(str::to_string);
        if got == expected {
            println!("runs: {name} on {message} → {got:?}");
        } else {
            failed = true;
            eprintln!("{name} on {message}: got {got:?}, expected {expected:?}");
        }
    }
    println!(
        "{} compiled, {} runs, {}",
        programs.len(),
        runs.len(),
        if failed { "with errors" } else { "no errors" }
    );
    std::process::exit(i32::from(failed));
}
