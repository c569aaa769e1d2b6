import type { EntityManager } from '@mikro-orm/postgresql';
import { parseArgs } from 'node:util';
import { SYSTEM_ACTOR } from './actor.js';
import { ApiKey, Partner } from './api-key.entity.js';
import { createApiKey, createPartner, revokeApiKey, rotateApiKey } from './api-keys.js';
import { DomainError } from '../shared/errors.js';
import { systemClock } from '../shared/clock.js';

export const API_KEY_USAGE = `usage: docket apikey <command>
  create --partner <name> --name <name> --scopes <s1,s2> [--expires <ISO date>]
                 a new key (the partner is created if missing); prints the key once
  list [--partner <name>]      the keys: id, prefix, partner, scopes, last used, expiry, revoked
  rotate <id or prefix> [--grace <seconds>]   a new key replacing it; prints the new key once
  revoke <id or prefix>        the key stops working at once
scopes: tickets:read, tickets:write, comments:write, events:subscribe, import`;

const PREFIX = /^dk_[0-9a-f]{8}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `docket apikey …`: the same use cases as the admin mutations, run as the system. Returns the exit code. */
export async function apiKeyCommand(em: EntityManager, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      partner: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      expires: { type: 'string' },
      grace: { type: 'string' },
    },
  });
  const [command, target] = positionals;
  const find = async () => {
    // An id is a UUID and a prefix is dk_ and 8 hex digits: anything else is no key (and never reaches SQL).
    const key = PREFIX.test(target ?? '')
      ? await em.findOne(ApiKey, { prefix: target })
      : UUID.test(target ?? '')
        ? await em.findOne(ApiKey, target!)
        : null;
    if (!key) throw new Error(`no API key ${target ?? ''} (give its id or prefix; see "apikey list")`);
    return key;
  };
  try {
    switch (command) {
      case 'create': {
        if (!values.partner || !values.name || !values.scopes) break;
        const expiresAt = values.expires ? new Date(values.expires) : undefined;
        if (expiresAt && Number.isNaN(expiresAt.getTime()))
          throw new Error(`--expires: not a date: ${values.expires}`);
        const made = await em.transactional(async (tx) => {
          const partner =
            (await tx.findOne(Partner, { name: values.partner })) ??
            (await createPartner(tx, SYSTEM_ACTOR, values.partner!, systemClock));
          const scopes = values.scopes!.split(',').map((s) => s.trim());
          return createApiKey(
            tx,
            SYSTEM_ACTOR,
            { partnerId: partner.id, name: values.name!, scopes, expiresAt },
            systemClock,
          );
        });
        console.error(`created ${made.apiKey.prefix} (id ${made.apiKey.id}); the key, shown once:`);
        console.log(made.key);
        return 0;
      }
      case 'list': {
        const partners = new Map((await em.find(Partner, {})).map((p) => [p.id, p.name]));
        const keys = await em.find(ApiKey, {}, { orderBy: { createdAt: 'desc' } });
        for (const k of keys) {
          const partner = partners.get(k.partnerId) ?? k.partnerId;
          if (values.partner && partner !== values.partner) continue;
          console.log(
            [
              k.id,
              k.prefix,
              partner,
              k.name,
              k.scopes.join(','),
              `last used ${k.lastUsedAt?.toISOString() ?? 'never'}`,
              `expires ${k.expiresAt?.toISOString() ?? 'never'}`,
              k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active',
            ].join('\t'),
          );
        }
        return 0;
      }
      case 'rotate': {
        const old = await find();
        const grace = values.grace === undefined ? undefined : Number(values.grace);
        const made = await em.transactional((tx) =>
          rotateApiKey(tx, SYSTEM_ACTOR, { id: old.id, graceSeconds: grace }, systemClock),
        );
        console.error(
          `${old.prefix} replaced by ${made.apiKey.prefix} (id ${made.apiKey.id}); the new key, shown once:`,
        );
        console.log(made.key);
        return 0;
      }
      case 'revoke': {
        const key = await find();
        await em.transactional((tx) => revokeApiKey(tx, SYSTEM_ACTOR, key.id, systemClock));
        console.log(`revoked ${key.prefix}`);
        return 0;
      }
    }
  } catch (err) {
    console.error(
      `apikey: ${err instanceof DomainError || err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
  console.error(API_KEY_USAGE);
  return 2;
}
