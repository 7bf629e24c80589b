// Records the callbacks of JS-mirror clients, so tests can wait for events and assert on
// them outside the callbacks (an assertion thrown inside a native callback would become an
// uncaught exception instead of a test failure).
import {
  liveNativeCounts,
  type OH_NetStack_WebsocketClient as Client,
  type OH_NetStack_WebsocketClient_OpenResult as OpenResult,
  type OH_NetStack_WebsocketClient_ErrorResult as ErrorResult,
  type OH_NetStack_WebsocketClient_CloseResult as CloseResult,
} from '../../lib/native';
import { waitUntil } from './ws-server';

export type ClientEvent =
  | { type: 'open'; client: Client; result: OpenResult }
  | { type: 'message'; client: Client; data: Buffer; length: number }
  | { type: 'error'; client: Client; result: ErrorResult }
  | { type: 'close'; client: Client; result: CloseResult };

export type EventType = ClientEvent['type'];

export interface Hooks {
  onOpen?: (client: Client, result: OpenResult) => void;
  onMessage?: (client: Client, data: Buffer, length: number) => void;
  onError?: (client: Client, result: ErrorResult) => void;
  onClose?: (client: Client, result: CloseResult) => void;
}

export class Recorder {
  readonly events: ClientEvent[] = [];
  /** Exceptions thrown by hooks (they are caught so they cannot escape into the addon). */
  readonly hookErrors: unknown[] = [];
  hooks: Hooks;

  constructor(hooks: Hooks = {}) {
    this.hooks = hooks;
  }

  private run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.hookErrors.push(err);
    }
  }

  readonly onOpen = (client: Client, result: OpenResult): void => {
    // Copy plain fields: the result object is only promised to be valid during the call.
    this.events.push({ type: 'open', client, result: { code: result.code, reason: result.reason } });
    this.run(() => this.hooks.onOpen?.(client, result));
  };

  readonly onMessage = (client: Client, data: Buffer, length: number): void => {
    this.events.push({ type: 'message', client, data: Buffer.from(data), length });
    this.run(() => this.hooks.onMessage?.(client, data, length));
  };

  readonly onError = (client: Client, result: ErrorResult): void => {
    this.events.push({ type: 'error', client, result: { errorCode: result.errorCode, errorMessage: result.errorMessage } });
    this.run(() => this.hooks.onError?.(client, result));
  };

  readonly onClose = (client: Client, result: CloseResult): void => {
    this.events.push({ type: 'close', client, result: { code: result.code, reason: result.reason } });
    this.run(() => this.hooks.onClose?.(client, result));
  };

  of<T extends EventType>(type: T): Extract<ClientEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type);
  }

  /** Resolves with the first `count` events of this type once they have arrived. */
  async waitFor<T extends EventType>(type: T, count = 1, timeoutMs = 10000): Promise<Extract<ClientEvent, { type: T }>[]> {
    await waitUntil(() => this.of(type).length >= count, timeoutMs,
      `${count} '${type}' callback(s); got ${JSON.stringify(this.summary())}`);
    return this.of(type).slice(0, count);
  }

  /** Resolves with the first open or error event (whichever comes first). */
  async waitForOpenOrError(timeoutMs = 10000): Promise<ClientEvent> {
    await waitUntil(() => this.events.some((e) => e.type === 'open' || e.type === 'error'), timeoutMs, 'onOpen or onError');
    return this.events.find((e) => e.type === 'open' || e.type === 'error')!;
  }

  summary(): unknown[] {
    return this.events.map((e) => {
      switch (e.type) {
        case 'open': return { open: e.result };
        case 'message': return { message: e.length };
        case 'error': return { error: e.result };
        case 'close': return { close: e.result };
      }
    });
  }
}

/** Gives pending callbacks a chance to run (a grace period, not a timing assertion). */
export async function quiesce(ms = 250): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (running the GC, when exposed, so finalizers can run) until no native client or connection is alive. */
export async function waitForNoLiveNatives(timeoutMs = 2500): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = liveNativeCounts();
    if (counts.clients === 0 && counts.connections === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`native objects still alive after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    }
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
