/** The validated environment, provided to the gateway's modules. */
export const GATEWAY_ENV = Symbol('GATEWAY_ENV');
