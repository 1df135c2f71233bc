import type { Alert } from '../alert/alert.js';

/** Where alerts leave. Implementations throw on failure, so that Lambda retries keep the alert. */
export interface Transport {
  readonly name: string;
  send(alert: Alert): Promise<void>;
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
