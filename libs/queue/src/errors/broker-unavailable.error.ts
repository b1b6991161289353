/** The broker refused or could not be reached: nothing of the call was written. */
export class BrokerUnavailableError extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}
