import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJsonSchemas } from '../src/json-schema';

const outDir = join(__dirname, '..', 'json-schema');
mkdirSync(outDir, { recursive: true });
for (const file of readdirSync(outDir)) rmSync(join(outDir, file));
const docs = renderJsonSchemas();
for (const [file, text] of Object.entries(docs)) writeFileSync(join(outDir, file), text);
console.log(`wrote ${Object.keys(docs).length} JSON Schema files to contracts/json-schema/`);
