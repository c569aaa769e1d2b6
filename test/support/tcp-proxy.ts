import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server, to cut a browser's connections for real: `drop()`
 * destroys every open connection and refuses new ones (the port stops listening) until `restore()`.
 */
export async function tcpProxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  let listening = server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    async drop() {
      await new Promise<void>((r) => {
        listening.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    async restore() {
      listening = net.createServer((c) => server.emit('connection', c));
      await new Promise<void>((r) => listening.listen(port, '127.0.0.1', r));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (listening.listening ? listening.close(() => r()) : r()));
    },
  };
}
