import type { ClassifiedError, ErrorClass } from '@aoe/contracts';

/** Stable codes of the errors the Airflow client throws. */
export type AirflowErrorCode =
  | 'airflow.auth'
  | 'airflow.forbidden'
  | 'airflow.not-found'
  | 'airflow.conflict'
  | 'airflow.validation'
  | 'airflow.unavailable'
  | 'airflow.http'
  | 'airflow.protocol'
  | 'airflow.dag-not-loaded';

/**
 * One table decides retry or stop for every Airflow error; callers never pick
 * retry counts themselves. `airflow.not-found` is not retryable here: a DAG that
 * Airflow has not parsed yet is the caller's to wait for (see docs/airflow.md).
 */
export const AIRFLOW_ERROR_POLICY: Readonly<Record<AirflowErrorCode, { errorClass: ErrorClass; retryable: boolean }>> =
  {
    'airflow.auth': { errorClass: 'auth', retryable: false },
    'airflow.forbidden': { errorClass: 'auth', retryable: false },
    'airflow.not-found': { errorClass: 'unknown', retryable: false },
    'airflow.conflict': { errorClass: 'bug', retryable: false },
    'airflow.validation': { errorClass: 'bug', retryable: false },
    'airflow.unavailable': { errorClass: 'transient-network', retryable: true },
    'airflow.http': { errorClass: 'unknown', retryable: false },
    'airflow.protocol': { errorClass: 'bug', retryable: false },
    // The DAG processor may just be slow; a later run waits again.
    'airflow.dag-not-loaded': { errorClass: 'timeout', retryable: true },
  };

/** Where an HTTP error came from: never carries credentials, only the method, path and status. */
export interface AirflowRequestInfo {
  method: string;
  path: string;
  status?: number;
}

/** One item of an Airflow 3 (FastAPI) validation answer: `{ detail: [{ loc, msg, type }] }`. */
export interface AirflowValidationIssue {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

export abstract class AirflowError extends Error {
  abstract readonly code: AirflowErrorCode;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  /** Airflow's explanation: `detail` (v2) or the problem's `detail` (v1), already redacted. */
  readonly detail: string | undefined;

  constructor(message: string, request: AirflowRequestInfo, detail?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.method = request.method;
    this.path = request.path;
    this.status = request.status;
    this.detail = detail;
  }

  get retryable(): boolean {
    return AIRFLOW_ERROR_POLICY[this.code].retryable;
  }

  get errorClass(): ErrorClass {
    return AIRFLOW_ERROR_POLICY[this.code].errorClass;
  }
}

/** 401: the credentials (or a renewed token) were refused. */
export class AirflowAuthError extends AirflowError {
  override readonly name = 'AirflowAuthError';
  readonly code = 'airflow.auth';
}

/** 403: authenticated, but the user may not do this. */
export class AirflowForbiddenError extends AirflowError {
  override readonly name = 'AirflowForbiddenError';
  readonly code = 'airflow.forbidden';
}

/** 404: no such DAG, DAG run or task instance (or the DAG file is not parsed yet). */
export class AirflowNotFoundError extends AirflowError {
  override readonly name = 'AirflowNotFoundError';
  readonly code = 'airflow.not-found';
}

/** 409: e.g. a DAG run with this id already exists. */
export class AirflowConflictError extends AirflowError {
  override readonly name = 'AirflowConflictError';
  readonly code = 'airflow.conflict';
}

/**
 * 422 (Airflow 3) or 400 (Airflow 2): Airflow refused the request as invalid.
 * `issues` holds the v2 `detail` items; `title` the v1 problem title.
 */
export class AirflowValidationError extends AirflowError {
  override readonly name = 'AirflowValidationError';
  readonly code = 'airflow.validation';
  constructor(
    message: string,
    request: AirflowRequestInfo,
    detail: string | undefined,
    readonly issues: readonly AirflowValidationIssue[],
    readonly title?: string,
  ) {
    super(message, request, detail);
  }
}

/** Airflow could not be reached, timed out, or answered 429/5xx. */
export class AirflowUnavailableError extends AirflowError {
  override readonly name = 'AirflowUnavailableError';
  readonly code = 'airflow.unavailable';
}

/** Any other non-2xx answer. */
export class AirflowHttpError extends AirflowError {
  override readonly name = 'AirflowHttpError';
  readonly code = 'airflow.http';
}

/** Airflow answered 2xx with a body this client does not understand. */
export class AirflowProtocolError extends AirflowError {
  override readonly name = 'AirflowProtocolError';
  readonly code = 'airflow.protocol';
}

/**
 * Airflow kept answering 404 for a DAG whose spec was written (or still served an older
 * parse of it) until the caller's deadline: the DAG factory does not read the spec, or
 * the DAG processor has not got to it.
 */
export class AirflowDagNotLoadedError extends AirflowError {
  override readonly name = 'AirflowDagNotLoadedError';
  readonly code = 'airflow.dag-not-loaded';
}

/** The shared ClassifiedError shape for an Airflow error, for events and the recovery agent. */
export function classifyAirflowError(error: AirflowError): ClassifiedError {
  return { class: error.errorClass, message: error.message, code: error.code, retryable: error.retryable };
}
