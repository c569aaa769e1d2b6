import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SurveyScale } from './rules.js';

/**
 * One-click survey links: `<PUBLIC_URL>/satisfaction/<surveyId>/<rating>?sig=<hmac>`, where the
 * signature is HMAC-SHA256 (hex, first 32 characters) of "<surveyId>:<rating>" under a key derived
 * from the JWT secret. Whoever holds the link may rate that survey (it went to the requester), and
 * nothing else: the survey id and the rating are both signed.
 */
export const RATINGS: Record<SurveyScale, string[]> = {
  GOOD_BAD: ['good', 'bad'],
  ONE_TO_FIVE: ['1', '2', '3', '4', '5'],
};

export function signSurvey(secret: string, surveyId: string, rating: string): string {
  return createHmac('sha256', secret).update(`${surveyId}:${rating}`).digest('hex').slice(0, 32);
}

export function verifySurvey(secret: string, surveyId: string, rating: string, sig: string): boolean {
  const want = Buffer.from(signSurvey(secret, surveyId, rating));
  const got = Buffer.from(String(sig));
  return want.length === got.length && timingSafeEqual(want, got);
}

export function surveyLinks(
  publicUrl: string,
  secret: string,
  surveyId: string,
  scale: SurveyScale,
): Record<string, string> {
  return Object.fromEntries(
    RATINGS[scale].map((r) => [
      r,
      `${publicUrl}/satisfaction/${surveyId}/${r}?sig=${signSurvey(secret, surveyId, r)}`,
    ]),
  );
}

/** A rating as stored: 1–5, with good = 4 or 5 (GOOD_BAD stores good as 5 and bad as 1). */
export function scoreOf(scale: SurveyScale, rating: string): { rating: number; good: boolean } | undefined {
  if (!RATINGS[scale].includes(rating)) return undefined;
  if (scale === 'GOOD_BAD') return rating === 'good' ? { rating: 5, good: true } : { rating: 1, good: false };
  const n = Number(rating);
  return { rating: n, good: n >= 4 };
}
