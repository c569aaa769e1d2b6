import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from './support/harness.js';
import * as fx from './support/mail-fixtures.js';
import { freePort, startDocket } from './support/processes.js';

/**
 * The SMTP listener as operators run it: started by `docket serve` (or `docket worker` with
 * INBOUND_SMTP_PROCESS=worker) when INBOUND_SMTP_PORT is set, taking mail, and stopped cleanly with
 * the process on SIGTERM (exit 0, the port closed).
 */
describe('the inbound SMTP listener in docket serve and docket worker', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });

  for (const command of ['serve', 'worker'] as const) {
    it(`${command}: listens per config, takes a mail, and stops with the process`, async () => {
      const port = await freePort();
      const proc = await startDocket(command, s.databaseUrl, {
        INBOUND_SMTP_PORT: String(port),
        INBOUND_SMTP_HOST: '127.0.0.1',
        INBOUND_SMTP_PROCESS: command,
        INBOUND_ADDRESSES: 'support@desk.test',
        MAIL_FROM: 'Desk <support@desk.test>',
      });
      try {
        expect(proc.log.join('')).toContain(`inbound mail: SMTP listener on 127.0.0.1:${port}`);
        const smtp = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
        const id = fx.messageId('acme.example');
        const info = await smtp.sendMail({
          envelope: { from: 'rita@acme.example', to: ['support@desk.test'] },
          raw: fx.alternative({ from: 'rita@acme.example', subject: `By ${command}`, messageId: id }),
        });
        smtp.close();
        expect(info.response).toMatch(/^250 /);
        const [row] = await s.sql<{ status: string }>(
          `select status from inbound_email where message_id = $1`,
          [id],
        );
        expect(row!.status).toBe('TICKET_CREATED');
      } finally {
        await proc.stop();
      }
      expect(proc.proc.exitCode).toBe(0);
      expect(proc.log.join('')).toContain('"msg":"stopped"');
      expect(await refused(port)).toBe(true);
    }, 120_000);
  }
});
