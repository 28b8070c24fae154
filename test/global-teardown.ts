import { stopTestServices } from './global-setup';

/** Jest global teardown: stops the services test/global-setup.ts started. */
export default async function globalTeardown(): Promise<void> {
  await stopTestServices();
}
