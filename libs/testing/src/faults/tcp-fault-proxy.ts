import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * What the proxy does to traffic; switch with `setMode` while clients are connected.
 *
 * - `pass`: forwards both ways.
 * - `drop`: resets connections (the client sees ECONNRESET). Without options every live
 *   connection is reset now and every new one as it arrives; with `afterBytes`, each
 *   connection once it has carried that many bytes (both ways, counted from the switch);
 *   with `everyMs`, traffic passes but every live connection is reset on that period.
 * - `stall`: accepts and holds: nothing is forwarded either way, so the client's own
 *   timeout fires. Held bytes go through if the mode returns to `pass` or `latency`.
 * - `refuse`: the listener is closed (new connections get ECONNREFUSED); live ones stay.
 * - `latency`: every chunk is forwarded `ms` later, in order.
 */
export type ProxyMode =
  | { kind: 'pass' }
  | { kind: 'drop'; afterBytes?: number; everyMs?: number }
  | { kind: 'stall' }
  | { kind: 'refuse' }
  | { kind: 'latency'; ms: number };

export interface ProxyStats {
  /** Client connections accepted since the start. */
  accepted: number;
  /** Client connections open now. */
  live: number;
  /** Faults injected: connections reset, connections held by a stall, chunks delayed, times the listener was closed. */
  faults: { reset: number; stalled: number; delayedChunks: number; refusals: number };
  bytesToUpstream: number;
  bytesToClient: number;
}

export interface TcpFaultProxyOptions {
  /** Where traffic goes: a PostgreSQL, NATS or HTTP server. */
  upstream: { host: string; port: number };
  /** Port to listen on (default: a free one); the proxy keeps it across `refuse`. */
  port?: number;
  mode?: ProxyMode;
}

interface Lane {
  from: Socket;
  to: Socket | undefined;
  queue: Array<{ chunk: Buffer; due: number }>;
  timer: NodeJS.Timeout | undefined;
  toUpstream: boolean;
}

interface Link {
  client: Socket;
  upstream: Socket | undefined;
  up: Lane;
  down: Lane;
  /** Bytes carried since the current mode was set (for `drop` after N bytes). */
  bytes: number;
  /** Held by a stall. */
  held: boolean;
  closed: boolean;
}

/**
 * A real TCP proxy on 127.0.0.1 in front of one server, injecting network
 * faults on demand: resets, stalls, refusals and latency. Works for any
 * protocol (PostgreSQL, NATS, HTTP) since it only moves bytes.
 */
export class TcpFaultProxy {
  private server: Server | undefined;
  private mode: ProxyMode;
  private readonly links = new Set<Link>();
  private dropTimer: NodeJS.Timeout | undefined;
  private readonly counters: ProxyStats = {
    accepted: 0,
    live: 0,
    faults: { reset: 0, stalled: 0, delayedChunks: 0, refusals: 0 },
    bytesToUpstream: 0,
    bytesToClient: 0,
  };

  private constructor(
    private readonly upstream: { host: string; port: number },
    private listenPort: number,
  ) {
    this.mode = { kind: 'pass' };
  }

  static async start(options: TcpFaultProxyOptions): Promise<TcpFaultProxy> {
    const proxy = new TcpFaultProxy(options.upstream, options.port ?? 0);
    proxy.listenPort = await proxy.listen();
    await proxy.setMode(options.mode ?? { kind: 'pass' });
    return proxy;
  }

  /** The port clients connect to; the same across `refuse` and back. */
  get port(): number {
    return this.listenPort;
  }

