import 'reflect-metadata';
import { buildDocketSchema, printDocketSchema } from './schema.js';

/** Prints the SDL the code builds; `npm run schema:print` writes it to schema/schema.graphql. */
process.stdout.write(printDocketSchema(await buildDocketSchema()));
