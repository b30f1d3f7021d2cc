import { z } from 'zod';
import { actionSpecs, events, executionSteps, finalStates, parseAction, states, templates, type ActionSpec, type CapabilityDefinition, type State, type Transition } from '../workflows/capability-model';
import { legendLine } from './render-definition';

const transitionSchema = z.strictObject({
  from: z.enum(states),
  event: z.enum(events),
  actions: z.array(z.enum(actionSpecs as [ActionSpec, ...ActionSpec[]])),
  to: z.enum(states),
});

const definitionSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _'),
  description: z.string().min(1),
  template: z.enum(templates),
  step: z.enum(executionSteps),
  initial: z.literal('Start'),
  transitions: z.array(transitionSchema).min(1),
  qa: z
    .strictObject({
      ingestStep: z.enum(executionSteps),
      deadlines: z
        .strictObject({
          reminderAfterMs: z.int().positive(),
          escalateAfterMs: z.int().positive(),
          deadlineMs: z.int().positive(),
          onDeadline: z.enum(['fail', 'keep-waiting']),
        })
        .refine((d) => d.reminderAfterMs < d.escalateAfterMs && d.escalateAfterMs < d.deadlineMs, 'reminder < escalation < deadline')
        .optional(),
    })
    .optional(),
  queue: z.strictObject({ maxConcurrent: z.int().min(1).max(10_000) }),
  recipients: z.strictObject({ reviewers: z.array(z.email()), dataAnalysts: z.array(z.email()), operators: z.array(z.email()) }),
  versions: z.strictObject({ singleVersionOnly: z.boolean(), retryWindowMs: z.int().min(0) }),
  sensitiveParameters: z.boolean().optional(),
  stepHeartbeatTimeoutMs: z.int().min(1_000).optional(),
  handoff: z
    .strictObject({ reminderAfterMs: z.int().positive(), deadlineMs: z.int().positive(), failureReason: z.string().min(1) })
    .refine((h) => h.reminderAfterMs < h.deadlineMs, 'reminder < deadline')
    .optional(),
});

export class DefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid capability definitions:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'DefinitionError';
  }
}

/**
 * Checks a definition beyond what the types can: every state reachable, every state able to
 * reach an end, no duplicate or dead transitions, actions only where they make sense. Returns the
 * problems, each naming the capability and the transition.
 */
export function definitionProblems(definition: unknown): string[] {
  const name = typeof (definition as { name?: unknown })?.name === 'string' ? (definition as { name: string }).name : '(unnamed)';
  const parsed = definitionSchema.safeParse(definition);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => `capability "${name}": ${issue.path.join('.') || 'definition'}: ${issue.message}`);
  }
  const def = parsed.data as CapabilityDefinition;
  const problems: string[] = [];
  const at = (t: Transition) => `capability "${def.name}": transition ${legendLine(t)}`;
  const isFinal = (s: State) => (finalStates as readonly State[]).includes(s);

  const seen = new Set<string>();
  for (const t of def.transitions) {
    const key = `${t.from}|${t.event}`;
    if (seen.has(key)) problems.push(`${at(t)}: duplicate — another transition already leaves [${t.from}] on <${t.event}>`);
    seen.add(key);
    if (isFinal(t.from)) problems.push(`${at(t)}: [${t.from}] is final; nothing may leave it`);
    const names = t.actions.map((a) => parseAction(a).action);
    if ((names.includes('QaPass') || names.includes('QaFail')) && t.from !== 'AwaitingQa') {
      problems.push(`${at(t)}: QaPass/QaFail only make sense when leaving [AwaitingQa]`);
    }
    if (names.includes('Ingest') && !def.qa) problems.push(`${at(t)}: Ingest needs the definition's qa.ingestStep`);
    if (new Set(t.actions).size !== t.actions.length) problems.push(`${at(t)}: an action is listed twice`);
  }

  const used = new Set<State>([def.initial, ...def.transitions.flatMap((t) => [t.from, t.to])]);
  const reachable = closure<State>([def.initial], (s) => def.transitions.filter((t) => t.from === s).map((t) => t.to));
  for (const state of used) {
    if (!reachable.has(state)) problems.push(`capability "${def.name}": state [${state}] is unreachable from [${def.initial}]`);
  }
  for (const state of used) {
    if (isFinal(state)) continue;
    if (!def.transitions.some((t) => t.from === state)) {
      problems.push(`capability "${def.name}": state [${state}] has no way out`);
    } else if (![...closure<State>([state], (s) => def.transitions.filter((t) => t.from === s).map((t) => t.to))].some(isFinal)) {
      problems.push(`capability "${def.name}": state [${state}] can never reach an end (Complete, Failed or Cancelled)`);
    }
  }
  if (!def.transitions.some((t) => t.from === def.initial && t.event === 'capability-submitted')) {
    problems.push(`capability "${def.name}": nothing leaves [${def.initial}] on <capability-submitted>`);
  }
  return problems;
}

/** Validates every definition; throws one error listing all problems (start-up refuses to run). */
export function assertValidDefinitions(definitions: Record<string, unknown>): void {
  const problems = Object.entries(definitions).flatMap(([key, def]) => {
    const own = definitionProblems(def);
    const declared = (def as { name?: unknown })?.name;
    return declared === key ? own : [...own, `capability "${key}": registered under "${key}" but named "${String(declared)}"`];
  });
  if (problems.length) throw new DefinitionError(problems);
}

function closure<T>(start: T[], next: (t: T) => T[]): Set<T> {
  const seen = new Set<T>(start);
  const queue = [...start];
  while (queue.length) {
    for (const n of next(queue.shift()!)) {
      if (seen.has(n)) continue;
      seen.add(n);
      queue.push(n);
    }
  }
  return seen;
}
