// Gateway status queries at a fixed arrival rate: the same scenarios as
// loadtest/gateway-status.ts (autocannon). See README.md in this folder.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=aoe_... \
//          -e RUN_IDS=id1,id2,... -e PIPELINE_IDS=p1,p2 loadtest/k6/gateway-status.js
import http from 'k6/http';
import { check } from 'k6';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const API_KEY = __ENV.API_KEY;
const RATE = Number(__ENV.RATE || 500);
const DURATION = __ENV.DURATION || '30s';
const RUN_IDS = (__ENV.RUN_IDS || '').split(',').filter(Boolean);
const PIPELINE_IDS = (__ENV.PIPELINE_IDS || '').split(',').filter(Boolean);

if (!API_KEY) throw new Error('set API_KEY (a read-scoped key: aoe admin api-key create --scope read)');
if (RUN_IDS.length === 0) throw new Error('set RUN_IDS to one or more run ids (GET /v1/runs lists them)');

const scenario = (exec, startTime) => ({
  executor: 'constant-arrival-rate',
  exec,
  rate: RATE,
  timeUnit: '1s',
  duration: DURATION,
  preAllocatedVUs: 50,
  maxVUs: 200,
  startTime,
});

export const options = {
  scenarios: {
    run_status: scenario('runStatus', '0s'),
    list_runs: scenario('listRuns', DURATION),
    list_runs_by_pipeline: scenario('listRunsByPipeline', `${2 * parseInt(DURATION, 10)}s`),
  },
  thresholds: {
    'http_req_duration{scenario:run_status}': ['p(99)<50'],
    'http_req_duration{scenario:list_runs}': ['p(99)<50'],
    'http_req_duration{scenario:list_runs_by_pipeline}': ['p(99)<50'],
    http_req_failed: ['rate<0.01'],
  },
  summaryTrendStats: ['med', 'p(95)', 'p(99)', 'max'],
};

const params = { headers: { authorization: `Bearer ${API_KEY}` } };
const pick = (items) => items[Math.floor(Math.random() * items.length)];

export function runStatus() {
  const res = http.get(`${BASE_URL}/v1/runs/${pick(RUN_IDS)}`, params);
  check(res, { 'status 200': (r) => r.status === 200 });
}

export function listRuns() {
  const res = http.get(`${BASE_URL}/v1/runs?limit=50`, params);
  check(res, { 'status 200': (r) => r.status === 200 });
}

export function listRunsByPipeline() {
  const pipeline = PIPELINE_IDS.length ? `&pipelineId=${pick(PIPELINE_IDS)}` : '';
  const res = http.get(`${BASE_URL}/v1/runs?limit=50${pipeline}`, params);
  check(res, { 'status 200': (r) => r.status === 200 });
}
