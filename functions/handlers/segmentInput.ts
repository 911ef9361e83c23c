import { z } from 'zod';
import { parseWaveId } from '../domain/delivery/sendWaves.js';
import { isoDateSchema } from '../domain/night/dates.js';

const SegmentFields = z.object({
  runDate: isoDateSchema,
  segment: z.number().int().min(0),
  totalSegments: z.number().int().positive(),
  done: z.boolean().optional(),
});

const belowTotal = (v: { segment: number; totalSegments: number }) => v.segment < v.totalSegments;

/** One Map item: a parallel-scan segment of one night. */
export const SegmentInput = SegmentFields.refine(belowTotal, 'segment must be below totalSegments');

export type SegmentInput = z.infer<typeof SegmentInput>;

/**
 * A planned send wave as the state machine passes it (the PlanWaves output, one item of the wave
 * Map). Its id names its UTC window; the two must agree, so a hand-edited input cannot send outside it.
 */
export const WaveInput = z
  .looseObject({
    waveId: z.string().min(1),
    opensAt: z.iso.datetime(),
    closesAt: z.iso.datetime(),
    emails: z.number().int().nonnegative().optional(),
    /** Waves whose windows overlap this one's, itself included: they share the send rate. */
    overlapping: z.number().int().positive().optional(),
  })
  .superRefine((wave, ctx) => {
    const named = parseWaveId(wave.waveId);
    const opensAt = Date.parse(wave.opensAt);
    const closesAt = Date.parse(wave.closesAt);
    if (!named) {
      ctx.addIssue({
        code: 'custom',
        path: ['waveId'],
        message: `"${wave.waveId}" is not a wave id (want e.g. 2026-12-03T14:00Z/2026-12-03T16:00Z)`,
      });
    } else if (named.opensAt !== opensAt || named.closesAt !== closesAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['waveId'],
        message: `"${wave.waveId}" does not name the window ${wave.opensAt}–${wave.closesAt}`,
      });
    }
  });

export type WaveInput = z.infer<typeof WaveInput>;

/** One item of a wave's segment Map: a segment of one night, sent in one wave. */
export const SendSegmentInput = SegmentFields.extend({ wave: WaveInput }).refine(
  belowTotal,
  'segment must be below totalSegments',
);

export type SendSegmentInput = z.infer<typeof SendSegmentInput>;

export interface SegmentOutput {
  runDate: string;
  segment: number;
  totalSegments: number;
  done: boolean;
}

export interface SendSegmentOutput extends SegmentOutput {
  wave: WaveInput;
}
