import { runtimeService } from '../../../contract/grpc/protos.js';
import type { KeyPolicy } from '../../types.js';
import type { ModelTarget } from '../models.js';
import { mayUse, modelId } from '../modelIds.js';

const GET_MODEL_INFO = runtimeService.GetModelInfo!;

/**
 * GetModelInfo's answer as the key may see it: the runtime lists every adapter it serves
 * (`<name>:<adapter>`, as its served_name is `<name>`); only those the key may use are left, so a key
 * learns no adapter it cannot call, as GET /v1/models lists none. The runtime's bytes as they are
 * when nothing is left out.
 */
export function modelInfoFor(policy: KeyPolicy, target: ModelTarget): (answer: Buffer) => Buffer {
  const prefix = `${target.model.name}:`;
  const usable = (served: string) =>
    served.startsWith(prefix) && mayUse(policy, modelId(target.model), served.slice(prefix.length));
  return (answer) => {
    if (policy.models === null) return answer;
    const info = GET_MODEL_INFO.responseDeserialize(answer) as { adapters?: string[] };
    const adapters = info.adapters ?? [];
    const kept = adapters.filter(usable);
    return kept.length === adapters.length ? answer : GET_MODEL_INFO.responseSerialize({ ...info, adapters: kept });
  };
}
