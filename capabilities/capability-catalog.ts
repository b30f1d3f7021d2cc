import type { z } from 'zod';
import { builtInCapabilities } from '../workflows/capabilities';
import { capabilityParameterSchemas } from './capability-parameters';
import type { CapabilityDefinition } from '../workflows/capability-model';
import { renderLegend, renderMermaid } from './render-definition';
import { assertValidDefinitions, DefinitionError } from './validate-definition';

export interface CapabilityDescription {
  name: string;
  description: string;
  template: string;
  definition: CapabilityDefinition;
  legend: string;
  mermaid: string;
}

/**
 * The checked catalogue the worker and the API load at start-up: a broken definition stops the
 * process with a message naming the capability and the transition.
 */
export function loadCapabilityCatalog(
  definitions: Record<string, CapabilityDefinition> = { ...builtInCapabilities },
  parameterSchemas: Readonly<Record<string, z.ZodType<Record<string, unknown>>>> = capabilityParameterSchemas,
) {
  assertValidDefinitions(definitions);
  const missing = Object.keys(definitions).filter((name) => !parameterSchemas[name]);
  if (missing.length) throw new DefinitionError(missing.map((name) => `capability "${name}": no parameter schema in capabilities/capability-parameters.ts`));
  const described = Object.values(definitions).map(
    (definition): CapabilityDescription => ({
      name: definition.name,
      description: definition.description,
      template: definition.template,
      definition,
      legend: renderLegend(definition),
      mermaid: renderMermaid(definition),
    }),
  );
  return {
    list: () => described,
    find: (name: string) => described.find((c) => c.name === name),
    parametersOf: (name: string) => parameterSchemas[name],
  };
}

export type CapabilityCatalog = ReturnType<typeof loadCapabilityCatalog>;

/** For process entry points: a broken definition is a start-up error that names what is wrong. */
export function loadCapabilityCatalogOrExit(): CapabilityCatalog {
  try {
    return loadCapabilityCatalog();
  } catch (err) {
    if (err instanceof DefinitionError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
