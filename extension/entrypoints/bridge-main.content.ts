// MAIN-world content script: defines window.clientSecretRequest and window.keyhole in every frame.
import { defineContentScript } from 'wxt/utils/define-content-script';
import { installPageApi } from '../bridge/page-api.js';

export default defineContentScript({
  matches: ['http://*/*', 'https://*/*'],
  world: 'MAIN',
  runAt: 'document_start',
  allFrames: true,
  globalName: false,
  noScriptStartedPostMessage: true,
  main() {
    installPageApi(window);
  },
});
