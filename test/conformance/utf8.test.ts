// Conformance, section 6: UTF-8 in text messages. Valid text (boundary code points,
// noncharacters, code points split across fragments) is delivered byte-exact; invalid text
// (stray continuation bytes, overlongs, surrogates, > U+10FFFF, truncated sequences) fails
// the connection with 1007, and does so AS SOON AS the bad bytes arrive, not at the end of
// the message.
import { describe, expect } from 'vitest';
import { WAIT_MS, details, hex, text, useHarness, utf8, verdictCleanClose, verdictFail } from './harness';
import { frame, type RawConnection } from './raw-server';
import type { ClientUnderTest } from './client-under-test';

const h = useHarness();

/** Text frames: one per part, the first a text frame, the rest continuations. */
function fragments(parts: Buffer[]): Buffer {
  return Buffer.concat(parts.map((p, i) => (i === 0 ? frame.text(p, { fin: parts.length === 1 }) : frame.cont(p, { fin: i === parts.length - 1 }))));
}

/**
 * Fail fast: writes `before` (valid so far), then `bad` (after which the text can no longer
 * be valid UTF-8), waits up to WAIT_MS for the client's close frame, and only then writes
 * `after` (the rest, which ends the message). The close (1007) must arrive before `after`.
 */
async function failFast(conn: RawConnection, client: ClientUnderTest, before: Buffer, bad: Buffer, after: Buffer): Promise<void> {
  await conn.write(before);
  await conn.write(bad);
  await conn.until(() => conn.closeFrame !== null || !conn.tcpOpen, WAIT_MS);
  const beforeFinal = conn.closeFrame !== null ? `close frame (code ${conn.closeFrame.code}) before the end of the message` : 'nothing before the end of the message';
  await conn.write(after);
  await verdictFail(conn, client, 1007);
  expect(beforeFinal, details(conn, client)).toBe('close frame (code 1007) before the end of the message');
}

describe('6.1 valid UTF-8', () => {
  h.test('6.1.1 empty text in 3 empty fragments', async () => {
    const { conn, client } = await h.open();
    await conn.write(fragments([Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)]));
    await verdictCleanClose(conn, client, { echoes: [text('')] });
  });

  const hello = utf8('Hello-µ@ßöäüàá-UTF-8!!');
  h.test('6.1.2 "Hello-µ@ßöäüàá-UTF-8!!" in one frame', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.text(hello));
    await verdictCleanClose(conn, client, { echoes: [text(hello)] });
  });

  h.test('6.1.3 the same in 1-byte fragments', async () => {
    const { conn, client } = await h.open();
    await conn.write(fragments([...hello].map((b) => Buffer.from([b]))));
    await verdictCleanClose(conn, client, { echoes: [text(hello)] });
  });

  h.test('6.1.4 the same in one frame written 1 byte at a time', async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(frame.text(hello), 1, 1);
    await verdictCleanClose(conn, client, { echoes: [text(hello)] });
  });

  const valid: Array<[string, string]> = [
    ['κόσμε', 'ceba e1bdb9 cf83 cebc ceb5'],
    ['U+0000', '00'],
    ['U+007F', '7f'],
    ['U+0080 (first 2-byte)', 'c280'],
    ['U+07FF (last 2-byte)', 'dfbf'],
    ['U+0800 (first 3-byte)', 'e0a080'],
    ['U+D7FF (last before the surrogates)', 'ed9fbf'],
    ['U+E000 (first after the surrogates)', 'ee8080'],
    ['U+FDD0 (noncharacter)', 'efb790'],
    ['U+FFFD', 'efbfbd'],
    ['U+FFFE (noncharacter)', 'efbfbe'],
    ['U+FFFF (last 3-byte)', 'efbfbf'],
    ['U+10000 (first 4-byte)', 'f0908080'],
    ['U+10FFFF (last code point)', 'f48fbfbf'],
    ['a byte order mark then text', 'efbbbf 68656c6c6f'],
  ];
  valid.forEach(([name, bytes], i) => {
    h.test(`6.1.${i + 5} valid: ${name}`, async () => {
      const { conn, client } = await h.open();
      await conn.write(frame.text(hex(bytes)));
      await verdictCleanClose(conn, client, { echoes: [text(hex(bytes))] });
    });
  });
});

describe('6.2 code points split across fragments (valid)', () => {
  const splits: Array<[string, string[]]> = [
    ['€ as [e2][82 ac]', ['e2', '82ac']],
    ['€ as [e2 82][ac]', ['e282', 'ac']],
    ['😀 as 4 fragments of 1 byte', ['f0', '9f', '98', '80']],
    ['"κόσμε" split after every byte', ['ce', 'ba', 'e1', 'bd', 'b9', 'cf', '83', 'ce', 'bc', 'ce', 'b5']],
    ['U+10FFFF as [f4 8f][bf bf] with an empty fragment between', ['f48f', '', 'bfbf']],
  ];
  splits.forEach(([name, parts], i) => {
    h.test(`6.2.${i + 1} ${name}`, async () => {
      const { conn, client } = await h.open();
      await conn.write(fragments(parts.map(hex)));
      await verdictCleanClose(conn, client, { echoes: [text(hex(parts.join('')))] });
    });
  });
  h.test('6.2.6 "κόσμε" split after every byte, with a ping between fragments', async () => {
    const { conn, client } = await h.open();
    const bytes = hex('ceba e1bdb9 cf83 cebc ceb5');
    await conn.write(Buffer.concat([frame.text(bytes.subarray(0, 3), { fin: false }), frame.ping('p'), frame.cont(bytes.subarray(3))]));
    await verdictCleanClose(conn, client, { echoes: [text(bytes)], pongs: ['p'] });
  });
});

