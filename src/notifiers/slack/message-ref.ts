/**
 * The delivery `ref` the Slack notifier returns for a posted message: `<channel id>:<ts>`.
 *
 * chat.update needs the channel's id (a `#name` is not accepted there) and the message's ts;
 * chat.postMessage answers with both, whatever form the rule's target had. Older deliveries
 * stored the ts alone: `decodeMessageRef` reads both forms (channel null for the old one), and a
 * thread reply needs only the ts.
 */
const CHANNEL_ID = /^[A-Z0-9]{2,}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;

export interface DecodedMessageRef {
  channel: string | null;
  ts: string;
}

export function encodeMessageRef(channel: string | undefined, ts: string): string {
  return channel && CHANNEL_ID.test(channel) ? `${channel}:${ts}` : ts;
}

/** The channel and ts of a ref; null when the ref is not one the notifier wrote. */
export function decodeMessageRef(ref: string): DecodedMessageRef | null {
  const colon = ref.indexOf(':');
  const channel = colon === -1 ? null : ref.slice(0, colon);
  const ts = colon === -1 ? ref : ref.slice(colon + 1);
  if (!TS.test(ts)) return null;
  if (channel !== null && !CHANNEL_ID.test(channel)) return null;
  return { channel, ts };
}
