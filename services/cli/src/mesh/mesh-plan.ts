import { createServer } from 'node:net';
import type { MeshServiceEntry } from './service-discovery';

/** One process of the mesh: a replica of a service on its own HTTP (and gRPC) port. */
export interface MeshProcessSpec {
  service: string;
  /** 0-based replica number within the service. */
  replica: number;
  main: string;
  host: string;
  /** HTTP port: /healthz, /readyz, /metrics and any API. */
  port: number;
  /** gRPC port (read by the gateway only: AOE_GRPC_PORT). */
  grpcPort: number;
  log: string;
}

export interface ReplicaRequest {
  /** Replicas of every service not named in `perService` (default 1). */
  replicas: number;
  /** `--service name=N`: a count for one service; 0 leaves it out. */
  perService: Record<string, number>;
}

/** Parses `--replicas` and the `--service name=N` list; names must be discovered services. */
export function parseReplicaRequest(
  replicas: string | undefined,
  serviceCounts: readonly string[],
  known: readonly string[],
): ReplicaRequest {
  const count = (text: string, what: string): number => {
    if (!/^\d+$/.test(text) || Number(text) > 16)
      throw new Error(`${what} must be a whole number from 0 to 16, got "${text}"`);
    return Number(text);
  };
  const request: ReplicaRequest = {
    replicas: replicas === undefined ? 1 : count(replicas, '--replicas'),
    perService: {},
  };
  for (const item of serviceCounts) {
    const match = /^([a-z0-9-]+)=(.+)$/.exec(item);
    if (!match) throw new Error(`--service takes name=N, got "${item}"`);
    if (!known.includes(match[1])) throw new Error(`unknown service "${match[1]}" (one of ${known.join(', ')})`);
    request.perService[match[1]] = count(match[2], `--service ${match[1]}`);
  }
  return request;
}

export interface PlanOptions {
  host: string;
  basePort: number;
  grpcBasePort: number;
  logDir: string;
}

/** Lays out every replica with distinct free ports, in service order. */
export async function planMesh(
  services: readonly MeshServiceEntry[],
  request: ReplicaRequest,
  options: PlanOptions,
): Promise<MeshProcessSpec[]> {
  const specs: MeshProcessSpec[] = [];
  let nextPort = options.basePort;
  let nextGrpc = options.grpcBasePort;
  for (const service of services) {
    const replicas = request.perService[service.name] ?? request.replicas;
    for (let replica = 0; replica < replicas; replica++) {
      const port = await freePort(options.host, nextPort);
      const grpcPort = await freePort(options.host, nextGrpc);
      nextPort = port + 1;
      nextGrpc = grpcPort + 1;
      specs.push({
        service: service.name,
        replica,
        main: service.main,
        host: options.host,
        port,
        grpcPort,
        log: `${options.logDir}/${service.name}-${replica}.log`,
      });
    }
  }
  return specs;
}

/** The first port from `from` up that nothing listens on. */
async function freePort(host: string, from: number): Promise<number> {
  for (let port = from; port < from + 200 && port <= 65535; port++) {
    if (await canListen(host, port)) return port;
  }
  throw new Error(`no free port on ${host} from ${from} to ${from + 199}`);
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
