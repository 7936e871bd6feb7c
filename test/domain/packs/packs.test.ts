/** Pack validation: every problem reported at once, naming pack, step and problem; templating. */
import { describe, expect, it } from 'vitest';
import { finalSteps, parsePack, renderPrompt, topologicalOrder } from '../../../src/domain/packs';
import { diskPacks } from '../../support/pack-kit';

const TEMPLATES = new Set(['assistant', 'researcher']);

describe('parsePack', () => {
  it('accepts the demo pack brief', () => {
    const brief = diskPacks().get('brief')!;
    expect(finalSteps(brief.steps)).toEqual(['summary']);
    expect(topologicalOrder(brief.steps).indexOf('outline')).toBe(0);
  });

  it('reports every graph, template and reference problem at once', () => {
    const parsed = parsePack(
      {
        name: 'broken',
        inputs: ['topic'],
        steps: [
          { id: 'a', template: 'assistant', prompt: 'x {{steps.c.output}}', depends_on: ['c'] },
          { id: 'b', template: 'nope', prompt: '{{input.other}} {{steps.a.output}} {{weird}}' },
          { id: 'c', template: 'assistant', prompt: 'y', depends_on: ['a', 'ghost'] },
          { id: 'b', template: 'assistant', prompt: 'z {{steps.missing.output}}', depends_on: ['b'] },
        ],
      },
      TEMPLATES,
    );
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems.map((p) => `${p.pack}/${p.step ?? '-'}: ${p.problem}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        "broken/b: step id 'b' is used twice",
        "broken/b: unknown template 'nope'",
        "broken/c: depends on unknown step 'ghost'",
        'broken/b: depends on itself',
        expect.stringMatching(/^broken\/a: dependency cycle a -> c -> a$/),
        "broken/b: reads input 'other', which the pack does not declare in \"inputs\"",
        "broken/b: reads the output of 'a', which is not among the steps it depends on",
        'broken/b: unknown placeholder {{weird}} (use {{input.<key>}} or {{steps.<id>.output}})',
        "broken/b: reads the output of unknown step 'missing'",
      ]),
    );
  });

  it('names the step of a schema problem', () => {
    const parsed = parsePack({ name: 'p', steps: [{ id: 'ok', template: 'assistant', prompt: 'x', retries: 99, extra: 1 }] }, TEMPLATES);
    expect(parsed.ok ? [] : parsed.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pack: 'p', step: 'ok', problem: expect.stringContaining('steps.0.retries') }),
        expect.objectContaining({ pack: 'p', step: 'ok', problem: expect.stringContaining('extra') }),
      ]),
    );
  });
});

describe('renderPrompt', () => {
  it('fills inputs and ancestor outputs, and refuses what is missing', () => {
    const prompt = 'On {{ input.topic }}: {{steps.outline.output}}';
    expect(renderPrompt(prompt, { input: { topic: 'tides' }, outputs: { outline: '1. moon' } })).toBe('On tides: 1. moon');
    expect(() => renderPrompt(prompt, { input: {}, outputs: { outline: '' } })).toThrow("no input 'topic'");
  });
});
