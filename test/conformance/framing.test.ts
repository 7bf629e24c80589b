// Conformance, section 1: framing. Text and binary messages at every length boundary of the
// 7/16/64-bit length encodings, up to 16 MiB; chopped and coalesced writes; malformed lengths.
// The client under test echoes every message; each case ends with a server-initiated close.
import { describe } from 'vitest';
import { binary, payload, text, useHarness, verdictCleanClose, verdictFail } from './harness';
import { frame } from './raw-server';

const h = useHarness();
const MiB = 1024 * 1024;

describe('1 framing', () => {
  const sizes = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537, MiB, 16 * MiB];
  sizes.forEach((size, i) => {
    h.test(`1.1.${i + 1} text message, ${size} bytes`, async () => {
      const { conn, client } = await h.open();
      const data = payload(size, true);
      await conn.write(frame.text(data));
      await verdictCleanClose(conn, client, { echoes: [text(data)] });
    }, 30000);
    h.test(`1.2.${i + 1} binary message, ${size} bytes`, async () => {
      const { conn, client } = await h.open();
      const data = payload(size);
      await conn.write(frame.binary(data));
      await verdictCleanClose(conn, client, { echoes: [binary(data)] });
    }, 30000);
  });

  h.test('1.3.1 text 65536 bytes, written in chops of 997 bytes', async () => {
    const { conn, client } = await h.open();
    const data = payload(65536, true);
    await conn.writeChopped(frame.text(data), 997);
    await verdictCleanClose(conn, client, { echoes: [text(data)] });
  });

  h.test('1.3.2 binary 65536 bytes, written in chops of 997 bytes', async () => {
    const { conn, client } = await h.open();
    const data = payload(65536);
    await conn.writeChopped(frame.binary(data), 997);
    await verdictCleanClose(conn, client, { echoes: [binary(data)] });
  });

  h.test('1.3.3 text 125 bytes, written 1 byte at a time', async () => {
    const { conn, client } = await h.open();
    const data = payload(125, true);
    await conn.writeChopped(frame.text(data), 1, 1);
    await verdictCleanClose(conn, client, { echoes: [text(data)] });
  });

  h.test('1.3.4 binary 200 bytes (16-bit length), written 1 byte at a time', async () => {
    const { conn, client } = await h.open();
    const data = payload(200);
    await conn.writeChopped(frame.binary(data), 1, 1);
    await verdictCleanClose(conn, client, { echoes: [binary(data)] });
  });

  h.test('1.3.5 binary 65536 bytes: the 10-byte header 1 byte at a time, then the payload', async () => {
    const { conn, client } = await h.open();
    const data = payload(65536);
    await conn.writeChopped(frame.binary(data), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 1);
    await verdictCleanClose(conn, client, { echoes: [binary(data)] });
  });

  h.test('1.3.6 empty text message, written 1 byte at a time', async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(frame.text(''), 1, 1);
    await verdictCleanClose(conn, client, { echoes: [text('')] });
  });

  h.test('1.4.1 two messages in one TCP write (text then binary)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('first'), frame.binary(payload(300))]));
    await verdictCleanClose(conn, client, { echoes: [text('first'), binary(payload(300))] });
  });

  h.test('1.4.2 100 small messages in one TCP write, order kept', async () => {
    const { conn, client } = await h.open();
    const msgs = Array.from({ length: 100 }, (_, i) => `message ${i}`);
    await conn.write(Buffer.concat(msgs.map((m) => frame.text(m))));
    await verdictCleanClose(conn, client, { echoes: msgs.map((m) => text(m)) });
  });

  h.test('1.4.3 a message split across two writes in the middle of its header and of its payload', async () => {
    const { conn, client } = await h.open();
    const bytes = Buffer.concat([frame.text('alpha'), frame.binary(payload(1000)), frame.text('omega')]);
    await conn.writeChopped(bytes, [8, 3, 500, 7], 5);
    await verdictCleanClose(conn, client, { echoes: [text('alpha'), binary(payload(1000)), text('omega')] });
  });

  h.test('1.4.4 first frame in the same TCP write as the 101 response', async () => {
    const { conn, client } = await h.open({ echo: true }, { trailing: frame.text('right after the 101') });
    await verdictCleanClose(conn, client, { echoes: [text('right after the 101')] });
  });

  h.test('1.4.5 101 response written 1 byte at a time, then a message', async () => {
    const { conn, client } = await h.open({ echo: true }, { chop: 1 });
    await conn.write(frame.text('after a chopped handshake'));
    await verdictCleanClose(conn, client, { echoes: [text('after a chopped handshake')] });
  });

  h.test('1.5.1 64-bit length with the most significant bit set: fail (1002, or 1009 as too big)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.raw({ opcode: 0x2, payload: payload(16), declaredLength64: (BigInt(1) << BigInt(63)) + BigInt(16) }));
    await verdictFail(conn, client, [1002, 1009]);
  });

  h.test('1.5.2 a frame declaring 1 TiB: fail with 1009 at once (no waiting for the data)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.raw({ opcode: 0x2, payload: payload(16), declaredLength64: BigInt(1) << BigInt(40) }));
    await verdictFail(conn, client, 1009);
  });

  h.test('1.5.3 a masked frame from the server: fail (1002)', async () => {
    // RFC 6455 5.1: "A client MUST close a connection if it detects a masked frame."
    const { conn, client } = await h.open();
    await conn.write(frame.text('masked by the server', { mask: true }));
    await verdictFail(conn, client, 1002);
  });
});
