// Typed calls to CWP (yunjing 2018-02-28). The request and response types are the official SDK's, imported
// as types only, so they cost nothing in the bundle.
import type {
  DescribeOpenPortTaskStatusRequest,
  DescribeOpenPortTaskStatusResponse,
  DescribeProcessTaskStatusRequest,
  DescribeProcessTaskStatusResponse,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/yunjing/v20180228/yunjing_models';
import { TencentError, TRANSPORT_CODES } from '../errors';
import type { CallOptions, TencentCaller } from '../tencent/types';
import { CWP_STATUSES, type CwpStatus, type TaskKind, type TaskObservation } from '../types';
import { isAgentUuid, normalizeUuid } from './uuid';

export { CWP_SERVICE, CWP_VERSION } from '../tencent/services';

/** The status action of each task kind. */
export const STATUS_ACTION: Record<TaskKind, 'DescribeProcessTaskStatus' | 'DescribeOpenPortTaskStatus'> = {
  process: 'DescribeProcessTaskStatus',
  port: 'DescribeOpenPortTaskStatus',
};

/** The action that reads a finished collection's results. */
export const RESULT_ACTION: Record<TaskKind, 'DescribeProcesses' | 'DescribeOpenPorts'> = {
  process: 'DescribeProcesses',
  port: 'DescribeOpenPorts',
};

type StatusRequest = DescribeProcessTaskStatusRequest & DescribeOpenPortTaskStatusRequest;
type StatusResponse = Omit<DescribeProcessTaskStatusResponse | DescribeOpenPortTaskStatusResponse, 'RequestId'>;

export class InvalidUuidError extends Error {
  override readonly name = 'InvalidUuidError';
  constructor(readonly value: string) {
    super(`"${value}" is not an agent Uuid; use the 8-4-4-4-12 hex form, e.g. 6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1`);
  }
}

export class CwpClient {
  constructor(private readonly caller: TencentCaller, private readonly now: () => number = Date.now) {}

  /**
   * The state of one collection task. Errors that imply a state (agent offline, no task, unknown agent) come
   * back as an observation; every other failure rejects with the TencentError.
   */
  async getTaskStatus(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<TaskObservation> {
    if (!isAgentUuid(uuid)) throw new InvalidUuidError(uuid);
    const id = normalizeUuid(uuid);
    const action = STATUS_ACTION[kind];
    const request: StatusRequest = { Uuid: id };
    try {
      const { response, requestId } = await this.caller.call<StatusResponse>(action, { ...request }, options);
      const status = response.Status as string;
      if (!(CWP_STATUSES as readonly string[]).includes(status)) {
        throw new TencentError({ code: TRANSPORT_CODES.unknownStatus, message: `${action} answered Status ${JSON.stringify(status)}`, requestId, action });
      }
      return { uuid: id, kind, state: status as CwpStatus, requestId, observedAt: this.now() };
    } catch (e) {
      if (e instanceof TencentError && e.row.state !== null) {
        return { uuid: id, kind, state: e.row.state, requestId: e.requestId ?? '', observedAt: this.now() };
      }
      throw e;
    }
  }
}
