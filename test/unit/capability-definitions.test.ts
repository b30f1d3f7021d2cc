import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadCapabilityCatalog } from '../../capabilities/capability-catalog';
import { renderLegend, renderMermaid } from '../../capabilities/render-definition';
import { definitionProblems, DefinitionError } from '../../capabilities/validate-definition';
import { builtInCapabilities } from '../../workflows/capabilities';
import type { CapabilityDefinition, Transition } from '../../workflows/capability-model';
import { run, withQa } from '../../workflows/templates';

const base = run({ name: 'demo', description: 'demo', step: 'null' });
const edit = (transitions: Transition[], extra: Partial<CapabilityDefinition> = {}): CapabilityDefinition => ({ ...base, ...extra, transitions });

describe('templates', () => {
  it('run: the source legend, plus cancel before the end', () => {
    expect(renderLegend(builtInCapabilities.null!)).toBe(
      [
        '[Start] - <capability-submitted> {QueueWorkflow} -> [Queued]',
        '[Queued] - <resume> {ExecuteWorkflow} -> [Executing]',
        '[Executing] - <workflow-complete> {SendMessage execution_complete} {SendNotification workflow-complete} -> [Complete]',
        '[Executing] - <workflow-failed> {SendMessage execution_failed} {SendNotification workflow-failed} -> [Failed]',
        '[Queued] - <cancel> -> [Cancelled]',
        '[Executing] - <cancel> -> [Cancelled]',
      ].join('\n'),
    );
  });

  it('withQa decorates a run template: success goes to AwaitingQa, then Ingesting', () => {
    const qa = withQa(base, { ingestStep: 'null' });
    const legend = renderLegend(qa).split('\n');
    expect(legend).toContain('[Executing] - <workflow-complete> {AnnounceQa} -> [AwaitingQa]');
    expect(legend).toContain('[AwaitingQa] - <qa-pass> {QaPass} {Ingest} -> [Ingesting]');
    expect(legend).toContain('[AwaitingQa] - <qa-fail> {QaFail} -> [Failed]');
    expect(legend).toContain('[Ingesting] - <workflow-complete> {SendMessage execution_complete} {SendNotification workflow-complete} -> [Complete]');
    expect(legend).toContain('[Ingesting] - <workflow-failed> {SendMessage execution_failed} {SendNotification ingest-failed} -> [Failed]');
    expect(legend.some((l) => l.startsWith('[Executing] - <workflow-complete>') && l.endsWith('[Complete]'))).toBe(false);
    expect(qa.template).toBe('run-with-qa');
    expect(base.template).toBe('run'); // the decorator does not touch its input
  });

  it('renders Mermaid with entry, labelled edges and ends', () => {
    const mermaid = renderMermaid(builtInCapabilities.null_qa!);
    expect(mermaid.split('\n')[0]).toBe('stateDiagram-v2');
    expect(mermaid).toContain('[*] --> Start');
    expect(mermaid).toContain('AwaitingQa --> Ingesting: qa-pass / QaPass, Ingest');
    expect(mermaid).not.toContain('Executing --> Complete');
    expect(mermaid).toContain('Complete --> [*]');
  });

  it('the built-in capabilities are valid', () => {
    for (const definition of Object.values(builtInCapabilities)) expect(definitionProblems(definition)).toEqual([]);
    expect(loadCapabilityCatalog().list().map((c) => c.name)).toEqual(Object.keys(builtInCapabilities));
    expect(Object.keys(builtInCapabilities)).toEqual(['null', 'null_qa', 'identity_proofing', 'document_upload', 'calibration', 'registration']);
  });
});

describe('definition validation names the capability and the transition', () => {
  it('rejects a duplicate transition', () => {
    const problems = definitionProblems(edit([...base.transitions, { from: 'Queued', event: 'resume', actions: [], to: 'Failed' }]));
    expect(problems).toContainEqual(expect.stringMatching(/^capability "demo": transition \[Queued\] - <resume> -> \[Failed\]: duplicate/));
  });

  it('rejects an unreachable state', () => {
    const problems = definitionProblems(edit([...base.transitions, { from: 'AwaitingQa', event: 'qa-fail', actions: [], to: 'Failed' }]));
    expect(problems).toContain('capability "demo": state [AwaitingQa] is unreachable from [Start]');
  });

  it('rejects a state with no way out', () => {
    const problems = definitionProblems(edit(base.transitions.filter((t) => t.from !== 'Executing')));
    expect(problems).toContain('capability "demo": state [Executing] has no way out');
  });

  it('rejects a loop that can never end', () => {
    const problems = definitionProblems(
      edit([
        { from: 'Start', event: 'capability-submitted', actions: [], to: 'Queued' },
        { from: 'Queued', event: 'resume', actions: [], to: 'Executing' },
        { from: 'Executing', event: 'workflow-failed', actions: [], to: 'Queued' },
      ]),
    );
    expect(problems).toContain('capability "demo": state [Executing] can never reach an end (Complete, Failed or Cancelled)');
  });

  it('rejects leaving a final state, misplaced QA actions, and actions not implemented', () => {
    const problems = definitionProblems(
      edit([
        ...base.transitions.filter((t) => !(t.from === 'Queued' && t.event === 'resume')),
        { from: 'Queued', event: 'resume', actions: ['ExecuteWorkflow', 'QaPass', 'ExecuteWorkflow'], to: 'Executing' },
        { from: 'Complete', event: 'cancel', actions: [], to: 'Cancelled' },
      ]),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\[Complete\] - <cancel> -> \[Cancelled\]: \[Complete\] is final/),
        expect.stringMatching(/\[Queued\] - <resume> .*: QaPass\/QaFail only make sense when leaving \[AwaitingQa\]/),
        expect.stringMatching(/\[Queued\] - <resume> .*: an action is listed twice/),
      ]),
    );
  });

  it('rejects unknown steps, states and actions (definitions that bypassed the types)', () => {
    const broken = { ...base, step: 'teleport', transitions: [{ from: 'Start', event: 'capability-submitted', actions: ['Dance'], to: 'Nowhere' }] };
    const problems = definitionProblems(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^capability "demo": step:/),
        expect.stringMatching(/^capability "demo": transitions\.0\.actions\.0:/),
        expect.stringMatching(/^capability "demo": transitions\.0\.to:/),
      ]),
    );
  });

  it('stops loading with one error that lists every problem', () => {
    const broken = edit(base.transitions.filter((t) => t.from !== 'Executing'));
    const schemas = { demo: z.strictObject({}), other: z.strictObject({}), renamed: z.strictObject({}) };
    expect(() => loadCapabilityCatalog({ demo: broken, other: { ...base, name: 'other' } }, schemas)).toThrow(DefinitionError);
    expect(() => loadCapabilityCatalog({ demo: broken }, schemas)).toThrow(/state \[Executing\] has no way out/);
    expect(() => loadCapabilityCatalog({ renamed: base }, schemas)).toThrow(/registered under "renamed" but named "demo"/);
    expect(() => loadCapabilityCatalog({ demo: base }, {})).toThrow(/capability "demo": no parameter schema/);
  });
});

describe('documentation', () => {
  it("the README's null_qa legend is the rendering itself", () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Capabilities'));
    const block = section.slice(section.indexOf('```\n') + 4, section.indexOf('\n```', section.indexOf('```\n') + 4));
    expect(block).toBe(renderLegend(builtInCapabilities.null_qa!));
  });
});
