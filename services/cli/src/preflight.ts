import { isAbsolute, resolve } from 'node:path';
import { SourceSpec, TargetSpec } from '@aoe/contracts';
import type { ConnectorProvider } from '@aoe/dispatcher';
import { CliError, ExitCode, oneLine } from './errors';
import { parseSourceUri, parseTargetUri, UriError } from './uri';

/** Source and target from the command line, with local paths made absolute (services may run elsewhere). */
export function resolveArguments(
  sourceUri: string,
  targetUri: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { source: SourceSpec; target: TargetSpec } {
  try {
    let source = parseSourceUri(sourceUri, env);
    if (source.kind === 'file' && !isAbsolute(source.path))
      source = SourceSpec.parse({ ...source, path: resolve(cwd, source.path) });
    let target = parseTargetUri(targetUri, source, env);
    if (target.kind === 'directory' && !isAbsolute(target.path))
      target = TargetSpec.parse({ ...target, path: resolve(cwd, target.path) });
    return { source, target };
  } catch (error) {
    if (error instanceof UriError) throw new CliError(error.message, ExitCode.usage);
    if (error instanceof Error && error.name === 'ZodError') {
      const issues = (error as unknown as { issues: Array<{ path: PropertyKey[]; message: string }> }).issues;
      throw new CliError(`invalid source or target: ${issues.map((i) => i.message).join('; ')}`, ExitCode.usage);
    }
    throw error;
  }
}

/** The dispatcher's connectors, loaded at the first check (most of the services' code comes with them). */
function connectorsFor(warehouseDir: string): ConnectorProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ConnectorProvider, DispatcherConfig } = require('@aoe/dispatcher') as typeof import('@aoe/dispatcher');
  return new ConnectorProvider(new DispatcherConfig({ ...DispatcherConfig.fromEnv(), warehouseDir }));
}

/**
 * Reaches the source before anything is registered: a missing file, an
 * unreachable database or a wrong password ends here, in one line, with
 * nothing created and nothing loaded.
 */
export async function checkSource(source: SourceSpec): Promise<void> {
  const check = await connectorsFor('')
    .source(source)
    .check()
    .catch((error: unknown) => ({ ok: false, message: (error as Error).message }));
  if (!check.ok) throw new CliError(`source: ${oneLine(check.message ?? 'cannot be read')}`, ExitCode.unreachable);
}

/** The same for the target: it can be reached, and written by this user. */
export async function checkTarget(target: TargetSpec, warehouseDir: string): Promise<void> {
  const opened = await connectorsFor(warehouseDir)
    .target(target)
    .catch((error: unknown) => {
      throw new CliError(`target: ${oneLine((error as Error).message)}`, ExitCode.unreachable);
    });
  try {
    const check = await opened.sink
      .check()
      .catch((error: unknown) => ({ ok: false, message: (error as Error).message }));
    if (!check.ok) throw new CliError(`target: ${oneLine(check.message ?? 'cannot be written')}`, ExitCode.unreachable);
  } finally {
    await opened.close();
  }
}
