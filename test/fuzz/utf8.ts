// Incremental strict UTF-8 checking (RFC 3629: no overlongs, no surrogates, nothing above
// U+10FFFF): tells "definitely invalid" (a client may fail at once) apart from "not yet
// complete" (a sequence cut at a chunk boundary, invalid only if the message ends there).
import { isUtf8 } from 'node:buffer';

export class Utf8Checker {
  /** A byte was seen that no valid continuation can repair. */
  invalid = false;
  private need = 0;
  private lower = 0x80;
  private upper = 0xbf;

  push(chunk: Uint8Array): void {
    if (this.invalid) return;
    // Fast path: nothing pending and the chunk is complete valid UTF-8 on its own.
    if (this.need === 0 && isUtf8(chunk)) return;
    for (const b of chunk) {
      if (this.need === 0) {
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) this.need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          this.need = 2;
          if (b === 0xe0) this.lower = 0xa0;
          if (b === 0xed) this.upper = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          this.need = 3;
          if (b === 0xf0) this.lower = 0x90;
          if (b === 0xf4) this.upper = 0x8f;
        } else {
          this.invalid = true;
          return;
        }
      } else {
        if (b < this.lower || b > this.upper) {
          this.invalid = true;
          return;
        }
        this.lower = 0x80;
        this.upper = 0xbf;
        this.need -= 1;
      }
    }
  }

  /** Valid and not inside a sequence: the text may end here. */
  get complete(): boolean {
    return !this.invalid && this.need === 0;
  }
}
