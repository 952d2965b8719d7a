// Parses LogQL expressions with @grafana/lezer-logql, the grammar Grafana's
// query editor uses. Reads a JSON array of expressions on stdin and prints,
// for each, the byte offsets of parse errors (empty when it parses).
import { parser } from "@grafana/lezer-logql";
import { readFileSync } from "node:fs";

const expressions = JSON.parse(readFileSync(0, "utf8"));
const results = expressions.map((expr) => {
  const errors = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
});
console.log(JSON.stringify(results));
