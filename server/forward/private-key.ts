// Opens a PEM private key (PKCS#8, PKCS#1 "RSA PRIVATE KEY" as GitHub hands them out, SEC1 "EC")
// into a KeyObject for jose, checking it fits the algorithm. Errors never carry the key.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { KeyholeError } from '../../shared/errors.js';

const KEY_TYPE = { RS256: 'rsa', ES256: 'ec', EdDSA: 'ed25519' } as const;

export type JwsAlgorithm = keyof typeof KEY_TYPE;

export function openPrivateKey(pem: string, alg: JwsAlgorithm): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyholeError('INVALID_REQUEST', 'The secret’s private key cannot be read.');
  }
  const fits =
    key.asymmetricKeyType === KEY_TYPE[alg] &&
    (alg !== 'ES256' || key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
  if (!fits) {
    throw new KeyholeError('INVALID_REQUEST', `The secret’s private key is not a ${alg} key.`);
  }
  return key;
}
