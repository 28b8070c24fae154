/**
 * Engine pieces the platform's engine adapter (activities/engine-adapter.ts) uses beyond the facade in index.ts:
 * the session cache, which carries the worker's ONNX Runtime thread count, and the policy's parameter names (to cut
 * the policy out of a trainer state that also holds a value network). Kept apart from the facade on purpose: it is
 * the platform's addition, not part of the engine's designed API.
 */
export { PLATFORM_SESSION_OPTIONS, SessionCache, paramShapes } from './models';
