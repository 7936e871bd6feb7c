/**
 * A loopback TCP proxy in front of the API, so a test can cut every open connection at once (what
 * a dropped Wi-Fi or a restarted load balancer does to a client) while the API keeps running.
 */
import net from 'node:net';

export interface TcpProxy {
  url: string;
  /** Connections accepted so far. */
  accepted: number;
  /** Destroys every open connection (both sides). */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    proxy.accepted++;
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const proxy: TcpProxy = {
    url: `http://127.0.0.1:${port}`,
    accepted: 0,
    dropAll() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    async close() {
      proxy.dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
