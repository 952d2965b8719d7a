// A custom dashboard: every SLO's error budget left, one row per team.
// lookout passes the compiled model as `std.extVar('lookout')`, so rule
// names, thresholds and uids come from the same source as the rules.
local lookout = std.extVar('lookout');
local ds = lookout.grafana.datasource;

local slos = std.flattenArrays([
  [slo { team: if service.team == null then 'no team' else service.team, uid: service.dashboard_uid } for slo in service.slos]
  for service in lookout.services
]);
local teams = std.set([slo.team for slo in slos]);

// A stat, not a gauge: an overspent budget is unbounded below (a total
// outage reads -99,900% on a 99.9% SLO), which a gauge's fixed minimum
// would clip.
local budget(slo, id, x, y) = {
  type: 'stat',
  id: id,
  title: '%s / %s' % [slo.service, slo.name],
  // A calendar SLO's budget is this period's, which resets at its start.
  description: '%s%% %s; error budget %s. Below 0%%, the budget is overspent.' % [
    slo.objective,
    if slo.calendar != null then 'per calendar ' + slo.window + ' (UTC' + slo.calendar.utc_offset + ')' else 'over ' + slo.window,
    slo.error_budget,
  ],
  datasource: ds,
  gridPos: { x: x, y: y, w: 6, h: 5 },
  targets: [{
    refId: 'A',
    datasource: ds,
    expr: '1 - ' + lookout.rules.period_burn_rate + slo.selector,
    legendFormat: slo.name,
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
      decimals: 1,
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
  options: {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    colorMode: 'background',
    graphMode: 'none',
    textMode: 'value',
  },
};

// Per team: a row, then its SLOs four to a line. Each team's block starts
// below the previous one; ids follow the order on screen.
local block(acc, team) =
  local mine = std.sort([s for s in slos if s.team == team], function(s) s.service + '/' + s.name);
  local lines = std.ceil(std.length(mine) / 4);
  local row = {
    type: 'row',
    id: acc.id,
    title: 'Team ' + team,
    collapsed: false,
    gridPos: { x: 0, y: acc.y, w: 24, h: 1 },
    panels: [],
  };
  local stats = [
    budget(mine[i], acc.id + 1 + i, (i % 4) * 6, acc.y + 1 + std.floor(i / 4) * 5)
    for i in std.range(0, std.length(mine) - 1)
  ];
  { id: acc.id + 1 + std.length(mine), y: acc.y + 1 + lines * 5, panels: acc.panels + [row] + stats };

{
  uid: 'lookout-error-budgets',
  title: 'Error budgets by team',
  description: 'Every SLO budget left, one row per team (custom jsonnet dashboard).',
  tags: ['custom'],
  editable: false,
  schemaVersion: lookout.grafana.schema_version,
  time: { from: 'now-30d', to: 'now' },
  templating: { list: [{ type: 'datasource', name: 'datasource', label: 'Prometheus', query: 'prometheus', hide: 0, refresh: 1, regex: '', options: [] }] },
  annotations: { list: [] },
  panels: std.foldl(block, teams, { id: 1, y: 0, panels: [] }).panels,
}
