import type { S3Client } from '@aws-sdk/client-s3';
import type { ErrorClass, SecretRef } from '@aoe/contracts';
import { ConnectorError } from '../connector-error';
import { classifyStreamError } from '../formats/stream-errors';
import { resolveSecret } from '../secrets';

/* eslint-disable @typescript-eslint/no-require-imports */
/** The AWS SDK, loaded on first use: only s3:// sources and targets pay for it. */
export function s3Sdk(): typeof import('@aws-sdk/client-s3') {
  return require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
}

export function s3Uploads(): typeof import('@aws-sdk/lib-storage') {
  return require('@aws-sdk/lib-storage') as typeof import('@aws-sdk/lib-storage');
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** What S3 source and target specs share about reaching the bucket. */
export interface S3Endpoint {
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: SecretRef; secretAccessKey: SecretRef };
}

/**
 * An S3 client for a spec: the endpoint from the spec or `AWS_ENDPOINT_URL_S3`
 * (MinIO, s3rver, …), credentials from the spec's secret references or else the
 * default AWS chain (environment, profile, instance role). Checksums are sent
 * and checked only where S3 requires them, which S3-compatible servers accept.
 */
export async function createS3Client(spec: S3Endpoint): Promise<S3Client> {
  const endpoint = spec.endpoint ?? process.env.AWS_ENDPOINT_URL_S3;
  const credentials = spec.credentials
    ? {
        accessKeyId: await resolveSecret(spec.credentials.accessKeyId),
        secretAccessKey: await resolveSecret(spec.credentials.secretAccessKey),
      }
    : undefined;
  return new (s3Sdk().S3Client)({
    region: spec.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(spec.forcePathStyle !== undefined ? { forcePathStyle: spec.forcePathStyle } : {}),
    ...(credentials ? { credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const AUTH_ERRORS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
  'AllAccessDisabled',
]);
const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequests',
]);

/** The failure class of an S3 SDK error. */
export function classifyS3Error(error: unknown): ErrorClass {
  if (error instanceof ConnectorError) return error.errorClass;
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  if (name && AUTH_ERRORS.has(name)) return 'auth';
  if (status === 401 || status === 403) return 'auth';
  if ((name && THROTTLING.has(name)) || status === 429 || status === 503) return 'rate-limit';
  if (name === 'TimeoutError' || name === 'RequestTimeout') return 'timeout';
  if (status !== undefined && status >= 500) return 'transient-network';
  const fromStream = classifyStreamError(error);
  if (fromStream !== 'unknown') return fromStream;
  return 'unknown';
}

export function toS3Error(error: unknown, doing: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  const detail = message && message !== name && message !== 'UnknownError' ? `${name}: ${message}` : name;
  return new ConnectorError(classifyS3Error(error), `${doing}: ${detail}`, { cause: error });
}

/** `bucket/key` as CopyObject wants it: the key URL-encoded, its slashes kept. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

/** A prefix is a folder: `exports` and `exports/` both write under `exports/`. */
export function folderPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}
