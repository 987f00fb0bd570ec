import { ensureAllTools } from '../scripts/tools.js';
import { ensureTestModels } from './helpers/models.js';

/** Once per run: the synthetic models and the real clients (grpcurl, grpc-health-probe, promtool). */
export default async function setup(): Promise<void> {
  await ensureTestModels();
  ensureAllTools();
}
