/**
 * Checks of a parsed pack that zod cannot express, all reported at once, each naming the pack, the
 * step and the problem: duplicate or unknown steps, cycles, unknown templates, and prompt
 * placeholders that read an undeclared input or a step that is not an ancestor.
 */
import type { PackDefinition, PackStep } from './schema';
import { references } from './render';

export interface PackProblem {
  pack: string;
  step?: string;
  problem: string;
}

export function checkPack(pack: PackDefinition, knownTemplates: ReadonlySet<string>): PackProblem[] {
  const problems: PackProblem[] = [];
  const report = (problem: string, step?: string) => problems.push({ pack: pack.name, ...(step ? { step } : {}), problem });
  const byId = new Map<string, PackStep>();
  for (const step of pack.steps) {
    if (byId.has(step.id)) report(`step id '${step.id}' is used twice`, step.id);
    byId.set(step.id, step);
  }
  for (const step of pack.steps) {
    if (!knownTemplates.has(step.template)) report(`unknown template '${step.template}'`, step.id);
    for (const dep of step.depends_on) {
      if (dep === step.id) report('depends on itself', step.id);
      else if (!byId.has(dep)) report(`depends on unknown step '${dep}'`, step.id);
    }
  }
  for (const cycle of findCycles(pack.steps, byId)) report(`dependency cycle ${cycle.join(' -> ')}`, cycle[0]);

  const ancestorsOf = ancestorSets(pack.steps, byId);
  const declaredInputs = new Set(pack.inputs);
  for (const step of pack.steps) {
    for (const ref of references(step.prompt)) {
      if (ref.kind === 'invalid') report(`unknown placeholder {{${ref.text}}} (use {{input.<key>}} or {{steps.<id>.output}})`, step.id);
      else if (ref.kind === 'input' && !declaredInputs.has(ref.key)) report(`reads input '${ref.key}', which the pack does not declare in "inputs"`, step.id);
      else if (ref.kind === 'step' && !byId.has(ref.step)) report(`reads the output of unknown step '${ref.step}'`, step.id);
      else if (ref.kind === 'step' && !ancestorsOf.get(step.id)?.has(ref.step)) {
        report(`reads the output of '${ref.step}', which is not among the steps it depends on`, step.id);
      }
    }
  }
  return problems;
}

export function formatPackProblems(problems: readonly PackProblem[]): string {
  return problems.map((p) => `pack '${p.pack}'${p.step ? ` step '${p.step}'` : ''}: ${p.problem}`).join('; ');
}

/** Steps in an order where every step comes after its dependencies (the graph must be acyclic). */
export function topologicalOrder(steps: readonly PackStep[]): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const byId = new Map(steps.map((step) => [step.id, step]));
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const dep of byId.get(id)?.depends_on ?? []) visit(dep);
    order.push(id);
  };
  for (const step of steps) visit(step.id);
  return order;
}

/** The steps no other step depends on: their outputs are the run's result. */
export function finalSteps(steps: readonly PackStep[]): string[] {
  const needed = new Set(steps.flatMap((step) => step.depends_on));
  return steps.filter((step) => !needed.has(step.id)).map((step) => step.id);
}

function findCycles(steps: readonly PackStep[], byId: Map<string, PackStep>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string) => {
    const seen = state.get(id);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      cycles.push([...path.slice(path.indexOf(id)), id]);
      return;
    }
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of byId.get(id)?.depends_on ?? []) if (dep !== id && byId.has(dep)) visit(dep);
    path.pop();
    state.set(id, 'done');
  };
  for (const step of steps) visit(step.id);
  return cycles;
}

function ancestorSets(steps: readonly PackStep[], byId: Map<string, PackStep>): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const walk = (id: string, trail: Set<string>): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const result = new Set<string>();
    if (trail.has(id)) return result; // a cycle, reported elsewhere
    trail.add(id);
    for (const dep of byId.get(id)?.depends_on ?? []) {
      if (!byId.has(dep)) continue;
      result.add(dep);
      for (const ancestor of walk(dep, trail)) result.add(ancestor);
    }
    trail.delete(id);
    memo.set(id, result);
    return result;
  };
  for (const step of steps) walk(step.id, new Set());
  return memo;
}
