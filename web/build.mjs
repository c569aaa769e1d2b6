// Builds the browser pages Docket serves (GraphiQL at /graphql, the wallboard at /wallboard) from npm
// packages with esbuild, into dist/web/: pages/*.html and assets/<page>/*. Part of `npm run build`.
// Nothing is fetched at run time: the bundles carry React, GraphiQL, Monaco's workers and graphql-ws.
// A build whose inputs (web/, the lockfile, this script) have not changed since the last one is skipped.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const out = path.join(root, 'dist', 'web');
const stampFile = path.join(out, '.inputs');

function inputsHash() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(`${path.relative(root, file)}\0`).update(readFileSync(file));
    }
  };
  walk(web);
  hash.update(readFileSync(path.join(root, 'schema', 'schema.graphql')));
  hash.update(readFileSync(path.join(root, 'package-lock.json')));
  return hash.digest('hex');
}

const stamp = inputsHash();
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) process.exit(0);

const started = Date.now();
rmSync(out, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  target: ['chrome120', 'firefox120', 'safari17'],
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  logLevel: 'warning',
};
await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: { graphiql: 'web/graphiql/main.tsx' },
    outdir: path.join(out, 'assets', 'graphiql'),
    format: 'esm',
    jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.graphql': 'text' },
    assetNames: '[name]-[hash]',
  }),
  // Monaco's editor, JSON and GraphQL workers: classic scripts, loaded by MonacoEnvironment.getWorker.
  esbuild.build({
    ...common,
    entryPoints: {
      'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
      'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
      'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
    },
    outdir: path.join(out, 'assets', 'graphiql'),
    format: 'iife',
  }),
  esbuild.build({
    ...common,
    entryPoints: { wallboard: 'web/wallboard/main.ts' },
    outdir: path.join(out, 'assets', 'wallboard'),
    format: 'esm',
  }),
]);
mkdirSync(path.join(out, 'pages'), { recursive: true });
for (const page of ['graphiql', 'wallboard'])
  copyFileSync(path.join(web, page, 'index.html'), path.join(out, 'pages', `${page}.html`));
writeFileSync(stampFile, stamp);
console.log(
  `web: built GraphiQL and the wallboard into dist/web in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
