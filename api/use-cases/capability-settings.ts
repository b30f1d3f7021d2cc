import type { Pool } from 'pg';
import type { CapabilityCatalog, CapabilityDescription } from '../../capabilities/capability-catalog';
import type { SlotDispatcher } from '../../capabilities/slot-dispatcher';
import { ensureSettings, queueCounts, updateSettings, type CapabilitySettings } from '../../db/capability-queue';
import type { Principal } from '../auth';
import { notFound } from '../problem';

export interface CapabilityDeps {
  catalog: CapabilityCatalog;
  db: Pool;
  slots: SlotDispatcher;
}

/** A capability as the API shows it: definition and renderings, plus its live queue settings. */
export async function describeCapability(deps: CapabilityDeps, capability: CapabilityDescription) {
  const [settings, queue] = await Promise.all([
    ensureSettings(deps.db, capability.name, capability.definition.queue.maxConcurrent),
    queueCounts(deps.db, capability.name),
  ]);
  return { ...capability, settings: settingsView(settings), queue };
}

export function findDescribed(deps: CapabilityDeps, name: string) {
  const capability = deps.catalog.find(name);
  if (!capability) throw notFound(`capability "${name}" does not exist`, 'name');
  return describeCapability(deps, capability);
}

/** Operator change; raising the limit or un-pausing lets waiting requests in at once. */
export async function changeSettings(
  deps: CapabilityDeps,
  name: string,
  principal: Principal,
  change: { maxConcurrent?: number; enabled?: boolean; paused?: boolean },
) {
  const capability = deps.catalog.find(name);
  if (!capability) throw notFound(`capability "${name}" does not exist`, 'name');
  await updateSettings(deps.db, name, capability.definition.queue.maxConcurrent, change, principal.id);
  await deps.slots.dispatch(name, capability.definition.queue.maxConcurrent);
  return describeCapability(deps, capability);
}

function settingsView(settings: CapabilitySettings) {
  return {
    maxConcurrent: settings.maxConcurrent,
    enabled: settings.enabled,
    paused: settings.paused,
    updatedAt: settings.updatedAt.toISOString(),
    updatedBy: settings.updatedBy,
  };
}
