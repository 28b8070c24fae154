/** The hone HTTP API: `createApp(deps)` (a Hono app) and `startServer(options)`. */
export { createApp, apiRoutes, type HoneApp, type AppInternals } from './create-app';
export { startServer, type RunningServer, type StartServerOptions } from './start-server';
export { DEFAULT_SERVER_CONFIG, type ServerConfig, type ServerDeps } from './server-deps';
export { createJsonLogger, silentLogger, redact, type Logger, type LogLevel } from './logger';
export { openApiDocument } from './openapi';
