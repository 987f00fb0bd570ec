import type { IncomingMessage } from 'node:http';
import type { ServedModel } from '../../types.js';
import { authenticate } from '../auth.js';
import type { RelayDeps } from '../deps.js';
import { resolveModel, usableIds } from '../models.js';
import type { RequestRecord } from '../record.js';

/** A model, or one of its adapters, as OpenAI's Models API describes one; owned by its namespace. */
const modelObject = (id: string, model: ServedModel) => ({
  id,
  object: 'model',
  created: 0,
  owned_by: model.namespace,
});

/** GET /v1/models: the models and adapters the caller's key may use, each adapter after its model. */
export function listModels(deps: RelayDeps, req: IncomingMessage, record: RequestRecord) {
  const caller = authenticate(deps.keys, req.headers.authorization, 'http');
  record.identified(caller);
  return {
    object: 'list',
    data: usableIds(deps.directory, caller.policy).map(({ id, model }) => modelObject(id, model)),
  };
}

/** GET /v1/models/{id}: one of them, refused as a request for it would be (403, 404). */
export function getModel(deps: RelayDeps, req: IncomingMessage, record: RequestRecord, asked: string) {
  const caller = authenticate(deps.keys, req.headers.authorization, 'http');
  record.identified(caller);
  const target = resolveModel(deps.directory, caller.policy, asked);
  record.model = target.id;
  return modelObject(target.id, target.model);
}
