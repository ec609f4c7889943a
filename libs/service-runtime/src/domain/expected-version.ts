import { InvalidRequestError, VersionRequiredError } from './domain-errors';

const ENTITY_TAG = /^(?:W\/)?"([1-9][0-9]{0,9})"$/;

/** The strong entity tag of a resource version, as sent in ETag and expected back in If-Match. */
export function entityTag(version: number): string {
  return `"${version}"`;
}

/**
 * The version an update was computed from: the body's `version` or an If-Match entity tag (`"3"`).
 * Both may be sent if they agree; `If-Match: *` is refused because it would skip the lock.
 */
export function expectedVersion(bodyVersion: number | undefined, ifMatch: string | string[] | undefined): number {
  let fromHeader: number | undefined;
  if (ifMatch !== undefined) {
    const match = typeof ifMatch === 'string' ? ENTITY_TAG.exec(ifMatch.trim()) : null;
    if (!match) throw new InvalidRequestError('If-Match must be one entity tag naming a version, e.g. "3"');
    fromHeader = Number(match[1]);
  }
  if (bodyVersion !== undefined && fromHeader !== undefined && bodyVersion !== fromHeader) {
    throw new InvalidRequestError('the body version and If-Match disagree');
  }
  const version = bodyVersion ?? fromHeader;
  if (version === undefined) throw new VersionRequiredError();
  return version;
}
