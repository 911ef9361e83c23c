import { z } from 'zod';
import { isoDateSchema } from '../domain/night/dates.js';

/** One Map item: a parallel-scan segment of one night. */
export const SegmentInput = z
  .object({
    runDate: isoDateSchema,
    segment: z.number().int().min(0),
    totalSegments: z.number().int().positive(),
    done: z.boolean().optional(),
  })
  .refine((v) => v.segment < v.totalSegments, 'segment must be below totalSegments');

export type SegmentInput = z.infer<typeof SegmentInput>;

export interface SegmentOutput {
  runDate: string;
  segment: number;
  totalSegments: number;
  done: boolean;
}
