// One chat robot sink from its configuration: the vendor (with its secret), its template, its shared budget.
// Loaded only when a robot is configured and first sends (index.ts), so an unconfigured chat costs nothing.
import type { ChatRobotConfig } from './settings';
import type { RequestBudget } from '../../ratelimit/budget';
import { ChatRobotSink, type ChatVendor } from './chat-sink';
import { dingtalk } from './dingtalk';
import { feishu } from './feishu';
import { slack } from './slack';
import { DEFAULT_CHAT_TIMEZONE } from './incident-wording';
import { compileTemplate } from './template';
import type { ChatLinkSigner } from './links';
import { wecom } from './wecom';

export function vendorOf(robot: Pick<ChatRobotConfig, 'kind' | 'secret'>): ChatVendor {
  switch (robot.kind) {
    case 'wecom':
      return wecom;
    case 'dingtalk':
      return dingtalk(robot.secret);
    case 'feishu':
      return feishu(robot.secret);
    case 'slack':
      return slack;
  }
}

export interface ChatSinkDeps {
  /** A request budget of `ratePerSecond` with `burst`, shared as widely as the store is (lib/runtime/storage.ts). */
  budget(ratePerSecond: number, burst: number): RequestBudget;
  timeoutMs: number;
  maxBatch?: number;
  /** Signed links on firing incidents' messages (CONSOLE_URL, LINK_SECRET); none: no links. */
  links?: ChatLinkSigner | null;
  now?: () => number;
  fetch?: typeof fetch;
}

export function buildChatRobotSink(robot: ChatRobotConfig, deps: ChatSinkDeps): ChatRobotSink {
  const vendor = vendorOf(robot);
  let template = null;
  if (robot.template !== null) {
    const compiled = compileTemplate(robot.template);
    // lib/config refused a bad template at start-up; one reaching here is a wiring bug.
    if (!compiled.ok) throw new Error(`${robot.kind} template: ${compiled.problems.join('; ')}`);
    template = compiled.template;
  }
  return new ChatRobotSink({
    vendor,
    url: robot.url,
    budget: deps.budget(vendor.rate.ratePerSecond, vendor.rate.burst),
    timeoutMs: deps.timeoutMs,
    template,
    wording: { timeZone: robot.timeZone ?? DEFAULT_CHAT_TIMEZONE },
    ...(deps.maxBatch !== undefined ? { maxBatch: deps.maxBatch } : {}),
    ...(deps.links ? { links: deps.links } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
}
