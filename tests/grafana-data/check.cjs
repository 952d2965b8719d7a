// Runs generated Grafana panels through Grafana's own @grafana/data
// (tests/grafana_data.rs): frames built from real Prometheus answers, the
// panel's transformations run by transformDataFrame, and every cell shown
// by getDisplayProcessor. stdin: {panels: [{title, transformations,
// fieldConfig, options, targets: [{refId, format}], results: {refId:
// [{metric, value}]}}]}; stdout: one report per panel.
'use strict';

// Before `window` exists: nano-css, which @grafana/data loads, takes a
// browser path otherwise and fails under Node.
const gd = require('@grafana/data');
// transformDataFrame reads window.__grafanaSceneContext, and the date
// formats read navigator.languages, which Node 20 lacks.
globalThis.window = {};
globalThis.navigator = globalThis.navigator || { languages: ['en-US'] };

const seen = new Set();
const transformers = Object.values(gd.standardTransformers).filter(
  (t) => t && t.id && !seen.has(t.id) && seen.add(t.id)
);
gd.standardTransformersRegistry.setInit(() =>
  transformers.map((t) => ({
    id: t.id,
    aliasIds: t.aliasIds,
    transformation: () => Promise.resolve(t),
  }))
);

// The data source's table format, as
// packages/grafana-prometheus/src/result_transformer.ts `transformDFToTable`
// builds it from the backend's one-frame-per-series answer: per refId one
// frame of `Time`, one string field per label (the union, each series'
// labels sorted, in order of first appearance; '' where a series lacks
// one), and `Value #<refId>` when the response has more than one refId,
// else `Value`. The backend keeps `__name__` among the labels.
function tableFrames(targets, results) {
  const refIds = targets.filter((t) => t.format === 'table').map((t) => t.refId);
  return refIds.map((refId) => {
    const series = results[refId] || [];
    const labelNames = [];
    for (const s of series) {
      for (const name of Object.keys(s.metric).sort()) {
        if (!labelNames.includes(name)) labelNames.push(name);
      }
    }
    const time = { name: 'Time', type: gd.FieldType.time, config: {}, values: [] };
    const labels = labelNames.map((name) => ({
      name,
      type: gd.FieldType.string,
      config: { filterable: true },
      values: [],
    }));
    const value = {
      name: refIds.length > 1 ? `Value #${refId}` : 'Value',
      type: gd.FieldType.number,
      config: {},
      values: [],
    };
    for (const s of series) {
      time.values.push(s.value[0] * 1000);
      value.values.push(parseSample(s.value[1]));
      for (const field of labels) {
        field.values.push(Object.prototype.hasOwnProperty.call(s.metric, field.name) ? s.metric[field.name] : '');
      }
    }
    return {
      refId,
      fields: [time, ...labels, value],
      length: series.length,
      meta: { preferredVisualisationType: 'rawPrometheus' },
    };
  });
}

// result_transformer.ts parseSampleValue.
function parseSample(text) {
  if (/^[+-]?inf(?:inity)?$/i.test(text)) {
    return text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return parseFloat(text);
}

// Field config as packages/grafana-data/src/field/fieldOverrides.ts applies
// it: the defaults, then each override whose matcher matches the field sets
// its properties by path (`custom.cellOptions` → config.custom.cellOptions).
function configFor(field, frame, frames, fieldConfig, matchedOverrides) {
  const config = structuredClone(fieldConfig.defaults || {});
  (fieldConfig.overrides || []).forEach((override, index) => {
    const matcher = gd.fieldMatchers.get(override.matcher.id).get(override.matcher.options);
    if (!matcher(field, frame, frames)) return;
    matchedOverrides.add(index);
    for (const property of override.properties || []) {
      const path = property.id.split('.');
      let target = config;
      for (const key of path.slice(0, -1)) target = target[key] = target[key] || {};
      target[path[path.length - 1]] = property.value;
    }
  });
  return config;
}

async function runPanel(panel, theme) {
  const frames = tableFrames(panel.targets, panel.results);
  const output = await new Promise((resolve, reject) =>
    gd
      .transformDataFrame(panel.transformations || [], frames, { interpolate: (s) => s })
      .subscribe({ next: resolve, error: reject })
  );
  const matchedOverrides = new Set();
  const tables = output.map((frame) => {
    const fields = frame.fields.filter((f) => !(f.config && f.config.custom && f.config.custom.hidden));
    const columns = fields.map((field) => {
      const config = configFor(field, frame, output, panel.fieldConfig || {}, matchedOverrides);
      const display = gd.getDisplayProcessor({ field: { ...field, config }, theme });
      const empty = display(null);
      return {
        name: gd.getFieldDisplayName(field, frame, output),
        type: field.type,
        // What a stat panel shows when the query returns nothing.
        when_empty: { text: empty.text, color: empty.color ? colorName(empty.color, theme) : null },
        cells: field.values.map((v) => {
          const shown = display(v);
          return {
            value: typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
            text: `${shown.prefix || ''}${shown.text}${shown.suffix || ''}`,
            color: shown.color ? colorName(shown.color, theme) : null,
          };
        }),
      };
    });
    return { columns, length: frame.length };
  });
  const overrides = (panel.fieldConfig && panel.fieldConfig.overrides) || [];
  return {
    title: panel.title,
    tables,
    unmatched_overrides: overrides
      .map((o, i) => (matchedOverrides.has(i) ? null : JSON.stringify(o.matcher)))
      .filter((x) => x !== null),
  };
}

// Back from the theme's hex to the palette name the dashboard used.
function colorName(hex, theme) {
  for (const name of ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'text', 'transparent']) {
    if (theme.visualization.getColorByName(name) === hex) return name;
  }
  if (hex === theme.colors.text.primary) return 'text';
  // A value no threshold or mapping colours.
  if (hex === gd.FALLBACK_COLOR) return 'none';
  return hex;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { panels } = JSON.parse(input);
  const theme = gd.createTheme();
  const reports = [];
  for (const panel of panels) reports.push(await runPanel(panel, theme));
  process.stdout.write(JSON.stringify(reports));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
