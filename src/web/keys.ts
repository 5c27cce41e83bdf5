/** The inbox keys, for the help dialog (assets/web/app.js implements them; a test holds the two together). */
export const KEYS: ReadonlyArray<{ key: string; does: string }> = [
  { key: 'j', does: 'next mention' },
  { key: 'k', does: 'previous mention' },
  { key: 'o', does: 'open the mention (also Enter)' },
  { key: 'e', does: 'mark handled and go to the next' },
  { key: '#', does: 'mark not relevant and go to the next' },
  { key: 'x', does: 'select or unselect (for bulk actions)' },
  { key: '1', does: 'sentiment: negative' },
  { key: '2', does: 'sentiment: neutral' },
  { key: '3', does: 'sentiment: positive' },
  { key: 'a', does: 'assign to me' },
  { key: 's', does: 'snooze (choose how long)' },
  { key: 'u', does: 'undo your last action' },
  { key: '/', does: 'search' },
  { key: '.', does: 'show new mentions' },
  { key: '?', does: 'this list' },
];
