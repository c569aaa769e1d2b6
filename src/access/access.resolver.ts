import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { inTransaction, type RequestContext } from '../server/context.js';
import { parseId, parseOptionalId } from '../server/global-id.js';
import { authed, mutate } from '../server/guard.js';
import { ApiKey, Partner } from './api-key.entity.js';
import { createApiKey, createPartner, revokeApiKey, rotateApiKey } from './api-keys.js';
import {
  ApiKeyPayload,
  ApiKeyType,
  CreateApiKeyInput,
  CreatePartnerInput,
  PartnerPayload,
  PartnerType,
  RotateApiKeyInput,
} from './access.types.js';

type PartnerRoot = Readonly<Partner>;

/** Admins: partner platforms and their API keys (who may call what: src/access/policy.ts). */
@Resolver(() => PartnerType)
export class PartnerResolver {
  @Query(() => [PartnerType], { description: 'Admins' })
  async partners(@Ctx() ctx: RequestContext): Promise<Partner[]> {
    return authed(ctx).em.find(Partner, {}, { orderBy: { name: 'asc' } });
  }

  @Query(() => [ApiKeyType], { description: 'Admins: every key, or a partner’s, newest first' })
  async apiKeys(
    @Ctx() ctx: RequestContext,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId?: string,
  ): Promise<ApiKey[]> {
    const id = parseOptionalId('Partner', partnerId, 'partnerId');
    return authed(ctx).em.find(ApiKey, id ? { partnerId: id } : {}, { orderBy: { createdAt: 'desc' } });
  }

  @FieldResolver(() => [ApiKeyType], { name: 'apiKeys', description: 'Its keys, newest first' })
  async keysOf(@Root() p: PartnerRoot, @Ctx() ctx: RequestContext): Promise<ApiKey[]> {
    return ctx.em.find(ApiKey, { partnerId: p.id }, { orderBy: { createdAt: 'desc' } });
  }

  @Mutation(() => PartnerPayload, { description: 'Admins' })
  async createPartner(
    @Arg('input') input: CreatePartnerInput,
    @Ctx() ctx: RequestContext,
  ): Promise<PartnerPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      partner: await inTransaction(c, ({ em }) => createPartner(em, c.actor, input.name, c.clock)),
    }));
  }

  @Mutation(() => ApiKeyPayload, { description: 'Admins: a new key; the payload’s `key` is shown this once' })
  async createApiKey(
    @Arg('input') input: CreateApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ApiKeyPayload> {
    const c = authed(ctx);
    return mutate(async () =>
      inTransaction(c, ({ em }) =>
        createApiKey(
          em,
          c.actor,
          {
            partnerId: parseId('Partner', input.partnerId, 'partnerId'),
            name: input.name,
            scopes: input.scopes,
            expiresAt: input.expiresAt ?? undefined,
          },
          c.clock,
        ),
      ),
    );
  }

  @Mutation(() => ApiKeyPayload, {
    description:
      'Admins: a new key with the same partner, name and scopes; the old one stops after graceSeconds',
  })
  async rotateApiKey(
    @Arg('input') input: RotateApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ApiKeyPayload> {
    const c = authed(ctx);
    return mutate(async () =>
      inTransaction(c, ({ em }) =>
        rotateApiKey(
          em,
          c.actor,
          {
            id: parseId('ApiKey', input.id, 'id'),
            graceSeconds: input.graceSeconds ?? undefined,
            expiresAt: input.expiresAt ?? undefined,
          },
          c.clock,
        ),
      ),
    );
  }

  @Mutation(() => ApiKeyPayload, { description: 'Admins: the key stops working at once' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ApiKeyPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      apiKey: await inTransaction(c, ({ em }) =>
        revokeApiKey(em, c.actor, parseId('ApiKey', id, 'id'), c.clock),
      ),
    }));
  }
}
