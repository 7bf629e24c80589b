// Plays the server side of a fuzz case on a raw connection of the conformance suite's
// RawServer: writes the response and the stream in the case's TCP pieces and pauses, then
// ends the connection its way, and answers a close frame the client sends first as the case
// says (reply, drop with FIN or RST, or ignore). Every choice comes from the case's seed.
import type net from 'node:net';
import { frame, sleep, type RawConnection } from '../conformance/raw-server';
import { answersClose } from './judge';
import { Rng } from './rng';
import type { FuzzCase } from './scenario';

/** The longest a case pauses between writes, in total. */
const PAUSE_BUDGET_MS = 300;

export interface PeerResult {
  /** Date.now() when the peer had written everything. */
  writtenAt: number | null;
  /** Date.now() when the peer ended the connection itself (FIN or RST), or null. */
  endedAt: number | null;
}

/** Plays `c` on `conn`. `slowdown` stretches how long the peer waits for the client (ASan). */
export async function playCase(c: FuzzCase, conn: RawConnection, result: PeerResult = { writtenAt: null, endedAt: null }, slowdown = 1): Promise<PeerResult> {
  const rng = new Rng((c.seed ^ 0x5bd1e995) >>> 0);
  const request = conn.request!;
  const offer = (request.headers['sec-websocket-extensions'] ?? '').replace(/\s+/g, '');
  if (offer !== c.handshake.offer.replace(/\s+/g, '')) {
    throw new Error(`the client offered ${JSON.stringify(offer)}, the case expected ${JSON.stringify(c.handshake.offer)}: the generator no longer matches lib/options`);
  }
  const response = c.handshake.response?.(request.headers['sec-websocket-key'] ?? '') ?? null;
  if (c.handshake.verdict !== 'fail') {
    // Parse what the client sends back as frames (and inflate them as negotiated).
    conn.upgraded = true;
    conn.deflate = c.handshake.deflate;
  }
  const bytes = Buffer.concat([response ?? Buffer.alloc(0), c.stream]);
  await writeInPieces(conn, rng, c, bytes);
  result.writtenAt = Date.now();

  const end = (how: 'fin' | 'rst') => {
    if (!conn.tcpOpen) return;
    result.endedAt = Date.now();
    // A FIN only: the client may still answer (a close reply, pongs) for as long as it needs;
    // a loaded machine can take seconds. The runner drops the connection once the case is over.
    if (how === 'fin') conn.end(null);
    else reset(conn);
  };
  const { ending } = c;
  if (ending.kind !== 'linger') {
    if (ending.delayMs) await sleep(ending.delayMs);
    end(ending.kind);
    await conn.until(() => !conn.tcpOpen, 3000);
    return result;
  }

  const lingerMs = ending.delayMs * slowdown;
  await conn.until(() => conn.closeFrame !== null || !conn.tcpOpen, lingerMs);
  const stop = c.events[c.events.length - 1];
  const triggered = stop?.kind === 'message' && stop.message.trigger !== undefined;
  if (conn.closeFrame && conn.tcpOpen && triggered) {
    // The client started the closing handshake as the trigger asked.
    const { reaction } = c;
    if (reaction.reply === 'echo') await conn.write(frame.close(conn.closeFrame.code ?? undefined, conn.closeFrame.reason));
    else if (reaction.reply === 'other') await conn.write(frame.close(reaction.code, reaction.reason));
    else if (reaction.reply === 'empty') await conn.write(frame.close());
    if (reaction.then === 'wait') await conn.until(() => !conn.tcpOpen, 9000 * slowdown);
    else end(reaction.then);
  } else if (conn.closeFrame && conn.tcpOpen && stop?.kind === 'close' && answersClose(conn.closeFrame.code, stop.code)) {
    // The client answered our close: we close TCP (RFC 6455 7.1.1: the server does it first).
    // A close frame with another code fails the connection at a violation before our close
    // (fuzz seed 1108351 under ASan: the peer took one for an answer and closed TCP before
    // the client's own FIN arrived); the client must then close TCP itself, below.
    end('fin');
  } else if (conn.closeFrame) {
    // The client failed the connection: it must close TCP itself.
    await conn.until(() => !conn.tcpOpen, lingerMs);
  }
  end('fin');
  await conn.until(() => !conn.tcpOpen, 3000);
  return result;
}

/** Drops the connection with a TCP RST. A TLS socket is reset through the TCP socket under it
 *  (Node keeps it as `_parent` on server-side TLS sockets). */
function reset(conn: RawConnection): void {
  const tcp = (conn.socket as net.Socket & { _parent?: net.Socket })._parent ?? conn.socket;
  tcp.resetAndDestroy();
  conn.socket.destroy();
}

/** Writes `bytes` in the case's pieces, with pauses; stops when the client is gone. */
async function writeInPieces(conn: RawConnection, rng: Rng, c: FuzzCase, bytes: Buffer): Promise<void> {
  const { mode, pieces, maxPauseMs } = c.chunking;
  let cuts: number[];
  if (mode === 'whole' || bytes.length <= 1) cuts = [];
  else if (mode === 'bytewise') cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  else cuts = [...new Set(Array.from({ length: pieces - 1 }, () => rng.int(1, bytes.length - 1)))].sort((a, b) => a - b);
  let paused = 0;
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    if (!conn.tcpOpen) return;
    await conn.write(bytes.subarray(from, to));
    from = to;
    if (to === bytes.length) return;
    const pause = maxPauseMs && paused < PAUSE_BUDGET_MS ? rng.int(0, maxPauseMs) : 0;
    paused += pause;
    if (pause) await sleep(pause);
    else await new Promise((resolve) => setImmediate(resolve));
  }
}
