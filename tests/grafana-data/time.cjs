// Grafana's own reading of a panel's relative time (`timeFrom`), as
// public/app/features/query/state/updatePanelTimeRange applies it:
// rangeUtil.describeTextRange, then dateMath.parse of its `from`.
// The dashboard's `weekStart` is applied as Grafana applies it on load
// (setWeekStart). stdin: {timeFrom: [..], now: <ms>, timezone,
// weekStart}; stdout: [{display, invalid, from}].
'use strict';
const gd = require('@grafana/data');
globalThis.window = {};
globalThis.navigator = globalThis.navigator || { languages: ['en-US'] };

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { timeFrom, now, timezone, weekStart } = JSON.parse(input);
  if (weekStart) gd.setWeekStart(weekStart);
  const out = timeFrom.map((expr) => {
    const info = gd.rangeUtil.describeTextRange(expr);
    const from = gd.dateMath.parse(info.from, false, timezone, undefined, gd.dateTime(now));
    return { display: info.display, invalid: !!info.invalid, from: from ? from.valueOf() : null };
  });
  process.stdout.write(JSON.stringify(out));
}
main();
