export { getConfig, loadConfig } from './load-config';
export type { HoneConfig } from './load-config';
