// `retention report --html FILE`: the lead wires this into the report command next to --json.
import { writeFileSync } from 'node:fs';
import type { Report } from '../../functions/domain/measurement/reportContract.js';
import { renderReportPage } from '../report/reportPage.js';

export function writeReportHtml(report: Report, file: string): void {
  writeFileSync(file, renderReportPage(report), 'utf8');
}
