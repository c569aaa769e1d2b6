/**
 * What a subscribed connection holds on the server: compares two V8 heap snapshots of the realtime
 * bench's Docket process (BENCH_WS_HEAP=<folder> writes one before and one after its clients subscribe)
 * and prints, per kind of heap object (a constructor, a closure's function, an array, a string, V8's
 * own structures), how many more there are and how many more bytes they take (self size), divided by the
 * number of connections.
 *
 *   node dist/bench/heap-diff.js <before.heapsnapshot> <after.heapsnapshot> <connections> [rows]
 *
 * Self sizes only: the sum over all kinds is the heap's growth (without the bytes of Buffers and other
 * memory outside the V8 heap, which `process.memoryUsage().external` counts).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Per kind ("type name"): objects and bytes (self size). */
export type HeapCensus = Map<string, { count: number; bytes: number }>;

/** Counts a snapshot's objects by kind: `object Foo` (constructor), `closure foo`, `array …`, `string`, … */
export function census(file: string): HeapCensus {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const out: HeapCensus = new Map();
  for (let i = 0; i < s.nodes.length; i += width) {
    const t = types[s.nodes[i + type]!]!;
    // Strings are named by their text: group them by kind only.
    const n = t === 'string' || t === 'concatenated string' || t === 'sliced string' || t === 'number';
    const key = n ? t : `${t} ${s.strings[s.nodes[i + name]!]!.slice(0, 60)}`;
    const c = out.get(key) ?? { count: 0, bytes: 0 };
    c.count++;
    c.bytes += s.nodes[i + size]!;
    out.set(key, c);
  }
  return out;
}

/** The growth per connection by kind, largest first, as text. */
export function describeGrowth(
  before: HeapCensus,
  after: HeapCensus,
  connections: number,
  rows = 40,
): string {
  const diff = [...after]
    .map(([key, a]) => {
      const b = before.get(key) ?? { count: 0, bytes: 0 };
      return { key, count: (a.count - b.count) / connections, bytes: (a.bytes - b.bytes) / connections };
    })
    .filter((d) => d.bytes !== 0 || d.count !== 0)
    .sort((x, y) => y.bytes - x.bytes);
  const total = diff.reduce((k, d) => k + d.bytes, 0);
  const lines = [`heap growth per connection (self sizes): ${(total / 1024).toFixed(2)} KB`];
  lines.push(`${'bytes'.padStart(8)} ${'objects'.padStart(8)}  kind`);
  for (const d of diff.slice(0, rows))
    lines.push(`${d.bytes.toFixed(0).padStart(8)} ${d.count.toFixed(2).padStart(8)}  ${d.key}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [before, after, n, rows] = process.argv.slice(2);
  if (!before || !after || !n || !(Number(n) > 0)) {
    console.error(
      'usage: node dist/bench/heap-diff.js <before.heapsnapshot> <after.heapsnapshot> <connections> [rows]',
    );
    process.exit(2);
  }
  console.log(describeGrowth(census(before), census(after), Number(n), rows ? Number(rows) : undefined));
}
