/** What an outlet needs of a socket (a `ws` WebSocket). */
export interface FrameSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  readonly OPEN: number;
  send(data: Buffer, options: { binary: boolean }, cb?: (err?: Error) => void): void;
}

/** A result's serialised payload, or the promise of it while its document still loads. */
export type Payload = Buffer | Promise<Buffer>;

/** Bytes a socket may hold unsent before an outlet waits for it. */
export const HIGH_WATER = 256 * 1024;
const TEXT = { binary: false } as const;

/** The connection's TCP stream under the WebSocket: frames written in one step leave in one write. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export interface OutletOptions {
  /** The whole frame to send for a payload. */
  frameOf: (payload: Buffer) => Buffer;
  /** A payload failed: the outlet drops what waits; close the connection. */
  fail: (err: unknown) => void;
  /** Frames that may wait; one more and `push` refuses it (the client is too slow). */
  max: number;
  highWater?: number;
  /**
   * Frames sent straight in one step (the feed hands a whole read to its subscribers synchronously)
   * are coalesced into one system call: the stream is corked at the first and uncorked on the next
   * tick, as Node's HTTP server does with responses.
   */
  stream?: Corkable;
}

/**
 * One subscription's way to its socket, in order. A frame goes straight onto the socket when nothing
 * waits before it (no promise, no queue: the common case, as a bare broadcaster writes); otherwise it
 * waits behind a payload still executing, or for a socket holding more than `highWater` unsent to
 * take the frame before it. At most `max` frames wait.
 */
export class Outlet {
  // Made when first needed: most outlets only ever send straight away.
  private queue?: Payload[];
  private busy = false;
  private idlers?: (() => void)[];
  private corked = false;

  constructor(
    private readonly socket: FrameSocket,
    private readonly o: OutletOptions,
  ) {}

  /** Sends the payload's frame after those before it. false: `max` frames wait already (refused). */
  push(payload: Payload): boolean {
    if (!this.busy && Buffer.isBuffer(payload) && this.socket.bufferedAmount < this.highWater) {
      if (this.socket.readyState !== this.socket.OPEN) return true;
      if (this.o.stream && !this.corked) {
        this.corked = true;
        this.o.stream.cork();
        process.nextTick(uncork, this);
      }
      this.socket.send(this.o.frameOf(payload), TEXT);
      return true;
    }
    const queue = (this.queue ??= []);
    if (queue.length >= this.o.max) return false;
    queue.push(payload);
    if (!this.busy) void this.flush(queue);
    return true;
  }

  /** Settles when no frame waits. */
  idle(): Promise<void> {
    return this.busy ? new Promise((resolve) => (this.idlers ??= []).push(resolve)) : Promise.resolve();
  }

  private get highWater(): number {
    return this.o.highWater ?? HIGH_WATER;
  }

  /** The stream's frames of this step leave together (see OutletOptions.stream). */
  uncork(): void {
    this.corked = false;
    this.o.stream!.uncork();
  }

  private async flush(queue: Payload[]): Promise<void> {
    this.busy = true;
    try {
      while (queue.length) {
        const payload = await queue[0]!;
        if (this.socket.readyState !== this.socket.OPEN) break;
        const frame = this.o.frameOf(payload);
        if (this.socket.bufferedAmount < this.highWater) this.socket.send(frame, TEXT);
        else await new Promise<void>((resolve) => this.socket.send(frame, TEXT, () => resolve()));
        queue.shift();
      }
    } catch (err) {
      this.o.fail(err);
    } finally {
      // In the same step as the loop's last check: a push from now on starts a new flush.
      this.queue = undefined;
      this.busy = false;
      const idlers = this.idlers;
      this.idlers = undefined;
      for (const resolve of idlers ?? []) resolve();
    }
  }
}

const uncork = (outlet: Outlet) => outlet.uncork();
