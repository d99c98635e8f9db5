export { ERROR_TABLE, SCAN_RUNNING_CODE, TRANSPORT_CODES, lookupError, type ErrorKind, type ErrorRow, type RetryPolicy } from './table';
export { TencentError, isTencentError } from './tencent-error';
