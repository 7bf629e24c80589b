// createWebSocketStream: a node:stream Duplex over a WebSocket, as in the `ws` package.
import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket } from './websocket';

/**
 * A node:stream Duplex over a WebSocket of ours, as the `ws` package's function of the same
 * name: the options go to the Duplex; reading applies backpressure through ws.pause() and
 * resume() (a full readable buffer stops reading from the network), writing through send()'s
 * callback (a write completes once its data has left the process); an 'error' of the socket
 * destroys the stream with it, its 'close' ends the readable side; end() closes the
 * connection (close() with no code), destroy() terminates it.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { createWriteStream } from 'node:fs';
 * import { WebSocket, createWebSocketStream } from 'netstack-websocket';
 *
 * const ws = new WebSocket('ws://127.0.0.1:8080');
 * // A slow disk slows the server down instead of filling memory.
 * await pipeline(createWebSocketStream(ws), createWriteStream('received.bin'));
 * ```
 */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', (data, isBinary) => {
    const chunk = !isBinary && duplex.readableObjectMode ? (data as Buffer).toString() : data;
    if (!duplex.push(chunk)) ws.pause();
  });

  ws.once('error', (error) => {
    if (duplex.destroyed) return;
    // The socket is already failing the connection with its own close frame: terminating
    // it now could cut that frame off.
    terminateOnDestroy = false;
    duplex.destroy(error);
  });

  ws.once('close', () => {
    if (!duplex.destroyed) duplex.push(null);
  });

  duplex._destroy = (error, callback) => {
    if (ws.readyState === ws.CLOSED) {
      callback(error);
      process.nextTick(() => duplex.emit('close'));
      return;
    }
    let called = false;
    ws.once('error', (socketError) => {
      called = true;
      callback(socketError);
    });
    ws.once('close', () => {
      if (!called) callback(error);
      process.nextTick(() => duplex.emit('close'));
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = (callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._final(callback));
      return;
    }
    if (ws.readyState === ws.CLOSED) {
      callback();
      if (duplex.readableEnded) duplex.destroy();
      return;
    }
    // Every write has left the process (a write completes only then) and the closing
    // handshake starts: 'finish' now; the readable side ends at the socket's 'close', and
    // the stream is destroyed there ('end' finds the writable side finished).
    ws.close();
    callback();
  };

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk: Buffer, _encoding, callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._write(chunk, _encoding, callback));
      return;
    }
    ws.send(chunk, callback);
  };

  // Everything buffered at once, one message per chunk: done when the last has left the
  // process (so have the others, sends keep their order).
  duplex._writev = (chunks, callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._writev?.(chunks, callback));
      return;
    }
    chunks.forEach(({ chunk }, i) => {
      if (i === chunks.length - 1) ws.send(chunk as Buffer, callback);
      else ws.send(chunk as Buffer);
    });
  };

  duplex.on('end', function onEnd(this: Duplex) {
    if (!this.destroyed && this.writableFinished) this.destroy();
  });
  duplex.on('error', function onError(this: Duplex, error: Error) {
    this.removeListener('error', onError);
    this.destroy();
    // Nobody else listens: rethrow as an unhandled 'error' would.
    if (this.listenerCount('error') === 0) this.emit('error', error);
  });
  return duplex;
}
