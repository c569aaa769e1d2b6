import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import nodemailer from 'nodemailer';
import { PgAttachmentStore } from '../src/attachments/store.js';
import { initOrm, type MikroORM } from '../src/db/orm.js';
import { InboundSmtpListener } from '../src/inbound/smtp-listener.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './support/harness.js';
import * as fx from './support/mail-fixtures.js';
import { tcpProxy } from './support/tcp-proxy.js';

/**
 * The database goes away under the SMTP listener (its connections cut by a real TCP proxy): mail is
 * answered `451 4.3.0` (the sending server keeps it and tries again), nothing half-written; once the
 * database is back, the same message is taken, once.
 */
describe('inbound mail during a database outage', () => {
  let s: TestServer;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let orm: MikroORM;
  let listener: InboundSmtpListener;
  let port: number;

  beforeAll(async () => {
    s = await startTestServer({
      env: { MAIL_FROM: 'Desk <support@desk.test>', INBOUND_ADDRESSES: 'support@desk.test' },
    });
    const target = new URL(s.databaseUrl);
    proxy = await tcpProxy(Number(target.port));
    target.port = String(proxy.port);
    const logger = createLogger('silent');
    orm = await initOrm(target.toString(), logger, 4);
    listener = new InboundSmtpListener(
      { em: orm.em, config: s.config, clock: s.clock, logger, store: new PgAttachmentStore() },
      { port: 0, host: '127.0.0.1' },
    );
    port = (await listener.start()).port;
  }, 60_000);

  afterAll(async () => {
    await listener?.stop();
    await orm?.close().catch(() => {});
    await proxy?.close();
    await s?.close();
  });

  it('answers 451 while the database is away, and takes the same message once it is back', async () => {
    const id = fx.messageId('acme.example');
    const raw = fx.alternative({ from: 'rita@acme.example', subject: 'During the outage', messageId: id });
    const send = async () => {
      const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
      try {
        return await t.sendMail({ envelope: { from: 'rita@acme.example', to: ['support@desk.test'] }, raw });
      } finally {
        t.close();
      }
    };
    await proxy.drop();
    await expect(send()).rejects.toMatchObject({ responseCode: 451 });
    expect(await s.sql(`select 1 from inbound_email where message_id = $1`, [id])).toEqual([]);
    await proxy.restore();
    let info: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 20 && !info; i++) {
      info = await send().catch(async () => {
        await new Promise((r) => setTimeout(r, 250));
        return undefined;
      });
    }
    expect(info!.response).toMatch(/^250 /);
    const rows = await s.sql<{ status: string }>(`select status from inbound_email where message_id = $1`, [
      id,
    ]);
    expect(rows).toEqual([{ status: 'TICKET_CREATED' }]);
  }, 60_000);
});
