// One night's decisions as the measurement sees them: which arm each (customer, campaign) decision
// put the customer in. Intention-to-treat: the arm is fixed at decision time, so a treatment email
// that bounced, failed or was skipped at send time is still treatment (docs/measurement.md).
import type { LedgerStatus } from '../delivery/ledger.js';

export type DecisionGroup = 'treatment' | 'holdout' | 'global_control';

export interface DecisionRow {
  customerId: string;
  campaignId: string;
  segmentId: string;
  group: DecisionGroup;
  status: LedgerStatus;
}

/** The arm a ledger status belongs to: anything chosen for sending is treatment, whatever became of it. */
export function decisionGroup(status: LedgerStatus): DecisionGroup {
  if (status === 'held_out') return 'holdout';
  if (status === 'global_control') return 'global_control';
  return 'treatment';
}

export const DECISION_COLUMNS = ['customer_id', 'campaign_id', 'segment_id', 'group', 'status'] as const;

/** The CSV cells of a row, in DECISION_COLUMNS order. */
export function decisionCells(row: DecisionRow): string[] {
  return [row.customerId, row.campaignId, row.segmentId, row.group, row.status];
}
