// Conformance, sections 3 and 4: reserved bits (no extension was negotiated, so any RSV bit
// fails the connection) and reserved opcodes (3-7 non-control, 11-15 control).
import { describe } from 'vitest';
import { binary, payload, text, useHarness, verdictFail } from './harness';
import { frame } from './raw-server';

const h = useHarness();

describe('3 reserved bits', () => {
  h.test('3.1 text with RSV1 set (no extension negotiated): fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.text('Hello, world!', { rsv: 4 }));
    await verdictFail(conn, client, 1002);
  });

  h.test('3.2 a valid text, then a text with RSV2 set, then a ping: echo the first, fail, no pong', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('small'), frame.text('small', { rsv: 2 }), frame.ping('ping')]));
    await verdictFail(conn, client, 1002, { echoes: [text('small')] });
  });

  h.test('3.3 the same, written 1 byte at a time (RSV3 set)', async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(Buffer.concat([frame.text('small'), frame.text('small', { rsv: 1 }), frame.ping('ping')]), 1, 1);
    await verdictFail(conn, client, 1002, { echoes: [text('small')] });
  });

  h.test('3.4 binary with RSV1+RSV2 set: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.binary(payload(256), { rsv: 6 }));
    await verdictFail(conn, client, 1002);
  });

  h.test('3.5 ping with RSV1+RSV3 set: fail (1002), no pong', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.ping('Hello, world!', { rsv: 5 }));
    await verdictFail(conn, client, 1002);
  });

  h.test('3.6 close with all RSV bits set: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.close(1000, '', { rsv: 7 }));
    await verdictFail(conn, client, 1002);
  });

  h.test('3.7 continuation frame with RSV1 set inside a fragmented text: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.text('frag1', { fin: false }), frame.cont('frag2', { rsv: 4 })]));
    await verdictFail(conn, client, 1002);
  });
});

describe('4 reserved opcodes', () => {
  for (const opcode of [3, 4, 5, 6, 7]) {
    h.test(`4.1.${opcode - 2} non-control opcode ${opcode}: fail (1002)`, async () => {
      const { conn, client } = await h.open();
      await conn.write(frame.raw({ opcode }));
      await verdictFail(conn, client, 1002);
    });
    h.test(`4.1.${opcode + 3} a valid text, then opcode ${opcode} with payload, then a ping: echo the first, fail, no pong`, async () => {
      const { conn, client } = await h.open();
      await conn.write(Buffer.concat([frame.text('small'), frame.raw({ opcode, payload: 'reserved' }), frame.ping('ping')]));
      await verdictFail(conn, client, 1002, { echoes: [text('small')] });
    });
  }
  for (const opcode of [11, 12, 13, 14, 15]) {
    h.test(`4.2.${opcode - 10} control opcode ${opcode}: fail (1002)`, async () => {
      const { conn, client } = await h.open();
      await conn.write(frame.raw({ opcode }));
      await verdictFail(conn, client, 1002);
    });
    h.test(`4.2.${opcode - 5} a valid binary, then opcode ${opcode} with payload, then a ping: echo the first, fail, no pong`, async () => {
      const { conn, client } = await h.open();
      await conn.write(Buffer.concat([frame.binary(payload(10)), frame.raw({ opcode, payload: 'reserved' }), frame.ping('ping')]));
      await verdictFail(conn, client, 1002, { echoes: [binary(payload(10))] });
    });
  }
  h.test('4.3.2 opcode 5 while 16 MiB of echoes wait in the client (the server does not read): every echo, then the close frame (1002)', async () => {
    const { conn, client } = await h.open();
    // The echoes outgrow the socket buffers, so the client holds complete frames it has not
    // sent yet when the violation comes; its close frame must follow them, not be dropped
    // (lws patch 0103).
    const count = 2048;
    const data = payload(8192);
    conn.socket.pause();
    await conn.write(Buffer.concat(Array.from({ length: count }, () => frame.binary(data))));
    await client.until(() => client.events.filter((e) => e.type === 'message').length === count, 10_000);
    await conn.write(frame.raw({ opcode: 5, payload: 'reserved' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    conn.socket.resume();
    await verdictFail(conn, client, 1002, { echoes: Array.from({ length: count }, () => binary(data)) });
  });

  h.test('4.3.1 opcode 5 written 1 byte at a time, after a valid message: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.writeChopped(Buffer.concat([frame.text('small'), frame.raw({ opcode: 5, payload: 'reserved' })]), 1, 1);
    await verdictFail(conn, client, 1002, { echoes: [text('small')] });
  });
});
