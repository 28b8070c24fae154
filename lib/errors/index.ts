export { AppError, ERROR_CODES, httpStatus, isAppError, isErrorCode, isRetryable } from './app-error';
export type { ErrorCode } from './app-error';
