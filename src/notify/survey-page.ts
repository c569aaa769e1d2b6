import type { MikroORM } from '@mikro-orm/postgresql';
import express, { type Request, type Response } from 'express';
import type { Config } from '../config.js';
import { storableText } from '../server/input-guard.js';
import type { Clock } from '../shared/clock.js';
import { escapeHtml } from '../shared/html.js';
import { DomainError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { rateTicket, ratingLabel, surveyActor, surveyById, surveyOpen, type Survey } from './survey.js';
import { verifySurvey } from './survey-links.js';

/**
 * The small server-rendered page a one-click survey link lands on:
 * `GET /satisfaction/<surveyId>/<rating>?sig=…` records the rating (or changes it) and shows a form
 * to add a comment; the form POSTs back to the same address. The signature is the only credential
 * (see survey-links.ts): a wrong one is a 404 page that tells nothing. No script, no external
 * resource, nothing cached; every value shown is HTML-escaped.
 */
export function surveyRouter(deps: {
  config: Config;
  orm: MikroORM;
  clock: Clock;
  logger: Logger;
}): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    next();
  });
  const handle = async (req: Request, res: Response, comment?: string) => {
    const { surveyId, rating } = req.params as { surveyId: string; rating: string };
    const sig = String(req.query.sig ?? '');
    const em = deps.orm.em.fork();
    const survey = verifySurvey(deps.config.notify.surveySecret, surveyId, rating, sig)
      ? await surveyById(em, surveyId)
      : undefined;
    if (!survey)
      return void res
        .status(404)
        .type('html')
        .send(page('Link not valid', '<p>This survey link is not valid.</p>'));
    const [owner] = await em.execute<{ organization_id: string | null }[]>(
      'select organization_id from app_user where id = ?',
      [survey.requesterId],
    );
    const ctx = {
      actor: surveyActor(survey.requesterId, owner?.organization_id ?? undefined),
      em,
      clock: deps.clock,
      visibility: { requestersSeeOrganizationTickets: deps.config.requestersSeeOrganizationTickets },
    };
    try {
      const result = await em.transactional((tx) =>
        rateTicket({ ...ctx, em: tx }, { surveyId: survey.id, rating, comment }),
      );
      res.type('html').send(thanks(result.survey, req.originalUrl, comment !== undefined));
    } catch (err) {
      if (!(err instanceof DomainError)) {
        deps.logger.error({ err }, 'survey page failed');
        return void res
          .status(500)
          .type('html')
          .send(page('Something went wrong', '<p>Please try again later.</p>'));
      }
      const closed = !surveyOpen(survey, deps.clock.now()) || err.code === 'CONFLICT';
      res
        .status(closed ? 410 : 400)
        .type('html')
        .send(
          page(
            closed ? 'This survey has closed' : 'Not recorded',
            closed
              ? `<p>Ratings could be given until ${escapeHtml(survey.closesAt.toISOString())}.${survey.rating !== undefined ? ` Your rating: <strong>${escapeHtml(ratingLabel(survey)!)}</strong>.` : ''}</p>`
              : `<p>${escapeHtml(err.message)}</p>`,
          ),
        );
    }
  };
  router.get('/:surveyId/:rating', (req, res, next) => void handle(req, res).catch(next));
  router.post(
    '/:surveyId/:rating',
    express.urlencoded({ extended: false, limit: '16kb' }),
    (req, res, next) =>
      void handle(
        req,
        res,
        storableText(String((req.body as { comment?: string })?.comment ?? '').slice(0, 5000)),
      ).catch(next),
  );
  return router;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title></head>
<body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em; color: #1f2328;">
<h1 style="font-size: 1.4em;">${escapeHtml(title)}</h1>${body}</body></html>`;
}

function thanks(survey: Survey, action: string, commented: boolean): string {
  return page(
    'Thank you for your feedback',
    `<p>Your rating: <strong>${escapeHtml(ratingLabel(survey) ?? '')}</strong>. You can change it until ${escapeHtml(survey.closesAt.toISOString())} by using another link of the email.</p>
${commented ? '<p>Your comment was saved.</p>' : ''}
<form method="post" action="${escapeHtml(action)}">
<p><label for="comment">Anything you would like to add?</label></p>
<p><textarea id="comment" name="comment" rows="5" cols="50" maxlength="5000">${escapeHtml(survey.comment ?? '')}</textarea></p>
<p><button type="submit">Send</button></p>
</form>`,
  );
}
