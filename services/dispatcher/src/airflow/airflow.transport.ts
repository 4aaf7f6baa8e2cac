import {
  AirflowAuthError,
  AirflowConflictError,
  type AirflowError,
  AirflowForbiddenError,
  AirflowHttpError,
  AirflowNotFoundError,
  AirflowProtocolError,
  type AirflowRequestInfo,
  AirflowUnavailableError,
  AirflowValidationError,
  type AirflowValidationIssue,
} from './airflow.errors';

export interface AirflowHttpRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Path below the base URL, starting with `/` (path parameters already encoded). */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Blanks credentials out of any text that ends up in an error: the password,
 * the basic-auth header value and every token, as soon as the client knows them.
 */
export class Redactor {
  private readonly values = new Set<string>();

  add(value: string): void {
    if (value.length > 0) this.values.add(value);
  }

  apply(text: string): string {
    let out = text;
    for (const value of this.values) out = out.split(value).join('***');
    return out;
  }
}

export interface AirflowHttpSettings {
  baseUrl: string;
  /** How Airflow words its errors: v2 `{ detail }` (FastAPI), v1 RFC 7807 problems (connexion). */
  dialect: 'v2' | 'v1';
  requestTimeoutMs: number;
  redactor: Redactor;
}

/** JSON over HTTP to one Airflow, with every failure turned into a typed AirflowError. */
export class AirflowHttp {
  private readonly baseUrl: string;

  constructor(private readonly settings: AirflowHttpSettings) {
    this.baseUrl = settings.baseUrl.replace(/\/+$/, '');
  }

  /** Sends one request; resolves to the parsed JSON body (undefined when empty). */
  async send(request: AirflowHttpRequest, authorization?: string): Promise<unknown> {
    const url = new URL(this.baseUrl + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const info: AirflowRequestInfo = { method: request.method, path: request.path };

    const timeout = AbortSignal.timeout(this.settings.requestTimeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      const why = timeout.aborted
        ? `timed out after ${this.settings.requestTimeoutMs} ms`
        : describeNetworkError(error);
      throw new AirflowUnavailableError(
        `Airflow ${request.method} ${request.path} failed: ${this.settings.redactor.apply(why)}`,
        info,
        undefined,
        { cause: error },
      );
    }
    info.status = response.status;
    if (!response.ok) throw this.errorFor(info, text);
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AirflowProtocolError(
        `Airflow ${request.method} ${request.path} answered ${response.status} with a body that is not JSON`,
        info,
      );
    }
  }

  private errorFor(info: AirflowRequestInfo, text: string): AirflowError {
    const status = info.status ?? 0;
    const parsed = parseErrorBody(this.settings.dialect, text);
    const detail = parsed.detail === undefined ? undefined : this.settings.redactor.apply(parsed.detail);
    const title = parsed.title === undefined ? undefined : this.settings.redactor.apply(parsed.title);
    const summary = [title, detail].filter((part) => part !== undefined && part !== '').join(': ');
    const message = `Airflow answered ${status} to ${info.method} ${info.path}${summary ? `: ${summary}` : ''}`;
    switch (status) {
      case 401:
        return new AirflowAuthError(message, info, detail);
      case 403:
        return new AirflowForbiddenError(message, info, detail);
      case 404:
        return new AirflowNotFoundError(message, info, detail);
      case 409:
        return new AirflowConflictError(message, info, detail);
      case 400:
      case 422:
        return new AirflowValidationError(message, info, detail, parsed.issues, title);
      default:
        if (status === 408 || status === 429 || status >= 500)
          return new AirflowUnavailableError(message, info, detail);
        return new AirflowHttpError(message, info, detail);
    }
  }
}

interface ParsedErrorBody {
  title?: string;
  detail?: string;
  issues: AirflowValidationIssue[];
}

/** Reads `{ detail }` (v2: a string, an object or a list of `{ loc, msg, type }`) or an RFC 7807 problem (v1). */
export function parseErrorBody(dialect: 'v2' | 'v1', text: string): ParsedErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const snippet = text.trim().slice(0, 200);
    return { detail: snippet === '' ? undefined : snippet, issues: [] };
  }
  if (!isRecord(body)) return { issues: [] };
  const raw = body.detail;
  const issues = Array.isArray(raw)
    ? raw.filter(isValidationIssue).map(({ loc, msg, type }) => ({ loc, msg, type }))
    : [];
  let detail: string | undefined;
  if (typeof raw === 'string') detail = raw;
  else if (issues.length > 0) detail = issues.map((issue) => `${issue.loc.join('.')}: ${issue.msg}`).join('; ');
  else if (raw !== undefined && raw !== null) detail = JSON.stringify(raw);
  const title = dialect === 'v1' && typeof body.title === 'string' ? body.title : undefined;
  return { title, detail, issues };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidationIssue(value: unknown): value is AirflowValidationIssue {
  return (
    isRecord(value) &&
    Array.isArray(value.loc) &&
    value.loc.every((part) => typeof part === 'string' || typeof part === 'number') &&
    typeof value.msg === 'string' &&
    typeof value.type === 'string'
  );
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Encodes one path parameter (dag ids and run ids may hold `:` and `+`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
