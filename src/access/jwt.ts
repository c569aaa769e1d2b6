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

export type TokenCheck = { ok: true; userId: string } | { ok: false; reason: 'invalid' | 'expired' };

export async function verifyUserToken(config: Config, token: string): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(config.jwt.secret), {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      algorithms: ['HS256'],
    });
    return payload.sub ? { ok: true, userId: payload.sub } : { ok: false, reason: 'invalid' };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
}
