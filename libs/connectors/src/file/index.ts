export { FileSource, type FileSourceSpec, type FileSourceInput, type FileSourceOptions } from './file.source';
export {
  DirectorySink,
  type DirectoryTargetSpec,
  type DirectoryTargetInput,
  type PartSinkOptions,
} from './directory.sink';
export { listFiles, type ListedFile } from './file-listing';
