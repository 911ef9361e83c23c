// The report's charts: echarts options rendered server-side to SVG strings (no hand-drawn geometry).
import * as echarts from 'echarts';
import type {
  CampaignReport,
  GoalReport,
  ModelReport,
  StageFlowReport,
} from '../../functions/domain/measurement/reportContract.js';

const INK = '#1f2937';
const MUTED = '#6b7280';
const BRAND = '#4f46e5';
const GOOD = '#059669';
const WARN = '#d97706';
const BASE = { animation: false, textStyle: { fontFamily: 'system-ui, sans-serif', color: INK } };

export function renderSvg(option: echarts.EChartsOption, width = 560, height = 320): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ ...BASE, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

/** Uplift in conversion rate per campaign: the estimate as a point, the 95 % interval as a bar. */
export function upliftChart(campaigns: readonly CampaignReport[]): string {
  const rows = campaigns.filter((c) => c.uplift);
  const names = rows.map((c) => c.campaignId);
  return renderSvg(
    {
      grid: { left: 190, right: 40, top: 20, bottom: 40 },
      xAxis: { type: 'value', axisLabel: { formatter: (v: number) => pct(v) } },
      yAxis: { type: 'category', data: names, inverse: true },
      series: [
        {
          type: 'bar',
          stack: 'ci',
          silent: true,
          itemStyle: { color: 'transparent' },
          data: rows.map((c) => c.uplift?.conversionRate.ciLow ?? 0),
        },
        {
          type: 'bar',
          stack: 'ci',
          name: '95 % interval',
          barWidth: 10,
          itemStyle: { color: '#c7d2fe', borderRadius: 5 },
          data: rows.map((c) =>
            c.uplift ? c.uplift.conversionRate.ciHigh - c.uplift.conversionRate.ciLow : 0,
          ),
        },
        {
          type: 'scatter',
          name: 'uplift',
          symbolSize: 14,
          data: rows.map((c, i) => ({
            value: [c.uplift?.conversionRate.absolute ?? 0, i],
            itemStyle: { color: c.verdict === 'significant' ? GOOD : MUTED },
          })),
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { color: INK, type: 'dashed' },
            data: [{ xAxis: 0 }],
          },
        },
      ],
    },
    1000,
    60 + 48 * Math.max(1, rows.length),
  );
}

/** Customers → sent → converters for one campaign's treatment group. */
export function funnelChart(c: CampaignReport): string {
  return renderSvg(
    {
      series: [
        {
          type: 'funnel',
          left: 10,
          right: 10,
          top: 10,
          bottom: 10,
          sort: 'none',
          minSize: '18%',
          label: { position: 'inside', color: '#fff', formatter: '{b}\n{c}' },
          data: [
            { name: 'customers', value: c.treatment.customers, itemStyle: { color: '#a5b4fc' } },
            { name: 'sent', value: c.engagement.sent, itemStyle: { color: '#818cf8' } },
            { name: 'converters', value: c.treatment.converters, itemStyle: { color: BRAND } },
          ],
        },
      ],
    },
    235,
    200,
  );
}

/** The stage flow as a Sankey: moves between life stages (the matrix without its zero diagonal). */
export function stageFlowChart(flow: StageFlowReport): string {
  const links = flow.matrix.flatMap((row, i) =>
    row.flatMap((n, j) =>
      n > 0 && i !== j ? [{ source: `${flow.stages[i]} `, target: ` ${flow.stages[j]}`, value: n }] : [],
    ),
  );
  const used = new Set(links.flatMap((l) => [l.source, l.target]));
  return renderSvg(
    {
      series: [
        {
          type: 'sankey',
          left: 20,
          right: 110,
          top: 10,
          bottom: 10,
          nodeGap: 10,
          emphasis: { focus: 'adjacency' },
          lineStyle: { color: 'gradient', opacity: 0.35 },
          label: { color: INK },
          data: [...used].map((name) => ({ name })),
          links,
        },
      ],
    },
    1000,
    360,
  );
}

/** Attrition: the baseline, the line of milepost targets and the measured rates. */
export function attritionChart(goal: GoalReport): string {
  const dates = goal.mileposts.map((m) => m.date);
  return renderSvg(
    {
      legend: { top: 0, data: ['target', 'measured'] },
      grid: { left: 60, right: 30, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: dates, axisLabel: { formatter: (v: string) => v.slice(0, 7) } },
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => pct(v) } },
      series: [
        {
          name: 'target',
          type: 'line',
          data: goal.mileposts.map((m) => m.target),
          lineStyle: { type: 'dashed', color: MUTED },
          itemStyle: { color: MUTED },
          markLine:
            goal.baseline.rate === null
              ? undefined
              : {
                  silent: true,
                  symbol: 'none',
                  label: { formatter: 'baseline' },
                  lineStyle: { color: WARN },
                  data: [{ yAxis: goal.baseline.rate }],
                },
        },
        {
          name: 'measured',
          type: 'line',
          symbolSize: 9,
          data: goal.mileposts.map((m) => m.actual),
          lineStyle: { width: 3, color: BRAND },
          itemStyle: { color: BRAND },
        },
      ],
    },
    1000,
    320,
  );
}

/** The model's cumulative repeat purchases, predicted against actual. */
export function trackingChart(model: ModelReport): string {
  return renderSvg(
    {
      legend: { top: 0, data: ['actual', 'predicted'] },
      grid: { left: 70, right: 30, top: 40, bottom: 40 },
      xAxis: {
        type: 'category',
        name: 'week',
        nameLocation: 'middle',
        nameGap: 26,
        data: model.tracking.map((p) => p.week),
      },
      yAxis: { type: 'value' },
      series: [
        {
          name: 'actual',
          type: 'line',
          data: model.tracking.map((p) => p.actual),
          lineStyle: { width: 3, color: INK },
          itemStyle: { color: INK },
          showSymbol: false,
        },
        {
          name: 'predicted',
          type: 'line',
          data: model.tracking.map((p) => p.predicted),
          lineStyle: { width: 3, type: 'dashed', color: BRAND },
          itemStyle: { color: BRAND },
          showSymbol: false,
        },
      ],
    },
    1000,
    300,
  );
}
