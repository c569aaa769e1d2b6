import { describe, expect, it } from '@jest/globals';
import { Outlet, type FrameSocket } from './outlet.js';

/**
 * A socket that records what it is given. `bufferedAmount` is what the test says the socket holds
 * unsent; a send made while it is at or over the high-water mark gets its callback only on `flush()`.
 */
class FakeSocket implements FrameSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  private callbacks: (() => void)[] = [];

  send(data: Buffer, _options: { binary: boolean }, cb?: (err?: Error) => void): void {
    this.sent.push(data.toString());
    if (cb) this.callbacks.push(() => cb());
  }

  /** The socket has written out what it held. */
  flush(): void {
    this.bufferedAmount = 0;
    for (const cb of this.callbacks.splice(0)) cb();
  }
}

const HIGH = 100;
const b = (s: string) => Buffer.from(s);
const tick = () => new Promise((r) => setImmediate(r));

function outlet(max = 3) {
  const socket = new FakeSocket();
  const failures: unknown[] = [];
  /** What the TCP stream was told, in order. */
  const stream: string[] = [];
  const o = new Outlet(socket, {
    frameOf: (p) => Buffer.concat([b('<'), p, b('>')]),
    fail: (err) => failures.push(err),
    max,
    highWater: HIGH,
    stream: { cork: () => stream.push('cork'), uncork: () => stream.push('uncork') },
  });
  return { socket, o, failures, stream };
}

function deferred() {
  let resolve!: (v: Buffer) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<Buffer>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Outlet', () => {
  it('sends a ready payload at once, framed, when nothing waits', () => {
    const { socket, o } = outlet();
    expect(o.push(b('1'))).toBe(true);
    expect(o.push(b('2'))).toBe(true);
    expect(socket.sent).toEqual(['<1>', '<2>']);
  });

  it('corks the stream once for the frames sent in one step, and uncorks it on the next tick', async () => {
    const { o, stream } = outlet();
    o.push(b('1'));
    o.push(b('2'));
    expect(stream).toEqual(['cork']);
    await new Promise((r) => process.nextTick(r));
    expect(stream).toEqual(['cork', 'uncork']);
    o.push(b('3'));
    await new Promise((r) => process.nextTick(r));
    expect(stream).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('keeps order: ready payloads wait behind one still executing', async () => {
    const { socket, o } = outlet();
    const slow = deferred();
    o.push(slow.promise);
    o.push(b('2'));
    o.push(b('3'));
    await tick();
    expect(socket.sent).toEqual([]);
    slow.resolve(b('1'));
    await o.idle();
    expect(socket.sent).toEqual(['<1>', '<2>', '<3>']);
    // Nothing waits any more: straight to the socket again.
    o.push(b('4'));
    expect(socket.sent.at(-1)).toBe('<4>');
  });

  it('waits for a socket over its high-water mark, and refuses past `max` waiting frames', async () => {
    const { socket, o } = outlet(3);
    socket.bufferedAmount = HIGH;
    expect(o.push(b('1'))).toBe(true);
    await tick();
    // Sent with a callback; the frames after it wait for the socket to take it.
    expect(socket.sent).toEqual(['<1>']);
    expect(o.push(b('2'))).toBe(true);
    expect(o.push(b('3'))).toBe(true);
    expect(o.push(b('4'))).toBe(false);
    await tick();
    expect(socket.sent).toEqual(['<1>']);
    socket.flush();
    await o.idle();
    expect(socket.sent).toEqual(['<1>', '<2>', '<3>']);
    expect(o.push(b('5'))).toBe(true);
    expect(socket.sent.at(-1)).toBe('<5>');
  });

  it('idle() settles at once when nothing waits, else when the last waiting frame is sent', async () => {
    const { o } = outlet();
    let settled = false;
    await o.idle();
    const slow = deferred();
    o.push(slow.promise);
    void o.idle().then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    slow.resolve(b('1'));
    await tick();
    expect(settled).toBe(true);
  });

  it('drops what waits and reports a payload that failed', async () => {
    const { socket, o, failures } = outlet();
    const bad = deferred();
    o.push(bad.promise);
    o.push(b('2'));
    bad.reject(new Error('boom'));
    await o.idle();
    expect(failures).toHaveLength(1);
    expect(socket.sent).toEqual([]);
  });

  it('sends nothing once the socket is no longer open', async () => {
    const { socket, o } = outlet();
    socket.readyState = 3;
    o.push(b('1'));
    const slow = deferred();
    o.push(slow.promise);
    slow.resolve(b('2'));
    await o.idle();
    expect(socket.sent).toEqual([]);
  });
});
