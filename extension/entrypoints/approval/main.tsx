// Approval window entry: mounts the Preact approval UI.
import { render } from 'preact';
import { ApprovalApp } from '../../approval/app.js';

const root = document.getElementById('app');
if (root) render(<ApprovalApp />, root);
