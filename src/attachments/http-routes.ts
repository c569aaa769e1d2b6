import express from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AttachmentsConfig } from '../config.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { attachmentById, verifyDownload } from './attachments.js';
import type { AttachmentStore } from './store.js';
import { receiveUpload, verifyUploadToken } from './uploads.js';
import { DomainError } from '../shared/errors.js';

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
  const problem = (res: express.Response, status: number, code: string, message: string) =>
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  // `PUT /attachments/uploads/<token>`: the bytes of one file for a signed upload link (createAttachmentUpload).
  router.put(
    '/uploads/:token',
    (req, res, next) => {
      if (!verifyUploadToken(deps.config, req.params.token!, deps.clock.now()))
        return void problem(res, 404, 'NOT_FOUND', 'No such upload link (or it expired)');
      next();
    },
    express.raw({ type: () => true, limit: deps.config.maxFileBytes }),
    async (req, res, next) => {
      try {
        const claim = verifyUploadToken(deps.config, req.params.token!, deps.clock.now())!;
        const body = req.body as Buffer;
        if (!Buffer.isBuffer(body) || !body.length)
          return void problem(res, 400, 'BAD_REQUEST', 'The body is empty: send the file’s bytes');
        const row = await deps.orm.em
          .fork()
          .transactional((em) => receiveUpload(em, deps.store, deps.config, claim, body, deps.clock.now()));
        res.status(201).json({
          id: row.id,
          filename: row.filename,
          contentType: row.contentType,
          size: row.size,
          sha256: row.sha256,
        });
      } catch (err) {
        if (err instanceof DomainError) return void problem(res, 422, err.code, err.message);
        next(err);
      }
    },
  );
  router.use(
    (err: { type?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (err?.type === 'entity.too.large')
        return void problem(
          res,
          413,
          'PAYLOAD_TOO_LARGE',
          `The file is larger than ${deps.config.maxFileBytes} bytes`,
        );
      next(err);
    },
  );
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
