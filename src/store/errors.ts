/** Errors any store raises, whatever the backend. */

export class DatabaseVersionError extends Error {
  constructor(location: string, found: number, known: number) {
    super(
      `${location} has schema version ${found}, but this earshot knows only up to ${known}: ` +
        'it was written by a newer earshot. Upgrade earshot, or point --db at another file.',
    );
    this.name = 'DatabaseVersionError';
  }
}

/** A backup copy failed its integrity check: nothing was written to the target. */
export class BackupIntegrityError extends Error {
  constructor(readonly integrity: string) {
    super(`the copy failed its integrity check (${integrity})`);
    this.name = 'BackupIntegrityError';
  }
}
