// The extension's background as a page call meets it, without a browser: the real call plan,
// secret lookup and forwarder over an SDK store and a real relay. The approval prompt answers
// "deny" and nothing is remembered, so a test sees only what the stored permissions allow.
import { lookUpForOrigin, planPageCall } from '../../extension/background/call-plan.js';
import { forwardCall } from '../../extension/background/forwarder.js';
import type { PageCallDeps } from '../../extension/background/page-calls.js';
import type { VaultService } from '../../extension/background/vault-service.js';
import type { RelayClient, VaultStore } from '../../shared/client/index.js';

/** A well-formed extension id (32 letters a–p), for the page-call checks that compare it. */
export const TEST_EXTENSION_ID = 'abcdefghijklmnopabcdefghijklmnop';

export function pageCallDeps(store: VaultStore, client: RelayClient): PageCallDeps {
  const vault = {
    current: async () => ({ store }),
    relayFor: async () => client,
  } as unknown as VaultService;
  return {
    extensionId: TEST_EXTENSION_ID,
    isUnlocked: async () => true,
    plan: async (origin, op) => planPageCall(store, origin, op),
    lookup: async (origin, name) => lookUpForOrigin(store, origin, name),
    ask: async () => 'deny',
    allowOrigin: async () => undefined,
    isDenied: async () => false,
    addDenied: async () => undefined,
    forward: (call, sink, signal) => forwardCall(vault, call, sink, signal),
  };
}
