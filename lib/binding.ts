// Loads the compiled addon (a prebuilt binary from prebuilds/ or build/Release).
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import nodeGypBuild from 'node-gyp-build';

/** One node of the JS mirror of the C header list. */
export interface NativeSlist {
  FieldName: string;
  FieldValue: string;
  next: NativeSlist | null;
}

/** The raw addon surface; lib/native.ts gives it its public types. */
export interface NativeAddon {
  errorCodes: Record<string, number>;
  construct(
    onOpen: unknown, onMessage: unknown, onError: unknown, onClose: unknown,
  ): object | null;
  addHeader(client: unknown, header: unknown): number;
  connect(client: unknown, url: unknown, options: unknown): number;
  send(client: unknown, data: unknown, length: unknown): number;
  close(client: unknown, options: unknown): number;
  destroy(client: unknown): number;
  setClientLimit(limit: number): number;
  /** Gives the addon the PEM certificates wss:// trusts; called once per thread, lazily. */
  setTrustStoreProvider(provider: () => string): void;
  /** Counters of live native objects, for leak checks in tests. */
  liveCounts(): { clients: number; connections: number; engines: number };
}

// lib/ and dist/ both sit one level below the package root.
const packageRoot = path.resolve(__dirname, '..');

export const addon: NativeAddon = nodeGypBuild(packageRoot) as NativeAddon;

/** The certificates Node's own tls trusts: its bundled roots plus NODE_EXTRA_CA_CERTS. */
export function nodeTrustStorePem(): string {
  const certificates = [...tls.rootCertificates];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      certificates.push(fs.readFileSync(extra, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so do we (by ignoring it).
    }
  }
  return certificates.join('\n');
}

addon.setTrustStoreProvider(nodeTrustStorePem);
