/**
 * Public AWS list prices, us-east-1, on-demand, as published on the service pricing pages
 * (aws.amazon.com/dynamodb/pricing/on-demand, /lambda/pricing, /step-functions/pricing,
 * /ses/pricing). Taken from those pages as they stood in 2025 (DynamoDB after the November 2024
 * on-demand price cut) and not re-checked online when this was written on 2026-12-03: check
 * them before relying on a figure. Free tiers are ignored.
 */
export const PRICES_AS_OF = '2025 pricing pages, written down 2026-12-03';

export const US_EAST_1_PRICES = {
  /** DynamoDB on demand: per write request unit (1 KB) and read request unit (4 KB). */
  dynamodbWriteUnit: 0.625 / 1_000_000,
  dynamodbReadUnit: 0.125 / 1_000_000,
  /** DynamoDB standard table class storage, per GB-month. */
  dynamodbStorageGbMonth: 0.25,
  /** Lambda, x86_64, per GB-second of billed duration, and per request. */
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1_000_000,
  /**
   * Step Functions standard workflows, per state transition. Distributed Map child executions of
   * a standard workflow are billed the same way: every state the child enters is a transition.
   */
  stepFunctionsTransition: 0.025 / 1_000,
  /** SES outbound email, per message. */
  sesMessage: 0.1 / 1_000,
} as const;

export type Prices = { [K in keyof typeof US_EAST_1_PRICES]: number };
