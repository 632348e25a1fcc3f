// The one import of libsodium in Keyhole: loads the WebAssembly build once and hands it out.
import sodium from 'libsodium-wrappers-sumo';

let ready = false;
let loading: Promise<void> | undefined;

/** Load libsodium (idempotent). Every other crypto function needs this to have resolved. */
export function initCrypto(): Promise<void> {
  loading ??= sodium.ready.then(() => {
    ready = true;
  });
  return loading;
}

/** The loaded libsodium; throws a clear error when initCrypto() has not resolved yet. */
export function lib(): typeof sodium {
  if (!ready) throw new Error('crypto not initialised: await initCrypto() first');
  return sodium;
}
