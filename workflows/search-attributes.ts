/**
 * capflow's custom search attributes. The local dev server registers them at start
 * (`--search-attribute`); production registers them once with `temporal operator search-attribute create`.
 */
export const capabilityNameKey = { name: 'CapabilityName', type: 'KEYWORD' } as const;
export const capabilityStateKey = { name: 'CapabilityState', type: 'KEYWORD' } as const;
export const requestIdKey = { name: 'RequestId', type: 'KEYWORD' } as const;

export const searchAttributeKeys = [capabilityNameKey, capabilityStateKey, requestIdKey] as const;
