// Conformance, section 5: fragmentation. Fragmented messages are reassembled, control frames
// may be interleaved between fragments, control frames themselves must not be fragmented,
// and continuation frames must continue something.
import { describe } from 'vitest';
import { binary, payload, text, useHarness, verdictCleanClose, verdictFail } from './harness';
import { frame } from './raw-server';

const h = useHarness();
const MiB = 1024 * 1024;

describe('5 fragmentation', () => {
  h.test('5.1 ping fragmented into 2 fragments: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.ping('fragment1', { fin: false }), frame.cont('fragment2')]));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.2 pong fragmented into 2 fragments: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.pong('fragment1', { fin: false }), frame.cont('fragment2')]));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.3 close fragmented into 2 fragments: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.close(1000, 'frag', { fin: false }), frame.cont('ment')]));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.4 text in 2 fragments: reassembled', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('fragment1', { fin: false }), frame.cont('fragment2')]));
    await verdictCleanClose(conn, client, { echoes: [text('fragment1fragment2')] });
  });

  h.test('5.5 text in 2 fragments, written 1 byte at a time', async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(Buffer.concat([frame.text('fragment1', { fin: false }), frame.cont('fragment2')]), 1, 1);
    await verdictCleanClose(conn, client, { echoes: [text('fragment1fragment2')] });
  });

  h.test('5.6 binary in 3 fragments written 50 ms apart', async () => {
    const { conn, client } = await h.open();
    await conn.writeEach([frame.binary(payload(100), { fin: false }), frame.cont(payload(70000), { fin: false }), frame.cont(payload(3))], 50);
    await verdictCleanClose(conn, client, { echoes: [binary(Buffer.concat([payload(100), payload(70000), payload(3)]))] });
  });

  h.test('5.7 text in 2 fragments with a ping in between: pong, then the message', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('fragment1', { fin: false }), frame.ping('pongme!'), frame.cont('fragment2')]));
    await verdictCleanClose(conn, client, { echoes: [text('fragment1fragment2')], pongs: ['pongme!'] });
  });

  h.test('5.8 the same, written 1 byte at a time', async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(Buffer.concat([frame.text('fragment1', { fin: false }), frame.ping('pongme!'), frame.cont('fragment2')]), 1, 1);
    await verdictCleanClose(conn, client, { echoes: [text('fragment1fragment2')], pongs: ['pongme!'] });
  });

  h.test('5.9 binary in 3 fragments with an unsolicited pong in between: pong ignored', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.binary('a', { fin: false }), frame.pong('unsolicited'), frame.cont('b', { fin: false }), frame.cont('c')]));
    await verdictCleanClose(conn, client, { echoes: [binary('abc')] });
  });

  h.test('5.10 text in 5 fragments with a ping between each, 10 ms apart: 4 pongs, then the message', async () => {
    const { conn, client } = await h.open();
    const parts: Buffer[] = [frame.text('f1', { fin: false })];
    for (let i = 2; i <= 5; i++) {
      parts.push(frame.ping(`ping-${i}`));
      parts.push(frame.cont(`f${i}`, { fin: i === 5 }));
    }
    await conn.writeEach(parts, 10);
    await verdictCleanClose(conn, client, { echoes: [text('f1f2f3f4f5')], pongs: ['ping-2', 'ping-3', 'ping-4', 'ping-5'] });
  });

  h.test('5.11 continuation (FIN=1) with nothing to continue: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.cont('non-continuation payload'));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.12 continuation (FIN=0) with nothing to continue, then one with FIN=1: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.cont('fragment1', { fin: false }), frame.cont('fragment2')]));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.13 the same, written 1 byte at a time', async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(Buffer.concat([frame.cont('fragment1', { fin: false }), frame.cont('fragment2')]), 1, 1);
    await verdictFail(conn, client, 1002);
  });

  h.test('5.14 a valid message, then a continuation after its end: echo it, then fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('frag1', { fin: false }), frame.cont('frag2'), frame.cont('one too many')]));
    await verdictFail(conn, client, 1002, { echoes: [text('frag1frag2')] });
  });

  h.test('5.15 a new text frame while a fragmented text is unfinished: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('fragment1', { fin: false }), frame.text('fragment2'), frame.cont('fragment3')]));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.16 a new binary frame while a fragmented binary is unfinished: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.binary('fragment1', { fin: false }), frame.binary('fragment2', { fin: false }), frame.cont('fragment3')]));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.17 a fragmented ping inside a fragmented text: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('fragment1', { fin: false }), frame.ping('half', { fin: false }), frame.cont('fragment2')]));
    await verdictFail(conn, client, 1002);
  });

  h.test('5.18 text with empty fragments (first, middle and last): reassembled', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('', { fin: false }), frame.cont('', { fin: false }), frame.cont('abc', { fin: false }), frame.cont('')]));
    await verdictCleanClose(conn, client, { echoes: [text('abc')] });
  });

  h.test('5.19 a close frame inside a fragmented message: the close is answered, the partial message dropped', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('never finished', { fin: false }), frame.close(1000)]));
    await verdictCleanClose(conn, client, {}, 1000, '', { closeAlreadySent: true });
  });

  h.test('5.20 4 MiB binary in 65,536 fragments of 64 bytes: accepted', async () => {
    const { conn, client } = await h.open();
    const data = payload(4 * MiB);
    const parts: Buffer[] = [];
    for (let i = 0; i < 65536; i++) {
      const piece = data.subarray(i * 64, (i + 1) * 64);
      parts.push(i === 0 ? frame.binary(piece, { fin: false }) : frame.cont(piece, { fin: i === 65535 }));
    }
    await conn.write(Buffer.concat(parts));
    await verdictCleanClose(conn, client, { echoes: [binary(data)] });
  }, 30000);

  h.test('5.21 64 KiB of multi-byte text in 1-byte fragments (every code point split): accepted', async () => {
    const { conn, client } = await h.open();
    const data = Buffer.from('aé€😀'.repeat(6554), 'utf8');
    const parts: Buffer[] = [];
    for (let i = 0; i < data.length; i++) {
      const piece = data.subarray(i, i + 1);
      parts.push(i === 0 ? frame.text(piece, { fin: false }) : frame.cont(piece, { fin: i === data.length - 1 }));
    }
    await conn.write(Buffer.concat(parts));
    await verdictCleanClose(conn, client, { echoes: [text(data)] });
  }, 30000);
});
