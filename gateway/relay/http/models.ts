import type { IncomingMessage } from 'node:http';
import { authenticate } from '../auth.js';
import type { RelayDeps } from '../deps.js';
import { modelId, resolveModel, usableModels } from '../models.js';
import type { RequestRecord } from '../record.js';
import type { ServedModel } from '../../types.js';

/** A model as OpenAI's Models API describes one; owned by its namespace. */
const modelObject = (model: ServedModel) => ({
  id: modelId(model),
  object: 'model',
  created: 0,
  owned_by: model.namespace,
});

/** GET /v1/models: the models the caller's key may use. */
export function listModels(deps: RelayDeps, req: IncomingMessage, record: RequestRecord) {
  const caller = authenticate(deps.keys, req.headers.authorization, 'http');
  record.identified(caller);
  return { object: 'list', data: usableModels(deps.directory, caller.policy).map(modelObject) };
}

/** GET /v1/models/{id}: one of them, refused as a request for it would be (403, 404). */
export function getModel(deps: RelayDeps, req: IncomingMessage, record: RequestRecord, id: string) {
  const caller = authenticate(deps.keys, req.headers.authorization, 'http');
  record.identified(caller);
  const model = resolveModel(deps.directory, caller.policy, id);
  record.model = modelId(model);
  return modelObject(model);
}
