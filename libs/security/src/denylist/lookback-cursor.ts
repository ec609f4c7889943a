/**
 * A feed cursor that loses nothing when ids commit out of order.
 *
 * A feed paged by "id greater than the highest id seen" skips rows on a database with concurrent writers:
 * on PostgreSQL two transactions draw ids 10 and 11 from the sequence, 11 commits first, a reader sees
 * 11 and moves its cursor past 10, which commits a moment later and is never read. So the cursor a pull
 * starts from is not the highest id seen but the highest id seen at least `lookbackMs` before an
 * earlier complete pull began: by then every id below it has committed (a revocation's insert commits
 * within that bound of drawing its id) and that pull has read it. The rows of the last `lookbackMs` are
 * read again on every pull; applying them again is harmless (Denylist.add is idempotent).
 */
export class LookbackCursor {
  private safe = 0;
  /** Cursors reached by complete pulls, with when they were first reached, oldest first. */
  private readonly reached: { cursor: number; at: number }[] = [];

  constructor(
    private readonly lookbackMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!Number.isFinite(lookbackMs) || lookbackMs < 0) throw new TypeError('LookbackCursor: "lookbackMs" must be ≥ 0');
  }

  /** Where the next pull starts: every id at or below it has been read. */
  get start(): number {
    return this.safe;
  }

  /** The highest id any pull has reached. */
  get highest(): number {
    return this.reached.length ? this.reached[this.reached.length - 1].cursor : this.safe;
  }

  /** A pull that began at `startedAt` (from `start`) read every page up to `cursor`. */
  completed(startedAt: number, cursor: number): void {
    // Cursors reached at least lookbackMs before this pull began are safe now: this pull read every id
    // below them that had not committed yet then.
    while (this.reached.length && this.reached[0].at + this.lookbackMs <= startedAt) this.safe = Math.max(this.safe, this.reached.shift()!.cursor);
    if (cursor > this.highest) this.reached.push({ cursor, at: this.clock() });
    if (this.lookbackMs === 0) this.safe = Math.max(this.safe, cursor);
  }
}
