export {
  S3Source,
  type S3SourceSpec,
  type S3SourceInput,
  type S3SourceOptions,
  type ListedS3Object,
} from './s3.source';
export { S3Sink, type S3TargetSpec, type S3TargetInput, type S3SinkOptions } from './s3.sink';
export { createS3Client, classifyS3Error, s3Sdk, type S3Endpoint } from './s3-client';
