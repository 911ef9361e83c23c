import { z } from 'zod';

/**
 * Operation counts per unit of work, measured by a local run (bench/pipeline.ts regenerates
 * bench/measured-profile.json). The plan multiplies these by the population and the prices.
 */
export const MeasuredProfileSchema = z.object({
  measuredOn: z.string(),
  howMeasured: z.string(),
  customers: z.number().int().positive(),
  segments: z.number().int().positive(),
  /** Steady night (the second of two in a row), scoring stage, per customer. */
  score: z.object({
    readUnitsPerCustomer: z.number().nonnegative(),
    writeUnitsPerCustomer: z.number().nonnegative(),
    /** Summed handler milliseconds per customer (what Lambda bills as duration). */
    handlerMsPerCustomer: z.number().nonnegative(),
    /** Customers one segment's invocation scores per second of its own wall time. */
    customersPerSecondPerSegment: z.number().positive(),
  }),
  /** Sending stage, per email sent (the first night, which sends). */
  send: z.object({
    readUnitsPerSend: z.number().nonnegative(),
    writeUnitsPerSend: z.number().nonnegative(),
    handlerMsPerSend: z.number().nonnegative(),
    /** Share of the population the measured night emailed. */
    measuredSendShare: z.number().min(0).max(1),
  }),
  /** Prepare: per customer read for the model fit (capped by the sample size), and fixed time. */
  prepare: z.object({
    readUnitsPerSampledCustomer: z.number().nonnegative(),
    handlerMs: z.number().nonnegative(),
  }),
  /** State transitions: fixed per night and per segment invocation (score and send loops). */
  transitions: z.object({ perNight: z.number().nonnegative(), perSegment: z.number().nonnegative() }),
  /** Average stored customer item, in bytes (storage). */
  customerItemBytes: z.number().positive(),
});
export type MeasuredProfile = z.infer<typeof MeasuredProfileSchema>;
