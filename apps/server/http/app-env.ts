import type { Principal } from '../../../lib/auth';

/** Per-request values the middleware sets. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal?: Principal;
  };
}
