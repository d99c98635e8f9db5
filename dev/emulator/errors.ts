// Tencent Cloud API 3.0 error answers, with the message texts the real services send where we found them.
// Sources (see dev/emulator/README.md): the API 3.0 "Responses" and common-error pages, the yunjing and tdmq
// errors documented per action in tencentcloud-sdk-go (client.go / errors.go), and messages seen in SDK issues.

/** An error answer: `{"Response":{"Error":{"Code","Message"},"RequestId"}}` with HTTP 200. */
export class ApiError extends Error {
  constructor(readonly code: string, message?: string) {
    super(message ?? MESSAGES[code] ?? code);
  }
}

export const MESSAGES: Record<string, string> = {
  // Common errors (API 3.0).
  'AuthFailure.InvalidAuthorization': 'The Authorization header is missing or malformed. Use TC3-HMAC-SHA256.',
  'AuthFailure.SignatureExpire': 'Signature expired. Timestamp and server time cannot differ by more than 5 minutes. Please check your local time.',
  'AuthFailure.SecretIdNotFound': 'The SecretId is not found, please ensure that your SecretId is correct.',
  'AuthFailure.SignatureFailure': 'The provided credentials could not be validated. Please check your signature is correct.',
  'AuthFailure.TokenFailure': 'The token is invalid or does not belong to these temporary credentials.',
  UnauthorizedOperation: 'You are not authorized to perform this operation. Check the CAM policy of your credentials.',
  InvalidAction: 'The requested action does not exist.',
  NoSuchVersion: 'The requested API version does not exist for this action.',
  MissingParameter: 'A required parameter is missing.',
  InvalidParameter: 'A parameter is invalid.',
  InvalidParameterValue: 'A parameter value is invalid.',
  InternalError: 'Internal error.',
  // yunjing 2018-02-28 (tencentcloud-sdk-go-intl-en yunjing/v20180228/errors.go).
  'FailedOperation.AgentOffline': 'The agent is offline.',
  'FailedOperation.CreateOpenPortTask': 'Failed to create a port acquisition task.',
  'FailedOperation.CreateProcessTask': 'Failed to create a real-time process acquisition task.',
  'FailedOperation.OpenPortTaskNotFound': 'The real-time port pulling task does not exist.',
  'FailedOperation.ProcessTaskNotFound': 'The real-time process pulling task does not exist.',
  'InvalidParameter.IllegalRequest': 'Invalid request.',
  'InvalidParameter.InvalidFormat': 'Incorrect parameter format.',
  'InvalidParameter.ParsingError': 'Parameter parsing error.',
  'InvalidParameter.MissingParameter': 'A required parameter is empty.',
  ResourceNotFound: 'The resource does not exist.',
};

/** The real RequestLimitExceeded text (seen in SDK issues), with our numbers. */
export function rateLimitMessage(count: number, limit: number): string {
  return `Your current request times equals to \`${count}\` in a second, which exceeds the frequency limit \`${limit}\` for a second. Please reduce the frequency of calls.`;
}

/**
 * The request body as a JSON object, or the error each kind's actions document for a body that is not one:
 * the process actions have ParsingError; the port actions only InvalidFormat, their nearest code.
 */
export function parseParamsObject(body: string, kind: 'process' | 'port'): Record<string, unknown> {
  let params: unknown;
  try {
    params = JSON.parse(body);
  } catch {
    params = undefined;
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw kind === 'process'
      ? new ApiError('InvalidParameter.ParsingError', 'The request body could not be parsed as a JSON object.')
      : new ApiError('InvalidParameter.InvalidFormat', 'The request body is not a JSON object.');
  }
  return params as Record<string, unknown>;
}
