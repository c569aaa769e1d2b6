/**
 * How deep a request nests, measured without recursion before anything recursive sees it: GraphQL's
 * parser, variable coercion and JSON serialisation all recurse, and a request nested a few thousand
 * levels deep (a few kilobytes) would exhaust the stack ("Maximum call stack size exceeded", an HTTP
 * 500). Refused instead with a 400 on HTTP, and an `error` for that subscribe on the WebSocket, whose
 * connection stays open (docs/ACCESS.md, "Limits").
 */

/** Levels of `{`, `[` and `(` in a GraphQL document (far above any real query's, which stops at MAX_QUERY_DEPTH). */
export const MAX_DOCUMENT_NESTING = 100;
/** Levels of objects and lists in the variables (and extensions) of a request. */
export const MAX_VARIABLE_DEPTH = 32;

/** The deepest nesting of brackets in a GraphQL document, outside strings and comments. */
export function documentNesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '"') {
      if (text.startsWith('"""', i)) {
        i += 3;
        while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      }
    } else if (c === '{' || c === '[' || c === '(') {
      if (++depth > max) max = depth;
    } else if (c === '}' || c === ']' || c === ')') {
      depth--;
    }
  }
  return max;
}

/** Levels of objects and arrays in a JSON value (a scalar is 0), counted up to `limit + 1`. */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** What is wrong with a request's shape (its query text, variables and extensions), or undefined. */
export function nestingProblem(request: {
  query?: unknown;
  variables?: unknown;
  extensions?: unknown;
}): string | undefined {
  if (typeof request.query === 'string' && documentNesting(request.query) > MAX_DOCUMENT_NESTING)
    return `The document nests deeper than ${MAX_DOCUMENT_NESTING} levels`;
  for (const part of ['variables', 'extensions'] as const)
    if (jsonDepth(request[part], MAX_VARIABLE_DEPTH) > MAX_VARIABLE_DEPTH)
      return `The ${part} nest deeper than ${MAX_VARIABLE_DEPTH} levels`;
  return undefined;
}
