import { Warehouse } from '@aoe/connectors';
import { CliError, ExitCode, oneLine } from '../errors';
import { homeOf, lockHome } from '../home';
import { type CliIo, writeLine } from '../io';
import { cell, table, toJson } from '../output/format';
import { tuneWasmTiering } from '../wasm-tiering';

/** `aoe sql "<query>" [--json]`: runs SQL on the embedded warehouse and prints the (last) result. */
export async function sql(query: string, options: { json?: boolean }, io: CliIo): Promise<number> {
  const { home, warehouseDir } = homeOf(io);
  tuneWasmTiering('queries');
  const release = await lockHome(home);
  try {
    const warehouse = await Warehouse.open(warehouseDir);
    try {
      const results = await warehouse.exec(query).catch((error: unknown) => {
        throw new CliError(oneLine((error as Error).message.replace(/^warehouse:\/\/[^:]*: /, '')), ExitCode.failed);
      });
      const last = results.at(-1);
      if (options.json) {
        writeLine(io.stdout, toJson(last?.rows ?? []));
      } else if (!last || last.columns.length === 0) {
        writeLine(io.stdout, last ? `${last.command || 'OK'} ${last.rowCount}`.trim() : 'OK');
      } else {
        writeLine(
          io.stdout,
          table(
            last.columns.map((c) => c.name),
            last.rows.map((row) => last.columns.map((c) => cell(row[c.name]))),
          ),
        );
        writeLine(io.stdout, `(${last.rows.length} row${last.rows.length === 1 ? '' : 's'})`);
      }
      return 0;
    } finally {
      await warehouse.close();
    }
  } finally {
    await release();
  }
}
