export { waitFor } from '../../cluster/processes.js';
