// Popup entry: mounts the Preact popup.
import { render } from 'preact';
import { App } from '../../popup/app.js';

const root = document.getElementById('app');
if (root) render(<App root={root} />, root);
