import type { CapabilityDefinition, Transition } from '../workflows/capability-model';
import { finalStates } from '../workflows/capability-model';

/** One transition in the source system's legend: `[Executing] - <workflow-complete> {AnnounceQa} -> [AwaitingQa]`. */
export function legendLine(t: Pick<Transition, 'from' | 'event' | 'actions' | 'to'>): string {
  const actions = t.actions.map((a) => ` {${a}}`).join('');
  return `[${t.from}] - <${t.event}>${actions} -> [${t.to}]`;
}

export function renderLegend(definition: CapabilityDefinition): string {
  return definition.transitions.map(legendLine).join('\n');
}

/** A Mermaid `stateDiagram-v2`; edges are labelled `event / actions`. */
export function renderMermaid(definition: CapabilityDefinition): string {
  const used = new Set(definition.transitions.flatMap((t) => [t.from, t.to]));
  const lines = ['stateDiagram-v2', `  [*] --> ${definition.initial}`];
  for (const t of definition.transitions) {
    lines.push(`  ${t.from} --> ${t.to}: ${t.event}${t.actions.length ? ` / ${t.actions.join(', ')}` : ''}`);
  }
  for (const state of finalStates) if (used.has(state)) lines.push(`  ${state} --> [*]`);
  return lines.join('\n');
}