describe('6.3 invalid UTF-8: fail (1007)', () => {
  const invalid: Array<[string, string]> = [
    ['a lone continuation byte 0x80', '80'],
    ['a lone continuation byte 0xbf', 'bf'],
    ['three continuation bytes', '80bf80'],
    ['a 2-byte lead followed by ASCII', 'c241'],
    ['a 3-byte lead followed by ASCII', 'e08041'],
    ['overlong "/" in 2 bytes', 'c0af'],
    ['overlong "/" in 3 bytes', 'e080af'],
    ['overlong "/" in 4 bytes', 'f08080af'],
    ['maximum overlong 2-byte (c1 bf)', 'c1bf'],
    ['maximum overlong 3-byte (e0 9f bf)', 'e09fbf'],
    ['maximum overlong 4-byte (f0 8f bf bf)', 'f08fbfbf'],
    ['overlong NUL (c0 80)', 'c080'],
    ['high surrogate U+D800', 'eda080'],
    ['low surrogate U+DFFF', 'edbfbf'],
    ['a surrogate pair (CESU-8 of U+10000)', 'eda080edb080'],
    ['U+110000 (above U+10FFFF)', 'f4908080'],
    ['f7 bf bf bf (21-bit, above U+10FFFF)', 'f7bfbfbf'],
    ['a 5-byte sequence', 'f888808080'],
    ['a 6-byte sequence', 'fc8480808080'],
    ['byte 0xfe', 'fe'],
    ['byte 0xff', 'ff'],
    ['byte 0xf5', 'f5808080'],
    ['invalid byte in the middle of ASCII', '48656c6c6f ff 776f726c64'],
    ['"κόσμ" then a truncated 2-byte sequence at the end', 'ceba e1bdb9 cf83 cebc ce'],
    ['a truncated 3-byte sequence at the end', '41e282'],
    ['a truncated 4-byte sequence at the end', '41f09f98'],
  ];
  invalid.forEach(([name, bytes], i) => {
    h.test(`6.3.${i + 1} ${name}`, async () => {
      const { conn, client } = await h.open();
      await conn.write(frame.text(hex(bytes)));
      await verdictFail(conn, client, 1007);
    });
  });
  h.test(`6.3.${invalid.length + 1} a valid message, then one with a surrogate: echo the first, then fail`, async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('fine'), frame.text(hex('eda080'))]));
    await verdictFail(conn, client, 1007, { echoes: [text('fine')] });
  });
  h.test(`6.3.${invalid.length + 2} invalid text written 1 byte at a time`, async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(frame.text(hex('ceba e1bdb9 eda080 cebc ceb5')), 1, 1);
    await verdictFail(conn, client, 1007);
  });
});

describe('6.4 invalid UTF-8 across fragments', () => {
  h.test('6.4.1 a surrogate split across two fragments: fail (1007)', async () => {
    const { conn, client } = await h.open();
    await conn.write(fragments([hex('ed'), hex('a080')]));
    await verdictFail(conn, client, 1007);
  });

  h.test('6.4.2 a message ending in a truncated sequence after valid fragments: fail (1007)', async () => {
    const { conn, client } = await h.open();
    await conn.write(fragments([utf8('valid'), utf8('still valid'), hex('e282')]));
    await verdictFail(conn, client, 1007);
  });

  h.test('6.4.3 fail fast: fragment 2 of 3 is invalid; the close must arrive before fragment 3 is sent', async () => {
    const { conn, client } = await h.open();
    await failFast(conn, client,
      frame.text(utf8('κόσμε'), { fin: false }),
      frame.cont(hex('f4908080'), { fin: false }),
      frame.cont(utf8('edited')));
  });

  h.test('6.4.4 fail fast: the invalid sequence starts at the end of fragment 1 and is decided by the first byte of fragment 2', async () => {
    const { conn, client } = await h.open();
    await failFast(conn, client,
      frame.text(Buffer.concat([utf8('κόσμε'), hex('f4')]), { fin: false }),
      frame.cont(hex('90'), { fin: false }),
      frame.cont(Buffer.concat([hex('8080'), utf8('edited')])));
  });

  h.test('6.4.5 fail fast within one frame: the close must arrive before the rest of the frame is sent', async () => {
    const { conn, client } = await h.open();
    const whole = frame.text(Buffer.concat([utf8('κόσμε'), hex('f4908080'), utf8('edited')]));
    const headerAndValid = 2 + utf8('κόσμε').length;
    await failFast(conn, client, whole.subarray(0, headerAndValid), whole.subarray(headerAndValid, headerAndValid + 4), whole.subarray(headerAndValid + 4));
  });

  h.test('6.4.6 fail fast within one frame, decided by a single byte (f4 then 90)', async () => {
    const { conn, client } = await h.open();
    const whole = frame.text(Buffer.concat([utf8('κόσμε'), hex('f4908080'), utf8('edited')]));
    const headerAndValid = 2 + utf8('κόσμε').length;
    await conn.write(whole.subarray(0, headerAndValid + 1));
    await failFast(conn, client, Buffer.alloc(0), whole.subarray(headerAndValid + 1, headerAndValid + 2), whole.subarray(headerAndValid + 2));
  });
});
