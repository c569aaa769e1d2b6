import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../shared/errors.js';
import { checkEndpointUrl, checkFilter, managedPartner } from './endpoints.js';

const problems = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.problems.map((p) => p.message);
    throw err;
  }
  return [];
};

describe('endpoint URLs', () => {
  const production = { requireHttps: true, allowPrivate: false };
  const onPremise = { requireHttps: false, allowPrivate: true };

  it('require https when configured (production), and no credentials', () => {
    expect(problems(() => checkEndpointUrl('http://hooks.example.com/x', production))).toEqual([
      expect.stringContaining('must be https://'),
    ]);
    expect(checkEndpointUrl('https://hooks.example.com/x', production)).toBe('https://hooks.example.com/x');
    expect(problems(() => checkEndpointUrl('https://u:p@hooks.example.com/', production))).toEqual([
      'must not carry a user name or password',
    ]);
    expect(problems(() => checkEndpointUrl('not a url', production))).toHaveLength(1);
  });

  it('refuse private literals and localhost unless allowed', () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://169.254.169.254/',
      'https://[fd00::1]/',
      'https://localhost/',
    ])
      expect([url, problems(() => checkEndpointUrl(url, production)).length]).toEqual([url, 1]);
    expect(checkEndpointUrl('http://127.0.0.1:8080/hook', onPremise)).toBe('http://127.0.0.1:8080/hook');
  });
});

describe('endpoint filters and rights', () => {
  it('refuse empty lists and keep the others, without duplicates', () => {
    expect(problems(() => checkFilter({ types: [] }))).toEqual([expect.stringContaining('at least one')]);
    expect(checkFilter({ priorities: ['HIGH', 'HIGH'] as never })).toEqual({ priorities: ['HIGH'] });
  });

  it('admins name the partner; a partner key needs webhooks:manage and manages only its own', () => {
    expect(managedPartner({ kind: 'ADMIN' }, 'p1')).toBe('p1');
    expect(problems(() => managedPartner({ kind: 'ADMIN' }, undefined))).toEqual(['is required for admins']);
    const key = { kind: 'PARTNER' as const, partnerId: 'p1', scopes: ['webhooks:manage' as const] };
    expect(managedPartner(key, undefined)).toBe('p1');
    expect(() => managedPartner(key, 'p2')).toThrow(/another partner/);
    expect(() => managedPartner({ ...key, scopes: ['tickets:read'] }, undefined)).toThrow(/not permitted/);
    expect(() => managedPartner({ kind: 'AGENT', userId: 'u' }, 'p1')).toThrow(/not permitted/);
  });
});
