// Approval window entry: mounts the approval UI.
import { mountApproval } from '../../approval/app.js';

const root = document.getElementById('app');
if (root) mountApproval(root);
