import { createRequire } from 'node:module';
import type { Logger } from '../shared/logger.js';

/** mailauth is CommonJS without types: the one call Docket makes. */
type Authenticate = (
  message: Buffer,
  opts: {
    ip?: string;
    helo?: string;
    sender?: string;
    mta?: string;
    resolver?: DnsResolver;
    disableBimi?: boolean;
  },
) => Promise<{
  dmarc?: { status?: { result?: string } } | false;
  spf?: { status?: { result?: string } } | false;
  dkim?: { results?: { status?: { result?: string } }[] };
  headers?: string;
}>;

/** A DNS lookup as mailauth calls it (default: node's dns.promises.resolve). */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

/** The verdicts of one message: DMARC's decides under INBOUND_AUTH=enforce. */
export interface AuthVerdict {
  dmarc: string;
  spf: string;
  dkim: string;
  /** The Authentication-Results line, for the record. */
  summary: string;
}

const authenticate = (createRequire(import.meta.url)('mailauth') as { authenticate: Authenticate })
  .authenticate;

/**
 * DKIM, SPF and DMARC of a message received over SMTP (the `mailauth` library), from the client's IP,
 * HELO name and MAIL FROM. A DNS failure is a `temperror` verdict, never a refusal by itself.
 */
export async function verifyMail(
  raw: Buffer,
  envelope: { remoteAddress?: string; clientHostname?: string; mailFrom?: string },
  logger: Logger,
  resolver?: DnsResolver,
): Promise<AuthVerdict> {
  try {
    const r = await authenticate(raw, {
      ip: envelope.remoteAddress,
      helo: envelope.clientHostname,
      sender: envelope.mailFrom || undefined,
      mta: 'docket',
      disableBimi: true,
      ...(resolver ? { resolver } : {}),
    });
    const dmarc = (r.dmarc && r.dmarc.status?.result) || 'none';
    const spf = (r.spf && r.spf.status?.result) || 'none';
    const dkim = r.dkim?.results?.[0]?.status?.result ?? 'none';
    const summary = (r.headers ?? '').replace(/\s+/g, ' ').trim().slice(0, 1000);
    return { dmarc, spf, dkim, summary };
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'inbound: DKIM/SPF/DMARC could not be verified');
    return { dmarc: 'temperror', spf: 'temperror', dkim: 'temperror', summary: (err as Error).message };
  }
}
