import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { isDatabaseUnavailable } from '../db/health.js';
import { receiveEmail, type InboundDeps } from './receive.js';
import { isSupportAddress } from './rules.js';

/** SMTP answers carry a code and, here, an enhanced status code in the message (RFC 3463). */
const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });

/**
 * The built-in SMTP listener (the `smtp-server` package): the MX of the support domain, or the target of
 * a relay, on INBOUND_SMTP_PORT.
 *
 * - Only the configured support addresses (and their plus-addresses) are accepted at RCPT TO; anything
 *   else is `550 5.7.1`: it never relays.
 * - SIZE is announced (INBOUND_MAX_BYTES) and a larger message is refused with `552 5.3.4`.
 * - STARTTLS is offered when a key and certificate are configured; AUTH is not offered (the public
 *   receives mail here without credentials, like any MX).
 * - The answer to DATA comes after the message's transaction committed: `250` means the ticket or comment
 *   (or the record of an ignored or refused message) is in the database. When the database is away the
 *   answer is `451 4.3.0` and the sending server tries again later: the sender's queue is the queue.
 */
export class InboundSmtpListener {
  private readonly server: SMTPServer;
  private address?: AddressInfo;

  constructor(
    private readonly deps: InboundDeps,
    private readonly opts: { port: number; host: string; tls?: { key: Buffer; cert: Buffer } } = deps.config
      .inbound.smtp!,
  ) {
    const { config, logger } = deps;
    const inbound = config.inbound;
    this.server = new SMTPServer({
      name: config.notify.messageIdDomain,
      banner: 'Docket inbound mail',
      size: inbound.maxBytes,
      authOptional: true,
      disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
      logger: false,
      maxClients: 100,
      socketTimeout: 60_000,
      closeTimeout: 5_000,
      onRcptTo(address, _session, callback) {
        if (!isSupportAddress(address.address, inbound.addresses))
          return callback(
            smtpError(550, '5.7.1 Relaying denied: this server takes mail for the help desk only'),
          );
        callback();
      },
      onMailFrom(address, _session, callback) {
        const args = address.args as Record<string, string> | false;
        const declared = Number((args && args.SIZE) || 0);
        if (declared > inbound.maxBytes)
          return callback(smtpError(552, `5.3.4 Message too large: at most ${inbound.maxBytes} bytes`));
        callback();
      },
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (stream.sizeExceeded)
            return callback(smtpError(552, `5.3.4 Message too large: at most ${inbound.maxBytes} bytes`));
          const raw = Buffer.concat(chunks);
          const mailFrom = session.envelope.mailFrom;
          receiveEmail(deps, raw, {
            source: 'SMTP',
            mailFrom: mailFrom ? mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            remoteAddress: session.remoteAddress,
            clientHostname: session.hostNameAppearsAs,
          }).then(
            (r) => callback(null, `2.0.0 ${r.duplicate ? 'Already received' : 'Received'} ${r.id}`),
            (err: unknown) => {
              if (!isDatabaseUnavailable(err)) logger.error({ err }, 'inbound: a message could not be taken');
              callback(smtpError(451, '4.3.0 Temporary failure: please try again later'));
            },
          );
        });
      },
    });
    this.server.on('error', (err) => logger.warn({ err: err.message }, 'inbound SMTP listener error'));
  }

  /** Listens; resolves with the address (port 0 takes a free port). */
  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.server.once('error', onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.server.off('error', onError);
        resolve();
      });
    });
    this.address = this.server.server.address() as AddressInfo;
    this.deps.logger.info(
      {
        port: this.address.port,
        host: this.opts.host,
        starttls: Boolean(this.opts.tls),
        addresses: this.deps.config.inbound.addresses,
      },
      `inbound mail: SMTP listener on ${this.opts.host}:${this.address.port} for ${this.deps.config.inbound.addresses.join(', ')}`,
    );
    return this.address;
  }

  get port(): number | undefined {
    return this.address?.port;
  }

  /** Stops taking connections; messages in progress finish (smtp-server waits up to closeTimeout). */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
