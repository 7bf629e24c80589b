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
    id: 'hang-after-violation-fin',
    defect: '1 (FIN variant, new)',
    title: 'a violation followed at once by a FIN: sometimes no close event either (the loop does not spin)',
    categories: ['hang', 'no-exit'],
    when: (c) => labelled('ending:fin')(c) && (labelled('violation:')(c) || labelled('mutated')(c)),
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
];

/** Whether `id` is a known defect on `face` (for suites that mark whole tests as known). */
export function isKnownDefect(id: string, face: Face): boolean {
  return KNOWN_DEFECTS.some((d) => d.id === id && (!d.faces || d.faces.includes(face)));
}

/** The entries that explain a failure of a case. */
export function explain(c: CaseInfo, failure: Failure): KnownDefect[] {
  return KNOWN_DEFECTS.filter((d) => (!d.faces || d.faces.includes(c.face)) && d.categories.includes(failure.category) && (!d.when || d.when(c, failure)));
}
