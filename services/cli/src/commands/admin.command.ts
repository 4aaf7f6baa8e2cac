import { hostname, userInfo } from 'node:os';
import { CreateApiKeyUseCase } from '@aoe/gateway';
import { openStore, type Store } from '@aoe/store';
import { CliError, ExitCode } from '../errors';
import { type CliIo, writeLine } from '../io';
import { table } from '../output/format';

const SCOPES = ['read', 'write', 'admin'] as const;
type Scope = (typeof SCOPES)[number];

/** The mesh's control-plane store (DATABASE_URL, AOE_STORE_SCHEMA), where the gateway checks keys. */
async function withMeshStore<T>(io: CliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const url = io.env.DATABASE_URL;
  if (!url) throw new CliError('set DATABASE_URL to the store the gateway uses', ExitCode.usage);
  const store = await openStore({ url, schema: io.env.AOE_STORE_SCHEMA || undefined, applicationName: 'aoe-admin' });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `aoe admin api-key create --scope read|write|admin [--name …]`: prints the key once. */
export async function createApiKey(
  options: { scope: string; name?: string; json?: boolean },
  io: CliIo,
): Promise<number> {
  if (!SCOPES.includes(options.scope as Scope)) {
    throw new CliError(`--scope is one of ${SCOPES.join(', ')}`, ExitCode.usage);
  }
  const createdBy = `cli:${userInfo().username}@${hostname()}`;
  const created = await withMeshStore(io, (store) =>
    new CreateApiKeyUseCase(store).execute({
      name: options.name ?? `${options.scope} key`,
      scope: options.scope as Scope,
      createdBy,
    }),
  );
  if (options.json) {
    writeLine(io.stdout, JSON.stringify(created));
  } else {
    writeLine(io.stdout, `key ${created.id} (${created.scope}): ${created.key}`);
    writeLine(io.stderr, 'this is the only time the key is shown; the store keeps its hash');
  }
  return 0;
}

/** `aoe admin api-key revoke <id>`. Gateways forget a revoked key within their key cache time (5 s). */
export async function revokeApiKey(id: string, io: CliIo): Promise<number> {
  const revoked = await withMeshStore(io, (store) => store.apiKeys.revoke(id));
  if (!revoked) throw new CliError(`no api key "${id}"`, ExitCode.failed);
  writeLine(io.stdout, `revoked ${revoked.id} (${revoked.scope})`);
  return 0;
}

/** `aoe admin api-key list`: ids, names, scopes; never secrets. */
export async function listApiKeys(options: { json?: boolean }, io: CliIo): Promise<number> {
  const page = await withMeshStore(io, (store) => store.apiKeys.list({ limit: 500 }));
  const keys = page.items.map(({ secretHash: _hash, ...key }) => key);
  if (options.json) writeLine(io.stdout, JSON.stringify(keys));
  else
    writeLine(
      io.stdout,
      table(
        ['id', 'name', 'scope', 'created by', 'created', 'revoked'],
        keys.map((k) => [k.id, k.name, k.scope, k.createdBy, k.createdAt, k.revokedAt ?? '']),
      ),
    );
  return 0;
}
