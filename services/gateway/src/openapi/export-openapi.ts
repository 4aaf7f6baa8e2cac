import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from './openapi.document';

/**
 * docs/api/openapi.json, as checked in; a test fails when it is stale (it compares
 * the JSON, so `prettier --write` on the file is fine).
 */
export const OPENAPI_FILE = join(__dirname, '..', '..', '..', '..', 'docs', 'api', 'openapi.json');

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}
