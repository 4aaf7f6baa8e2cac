export {
  HttpApiSource,
  type HttpApiSourceSpec,
  type HttpApiSourceInput,
  type HttpApiSourceOptions,
} from './http-api.source';
export { fetchJson, parseRetryAfter, backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './http-fetcher';
export { flattenRecord, toRow, FLATTEN_SEPARATOR, type NestedMode } from './record-shape';
export { getPath } from './json-path';
export { Pager, nextLink } from './pagination';
