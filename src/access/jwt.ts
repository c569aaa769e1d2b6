import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config.js';

/** Docket's own HS256 tokens (`npm run token`): the subject is a user id. */
export async function signUserToken(config: Config, userId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setIssuedAt()
    .setExpirationTime(config.jwt.ttl)
    .sign(new TextEncoder().encode(config.jwt.secret));
}

/** What a verified token says about its bearer. */
export interface TokenClaims {
  sub: string;
  email?: string;
  name?: string;
  /** ms since the epoch */
  expiresAt: number;
  /** Which verifier accepted it: Docket's secret, or the identity provider's key set. */
  source: 'docket' | 'idp';
}

export type TokenCheck = ({ ok: true } & TokenClaims) | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Verified tokens, remembered until they expire: a token string verifies the same way every time, and
 * checking the signature again on every request of a session costs more than the rest of the
 * authentication. Bounded; the oldest entries go first.
 */
const rememberedFor = new WeakMap<Config, Map<string, TokenClaims>>();
const MAX_REMEMBERED = 10_000;
const keySets = new WeakMap<Config, ReturnType<typeof createRemoteJWKSet>>();

/**
 * Two kinds of bearer token, told apart by their header's `alg`:
 * - HS256, signed with JWT_SECRET (Docket's own, `npm run token`), issuer JWT_ISSUER, audience JWT_AUDIENCE;
 * - RS256 (or ES256/PS256) from the customer's identity provider, checked against its key set
 *   (JWT_JWKS_URL, fetched and cached by jose, refetched for an unknown `kid`), issuer
 *   JWT_JWKS_ISSUER, audience JWT_JWKS_AUDIENCE. Only when JWT_JWKS_URL is set.
 */
export async function verifyUserToken(config: Config, token: string): Promise<TokenCheck> {
  let verified = rememberedFor.get(config);
  if (!verified) rememberedFor.set(config, (verified = new Map()));
  const known = verified.get(token);
  if (known) {
    if (known.expiresAt > Date.now()) return { ok: true, ...known };
    verified.delete(token);
    return { ok: false, reason: 'expired' };
  }
  try {
    const { alg } = decodeProtectedHeader(token);
    let payload: JWTPayload;
    let source: TokenClaims['source'];
    if (alg === 'HS256') {
      ({ payload } = await jwtVerify(token, new TextEncoder().encode(config.jwt.secret), {
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
      }));
      source = 'docket';
    } else {
      const idp = config.jwt.jwks;
      if (!idp) return { ok: false, reason: 'invalid' };
      let keySet = keySets.get(config);
      if (!keySet) keySets.set(config, (keySet = createRemoteJWKSet(new URL(idp.url))));
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: idp.issuer,
        audience: idp.audience,
        algorithms: ['RS256', 'PS256', 'ES256'],
        requiredClaims: ['exp', 'sub'],
      }));
      source = 'idp';
    }
    if (!payload.sub) return { ok: false, reason: 'invalid' };
    const claims: TokenClaims = {
      sub: payload.sub,
      email: typeof payload.email === 'string' ? payload.email : undefined,
      name: typeof payload.name === 'string' ? payload.name : undefined,
      expiresAt: payload.exp! * 1000,
      source,
    };
    if (verified.size >= MAX_REMEMBERED) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
    return { ok: true, ...claims };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
}
