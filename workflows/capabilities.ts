import type { CapabilityDefinition } from './capability-model';
import { run } from './templates';

/** The capabilities this build of capflow offers, by name. */
export const builtInCapabilities: Readonly<Record<string, CapabilityDefinition>> = {
  null: run('null', 'null'),
};

export function findCapability(name: string): CapabilityDefinition | undefined {
  return Object.prototype.hasOwnProperty.call(builtInCapabilities, name) ? builtInCapabilities[name] : undefined;
}
