import type { NextFunction, Request, Response } from 'express';
import { TraceContext } from '@aoe/contracts';
import { SpanKind, inSpan } from '@aoe/telemetry';

/** One server span per HTTP request, continuing the caller's `traceparent` when it sends one. */
export function httpTracing(req: Request, res: Response, next: NextFunction): void {
  const incoming = TraceContext.safeParse({
    traceparent: req.header('traceparent'),
    tracestate: req.header('tracestate'),
  });
  void inSpan(
    `${req.method} ${req.path}`,
    {
      kind: SpanKind.SERVER,
      parent: incoming.success ? incoming.data : undefined,
      attributes: { 'http.request.method': req.method, 'url.path': req.path },
    },
    (span) =>
      new Promise<void>((resolve) => {
        res.on('close', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          resolve();
        });
        next();
      }),
  );
}
