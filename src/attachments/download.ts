import express from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AttachmentsConfig } from '../config.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { attachmentById, verifyDownload } from './attachments.js';
import type { AttachmentStore } from './store.js';

/** Shown inline by browsers (never HTML, SVG or script: those are stored as application/octet-stream). */
const INLINE = /^(?:image\/(?:png|jpeg|gif|webp)|application\/pdf|text\/plain)$/;

/**
 * `GET /attachments/<id>?expires=…&sig=…`: the content of an attachment, for a link signed by the API
 * (downloadLink) that has not expired. A bad or expired link is a 404 (it says nothing of whether the
 * attachment exists). Served with its sniffed type, `nosniff` and a sandboxing CSP.
 */
export function attachmentRouter(deps: {
  orm: MikroORM;
  config: AttachmentsConfig;
  store: AttachmentStore;
  clock: Clock;
  logger: Logger;
}): express.Router {
  const router = express.Router();
  router.get('/:id', async (req, res, next) => {
    try {
      const id = req.params.id;
      const q = req.query as Record<string, string | undefined>;
      const notFound = () =>
        res
          .status(404)
          .json({ errors: [{ message: 'No such link (or it expired)', extensions: { code: 'NOT_FOUND' } }] });
      if (!verifyDownload(deps.config, id, q.expires, q.sig, deps.clock.now())) return void notFound();
      const em = deps.orm.em.fork();
      const row = await attachmentById(em, id);
      const content = row ? await deps.store.get(em, row.sha256) : undefined;
      if (!row || !content) return void notFound();
      const disposition = INLINE.test(row.contentType) ? 'inline' : 'attachment';
      res
        .status(200)
        .set({
          'content-type': row.contentType,
          'content-length': String(content.length),
          'content-disposition': `${disposition}; filename*=UTF-8''${encodeURIComponent(row.filename)}`,
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; sandbox",
          'cache-control': 'private, no-store',
        })
        .end(content);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
