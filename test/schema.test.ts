import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { buildDocketSchema, printDocketSchema } from '../src/server/schema.js';

describe('schema/schema.graphql', () => {
  it('is exactly the schema the code builds (run `npm run schema:print` after changing the API)', async () => {
    const committed = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(printDocketSchema(await buildDocketSchema())).toBe(committed);
  });
});
