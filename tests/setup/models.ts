import { ensureTestModels } from '../helpers/models.js';

/**
 * The unit lane's one set-up: the tiny synthetic models the in-process runtime tests load (written once, in
 * milliseconds).
 */
export default async function setup(): Promise<void> {
  await ensureTestModels();
}
