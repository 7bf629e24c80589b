// Conformance, section 2: pings and pongs. A ping is answered with a pong carrying the same
// payload; a ping of 126 bytes (control frames carry at most 125) fails the connection;
// unsolicited pongs are ignored.
import { describe } from 'vitest';
import { payload, text, useHarness, verdictCleanClose, verdictFail } from './harness';
import { frame } from './raw-server';

const h = useHarness();

describe('2 ping/pong', () => {
  h.test('2.1 ping without payload: empty pong', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.ping());
    await verdictCleanClose(conn, client, { pongs: [''] });
  });

  h.test('2.2 ping with a small text payload: pong echoes it', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.ping('Hello, world!'));
    await verdictCleanClose(conn, client, { pongs: ['Hello, world!'] });
  });

  h.test('2.3 ping with a binary payload: pong echoes it', async () => {
    const { conn, client } = await h.open();
    const data = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
    await conn.write(frame.ping(data));
    await verdictCleanClose(conn, client, { pongs: [data] });
  });

  h.test('2.4 ping with 125 bytes of payload: pong echoes it', async () => {
    const { conn, client } = await h.open();
    const data = payload(125);
    await conn.write(frame.ping(data));
    await verdictCleanClose(conn, client, { pongs: [data] });
  });

  h.test('2.5 ping with 126 bytes of payload: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.raw({ opcode: 0x9, payload: payload(126) }));
    await verdictFail(conn, client, 1002);
  });

  h.test('2.6 ping with 125 bytes, written 1 byte at a time: pong echoes it', async () => {
    const { conn, client } = await h.open();
    const data = payload(125);
    await conn.writeChopped(frame.ping(data), 1, 1);
    await verdictCleanClose(conn, client, { pongs: [data] });
  });

  h.test('2.7 unsolicited pong without payload: ignored', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.pong(), frame.text('still here')]));
    await verdictCleanClose(conn, client, { echoes: [text('still here')] });
  });

  h.test('2.8 unsolicited pong with payload: ignored', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.pong('unsolicited pong payload'), frame.text('still here')]));
    await verdictCleanClose(conn, client, { echoes: [text('still here')] });
  });

  h.test('2.9 unsolicited pong, then a ping: only the ping is answered', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.pong('unsolicited pong payload'), frame.ping('ping payload')]));
    await verdictCleanClose(conn, client, { pongs: ['ping payload'] });
  });

  h.test('2.10 10 pings in one write: answered (at least the last one, RFC 6455 5.5.3)', async () => {
    const { conn, client } = await h.open();
    const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
    await conn.write(Buffer.concat(payloads.map((p) => frame.ping(p))));
    await verdictCleanClose(conn, client, { pongs: payloads, lastPongOnly: true });
  });

  h.test('2.11 10 pings written 1 byte at a time: answered (at least the last one)', async () => {
    const { conn, client } = await h.open();
    const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
    await conn.writeChopped(Buffer.concat(payloads.map((p) => frame.ping(p))), 1, 0);
    await verdictCleanClose(conn, client, { pongs: payloads, lastPongOnly: true });
  });

  h.test('2.12 ping with a 16-bit length form of 125 bytes (a control frame with extended length): fail (1002)', async () => {
    // RFC 6455 5.5: control frames MUST have a payload length of 125 bytes or less; the
    // 126/127 length forms are themselves over that limit.
    const { conn, client } = await h.open();
    await conn.write(frame.raw({ opcode: 0x9, payload: payload(125), lengthForm: 16 }));
    await verdictFail(conn, client, 1002);
  });
});
