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

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
];

/** Whether `id` is a known defect on `face` (for suites that mark whole tests as known). */
export function isKnownDefect(id: string, face: Face): boolean {
  return KNOWN_DEFECTS.some((d) => d.id === id && (!d.faces || d.faces.includes(face)));
}

/** The entries that explain a failure of a case. */
export function explain(c: CaseInfo, failure: Failure): KnownDefect[] {
  return KNOWN_DEFECTS.filter((d) => (!d.faces || d.faces.includes(c.face)) && d.categories.includes(failure.category) && (!d.when || d.when(c, failure)));
}
