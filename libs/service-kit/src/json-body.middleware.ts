import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * JSON bodies, with parse and size errors answered as JSON problems (400,
 * 413, 415) instead of Express's HTML error page.
 */
export function jsonBody(limit: string): RequestHandler {
  // Express is loaded only by a service that serves HTTP.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { json } = require('express') as typeof import('express');
  const parse = json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const { status, type } = error as { status?: number; type?: string };
      const statusCode = status ?? 400;
      const message =
        type === 'entity.too.large'
          ? `request body is larger than ${limit}`
          : type === 'entity.parse.failed'
            ? 'request body is not valid JSON'
            : (error as Error).message;
      res.status(statusCode).json({ statusCode, error: type ?? 'bad-request', message });
    });
  };
}
