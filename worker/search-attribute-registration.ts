import { temporal } from '@temporalio/proto';
import type { Logger } from '../observability/logger';
import { searchAttributeKeys } from '../workflows/search-attributes';

type OperatorService = {
  listSearchAttributes(req: { namespace: string }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
  addSearchAttributes(req: { namespace: string; searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> }): Promise<unknown>;
};

/**
 * Registers capflow's search attributes when the namespace lacks them, so a fresh cluster works
 * without a manual step. Where the credentials may not (e.g. some Temporal Cloud keys), it warns
 * with the command an operator runs once instead.
 */
export async function ensureSearchAttributes(operatorService: OperatorService, namespace: string, logger: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  const existing = (await operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  const missing = searchAttributeKeys.filter((key) => !(key.name in existing));
  if (missing.length === 0) return;
  try {
    await operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
    });
    logger.info({ registered: missing.map((k) => k.name) }, 'search attributes registered');
  } catch (err) {
    const command = missing.map((k) => `--name ${k.name} --type Keyword`).join(' ');
    logger.warn({ err }, `could not register search attributes; run once: temporal operator search-attribute create --namespace ${namespace} ${command}`);
  }
}
