// Popup entry: mounts the popup UI.
import { mountPopup } from '../../popup/app.js';

const root = document.getElementById('app');
if (root) mountPopup(root);
