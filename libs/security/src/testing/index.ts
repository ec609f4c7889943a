// Test helpers for services that adopt @trustline/security. Never imported by production code.
export { TestIssuer, type MintOptions } from './test-issuer';
