// Public surface of the platform composition used by `sekisho up`.
export {
  startPlatform,
  checkRegistryUrl,
  UI_DIST,
  type Platform,
  type PlatformOptions,
  type PlatformLog,
} from './platform.ts';
export { PlatformError, type PlatformErrorCode } from './errors.ts';
