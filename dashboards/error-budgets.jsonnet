// A custom dashboard: one budget gauge per SLO, grouped by team.
// lookout passes the compiled model as `std.extVar('lookout')`, so rule
// names, thresholds and uids come from the same source as the rules.
local lookout = std.extVar('lookout');
local ds = lookout.grafana.datasource;

local slos = std.flattenArrays([
  [slo { team: if service.team == null then 'no team' else service.team, uid: service.dashboard_uid } for slo in service.slos]
  for service in lookout.services
]);

local gauge(slo, i) = {
  type: 'gauge',
  id: i + 1,
  title: '%s / %s' % [slo.service, slo.name],
  description: '%s%% over %s; error budget %s.' % [slo.objective, slo.window, slo.error_budget],
  datasource: ds,
  gridPos: { x: (i % 4) * 6, y: std.floor(i / 4) * 6, w: 6, h: 6 },
  targets: [{
    refId: 'A',
    datasource: ds,
    expr: '1 - ' + lookout.rules.period_burn_rate + slo.selector,
    legendFormat: slo.team,
  }],
  links: [{
    title: 'Service dashboard',
    type: 'link',
    url: '/d/' + slo.uid,
    icon: 'dashboard',
    tooltip: '',
    tags: [],
    asDropdown: false,
    targetBlank: false,
    includeVars: false,
    keepTime: true,
  }],
  fieldConfig: {
    defaults: {
      unit: 'percentunit',
      min: -0.5,
      max: 1,
      thresholds: {
        mode: 'absolute',
        steps: [
          { value: null, color: 'red' },
          { value: 0, color: 'orange' },
          { value: 0.5, color: 'green' },
        ],
      },
    },
    overrides: [],
  },
  options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
};

local sorted = std.sort(slos, function(s) s.team + '/' + s.service + '/' + s.name);

{
  uid: 'lookout-error-budgets',
  title: 'Error budgets by team',
  description: 'Every SLO budget, grouped by team (custom jsonnet dashboard).',
  tags: ['lookout', 'custom'],
  editable: false,
  schemaVersion: lookout.grafana.schema_version,
  time: { from: 'now-30d', to: 'now' },
  templating: { list: [{ type: 'datasource', name: 'datasource', label: 'Prometheus', query: 'prometheus', hide: 0, refresh: 1, regex: '', options: [] }] },
  annotations: { list: [] },
  panels: [gauge(sorted[i], i) for i in std.range(0, std.length(sorted) - 1)],
}
