import express, { type Express, type Request } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpsConfig } from '../config.js';
import type { Logger } from '../shared/logger.js';

/**
 * The browser pages Docket serves itself, bundled from npm at build time (web/build.mjs → dist/web),
 * so they work with no internet: GraphiQL at `GET /graphql` for a browser (a request that prefers
 * HTML and carries no `query`), and the live wallboard at `/wallboard`. Their scripts and styles are
 * under `/assets/`. Both pages ask for a bearer token and keep it in the browser.
 */
export function mountBrowserPages(app: Express, ops: OpsConfig, logger: Logger): void {
  if (!ops.graphiql && !ops.wallboard) return;
  const dir = webDir();
  const page = (name: string) => path.join(dir, 'pages', `${name}.html`);
  if (!existsSync(page('graphiql'))) {
    logger.warn(
      { dir },
      'the browser pages are not built (GraphiQL and the wallboard answer 503): run npm run build',
    );
  }
  const send = (name: string) => (_req: Request, res: express.Response) => {
    if (!existsSync(page(name))) {
      res
        .status(503)
        .type('text/plain')
        .send('This page is not built: run `npm run build` (it bundles GraphiQL and the wallboard).');
      return;
    }
    res.set('cache-control', 'no-cache').sendFile(page(name));
  };
  // Fixed file names: browsers revalidate (ETag) rather than cache them for ever.
  app.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { index: false, maxAge: 0, fallthrough: false }),
  );
  if (ops.wallboard) app.get('/wallboard', send('wallboard'));
  if (ops.graphiql) {
    const ide = send('graphiql');
    app.get('/graphql', (req, res, next) => {
      // Clients asking for JSON (and every GET carrying a query) go on to the API.
      if (req.query.query !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html')
        return next();
      ide(req, res);
    });
  }
}

/** dist/web of the installed package, whether this module runs from dist/src (node) or src (tests). */
function webDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.join(dir, 'dist', 'web');
}
