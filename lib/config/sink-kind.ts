// What lib/config knows of a sink kind: the settings it reads. Each kind is declared once, in its own file in
// lib/sinks, with its factory beside its settings, and registered in lib/sinks/kinds.ts; loadConfigWith
// (core.ts) loops over the kinds it is handed, so nothing here names a sink.

/** What a sink kind's settings are read from. */
export interface SinkSettingsInput {
  /** The variables present (trimmed, non-empty), the other function's left out. */
  readonly present: Readonly<Record<string, string>>;
  /** TENCENTCLOUD_REGION, or its default when the variable is bad (that is reported already). */
  readonly region: string;
  /** Where each problem goes, as `<VARIABLE>: <what is wrong and the fix>`, beside the core settings' problems. */
  readonly problems: string[];
}

export interface SinkSettingsKind<Key extends string = string, Settings = unknown> {
  /** Where the kind's settings are in the loaded configuration: `config.webhook`, `config.eb`, … */
  readonly key: Key;
  /**
   * The prefix of each family of its sinks that is routed on its own: its routing variables are
   * `<PREFIX>_MIN_SEVERITY`, `_KINDS`, `_STATES`, `_EVENT_TYPES` (routing.ts). One for most kinds (EB); the chat
   * robots have one per vendor (WECOM, DINGTALK, FEISHU, SLACK).
   */
  readonly prefixes: readonly string[];
  /** The kind's own variables (its routing variables aside). All of them are the poll function's. */
  readonly variables: readonly string[];
  /** The kind's settings from the variables present; every problem pushed onto `input.problems`. */
  settings(input: SinkSettingsInput): Settings;
}
