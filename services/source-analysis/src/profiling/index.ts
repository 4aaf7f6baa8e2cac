export {
  SourceProfiler,
  sourceProfilerFromEnv,
  type SourceProfilerOptions,
  type ProfileRequest,
  type ProfileOutcome,
} from './source-profiler';
export { DEFAULT_PROFILE_LIMITS, profileLimits, profileLimitsFromEnv, type ProfileLimits } from './profile-limits';
export { sampleSource, type Sample, type SampleStop } from './bounded-sample';
export { estimateDistinct } from './distinct-estimate';
export { detectPii, luhnValid, type PiiHint } from './pii';
export { detectEncoding, inspectHead } from './head-inspection';
export { totalHint } from './probes/http.probe';
