// Defects the suites find in the code today and that are being fixed (issue 11). A failing
// case whose every failure matches an entry is reported as "known" instead of failed, so CI
// stays green until the fix lands; any other failure fails the run. An entry that matched
// nothing in a run that covered its faces is reported, so it can be removed once fixed
// (the collectability test and the soak mark their checks the same way, with test.fails
// and "known" lines). The lead removes entries as fixes merge: keep each one narrow.
import type { Face } from './faces';
import type { Category, Failure } from './judge';

export interface CaseInfo {
  face: Face;
  seed: number;
  labels: readonly string[];
}

export interface KnownDefect {
  /** A short stable name, e.g. 'hang-after-violation-rst'. */
  id: string;
  /** The defect's number in issue 11 ("Defects to fix"), e.g. '1' or '4b'. */
  defect: string;
  title: string;
  /** Faces it shows on (absent: every face). */
  faces?: readonly Face[];
  /** Failure categories it explains. */
  categories: readonly Category[];
  /** Narrows the entry to the cases that provoke it (absent: any case). */
  when?: (c: CaseInfo, f: Failure) => boolean;
}

const labelled = (prefix: string) => (c: CaseInfo) => c.labels.some((l) => l.startsWith(prefix));

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    id: 'closed-socket-never-collected',
    defect: '2',
    title: 'every WHATWG, connect() and ArkTS connection stays reachable after it closed (EngineSocket <-> NativeSocket rooted)',
    faces: ['whatwg', 'connect', 'arkts'],
    categories: ['leak'],
    // Memory, not descriptors: the soak's fds check stays strict.
    when: (c) => !c.labels.includes('soak:fds'),
  },
  {
    id: 'hang-after-violation-fin',
    defect: '1 (FIN variant, new)',
    title: 'a violation followed at once by a FIN: sometimes no close event either (the loop does not spin)',
    categories: ['hang', 'no-exit'],
    when: (c) => labelled('ending:fin')(c) && (labelled('violation:')(c) || labelled('mutated')(c)),
  },
  {
    id: 'invalid-close-code-reported-clean',
    defect: '4a',
    title: 'an invalid close code from the server: 1002 is sent but reported as a clean close without an error',
    categories: ['close-report'],
    when: (_c, f) => f.detail.includes('a close frame with the invalid code'),
  },
  {
    id: 'unanswered-close-reported-clean',
    defect: '4b',
    title: 'a close the server never answers (it drops or keeps the TCP connection) is reported as a clean close',
    categories: ['close-report'],
    when: labelled('reaction:none-'),
  },
  {
    id: 'bytes-after-close-parsed',
    defect: '4c',
    title: 'bytes after the server\'s close frame are parsed; malformed ones drop TCP without the close reply',
    categories: ['close-frame', 'close-report', 'pong', 'pong-order', 'echo', 'tcp-not-closed'],
    when: labelled('after-close:'),
  },
  {
    id: 'huge-text-length-1007-with-deflate',
    defect: '4d',
    title: 'with permessage-deflate negotiated, a text frame declaring more than maxPayload fails with 1007 instead of 1009',
    faces: ['whatwg', 'connect'],
    categories: ['close-report', 'close-frame'],
    when: (c, f) => c.labels.includes('deflate') && /(close code|close frame with) 1007, not 1009/.test(f.detail),
  },
  {
    id: 'close-in-callback-returns-0',
    defect: '4f',
    title: 'C API: Close inside onError or onClose returns 0 although the connection is gone (1017)',
    faces: ['mirror', 'clib'],
    categories: ['c-api-return'],
  },
  {
    id: 'close-reply-code-ignored',
    defect: '4 (new)',
    title: 'a close the client started, answered with another code (or none): the application gets its own code',
    categories: ['close-report'],
    when: (c) => labelled('reaction:other-')(c) || labelled('reaction:empty-')(c),
  },
  {
    id: 'close-frame-lost-on-failure',
    defect: '4 (new)',
    title: 'failing the connection while the server still sends: the client resets TCP and its close frame is lost',
    categories: ['close-frame'],
    when: (_c, f) => f.detail.startsWith('no close frame from the client'),
  },
  {
    id: 'messages-lost-at-fin',
    defect: '4 (new)',
    title: 'the server sends messages and closes TCP (FIN): under load some are never delivered (reported as 1006)',
    categories: ['lost-message'],
    // A lingering peer ends with a FIN too once it gave up waiting for the client.
    when: (c) => labelled('ending:fin')(c) || labelled('ending:linger')(c),
  },
  {
    id: 'no-close-reply-before-fin',
    defect: '4 (new)',
    title: 'a close frame, then the server\'s FIN before the client replied: the client sometimes drops TCP without its close reply',
    categories: ['close-frame'],
    when: (c, f) => (labelled('ending:fin')(c) || labelled('ending:linger')(c)) && !labelled('after-close:')(c)
      && f.detail.startsWith('the server\'s close frame was not answered'),
  },
  {
    id: 'tcp-left-open-after-failure',
    defect: '4 (new)',
    title: 'after failing the connection (or refusing the 101) and reporting it, the client sometimes leaves TCP open until the server closes it',
    categories: ['tcp-not-closed'],
    when: (_c, f) => f.detail.startsWith('the client failed the connection but left') || f.detail.startsWith('the client did not close the TCP connection of a failed handshake'),
  },
  {
    id: 'c-send-unbounded',
    defect: '6',
    title: 'the C mirror\'s Send queues without bound (no 1013) to a peer that reads nothing',
    faces: ['mirror', 'clib'],
    categories: ['unbounded-send'],
  },
  {
    id: 'pong-missing',
    defect: '5b',
    title: 'not every ping gets its own pong (pings coalesced, or dropped when a close or a failure follows)',
    categories: ['pong'],
  },
];

/** Whether `id` is a known defect on `face` (for suites that mark whole tests as known). */
export function isKnownDefect(id: string, face: Face): boolean {
  return KNOWN_DEFECTS.some((d) => d.id === id && (!d.faces || d.faces.includes(face)));
}

/** The entries that explain a failure of a case. */
export function explain(c: CaseInfo, failure: Failure): KnownDefect[] {
  return KNOWN_DEFECTS.filter((d) => (!d.faces || d.faces.includes(c.face)) && d.categories.includes(failure.category) && (!d.when || d.when(c, failure)));
}
