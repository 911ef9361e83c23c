// The self-contained report page: inline CSS and inline SVG charts, no script, no external request.
import type { CampaignReport, Report } from '../../functions/domain/measurement/reportContract.js';
import { attritionChart, funnelChart, stageFlowChart, trackingChart, upliftChart } from './reportCharts.js';

/** Every string from data goes through here before it reaches the page. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`;
const num = (v: number) => Math.round(v).toLocaleString('en-US');

const CSS = `body{margin:0;font-family:system-ui,sans-serif;color:#1f2937;background:#f3f4f6}
header{background:linear-gradient(120deg,#4f46e5,#7c3aed);color:#fff;padding:28px 40px}
header h1{margin:0 0 4px;font-size:26px}header p{margin:0;opacity:.85}
main{padding:24px 40px;display:grid;gap:20px;max-width:1080px}
section{background:#fff;border-radius:14px;padding:20px 24px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:0 0 12px;font-size:18px}.kpis{display:flex;gap:16px;flex-wrap:wrap}
.kpi{flex:1;min-width:160px;background:#eef2ff;border-radius:10px;padding:12px 16px}
.kpi b{display:block;font-size:24px;color:#4338ca}.kpi span{color:#6b7280;font-size:13px}
.funnels{display:flex;flex-wrap:wrap;gap:12px}.funnel{text-align:center}.funnel h3{font-size:14px;margin:4px 0}
.badge{display:inline-block;border-radius:999px;padding:2px 10px;font-size:13px;background:#e5e7eb}
.on_track,.achieved,.significant{background:#d1fae5;color:#065f46}.off_track{background:#fee2e2;color:#991b1b}
.empty{color:#6b7280;font-style:italic}`;

function kpi(value: string, label: string): string {
  return `<div class="kpi"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

const missing = (what: string) => `<p class="empty">${escapeHtml(what)}</p>`;

function funnel(c: CampaignReport): string {
  return `<div class="funnel"><h3>${escapeHtml(c.campaignId)}</h3>${funnelChart(c)}</div>`;
}

/** The whole page as one HTML string. Sections that are null in the report say so instead of a chart. */
export function renderReportPage(report: Report): string {
  const p = report.program;
  const g = report.goal;
  const f = report.stageFlow;
  const m = report.model;
  const parts = [
    section(
      'The program against the global control group',
      `<div class="kpis">${kpi(pct(p.uplift?.conversionRate.absolute), 'extra conversion rate')}${kpi(
        p.incrementalRevenue ? num(p.incrementalRevenue.estimate) : '–',
        'incremental revenue',
      )}${kpi(num(p.treatment.customers), 'customers treated')}${kpi(p.verdict.replace('_', ' '), 'verdict')}</div>`,
    ),
    section(
      'Uplift per campaign (95 % interval)',
      report.campaigns.length > 0 ? upliftChart(report.campaigns) : missing('No campaign in this window.'),
    ),
    section(
      'Funnel per campaign: customers → sent → converters',
      report.campaigns.length > 0
        ? `<div class="funnels">${report.campaigns.map(funnel).join('')}</div>`
        : missing('No campaign in this window.'),
    ),
    section(
      g ? `Goal: ${g.name}` : 'Goal',
      g
        ? `<p><span class="badge ${escapeHtml(g.status)}">${escapeHtml(g.status.replace('_', ' '))}</span> baseline ${pct(
            g.baseline.rate,
          )} → now ${pct(g.current?.rate)}, target ${pct(g.target.rate)} by ${escapeHtml(g.target.by)}</p>${attritionChart(g)}`
        : missing('No goal file given.'),
    ),
    section(
      f ? `Life-stage moves, ${f.from} to ${f.to}` : 'Life-stage moves',
      f
        ? `<div class="kpis">${kpi(num(f.highlights.activeToAtRisk), 'became at risk')}${kpi(
            num(f.highlights.atRiskBack),
            'came back from at risk',
          )}${kpi(num(f.highlights.reactivated), 'reactivated')}</div>${stageFlowChart(f)}`
        : missing('No nights with stage counters in this window.'),
    ),
    section(
      'Does the model predict? Cumulative repeat purchases',
      m
        ? `<p>MAE ${m.mae.toFixed(2)} against ${m.baseline.mae.toFixed(2)} for the naive baseline: ${
            m.beatsBaseline ? 'the model wins' : 'the model loses to the baseline'
          }.</p>${trackingChart(m)}`
        : missing('No model check in this window.'),
    ),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"><title>Retention report ${escapeHtml(
    report.window.from,
  )} – ${escapeHtml(report.window.to)}</title><style>${CSS}</style></head><body><header><h1>Did it work?</h1><p>Retention report, ${escapeHtml(
    report.window.from,
  )} to ${escapeHtml(report.window.to)}, ${escapeHtml(report.window.attributionDays)}-day attribution</p></header><main>${parts.join(
    '',
  )}</main></body></html>`;
}
