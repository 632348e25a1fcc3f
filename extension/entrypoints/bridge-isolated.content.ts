// ISOLATED-world content script: checks call announcements and forwards them to the background.
import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { installIsolatedShuttle } from '../bridge/isolated-shuttle.js';

export default defineContentScript({
  matches: ['http://*/*', 'https://*/*'],
  runAt: 'document_start',
  allFrames: true,
  noScriptStartedPostMessage: true,
  main() {
    installIsolatedShuttle({ win: window, connect: (name) => browser.runtime.connect({ name }) });
  },
});