  /** `host:port` of the proxy. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The same URL with its host and port replaced by the proxy's: `postgres://u@127.0.0.1:<proxy>/db`. */
  proxiedUrl(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  stats(): ProxyStats {
    return { ...this.counters, live: this.links.size, faults: { ...this.counters.faults } };
  }

  async setMode(mode: ProxyMode): Promise<void> {
    this.mode = mode;
    clearInterval(this.dropTimer);
    this.dropTimer = undefined;
    for (const link of this.links) link.bytes = 0;
    if (mode.kind === 'refuse') {
      if (this.server) {
        this.counters.faults.refusals++;
        await this.closeListener();
      }
      return;
    }
    if (!this.server) await this.listen();
    switch (mode.kind) {
      case 'pass':
      case 'latency':
        this.releaseHeld();
        return;
      case 'stall':
        for (const link of this.links) this.hold(link);
        return;
      case 'drop':
        if (mode.everyMs !== undefined) {
          this.dropTimer = setInterval(() => this.resetAll(), mode.everyMs);
          this.dropTimer.unref();
        } else if (mode.afterBytes === undefined) {
          this.resetAll();
        }
        this.releaseHeld();
        return;
    }
  }

  /** Resets every live connection now, whatever the mode; returns how many. */
  resetAll(): number {
    const links = [...this.links];
    for (const link of links) this.reset(link);
    return links.length;
  }

  async stop(): Promise<void> {
    clearInterval(this.dropTimer);
    for (const link of [...this.links]) this.close(link);
    await this.closeListener();
  }

  private listen(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    // close() stops accepting at once; its callback would wait for live connections.
    return new Promise((resolve) => {
      server.close();
      setImmediate(resolve);
    });
  }

  private accept(client: Socket): void {
    this.counters.accepted++;
    const up: Lane = { from: client, to: undefined, queue: [], timer: undefined, toUpstream: true };
    const link: Link = {
      client,
      upstream: undefined,
      up,
      down: { from: client, to: client, queue: [], timer: undefined, toUpstream: false },
      bytes: 0,
      held: false,
      closed: false,
    };
    this.links.add(link);
    client.on('error', () => this.close(link));
    client.on('end', () => link.upstream?.end());
    client.on('close', () => this.close(link));
    client.on('data', (chunk: Buffer) => this.enqueue(link, link.up, chunk));
    const mode = this.mode;
    if (mode.kind === 'drop' && mode.afterBytes === undefined && mode.everyMs === undefined) {
      this.reset(link);
      return;
    }
    if (mode.kind === 'stall') {
      this.hold(link);
      return;
    }
    this.connectUpstream(link);
  }

  private connectUpstream(link: Link): void {
    if (link.upstream || link.closed) return;
    const upstream = connect(this.upstream.port, this.upstream.host);
    link.upstream = upstream;
    link.up.to = upstream;
    link.down.from = upstream;
    upstream.on('data', (chunk: Buffer) => this.enqueue(link, link.down, chunk));
    upstream.on('end', () => link.client.end());
    // The server went away: the client sees what it would without the proxy, a reset.
    upstream.on('error', () => this.reset(link, false));
    upstream.on('close', () => this.close(link));
    this.pump(link.up);
  }

  private enqueue(link: Link, lane: Lane, chunk: Buffer): void {
    if (link.closed) return;
    const mode = this.mode;
    if (mode.kind === 'drop' && mode.afterBytes !== undefined) {
      const allowed = mode.afterBytes - link.bytes;
      link.bytes += chunk.length;
      if (chunk.length >= allowed) {
        if (allowed > 0) this.write(lane, chunk.subarray(0, allowed));
        this.reset(link);
        return;
      }
    }
    const delay = mode.kind === 'latency' ? mode.ms : 0;
    if (delay > 0) this.counters.faults.delayedChunks++;
    lane.queue.push({ chunk, due: Date.now() + delay });
    if (mode.kind !== 'stall') this.pump(lane);
  }

  /** Writes what is due, in order; waits for the next chunk's time or for the upstream to exist. */
  private pump(lane: Lane): void {
    if (lane.timer || !lane.to || this.mode.kind === 'stall') return;
    const now = Date.now();
    while (lane.queue.length > 0 && lane.queue[0].due <= now) this.write(lane, lane.queue.shift()!.chunk);
    if (lane.queue.length > 0) {
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        this.pump(lane);
      }, lane.queue[0].due - now);
    }
  }

  private write(lane: Lane, chunk: Buffer): void {
    const to = lane.to;
    if (!to || to.destroyed) return;
    if (lane.toUpstream) this.counters.bytesToUpstream += chunk.length;
    else this.counters.bytesToClient += chunk.length;
    // Backpressure: stop reading the sender while the receiver's buffer is full.
    if (!to.write(chunk)) {
      lane.from.pause();
      to.once('drain', () => {
        if (this.mode.kind !== 'stall') lane.from.resume();
      });
    }
  }

  private hold(link: Link): void {
    if (link.held) return;
    link.held = true;
    this.counters.faults.stalled++;
    link.client.pause();
    link.upstream?.pause();
  }

  private releaseHeld(): void {
    for (const link of this.links) if (link.held) this.release(link);
  }

  private release(link: Link): void {
    link.held = false;
    link.client.resume();
    link.upstream?.resume();
    if (!link.upstream) this.connectUpstream(link);
    this.pump(link.up);
    this.pump(link.down);
  }

  private reset(link: Link, count = true): void {
    if (link.closed) return;
    if (count) this.counters.faults.reset++;
    link.client.resetAndDestroy();
    if (link.upstream && !link.upstream.destroyed) link.upstream.resetAndDestroy();
    this.close(link);
  }

  private close(link: Link): void {
    if (link.closed) return;
    link.closed = true;
    clearTimeout(link.up.timer);
    clearTimeout(link.down.timer);
    link.client.destroy();
    link.upstream?.destroy();
    this.links.delete(link);
  }
}
