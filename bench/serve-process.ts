import type { ChildProcess } from 'node:child_process';

/**
 * Waits until a `docket serve` child answers `/readyz` (its GraphQL `url`, on the same origin), at most
 * 30 s; throws with everything it printed when it exits first or never gets ready. Collects its
 * output from the moment of the call (stdout and stderr piped).
 */
export async function untilServing(child: ChildProcess, url: string): Promise<void> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(url.replace('/graphql', '/readyz'))).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until || child.exitCode !== null) throw new Error(`docket serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
