import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from './support/harness.js';
import { connect } from './support/ws.js';

/**
 * Tokens from the customer's identity provider: RS256, checked against its key set (a JWKS served
 * here over HTTP), issuer and audience; users found by email, requesters created on first sight.
 */
const ISSUER = 'https://idp.test/';
const AUDIENCE = 'docket-api';

describe('identity provider tokens (RS256, JWKS)', () => {
  let s: TestServer;
  let jwksServer: http.Server;
  let privateKey: KeyLike;
  let otherKey: KeyLike;

  const sign = (
    claims: Record<string, unknown>,
    opts: { key?: KeyLike; iss?: string; aud?: string; exp?: number; kid?: string } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
      .setSubject(String(claims.sub ?? 'idp|123'))
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(opts.key ?? privateKey);
  const viewer = async (token: string) => {
    const res = await s.gql<{ viewer: { email: string; name: string; role: string } }, unknown>(
      '{ viewer { email name role } }',
      {},
      token,
    );
    return { status: res.status, viewer: res.data?.viewer, error: res.errors?.[0]?.message };
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey as KeyLike;
    otherKey = (await generateKeyPair('RS256')).privateKey as KeyLike;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const { port } = jwksServer.address() as AddressInfo;
    s = await startTestServer({
      env: {
        JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        JWT_JWKS_ISSUER: ISSUER,
        JWT_JWKS_AUDIENCE: AUDIENCE,
        JWT_CREATE_REQUESTERS: 'true',
      },
    });
  });
  afterAll(async () => {
    await s.close();
    await new Promise((r) => jwksServer.close(r));
  });

  it('maps a token to the user with its email claim', async () => {
    const res = await viewer(await sign({ email: 'Alice@docket.local' }));
    expect(res.viewer).toMatchObject({ email: 'alice@docket.local', role: 'AGENT' });
  });

  it('creates a requester on first sight, once, even for concurrent first requests', async () => {
    const token = await sign({ sub: 'idp|new', email: 'new.customer@example.org', name: 'New Customer' });
    const results = await Promise.all(Array.from({ length: 5 }, () => viewer(token)));
    for (const r of results)
      expect(r.viewer).toEqual({
        email: 'new.customer@example.org',
        name: 'New Customer',
        role: 'REQUESTER',
      });
    const rows = await s.sql(`select id from app_user where email = 'new.customer@example.org'`);
    expect(rows).toHaveLength(1);
  });

  it('refuses a wrong issuer, audience, key or signature, an expired token and one without email', async () => {
    const refusals = await Promise.all([
      sign({ email: 'alice@docket.local' }, { iss: 'https://evil.test/' }),
      sign({ email: 'alice@docket.local' }, { aud: 'someone-else' }),
      sign({ email: 'alice@docket.local' }, { key: otherKey }),
      sign({ email: 'alice@docket.local' }, { key: otherKey, kid: 'unknown' }),
      sign({ email: 'alice@docket.local' }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      sign({}),
    ]);
    const tampered = await sign({ email: 'rita@acme.example' });
    const [h, p, sig] = tampered.split('.');
    const forged = [
      h,
      Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(p!, 'base64url').toString()),
          email: 'admin@docket.local',
        }),
      ).toString('base64url'),
      sig,
    ].join('.');
    const answers = await Promise.all([...refusals, forged].map(viewer));
    expect(answers.map((a) => [a.status, a.error])).toEqual([
      [401, 'Your token is not valid'],
      [401, 'Your token is not valid'],
      [401, 'Your token is not valid'],
      [401, 'Your token is not valid'],
      [401, 'Your token has expired: sign in again'],
      [401, 'Your token names a user that does not exist'],
      [401, 'Your token is not valid'],
    ]);
  });

  it('the same token works on the WebSocket; Docket’s own HS256 tokens still work', async () => {
    const c = connect(s.url, await sign({ email: 'alice@docket.local' }));
    const sub = c.subscribe('subscription { queueStats { open } }');
    const [first] = await sub.take(1);
    expect(first!.data).toEqual({ queueStats: { open: expect.any(Number) } });
    await c.dispose();
    expect((await viewer(await s.tokenFor('rita@acme.example'))).viewer).toMatchObject({ role: 'REQUESTER' });
  });
});
