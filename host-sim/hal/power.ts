/**
 * Power-cut injection shared by every simulated store of one device, so that
 * "cut at write N" counts flash programs, flash erases and settings writes
 * alike. After a cut every store refuses to work until restore() (the reboot).
 */
export class PowerCut extends Error {
  constructor(readonly atWrite: number) {
    super(`power cut at write ${atWrite}`);
    this.name = 'PowerCut';
  }
}

export class PowerSwitch {
  /** Writes (programs, erases, settings commits) completed or attempted since creation. */
  writes = 0;
  private cutAt = Infinity;
  private off = false;

  /** Cut the power during write number `n` (1-based, counted from now on). */
  cutAtWrite(n: number): void {
    this.cutAt = this.writes + n;
  }

  get isOff(): boolean {
    return this.off;
  }

  /** Power back on: the next boot. */
  restore(): void {
    this.off = false;
    this.cutAt = Infinity;
  }

  assertOn(): void {
    if (this.off) throw new PowerCut(this.writes);
  }

  /** Called before each write; true when this write is the one interrupted. */
  beginWrite(): boolean {
    this.assertOn();
    this.writes++;
    if (this.writes >= this.cutAt) {
      this.off = true;
      return true;
    }
    return false;
  }
}
