// Service worker entry: everything lives in ../background/.
import { defineBackground } from 'wxt/utils/define-background';
import { startBackground } from '../background/index.js';

export default defineBackground({
  type: 'module',
  main() {
    startBackground();
  },
});
