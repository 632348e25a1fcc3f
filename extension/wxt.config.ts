// WXT configuration for the Keyhole extension (MV3, Chromium first; `wxt build -b firefox` kept working).
import preact from '@preact/preset-vite';
import { KEYHOLE_VERSION } from '../shared/version.js';
import { defineConfig } from 'wxt';

const ICONS = {
  16: 'icon/16.png',
  32: 'icon/32.png',
  48: 'icon/48.png',
  128: 'icon/128.png',
};

export default defineConfig({
  // Explicit imports everywhere: the root tsconfig typechecks extension/ without WXT's generated globals.
  imports: false,
  // Preact for the popup and the approval window (JSX via the preset; no devtools bridge in builds).
  vite: () => ({ plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })] }),
  manifest: ({ browser }) => ({
    name: 'Keyhole',
    description: 'Use API secrets from web pages without the page ever holding them.',
    version: KEYHOLE_VERSION,
    permissions: ['storage', 'alarms'],
    // Drawn by scripts/make-icons.ts (committed PNGs in extension/public/icon/).
    icons: ICONS,
    action: { default_title: 'Keyhole', default_icon: ICONS },
    // The relay is reached from the service worker: it needs host access to any relay URL the user sets.
    host_permissions: ['http://*/*', 'https://*/*'],
    content_security_policy: {
      // libsodium's WebAssembly needs 'wasm-unsafe-eval' in extension pages and the service worker.
      extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'",
    },
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: { id: 'keyhole@keyhole.dev', strict_min_version: '128.0' },
          },
        }
      : {}),
  }),
});
