import { z } from 'zod';
import { secretRefField } from '@aoe/contracts';
import { resolveSecret } from '@aoe/connectors';
import type { AirflowClient } from './airflow.client';
import { BasicAuth, JwtAuth } from './airflow.auth';
import { AirflowHttp, Redactor } from './airflow.transport';
import { AirflowV1Client } from './airflow-v1.client';
import { AirflowV2Client } from './airflow-v2.client';

function hasNoCredentials(url: string): boolean {
  const parsed = new URL(url);
  return parsed.username === '' && parsed.password === '';
}

/**
 * How to reach Airflow. `apiVersion` `v2` is Airflow 3 (`/api/v2`, JWT from
 * `/auth/token`); `v1` is Airflow 2 (`/api/v1`, basic auth). The password is a
 * SecretRef (`{ env }` or `{ file }`), resolved on every login, never inline.
 */
export const AirflowConfig = z.strictObject({
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .refine(hasNoCredentials, 'baseUrl must not embed credentials; use username and password'),
  apiVersion: z.enum(['v2', 'v1']),
  username: z.string().min(1),
  password: secretRefField(),
  /** Per request, including `/auth/token`. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
});
export type AirflowConfig = z.input<typeof AirflowConfig>;

/** Validates the configuration and builds the client for its API version. Nothing is sent until the first call. */
export function createAirflowClient(config: AirflowConfig): AirflowClient {
  const settings = AirflowConfig.parse(config);
  const redactor = new Redactor();
  const http = new AirflowHttp({
    baseUrl: settings.baseUrl,
    dialect: settings.apiVersion,
    requestTimeoutMs: settings.requestTimeoutMs,
    redactor,
  });
  const credentials = { username: settings.username, password: () => resolveSecret(settings.password) };
  switch (settings.apiVersion) {
    case 'v2':
      return new AirflowV2Client(http, new JwtAuth(http, credentials, redactor));
    case 'v1':
      return new AirflowV1Client(http, new BasicAuth(credentials, redactor));
  }
}
