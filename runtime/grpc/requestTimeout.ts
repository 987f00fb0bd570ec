import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { ApiError } from '../../contract/api/errors.js';
import { toServiceError } from '../../contract/grpc/errors.js';

/**
 * A server interceptor that ends a unary or server-streaming call whose request has not fully
 * arrived (its message and the end of the client's side) within `timeoutMs` of the call's headers.
 * grpc-js runs such a handler only once the request is complete, so without this a client that
 * opens a Chat stream and never sends its message holds the stream (and grpc-js's buffers) forever.
 * The call ends with DEADLINE_EXCEEDED (request_timeout); `onTimeout` counts it.
 */
export function requestArrivalTimeout(timeoutMs: number, onTimeout: (error: ApiError) => void): ServerInterceptor {
  return (method, call) => {
    // client and bidi streams send as long as they like; their handlers run from the first message
    if (method.requestStream) return new ServerInterceptingCall(call);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const stop = () => clearTimeout(timer);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        timer = setTimeout(() => {
          timedOut = true;
          const error = new ApiError(
            'request_timeout',
            `the request did not arrive within ${timeoutMs / 1000} s of the call's start`,
          );
          onTimeout(error);
          call.sendStatus(toServiceError(error));
        }, timeoutMs);
        next({
          onReceiveMessage: (message, nextMessage) => {
            if (!timedOut) nextMessage(message);
          },
          onReceiveHalfClose: (nextHalfClose) => {
            stop();
            if (!timedOut) nextHalfClose();
          },
          onCancel: stop,
        });
      },
      sendStatus: (status, nextStatus) => {
        stop();
        nextStatus(status);
      },
    });
  };
}
