// How a chat robot is named where it is stored and shown: its sink id and its budget key. A robot's URL is its
// credential, so both use a short hash of it, never the URL. Shared by the stand-in (index.ts), which needs the id
// at once, and the real sink (chat-sink.ts), which is loaded later.
import { createHash } from 'node:crypto';
import type { ChatRobotKind } from './settings';

/** 12 hex characters of the URL's SHA-256: the robot's stable name in sink ids and budget keys, never its key. */
export function robotHash(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 12);
}

/** `wecom:qyapi.weixin.qq.com#1a2b3c4d5e6f`: no path, no query (the id is stored and shown; robot URLs are credentials). */
export function chatSinkId(kind: ChatRobotKind, url: string): string {
  const u = new URL(url);
  return `${kind}:${u.host}#${robotHash(u.toString())}`;
}
