import { SignJWT, errors, jwtVerify } from 'jose';
import type { Config } from '../config.js';

/** HS256 bearer tokens whose subject is a user id. */
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

export type TokenCheck =
  | { ok: true; userId: string; /** ms since the epoch */ expiresAt: number }
  | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Verified tokens, remembered until they expire: a token string verifies the same way every time, and
 * checking the signature again on every request of a session costs more than the rest of the
 * authentication. Bounded; the oldest entries go first.
 */
const rememberedFor = new WeakMap<Config, Map<string, { userId: string; exp: number }>>();
const MAX_REMEMBERED = 10_000;

export async function verifyUserToken(config: Config, token: string): Promise<TokenCheck> {
  let verified = rememberedFor.get(config);
  if (!verified) rememberedFor.set(config, (verified = new Map()));
  const known = verified.get(token);
  if (known) {
    if (known.exp * 1000 > Date.now()) return { ok: true, userId: known.userId, expiresAt: known.exp * 1000 };
    verified.delete(token);
    return { ok: false, reason: 'expired' };
  }
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(config.jwt.secret), {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    });
    if (!payload.sub) return { ok: false, reason: 'invalid' };
    if (verified.size >= MAX_REMEMBERED) verified.delete(verified.keys().next().value!);
    verified.set(token, { userId: payload.sub, exp: payload.exp! });
    return { ok: true, userId: payload.sub, expiresAt: payload.exp! * 1000 };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
}
