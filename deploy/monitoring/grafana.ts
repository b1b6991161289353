// Grafana on the box: the provisioning files (datasource, dashboard provider) and the small
// builder the dashboards are written with. Grafana reads them at start from read-only mounts.
import { stringify } from 'yaml';
import { ComposeDefinition } from '../model/definition';
import { PROMETHEUS_PORT } from './prometheus-config';

/** Mount points in the Grafana container (compose binds the rendered folders there, read-only). */
export const GRAFANA_PATHS = { provisioning: '/etc/grafana/provisioning', dashboards: '/etc/grafana/dashboards' } as const;
/** Grafana's default port inside its container. */
export const GRAFANA_PORT = 3000;
const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

export function renderDatasources(def: ComposeDefinition): string {
  const body = {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: DATASOURCE.uid,
        type: DATASOURCE.type,
        access: 'proxy',
        url: `http://prometheus:${PROMETHEUS_PORT}`,
        isDefault: true,
        editable: false,
        // Grafana's $__rate_interval needs the scrape interval to stay above it.
        jsonData: { timeInterval: `${def.target.monitoring.scrapeSeconds}s` },
      },
    ],
  };
  return `# Rendered by \`npm run synth\` from deploy/spillway.ts; do not edit.\n${stringify(body)}`;
}

export function renderDashboardProvider(): string {
  const body = {
    apiVersion: 1,
    providers: [
      {
        name: 'spillway',
        folder: 'Spillway',
        type: 'file',
        // The files are the source: edits in the UI are refused, so they cannot drift from git.
        disableDeletion: true,
        allowUiUpdates: false,
        options: { path: GRAFANA_PATHS.dashboards },
      },
    ],
  };
  return `# Rendered by \`npm run synth\` from deploy/spillway.ts; do not edit.\n${stringify(body)}`;
}

export interface Query {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** `timeseries` by default; `table` lists series (firing alerts). */
  type?: 'timeseries' | 'table';
}

/** A Grafana dashboard (schema 39: Grafana 10.4 and later) of rows of panels, three to a line. */
export function dashboard(uid: string, title: string, rows: Array<{ title: string; panels: PanelSpec[] }>): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ type: 'row', id: id++, title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    row.panels.forEach((p, i) => {
      const type = p.type ?? 'timeseries';
      panels.push({
        type,
        id: id++,
        title: p.title,
        description: p.description,
        datasource: DATASOURCE,
        gridPos: { h: 8, w: 8, x: (i % 3) * 8, y: y + Math.floor(i / 3) * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: type === 'table' ? { showHeader: true } : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
        targets: p.queries.map((q, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource: DATASOURCE,
          expr: q.expr,
          legendFormat: q.legend,
          ...(type === 'table' ? { instant: true, format: 'table' } : {}),
        })),
      });
    });
    y += Math.ceil(row.panels.length / 3) * 8;
  }
  return {
    uid,
    title,
    tags: ['spillway'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    timezone: 'utc',
    templating: { list: [] },
    annotations: { list: [] },
    panels,
  };
}

/** Every PromQL expression of a dashboard (for the checks in dashboards.spec.ts). */
export function dashboardExprs(board: Record<string, unknown>): string[] {
  const panels = board.panels as Array<{ targets?: Array<{ expr: string }> }>;
  return panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}
