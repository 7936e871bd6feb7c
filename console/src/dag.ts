/** Laying out a pack's steps by dependency depth: a step sits one column right of the deepest step it
 * depends on, so every edge points rightwards. */
export interface GraphStep {
  id: string;
  template: string;
  depends_on: string[];
}

/** The steps in columns by depth (the pack's own order within a column). A dependency the graph does
 * not list counts as depth 0 (a pack the loader checked has none). */
export function layerSteps(steps: readonly GraphStep[]): GraphStep[][] {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    // A cycle cannot come from a loaded pack; laid flat rather than looping.
    if (!step || visiting.has(id)) return 0;
    visiting.add(id);
    const d = step.depends_on.length === 0 ? 0 : 1 + Math.max(...step.depends_on.map(depthOf));
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const columns: GraphStep[][] = [];
  for (const step of steps) (columns[depthOf(step.id)] ??= []).push(step);
  return columns.filter((column) => column !== undefined);
}
