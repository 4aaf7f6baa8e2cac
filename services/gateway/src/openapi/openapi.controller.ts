import { Controller, Get, Header } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

const VIEWER = `<!doctype html><html><head><meta charset="utf-8"><title>AOE gateway API</title></head>
<body><h1>Agent-Orchestrated ETL gateway API</h1>
<p>The OpenAPI 3.1 document is at <a href="/docs/openapi.json">/docs/openapi.json</a>;
load it into any OpenAPI viewer or client generator.</p></body></html>`;

/** The API document, open to everyone (it holds no data). */
@Controller('docs')
export class OpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return VIEWER;
  }

  @Get('openapi.json')
  json(): Record<string, unknown> {
    return this.document;
  }
}
