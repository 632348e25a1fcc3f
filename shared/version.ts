// Keyhole's version, taken from package.json (the one place it is written). A named JSON import,
// so bundlers keep only this field (the page bridge does not carry the dependency list).
export { version as KEYHOLE_VERSION } from '../package.json';
