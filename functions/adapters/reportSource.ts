import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { GroupSizes, StoredNight } from '../domain/measurement/buildReport.js';
import { addDays } from '../domain/night/dates.js';
import type { RunSummary } from '../domain/night/summary.js';
import type { IsoDate } from '../domain/types.js';
import { AttributionStore } from './attributionStore.js';
import { SendFeedbackStore } from './sendStats.js';
import type { TableNames } from './tableNames.js';

/** Nights read at once: each is a handful of small requests. */
const NIGHTS_AT_ONCE = 8;

/**
 * What the report reads, per night: the run record's summary (group sizes per campaign segment, stage
 * and recency counts, the model check), the night's attribution sums (one Query of one partition) and
 * each campaign's SES event counters (one GetItem each). All of it lives in the config table, so the
 * report costs O(nights × campaigns) requests whatever the number of customers, locally and on AWS.
 */
export class ReportSource {
  private readonly attribution: AttributionStore;
  private readonly feedback: SendFeedbackStore;

  /** Only the config table is read: that is all the report needs (`--target aws` names just it). */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly configTable: string,
  ) {
    // The stores below are used for their reads of the config table only.
    const tables: TableNames = {
      customers: '',
      orders: '',
      ledger: '',
      suppression: '',
      config: configTable,
    };
    this.attribution = new AttributionStore(db, tables, {
      retentionDays: 1,
      now: () => new Date(),
      defaultDays: 1,
    });
    this.feedback = new SendFeedbackStore(db, tables);
  }

  /** Every night from `from` to `to` (inclusive) that has a run summary, in date order. */
  async nights(from: IsoDate, to: IsoDate): Promise<StoredNight[]> {
    const dates: IsoDate[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) dates.push(d);
    const out: StoredNight[] = [];
    for (let i = 0; i < dates.length; i += NIGHTS_AT_ONCE) {
      const batch = await Promise.all(dates.slice(i, i + NIGHTS_AT_ONCE).map((d) => this.night(d)));
      for (const n of batch) if (n) out.push(n);
    }
    return out;
  }

  async night(runDate: IsoDate): Promise<StoredNight | undefined> {
    const record = await this.db.send(
      new GetCommand({
        TableName: this.configTable,
        Key: { pk: `RUN#${runDate}`, sk: 'RECORD' },
        ProjectionExpression: 'summary',
        ConsistentRead: true,
      }),
    );
    const summary = record.Item?.summary as RunSummary | undefined;
    if (!summary) return undefined;
    const groups: GroupSizes[] = (summary.campaigns ?? []).map((c) => ({
      campaignId: c.campaignId,
      segmentId: c.segmentId,
      treatment: c.send,
      holdout: c.holdout,
      globalControl: c.globalControl,
      sent: c.sent,
    }));
    const campaignIds = [...new Set(groups.map((g) => g.campaignId))];
    const [sums, stats] = await Promise.all([
      this.attribution.nightSums(runDate),
      Promise.all(campaignIds.map((id) => this.feedback.getStats(runDate, id))),
    ]);
    const events: Record<string, Record<string, number>> = {};
    for (const s of stats) if (s) events[s.campaignId] = s.counters;
    return {
      runDate,
      groups,
      sums,
      events,
      figures: { runDate, stages: summary.stages ?? {}, moves: summary.moves, recency: summary.recency },
      modelCheck: summary.modelCheck?.closed ?? null,
    };
  }
}
