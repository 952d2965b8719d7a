//! Reads `{"<component>": "<VRL source>", …}` on stdin and compiles each
//! program with the VRL standard library; exits 1 on the first error.

use std::io::Read;

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let programs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&input).expect("a JSON object of programs");
    let functions = vrl::stdlib::all();
    let mut failed = false;
    for (component, source) in &programs {
        let source = source.as_str().expect("a program is a string");
        match vrl::compiler::compile(source, &functions) {
            Ok(_) => println!("ok: {component}"),
            Err(diagnostics) => {
                failed = true;
                eprintln!(
                    "{component}:\n{}",
                    vrl::diagnostic::Formatter::new(source, diagnostics)
                );
            }
        }
    }
    println!("{} compiled, {}", programs.len(), if failed { "with errors" } else { "no errors" });
    std::process::exit(i32::from(failed));
}
