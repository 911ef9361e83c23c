import type { Config } from '../config.js';

export interface TableNames {
  customers: string;
  orders: string;
  config: string;
  ledger: string;
  suppression: string;
}

export function tableNames(
  config: Pick<
    Config,
    'CUSTOMERS_TABLE' | 'ORDERS_TABLE' | 'CONFIG_TABLE' | 'LEDGER_TABLE' | 'SUPPRESSION_TABLE'
  >,
): TableNames {
  return {
    customers: config.CUSTOMERS_TABLE,
    orders: config.ORDERS_TABLE,
    config: config.CONFIG_TABLE,
    ledger: config.LEDGER_TABLE,
    suppression: config.SUPPRESSION_TABLE,
  };
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/**
 * Runs one conditional write: true when it was applied, false when its condition did not hold
 * (the usual answer of an idempotent or guarded write, not an error); anything else is thrown.
 */
export async function writeIf(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}
