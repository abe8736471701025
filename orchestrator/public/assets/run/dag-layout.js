/**
 * Layered layout of the pipeline DAG: a node's column is the length of the
 * longest path from a root to it; within a column nodes are ordered by the
 * mean position of their parents (barycentre), which keeps edges from crossing.
 */

export function layoutDag(nodes) {
  const ids = Object.keys(nodes);
  const depth = new Map();
  const visiting = new Set();
  const depthOf = (id) => {
    if (depth.has(id)) return depth.get(id);
    if (visiting.has(id)) return 0; // a cycle cannot be recorded, but never loop on one
    visiting.add(id);
    const deps = (nodes[id]?.deps ?? []).filter((d) => d in nodes);
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  ids.forEach(depthOf);

  const columns = [];
  for (const id of ids) {
    const d = depth.get(id);
    (columns[d] ??= []).push(id);
  }
  const row = new Map();
  columns.forEach((col, c) => {
    const score = (id) => {
      const deps = (nodes[id]?.deps ?? []).filter((d) => row.has(d) && depth.get(d) === c - 1);
      const parents = deps.length > 0 ? deps : (nodes[id]?.deps ?? []).filter((d) => row.has(d));
      return parents.length === 0 ? 0 : parents.reduce((sum, p) => sum + row.get(p), 0) / parents.length;
    };
    col.sort((a, b) => score(a) - score(b) || a.localeCompare(b));
    col.forEach((id, i) => row.set(id, i - (col.length - 1) / 2));
  });
  return { columns: columns.map((c) => c ?? []), edges: reducedEdges(nodes) };
}

/**
 * The transitive reduction of the dependency edges: an edge u→v is drawn only
 * when no longer path u→…→v exists. Ordering is unchanged, and the drawing
 * loses the long edges that would cross every column (the full deps are in
 * each node's details).
 */
export function reducedEdges(nodes) {
  const depsOf = (id) => (nodes[id]?.deps ?? []).filter((d) => d in nodes);
  const ancestors = new Map();
  const ancestorsOf = (id, seen = new Set()) => {
    if (ancestors.has(id)) return ancestors.get(id);
    if (seen.has(id)) return new Set();
    seen.add(id);
    const out = new Set();
    for (const d of depsOf(id)) {
      out.add(d);
      for (const a of ancestorsOf(d, seen)) out.add(a);
    }
    ancestors.set(id, out);
    return out;
  };
  const edges = [];
  for (const to of Object.keys(nodes)) {
    const deps = depsOf(to);
    for (const from of deps) {
      const implied = deps.some((other) => other !== from && ancestorsOf(other).has(from));
      if (!implied) edges.push({ from, to });
    }
  }
  return edges;
}

/** All node ids in layout order (column by column), for rows of the timeline. */
export function layoutOrder(nodes) {
  return layoutDag(nodes).columns.flat();
}
